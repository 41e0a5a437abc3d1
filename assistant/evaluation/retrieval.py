"""Retrieval metrics (recall@5/10, all quotes in the top 10, MRR@10) of any retriever on the eval questions,
and our searcher's three modes (hybrid, dense, BM25) as retrievers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from assistant.evaluation.data import GoldQuote, Question, Retrieved, covers_gold
from assistant.retrieval import HybridSearcher, Searcher
from assistant.signals.question import standalone_question
from assistant.workspace import Workspace

TOP_K = 10
# "ranked" is the hybrid pool reordered by the learned relevance model (assistant/signals/relevance.py).
WORKSPACE_SYSTEMS: dict[str, tuple[str, ...]] = {
    "ranked": ("lexical", "dense"),
    "hybrid": ("lexical", "dense"),
    "dense": ("dense",),
    "bm25": ("lexical",),
}
Retriever = Callable[[str], list[Retrieved]]


@dataclass(frozen=True)
class QuestionScore:
    id: str
    kind: str
    recall_at_5: float
    recall_at_10: float
    first_rank: int | None  # 1-based rank of the first passage covering any gold quote, within top 10

    @property
    def reciprocal_rank(self) -> float:
        return 1.0 / self.first_rank if self.first_rank else 0.0


def _quote_recall(ranked: Sequence[Retrieved], gold: Sequence[GoldQuote], k: int) -> float:
    top = ranked[:k]
    found = sum(1 for g in gold if any(covers_gold(p, g) for p in top))
    return found / len(gold)


def _first_rank(ranked: Sequence[Retrieved], gold: Sequence[GoldQuote], k: int) -> int | None:
    for rank, passage in enumerate(ranked[:k], start=1):
        if any(covers_gold(passage, g) for g in gold):
            return rank
    return None


def score_question(ranked: Sequence[Retrieved], question: Question) -> QuestionScore:
    return QuestionScore(
        id=question.id,
        kind=question.kind,
        recall_at_5=_quote_recall(ranked, question.gold, 5),
        recall_at_10=_quote_recall(ranked, question.gold, 10),
        first_rank=_first_rank(ranked, question.gold, 10),
    )


def _summarise(scores: Sequence[QuestionScore]) -> dict[str, float]:
    n = len(scores)
    if n == 0:
        return {"n": 0, "recall@5": 0.0, "recall@10": 0.0, "all@10": 0.0, "mrr@10": 0.0}
    return {
        "n": n,
        "recall@5": sum(s.recall_at_5 for s in scores) / n,
        "recall@10": sum(s.recall_at_10 for s in scores) / n,
        "all@10": sum(1 for s in scores if s.recall_at_10 == 1.0) / n,
        "mrr@10": sum(s.reciprocal_rank for s in scores) / n,
    }


def retrieval_metrics(
    ranked_per_question: Sequence[Sequence[Retrieved]], questions: Sequence[Question]
) -> dict[str, Any]:
    """recall@5/10, "all quotes in top 10" and MRR@10 over answerable questions, overall and per kind.

    ``ranked_per_question[i]`` is the ranked ``(doc, text)`` list returned for ``questions[i]``.
    """
    if len(ranked_per_question) != len(questions):
        raise ValueError("每个问题都需要一份检索结果")
    scores = [
        score_question(ranked, q) for ranked, q in zip(ranked_per_question, questions, strict=True) if q.answerable
    ]
    kinds = sorted({s.kind for s in scores})
    return {
        "overall": _summarise(scores),
        "by_kind": {kind: _summarise([s for s in scores if s.kind == kind]) for kind in kinds},
        "per_question": [
            {"id": s.id, "kind": s.kind, "recall@5": s.recall_at_5, "recall@10": s.recall_at_10, "rank": s.first_rank}
            for s in scores
        ],
    }


def run_retriever(retriever: Retriever, questions: Sequence[Question]) -> list[list[Retrieved]]:
    """Each question as the retriever sees it: a follow-up is first made standalone from its history."""
    return [retriever(standalone_question(q.question, q.history)) for q in questions]


def searcher_retriever(searcher: Searcher, k: int = TOP_K) -> Retriever:
    def retrieve(question: str) -> list[Retrieved]:
        return [(p.chunk.doc, p.chunk.text) for p in searcher.search(question, k)]

    return retrieve


def workspace_retrievers(ws: Workspace, names: Iterable[str] = WORKSPACE_SYSTEMS) -> dict[str, Retriever]:
    """ranked / hybrid / dense / bm25: one index, the same searcher with different modes."""
    retrievers = {}
    for name in names:
        if name == "ranked":
            retrievers[name] = searcher_retriever(ws.ranked)
        else:
            retrievers[name] = searcher_retriever(replace(ws.searcher, modes=WORKSPACE_SYSTEMS[name]))
    return retrievers


def evaluate_retrievers(retrievers: Mapping[str, Retriever], questions: Sequence[Question]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, retrieve in retrievers.items():
        started = time.perf_counter()
        ranked = run_retriever(retrieve, questions)
        metrics = retrieval_metrics(ranked, questions)
        metrics["query_seconds"] = round(time.perf_counter() - started, 3)
        results[name] = metrics
    return results


def sweep_lexical_weight(
    searcher: HybridSearcher,
    questions: Sequence[Question],
    weights: Sequence[float] = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
) -> list[dict[str, float]]:
    """Hybrid recall@5 / recall@10 / MRR@10 per lexical weight: a tuning aid, not a target to maximise."""
    rows = []
    for weight in weights:
        hybrid = replace(searcher, modes=WORKSPACE_SYSTEMS["hybrid"], lexical_weight=weight)
        overall = retrieval_metrics(run_retriever(searcher_retriever(hybrid), questions), questions)["overall"]
        rows.append({"lexical_weight": weight} | {k: overall[k] for k in ("recall@5", "recall@10", "all@10", "mrr@10")})
    return rows
