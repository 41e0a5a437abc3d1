"""Does a rectification measure already exist in the reports — where, and how close?

A measure is compared with the sentences (and pairs of adjacent sentences) of the report chunks the
hybrid searcher returns for it. Cosine similarity alone cannot tell a measure from its near misses
(the wrong department, the opposite action, another frequency, an overstated scope all score as high
as the real thing), so each candidate span gets a small set of transparent signals:

* **topic** — how much of the measure's content the span covers: idf-weighted jieba-token coverage
  (with the synonym groups of assistant/vocabulary.py), character-bigram coverage and the encoder's
  cosine, combined into one similarity (``checker.py``);
* **elements** — the key elements of the measure are extracted (``elements.py``: bodies, posts,
  actions and their negation, numbers with units, frequencies, scope words) and compared with those
  of the span's focus sentence (``conflicts.py``); each disagreement is a ``Conflict`` with a Chinese
  explanation.

Verdict: ``exists`` when a conflict-free span covers the topic well and no closer span contradicts
it; ``partial`` when the topic is close but an element conflicts or the coverage is middling;
``absent`` otherwise. An optional LLM judge (``judge.py``) can confirm or downgrade the verdict.
``check_measures`` is the front door; ``read_measures_file`` reads an uploaded 整改清单.
"""

from assistant.measures.checker import MeasureChecker, check_measures
from assistant.measures.lists import read_measures_file
from assistant.measures.results import (
    ABSENT,
    EXISTS,
    PARTIAL,
    VERDICT_LABELS,
    Conflict,
    MeasureMatch,
    MeasureResult,
    Signals,
)

__all__ = [
    "ABSENT",
    "EXISTS",
    "PARTIAL",
    "VERDICT_LABELS",
    "Conflict",
    "MeasureChecker",
    "MeasureMatch",
    "MeasureResult",
    "Signals",
    "check_measures",
    "read_measures_file",
]
