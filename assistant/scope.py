"""The index as one reader may see it: only the documents of the knowledge bases he may read.

A narrowed store answers as if the other documents were never indexed: their records, chunks and texts
are absent, so nothing built on it (answers, "可能相关" passages, measure checks, study packs, the
ledger, the document list, exports, counts) can name or count them. Searches are narrowed twice: the
vector query's ``where`` and the BM25 side both filter on the chunk's ``kb`` (assistant/retrieval.py),
and what they return is then read through these stores.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from index.chunking import Chunk
from index.lexical import LexicalEntry, LexicalStore
from index.manifest import FileRecord, Manifest


class ScopedManifest(Manifest):
    """The records of documents in ``kbs`` only; shares the reader's connection (read-only)."""

    def __init__(self, base: Manifest, kbs: Sequence[str]) -> None:  # no super(): nothing is opened
        self._db = base._db
        self._columns = base._columns
        self._base = base
        self.kbs = frozenset(kbs)

    def close(self) -> None:  # the base view owns the connection
        pass

    def records(self) -> list[FileRecord]:
        return [r for r in self._base.records() if r.kb in self.kbs]

    def get(self, source: str) -> FileRecord | None:
        record = self._base.get(source)
        return record if record is not None and record.kb in self.kbs else None

    def by_doc_id(self, doc_id: str) -> FileRecord | None:
        record = self._base.by_doc_id(doc_id)
        return record if record is not None and record.kb in self.kbs else None


class ScopedLexicalStore(LexicalStore):
    """The chunks and texts of the documents ``doc_ids`` only, whose chunks also carry an allowed ``kb``."""

    def __init__(self, base: LexicalStore, doc_ids: set[str], kbs: Sequence[str]) -> None:  # no super()
        self.path = base.path
        self._db = base._db
        self._base = base
        self._allowed = frozenset(doc_ids)
        self.kbs = frozenset(kbs)

    def close(self) -> None:
        pass

    def _admits(self, chunk: Chunk) -> bool:
        return self._admits_row(chunk.doc_id, chunk.kb)

    def _admits_row(self, doc_id: str, kb: str) -> bool:
        return doc_id in self._allowed and kb in self.kbs

    def chunks_by_id(self, ids: Sequence[str]) -> dict[str, Chunk]:
        return {i: c for i, c in self._base.chunks_by_id(ids).items() if self._admits(c)}

    def entries(self) -> Iterator[LexicalEntry]:
        return (e for e in self._base.entries() if self._admits(e.chunk))

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        if doc_id not in self._allowed:
            return []
        return [c for c in self._base.chunks_of(doc_id) if self._admits(c)]

    def document_text(self, doc_id: str) -> str | None:
        return self._base.document_text(doc_id) if doc_id in self._allowed else None

    def doc_ids(self) -> set[str]:
        return self._base.doc_ids() & self._allowed

    def count(self) -> int:
        return sum(1 for _ in self.entries())
