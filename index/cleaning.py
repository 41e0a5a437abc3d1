"""Markup → the text a reader sees, with heading hints whose offsets point into that text.

Pure functions on ``str``. The rule everywhere: remove markup, never touch the words. The documents
use ``*`` as a redaction mark for digits and names ("*年*月*日", "整改措施*条"), which looks like markdown
emphasis, so ``*`` is only removed from clearly paired ``**bold**`` and never on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ZERO_WIDTH_CHARS = "\u200b\u200c\u200d\u2060\ufeff"
_ZERO_WIDTH = re.compile(f"[{ZERO_WIDTH_CHARS}]")

# Punctuation that may stand next to emphasis delimiters. '*' and '_' are left out on purpose: a
# delimiter touching another '*' or '_' is part of a redaction or a fill-in blank ("____年__月").
_PUNCTUATION = "".join(
    re.escape(c) for c in "!\"#$%&'()+,-./:;<=>?@[\\]^`{|}~，。、；：？！“”‘’（）《》〈〉【】「」『』〔〕—…·"
)
# A single bolded character is a redaction ("**年**月**日", "共**人") unless it is an enumeration
# numeral as in "**二**是".
_BOLD = re.compile(
    rf"(?<![^\s{_PUNCTUATION}])\*\*(?![\s*])([一二三四五六七八九十]|(?:(?!\*\*).){{2,}}?)(?<![\s*])\*\*(?!\*)"
)
_BOLD_LINE = re.compile(r"^\*\*(?![\s*])((?:(?!\*\*).){2,}?)(?<![\s*])\*\*$")
_UNDERSCORE_BOLD = re.compile(
    rf"(?<![^\s{_PUNCTUATION}])__(?![\s_])((?:(?!__).)+?)(?<![\s_])__(?![^\s{_PUNCTUATION}])"
)
_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_LINK = re.compile(r"\[([^\]\n]+)\]\(\s*<?[^)\s>]*>?(?:\s+[\"'(][^)\n]*[\"')])?\s*\)")
# A '#' needs a following space to be a heading: "#两会#" style hashtags are common in Chinese text.
_ATX_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_EMPTY_ATX_HEADING = re.compile(r"^#{1,6}$")
_BULLET = re.compile(r"^(?:[-+•·▪●◦]\s+|•)")
_BLOCKQUOTE = re.compile(r"^(?:>\s?)+")
_HORIZONTAL_RULE = re.compile(r"^-{3,}$")
_TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?$")
_SOURCE_LINK_LINE = re.compile(r"^\[(?:转入文章首发地址|原文链接|阅读原文|查看原文|原文地址)\]\([^)\n]*\)$")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_YAML_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*:")
_FRONT_MATTER_MAX_LINES = 200
_COMMENT_MARK = "\uffff"  # stands in for a removed comment: a Unicode noncharacter, never in real text

_STRUCTURAL_LINE = re.compile(
    r"^(?:第[一二三四五六七八九十百千零〇两\d]+[编章节条款部分]|[一二三四五六七八九十]+[、.．]"
    r"|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．]|各位代表|同志们)"
)
_TITLE_MAX_CHARS = 60
_TITLE_HEADING_WITHIN_LINES = 3
_SENTENCE_END = "。！？；：!?;:"
_CLOSERS = "”’）》」』)"
_FULL_LINE_RATIO = 0.85


@dataclass(frozen=True)
class HeadingHint:
    """A line the source marked up as a heading (markdown ``#``, a bold-only line, a heading style)."""

    start: int  # offsets into LoadedDocument.text, covering the heading line without markup
    end: int
    level: int  # 1..6 for markdown '#' levels; 0 for a bold-only line (level unknown)


@dataclass(frozen=True)
class CleanedText:
    text: str
    headings: tuple[HeadingHint, ...] = ()


class TextAssembler:
    """Builds text line by line, so a heading's offsets are known when its line is added.

    Trailing whitespace is dropped, runs of blank lines become one blank line, and the text neither
    starts nor ends with a blank line.
    """

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._length = 0
        self._headings: list[HeadingHint] = []
        self._blank_pending = False

    def add_line(self, line: str, heading_level: int | None = None) -> None:
        line = line.rstrip()
        if not line.strip():
            self.add_blank()
            return
        if self._blank_pending:
            self._append("")
            self._blank_pending = False
        start = self._append(line)
        if heading_level is not None:
            indent = len(line) - len(line.lstrip())
            self._headings.append(HeadingHint(start + indent, start + len(line), heading_level))

    def add_blank(self) -> None:
        self._blank_pending = bool(self._lines)

    def build(self) -> CleanedText:
        return CleanedText("\n".join(self._lines), tuple(self._headings))

    def _append(self, line: str) -> int:
        start = self._length + 1 if self._lines else 0
        self._lines.append(line)
        self._length = start + len(line)
        return start


def normalize_line_endings(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def remove_zero_width(text: str) -> str:
    """Zero-width characters are invisible but break substring matching of quotes."""
    return _ZERO_WIDTH.sub("", text)


def normalize_plain_text(text: str) -> str:
    """Plain text: unify line endings, drop zero-width characters, trailing spaces and extra blank lines."""
    assembler = TextAssembler()
    for line in remove_zero_width(normalize_line_endings(text)).split("\n"):
        assembler.add_line(line)
    return assembler.build().text


def strip_front_matter(text: str) -> str:
    """Remove a YAML front-matter block (``---`` … ``---`` at the very start); its title is crawler residue."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return text
    for i in range(1, min(len(lines), _FRONT_MATTER_MAX_LINES)):
        if lines[i].strip() in ("---", "..."):
            if any(_YAML_KEY.match(line) for line in lines[1:i]):
                return "\n".join(lines[i + 1 :])
            return text
    return text


def _glue(left: str, right: str) -> str:
    """What replaces a line break that only a comment caused: nothing in Chinese, a space between words."""
    if left[-1:].isascii() and left[-1:].isalnum() and right[:1].isascii() and right[:1].isalnum():
        return " "
    return ""


def remove_html_comments(text: str) -> str:
    """Remove ``<!-- … -->``. A comment on its own line inside a paragraph re-joins the two halves."""
    marked = _HTML_COMMENT.sub(_COMMENT_MARK, text)
    if _COMMENT_MARK not in marked:
        return text
    lines = marked.split("\n")

    def is_comment_only(line: str) -> bool:
        return _COMMENT_MARK in line and not line.replace(_COMMENT_MARK, "").strip()

    kept: list[str] = []
    join_with_previous = False
    for i, line in enumerate(lines):
        if is_comment_only(line):
            following = next((s for s in lines[i + 1 :] if not is_comment_only(s)), "")
            if kept and kept[-1].strip() and following.strip():
                join_with_previous = True
            continue
        line = line.replace(_COMMENT_MARK, "")
        if join_with_previous:
            left, right = kept[-1].rstrip(), line.lstrip()
            kept[-1] = left + _glue(left, right) + right
            join_with_previous = False
        else:
            kept.append(line)
    return "\n".join(kept)


def strip_inline_markup(line: str) -> str:
    """Images out, links to their text, paired ``**bold**`` / ``__bold__`` to their text; lone ``*`` stay."""
    line = _IMAGE.sub("", line)
    line = _LINK.sub(r"\1", line)
    line = _BOLD.sub(r"\1", line)
    return _UNDERSCORE_BOLD.sub(r"\1", line)


def _table_row(line: str) -> str:
    if len(line) > 1 and line.startswith("|") and line.endswith("|"):
        return " | ".join(cell.strip() for cell in line[1:-1].split("|"))
    return line


def _is_dropped_line(line: str) -> bool:
    return bool(
        _HORIZONTAL_RULE.match(line)
        or ("|" in line and _TABLE_SEPARATOR.match(line))
        or _SOURCE_LINK_LINE.match(line)
        or _EMPTY_ATX_HEADING.match(line)
    )


def clean_markdown(text: str) -> CleanedText:
    """Markdown → plain lines. Headings (``#`` and bold-only lines) become HeadingHints into the result."""
    text = remove_zero_width(normalize_line_endings(text))
    text = remove_html_comments(strip_front_matter(text))
    assembler = TextAssembler()
    for raw_line in text.split("\n"):
        # Leading spaces are indentation (often U+3000 paragraph indents), not content.
        line = _BLOCKQUOTE.sub("", raw_line.strip()).strip()
        if _is_dropped_line(line):
            continue
        heading = _ATX_HEADING.match(line)
        if heading:
            assembler.add_line(strip_inline_markup(heading.group(2)).strip(), len(heading.group(1)))
            continue
        bold_line = _BOLD_LINE.match(line)
        if bold_line:
            assembler.add_line(strip_inline_markup(bold_line.group(1)).strip(), 0)
            continue
        line = _BULLET.sub("", line)
        assembler.add_line(strip_inline_markup(_table_row(line)).strip())
    return assembler.build()


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(i + 1 for i, c in enumerate(text) if c == "\n")
    return starts


def _could_be_title(line: str) -> bool:
    return (
        len(line) <= _TITLE_MAX_CHARS
        and "。" not in line
        and "，" not in line
        and not line.endswith(("：", ":"))
        and not _STRUCTURAL_LINE.match(line)
    )


def guess_title(text: str, headings: tuple[HeadingHint, ...] = ()) -> str | None:
    """A heading on the first line or a level 1–2 heading near the top, else a short first line
    that is neither body text nor a structural marker ("第一章", "一、", "各位代表：")."""
    lines = text.split("\n")
    starts = _line_starts(text)
    non_empty = [i for i, line in enumerate(lines) if line.strip()]
    if not non_empty:
        return None
    first_start = starts[non_empty[0]]
    top_limit = (
        starts[non_empty[_TITLE_HEADING_WITHIN_LINES]]
        if len(non_empty) > _TITLE_HEADING_WITHIN_LINES
        else len(text)
    )
    for heading in headings:
        if heading.start >= top_limit:
            break
        heading_text = text[heading.start : heading.end].strip()
        on_first_line = heading.start < first_start + len(lines[non_empty[0]])
        if heading.level >= 1 and (on_first_line or heading.level <= 2) and _could_be_title(heading_text):
            return heading_text
    first = lines[non_empty[0]].strip()
    return first if _could_be_title(first) else None


def _is_cjk_ideograph(char: str) -> bool:
    code = ord(char)
    return 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x3134F


def _is_cjk(char: str) -> bool:
    """An ideograph or a full-width CJK punctuation mark."""
    code = ord(char)
    return _is_cjk_ideograph(char) or 0x3000 <= code <= 0x303F or 0xFF00 <= code <= 0xFFEF or char in "“”‘’…—"


def _display_width(line: str) -> float:
    return sum(0.5 if c.isascii() else 1.0 for c in line)


def _ends_mid_sentence(line: str) -> bool:
    last = line[-1]
    if last in _CLOSERS and len(line) > 1 and line[-2] in _SENTENCE_END:
        return False
    return last not in _SENTENCE_END and _is_cjk(last)


def join_wrapped_lines(text: str) -> str:
    """Undo line wrapping that PDF extraction leaves inside Chinese sentences.

    Joins a line to the next only when the line is (nearly) as wide as the widest line, ends with
    a CJK character other than 。！？；：, and the next line starts with a CJK character and is not
    a structural marker such as "第二条" or "（一）". Short lines (headings, paragraph ends) stay.
    """
    lines = text.split("\n")
    widest = max((_display_width(line.strip()) for line in lines), default=0.0)
    joined: list[str] = []
    previous_line_was_full = False  # of the last source line, not of the joined result
    for line in lines:
        stripped = line.strip()
        previous = joined[-1].rstrip() if joined else ""
        if (
            previous_line_was_full
            and stripped
            and _ends_mid_sentence(previous)
            and _is_cjk(stripped[0])
            and not _STRUCTURAL_LINE.match(stripped)
        ):
            joined[-1] = previous + stripped
        else:
            joined.append(line)
        previous_line_was_full = bool(stripped) and _display_width(stripped) >= _FULL_LINE_RATIO * widest
    return "\n".join(joined)
