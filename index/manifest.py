"""Which source files are indexed, with what content, and whether their last write finished.

A document's row is marked ``pending`` *before* its chunks are touched and ``ok`` only after both
stores hold them, so a run killed at any point leaves ``pending`` rows that the next run redoes
from scratch: no duplicate and no orphan chunks.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from index.chunking import DEFAULT_KB

OK, PENDING, FAILED = "ok", "pending", "failed"


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def doc_id_for(source: str) -> str:
    """Derived from the path, so equal content at two paths makes two documents."""
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class FileRecord:
    source: str  # absolute path
    doc_id: str
    content_hash: str
    status: str
    title: str
    kind: str
    chunks: int
    error: str
    indexed_at: float
    kb: str = DEFAULT_KB  # the knowledge base the document belongs to

    @property
    def name(self) -> str:
        return Path(self.source).name


class Manifest:
    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        if readonly:  # a reader never writes (see LexicalStore)
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            self._columns = self._select_columns()
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS files (source TEXT PRIMARY KEY, doc_id TEXT NOT NULL, "
            "content_hash TEXT NOT NULL, status TEXT NOT NULL, title TEXT NOT NULL DEFAULT '', "
            "kind TEXT NOT NULL DEFAULT '', chunks INTEGER NOT NULL DEFAULT 0, "
            "error TEXT NOT NULL DEFAULT '', indexed_at REAL NOT NULL DEFAULT 0)"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        if "kb" not in self._table_columns():  # a manifest written before knowledge bases existed
            self._db.execute(f"ALTER TABLE files ADD COLUMN kb TEXT NOT NULL DEFAULT '{DEFAULT_KB}'")
        self._db.commit()
        self._columns = self._select_columns()

    def _table_columns(self) -> set[str]:
        return {row[1] for row in self._db.execute("PRAGMA table_info(files)")}

    def _select_columns(self) -> str:
        kb = "kb" if "kb" in self._table_columns() else f"'{DEFAULT_KB}'"
        return f"source, doc_id, content_hash, status, title, kind, chunks, error, indexed_at, {kb}"

    def close(self) -> None:
        self._db.close()

    def records(self) -> list[FileRecord]:
        rows = self._db.execute(f"SELECT {self._columns} FROM files ORDER BY source")
        return [FileRecord(*row) for row in rows]

    def get(self, source: str) -> FileRecord | None:
        row = self._db.execute(f"SELECT {self._columns} FROM files WHERE source = ?", (source,)).fetchone()
        return FileRecord(*row) if row else None

    def by_doc_id(self, doc_id: str) -> FileRecord | None:
        row = self._db.execute(f"SELECT {self._columns} FROM files WHERE doc_id = ?", (doc_id,)).fetchone()
        return FileRecord(*row) if row else None

    def with_content(self, digest: str) -> list[FileRecord]:
        """The indexed documents whose file has exactly this content."""
        rows = self._db.execute(
            f"SELECT {self._columns} FROM files WHERE content_hash = ? AND status = ? ORDER BY source", (digest, OK)
        )
        return [FileRecord(*row) for row in rows]

    def put(self, record: FileRecord) -> None:
        """Write a whole row (a replica copies the rows of the documents it holds)."""
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO files (source, doc_id, content_hash, status, title, kind, chunks, error, "
                "indexed_at, kb) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (record.source, record.doc_id, record.content_hash, record.status, record.title, record.kind,
                 record.chunks, record.error, record.indexed_at, record.kb),
            )

    def mark_pending(self, source: str, doc_id: str, digest: str, kb: str | None = None) -> None:
        """``kb`` None keeps the row's knowledge base (the default one for a new row)."""
        with self._db:
            self._db.execute(
                "INSERT INTO files (source, doc_id, content_hash, status, kb) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(source) DO UPDATE SET content_hash = excluded.content_hash, status = ?, "
                "kb = COALESCE(?, kb)",
                (source, doc_id, digest, PENDING, kb or DEFAULT_KB, PENDING, kb),
            )

    def mark_ok(self, source: str, *, title: str, kind: str, chunks: int) -> None:
        with self._db:
            self._db.execute(
                "UPDATE files SET status = ?, title = ?, kind = ?, chunks = ?, error = '', indexed_at = ? "
                "WHERE source = ?",
                (OK, title, kind, chunks, time.time(), source),
            )

    def mark_failed(self, source: str, error: str) -> None:
        with self._db:
            self._db.execute(
                "UPDATE files SET status = ?, chunks = 0, error = ?, indexed_at = ? WHERE source = ?",
                (FAILED, error, time.time(), source),
            )

    def forget(self, source: str) -> None:
        with self._db:
            self._db.execute("DELETE FROM files WHERE source = ?", (source,))

    def forget_all(self) -> None:
        with self._db:
            self._db.execute("DELETE FROM files")

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
