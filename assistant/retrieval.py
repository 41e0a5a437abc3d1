"""Hybrid retrieval: BM25 (bm25s) over jieba tokens and dense cosine over Chroma, fused by weighted scores.

On this corpus the lexical side is the stronger one for exact topics and the dense side helps with
paraphrase; equal-weight rank fusion lets dense noise push good lexical hits out of the top 10, so
each side's scores are min-max normalised over its own candidates and fused with a lexical weight.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from assistant.vocabulary import expand_query
from index.bm25 import BM25Index, index_folder, load_or_build
from index.chunking import Chunk
from index.lexical import LexicalStore
from index.store import VectorStore
from index.text import tokenize_query


@dataclass(frozen=True)
class SearchFilter:
    kinds: tuple[str, ...] = ()  # "report" / "regulation" / "other"
    docs: tuple[str, ...] = ()  # file names
    section: str = ""  # substring of the section path
    # Knowledge bases: None is every one; an empty tuple is none at all (a reader granted nothing).
    kbs: tuple[str, ...] | None = None

    def accepts(self, chunk: Chunk) -> bool:
        return (
            (not self.kinds or chunk.kind in self.kinds)
            and (not self.docs or chunk.doc in self.docs)
            and (not self.section or self.section in chunk.section)
            and (self.kbs is None or chunk.kb in self.kbs)
        )

    def within(self, kbs: tuple[str, ...] | None) -> SearchFilter:
        """This filter narrowed to the knowledge bases ``kbs`` (None: not narrowed)."""
        if kbs is None:
            return self
        return replace(self, kbs=kbs if self.kbs is None else tuple(k for k in self.kbs if k in kbs))

    @property
    def empty(self) -> bool:
        """Nothing can pass: no knowledge base is allowed."""
        return self.kbs is not None and not self.kbs

    def chroma_where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if self.kbs is not None:
            clauses.append({"kb": {"$in": list(self.kbs)}})
        if self.kinds:
            clauses.append({"kind": {"$in": list(self.kinds)}})
        if self.docs:
            clauses.append({"doc": {"$in": list(self.docs)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    @property
    def active(self) -> bool:
        return bool(self.kinds or self.docs or self.section) or self.kbs is not None


@dataclass(frozen=True)
class Passage:
    chunk: Chunk
    score: float
    lexical_score: float = 0.0
    dense_score: float = 0.0
    lexical_rank: int | None = None  # 1-based rank in each retriever's own list
    dense_rank: int | None = None


class Searcher(Protocol):
    """What answering, measure checks and study packs need of retrieval: ranked passages for a query,
    and how rare a term is in the indexed corpus (the weight of a question's words)."""

    def search(self, query: str, k: int = 5, where: SearchFilter = ...) -> list[Passage]: ...

    def idf(self, term: str) -> float: ...


@dataclass(frozen=True)
class KbScope:
    """The chunks of some knowledge bases in one state of the lexical store: a mask over the BM25 rows
    (the lexical side scores only those) and their ids (the dense query searches only those)."""

    rows: np.ndarray  # bool, one per row of the BM25 index it was made for
    ids: tuple[str, ...]


class LexicalIndex:
    """BM25 search over the lexical store, following the store's changes.

    The BM25 arrays come from the store's saved index (index/bm25.py) when one matches the store's
    current version, else from a rebuild. While a large re-index keeps changing the store, a rebuild
    happens at most every two build-times; the chunks themselves are always read from the store, so a
    deleted chunk is never returned even by a slightly stale index.

    A search narrowed to knowledge bases scores only their chunks (``scope``): filtering after ranking
    read and discarded the other knowledge bases' chunks, and Chroma's metadata filter scanned every
    chunk's ``kb`` per query; together they nearly doubled a partial grant's search time.
    """

    _SCOPES = 32  # kb sets kept per store version: one per distinct grant in use

    def __init__(self, store: LexicalStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._index: BM25Index | None = None
        self._built_at = 0.0
        self._build_seconds = 0.0
        self._kb_of: tuple[str, dict[str, str]] = ("", {})  # (store version, kb per chunk id)
        self._scopes: dict[tuple[str, frozenset[str]], KbScope] = {}
        self._titles: tuple[str, tuple[str, ...]] = ("", ())  # (store version, document titles)

    def _current(self) -> BM25Index:
        with self._lock:
            version = self.store.version()
            if self._index is None or self._index.version != version:
                saved = index_folder(self.store) / version
                # Only a slow (large) build is worth skipping; small stores always read fresh.
                slow = self._build_seconds > 0.5
                stale_ok = slow and time.monotonic() - self._built_at < 2 * self._build_seconds
                if self._index is None or saved.exists() or not stale_ok:
                    started = time.monotonic()
                    self._index = load_or_build(self.store)
                    self._built_at = time.monotonic()
                    self._build_seconds = self._built_at - started
            return self._index

    def idf(self, term: str) -> float:
        """Inverse document frequency of a term; a term the corpus never uses counts as the rarest."""
        return self._current().idf(term)

    def titles(self) -> tuple[str, ...]:
        """The titles of the indexed documents, read once per store version."""
        with self._lock:
            version = self.store.version()
            if self._titles[0] != version:
                self._titles = (version, tuple(self.store.titles()))
            return self._titles[1]

    def scope(self, kbs: Iterable[str]) -> KbScope:
        """The chunks of the knowledge bases ``kbs`` now, made once per set and store version."""
        return self._scope(self._current(), frozenset(kbs))

    def _scope(self, index: BM25Index, kbs: frozenset[str]) -> KbScope:
        with self._lock:
            if self._kb_of[0] != self.store.version():
                self._kb_of = self.store.chunk_kbs()
                self._scopes.clear()
            key = (index.version, kbs)
            scope = self._scopes.get(key)
            if scope is None:
                kb_of = self._kb_of[1]
                rows = np.fromiter((kb_of.get(i) in kbs for i in index.ids), dtype=bool, count=len(index))
                scope = KbScope(rows, tuple(i for i, kb in kb_of.items() if kb in kbs))
                if len(self._scopes) >= self._SCOPES:
                    del self._scopes[next(iter(self._scopes))]  # the oldest set
                self._scopes[key] = scope
            return scope

    def search(self, query: str, k: int, where: SearchFilter = SearchFilter()) -> list[tuple[Chunk, float]]:
        if where.empty:
            return []
        index = self._current()
        tokens = tokenize_query(expand_query(query))
        if not len(index) or not tokens:
            return []
        scores = index.scores(tokens)
        if where.kbs is not None:  # other knowledge bases' chunks never rank (and are never read)
            scores = np.where(self._scope(index, frozenset(where.kbs)).rows, scores, 0.0)
        positive = np.flatnonzero(scores > 0)
        order = positive[np.argsort(-scores[positive], kind="stable")]
        hits: list[tuple[Chunk, float]] = []
        # Filters on kind, document or section reject some: read ahead. Every chunk is still checked
        # against the whole filter, its knowledge base included, as the store has it now.
        batch = max(k, 16) * (8 if (where.kinds or where.docs or where.section) else 1)
        for offset in range(0, len(order), batch):
            ranked = order[offset : offset + batch]
            chunks = self.store.chunks_by_id([index.ids[i] for i in ranked])
            for i in ranked:
                chunk = chunks.get(index.ids[i])
                if chunk is not None and where.accepts(chunk):
                    hits.append((chunk, float(scores[i])))
                    if len(hits) >= k:
                        return hits
        return hits


def _normalise(scores: Iterable[float]) -> list[float]:
    values = list(scores)
    if not values:
        return []
    low, high = min(values), max(values)
    if high - low < 1e-9:
        return [1.0 for _ in values]
    return [(v - low) / (high - low) for v in values]


@dataclass
class HybridSearcher:
    lexical: LexicalIndex
    vectors: VectorStore
    lexical_weight: float = 0.7
    candidates: int = 50
    modes: tuple[str, ...] = field(default=("lexical", "dense"))
    # The knowledge bases this searcher may read (None: all); every search is narrowed to them.
    kbs: tuple[str, ...] | None = None

    def search(self, query: str, k: int = 5, where: SearchFilter = SearchFilter()) -> list[Passage]:
        where = where.within(self.kbs)
        if where.empty:
            return []
        lexical_hits = self.lexical.search(query, self.candidates, where) if "lexical" in self.modes else []
        dense_hits = self._dense(query, where) if "dense" in self.modes else []
        fused: dict[str, dict[str, Any]] = {}
        for rank, ((chunk, raw), norm) in enumerate(
            zip(lexical_hits, _normalise(s for _, s in lexical_hits), strict=True), start=1
        ):
            fused[chunk.id] = {"chunk": chunk, "lex": norm, "lex_raw": raw, "lex_rank": rank}
        for rank, (hit, norm) in enumerate(
            zip(dense_hits, _normalise(h.score for h in dense_hits), strict=True), start=1
        ):
            entry = fused.setdefault(hit.chunk.id, {"chunk": hit.chunk})
            entry.update({"dense": norm, "dense_raw": hit.score, "dense_rank": rank})
        weight = self.lexical_weight if lexical_hits and dense_hits else (1.0 if lexical_hits else 0.0)
        passages = [
            Passage(
                chunk=e["chunk"],
                score=weight * e.get("lex", 0.0) + (1 - weight) * e.get("dense", 0.0),
                lexical_score=e.get("lex_raw", 0.0),
                dense_score=e.get("dense_raw", 0.0),
                lexical_rank=e.get("lex_rank"),
                dense_rank=e.get("dense_rank"),
            )
            for e in fused.values()
        ]
        passages.sort(key=lambda p: (-p.score, p.chunk.doc, p.chunk.ordinal))
        return passages[:k]

    def idf(self, term: str) -> float:
        return self.lexical.idf(term)

    def titles(self) -> tuple[str, ...]:
        return self.lexical.titles()

    def _dense(self, query: str, where: SearchFilter) -> list[Any]:
        # Section filters are not expressible in Chroma's metadata filter: over-fetch, then filter.
        fetch = self.candidates * (4 if where.section else 1)
        if where.kbs is None or where.kinds or where.docs:
            # Chroma joins a list of ids with a metadata filter slowly (300 ms for 1k ids and a filter on
            # kind, measured): with other clauses the knowledge bases join them in ``where``.
            hits = self.vectors.search(query, fetch, where.chroma_where())
        else:
            # The knowledge bases' chunks named by id: the same filtered graph search as Chroma's
            # ``where`` on "kb", without its scan of every chunk's metadata per query.
            ids = self.lexical.scope(where.kbs).ids
            if not ids:
                return []
            hits = self.vectors.search(query, fetch, ids=ids)
        return [h for h in hits if where.accepts(h.chunk)][: self.candidates]
