"""File → cleaned text a reader would see, with page offsets and heading hints.

Contract (used by structure/chunking): ``LoadedDocument.text`` is the canonical document text. Every
chunk offset and every citation points into it, so it must read exactly like the document (markup
removed, words untouched).
"""

from __future__ import annotations

import codecs
import io
import os
import re
import shutil
import signal
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer
import docx
from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString
from docx.document import Document as DocxDocument
from docx.opc.exceptions import PackageNotFoundError
from docx.styles.style import ParagraphStyle
from docx.table import Table
from docx.text.paragraph import Paragraph
from pypdf import PdfReader
from pypdf.errors import DependencyError, PdfStreamError

from index.cleaning import (
    CleanedText,
    HeadingHint,
    TextAssembler,
    clean_markdown,
    guess_title,
    join_wrapped_lines,
    normalize_plain_text,
    remove_zero_width,
)

__all__ = [
    "MAX_FILE_MB",
    "MAX_TEXT_CHARS",
    "SUPPORTED_SUFFIXES",
    "HeadingHint",
    "LoadError",
    "LoadedDocument",
    "decode_text",
    "load_document",
]


class LoadError(Exception):
    """A file that cannot be turned into text. The message is for the user, in Chinese."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


@dataclass(frozen=True)
class LoadedDocument:
    path: Path
    text: str
    title: str
    # Offset in ``text`` where each page starts (PDF); empty when the format has no pages.
    page_starts: tuple[int, ...] = ()
    headings: tuple[HeadingHint, ...] = field(default_factory=tuple)

    def page_at(self, offset: int) -> int | None:
        """1-based page number holding ``offset``, or None for page-less formats."""
        if not self.page_starts:
            return None
        page = 0
        for i, start in enumerate(self.page_starts):
            if start <= offset:
                page = i
            else:
                break
        return page + 1


SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".docx", ".pdf", ".html", ".htm", ".doc", ".wps")

EMPTY_FILE = "文件为空"
NOT_TEXT = "不是文本文件（疑似二进制）"
SCANNED_PDF = "扫描件，无文字层，无法提取文字（需先做 OCR）"
UNDECODABLE_PDF = "PDF 文字层无法解码（字体缺少文字映射，提取出的是乱码），需先做 OCR"
NO_LIBREOFFICE = "无法读取 .doc/.wps：本机未安装 LibreOffice（安装后即可自动转换，或另存为 .docx）"
CONVERSION_TIMEOUT_SECONDS = 120
NOT_PDF = "不是 PDF 文件（文件开头没有 %PDF 标记，可能是改了扩展名的其他文件）"
NO_DOCX_BODY = "压缩包中没有 Word 正文（word/document.xml），不是 Word 文档"
PDF_NEEDS_CRYPTOGRAPHY = "PDF 已加密（AES），本机缺少解密组件 cryptography，无法读取（安装 cryptography 或先解除加密）"

# Limits that keep one oversized file from stalling a whole run. Read at call time, so they can be
# changed here (or patched) without touching anything else. Bytes guard memory (the file is read
# whole); characters bound the work: about 2,500–5,000 chunks per 1,000,000 characters, i.e. roughly a
# minute of embedding on 2 cores. A file over either limit fails with a reason saying so.
MAX_FILE_MB: float = 50
MAX_TEXT_CHARS = 1_000_000

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
_MIN_CHARS_PER_TEXT_PAGE = 5
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc/.wps container
_ZIP_MAGIC = b"PK\x03\x04"
_DOCX_MAIN_PART = "word/document.xml"
_PDF_MAGIC = b"%PDF-"
_PDF_HEADER_WITHIN = 1024  # readers accept a header after up to 1 KB of leading junk
_DOCX_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)
_DOCX_TITLE_STYLES = {"title", "标题"}
_STYLE_INHERITANCE_DEPTH = 4
_HTML_DROPPED_TAGS = frozenset("script style nav header footer noscript template head svg iframe".split())
_HTML_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_HTML_BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details dialog div dl dt fieldset figcaption"
    " figure hr html li main ol p section summary table tbody tfoot thead ul".split()
)
_HTML_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
_CJK_CHAR = r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’]"
_HTML_WRAP_BETWEEN_CJK = re.compile(rf"(?<={_CJK_CHAR})[ \t]*\n[ \t\n\r\f]*(?={_CJK_CHAR})")


def load_document(path: Path | str) -> LoadedDocument:
    """Load and clean one file. Raises LoadError naming the file and the reason."""
    path = Path(path)
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        shown = suffix or "（无扩展名）"
        raise LoadError(path, f"不支持的文件类型 {shown}（支持：{'、'.join(SUPPORTED_SUFFIXES)}）")
    data = _read_bytes(path)
    if not data:
        raise LoadError(path, EMPTY_FILE)
    document = reader(path, data)
    if not document.text.strip():
        raise LoadError(path, EMPTY_FILE)
    if len(document.text) > MAX_TEXT_CHARS:
        raise LoadError(
            path,
            f"文字过多（本文件约 {_wan(len(document.text))} 万字，超过 {_wan(MAX_TEXT_CHARS)} 万字的上限），请拆分后再导入",
        )
    return document


def _wan(chars: int) -> str:
    """A character count in 万 (10,000), as people say it: 100, 1.5, 0.2."""
    return f"{chars / 10_000:.1f}".removesuffix(".0")


def _megabytes(size: float) -> str:
    return f"{size:.1f}".removesuffix(".0") if size >= 0.1 else f"{size:g}"


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise LoadError(path, "文件不存在")
    if not path.is_file():
        raise LoadError(path, "不是普通文件（可能是文件夹）")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_MB * 1024 * 1024:
            shown = _megabytes(size / 1024 / 1024)
            raise LoadError(path, f"文件过大（超过 {_megabytes(MAX_FILE_MB)} MB，本文件 {shown} MB），请拆分后再导入")
        return path.read_bytes()
    except PermissionError as exc:
        raise LoadError(path, "没有读取权限") from exc
    except OSError as exc:
        raise LoadError(path, f"无法读取文件：{exc.strerror or exc}") from exc


# ---------------------------------------------------------------- plain text and markdown


def decode_text(data: bytes) -> str | None:
    """Bytes → str without mangling: BOM, BOM-less UTF-16, strict UTF-8, strict GB18030, UTF-8 cut off
    inside its last character, UTF-16 without NUL bytes, then detection.

    Returns None when the bytes do not look like text in any of these encodings.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _plausible_text(data[len(bom) :].decode(encoding))
            except UnicodeDecodeError:
                break
    text = _decode_bomless_utf16(data, require_nul=True)
    if text is not None:
        return text
    # GB18030 after UTF-8: valid UTF-8 Chinese is almost never valid GB18030, and GBK is a subset of it.
    for encoding in ("utf-8", "gb18030"):
        try:
            text = _plausible_text(data.decode(encoding))
        except UnicodeDecodeError:
            continue
        if text is not None:
            return text
    # A UTF-8 file cut off inside its last character (an interrupted copy): keep every whole character.
    try:
        text = _plausible_text(codecs.getincrementaldecoder("utf-8")().decode(data.removeprefix(codecs.BOM_UTF8)))
    except UnicodeDecodeError:
        text = None
    if text:
        return text
    # Chinese-only UTF-16 may contain no NUL at all; neither UTF-8 nor GB18030 accepted it.
    text = _decode_bomless_utf16(data, require_nul=False)
    if text is not None:
        return text
    best = charset_normalizer.from_bytes(data).best()
    return _plausible_text(str(best)) if best is not None else None


def _decode_bomless_utf16(data: bytes, *, require_nul: bool) -> str | None:
    encoding = _bomless_utf16_encoding(data, require_nul=require_nul)
    if encoding is None:
        return None
    try:
        return _plausible_text(data.decode(encoding))
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


def _plausible_text(text: str) -> str | None:
    """The decoded text, or None when NULs or many control characters say it is binary."""
    if "\x00" in text:
        return None
    controls = sum(1 for _ in _DISALLOWED_CONTROL.finditer(text))
    if text and controls / len(text) > _MAX_CONTROL_CHAR_RATIO:
        return None
    return text


def _decode_or_fail(path: Path, data: bytes) -> str:
    text = decode_text(data)
    if text is None:
        raise LoadError(path, NOT_TEXT)
    if not remove_zero_width(text).strip():
        raise LoadError(path, EMPTY_FILE)
    return text


def _document(path: Path, cleaned: CleanedText, page_starts: tuple[int, ...] = ()) -> LoadedDocument:
    title = _choose_title(path, guess_title(cleaned.text, cleaned.headings))
    return LoadedDocument(path, cleaned.text, title, page_starts, cleaned.headings)


def _choose_title(path: Path, *candidates: str | None) -> str:
    """The first candidate, unless the file name says the same and more ("政府工作报告" in
    "2024年国务院政府工作报告"): several files would otherwise share one title."""
    title = next((c for c in candidates if c), None)
    if title is None or title in path.stem:
        return path.stem
    return title


def _load_plain_text(path: Path, data: bytes) -> LoadedDocument:
    return _document(path, CleanedText(normalize_plain_text(_decode_or_fail(path, data))))


def _load_markdown(path: Path, data: bytes) -> LoadedDocument:
    return _document(path, clean_markdown(_decode_or_fail(path, data)))


# ---------------------------------------------------------------- docx


def _load_docx(path: Path, data: bytes) -> LoadedDocument:
    if data.startswith(_OLE_MAGIC):  # a legacy .doc saved with a .docx name
        return _load_legacy_word(path, data)
    if data.startswith(_ZIP_MAGIC) and not _zip_has(data, _DOCX_MAIN_PART):
        raise LoadError(path, f"docx 文件损坏或格式不正确：{NO_DOCX_BODY}")
    try:
        return _document(path, _docx_text(docx.Document(io.BytesIO(data))))
    except LoadError:
        raise
    except Exception as exc:  # python-docx/lxml raise many exception types on malformed input
        raise LoadError(path, f"docx 文件损坏或格式不正确：{_describe_docx_error(exc)}") from exc


def _zip_has(data: bytes, name: str) -> bool:
    """Whether a zip archive lists ``name``; False for a damaged archive (its reader says why)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return name in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return True  # let python-docx report the damage


def _describe_docx_error(exc: Exception) -> str:
    if isinstance(exc, zipfile.BadZipFile | PackageNotFoundError):
        return "不是完整的 docx 压缩包（文件可能被截断或并非 Word 文档）"
    if isinstance(exc, KeyError):
        return f"缺少必需的文档部件 {exc}"
    return f"{type(exc).__name__}: {exc}"


def _docx_text(document: DocxDocument) -> CleanedText:
    assembler = TextAssembler()
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            _add_docx_paragraph(assembler, block)
        else:
            _add_docx_table(assembler, block)
    return assembler.build()


def _add_docx_paragraph(assembler: TextAssembler, paragraph: Paragraph) -> None:
    level = _docx_heading_level(paragraph.style)
    if level is not None:
        assembler.add_line(" ".join(paragraph.text.split("\n")), level)
        return
    for line in paragraph.text.split("\n"):
        assembler.add_line(line)


def _docx_heading_level(style: ParagraphStyle | None) -> int | None:
    """Heading level from the style or the style it is based on ("Heading 2", "标题 2", "Title")."""
    for _ in range(_STYLE_INHERITANCE_DEPTH):
        if style is None:
            return None
        name = (style.name or "").strip()
        match = _DOCX_HEADING_STYLE.match(name)
        if match:
            return max(1, int(match.group(1)))
        if name.lower() in _DOCX_TITLE_STYLES:
            return 1
        style = style.base_style
    return None


def _add_docx_table(assembler: TextAssembler, table: Table) -> None:
    assembler.add_blank()
    for row in table.rows:
        cells: list[str] = []
        seen: list[object] = []
        for cell in row.cells:
            # A merged cell is returned once per grid column it spans; keep it once.
            if any(cell._tc is other for other in seen):
                continue
            seen.append(cell._tc)
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            assembler.add_line(" | ".join(cells))
    assembler.add_blank()


# ---------------------------------------------------------------- .doc / .wps via LibreOffice


def _load_legacy_word(path: Path, data: bytes) -> LoadedDocument:
    if data.startswith(_ZIP_MAGIC):  # a .docx saved with a .doc/.wps name
        return _load_docx(path, data)
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        raise LoadError(path, NO_LIBREOFFICE)
    with tempfile.TemporaryDirectory(prefix="zgt-convert-") as tmp:
        workdir = Path(tmp)
        # A plain ASCII copy: avoids quoting trouble with odd file names and works for a .doc named .docx.
        source = workdir / "source.doc"
        source.write_bytes(data)
        outdir = workdir / "out"
        command = [
            office,
            # Own profile: with the user's LibreOffice already open, a shared profile makes
            # headless conversion silently do nothing.
            f"-env:UserInstallation={(workdir / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "docx",
            "--outdir",
            str(outdir),
            str(source),
        ]
        error_output = _run_conversion(path, command)
        converted = outdir / "source.docx"
        if not converted.is_file():
            detail = error_output.strip()[-300:] or "未生成 docx 文件"
            raise LoadError(path, f"LibreOffice 转换失败：{detail}")
        return _load_docx(path, converted.read_bytes())


def _run_conversion(path: Path, command: list[str]) -> str:
    """Run the converter with a timeout; returns its stderr. Kills the whole process group on timeout,
    because soffice is a launcher that leaves soffice.bin running if only the launcher is killed."""
    try:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise LoadError(path, f"无法启动 LibreOffice：{exc}") from exc
    try:
        _, stderr = process.communicate(timeout=CONVERSION_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired as exc:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise LoadError(path, f"LibreOffice 转换超时（超过 {CONVERSION_TIMEOUT_SECONDS} 秒）") from exc
    return stderr.decode("utf-8", errors="replace")


# ---------------------------------------------------------------- pdf


def _load_pdf(path: Path, data: bytes) -> LoadedDocument:
    page_texts = _pdf_page_texts(path, data)
    if not page_texts:
        raise LoadError(path, "PDF 没有任何页面")
    visible_chars = sum(len("".join(text.split())) for text in page_texts)
    if visible_chars < _MIN_CHARS_PER_TEXT_PAGE * len(page_texts):
        raise LoadError(path, SCANNED_PDF)
    if _plausible_text("\n".join(page_texts)) is None:
        raise LoadError(path, UNDECODABLE_PDF)
    page_starts: list[int] = []
    offset = 0
    for text in page_texts:
        page_starts.append(offset)
        offset += len(text) + 1  # pages are joined with "\n"
    cleaned = CleanedText("\n".join(page_texts))
    return _document(path, cleaned, tuple(page_starts))


def _pdf_page_texts(path: Path, data: bytes) -> list[str]:
    if _PDF_MAGIC not in data[:_PDF_HEADER_WITHIN]:
        raise LoadError(path, NOT_PDF)
    # pypdf raises many exception types on malformed input, hence the broad excepts.
    try:
        reader = PdfReader(io.BytesIO(data))
    except Exception as exc:
        raise LoadError(path, f"PDF 文件损坏或格式不正确：{_describe_pdf_error(exc)}") from exc
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except DependencyError as exc:
            raise LoadError(path, PDF_NEEDS_CRYPTOGRAPHY) from exc
        except Exception as exc:
            raise LoadError(path, f"PDF 已加密，无法解密：{exc}") from exc
        if not opened:
            raise LoadError(path, "PDF 已加密，需要密码才能打开（请先解除密码再导入）")
    try:
        raw_pages = [page.extract_text() or "" for page in reader.pages]
    except DependencyError as exc:  # AES content: decrypt("") succeeds, reading the text needs cryptography
        raise LoadError(path, PDF_NEEDS_CRYPTOGRAPHY) from exc
    except Exception as exc:
        raise LoadError(path, f"PDF 文件损坏，无法提取文字：{_describe_pdf_error(exc)}") from exc
    return [join_wrapped_lines(normalize_plain_text(text)) for text in raw_pages]


def _describe_pdf_error(exc: Exception) -> str:
    if isinstance(exc, PdfStreamError) or "EOF" in str(exc):
        return f"文件不完整，可能被截断（{exc}）"
    return f"{type(exc).__name__}: {exc}"


# ---------------------------------------------------------------- html


def _load_html(path: Path, data: bytes) -> LoadedDocument:
    soup = BeautifulSoup(_decode_or_fail(path, data), "html.parser")
    page_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    collector = _HtmlTextCollector()
    collector.walk(soup)
    cleaned = collector.finish()
    title = _choose_title(path, guess_title(cleaned.text, cleaned.headings), page_title)
    return LoadedDocument(path, cleaned.text, title, (), cleaned.headings)


def _collapse_html_whitespace(text: str) -> str:
    """Source line wraps between Chinese characters vanish when rendered; other whitespace runs are one space."""
    text = remove_zero_width(_HTML_WRAP_BETWEEN_CJK.sub("", text))
    return _HTML_WHITESPACE.sub(" ", text).strip()


class _HtmlTextCollector:
    """Walks the parse tree; each block element and each <br> ends a line."""

    def __init__(self) -> None:
        self._assembler = TextAssembler()
        self._pending: list[str] = []

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, PreformattedString):  # comments, doctype, CDATA
                continue
            if isinstance(child, NavigableString):
                self._pending.append(str(child))
            elif isinstance(child, Tag):
                self._walk_tag(child)

    def finish(self) -> CleanedText:
        self._flush()
        return self._assembler.build()

    def _walk_tag(self, tag: Tag) -> None:
        name = tag.name.lower()
        if name in _HTML_DROPPED_TAGS:
            return
        if name in _HTML_HEADINGS:
            self._flush()
            self._assembler.add_line(_collapse_html_whitespace(tag.get_text()), _HTML_HEADINGS[name])
        elif name == "tr":
            self._flush()
            cells = [
                _collapse_html_whitespace(cell.get_text(" "))
                for cell in tag.find_all(["td", "th"], recursive=False)
            ]
            if any(cells):
                self._assembler.add_line(" | ".join(cells))
        elif name == "br":
            self._flush()
        elif name == "pre":
            self._flush()
            for line in normalize_plain_text(tag.get_text()).split("\n"):
                self._assembler.add_line(line)
        elif name in _HTML_BLOCK_TAGS:
            self._flush()
            self.walk(tag)
            self._flush()
        else:
            self.walk(tag)

    def _flush(self) -> None:
        line = _collapse_html_whitespace("".join(self._pending))
        self._pending.clear()
        if line:
            self._assembler.add_line(line)


_READERS: dict[str, Callable[[Path, bytes], LoadedDocument]] = {
    ".txt": _load_plain_text,
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".docx": _load_docx,
    ".pdf": _load_pdf,
    ".html": _load_html,
    ".htm": _load_html,
    ".doc": _load_legacy_word,
    ".wps": _load_legacy_word,
}
