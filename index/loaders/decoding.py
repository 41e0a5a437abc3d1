"""Bytes → str without mangling, for every text format (and for uploaded measure lists)."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import charset_normalizer

from index.cleaning import remove_zero_width
from index.loaders.document import EMPTY_FILE, NOT_TEXT, LoadError

_BOMS = (
    # UTF-32 first: the UTF-32-LE BOM begins with the UTF-16-LE one.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_UTF16_SAMPLE_BYTES = 4096
_UTF16 = ("utf-16-le", "utf-16-be")
# Characters of ordinary Chinese/English text: ASCII printables and whitespace, CJK ideographs and
# punctuation, full-width forms. The wrong byte order turns Chinese into private-use or rare blocks.
_ORDINARY_CHARS = re.compile(r"[\t\n\r\x20-\x7e\u00b7\u2014-\u2026\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
_MIN_ORDINARY_RATIO = 0.8
_MAX_CONTROL_CHAR_RATIO = 0.01
# Unicode category Cc except \t \n \v \f \r (a regex: counting per character is slow on large files).
_DISALLOWED_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def decode_text(data: bytes) -> str | None:
    """Bytes → str without mangling: BOM, BOM-less UTF-16, strict UTF-8, strict GB18030, UTF-8 cut off
    inside its last character, UTF-8 and GBK lines mixed in one file, UTF-16 without NUL bytes, then
    detection. A UTF-8 BOM in front of bytes that are not UTF-8 is dropped: the rest decides.

    Returns None when the bytes do not look like text in any of these encodings.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return plausible_text(data[len(bom) :].decode(encoding))
            except UnicodeDecodeError:
                if bom == codecs.BOM_UTF8:  # a UTF-8 BOM before GBK text (an editor added it): drop it
                    data = data[len(bom) :]
                break
    text = _decode_bomless_utf16(data, require_nul=True)
    if text is not None:
        return text
    # GB18030 after UTF-8: valid UTF-8 Chinese is almost never valid GB18030, and GBK is a subset of it.
    for encoding in ("utf-8", "gb18030"):
        try:
            text = plausible_text(data.decode(encoding))
        except UnicodeDecodeError:
            continue
        if text is not None:
            return text
    # A UTF-8 file cut off inside its last character (an interrupted copy): keep every whole character.
    try:
        text = plausible_text(codecs.getincrementaldecoder("utf-8")().decode(data.removeprefix(codecs.BOM_UTF8)))
    except UnicodeDecodeError:
        text = None
    if text:
        return text
    text = _decode_mixed_lines(data)
    if text is not None:
        return text
    # Chinese-only UTF-16 may contain no NUL at all; neither UTF-8 nor GB18030 accepted it.
    text = _decode_bomless_utf16(data, require_nul=False)
    if text is not None:
        return text
    best = charset_normalizer.from_bytes(data).best()
    return plausible_text(str(best)) if best is not None else None


def _decode_mixed_lines(data: bytes) -> str | None:
    """Some lines UTF-8, others GBK (two exports pasted into one file): each line in the encoding that
    reads it strictly, UTF-8 first. None when a line reads in neither, or the file has no line break."""
    lines = data.split(b"\n")
    if len(lines) < 2:
        return None
    decoded = []
    for line in lines:
        for encoding in ("utf-8", "gb18030"):
            try:
                decoded.append(line.decode(encoding))
                break
            except UnicodeDecodeError:
                continue
        else:
            return None
    return plausible_text("\n".join(decoded))


def _decode_bomless_utf16(data: bytes, *, require_nul: bool) -> str | None:
    encoding = _bomless_utf16_encoding(data, require_nul=require_nul)
    if encoding is None:
        return None
    try:
        return plausible_text(data.decode(encoding))
    except UnicodeDecodeError:
        return None


def _bomless_utf16_encoding(data: bytes, *, require_nul: bool = True) -> str | None:
    """UTF-16 without BOM shows NUL bytes: the high byte of ASCII characters, and the low byte of CJK
    characters such as 一 (U+4E00) or 开 (U+5F00), so Chinese text can have NULs on both sides.

    GBK and UTF-8 text never contain NUL. Of the two byte orders, the one that decodes the sample
    into mostly ordinary characters wins; binary data decodes into noise either way.
    """
    if len(data) % 2:
        return None
    sample = data[:_UTF16_SAMPLE_BYTES]
    if require_nul and not sample[0::2].count(0) and not sample[1::2].count(0):
        return None
    scores = {encoding: _ordinary_ratio(sample.decode(encoding, errors="replace")) for encoding in _UTF16}
    best = max(scores, key=lambda encoding: scores[encoding])
    return best if scores[best] >= _MIN_ORDINARY_RATIO else None


def _ordinary_ratio(text: str) -> float:
    return len(_ORDINARY_CHARS.findall(text)) / len(text) if text else 0.0


def plausible_text(text: str) -> str | None:
    """The decoded text, or None when NULs or many control characters say it is binary."""
    if "\x00" in text:
        return None
    controls = sum(1 for _ in _DISALLOWED_CONTROL.finditer(text))
    if text and controls / len(text) > _MAX_CONTROL_CHAR_RATIO:
        return None
    return text


def decode_or_fail(path: Path, data: bytes) -> str:
    text = decode_text(data)
    if text is None:
        raise LoadError(path, NOT_TEXT)
    if not remove_zero_width(text).strip():
        raise LoadError(path, EMPTY_FILE)
    return text


