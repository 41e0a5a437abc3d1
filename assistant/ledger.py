"""整改台账: every rectification measure of the indexed reports, one row each, ready for a spreadsheet.

A row is one measure unit the chunker found (label 一是 / 第一 / 3. / （1） …) in a report. A long measure
is stored as several overlapping chunks; the row joins them back, so its text is exactly the span
``document.text[start:end]`` of the measure, never a chunk boundary artefact.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from index.chunking import SECTION_SEPARATOR, Chunk
from index.structure import extract_titles

if TYPE_CHECKING:
    from assistant.workspace import Workspace

REPORT = "report"
REGULATION = "regulation"

HEADER = ("序号", "文件", "问题领域", "序号标记", "整改措施", "涉及文件")
COLUMN_WIDTHS = (6, 28, 40, 9, 90, 36)
TITLES_JOINER = "\n"

_CN = "[一二三四五六七八九十百零〇两]+"
# Enumeration markers of a measure: 五是, 第一（、，）, 3. / 3、, （1）, and the leaf items （二）/ 二、 that
# the chunker labels only when nothing sits under them. 第X条/章/节/编 never match.
MEASURE_LABEL = re.compile(
    rf"^(?:{_CN}是|第{_CN}[、，,]?|\d{{1,2}}[.．、]|[（(]\d{{1,2}}[)）]|[（(]{_CN}[)）]|{_CN}、)$"
)
# Names of normative documents: a file the structure classifier could not see articles in (the 1. 2.
# items of 《中央八项规定实施细则》) is still a regulation, not a report, when its title says so.
_REGULATION_TITLE = re.compile(r"(?:法|条例|规定|细则|准则|办法|规则|规程|守则)$")
_TITLE_NOISE = re.compile(r"[（(](?:试行|修订|修正|草案|\d{4}年?(?:修订|修正)?)[)）]$|\s*\d{4}年?$")


def plain_title(title: str) -> str:
    """A document title without surrounding 《》, whitespace or a trailing year/（试行）."""
    text = "".join(title.split())
    if text.startswith("《") and text.endswith("》") and text.count("《") == 1:
        text = text[1:-1]
    previous = None
    while previous != text:
        previous, text = text, _TITLE_NOISE.sub("", text)
    return text


def document_kind(chunk: Chunk) -> str:
    """The chunk's document kind, with regulation-named documents counted as regulations."""
    if chunk.kind != REGULATION and _REGULATION_TITLE.search(plain_title(chunk.title)):
        return REGULATION
    return chunk.kind


def is_measure_label(label: str) -> bool:
    return bool(label) and MEASURE_LABEL.match(label) is not None


def area_of(chunk: Chunk) -> str:
    """The section path a chunk sits under, without its own label."""
    parts = chunk.section.split(SECTION_SEPARATOR) if chunk.section else []
    if chunk.label and parts and parts[-1] == chunk.label:
        parts = parts[:-1]
    return SECTION_SEPARATOR.join(parts)


@dataclass(frozen=True)
class LedgerRow:
    doc: str  # file name
    doc_id: str
    title: str  # document title
    area: str  # problem area: the headings above the measure, joined by " › "
    label: str  # "五是", "3.", "（1）"
    text: str  # the whole measure, exactly document.text[start:end]
    start: int
    end: int
    page: int | None
    titles: tuple[str, ...]  # 《…》 documents the measure names, in order of first mention
    pieces: int = 1  # chunks joined into this row

    def to_json(self) -> dict[str, object]:
        return {
            "doc": self.doc,
            "title": self.title,
            "area": self.area,
            "label": self.label,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "page": self.page,
            "titles": list(self.titles),
        }


TextLoader = Callable[[str], str | None]


def build_ledger(ws: Workspace, docs: Sequence[str] | None = None) -> list[LedgerRow]:
    """Rows for every measure of the indexed reports (or of ``docs``: file names or titles)."""
    return ledger_from_chunks((e.chunk for e in ws.lexical.entries()), docs=docs, load_text=document_text_loader(ws))


def ledger_from_chunks(
    chunks: Iterable[Chunk], *, docs: Sequence[str] | None = None, load_text: TextLoader | None = None
) -> list[LedgerRow]:
    wanted = set(docs or ())
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        if wanted and chunk.doc not in wanted and chunk.title not in wanted:
            continue
        if document_kind(chunk) != REPORT:
            continue
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    rows: list[LedgerRow] = []
    for doc_id, doc_chunks in by_doc.items():
        document_text = cached_text(load_text, doc_id)
        for group in unit_groups(doc_chunks):
            if is_measure_label(group[0].label):
                rows.extend(_row(joined) for joined in join_pieces(group, document_text))
    rows.sort(key=lambda r: (r.doc, r.start))
    return rows


# ---------------------------------------------------------------------------------------------------
# Units split over several chunks


@dataclass(frozen=True)
class Joined:
    """Consecutive pieces of one unit joined back: ``text`` is exactly document.text[start:end]."""

    first: Chunk
    text: str
    start: int
    end: int
    pieces: tuple[Chunk, ...]


def continues(previous: Chunk, chunk: Chunk) -> bool:
    """True when ``chunk`` is the next piece of the unit ``previous`` belongs to.

    Pieces of one unit are consecutive chunks with the same section path and label that overlap or
    touch; a labelled piece may also follow after trimmed whitespace, as long as it does not open
    with the label (a new measure or article always does).
    """
    if chunk.doc_id != previous.doc_id or chunk.ordinal != previous.ordinal + 1:
        return False
    if chunk.label != previous.label or chunk.section != previous.section:
        return False
    return chunk.start <= previous.end or (bool(chunk.label) and not _opens_with_label(chunk))


def _opens_with_label(chunk: Chunk) -> bool:
    head = chunk.text.replace("(", "（").replace(")", "）").replace("．", ".")
    return head.startswith(chunk.label)


def unit_groups(chunks: Sequence[Chunk]) -> list[list[Chunk]]:
    """The chunks of one document (in ordinal order) grouped into the units they were cut from."""
    groups: list[list[Chunk]] = []
    for chunk in sorted(chunks, key=lambda c: c.ordinal):
        if groups and continues(groups[-1][-1], chunk):
            groups[-1].append(chunk)
        else:
            groups.append([chunk])
    return groups


def join_pieces(group: Sequence[Chunk], document_text: Callable[[], str | None]) -> list[Joined]:
    """Join a unit's pieces into one exact span; pieces that cannot be joined exactly (a gap the
    document text is not available for) stay spans of their own."""
    out: list[Joined] = []
    first = group[0]
    text, end, pieces = first.text, first.end, [first]
    for piece in group[1:]:
        joined = _join(text, first.start, end, piece, document_text)
        if joined is None:
            out.append(Joined(first, text, first.start, end, tuple(pieces)))
            first, text, end, pieces = piece, piece.text, piece.end, [piece]
            continue
        text, end = joined, max(end, piece.end)
        pieces.append(piece)
    out.append(Joined(first, text, first.start, end, tuple(pieces)))
    return out


def _join(
    text: str, start: int, end: int, piece: Chunk, document_text: Callable[[], str | None]
) -> str | None:
    if piece.start <= end:  # overlap (or touching): the shared characters must agree
        shared = end - piece.start
        if shared > len(piece.text) or (shared and text[len(text) - shared :] != piece.text[:shared]):
            return None
        return text + piece.text[shared:]
    full = document_text()  # a gap (whitespace the chunker trimmed): take it from the document
    if full is None or full[start:end] != text or full[piece.start : piece.end] != piece.text:
        return None
    gap = full[end : piece.start]
    return text + gap + piece.text if not gap.strip() else None


def cached_text(load_text: TextLoader | None, doc_id: str) -> Callable[[], str | None]:
    """A document-text getter that reads the file at most once, and only if asked."""
    cache: dict[str, str | None] = {}

    def get() -> str | None:
        if "text" not in cache:
            cache["text"] = load_text(doc_id) if load_text is not None else None
        return cache["text"]

    return get


def _row(joined: Joined) -> LedgerRow:
    first = joined.first
    return LedgerRow(
        doc=first.doc,
        doc_id=first.doc_id,
        title=first.title,
        area=area_of(first),
        label=first.label,
        text=joined.text,
        start=joined.start,
        end=joined.end,
        page=first.page,
        titles=extract_titles(joined.text),
        pieces=len(joined.pieces),
    )


def document_text_loader(ws: Workspace) -> TextLoader:
    """The cleaned text of an indexed document, read from its source file (None if it cannot be)."""

    def load(doc_id: str) -> str | None:
        from index.loaders import LoadError, load_document

        record = next((r for r in ws.manifest.records() if r.doc_id == doc_id), None)
        if record is None:
            return None
        try:
            return load_document(Path(record.source)).text
        except (LoadError, OSError):
            return None

    return load


# ---------------------------------------------------------------------------------------------------
# Filtering and export


def filter_rows(
    rows: Iterable[LedgerRow], doc: str | None = None, area: str | None = None, keyword: str | None = None
) -> list[LedgerRow]:
    """Rows of a document (file name or title, substring), an area (substring of the headings) and
    containing every whitespace-separated keyword (in the measure, its area or the documents it names)."""
    words = keyword.split() if keyword else []
    kept = []
    for row in rows:
        if doc and doc not in row.doc and doc not in row.title:
            continue
        if area and area not in row.area:
            continue
        haystack = "\n".join((row.text, row.area, *row.titles))
        if all(word in haystack for word in words):
            kept.append(row)
    return kept


def table(rows: Sequence[LedgerRow]) -> list[list[str]]:
    """Header and one list of cell strings per row, as the spreadsheet shows them."""
    body = [
        [str(i), row.title, row.area, row.label, row.text, TITLES_JOINER.join(row.titles)]
        for i, row in enumerate(rows, start=1)
    ]
    return [list(HEADER), *body]


def to_csv(rows: Sequence[LedgerRow], path: Path | str | None = None) -> str:
    """CSV text of the ledger; written with a BOM when ``path`` is given, so Excel reads it as UTF-8."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(table(rows))
    text = buffer.getvalue()
    if path is not None:
        Path(path).write_text(text, encoding="utf-8-sig", newline="")
    return text


def export_xlsx(rows: Sequence[LedgerRow], path: Path | str, *, sheet_title: str = "整改台账") -> Path:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_title
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, values in enumerate(table(rows), start=1):
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=c)
            if r > 1 and c == 1:
                cell.value = int(value)
            else:
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
                cell.data_type = "s"  # never a formula, even if a measure starts with "="
            cell.alignment = wrap
            cell.border = border
            if r == 1:
                cell.font = Font(name="黑体", bold=True)
                cell.fill = PatternFill("solid", fgColor="D9D9D9")
                cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for c, width in enumerate(COLUMN_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADER))}{max(1, len(rows) + 1)}"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return out
