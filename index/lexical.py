"""The lexical side of the store: every chunk's text and its word tokens, in SQLite.

BM25 needs the tokens of every chunk at start-up; segmenting a large corpus with jieba takes minutes,
so tokens are computed once when a chunk is written and read back with the chunk. This table is also
the canonical copy of the chunks (text and metadata), kept in step with the vector store by the
pipeline's per-document protocol (see index/pipeline.py).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from index.chunking import DEFAULT_KB, Chunk
from index.text import tokenize


def _version(db: sqlite3.Connection) -> str:
    state = dict(db.execute("SELECT key, value FROM state WHERE key IN ('store_id', 'generation')").fetchall())
    return f"{state.get('store_id', 'store')}-{state.get('generation', '0')}"


def chunk_tokens(chunks: Sequence[Chunk]) -> list[list[str]]:
    """The BM25 tokens of each chunk (title, section path and text; see ``Chunk.lexical_text``)."""
    return [tokenize(c.lexical_text()) for c in chunks]


@dataclass(frozen=True)
class LexicalEntry:
    chunk: Chunk
    tokens: list[str]


class LexicalStore:
    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        if readonly:
            # A reader never writes, and a store dropped under it fails instead of coming back empty.
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS chunks (id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, "
            "ordinal INTEGER NOT NULL, text TEXT NOT NULL, meta TEXT NOT NULL, tokens TEXT NOT NULL)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, ordinal)")
        # Each document's cleaned text: the ledger and study packs quote whole measures and articles
        # from it, and evaluation checks citations against it, without reading source files again.
        self._db.execute("CREATE TABLE IF NOT EXISTS documents (doc_id TEXT PRIMARY KEY, text TEXT NOT NULL)")
        self._db.execute("CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        # A random id per store file: a store deleted and created again must not match indexes saved
        # for the old one at the same generation.
        self._db.execute("INSERT OR IGNORE INTO state VALUES ('store_id', ?)", (uuid.uuid4().hex[:12],))
        self._db.commit()

    def close(self) -> None:
        self._db.close()

    def replace_document(self, doc_id: str, chunks: Iterable[Chunk], text: str) -> None:
        """Swap one document's chunks and text atomically (one transaction)."""
        chunks = list(chunks)
        self.replace_tokenized(doc_id, chunks, chunk_tokens(chunks), text)

    def replace_tokenized(self, doc_id: str, chunks: Sequence[Chunk], tokens: Sequence[list[str]], text: str) -> None:
        """``replace_document`` with the tokens already computed (a replica copies them from Chroma)."""
        rows = [
            (c.id, c.doc_id, c.ordinal, c.text, json.dumps(c.to_metadata(), ensure_ascii=False),
             json.dumps(t, ensure_ascii=False))
            for c, t in zip(chunks, tokens, strict=True)
        ]
        with self._db:
            self._db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            self._db.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?)", rows)
            self._db.execute("INSERT OR REPLACE INTO documents VALUES (?, ?)", (doc_id, text))
            self._bump_generation()

    def delete_document(self, doc_id: str) -> None:
        with self._db:
            self._db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            self._db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
            self._bump_generation()

    def _bump_generation(self) -> None:
        self._db.execute(
            "INSERT INTO state VALUES ('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def generation(self) -> int:
        """Changes whenever any chunk changes: lets readers reload their BM25 index only when needed."""
        row = self._db.execute("SELECT value FROM state WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def version(self) -> str:
        """``<store id>-<generation>``: names one state of the store's content."""
        return _version(self._db)

    def token_snapshot(self) -> tuple[str, list[tuple[str, list[str]]]]:
        """(version, [(chunk id, tokens)]) read in one transaction, so the two always agree."""
        # Its own connection: writers in this process may be mid-way.
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            with db:
                db.execute("BEGIN")
                version = _version(db)
                rows = [
                    (chunk_id, json.loads(tokens))
                    for chunk_id, tokens in db.execute("SELECT id, tokens FROM chunks ORDER BY doc_id, ordinal")
                ]
        finally:
            db.close()
        return version, rows

    def chunk_kbs(self) -> tuple[str, dict[str, str]]:
        """(version, {chunk id: knowledge base}) read in one transaction: which chunks a filter on
        knowledge bases admits, without parsing every chunk (SQLite reads the one field)."""
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)  # as token_snapshot: its own connection
        try:
            with db:
                db.execute("BEGIN")
                version = _version(db)
                # Chunks written before knowledge bases existed have no "kb": they are in the default one.
                rows = db.execute(
                    "SELECT id, doc_id, COALESCE(NULLIF(json_extract(meta, '$.kb'), ''), ?) FROM chunks",
                    (DEFAULT_KB,),
                )
                kbs = {str(chunk_id): str(kb) for chunk_id, doc_id, kb in rows if self._admits_row(doc_id, kb)}
        finally:
            db.close()
        return version, kbs

    def _admits_row(self, doc_id: str, kb: str) -> bool:
        """Whether this store shows a chunk of ``doc_id`` in ``kb`` (every one; a narrowed store fewer)."""
        return True

    def chunks_by_id(self, ids: Sequence[str]) -> dict[str, Chunk]:
        """The chunks with these ids that still exist (a deleted one is simply absent)."""
        found: dict[str, Chunk] = {}
        for i in range(0, len(ids), 500):  # SQLite's limit on bound parameters
            batch = list(ids[i : i + 500])
            marks = ",".join("?" * len(batch))
            for chunk_id, text, meta in self._db.execute(
                f"SELECT id, text, meta FROM chunks WHERE id IN ({marks})", batch
            ):
                found[chunk_id] = Chunk.from_metadata(text, json.loads(meta))
        return found

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def titles(self) -> list[str]:
        """The title of every indexed document."""
        rows = self._db.execute("SELECT DISTINCT json_extract(meta, '$.title') FROM chunks")
        return sorted(str(r[0]) for r in rows if r[0])

    def doc_ids(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT DISTINCT doc_id FROM chunks")}

    def entries(self) -> Iterator[LexicalEntry]:
        for text, meta, tokens in self._db.execute(
            "SELECT text, meta, tokens FROM chunks ORDER BY doc_id, ordinal"
        ):
            yield LexicalEntry(Chunk.from_metadata(text, json.loads(meta)), json.loads(tokens))

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        return [
            Chunk.from_metadata(text, json.loads(meta))
            for text, meta in self._db.execute(
                "SELECT text, meta FROM chunks WHERE doc_id = ? ORDER BY ordinal", (doc_id,)
            )
        ]

    def document_text(self, doc_id: str) -> str | None:
        """The cleaned text every chunk span of the document points into (None if not indexed)."""
        row = self._db.execute("SELECT text FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return str(row[0]) if row else None
