"""Learned ranking: the hybrid searcher's candidates reordered by a model of "this passage answers it".

The hybrid search fuses two normalised scores with one hand weight; the relevance model weighs those
scores together with the question's term coverage of each passage, its sentence and its section path,
the asked fact and the passage's kind (assistant/signals/features.py), trained on the tune split.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from assistant.reranking import LLMReranker
from assistant.retrieval import HybridSearcher, Passage, SearchFilter
from assistant.signals.features import add_pool_features, passage_features
from assistant.signals.model import LogisticModel, load_model
from assistant.signals.question import QuestionAnalysis, analyse
from assistant.signals.wording import load_wording, wording_logit

POOL = 40  # hybrid candidates the model reorders
COMPARED = 2  # documents a comparison sets side by side (两份文件, 各自, 分别)


@dataclass(frozen=True)
class Scored:
    passage: Passage
    features: dict[str, float]
    probability: float


def each_document_first(scored: Sequence[Scored], documents: int = COMPARED) -> list[Scored]:
    """A comparison asks what each document says: the best passage of each of the first ``documents``
    documents leads, then the rest in order. (The model ranks passage by passage, so a second document's
    best passage can trail the first document's second and third; cross-validated on tune: recall@5 of
    cross-document questions 0.860 -> 0.880.)"""
    heads: dict[str, int] = {}
    for i, s in enumerate(scored):
        if len(heads) == documents:
            break
        heads.setdefault(s.passage.chunk.doc, i)
    return _led_by(scored, heads.values())


def _led_by(scored: Sequence[Scored], heads: Iterable[int]) -> list[Scored]:
    """``scored`` with the passages at ``heads`` first, in their order, then the rest in theirs."""
    lead = sorted(set(heads))
    return [scored[i] for i in lead] + [s for i, s in enumerate(scored) if i not in lead]


def named_documents_first(scored: Sequence[Scored], named: Sequence[frozenset[str]]) -> list[Scored]:
    """A question naming documents side by side (局里…，会计法…？) asks what each says: the best passage of each
    named document leads, in the model's order, then the rest. The first documents of the pool, which
    ``each_document_first`` takes, may be two of one side."""
    heads = (next((i for i, s in enumerate(scored) if s.passage.chunk.title in titles), None) for titles in named)
    return _led_by(scored, (i for i in heads if i is not None))


def compared_first(scored: Sequence[Scored], q: QuestionAnalysis) -> list[Scored]:
    """``scored`` in the order a question reads it: the named documents' best passages first when it names
    several, each document's best when it compares without naming them, else as ranked."""
    if len(q.named) >= 2:
        return named_documents_first(scored, q.named)
    if q.asks_comparison:
        return each_document_first(scored)
    return list(scored)


@dataclass
class RankedSearcher:
    """``search`` and ``idf`` like the hybrid searcher, with the relevance model's order and scores."""

    base: HybridSearcher
    model: LogisticModel | None  # None: keep the hybrid order (used to collect training data)
    pool: int = POOL
    reranker: LLMReranker | None = None  # optional: an LLM reorders the first ``rerank_top_n``
    rerank_top_n: int = 8
    # the question-wording model (assistant/signals/wording.py); None: its signal is left out of the features
    wording: LogisticModel | None = None

    @classmethod
    def trained(cls, base: HybridSearcher) -> RankedSearcher:
        return cls(base, load_model("relevance"), wording=load_wording(base.vectors.embeddings.name))

    def idf(self, term: str) -> float:
        return self.base.idf(term)

    def analyse(self, question: str, history: Sequence[str] = ()) -> QuestionAnalysis:
        # every title, not only those a grant admits: spelling a short name out reveals no document
        return analyse(question, self.base.idf, history, self.base.titles())

    def candidates(
        self, question: str, where: SearchFilter = SearchFilter(), *, analysis: QuestionAnalysis | None = None,
    ) -> list[Scored]:
        """The pool's passages with their features and relevance, most relevant first."""
        q = analysis or self.analyse(question)
        passages = self.base.search(q.text, self.pool, where)
        cosines = self.base.vectors.similarities(q.text, [p.chunk.id for p in passages])
        rows = [
            passage_features(q, passage, rank, cosines.get(passage.chunk.id, 0.0))
            for rank, passage in enumerate(passages, start=1)
        ]
        add_pool_features(rows, [p.chunk.doc_id for p in passages])
        if self.wording is not None and rows:
            # a question-level signal, carried by every passage like fact_asked (the relevance model ignores it)
            wording = wording_logit(self.wording, self.base.vectors.query_vector(q.text)[0])
            for row in rows:
                row["question_wording"] = wording
        scored = [
            Scored(passage, features, self.model.probability(features) if self.model else passage.score)
            for passage, features in zip(passages, rows, strict=True)
        ]
        scored.sort(key=lambda s: (-s.probability, s.passage.chunk.doc, s.passage.chunk.ordinal))
        scored = compared_first(scored, q)
        if self.reranker is not None:
            scored = self._reranked(q.text, scored)
        return scored

    def holds_relevant(self, scored: Scored) -> bool:
        """Whether the relevance model, on its own decision, holds the passage relevant to the question its
        pool was ranked for (without a model, every passage is)."""
        return self.model is None or self.model.decide(scored.features)

    def _reranked(self, question: str, scored: list[Scored]) -> list[Scored]:
        """The LLM's order for the first few; probabilities stay tied to positions (as in reranking.reorder)."""
        assert self.reranker is not None
        head, tail = scored[: self.rerank_top_n], scored[self.rerank_top_n :]
        ranking = self.reranker.judge(question, [s.passage for s in head])
        by_id = {s.passage.chunk.id: s for s in head}
        probabilities = [s.probability for s in head]
        reordered = [by_id[p.chunk.id] for p in ranking.passages]
        return [replace(s, probability=pr) for s, pr in zip(reordered, probabilities, strict=True)] + tail

    def search(self, query: str, k: int = 5, where: SearchFilter = SearchFilter()) -> list[Passage]:
        return [replace(s.passage, score=s.probability) for s in self.candidates(query, where)[:k]]
