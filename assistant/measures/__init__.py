"""Does a rectification measure already exist in the reports — where, and how close?

A measure is compared with the sentences (and pairs of adjacent sentences) of the report chunks the
hybrid searcher returns for it (``spans.py``). Cosine similarity alone cannot tell a measure from its near
misses (the wrong department, the opposite action, another frequency, an overstated scope all score as
high as the real thing), so each candidate span gets a small set of transparent signals:

* **topic** — how much of the measure's content the span covers: idf-weighted jieba-token coverage
  (with the synonym groups of assistant/vocabulary.py and abbreviations), the same within one short
  stretch, character-bigram coverage, the encoder's cosine, and a soft coverage that credits a missing word
  for a span word the encoder puts near it (``spans.py``);
* **elements** — the key elements of the measure (``elements.py``: bodies, posts, actions and their
  negation, numbers with units, grades, frequencies, scope words; ``direction.py``: directed moves 从甲到乙
  / 将甲调到乙 / 甲移交乙) are compared with those of the span (``conflicts.py``, ``direction.py``, and
  ``slots.py``: another name or figure where the measure puts one, or two names traded across the word that
  relates them), and the
  body the measure names with the report the span comes from (``attribution.py``); each disagreement is a
  ``Conflict`` with a Chinese explanation.

Verdict: a logistic model over these signals (``features.py``; trained on the tune split and the shared
dev set by ``python -m assistant.measures.training``, stored as
``assistant/signals/models/measure_verdict.json``) gives each span the probability that it states the
measure; ``exists`` when the most probable span reaches the model's threshold, else ``partial`` when some
span holds at least half of the measure's content, else ``absent``. An optional LLM judge (``judge.py``,
only with ``ZGT_MEASURE_LLM_JUDGE``) can confirm or downgrade the verdict. ``check_measures`` is the front door; ``read_measures_file`` reads an
uploaded 整改清单.
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
