"""整改台账: every rectification measure of the indexed reports, one row each, ready for a spreadsheet.

A row is one measure unit the chunker found (label 一是 / 第一 / 3. / （1） …) in a report. A long measure
is stored as several overlapping chunks; the row joins them back (assistant/units.py), so its text is
exactly the span ``document.text[start:end]`` of the measure, never a chunk boundary artefact.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from assistant.ledger_fields import fields_of, ledger_columns
from assistant.units import (
    Joined,
    TextLoader,
    area_of,
    cached_text,
    is_measure_label,
    join_pieces,
    unit_groups,
)
from index.chunking import Chunk
from index.kinds import DocumentKind
from index.structure import extract_titles

if TYPE_CHECKING:
    from assistant.workspace import Workspace


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
    problem: str = ""  # 反馈问题: the heading the measure answers (or the ledger's own column)
    units: tuple[str, ...] = ()  # 责任单位 the text states
    deadline: str = ""  # 整改时限 the text states
    status: str = ""  # 完成情况 the text states
    source: Chunk | None = None  # the whole measure as one chunk (for citing the row)

    @property
    def about(self) -> str:
        """What the row is about, as one text to look a topic up in: its document, area, problem, measure
        and units."""
        return " ".join((self.title, self.area, self.problem, self.text, *self.units))

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
            "problem": self.problem,
            "units": list(self.units),
            "deadline": self.deadline,
            "status": self.status,
        }


def build_ledger(ws: Workspace, docs: Sequence[str] | None = None) -> list[LedgerRow]:
    """Rows for every measure of the indexed reports (or of ``docs``: file names or titles)."""
    return ledger_from_chunks((e.chunk for e in ws.lexical.entries()), docs=docs, load_text=ws.lexical.document_text)


def ledger_from_chunks(
    chunks: Iterable[Chunk], *, docs: Sequence[str] | None = None, load_text: TextLoader | None = None
) -> list[LedgerRow]:
    wanted = set(docs or ())
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        if wanted and chunk.doc not in wanted and chunk.title not in wanted:
            continue
        if chunk.kind != DocumentKind.REPORT:
            continue
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    rows: list[LedgerRow] = []
    for doc_id, doc_chunks in by_doc.items():
        document_text = cached_text(load_text, doc_id)
        for group in unit_groups(doc_chunks):
            if is_measure_label(group[0].label) or ledger_columns(group[0].text) is not None:
                rows.extend(_row(joined) for joined in join_pieces(group, document_text))
    rows.sort(key=lambda r: (r.doc, r.start))
    return rows


def _row(joined: Joined) -> LedgerRow:
    first = joined.first
    fields = fields_of(joined.text, area_of(first))
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
        problem=fields.problem,
        units=fields.units,
        deadline=fields.deadline,
        status=fields.status,
        source=replace(first, text=joined.text, start=joined.start, end=joined.end),
    )


# ---------------------------------------------------------------------------------------------------
# Filtering


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
