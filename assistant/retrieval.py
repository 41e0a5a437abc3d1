"""Hybrid retrieval: BM25 over jieba tokens and dense cosine over Chroma, fused by weighted scores.

On this corpus the lexical side is the stronger one for exact topics and the dense side helps with
paraphrase; equal-weight rank fusion lets dense noise push good lexical hits out of the top 10, so
each side's scores are min-max normalised over its own candidates and fused with a lexical weight.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict
from rank_bm25 import BM25Okapi

from assistant.vocabulary import expand_query
from index.chunking import Chunk
from index.lexical import LexicalStore, tokenize_query
from index.store import VectorStore


@dataclass(frozen=True)
class SearchFilter:
    kinds: tuple[str, ...] = ()  # "report" / "regulation" / "other"
    docs: tuple[str, ...] = ()  # file names
    section: str = ""  # substring of the section path

    def accepts(self, chunk: Chunk) -> bool:
        return (
            (not self.kinds or chunk.kind in self.kinds)
            and (not self.docs or chunk.doc in self.docs)
            and (not self.section or self.section in chunk.section)
        )

    def chroma_where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if self.kinds:
            clauses.append({"kind": {"$in": list(self.kinds)}})
        if self.docs:
            clauses.append({"doc": {"$in": list(self.docs)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    @property
    def active(self) -> bool:
        return bool(self.kinds or self.docs or self.section)


@dataclass(frozen=True)
class Passage:
    chunk: Chunk
    score: float
    lexical_score: float = 0.0
    dense_score: float = 0.0
    lexical_rank: int | None = None  # 1-based rank in each retriever's own list
    dense_rank: int | None = None

    def to_document(self) -> Document:
        meta = self.chunk.to_metadata() | {
            "id": self.chunk.id,
            "score": self.score,
            "lexical_score": self.lexical_score,
            "dense_score": self.dense_score,
        }
        return Document(page_content=self.chunk.text, metadata=meta, id=self.chunk.id)


class LexicalIndex:
    """BM25 over the lexical store, rebuilt only when the store's generation changes."""

    def __init__(self, store: LexicalStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._generation = -1
        self._chunks: list[Chunk] = []
        self._bm25: BM25Okapi | None = None

    def _current(self) -> tuple[list[Chunk], BM25Okapi | None]:
        with self._lock:
            generation = self.store.generation()
            if generation != self._generation:
                entries = list(self.store.entries())
                self._chunks = [e.chunk for e in entries]
                self._bm25 = BM25Okapi([e.tokens for e in entries]) if entries else None
                self._generation = generation
            return self._chunks, self._bm25

    def idf(self, term: str) -> float:
        """Inverse document frequency of a term; a term the corpus never uses counts as the rarest."""
        chunks, bm25 = self._current()
        if bm25 is None:
            return 0.0
        return float(bm25.idf.get(term, math.log(len(chunks) + 1.0)))

    def search(self, query: str, k: int, where: SearchFilter = SearchFilter()) -> list[tuple[Chunk, float]]:
        chunks, bm25 = self._current()
        tokens = tokenize_query(expand_query(query))
        if bm25 is None or not tokens:
            return []
        scores = bm25.get_scores(tokens)
        order = np.argsort(-scores)
        hits: list[tuple[Chunk, float]] = []
        for i in order:
            if scores[i] <= 0 or len(hits) >= k:
                break
            if where.accepts(chunks[i]):
                hits.append((chunks[i], float(scores[i])))
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

    def search(self, query: str, k: int = 5, where: SearchFilter = SearchFilter()) -> list[Passage]:
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

    def _dense(self, query: str, where: SearchFilter) -> list[Any]:
        # Section filters are not expressible in Chroma's metadata filter: over-fetch, then filter.
        fetch = self.candidates * (4 if where.section else 1)
        hits = self.vectors.search(query, fetch, where.chroma_where())
        return [h for h in hits if where.accepts(h.chunk)][: self.candidates]


class HybridRetriever(BaseRetriever):
    """LangChain retriever over the hybrid searcher (for chains and other LangChain users)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: HybridSearcher
    k: int = 5
    where: SearchFilter = SearchFilter()

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [p.to_document() for p in self.searcher.search(query, self.k, self.where)]
