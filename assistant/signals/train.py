"""``python -m assistant.signals.train``: fit the learned signals on the tune split and the shared dev set.

Each model is fitted on feature rows collected from the real index of docs_src/, cross-validated by
question (a question's passages never sit in both a training and a held-out fold), and saved as JSON
with its report. The test split is never read here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from assistant.evaluation.data import Question, covers_gold, load_questions
from assistant.evaluation.eval_sets import split_file
from assistant.settings import Settings, enforce_offline_environment, get_settings
from assistant.signals.answerable import (
    ANSWERABLE_FEATURES,
    ANSWERABLE_SIGNS,
    question_features,
    with_wording,
)
from assistant.signals.features import PASSAGE_FEATURES
from assistant.signals.model import LogisticModel, fit_logistic
from assistant.signals.question import QuestionAnalysis, analyse
from assistant.signals.relevance import RankedSearcher, Scored, compared_first
from assistant.signals.selection import SELECTION_FEATURES, TOP, asks_many, selection_features
from assistant.signals.wording import fit_wording, wording_logit
from assistant.workspace import Workspace

FOLDS = 5


@dataclass(frozen=True)
class Example:
    question: Question
    query: str
    pool: list[Scored]
    labels: list[int]  # per pool passage: 1 when it covers a gold quote
    analysis: QuestionAnalysis | None = None  # its form: a comparison's pool leads with each document's best


def training_questions(settings: Settings, folder: Any) -> list[Question]:
    """The tune split and the shared dev set (never the test split)."""
    return load_questions(split_file("questions", "tune", folder)) + load_questions(settings.dev_questions)


def collect(ws: Workspace, questions: Sequence[Question]) -> list[Example]:
    searcher = RankedSearcher(ws.searcher, None)
    examples = []
    for q in questions:
        analysis = searcher.analyse(q.question, q.history)
        query = analysis.text
        pool = searcher.candidates(query, analysis=analysis)
        labels = [int(any(covers_gold((s.passage.chunk.doc, s.passage.chunk.text), g) for g in q.gold)) for s in pool]
        examples.append(Example(q, query, pool, labels, analysis))
    return examples


def recall_at(example: Example, order: Sequence[int], k: int = 5) -> float:
    """Share of the question's gold quotes covered by the passages at ``order[:k]``."""
    top = [example.pool[i].passage.chunk for i in order[:k]]
    gold = example.question.gold
    return sum(any(covers_gold((c.doc, c.text), g) for c in top) for g in gold) / len(gold)


def _fold(i: int) -> int:
    return i % FOLDS


def writers(questions: Sequence[Question]) -> list[int]:
    """Each question's writer, as a fold number: the batch its id names (r-, bq-, dev-). Holding out a writer's
    questions whole asks whether a model carries to how someone else words questions."""
    return _fold_numbers([q.id.split("-", 1)[0] for q in questions])


def _fold_numbers(names: Sequence[str]) -> list[int]:
    """One fold per distinct name, numbered in order of first appearance."""
    order = {name: i for i, name in enumerate(dict.fromkeys(names))}
    return [order[name] for name in names]


def _fit_relevance(examples: Sequence[Example], c: float) -> LogisticModel:
    answerable = [e for e in examples if e.question.answerable]
    return fit_logistic(
        "relevance", [s.features for e in answerable for s in e.pool], [y for e in answerable for y in e.labels],
        PASSAGE_FEATURES, c=c,
    )


def rescored(example: Example, model: LogisticModel) -> tuple[list[Scored], list[int]]:
    """The example's pool scored by ``model``, most relevant first, with its labels in the same order."""
    pairs = sorted(
        ((replace(s, probability=model.probability(s.features)), y) for s, y in zip(example.pool, example.labels, strict=True)),
        key=lambda pair: -pair[0].probability,
    )
    if example.analysis is not None:  # the order RankedSearcher.candidates gives (a comparison's differs)
        label_of = {id(s): y for s, y in pairs}
        ordered = compared_first([s for s, _ in pairs], example.analysis)
        return ordered, [label_of[id(s)] for s in ordered]
    return [s for s, _ in pairs], [y for _, y in pairs]


def out_of_fold(examples: Sequence[Example], c: float) -> list[Example]:
    """Every example scored by a relevance model that never saw it (nor any other question of its fold)."""
    scored: list[Example | None] = [None] * len(examples)
    for fold in range(FOLDS):
        model = _fit_relevance([e for i, e in enumerate(examples) if _fold(i) != fold], c)
        for i, e in enumerate(examples):
            if _fold(i) == fold:
                pool, labels = rescored(e, model)
                scored[i] = Example(e.question, e.query, pool, labels, e.analysis)
    return [e for e in scored if e is not None]


def relevance_report(examples: Sequence[Example], oof: Sequence[Example]) -> dict[str, Any]:
    pairs = [(e, o) for e, o in zip(examples, oof, strict=True) if e.question.answerable]
    # the kind the ranking serves worst: several documents each hold part of the answer
    cross = [o for e, o in pairs if e.question.kind == "cross-doc"]
    return {
        "questions": len(pairs),
        "passages": sum(len(e.pool) for e, _ in pairs),
        "cv_recall@5": round(sum(recall_at(o, range(len(o.pool))) for _, o in pairs) / len(pairs), 4),
        "cv_cross_doc_recall@5": round(sum(recall_at(o, range(len(o.pool))) for o in cross) / max(len(cross), 1), 4),
        "hybrid_recall@5": round(sum(recall_at(e, range(len(e.pool))) for e, _ in pairs) / len(pairs), 4),
        "pool_recall": round(sum(recall_at(e, range(len(e.pool)), len(e.pool)) for e, _ in pairs) / len(pairs), 4),
    }


def _held_out(
    name: str, rows: Sequence[Sequence[dict[str, float]]], labels: Sequence[Sequence[int]], features: Sequence[str],
    c: float, class_weight: str | None = "balanced", signs: dict[str, int] | None = None,
    folds: Sequence[int] | None = None,
) -> list[list[float]]:
    """Each question's rows scored by a model fitted on the other folds' questions (a question's rows never
    sit in both); ``folds`` gives each question's fold (default: every FOLDS-th question)."""
    fold_of = list(folds) if folds is not None else [_fold(i) for i in range(len(rows))]
    held: list[list[float]] = [[] for _ in rows]
    for fold in sorted(set(fold_of)):
        idx = [i for i in range(len(rows)) if fold_of[i] != fold]
        model = fit_logistic(
            name, [r for i in idx for r in rows[i]], [y for i in idx for y in labels[i]], features, c=c,
            class_weight=class_weight, signs=signs,
        )
        for i in range(len(rows)):
            if fold_of[i] == fold:
                held[i] = [model.probability(r) for r in rows[i]]
    return held


def wording_out_of_fold(
    vectors: np.ndarray, labels: Sequence[int], asks_value: Sequence[bool], encoder: str
) -> list[float]:
    """Each question's wording log-odds from a wording model fitted on the other folds' questions."""
    logits = [0.0] * len(labels)
    for fold in range(FOLDS):
        idx = [i for i in range(len(labels)) if _fold(i) != fold]
        model = fit_wording(vectors[idx], [labels[i] for i in idx], [asks_value[i] for i in idx], encoder)
        for i in range(len(labels)):
            if _fold(i) == fold:
                logits[i] = wording_logit(model, vectors[i])
    return logits


def _held_out_answerable(
    rows: Sequence[dict[str, float]], labels: Sequence[int], vectors: np.ndarray, encoder: str, c: float,
    folds: Sequence[int],
) -> list[float]:
    """Each question's answerability from models (wording and judgement) that never saw its fold: the
    judgement's training rows carry wording log-odds that are themselves out of fold within its training part."""
    held = [0.0] * len(rows)
    for fold in sorted(set(folds)):
        train = [i for i in range(len(rows)) if folds[i] != fold]
        model, wording, _ = _fit_stacked([rows[i] for i in train], [labels[i] for i in train], vectors[train], encoder, c)
        for i in range(len(rows)):
            if folds[i] == fold:
                held[i] = model.probability(with_wording(rows[i], wording_logit(wording, vectors[i])))
    return held


def fit_answerable(
    oof: Sequence[Example], c: float, vectors: np.ndarray, encoder: str,
) -> tuple[LogisticModel, LogisticModel, dict[str, Any], list[bool]]:
    """Answerability over out-of-fold pools, with the question-wording model beneath it (``vectors``: each
    question's unit vector, as retrieval encodes it); the threshold is the one at which, on held-out questions, the
    worse of answer rate and refusal falls least short of its target. Last: which questions the held-out
    judgement answers at that threshold."""
    rows = [question_features(e.pool) for e in oof]
    labels = [int(e.question.answerable) for e in oof]
    questions = [e.question for e in oof]
    random = [_fold(i) for i in range(len(oof))]
    held = _held_out_answerable(rows, labels, vectors, encoder, c, random)
    by_writer = _held_out_answerable(rows, labels, vectors, encoder, c, writers(questions))
    by_document_folds = documents(oof)
    by_document = _held_out_answerable(rows, labels, vectors, encoder, c, by_document_folds)
    without = [f for f in ANSWERABLE_FEATURES if f != "wording"]
    alone = _held_out("answerable", [[r] for r in rows], [[y] for y in labels], without, c,
                      signs={f: ANSWERABLE_SIGNS[f] for f in without}, folds=by_document_folds)

    def rates(t: float) -> tuple[float, float]:
        answered = [p >= t for p, y in zip(held, labels, strict=True) if y]
        refused = [p < t for p, y in zip(held, labels, strict=True) if not y]
        return sum(answered) / max(len(answered), 1), sum(refused) / max(len(refused), 1)

    threshold = max((t / 100 for t in range(5, 96)), key=lambda t: (_worst_shortfall(*rates(t)), sum(rates(t))))
    answer_rate, refusal = rates(threshold)
    model, wording, logits = _fit_stacked(rows, labels, vectors, encoder, c)
    # the threshold trades answering against refusing; the AUC says how well the two are told apart at all
    report = {"questions": len(oof), "unanswerable": labels.count(0), "threshold": threshold,
              "cv_answer_rate": round(answer_rate, 4), "cv_refusal": round(refusal, 4),
              "cv_auc": round(float(roc_auc_score(labels, held)), 4),
              "cv_auc_by_writer": round(float(roc_auc_score(labels, by_writer)), 4),
              # each question held out with every other whose best passage is in the same document: what
              # carries to documents the models never saw; and the same without the wording signal
              "cv_auc_by_document": round(float(roc_auc_score(labels, by_document)), 4),
              "cv_auc_by_document_without_wording": round(float(roc_auc_score(labels, [p for (p,) in alone])), 4)}
    wording_report = wording.report | {"questions": len(oof), "cv_auc": round(float(roc_auc_score(labels, logits)), 4)}
    answered = [p >= threshold for p in held]
    return replace(model, threshold=threshold), replace(wording, report=wording_report), report, answered


# The product's requirement (issue 10): answer at least 0.95 of the answerable questions and refuse at least 0.90
# of the rest. A wrong refusal is the dearer error (资料中未找到 tells a clerk to stop looking; a wrong answer still
# shows its cited passages), so the threshold meets the two targets as nearly as the model allows, the worse of
# the two shortfalls the smallest. The rule it replaces balanced the two rates, as if both targets were equal.
ANSWER_RATE_TARGET = 0.95
REFUSAL_TARGET = 0.90


def _worst_shortfall(answer_rate: float, refusal: float) -> float:
    """How far the worse of the two rates stands above its target (negative: below it)."""
    return min(answer_rate - ANSWER_RATE_TARGET, refusal - REFUSAL_TARGET)


def _fit_stacked(
    rows: Sequence[dict[str, float]], labels: Sequence[int], vectors: np.ndarray, encoder: str, c: float,
) -> tuple[LogisticModel, LogisticModel, list[float]]:
    """(judgement, wording model, the wording log-odds it was fitted on): the wording model over all of
    ``vectors``, and the judgement over ``rows`` each carrying its question's out-of-fold wording log-odds."""
    asks_value = [r["fact_asked"] > 0 for r in rows]
    logits = wording_out_of_fold(vectors, labels, asks_value, encoder)
    wording = fit_wording(vectors, labels, asks_value, encoder)
    model = fit_logistic("answerable", [with_wording(r, w) for r, w in zip(rows, logits, strict=True)], labels,
                         ANSWERABLE_FEATURES, c=c, signs=ANSWERABLE_SIGNS)
    return model, wording, logits


def documents(examples: Sequence[Example]) -> list[int]:
    """Each question's fold by the document of its best passage: a question is held out with every other
    that rests on the same document."""
    return _fold_numbers([e.pool[0].passage.chunk.doc if e.pool else "" for e in examples])


THRESHOLDS = tuple(t / 100 for t in range(5, 96))
RESAMPLES = 200  # bootstrap resamples of the questions, for the sampling error of held-out precision
# The product's requirement (issue 10): citation precision at least 0.60, and as much citation recall as that
# allows. The bound asks it of a new set of questions as large as the training one, at 95%: the held-out
# precision less 1.645 standard errors of the difference between two such sets (sqrt(2) bootstrap sd).
PRECISION_FLOOR = 0.60
Z_95 = 1.645


def _threshold_table(oof: Sequence[Example], held: Sequence[Sequence[float]]) -> np.ndarray:
    """Per question and threshold: (share of its gold quotes cited, items shown, items that cover a gold quote)."""
    table = np.zeros((len(oof), len(THRESHOLDS), 3))
    for q, (e, probabilities) in enumerate(zip(oof, held, strict=True)):
        for j, t in enumerate(THRESHOLDS):
            picks = _picks(probabilities, t)
            chunks = [e.pool[i].passage.chunk for i in picks]
            covered = sum(any(covers_gold((c.doc, c.text), g) for c in chunks) for g in e.question.gold)
            table[q, j] = (covered / len(e.question.gold), len(picks), sum(e.labels[i] for i in picks))
    return table


def _recall(table: np.ndarray) -> np.ndarray:
    """Citation recall per threshold: the mean over questions of the share of their gold quotes cited."""
    return table[:, :, 0].mean(axis=0)


def _precision(table: np.ndarray) -> np.ndarray:
    """Citation precision per threshold: items that cover a gold quote over all items shown."""
    return table[:, :, 2].sum(axis=0) / np.maximum(table[:, :, 1].sum(axis=0), 1)


def operating_point(recall: np.ndarray, bound: np.ndarray) -> int:
    """The threshold with the most recall whose precision bound meets the floor (ties: the higher bound);
    when none does, the one whose bound is highest."""
    admissible = np.flatnonzero(bound >= PRECISION_FLOOR)
    if not len(admissible):
        return int(np.argmax(bound))
    return int(max(admissible, key=lambda j: (recall[j], bound[j])))


def _picks(probabilities: Sequence[float], threshold: float) -> list[int]:
    return [0, *(i for i in range(1, len(probabilities)) if probabilities[i] >= threshold)]


def fit_selection(oof: Sequence[Example], c: float, answered: Sequence[bool]) -> tuple[LogisticModel, dict[str, Any]]:
    """The selection model over out-of-fold pools of the answerable questions; its threshold is the lowest
    (the most recall) at which the held-out citation precision keeps the floor with its sampling error
    (``PRECISION_FLOOR``), over the questions the held-out judgement answers (``answered``, per example):
    precision is counted on the answers given, and the questions refused are the harder ones. The report
    says where that rule lands when the questions are resampled."""
    pairs = [(e, a) for e, a in zip(oof, answered, strict=True) if e.question.answerable]
    answerable = [e for e, _ in pairs]
    rows = [selection_features(_is_many(e), e.pool) for e in answerable]
    labels = [e.labels[:TOP] for e in answerable]
    held = _held_out("selection", rows, labels, SELECTION_FEATURES, c, class_weight=None)
    given = [i for i, (_, a) in enumerate(pairs) if a]
    table = _threshold_table([answerable[i] for i in given], [held[i] for i in given])
    rng = np.random.default_rng(0)
    resamples = [table[rng.integers(0, len(table), len(table))] for _ in range(RESAMPLES)]
    margin = Z_95 * np.sqrt(2) * np.std([_precision(t) for t in resamples], axis=0)
    recall, precision = _recall(table), _precision(table)
    best = operating_point(recall, precision - margin)
    threshold = THRESHOLDS[best]
    resampled = sorted(THRESHOLDS[operating_point(_recall(t), _precision(t) - margin)] for t in resamples)
    model = fit_logistic(
        "selection", [r for rs in rows for r in rs], [y for ys in labels for y in ys], SELECTION_FEATURES, c=c,
        class_weight=None,
    )
    report = {"questions": len(answerable), "answered": len(given), "threshold": threshold, "cv_citation_recall": round(float(recall[best]), 4),
              "cv_citation_precision": round(float(precision[best]), 4),
              "cv_precision_bound": round(float(precision[best] - margin[best]), 4),
              "precision_floor": PRECISION_FLOOR,
              "cv_items_per_answer": round(float(table[:, best, 1].mean()), 2),
              # the rule applied to each resample of the questions: 5th and 95th percentile of its threshold
              "threshold_resampled_5_95": [resampled[RESAMPLES // 20], resampled[RESAMPLES - 1 - RESAMPLES // 20]]}
    return replace(model, threshold=threshold), report


def _is_many(example: Example) -> bool:
    return asks_many(analyse(example.question.question, lambda _t: 1.0, example.question.history))


def data_hash(questions: Sequence[Question]) -> str:
    blob = json.dumps([[q.id, q.question, [g.quote for g in q.gold]] for q in questions], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def train(ws: Workspace, questions: Sequence[Question], c: float = 0.1) -> dict[str, Any]:
    """Fit and save the relevance, answerability and selection models; returns the report."""
    examples = collect(ws, questions)
    oof = out_of_fold(examples, c)
    relevance = _fit_relevance(examples, c)
    vectors = np.stack([ws.searcher.vectors.query_vector(e.query)[0] for e in oof])
    answerable, wording, answerable_report, answered = fit_answerable(oof, c, vectors, ws.embeddings.name)
    selection, selection_report = fit_selection(oof, c, answered)
    data = data_hash(questions)
    relevance_info = relevance_report(examples, oof) | {"data": data, "c": c}
    replace(relevance, report=relevance_info).save()
    replace(answerable, report=answerable_report | {"data": data, "c": c}).save()
    replace(wording, report=wording.report | {"data": data}).save()
    replace(selection, report=selection_report | {"data": data, "c": c}).save()
    return {"relevance": relevance_info, "answerable": answerable_report, "wording": wording.report,
            "selection": selection_report}


def main(argv: Sequence[str] | None = None) -> int:
    enforce_offline_environment()
    parser = argparse.ArgumentParser(prog="python -m assistant.signals.train", description="训练学习信号")
    parser.add_argument("--c", type=float, default=0.1, help="逻辑回归正则强度的倒数")
    args = parser.parse_args(argv)
    import tempfile
    from pathlib import Path

    settings = get_settings()
    ws = Workspace(settings)
    ws.index()
    questions = training_questions(settings, Path(tempfile.mkdtemp(prefix="zgt-train-")))
    report = train(ws, questions, args.c)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
