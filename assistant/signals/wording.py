"""What a question's wording alone says about whether the documents answer it.

Questions the documents leave open are often worded alike, whatever they are about: they ask for what a
report only names (具体列了哪些, 分别指什么), for a result it does not give (追回来了吗, 获批了没有), for a
figure behind a count (撤并了多少个). A logistic model over the encoder's vector of the question — the
vector dense retrieval already computed, so it costs one dot product — learns that from the tune split,
and its log-odds join the answerability judgement as one more signal (assistant/signals/answerable.py).

The eval's writers asked for values (多少, 多久, 哪天) mostly where the documents leave them open, so a model
free to learn it would read asking a value as a reason to refuse; the judgement's other signals never count it
(assistant/signals/answerable.py), and this one is kept from learning it: the questions that ask a value and
those that do not each weigh as answerable and unanswerable halves, so only the wording within each group
counts.

It is tied to the encoder that made its vectors: with another encoder configured it is not used, and the
judgement reads the signal as neutral. Cross-validated on tune + dev when it was added (830, before batch 21),
with each question held out together with every other whose best passage is in the same document, so that it
cannot learn which topics happen to be unanswered in this library: answerability AUC 0.892 -> 0.902; answer rate
0.810 -> 0.818 and refusal 0.801 -> 0.819 at the balanced threshold (random folds). ``python -m
assistant.signals.train`` prints the current figures, and the answerable model's report holds them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from functools import cache

import numpy as np

from assistant.signals.model import MODELS_DIR, LogisticModel, fit_logistic, load_model

NAME = "question_wording"
# The penalty of the fit over standardised vector components. On tune + dev held out by document (before the
# cells were balanced), 0.003, 0.01 and 0.03 gave the answerability AUC within 0.001 of one another; the middle
# one is kept.
C = 0.01


def dimensions(size: int) -> tuple[str, ...]:
    return tuple(f"d{i}" for i in range(size))


def balanced_within(groups: Sequence[bool], labels: Sequence[int]) -> list[float]:
    """Row weights under which every (group, label) cell weighs the same in total."""
    cells = Counter(zip(groups, labels, strict=True))
    return [len(labels) / (len(cells) * cells[cell]) for cell in zip(groups, labels, strict=True)]


def fit_wording(
    vectors: np.ndarray, labels: Sequence[int], asks_value: Sequence[bool], encoder: str, c: float = C
) -> LogisticModel:
    """The wording model over ``vectors`` (one unit vector per question), whether each was answerable, and
    whether each asks a value (``AskedFact``)."""
    names = dimensions(vectors.shape[1])
    rows = [dict(zip(names, (float(v) for v in vector), strict=True)) for vector in vectors]
    model = fit_logistic(NAME, rows, labels, names, c=c, sample_weight=balanced_within(asks_value, labels))
    return replace(model, report={"encoder": encoder, "c": c})


def wording_logit(model: LogisticModel, vector: np.ndarray) -> float:
    """The model's log-odds that a question worded as ``vector`` is answered."""
    return model.log_odds(dict(zip(model.features, (float(v) for v in vector), strict=True)))


@cache
def load_wording(encoder: str) -> LogisticModel | None:
    """The committed wording model when it was fitted on ``encoder``'s vectors, else None."""
    if not (MODELS_DIR / f"{NAME}.json").exists():
        return None
    model = load_model(NAME)
    return model if model.report.get("encoder") == encoder else None
