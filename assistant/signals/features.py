"""The honest signals of one passage for one question, as named numbers a logistic model can weigh.

Every feature is something the system already knows at answer time: the two retrievers' scores and
ranks, how much of the question's term weight the passage, its sentence and its place (title, section
path) hold, whether it states the kind of fact asked for, and what kind of text it is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from assistant.retrieval import Passage
from assistant.signals.facts import counts_without_naming, lists_members
from assistant.signals.question import QuestionAnalysis
from assistant.units import is_measure_label
from index.kinds import DocumentKind
from index.text import ENUMERATION_MARKER, enumeration_ordinals, sentences

PASSAGE_FEATURES = (
    "fused",
    "lexical",
    "dense",
    "lexical_rank",
    "dense_rank",
    "in_lexical",
    "in_dense",
    "rank",
    "cover_text",
    "cover_sentence",
    "cover_context",
    "cover_title",
    "missing_weight",
    "fact_asked",
    "fact_stated",
    "fact_sentence",
    "report",
    "regulation",
    "measure_unit",
    "article",
    "measures_in_report",
    "rules_in_regulation",
    "length",
    "enumeration",
    "list_enumeration",
    "cover_section",
    "doc_share",
    "doc_best_cover",
    "best_of_doc",
    "cover_context_rel",
    "cover_sentence_rel",
    "dense_rel",
    "key_text",
    "key_context",
    "our_unit",
    "named_document",
)

# Facts whose value is a list of items, which by nature runs over the sentences after the one naming the topic.
_LISTED = ("count", "members")


def passage_features(q: QuestionAnalysis, passage: Passage, rank: int, cosine: float) -> dict[str, float]:
    chunk = passage.chunk
    text = chunk.text
    context = f"{chunk.title} {chunk.section} {text}"
    # The label a unit opens with (五是, （二）) is its place among its siblings: read as an enumeration it
    # made every measure seem to list what a question asks to be listed (具体是哪些指标).
    body = text[len(chunk.label):] if chunk.label and text.startswith(chunk.label) else text
    text_sentences = sentences(body)
    best_sentence = max((q.coverage(s) for s in text_sentences), default=0.0)
    stating = [s for s in text_sentences if q.fact is not None and q.fact.stated_in(s)]
    # the asked kind of fact written out in a sentence that is about the question
    fact_sentence = max((q.coverage(s) for s in stating), default=0.0)
    stated = q.fact is not None and q.fact.stated_in(body)
    if q.fact is not None and stated:
        # stated in the passage but not in the sentence that names the topic (a figure in the next
        # sentence): weaker evidence, still evidence. A count is different: its value is the list of
        # items, which by nature runs over several sentences after the one that names the topic.
        weight = 1.0 if q.fact.kind in _LISTED else 0.5
        fact_sentence = max(fact_sentence, weight * q.coverage(context))
    missing = sum(t.weight for t in q.missing(context)) / q.total_weight if q.terms else 0.0
    # the asked kind of fact written out in a sentence that names the question's topic (a date in a
    # sentence about another meeting is no answer to "when was the 人才 meeting")
    fact_key = float(any(_names_topic(q, s) for s in stating))
    if q.fact is not None and q.fact.kind in _LISTED and stated:
        fact_key = max(fact_key, float(_names_topic(q, context)))
    withheld = withholding_sentence(q, text_sentences) is not None
    topic_sentences = [s for s in text_sentences if _names_topic(q, s)] if q.asks_which else []
    report = chunk.kind == DocumentKind.REPORT
    regulation = chunk.kind == DocumentKind.REGULATION
    return {
        "fused": passage.score,
        "lexical": math.log1p(passage.lexical_score),
        "dense": cosine,
        "lexical_rank": 1.0 / passage.lexical_rank if passage.lexical_rank else 0.0,
        "dense_rank": 1.0 / passage.dense_rank if passage.dense_rank else 0.0,
        "in_lexical": float(passage.lexical_rank is not None),
        "in_dense": float(passage.dense_rank is not None),
        "rank": 1.0 / rank,
        "cover_text": q.coverage(text),
        "cover_sentence": best_sentence,
        "cover_context": q.coverage(context),
        "cover_title": q.coverage(chunk.title),
        "missing_weight": missing,
        "fact_asked": float(q.fact is not None),
        "fact_stated": float(stated),
        "fact_sentence": fact_sentence,
        "fact_key": fact_key,
        "fact_withheld": float(withheld),
        # asked to name them, a sentence about the topic counts the things and another lists some
        "members_counted": float(any(counts_without_naming(s) for s in topic_sentences)),
        "members_listed": float(any(lists_members(s) for s in topic_sentences)),
        "report": float(report),
        "regulation": float(regulation),
        "measure_unit": float(is_measure_label(chunk.label)),
        "article": float(chunk.label.endswith("条")),
        "measures_in_report": float(q.asks_measures and report),
        "rules_in_regulation": float(q.asks_rules and regulation),
        "length": math.log(1 + len(text)),
        # Here the unit's own label counts: a numbered unit is one item of a list, what a list question wants.
        # (Read after the label, as the asked fact is: CV AUC 0.9104 -> 0.9076, a refit not committed.)
        "enumeration": math.log1p(len(enumeration_ordinals(text))),
        "list_enumeration": float((q.asks_list or q.asks_count) and bool(ENUMERATION_MARKER.search(text))),
        "cover_section": q.coverage(chunk.section),
        "key_text": q.key_coverage(text),
        "key_context": q.key_coverage(context),
        # the question says 局里 / 咱们学校 and this document is that kind of unit's own
        "our_unit": float(q.names_our_unit(chunk.title)),
        "named_document": q.names_document(chunk.title),
        "unheld_document": float(bool(q.unheld)),
        "own_missing": q.own_missing(context),
    }


def withholding_sentence(q: QuestionAnalysis, text_sentences: Sequence[str], place: str = "") -> str | None:
    """The first sentence that writes the asked value as * and names the question's topic, itself or with
    ``place`` (the title and section it stands under): the document has the value and withholds it (*条问题,
    *年*月*日)."""
    if q.fact is None:
        return None
    fact = q.fact
    return next((s for s in text_sentences if fact.withheld_in(s) and _names_topic(q, f"{place} {s}")), None)


def _names_topic(q: QuestionAnalysis, text: str) -> bool:
    return not q.key_terms or q.key_coverage(text) > 0


def add_pool_features(pool: list[dict[str, float]], docs: list[str]) -> None:
    """Features of a passage's document within the pool: how many of the candidates it holds, how well its
    best passage covers the question, and whether this passage is that one (one document often answers, and
    answers several times)."""
    share: dict[str, int] = {}
    best: dict[str, float] = {}
    top = {k: max((f[k] for f in pool), default=0.0) for k in ("cover_context", "cover_sentence", "dense")}
    for features, doc in zip(pool, docs, strict=True):
        share[doc] = share.get(doc, 0) + 1
        best[doc] = max(best.get(doc, 0.0), features["cover_context"])
    for features, doc in zip(pool, docs, strict=True):
        features["doc_share"] = share[doc] / len(pool)
        features["doc_best_cover"] = best[doc]
        # the passage of its document that covers the question best: what that document says about it
        # (a question across documents wants each one's; cross-validated on tune, recall@5 0.916 -> 0.919)
        features["best_of_doc"] = float(features["cover_context"] >= best[doc])
        for k, value in top.items():  # relative to the best candidate: what stands out for this question
            features[f"{k}_rel"] = features[k] - value
