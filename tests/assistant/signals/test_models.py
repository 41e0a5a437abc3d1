"""The learned signals: JSON models that reproduce their training data's fingerprint, read without
scikit-learn, and a logistic fit that learns what it is shown."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from assistant.evaluation.eval_sets import split_ids
from assistant.measures.features import FEATURE_SIGNS
from assistant.retrieval import Passage
from assistant.settings import Settings
from assistant.signals.answerable import ANSWERABLE_SIGNS
from assistant.signals.model import MODELS_DIR, LogisticModel, fit_logistic, load_model, logit
from assistant.signals.question import analyse
from assistant.signals.relevance import Scored
from assistant.signals.selection import SELECTION_FEATURES, Selection, selection_features
from assistant.signals.train import (
    ANSWER_RATE_TARGET,
    PRECISION_FLOOR,
    REFUSAL_TARGET,
    _worst_shortfall,
    data_hash,
    operating_point,
    training_questions,
    writers,
)
from index.chunking import Chunk


def test_logit_inverts_the_model_probability_and_stays_finite_at_the_ends() -> None:
    model = LogisticModel("m", ("x",), (0.0,), (1.0,), (1.0,), 0.0)
    assert logit(model.probability({"x": 2.5})) == pytest.approx(2.5)
    assert logit(0.0) == pytest.approx(-logit(1.0)) and math.isfinite(logit(0.0)) and logit(0.0) < -13


def test_a_fit_learns_a_separable_rule_and_round_trips_through_json(tmp_path: Path) -> None:
    rows = [{"x": float(i), "noise": float(i % 3)} for i in range(40)]
    labels = [int(i >= 20) for i in range(40)]
    model = fit_logistic("toy", rows, labels, ("x", "noise"), c=10.0)
    assert model.probability({"x": 35.0, "noise": 1.0}) > 0.9 > 0.1 > model.probability({"x": 3.0, "noise": 1.0})
    again = LogisticModel.from_json(json.loads(model.save(tmp_path / "toy.json").read_text(encoding="utf-8")))
    assert again == model
    assert math.isclose(again.probability({"x": 20.0}), model.probability({"x": 20.0}))


def test_a_free_fit_reaches_the_same_optimum_as_scikit_learn() -> None:
    # the objective of LogisticRegression (L2 on the weights, the bias free, balanced classes), solved tightly
    rows = [{"a": (i * 7919 % 101) / 10, "b": (i * 104729 % 53) / 5, "c": float(i % 2)} for i in range(300)]
    labels = [int(r["a"] - r["b"] + 3 * r["c"] + (i * 31 % 7) - 3 > 0) for i, r in enumerate(rows)]
    model = fit_logistic("toy", rows, labels, ("a", "b", "c"), c=0.5)
    z = [[(r[f] - m) / s for f, m, s in zip(model.features, model.mean, model.scale, strict=True)] for r in rows]
    reference = LogisticRegression(C=0.5, class_weight="balanced", tol=1e-10, max_iter=10000).fit(z, labels)
    assert [round(w, 3) for w in model.weights] == [round(float(w), 3) for w in reference.coef_[0]]
    assert round(model.bias, 3) == round(float(reference.intercept_[0]), 3)


def test_a_sign_keeps_a_weight_on_the_side_its_meaning_gives() -> None:
    # "found" is the evidence; in this sample it happens to run against the label once "noise" is known
    rows = [{"found": float(i % 5), "noise": float(i % 5) + (2.0 if i % 3 == 0 else 0.0)} for i in range(60)]
    labels = [int(i % 3 == 0) for i in range(60)]
    free = fit_logistic("toy", rows, labels, ("found", "noise"), c=10.0)
    signed = fit_logistic("toy", rows, labels, ("found", "noise"), c=10.0, signs={"found": 1})
    assert free.weights[0] < 0  # the quirk a free fit learns
    assert signed.weights[0] == 0.0 and signed.weights[1] > 0
    with pytest.raises(ValueError, match="unheard"):
        fit_logistic("toy", rows, labels, ("found", "noise"), signs={"unheard": 1})


@pytest.mark.parametrize(("name", "signs"), [("answerable", ANSWERABLE_SIGNS), ("measure_verdict", FEATURE_SIGNS)])
def test_the_committed_evidence_models_weigh_each_signal_the_way_it_points(name: str, signs: dict[str, int]) -> None:
    model = load_model(name)
    assert set(signs) == set(model.features)
    for feature, weight in zip(model.features, model.weights, strict=True):
        assert weight * signs[feature] >= 0, f"{name}.json: {feature} weighs {weight:+.3f}"


def test_the_committed_models_were_trained_on_the_current_tune_split_and_dev_set() -> None:
    questions = training_questions(Settings(), Path(tempfile.mkdtemp()))
    assert {q.id for q in questions}.isdisjoint(split_ids("questions", "test"))  # test never trains
    fingerprint = data_hash(questions)
    for name in ("relevance", "answerable", "selection", "question_wording"):
        model = load_model(name)
        assert model.report["data"] == fingerprint, f"{name}.json is stale: run python -m assistant.signals.train"
        assert len(model.features) == len(model.weights) == len(model.mean) == len(model.scale)
    assert {p.name for p in MODELS_DIR.glob("*.json")} >= {"answerable.json", "relevance.json", "selection.json"}


def test_a_writers_questions_are_held_out_together() -> None:
    questions = training_questions(Settings(), Path(tempfile.mkdtemp()))
    folds = writers(questions)
    assert len(folds) == len(questions) and len(set(folds)) > 5
    first = {q.id.split("-")[0]: f for q, f in zip(questions, folds, strict=True)}
    assert all(first[q.id.split("-")[0]] == f for q, f in zip(questions, folds, strict=True))
    assert 0.5 < load_model("answerable").report["cv_auc_by_writer"] <= 1


def test_the_models_record_their_cross_validated_figures() -> None:
    relevance = load_model("relevance").report
    assert 0 < relevance["hybrid_recall@5"] <= relevance["pool_recall"] <= 1
    answerable = load_model("answerable").report
    assert 0 < answerable["cv_answer_rate"] <= 1 and 0 < answerable["cv_refusal"] <= 1
    selection = load_model("selection").report
    assert 0 < selection["cv_citation_recall"] <= 1 and 0 < selection["cv_citation_precision"] <= 1
    # the threshold keeps the product's precision floor, sampling error included, on questions it did not see
    assert selection["cv_precision_bound"] >= selection["precision_floor"] == PRECISION_FLOOR
    low, high = selection["threshold_resampled_5_95"]
    assert low <= selection["threshold"] <= high


def test_the_selection_threshold_buys_the_most_recall_the_precision_floor_allows() -> None:
    # thresholds rising left to right: recall falls, the precision bound rises
    recall = np.array([0.90, 0.88, 0.85, 0.80])
    assert operating_point(recall, np.array([0.50, 0.58, 0.61, 0.70])) == 2
    assert operating_point(recall, np.array([0.61, 0.62, 0.63, 0.70])) == 0
    # equal recall: the surer precision
    assert operating_point(np.array([0.85, 0.85, 0.80]), np.array([0.60, 0.66, 0.70])) == 1
    # nothing meets the floor: the best precision there is
    assert operating_point(recall, np.array([0.40, 0.45, 0.52, 0.50])) == 2


def _pool(probabilities: list[float], docs: list[str] | None = None) -> list[Scored]:
    docs = docs or [f"通报{i}.md" for i in range(len(probabilities))]
    chunks = [
        Chunk(f"doc{i}", docs[i], "通报", "report", "", "", 0, 1, "甲", None, (), i) for i in range(len(probabilities))
    ]
    return [Scored(Passage(c, p), {}, p) for c, p in zip(chunks, probabilities, strict=True)]


def test_the_selection_shows_the_best_passage_and_cuts_the_ranking_once() -> None:
    selection = Selection(load_model("selection"))
    assert set(selection.model.features) == set(SELECTION_FEATURES)
    question = analyse("巡视组组长是谁？", lambda _t: 1.0)
    faint = _pool([0.05, 0.04, 0.03])
    assert [s.probability for s in selection.select(question, faint)] == [0.05]  # never nothing
    ranking = _pool([0.99, 0.98, 0.97, 0.96, 0.95, 0.94, 0.93, 0.92, 0.91, 0.9, 0.89, 0.88, 0.87, 0.86])
    for q in (question, analyse("有哪些整改措施？", lambda _t: 1.0)):
        chosen = selection.select(q, ranking)
        assert chosen == ranking[: len(chosen)]  # the most relevant first, no gaps
        assert 1 < len(chosen) <= 12  # several equally strong passages are shown; no more than the first twelve
    assert len(selection_features(True, ranking)) == 12


def test_a_documents_best_passage_weighs_more_than_its_next_one() -> None:
    # the same second passage, from another document or from the first one's: the other document's is likelier
    # to hold a quote the answer needs (what that document says), the first one's more often repeats it
    model = load_model("selection")
    other = selection_features(True, _pool([0.9, 0.6], ["甲.md", "乙.md"]))[1]
    same = selection_features(True, _pool([0.9, 0.6], ["甲.md", "甲.md"]))[1]
    assert (other["first_of_document"], same["first_of_document"]) == (1.0, 0.0)
    assert model.probability(other) > model.probability(same)


def test_the_refusal_threshold_serves_the_worse_of_the_two_targets() -> None:
    """The requirement asks an answer rate of 0.95 and a refusal of 0.90. Balancing the two rates (0.833 / 0.824,
    the cross-validated rates at the old threshold) leaves the answer rate 0.117 short; answering more (0.866 /
    0.806) leaves neither more than 0.094 short, so the threshold that does so is chosen."""
    balanced, toward_answering = _worst_shortfall(0.833, 0.824), _worst_shortfall(0.866, 0.806)
    assert toward_answering > balanced
    assert balanced == pytest.approx(0.833 - ANSWER_RATE_TARGET)
    assert toward_answering == pytest.approx(0.806 - REFUSAL_TARGET)
    report = load_model("answerable").report
    assert _worst_shortfall(report["cv_answer_rate"], report["cv_refusal"]) > balanced
