"""The question-wording signal: a model over the question's own vector, read only with the encoder it was
fitted on, and kept from learning that asking for a value is a reason to refuse."""

from __future__ import annotations

import numpy as np

from assistant.signals.wording import balanced_within, fit_wording, load_wording, wording_logit
from index.embedding import BUNDLED_E5, SentenceEmbeddings


def test_each_group_weighs_as_answerable_and_unanswerable_halves() -> None:
    # asked a value: one answerable, three not; not asked a value: two answerable, none not
    groups = [True, True, True, True, False, False]
    labels = [1, 0, 0, 0, 1, 1]
    weights = balanced_within(groups, labels)
    totals: dict[tuple[bool, int], float] = {}
    for cell, weight in zip(zip(groups, labels, strict=True), weights, strict=True):
        totals[cell] = totals.get(cell, 0.0) + weight
    assert len(set(np.round(list(totals.values()), 9))) == 1  # every cell the same in total
    assert np.isclose(sum(weights), len(labels))


def test_a_fit_learns_which_way_the_wording_points() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(80, 6))
    labels = [int(v[0] > 0) for v in vectors]
    model = fit_wording(vectors, labels, [i % 2 == 0 for i in range(80)], "toy", c=1.0)
    assert model.report["encoder"] == "toy"
    assert wording_logit(model, np.array([2.0, 0, 0, 0, 0, 0])) > 0 > wording_logit(model, np.array([-2.0, 0, 0, 0, 0, 0]))


def test_the_committed_model_is_read_only_with_the_encoder_it_was_fitted_on() -> None:
    assert load_wording("另一个编码器") is None
    model = load_wording(BUNDLED_E5)
    assert model is not None and model.report["encoder"] == BUNDLED_E5


def test_asking_what_a_report_only_names_is_worded_unlike_asking_what_it_did(embeddings: SentenceEmbeddings) -> None:
    """Questions written for this spec, in no eval set: how a unit went about something, against how many
    problems a check found and which they were."""
    model = load_wording(embeddings.name)
    assert model is not None
    did = ["南开大学是怎样加强师德师风建设的？", "教育局在食堂管理方面采取了哪些整改措施？"]
    named = ["那个专项检查一共查出了多少个问题？分别是什么？"]
    logits = {q: wording_logit(model, v) for q, v in zip(did + named, embeddings.embed_queries(did + named), strict=True)}
    assert max(logits[q] for q in named) < min(logits[q] for q in did), logits
