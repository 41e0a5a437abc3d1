"""Structure units → chunks within size limits, each carrying where it sits in its document.

``Chunk`` is the one schema for a passage: the store writes it, retrieval reads it back, citations
quote it. ``Chunk.text`` is always ``document.text[start:end]``: a citation quotes real characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from index.loaders import LoadedDocument
from index.structure import PARAGRAPH, Unit, analyze, extract_titles, trim_span
from index.text import sentence_breaks

SECTION_SEPARATOR = " › "
# The knowledge base a document belongs to when none is named: indexes built before knowledge bases
# existed, and every ``index`` run without ``--kb``.
DEFAULT_KB = "默认"
TITLES_SEPARATOR = "|"

_SOFT_BREAKS = "，、,：:"


@dataclass(frozen=True)
class Chunk:
    doc_id: str  # stable id of the source (derived from its path, not its content)
    doc: str  # source file name, e.g. "中国共产党巡视工作条例.md"
    title: str
    kind: str  # "report" | "regulation" | "other"
    section: str  # headings from the top down, then the chunk's own label, joined by SECTION_SEPARATOR
    label: str  # the unit's own label: "五是", "第二十七条", "3.", "（二）", or "" for plain paragraphs
    start: int  # character span in the document's cleaned text
    end: int
    text: str
    page: int | None
    titles: tuple[str, ...]  # 《…》 titles the text mentions, with the brackets
    ordinal: int  # position of the chunk in its document
    ocr: bool = False  # some of its text was recognised from a scan (it may hold recognition errors)
    kb: str = DEFAULT_KB  # the knowledge base of its document: who may read it (assistant/access.py)

    @property
    def id(self) -> str:
        return f"{self.doc_id}-{self.ordinal:05d}"

    def embedding_text(self) -> str:
        """What the dense encoder sees: the section path helps it, the document title did not."""
        return f"{self.section}\n{self.text}" if self.section else self.text

    def lexical_text(self) -> str:
        """What BM25 sees: title and section path carry the topic words the body often omits."""
        return f"{self.title} > {self.section}\n{self.text}"

    def source_json(self) -> dict[str, Any]:
        """Where the chunk is: document, title, section path, label and page (the machine interface's
        location fields, shared by passages, citations, measure matches and ledger rows)."""
        return {"doc": self.doc, "title": self.title, "section": self.section, "label": self.label, "page": self.page}

    def to_json(self) -> dict[str, Any]:
        """The chunk as the machine interface shows a passage: location, character span and text."""
        return {**self.source_json(), "start": self.start, "end": self.end, "text": self.text}

    def to_metadata(self) -> dict[str, Any]:
        """Flat metadata for the vector store (scalars only)."""
        return {
            "doc_id": self.doc_id,
            "doc": self.doc,
            "title": self.title,
            "kind": self.kind,
            "section": self.section,
            "label": self.label,
            "start": self.start,
            "end": self.end,
            "page": self.page if self.page is not None else -1,
            "titles": TITLES_SEPARATOR.join(self.titles),
            "ordinal": self.ordinal,
            "ocr": self.ocr,
            "kb": self.kb,
        }

    @classmethod
    def from_metadata(cls, text: str, meta: dict[str, Any]) -> Chunk:
        page = int(meta.get("page", -1))
        titles = str(meta.get("titles") or "")
        return cls(
            doc_id=str(meta["doc_id"]),
            doc=str(meta["doc"]),
            title=str(meta["title"]),
            kind=str(meta["kind"]),
            section=str(meta.get("section") or ""),
            label=str(meta.get("label") or ""),
            start=int(meta["start"]),
            end=int(meta["end"]),
            text=text,
            page=page if page >= 0 else None,
            titles=tuple(t for t in titles.split(TITLES_SEPARATOR) if t),
            ordinal=int(meta["ordinal"]),
            ocr=bool(meta.get("ocr", False)),  # metadata written before OCR existed has no such key
            kb=str(meta.get("kb") or DEFAULT_KB),  # nor before knowledge bases existed
        )


def chunk_document(
    doc: LoadedDocument,
    *,
    doc_id: str,
    max_chars: int = 400,
    min_chars: int = 60,
    overlap_chars: int = 60,
    kb: str = DEFAULT_KB,
) -> list[Chunk]:
    """Split a loaded document into structure-following chunks (see index/structure.py), tagged with
    the knowledge base ``kb``."""
    structure = analyze(doc)
    spans: list[tuple[int, int, Unit]] = []
    groups = _merge_short_paragraphs(list(structure.units), min_chars)
    title = _squashed(doc.title)
    for group in groups:
        first = group[0]
        if len(groups) > 1 and title and _squashed(doc.text[first.start : group[-1].end]) == title:
            # A plain-text title line standing alone (a numbered heading follows it directly): it names the
            # document, which every chunk carries as ``title``, and says nothing; as a chunk it would match a
            # question best (it is all topic words) and answer nothing.
            continue
        for start, end in _split_span(doc.text, first.start, group[-1].end, max_chars, overlap_chars):
            spans.append((start, end, first))
    return [
        _make_chunk(doc, doc_id, structure.kind, unit, start, end, ordinal, kb)
        for ordinal, (start, end, unit) in enumerate(spans)
    ]


def _make_chunk(
    doc: LoadedDocument, doc_id: str, kind: str, unit: Unit, start: int, end: int, ordinal: int, kb: str
) -> Chunk:
    text = doc.text[start:end]
    path = (*unit.headings, unit.label) if unit.label else unit.headings
    return Chunk(
        doc_id=doc_id,
        doc=doc.path.name,
        title=doc.title,
        kind=kind,
        section=SECTION_SEPARATOR.join(path),
        label=unit.label,
        start=start,
        end=end,
        text=text,
        page=doc.page_at(start),
        titles=extract_titles(text),
        ordinal=ordinal,
        ocr=doc.from_ocr(start, end),
        kb=kb,
    )


def _is_plain(unit: Unit) -> bool:
    return unit.kind == PARAGRAPH and not unit.label


def _merge_short_paragraphs(units: list[Unit], min_chars: int) -> list[list[Unit]]:
    """Group each short plain paragraph with the plain paragraphs that follow it under the same section.

    Measures and articles always stand alone: a chunk must never blend two of them.
    """
    groups: list[list[Unit]] = []
    for unit in units:
        if groups:
            group = groups[-1]
            head, last = group[0], group[-1]
            short = last.end - head.start < min_chars
            if short and _is_plain(head) and _is_plain(unit) and unit.headings == head.headings:
                group.append(unit)
                continue
        groups.append([unit])
    return groups


def _split_span(text: str, start: int, end: int, max_chars: int, overlap_chars: int) -> list[tuple[int, int]]:
    """Cut [start, end) at sentence ends into trimmed pieces of at most ``max_chars``; each piece after the
    first repeats the previous piece's last sentences, up to ``overlap_chars``, so a quote that straddles
    the cut stays whole in one of them."""
    start, end = trim_span(text, start, end)
    if end - start <= max_chars:
        return [(start, end)] if start < end else []
    sentences = _sentences(text, start, end, max_chars)
    pieces: list[tuple[int, int]] = []
    i = 0
    while i < len(sentences):
        j = i
        while j + 1 < len(sentences) and sentences[j + 1][1] - sentences[i][0] <= max_chars:
            j += 1
        piece = trim_span(text, sentences[i][0], sentences[j][1])
        if piece[0] < piece[1]:
            pieces.append(piece)
        if j + 1 >= len(sentences):
            break
        k = j + 1
        while k - 1 > i and sentences[j][1] - sentences[k - 1][0] <= overlap_chars:
            k -= 1
        while k <= j and sentences[j + 1][1] - sentences[k][0] > max_chars:
            k += 1
        i = k
    return pieces


def _sentences(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Contiguous sentence spans covering [start, end); an over-long sentence is cut at its last comma
    that fits, or hard at ``max_chars``."""
    spans: list[tuple[int, int]] = []
    cursor = start
    for cut in sentence_breaks(text, start, end):
        if cut > cursor:
            spans.extend(_cut_long(text, cursor, cut, max_chars))
            cursor = cut
    if cursor < end:
        spans.extend(_cut_long(text, cursor, end, max_chars))
    return spans


def _cut_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    while end - start > max_chars:
        window = text[start : start + max_chars]
        comma = max(window.rfind(ch) for ch in _SOFT_BREAKS)
        cut = start + comma + 1 if comma > max_chars // 2 else start + max_chars
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def _squashed(text: str) -> str:
    return re.sub(r"[\s《》]", "", text)
