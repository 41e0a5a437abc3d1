"""The features the verdict model reads for one candidate span: how much of the measure's topic it covers,
how many of the measure's elements it contradicts or leaves unsupported, and how it stands against the
closest span of the measure (a closer span that conflicts with the measure is evidence the measure means
that statement, not this one).

Conflicts are counted in all rather than by kind: each kind is rare in the training data (a handful of
reversed directions, a handful of negations), so a weight per kind would be learned from a few rows and a
kind the data happens to lack (a frequency the report never states) would weigh nothing. One count gives
every kind the same, well-estimated weight. Compared by leave-one-item-out on tune + dev: counts per kind
group 0.95; contradictions and unsupported elements apart 0.98 (but the unsupported weight came out near
zero: no training item needed it); one count 0.98.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.measures.results import Signals

FEATURES: tuple[str, ...] = (
    "coverage",  # idf-weighted share of the measure's content words in the span
    "compact",  # the same within one short stretch of clauses
    "bigram",  # share of the measure's character pairs in the span
    "cosine",  # encoder cosine of measure and span
    "conflicts",  # elements the span states otherwise (body, act, direction, negation, figure, scope) or
    # does not state at all (a figure, a frequency, a body)
    "gap_to_top",  # similarity of the closest span minus this span's
    "top_conflicted",  # the closest span is another one and conflicts with the measure
    "unknown",  # share of the measure's content words that no indexed document uses
    "soft",  # coverage with words the encoder puts near a missing one credited
    "stretch_cosine",  # encoder cosine of the measure and the span's closest short stretch of clauses
    "order",  # weighted share of pairs of the measure's words written in the measure's order
)
# The direction each feature's meaning gives it (fit_logistic's signs): more of the measure found in the
# span never counts against it, a conflict or a closer rival never for it. Fitted freely, bigram and
# unknown took the other sign (a measure with words no document uses gained), reading how the eval's near
# misses were written. Leave-one-item-out on tune + dev (397; python -m assistant.measures.training
# --from-rows, the free fit with signs=None): accuracy 0.874 either way, AUC 0.939 free, 0.941 signed.
FEATURE_SIGNS: dict[str, int] = {
    "coverage": 1, "compact": 1, "bigram": 1, "cosine": 1, "soft": 1, "stretch_cosine": 1, "order": 1,
    "conflicts": -1, "gap_to_top": -1, "top_conflicted": -1, "unknown": -1,
}


def span_features(signals: Sequence[Signals]) -> list[dict[str, float]]:
    """One feature row per span; ``signals`` are the judged spans of one measure."""
    if not signals:
        return []
    top = max(signals, key=lambda s: s.similarity)
    return [
        {
            "coverage": sig.coverage,
            "compact": sig.compact,
            "bigram": sig.bigram,
            "cosine": sig.cosine,
            "conflicts": float(len(sig.conflicts)),
            "gap_to_top": top.similarity - sig.similarity,
            "top_conflicted": float(bool(top.conflicts) and top is not sig),
            "unknown": sig.unknown,
            "soft": sig.coverage if sig.soft is None else sig.soft,
            "stretch_cosine": sig.cosine if sig.stretch_cosine is None else sig.stretch_cosine,
            "order": sig.order,
        }
        for sig in signals
    ]
