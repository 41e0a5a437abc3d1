"""Units (measures, articles, paragraphs) cut into several chunks, joined back into their exact span.

A long measure or article is stored as consecutive, overlapping chunks; the ledger lists it and the
study pack quotes it whole, so both join its pieces here. A joined unit's ``text`` is always exactly
``document.text[start:end]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from index.chunking import SECTION_SEPARATOR, Chunk
from index.text import chinese_number

# Wider than index.text.CN_ORDINAL and so not built on ITEM_LABEL: it judges labels already stored, and
# the measure_unit feature the signal models were trained on reads it; kept exactly as it was.
_CN = "[一二三四五六七八九十百零〇两]+"
# Enumeration markers of a measure: 五是, 第一（、，）, 3. / 3、, （1）, and the leaf items （二）/ 二、 that
# the chunker labels only when nothing sits under them. 第X条/章/节/编 never match.
MEASURE_LABEL = re.compile(
    rf"^(?:{_CN}是|第{_CN}[、，,]?|\d{{1,2}}[.．、]|[（(]\d{{1,2}}[)）]|[（(]{_CN}[)）]|{_CN}、)$"
)

DocumentText = Callable[[], str | None]
TextLoader = Callable[[str], str | None]  # doc_id → the document's text

# The ordinal an item label or a heading opens with, one group per form (一是, （一）, 1., （1）, 一、, 第一): items
# count in one list only when they share the form. 第X is read whole: 第十七条 is an article, not 第十 of a list.
_ORDINAL = re.compile(
    rf"^(?:({_CN})是|[（(]({_CN})[)）]|(\d{{1,2}})[.．、](?![\d.．])|[（(](\d{{1,2}})[)）]|({_CN})、|第({_CN})(?![条章节编款项]|{_CN})[，,、]?)"
)


def ordinal_of(text: str) -> tuple[int, int] | None:
    """(form, number) of the ordinal ``text`` opens with: "二是…" → (1, 2), "（三）…" → (2, 3); None when none."""
    match = _ORDINAL.match(text)
    if match is None or match.lastindex is None:
        return None
    number = chinese_number(match.group(match.lastindex))
    return (match.lastindex, int(number)) if number else None


def is_measure_label(label: str) -> bool:
    return bool(label) and MEASURE_LABEL.match(label) is not None


def area_of(chunk: Chunk) -> str:
    """The section path a chunk sits under, without its own label."""
    parts = chunk.section.split(SECTION_SEPARATOR) if chunk.section else []
    if chunk.label and parts and parts[-1] == chunk.label:
        parts = parts[:-1]
    return SECTION_SEPARATOR.join(parts)


def parent_section(chunk: Chunk) -> str:
    """The section path above a chunk's own last heading ("" at the top of its document)."""
    return SECTION_SEPARATOR.join(chunk.section.split(SECTION_SEPARATOR)[:-1]) if chunk.section else ""


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


def join_pieces(group: Sequence[Chunk], document_text: DocumentText) -> list[Joined]:
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
    text: str, start: int, end: int, piece: Chunk, document_text: DocumentText
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


def cached_text(load_text: TextLoader | None, doc_id: str) -> DocumentText:
    """A document-text getter that reads the file at most once, and only if asked."""
    cache: dict[str, str | None] = {}

    def get() -> str | None:
        if "text" not in cache:
            cache["text"] = load_text(doc_id) if load_text is not None else None
        return cache["text"]

    return get


class UnitReader:
    """The whole unit (measure, article) a chunk belongs to, as one chunk spanning its exact text.

    Answers quote whole measures and articles, not the piece of one that retrieval happened to find.
    Each document's chunks are read once and kept until the store's version changes.
    """

    def __init__(
        self, chunks_of: Callable[[str], list[Chunk]], document_text: TextLoader, version: Callable[[], str]
    ) -> None:
        self._chunks_of = chunks_of
        self._document_text = document_text
        self._version = version
        self._seen = ""
        self._units: dict[str, dict[str, Chunk]] = {}
        self._lists: dict[str, list[_Entry]] = {}  # each document's list items (listed_with)

    def unit_of(self, chunk: Chunk) -> Chunk:
        if not chunk.label:
            return chunk
        self._forget_if_changed()
        units = self._units.get(chunk.doc_id)
        if units is None:
            units = self._units[chunk.doc_id] = self._read(chunk.doc_id)
        return units.get(chunk.id, chunk)

    def _forget_if_changed(self) -> None:
        """What was read of an older store is dropped once the store's version changes."""
        version = self._version()
        if version != self._seen:
            self._units.clear()
            self._lists.clear()
            self._seen = version

    def measures(self, doc_ids: Sequence[str]) -> list[Chunk]:
        """Every whole measure unit of these documents, in document order."""
        out: list[Chunk] = []
        for doc_id in doc_ids:
            seen: set[int] = set()
            for chunk in self._chunks_of(doc_id):
                if is_measure_label(chunk.label):
                    unit = self.unit_of(chunk)
                    if unit.start not in seen:
                        seen.add(unit.start)
                        out.append(unit)
        return out

    def listed_with(self, chunk: Chunk) -> Enumeration | None:
        """The enumerated list ``chunk`` belongs to or introduces: sibling units whose labels count from the first
        in one form (一是…六是), or the headings of sibling sections (（一）…（八）, each as a chunk of the heading's own
        characters); a plain paragraph introduces the list that starts right after it under its heading (下面简述
        几项重点。). None when ``chunk`` is in no list of two or more."""
        entries = self._entries(chunk.doc_id)
        mine = next((i for i, e in enumerate(entries) if e.holds(chunk)), None)
        introduces = False
        # a plain paragraph may introduce the list whose first item follows it
        following = None if chunk.label else next(
            (c for c in self._chunks_of(chunk.doc_id) if c.ordinal == chunk.ordinal + 1), None
        )
        if following is not None:
            first = next((i for i, e in enumerate(entries) if e.holds(following)), None)
            if first is not None and entries[first].number == 1 and entries[first].parent == chunk.section:
                mine, introduces = first, True
        if mine is None:
            return None
        run = _run_at(entries, mine)
        return Enumeration(run[0].parent, tuple(e.member for e in run), introduces) if len(run) >= 2 else None

    def _entries(self, doc_id: str) -> list[_Entry]:
        """Every labelled unit and every ordinal heading of a document, in document order."""
        self._forget_if_changed()
        if doc_id not in self._lists:
            self._lists[doc_id] = self._list_entries(doc_id)
        return self._lists[doc_id]

    def _list_entries(self, doc_id: str) -> list[_Entry]:
        chunks = sorted(self._chunks_of(doc_id), key=lambda c: c.ordinal)
        text = cached_text(self._document_text, doc_id)
        entries: list[_Entry] = []
        seen_headings: set[str] = set()
        previous_end = 0
        for chunk in chunks:
            parts = chunk.section.split(SECTION_SEPARATOR) if chunk.section else []
            if chunk.label:
                parts = parts[:-1] if parts and parts[-1] == chunk.label else parts
            # each heading of the path met for the first time opens its section here
            for depth, heading in enumerate(parts):
                path = SECTION_SEPARATOR.join(parts[: depth + 1])
                if path in seen_headings:
                    continue
                seen_headings.add(path)
                if (ordinal := ordinal_of(heading)) is not None:
                    member = _heading_chunk(chunk, parts[:depth], heading, text(), previous_end)
                    if member is not None:
                        entries.append(_Entry(parent_section(member), *ordinal, member, path))
            if chunk.label and (ordinal := ordinal_of(chunk.label)) is not None:
                unit = self.unit_of(chunk)
                if not entries or entries[-1].member.start != unit.start:
                    entries.append(_Entry(area_of(chunk), *ordinal, unit))
            previous_end = chunk.end
        return entries

    def _read(self, doc_id: str) -> dict[str, Chunk]:
        text = cached_text(self._document_text, doc_id)
        units: dict[str, Chunk] = {}
        for group in unit_groups(self._chunks_of(doc_id)):
            if not group[0].label:
                continue
            for joined in join_pieces(group, text):
                whole = replace(joined.first, text=joined.text, start=joined.start, end=joined.end)
                for piece in joined.pieces:
                    units[piece.id] = whole
        return units


@dataclass(frozen=True)
class Enumeration:
    """A list a document sets out over several units, as ``UnitReader.listed_with`` found it from one chunk."""

    place: str  # the section path the members stand under ("" at the top of the document)
    members: tuple[Chunk, ...]  # whole units, or headings as chunks of their own characters (no label)
    introduced_by: bool  # the chunk it was found from introduces the list and is none of its members


@dataclass(frozen=True)
class _Entry:
    """One item of a possible list: where it sits (the headings above it), its ordinal, and what shows it."""

    parent: str
    form: int
    number: int
    member: Chunk  # the whole unit, or the heading's own characters
    heading_path: str = ""  # for a heading: its section path (the chunks under it carry it)

    def holds(self, chunk: Chunk) -> bool:
        if self.heading_path:
            return not chunk.label and chunk.section == self.heading_path
        return chunk.doc_id == self.member.doc_id and self.member.start <= chunk.start < self.member.end


def _run_at(entries: Sequence[_Entry], at: int) -> list[_Entry]:
    """The run of ``entries[at]``: the items under the same headings in the same form, counting from 一 without a
    gap (a restart at 一 begins another list)."""
    me = entries[at]
    siblings = [e for e in entries if e.parent == me.parent and e.form == me.form]
    runs: list[list[_Entry]] = []
    for entry in siblings:
        if runs and runs[-1] and entry.number == runs[-1][-1].number + 1:
            runs[-1].append(entry)
        elif entry.number == 1:
            runs.append([entry])
        else:
            runs.append([])  # a gap: the items after it belong to no run from the first
    return next((run for run in runs if me in run), [])


def _heading_chunk(under: Chunk, parents: Sequence[str], heading: str, text: str | None, after: int) -> Chunk | None:
    """A heading as a chunk of its own characters: found in the document between the chunk before its section
    and the first chunk under it."""
    if text is None:
        return None
    start = text.find(heading, after, under.start + 1)
    if start < 0:
        return None
    section = SECTION_SEPARATOR.join([*parents, heading])
    return replace(under, section=section, label="", start=start, end=start + len(heading), text=heading)
