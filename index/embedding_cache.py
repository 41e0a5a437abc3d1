"""Passage vectors already computed, by encoder, role and text: a passage is embedded once per machine
(a question's vector stays in the process's memory: questions are rarely asked twice).

E5 embeds about ten chunks a second on two cores, so re-indexing what was seen before (a rebuild, a
revised document whose sections mostly stay, a restored backup, the measure check's report sentences)
would cost minutes for nothing. The cache keeps only a hash of each text beside its vector, in one
SQLite file that every process of the machine shares; it is best-effort: a busy or unreadable file
means computing again, never an error.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

_BUSY_MS = 2000  # how long a writer waits for another process's write before giving up on caching


def cache_key(model: str, role: str, text: str) -> str:
    return hashlib.sha256(f"{model}\x00{role}\x00{text}".encode()).hexdigest()


class EmbeddingCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False  # the file and its table exist (set up once; a connection per call, for threads)

    def _connect(self) -> sqlite3.Connection:
        if not self._ready:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=_BUSY_MS / 1000)
        if not self._ready:
            connection.execute("PRAGMA journal_mode=WAL")  # persistent in the file
            connection.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
            self._ready = True
        return connection

    def get(self, keys: Sequence[str], dimension: int) -> dict[str, np.ndarray]:
        if not keys:
            return {}
        found: dict[str, np.ndarray] = {}
        try:
            connection = self._connect()
            try:
                for i in range(0, len(keys), 500):
                    batch = list(keys[i : i + 500])
                    marks = ",".join("?" * len(batch))
                    for key, blob in connection.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", batch):
                        vector = np.frombuffer(blob, dtype=np.float32)
                        if vector.shape == (dimension,):  # a damaged row is computed again
                            found[key] = vector
            finally:
                connection.close()
        except sqlite3.Error:
            return found
        return found

    def put(self, items: dict[str, np.ndarray]) -> None:
        if not items:
            return
        try:
            connection = self._connect()
            try:
                with connection:
                    connection.executemany(
                        "INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                        [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
                    )
            finally:
                connection.close()
        except sqlite3.Error:
            return

    def merge(self, other: Path) -> int:
        """Adds the vectors of another cache file (a bundle's shipped vectors) that this one lacks; the
        number added. A missing or unreadable file adds nothing: the texts are then embedded as usual."""
        if not other.is_file():
            return 0
        try:
            connection = self._connect()
            try:
                with connection:
                    connection.execute("ATTACH DATABASE ? AS other", (f"file:{other}?mode=ro",))
                    before = connection.total_changes
                    connection.execute("INSERT OR IGNORE INTO vectors (key, vector) SELECT key, vector FROM other.vectors")
                    added = connection.total_changes - before
                connection.execute("DETACH DATABASE other")
            finally:
                connection.close()
        except sqlite3.Error:
            return 0
        return added

    def checkpoint(self) -> None:
        """Folds the write-ahead log into the file and stops using one: the file alone is then complete
        (a pack shipped in a bundle is one file)."""
        connection = self._connect()
        try:
            connection.execute("PRAGMA journal_mode=DELETE")
        finally:
            connection.close()


def stored_keys(path: Path) -> set[str] | None:
    """The keys a cache file (or a shipped pack) holds, read without changing the file; None when it is not
    a readable one."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return {key for (key,) in connection.execute("SELECT key FROM vectors")}
        finally:
            connection.close()
    except sqlite3.Error:
        return None
