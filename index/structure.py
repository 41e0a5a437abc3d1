"""Cleaned document text → a flat list of units, each with the section path it sits under.

Chinese official documents carry their structure in line-start markers: reports use 一、 /（一）/ 1. /
（1） headings and 一是…二是… measures; regulations use 第X编/章/节 headings and 第X条 articles. A unit
is the body text a citation quotes (a measure, an article or a plain paragraph); heading lines are not
units, their text goes into the ``headings`` of the units under them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from index.kinds import DocumentKind, is_rectification_title, is_reference_title, is_regulation_title
from index.loaders import HeadingHint, LoadedDocument
from index.text import CN_ORDINAL, chinese_number

MEASURE = "measure"
ARTICLE = "article"
PARAGRAPH = "paragraph"
ROW = "row"  # a row of a spreadsheet, delimited by the format itself

REGULATION = DocumentKind.REGULATION
REPORT = DocumentKind.REPORT
OTHER = DocumentKind.OTHER

# Longest first sentence still read as a heading ("（一）针对…方面问题。" followed by its measures).
HEADING_MAX_CHARS = 60
# Lines this short, unpunctuated and directly above an article are group headings ("党员廉洁自律规范").
ARTICLE_GROUP_HEADING_MAX_CHARS = 20
MIN_ARTICLES_FOR_REGULATION = 3

# Section levels, outermost first: unmarked markdown headings keep their '#' depth, everything else
# is ranked by the Chinese marker it starts with.
_LEVEL_BOLD_UNMARKED = 7
_LEVEL_BY_PART = {"编": 10, "章": 11, "节": 12}
_LEVEL_ARTICLE_GROUP = 13
_LEVEL_CN_ITEM = 20  # 一、
_LEVEL_CN_PAREN = 21  # （一）
_LEVEL_DIGIT_ITEM = 22  # 1.
_LEVEL_DIGIT_PAREN = 23  # （1）
# An interviewer's question (问：…) opens the section of its answer, inside whatever numbered section holds
# it: deeper than every marker, so the next question (or the next 一、) ends it. An answer's own 一是…五是
# are measures, not headings, and stay under it.
_LEVEL_QUESTION = 30

_CN_NUMBER = "[零〇一二两三四五六七八九十百千]+"
_NUMBER = rf"(?:{_CN_NUMBER}|\d+)"

_SPACE = " \t\r\n\u3000\u00a0\u200b\u200c\u200d\ufeff"

_PART_HEADING = re.compile(rf"第({_NUMBER})([编章节])")
# A following 的/、/规定… means a cross-reference that happens to open a line ("第十条规定的…").
_ARTICLE = re.compile(rf"第({_NUMBER})条(?![的、，,和及或与至之中规款项第])")
# Each label form on its own, not ITEM_LABEL: the form decides the heading level, and 一、 is a heading here.
_CN_ITEM = re.compile(rf"{CN_ORDINAL}+、")
_CN_PAREN = re.compile(rf"[（(]{CN_ORDINAL}+[)）]")
# The digit must not run on into a decimal ("1.5亿") or a year ("2021年" has no separator at all).
_DIGIT_ITEM = re.compile(r"\d{1,2}[.．、](?![\d.．])")
_DIGIT_PAREN = re.compile(r"[（(]\d{1,2}[)）]")
_REPORT_MARKERS = (
    (_CN_ITEM, _LEVEL_CN_ITEM),
    (_CN_PAREN, _LEVEL_CN_PAREN),
    (_DIGIT_ITEM, _LEVEL_DIGIT_ITEM),
    (_DIGIT_PAREN, _LEVEL_DIGIT_PAREN),
)
_MEASURE_SHI = re.compile(rf"({CN_ORDINAL}+)是")
_MEASURE_ORDINAL = re.compile(rf"第({CN_ORDINAL}+)[，,]")
_SENTENCE_END = re.compile(r"[。！？!?]")
# An interview's question line: 问：… / 记者：… (the answer follows as 答：…).
_QUESTION = re.compile(r"(?:问|提问|记者)[：:]\s*")
# Longest question line still read as a section heading; a longer one is a paragraph.
QUESTION_MAX_CHARS = 150
# Characters after which a new clause (and so a measure marker) may begin.
_CLAUSE_BREAKS = frozenset("。；！？：;!?:")
# A line ending in one of these ends its sentence; any other ending means the next line continues it.
_TERMINALS = frozenset("。；！？：;!?:…）)")
_CLOSING_QUOTES = frozenset("”’」』\"'")
_PUNCTUATION = frozenset("，。；：、！？,.;:!?（）()“”《》〈〉")
_TITLE = re.compile(r"《([^《》]{1,120})》")
_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class Unit:
    start: int  # span of the unit body in LoadedDocument.text
    end: int
    label: str  # its own marker: "五是", "第二十七条", or "" for plain paragraphs
    headings: tuple[str, ...]  # enclosing headings, outermost first
    kind: str  # MEASURE | ARTICLE | PARAGRAPH | ROW


@dataclass(frozen=True)
class Heading:
    start: int  # span of the heading text (a first-sentence heading includes its 。)
    end: int
    level: int  # 0 marks the document title line, which is no section
    text: str


@dataclass(frozen=True)
class Structure:
    kind: str  # REGULATION | REPORT | OTHER
    units: tuple[Unit, ...]
    headings: tuple[Heading, ...]


@dataclass(frozen=True)
class _Line:
    start: int  # content span, surrounding whitespace excluded
    end: int
    text: str
    hint: HeadingHint | None


@dataclass(frozen=True)
class _Paragraph:
    start: int
    end: int
    first: _Line  # the line it opens with; continuation lines only extend ``end``


# ---------------------------------------------------------------------------------------------------
# Public helpers


def extract_titles(text: str) -> tuple[str, ...]:
    """《…》 titles in order of first mention, deduplicated, brackets kept, inner whitespace dropped."""
    seen: dict[str, None] = {}
    for match in _TITLE.finditer(text):
        inner = "".join(match.group(1).split())
        if inner:
            seen.setdefault(f"《{inner}》", None)
    return tuple(seen)


def numeral_value(numeral: str) -> int:
    """'二十七' → 27, '一百零三' → 103, '12' → 12 (the markers' numerals are always well formed)."""
    return int(chinese_number(numeral) or 0)


def classify_document(doc: LoadedDocument) -> DocumentKind:
    """REGULATION with ≥3 articles at line starts or a rule's title, REFERENCE by its title (工作报告,
    答记者问 …), REPORT with report headings or measures, else OTHER."""
    lines = list(_content_lines(doc))
    if _count_articles(lines) >= MIN_ARTICLES_FOR_REGULATION:
        return REGULATION
    if is_regulation_title(doc.title):  # 《中央八项规定实施细则》 numbers its rules 1./2.
        return REGULATION
    if is_reference_title(doc.title):  # a work report or a press interview also enumerates 一是/二是
        return DocumentKind.REFERENCE
    if doc.units and is_rectification_title(doc.title):  # a 整改台账 or 清单 spreadsheet: its rows are measures
        return REPORT
    for line in lines:
        if _report_marker(line.text) is not None or _measure_starts(line.text):
            return REPORT
    return OTHER


def analyze(doc: LoadedDocument) -> Structure:
    """Classify the document and cut it into units with their section paths."""
    kind = classify_document(doc)
    if doc.units:  # the format delimits its units (spreadsheet rows): take them as they are
        return _given_structure(doc, kind)
    lines = list(_content_lines(doc))
    builder = _Builder(doc.text)
    if _count_articles(lines) >= MIN_ARTICLES_FOR_REGULATION:  # a rule without 第X条 reads like a report
        _parse_regulation(lines, builder)
    else:
        _parse_report(lines, builder)
    return Structure(kind=kind, units=tuple(builder.units), headings=tuple(builder.headings))


def _given_structure(doc: LoadedDocument, kind: str) -> Structure:
    units = []
    for hint in doc.units:
        start, end = trim_span(doc.text, hint.start, hint.end)
        if start < end:
            units.append(Unit(start, end, hint.label, hint.headings, PARAGRAPH if not hint.label else ROW))
    headings = tuple(Heading(h.start, h.end, h.level, doc.text[h.start : h.end]) for h in doc.headings)
    return Structure(kind=kind, units=tuple(units), headings=headings)


def split_units(doc: LoadedDocument) -> list[Unit]:
    return list(analyze(doc).units)


# ---------------------------------------------------------------------------------------------------
# Lines and paragraphs


def _content_lines(doc: LoadedDocument) -> Iterator[_Line]:
    hints = sorted(doc.headings, key=lambda h: h.start)
    offset = 0
    for raw in doc.text.split("\n"):
        start, end = offset, offset + len(raw)
        offset = end + 1
        stripped = raw.strip(_SPACE)
        if not stripped:
            continue
        lead = len(raw) - len(raw.lstrip(_SPACE))
        s, e = start + lead, start + lead + len(stripped)
        hint = next((h for h in hints if s <= h.start < e or h.start <= s < h.end), None)
        yield _Line(s, e, stripped, hint)


def _ends_sentence(text: str) -> bool:
    stripped = text.rstrip("".join(_CLOSING_QUOTES))
    if len(stripped) < len(text):
        return bool(stripped) and stripped[-1] in _TERMINALS
    return text[-1] in _TERMINALS


def _starts_structure(line: _Line, regulation: bool) -> bool:
    text = line.text
    if line.hint is not None or _PART_HEADING.match(text) or _measure_at(text, 0) is not None:
        return True
    if _question(text) is not None:
        return True
    if regulation:
        return bool(_ARTICLE.match(text)) or _report_marker(text) is not None
    return _report_marker(text) is not None


def _paragraphs(lines: list[_Line], regulation: bool) -> list[_Paragraph]:
    """Join lines broken mid-sentence (a line not ending its sentence, a '<!--more-->' cut) to the
    paragraph they belong to; a line with no word character on its own carries nothing and is dropped."""
    paragraphs: list[_Paragraph] = []
    previous: _Line | None = None
    for line in lines:
        structural = _starts_structure(line, regulation)
        continues = (
            paragraphs
            and previous is not None
            and not structural
            and not _is_heading_line(previous, regulation)
            and not _ends_sentence(previous.text)
        )
        if continues:
            last = paragraphs[-1]
            paragraphs[-1] = _Paragraph(last.start, line.end, last.first)
        elif structural or _WORD.search(line.text):
            paragraphs.append(_Paragraph(line.start, line.end, line))
        previous = line
    return paragraphs


def _is_heading_line(line: _Line, regulation: bool) -> bool:
    """A whole line that is a heading (its following line starts a new paragraph)."""
    if line.hint is not None:
        return True
    if _part_heading(line.text) is not None:
        return True
    if _question(line.text) is not None:
        return True
    if regulation:
        return False
    marker = _report_marker(line.text)
    return marker is not None and _whole_line_heading(line.text)


# ---------------------------------------------------------------------------------------------------
# Markers


def _report_marker(text: str) -> tuple[str, int] | None:
    for pattern, level in _REPORT_MARKERS:
        match = pattern.match(text)
        if match and len(text) > match.end():
            return match.group(0), level
    return None


def _part_heading(text: str) -> int | None:
    """Level of a 第X编/章/节 heading line, or None."""
    match = _PART_HEADING.match(text)
    if match is None or len(text) > 40 or _SENTENCE_END.search(text):
        return None
    return _LEVEL_BY_PART[match.group(2)]


def _question(text: str) -> str | None:
    """The words of an interviewer's question on a line of its own (问：请介绍一下制定《意见》的背景。 → 请介绍一下
    制定《意见》的背景), or None when the line is none."""
    match = _QUESTION.match(text)
    if match is None or not match.end() < len(text) <= QUESTION_MAX_CHARS:
        return None
    return text[match.end() :].rstrip("。 \u3000")


def _article_number(text: str) -> int | None:
    match = _ARTICLE.match(text)
    return numeral_value(match.group(1)) if match else None


def _count_articles(lines: list[_Line]) -> int:
    count, last = 0, 0
    for line in lines:
        number = _article_number(line.text)
        if number is not None and (number > last or number == 1):
            count, last = count + 1, number
    return count


def _measure_at(text: str, pos: int) -> tuple[str, int, str] | None:
    """(label, number, family) of a measure marker starting exactly at ``pos``."""
    for family, pattern in (("是", _MEASURE_SHI), ("第", _MEASURE_ORDINAL)):
        match = pattern.match(text, pos)
        if match:
            label = match.group(0).rstrip("，,")
            return label, numeral_value(match.group(1)), family
    return None


def _at_clause_start(text: str, pos: int) -> bool:
    """True at the start of ``text`` or right after 。；！？： (closing quotes and spaces allowed between)."""
    i = pos - 1
    while i >= 0 and (text[i] in _SPACE or text[i] in _CLOSING_QUOTES):
        i -= 1
    return i < 0 or text[i] in _CLAUSE_BREAKS


def _measure_starts(body: str) -> list[tuple[int, str]]:
    """Offsets and labels of the measures in one paragraph body.

    A marker counts at the body start, or after a clause break when it continues the sequence the
    paragraph began (一是 → 二是 → …), so "统一是" or a stray "三是" never splits a measure.
    """
    starts: list[tuple[int, str]] = []
    expected, family = 1, ""
    for pos in sorted(
        {m.start() for m in _MEASURE_SHI.finditer(body)}
        | {m.start() for m in _MEASURE_ORDINAL.finditer(body)}
    ):
        found = _measure_at(body, pos)
        if found is None or not _at_clause_start(body, pos):
            continue
        label, number, fam = found
        if pos == 0 or (number == expected and fam == (family or fam)):
            starts.append((pos, label))
            expected, family = number + 1, fam
    return starts


def _whole_line_heading(text: str) -> bool:
    """A marked line that is a heading in full: short, one sentence at most."""
    if len(text) > HEADING_MAX_CHARS:
        return False
    match = _SENTENCE_END.search(text)
    return match is None or match.end() == len(text)


def _marker_label(marker: str) -> str:
    return marker.replace("(", "（").replace(")", "）").replace("．", ".")


# ---------------------------------------------------------------------------------------------------
# Building units


class _Builder:
    def __init__(self, text: str) -> None:
        self.text = text
        self.units: list[Unit] = []
        self.headings: list[Heading] = []
        self._stack: list[tuple[int, str]] = []

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(text for _, text in self._stack)

    def heading(self, start: int, end: int, level: int, text: str) -> None:
        self.headings.append(Heading(start, end, level, text))
        if level == 0:
            return
        self.close(level)
        self._stack.append((level, text))

    def close(self, level: int) -> None:
        """End the sections at ``level`` and deeper (a numbered item that is no heading)."""
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()

    def unit(self, start: int, end: int, label: str, kind: str) -> None:
        start, end = trim_span(self.text, start, end)
        if start < end:
            self.units.append(Unit(start, end, label, self.path, kind))

    def extend_last(self, end: int) -> None:
        last = self.units[-1]
        self.units[-1] = Unit(last.start, max(last.end, end), last.label, last.headings, last.kind)


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) past whitespace (zero-width spaces included) on both sides."""
    while start < end and text[start] in _SPACE:
        start += 1
    while end > start and text[end - 1] in _SPACE:
        end -= 1
    return start, end


def _hint_heading_level(line: _Line) -> int:
    """Level of a markup heading: its Chinese marker's if it has one, else its markdown depth."""
    part = _part_heading(line.text)
    if part is not None:
        return part
    marker = _report_marker(line.text)
    if marker is not None:
        return marker[1]
    assert line.hint is not None
    return line.hint.level if line.hint.level > 0 else _LEVEL_BOLD_UNMARKED


def _title_or_heading(builder: _Builder, line: _Line, is_first: bool) -> None:
    level = _hint_heading_level(line)
    is_title = is_first and line.hint is not None and line.hint.level > 0 and level <= 6
    builder.heading(line.start, line.end, 0 if is_title else level, line.text)


def _parse_report(lines: list[_Line], builder: _Builder) -> None:
    paragraphs = _paragraphs(lines, regulation=False)
    first_line = lines[0] if lines else None
    absorb_next = False  # a one-sentence measure line takes the paragraph explaining it
    for index, para in enumerate(paragraphs):
        line = para.first
        following = paragraphs[index + 1].first.text if index + 1 < len(paragraphs) else None
        if line.hint is not None and para.end == line.end:
            _title_or_heading(builder, line, line is first_line)
            absorb_next = False
        elif para.end == line.end and (question := _question(line.text)) is not None:
            builder.heading(line.start, line.end, _LEVEL_QUESTION, question)
            absorb_next = False
        elif _report_marker(line.text) is not None:
            _marked_paragraph(builder, para, following)
            absorb_next = False
        elif absorb_next and _measure_at(line.text, 0) is None:
            builder.extend_last(para.end)
            absorb_next = False
        else:
            count = _emit_measures(builder, para.start, para.end, "")
            last = builder.units[-1] if count else None
            absorb_next = (
                count == 1
                and last is not None
                and last.kind == MEASURE
                and last.start == para.start
                and _whole_line_heading(builder.text[para.start : para.end])
            )


def _marked_paragraph(builder: _Builder, para: _Paragraph, following: str | None) -> None:
    """一、/（一）/1./（1） paragraph: a heading (whole line, or first sentence before its body), or, when
    nothing sits under it, a numbered item of its own."""
    marker = _report_marker(para.first.text)
    assert marker is not None
    label, level = marker
    after = para.start + len(label)
    if _measure_at(builder.text, after) is not None:  # "（一）一是…。二是…": the measures are the body
        builder.heading(para.start, after, level, label)
        _emit_measures(builder, after, para.end, "")
        return
    heading_end = _heading_sentence_end(builder.text, para, para.first.text)
    if heading_end == para.end and not _has_children(level, following):
        heading_end = None
    if heading_end is None:
        builder.close(level)
        _emit_measures(builder, para.start, para.end, _marker_label(label))
        return
    text = builder.text[para.start : heading_end].rstrip("。 \u3000")
    builder.heading(para.start, heading_end, level, text)
    if heading_end < para.end:
        _emit_measures(builder, heading_end, para.end, "")


def _has_children(level: int, following: str | None) -> bool:
    """A heading line needs something under it: the next paragraph is not a sibling or an outer item."""
    if following is None:
        return False
    marker = _report_marker(following)
    return marker is None or marker[1] > level


def _heading_sentence_end(text: str, para: _Paragraph, first_line: str) -> int | None:
    """End offset of the heading part of a marked paragraph (through its 。), or None if it is no heading."""
    if para.end == para.first.end and _whole_line_heading(first_line):
        return para.end
    body = text[para.start : para.end]
    match = _SENTENCE_END.search(body)
    if match is None or match.start() > HEADING_MAX_CHARS or "\n" in body[: match.start()]:
        return None
    return para.start + match.end()


def _emit_measures(builder: _Builder, start: int, end: int, lead_label: str) -> int:
    """Units for one paragraph body: its lead-in, then one unit per measure. Returns the unit count."""
    body = builder.text[start:end]
    offset = len(body) - len(body.lstrip(_SPACE))
    starts = [(offset + pos, label) for pos, label in _measure_starts(body[offset:])]
    before = len(builder.units)
    first = starts[0][0] if starts else len(body)
    builder.unit(start, start + first, lead_label, PARAGRAPH)
    bounds = [pos for pos, _ in starts[1:]] + [len(body)]
    for (pos, label), stop in zip(starts, bounds, strict=False):
        builder.unit(start + pos, start + stop, label, MEASURE)
    return len(builder.units) - before


def _parse_regulation(lines: list[_Line], builder: _Builder) -> None:
    paragraphs = _paragraphs(lines, regulation=True)
    first_line = lines[0] if lines else None
    in_article = False
    last_number = 0
    for index, para in enumerate(paragraphs):
        line = para.first
        part = _part_heading(line.text)
        if line.hint is not None and para.end == line.end:
            _title_or_heading(builder, line, line is first_line)
            in_article = False
            continue
        if part is not None:
            builder.heading(line.start, line.end, part, line.text)
            in_article = False
            continue
        number = _article_number(line.text)
        if number is not None and (number > last_number or number == 1):
            match = _ARTICLE.match(line.text)
            assert match is not None
            builder.unit(para.start, para.end, match.group(0), ARTICLE)
            in_article, last_number = True, number
            continue
        following = paragraphs[index + 1].first.text if index + 1 < len(paragraphs) else ""
        if _is_article_group_heading(line.text, para, following):
            builder.heading(line.start, line.end, _LEVEL_ARTICLE_GROUP, line.text)
            in_article = False
            continue
        if in_article:
            builder.extend_last(para.end)
        else:
            builder.unit(para.start, para.end, "", PARAGRAPH)


def _is_article_group_heading(text: str, para: _Paragraph, following: str) -> bool:
    return (
        para.end == para.first.end
        and len(text) <= ARTICLE_GROUP_HEADING_MAX_CHARS
        and not any(ch in _PUNCTUATION for ch in text)
        and _ARTICLE.match(following) is not None
    )
