"""The learned signals: JSON models that reproduce their training data's fingerprint, read without
scikit-learn, and a logistic fit that learns what it is shown."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

from assistant.evaluation.eval_sets import split_ids
from assistant.settings import Settings
from assistant.signals.model import MODELS_DIR, LogisticModel, fit_logistic, load_model
from assistant.signals.selection import load_selection
from assistant.signals.train import data_hash, training_questions


def test_a_fit_learns_a_separable_rule_and_round_trips_through_json(tmp_path: Path) -> None:
    rows = [{"x": float(i), "noise": float(i % 3)} for i in range(40)]
    labels = [int(i >= 20) for i in range(40)]
    model = fit_logistic("toy", rows, labels, ("x", "noise"), c=10.0)
    assert model.probability({"x": 35.0, "noise": 1.0}) > 0.9 > 0.1 > model.probability({"x": 3.0, "noise": 1.0})
    again = LogisticModel.from_json(json.loads(model.save(tmp_path / "toy.json").read_text(encoding="utf-8")))
    assert again == model
    assert math.isclose(again.probability({"x": 20.0}), model.probability({"x": 20.0}))


def test_the_committed_models_were_trained_on_the_current_tune_split_and_dev_set() -> None:
    questions = training_questions(Settings(), Path(tempfile.mkdtemp()))
    assert {q.id for q in questions}.isdisjoint(split_ids("questions", "test"))  # test never trains
    fingerprint = data_hash(questions)
    for name in ("relevance", "answerable"):
        model = load_model(name)
        assert model.report["data"] == fingerprint, f"{name}.json is stale: run python -m assistant.signals.train"
        assert len(model.features) == len(model.weights) == len(model.mean) == len(model.scale)
    assert load_selection().report["data"] == fingerprint
    assert {p.name for p in MODELS_DIR.glob("*.json")} >= {"answerable.json", "relevance.json", "selection.json"}


def test_the_models_record_their_cross_validated_figures() -> None:
    relevance = load_model("relevance").report
    assert 0 < relevance["hybrid_recall@5"] <= relevance["pool_recall"] <= 1
    answerable = load_model("answerable").report
    assert 0 < answerable["cv_answer_rate"] <= 1 and 0 < answerable["cv_refusal"] <= 1
    assert 0 < load_selection().report["cv_citation_recall"] <= 1
