"""The vector side of the store: a Chroma collection, embedded (a folder) or a Chroma server.

Our own embedding function is always attached to the collection: Chroma's default one downloads a
model on first use, which fails (and must never be attempted) on an offline machine.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import chromadb
import numpy as np
from chromadb.api import ServerAPI
from chromadb.api.client import Client as ClientCreator
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.api.types import Embeddings as ChromaEmbeddings
from chromadb.config import Settings as ChromaSettings
from chromadb.config import System
from chromadb.telemetry.product import ProductTelemetryClient

from index.chunking import Chunk
from index.embedding import SentenceEmbeddings, build_embeddings
from index.generation import IndexUnavailable

_WRITE_BATCH = 512
# HNSW breadth at query time. With Chroma's default (100) the 50 nearest chunks differed between two
# processes querying the same index, so answers changed from run to run; 1000 makes them repeatable.
SEARCH_EF = 1000


class ChromaEmbeddingFunction(EmbeddingFunction[Documents]):
    def __init__(self, embeddings: SentenceEmbeddings) -> None:
        self._embeddings = embeddings

    def __call__(self, input: Documents) -> ChromaEmbeddings:
        return list(self._embeddings.embed_array(list(input)))

    @staticmethod
    def name() -> str:
        return "zhenggaitong-sentence-embeddings"

    def get_config(self) -> dict[str, Any]:
        return {"model": self._embeddings.name}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddingFunction:
        # Lets a client that opens the collection without passing a function (e.g. Chroma's own
        # tools) rebuild ours instead of falling back to Chroma's downloading default.
        return ChromaEmbeddingFunction(build_embeddings(str(config["model"])))


@lru_cache(maxsize=32)
def _cached_query_vector(embeddings: SentenceEmbeddings, query: str) -> np.ndarray:
    vector = embeddings.embed_queries([query])
    norm = float(np.linalg.norm(vector[0])) or 1.0
    return vector / norm


class EncoderMismatch(IndexUnavailable):
    """The index was built by another encoder than the configured one. Chinese message."""


@dataclass(frozen=True)
class DenseHit:
    chunk: Chunk
    score: float  # cosine similarity


# Chroma keeps its systems in a process-wide registry by folder and reads it unlocked: a client is built on
# whichever system is registered when its constructor runs, so two threads opening at once could each get the
# other's system, and one closing stop the other's (a search then failed with "'RustBindingsAPI' object has no
# attribute 'bindings'", or a KeyError on the folder, in the web app under load while it re-indexed).
_SYSTEMS = threading.Lock()


def open_client(
    mode: Literal["embedded", "server"], *, path: Path, host: str = "127.0.0.1", port: int = 8000, fresh: bool = False
) -> Any:
    """A Chroma client; ``fresh`` (embedded only) reads the folder anew instead of reusing this process's copy.

    An embedded Chroma loads a collection's HNSW graph once per process and never sees vectors that
    another process adds later (measured with chromadb 1.5.9: a reader kept answering from the first
    10 of 30 vectors). Chroma keeps one "system" per folder per process, so a reader that must see
    another process's writes, and a writer that must not build on a stale graph, each start a system
    of their own; clients and collections opened before keep working on theirs.
    """
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if mode == "server":
        return chromadb.HttpClient(host=host, port=port, settings=settings)
    path.mkdir(parents=True, exist_ok=True)
    with _SYSTEMS:
        if not fresh:
            return chromadb.PersistentClient(path=str(path), settings=settings)
        settings.persist_directory = str(path)
        settings.is_persistent = True
        system = System(settings)
        system.instance(ProductTelemetryClient)  # type: ignore[type-abstract]  # as chromadb's own client does
        system.instance(ServerAPI)  # type: ignore[type-abstract]
        system.start()
        # Registers this system as the folder's current one (later clients of the folder share it), then
        # builds the client on the folder's current system: under the lock, that is this one.
        return ClientCreator.from_system(system)


def close_client(client: Any) -> None:
    """Release an embedded client's Chroma system: its database handle and graph files.

    Chroma keeps the latest system of each folder registered for the life of the process, so without this
    a process that opens many index folders (tests, evaluation, backups) keeps every one's files open
    until it runs out of descriptors. A system still registered as the folder's current one is forgotten
    first, so the next client of the folder starts afresh instead of reaching a stopped one. A server
    client holds no files and is left alone.
    """
    system = getattr(getattr(client, "_server", None), "_system", None)
    if not isinstance(system, System) or not system.settings.is_persistent:
        return
    folder = system.settings.persist_directory
    with _SYSTEMS:
        if SharedSystemClient._identifier_to_system.get(folder) is system:
            del SharedSystemClient._identifier_to_system[folder]
            SharedSystemClient._identifier_to_refcount.pop(folder, None)
        system.stop()


logger = logging.getLogger(__name__)

# How many times a query that raced a write is tried (index/store.py VectorStore._query).
QUERY_ATTEMPTS = 7  # waits 0.05 · 2^n s: about 3 s in all


class VectorStore:
    """One build's chunk vectors (index/storage.py names the collection after the build).

    A reader opens an existing collection (``create=False``), so that a build dropped under it fails
    loudly instead of coming back empty.
    """

    def __init__(
        self, client: Any, collection_name: str, embeddings: SentenceEmbeddings, *, create: bool = True
    ) -> None:
        self.embeddings = embeddings
        self._client = client
        self.name = collection_name
        self.collection = self._open(create)

    def _open(self, create: bool) -> Any:
        function = ChromaEmbeddingFunction(self.embeddings)
        if not create:
            collection = self._client.get_collection(name=self.name, embedding_function=function)
        else:
            collection = self._client.get_or_create_collection(
                name=self.name,
                embedding_function=function,
                configuration={"hnsw": {"space": "cosine", "ef_search": SEARCH_EF}},
            )
        # The stored JSON, not ``collection.configuration``: that one rebuilds the embedding function from
        # its config (loading a second encoder) and fails in a process that never created a collection
        # (the function is registered with Chroma only on creation), e.g. an app that only reads.
        stored = (((collection.configuration_json or {}).get("embedding_function") or {}).get("config") or {}).get("model")
        if stored and stored != self.embeddings.name and collection.count():
            # Vectors of another encoder cannot be searched with this one (another dimension, or worse, the
            # same dimension and meaningless cosines).
            raise EncoderMismatch(
                f"索引是用嵌入模型“{stored}”建立的，当前配置的是“{self.embeddings.name}”：请运行 python -m assistant index "
                f"重建索引（或把 ZGT_EMBEDDING_MODEL 改回 {stored}）。"
            )
        hnsw = (collection.configuration_json or {}).get("hnsw") or {}
        if hnsw.get("ef_search") != SEARCH_EF:  # a collection created before the setting
            collection.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
        return collection

    def close(self) -> None:
        """Release the files of this store's embedded Chroma system; the store is unusable afterwards."""
        close_client(self._client)

    def add(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        for i in range(0, len(chunks), _WRITE_BATCH):
            batch = chunks[i : i + _WRITE_BATCH]
            self.collection.upsert(
                ids=[c.id for c in batch],
                embeddings=vectors[i : i + _WRITE_BATCH],
                documents=[c.text for c in batch],
                metadatas=[c.to_metadata() for c in batch],
            )

    def delete_document(self, doc_id: str) -> None:
        self.collection.delete(where={"doc_id": doc_id})

    def count(self) -> int:
        return int(self.collection.count())

    def doc_ids(self) -> set[str]:
        ids: set[str] = set()
        offset, page = 0, 5000
        while True:
            got = self.collection.get(include=["metadatas"], limit=page, offset=offset)
            metas = got["metadatas"] or []
            ids.update(str(m["doc_id"]) for m in metas if m)
            if len(metas) < page:
                return ids
            offset += page

    def chance_cosine(self, sample: int = 2000) -> float:
        """The cosine two unrelated passages of this index have: the median over all pairs of (up to)
        ``sample`` stored vectors spread evenly over the index. Encoders differ widely here (E5 puts
        unrelated passages of the corpus at 0.87), so a cosine means "close" only relative to it.
        0.0 for an index of one chunk."""
        ids = sorted(self.collection.get(include=[])["ids"])
        if len(ids) > sample:
            ids = [ids[i * len(ids) // sample] for i in range(sample)]
        got = self.collection.get(ids=ids, include=["embeddings"])
        vectors = np.asarray(got["embeddings"], dtype=np.float32)
        if len(vectors) < 2:
            return 0.0
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        pairs = (vectors @ vectors.T)[np.triu_indices(len(vectors), k=1)]
        return float(np.median(pairs))

    def query_vector(self, query: str) -> np.ndarray:
        """The query's unit vector; the last few are kept, as ranking asks again for the same query."""
        return _cached_query_vector(self.embeddings, query)

    def similarities(self, query: str, ids: Sequence[str]) -> dict[str, float]:
        """Cosine of the query with each stored chunk (vectors read back from the store, not re-encoded)."""
        if not ids:
            return {}
        got = self.collection.get(ids=list(ids), include=["embeddings"])
        vectors = np.asarray(got["embeddings"], dtype=np.float32)
        if not len(vectors):
            return {}
        norms = np.linalg.norm(vectors, axis=1)
        norms[norms == 0] = 1.0
        scores = (vectors @ self.query_vector(query)[0]) / norms
        return {str(i): float(s) for i, s in zip(got["ids"], scores, strict=True)}

    def _query(self, vector: Any, k: int, where: dict[str, Any] | None, ids: Sequence[str] | None) -> Any:
        """One query, retried while it races a write to the same collection. An incremental write deletes a
        document's old vectors while a reader's query may be planning over them, and Chroma then fails with
        "Error finding id" (an InternalError) until the write settles. If it still fails after about three
        seconds, the dense side gives nothing for this query (the keyword side still answers) rather than
        failing the question."""
        from chromadb.errors import InternalError

        for attempt in range(QUERY_ATTEMPTS):
            try:
                return self.collection.query(
                    query_embeddings=vector, n_results=k, where=where, ids=None if ids is None else list(ids),
                    include=["documents", "metadatas", "distances"],
                )
            except InternalError as exc:
                if attempt == QUERY_ATTEMPTS - 1:
                    logger.warning("向量检索与写入冲突，本次只用关键词检索：%s", exc)
                    return {}
                time.sleep(0.05 * 2**attempt)
        return {}

    def search(
        self, query: str, k: int, where: dict[str, Any] | None = None, *, ids: Sequence[str] | None = None
    ) -> list[DenseHit]:
        """The ``k`` chunks nearest the query that match ``where`` and, given ``ids``, are among them."""
        if self.count() == 0 or (ids is not None and not ids):
            return []
        vector = self.query_vector(query)
        got = self._query(vector, k, where, ids)
        docs = (got.get("documents") or [[]])[0]
        metas = (got.get("metadatas") or [[]])[0]
        dists = (got.get("distances") or [[]])[0]
        # A hit whose record a concurrent write removed comes back without text or metadata: it is gone.
        return [
            DenseHit(Chunk.from_metadata(text, dict(meta)), 1.0 - float(dist))
            for text, meta, dist in zip(docs, metas, dists, strict=True)
            if text is not None and meta is not None
        ]
