"""Which ranked passages become items of an answer.

A small logistic model over the relevance ranking gives each of the first ``TOP`` passages the probability
that it holds a quote the answer needs, from where it stands: its relevance (as log-odds), its share of the
best passage's relevance, its rank, how sure the best passage is, whether it is its document's best, and
whether the question asks for several items (a list, a count, a comparison), through which the cut may move
for such questions as far as the tune data says it should (``_every_matching_measure`` completes a list of
measures). A passage is shown when that probability reaches the model's threshold; the best passage always
is. The model and its threshold are fitted by ``python -m assistant.signals.train`` on the tune split and stored in
models/selection.json; one threshold on a calibrated probability moves little between refits, where a grid
of hand cut-offs jumped between neighbouring corners.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.signals.model import LogisticModel, load_model, logit
from assistant.signals.question import QuestionAnalysis
from assistant.signals.relevance import Scored

TOP = 12  # passages the model considers; a longer list is the ledger's job (compose, answering)

SELECTION_FEATURES = (
    "relevance_logit",
    "share_of_best",
    "log_rank",
    "best_logit",
    "many",
    "many_relevance_logit",
    "many_share_of_best",
    "many_log_rank",
    "first_of_document",
)


def asks_many(q: QuestionAnalysis) -> bool:
    """A question answered by several items: a list, a count or a comparison."""
    return q.asks_list or q.asks_count or q.asks_comparison


def selection_features(many: bool, pool: Sequence[Scored]) -> list[dict[str, float]]:
    """One row per passage of ``pool[:TOP]`` (most relevant first)."""
    head = pool[:TOP]
    if not head:
        return []
    best = max(head[0].probability, 1e-6)
    m = float(many)
    rows = []
    shown_documents: set[str] = set()
    for rank, scored in enumerate(head):
        odds, share, log_rank = logit(scored.probability), scored.probability / best, math.log1p(rank)
        # A document's best passage holds what that document says; the passages ranked after it in the
        # same document more often repeat it. (Cross-validated on tune when added: precision 0.634 -> 0.652
        # at the same recall; the model's report holds the current figures.)
        first_of_document = scored.passage.chunk.doc not in shown_documents
        shown_documents.add(scored.passage.chunk.doc)
        rows.append({
            "relevance_logit": odds,
            "share_of_best": share,
            "log_rank": log_rank,
            "best_logit": logit(best),
            "many": m,
            "many_relevance_logit": m * odds,
            "many_share_of_best": m * share,
            "many_log_rank": m * log_rank,
            "first_of_document": float(first_of_document),
        })
    return rows


@dataclass(frozen=True)
class Selection:
    model: LogisticModel

    def select(self, q: QuestionAnalysis, pool: Sequence[Scored]) -> list[Scored]:
        if not pool:
            return []
        rows = selection_features(asks_many(q), pool)
        return [pool[0], *(s for s, row in zip(pool[1:], rows[1:], strict=False) if self.model.decide(row))]


def load_selection() -> Selection:
    return Selection(load_model("selection"))
