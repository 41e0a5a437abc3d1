"""With a Chroma server, Chroma holds the whole index; each app replica keeps a local copy of its text side.

A build on the server is two collections: ``<base>-<build>`` (one record per chunk: vector, text and
metadata, searched by the dense side) and ``<base>-<build>-docs`` (one record per document, whose
``document`` is a JSON payload: the document's cleaned text and every chunk with its BM25 tokens, and
whose metadata is the document's manifest row plus a revision that changes with every write). The
writer writes a document's chunk vectors first and its record last, and deletes the record first, so a
record present on the server always has all its chunks.

Every replica (a web app or CLI process on any machine) copies the records into a local
``LexicalStore`` and ``Manifest`` under ``<index folder>/replica/<build>/``, fetching only documents
whose revision changed, then builds or loads its BM25 arrays from that copy. Tokens travel with the
record because segmenting 100k chunks with jieba takes minutes; copying them takes seconds.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

from index.bm25 import refresh_saved_index
from index.chunking import DEFAULT_KB, Chunk
from index.lexical import LexicalStore, chunk_tokens
from index.lock import writer_lock
from index.manifest import OK, FileRecord, Manifest

DOCUMENTS_SUFFIX = "-docs"
_PAGE = 1000  # records per listing request (metadata only)
_FETCH = 20  # documents per request when fetching payloads (a payload can be megabytes)


class ConstantEmbeddingFunction(EmbeddingFunction[Documents]):
    """The documents collection is read by id only; every record gets the same one-number vector, and
    Chroma never falls back to its default (downloading) embedding function for it."""

    def __init__(self) -> None:
        pass

    def __call__(self, input: Documents) -> Embeddings:
        return [np.ones(1, dtype=np.float32) for _ in input]

    @staticmethod
    def name() -> str:
        return "zhenggaitong-constant"

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ConstantEmbeddingFunction:
        return ConstantEmbeddingFunction()


def documents_collection(client: Any, name: str, *, create: bool) -> Any:
    function: Any = ConstantEmbeddingFunction()
    if create:
        return client.get_or_create_collection(name, embedding_function=function)
    return client.get_collection(name, embedding_function=function)


class RemoteDocuments:
    """The writer's lexical side in server mode (what ``LexicalStore`` is embedded)."""

    def __init__(self, collection: Any, manifest: Manifest) -> None:
        self.collection = collection
        self._manifest = manifest  # the document's row (source, content hash) goes into its record

    def replace_document(self, doc_id: str, chunks: Sequence[Chunk], text: str) -> None:
        chunks = list(chunks)
        payload = {
            "text": text,
            "chunks": [
                {"text": c.text, "meta": c.to_metadata(), "tokens": tokens}
                for c, tokens in zip(chunks, chunk_tokens(chunks), strict=True)
            ],
        }
        row = self._manifest.by_doc_id(doc_id)
        metadata = {
            "source": row.source if row else (chunks[0].doc if chunks else doc_id),
            "content_hash": row.content_hash if row else "",
            "title": chunks[0].title if chunks else "",
            "kind": chunks[0].kind if chunks else "",
            "kb": chunks[0].kb if chunks else DEFAULT_KB,
            "chunks": len(chunks),
            "indexed_at": time.time(),
            "revision": uuid.uuid4().hex,
        }
        self.collection.upsert(ids=[doc_id], documents=[json.dumps(payload, ensure_ascii=False)],
                               metadatas=[metadata], embeddings=[[1.0]])

    def delete_document(self, doc_id: str) -> None:
        self.collection.delete(ids=[doc_id])

    def count(self) -> int:
        """Chunks the document records account for (compared with the vector count by the writer's repair)."""
        return sum(int(meta.get("chunks", 0)) for _, meta in _listing(self.collection))

    def doc_ids(self) -> set[str]:
        return {doc_id for doc_id, _ in _listing(self.collection)}

    def close(self) -> None:
        pass


def _listing(collection: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    offset = 0
    while True:
        got = collection.get(include=["metadatas"], limit=_PAGE, offset=offset)
        ids, metas = got["ids"], got["metadatas"] or []
        yield from ((str(i), dict(m or {})) for i, m in zip(ids, metas, strict=True))
        if len(ids) < _PAGE:
            return
        offset += _PAGE


class ReplicaCache:
    """This replica's copy of one build's document records: a LexicalStore and a Manifest, plus the
    revision of every document copied (in a file of its own: a crash between the two writes only
    makes the next sync copy that document again)."""

    def __init__(self, folder: Path, collection: Any) -> None:
        self.folder = folder
        self.collection = collection

    @property
    def lexical_path(self) -> Path:
        return self.folder / "lexical.sqlite"

    @property
    def manifest_path(self) -> Path:
        return self.folder / "manifest.sqlite"

    def sync(self) -> int:
        """Bring the copy up to date with the server; returns the number of documents copied or removed.

        Processes sharing the folder (replicas on one machine) take turns, so each document is
        fetched once; the BM25 arrays of the result are saved for the next reader.
        """
        with writer_lock(self.folder):
            lexical, manifest = LexicalStore(self.lexical_path), Manifest(self.manifest_path)
            revisions = sqlite3.connect(str(self.folder / "revisions.sqlite"))
            try:
                revisions.execute("CREATE TABLE IF NOT EXISTS revisions (doc_id TEXT PRIMARY KEY, revision TEXT)")
                changed = self._apply(lexical, manifest, revisions)
                refresh_saved_index(lexical)
            finally:
                revisions.close()
                lexical.close()
                manifest.close()
        return changed

    def _apply(self, lexical: LexicalStore, manifest: Manifest, revisions: sqlite3.Connection) -> int:
        local = dict(revisions.execute("SELECT doc_id, revision FROM revisions").fetchall())
        remote = dict(_listing(self.collection))
        stale = [doc_id for doc_id, meta in remote.items() if local.get(doc_id) != meta.get("revision")]
        gone = [doc_id for doc_id in local if doc_id not in remote]
        sources = {r.doc_id: r.source for r in manifest.records()}
        for doc_id in gone:
            lexical.delete_document(doc_id)
            manifest.forget(sources.get(doc_id, ""))
            with revisions:
                revisions.execute("DELETE FROM revisions WHERE doc_id = ?", (doc_id,))
        for i in range(0, len(stale), _FETCH):
            got = self.collection.get(ids=stale[i : i + _FETCH], include=["documents", "metadatas"])
            for doc_id, document, meta in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True):
                meta = dict(meta or {})
                self._copy(lexical, manifest, str(doc_id), json.loads(document), meta)
                with revisions:
                    revisions.execute("INSERT OR REPLACE INTO revisions VALUES (?, ?)", (doc_id, meta.get("revision")))
        return len(stale) + len(gone)

    @staticmethod
    def _copy(lexical: LexicalStore, manifest: Manifest, doc_id: str, payload: dict[str, Any],
              meta: dict[str, Any]) -> None:
        items = payload["chunks"]
        chunks = [Chunk.from_metadata(item["text"], item["meta"]) for item in items]
        lexical.replace_tokenized(doc_id, chunks, [item["tokens"] for item in items], payload["text"])
        manifest.put(FileRecord(
            source=str(meta.get("source", doc_id)), doc_id=doc_id, content_hash=str(meta.get("content_hash", "")),
            status=OK, title=str(meta.get("title", "")), kind=str(meta.get("kind", "")),
            chunks=int(meta.get("chunks", len(chunks))), error="", indexed_at=float(meta.get("indexed_at", 0.0)),
            kb=str(meta.get("kb") or DEFAULT_KB),
        ))


def drop_other_caches(root: Path, keep: set[str]) -> None:
    """Remove this machine's copies of builds no longer served (readers still holding one keep their open files)."""
    if not root.is_dir():
        return
    for folder in root.iterdir():
        if folder.is_dir() and folder.name not in keep:
            shutil.rmtree(folder, ignore_errors=True)
