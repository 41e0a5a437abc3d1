"""Which ranked passages become items of an answer.

A passage is shown when the relevance model rates it at least ``threshold`` and not far below the best
one (``ratio``), up to ``cap`` items. A question asking for a list or a count has its own three values:
it is answered by several items, a single fact by one or two. The six values are chosen by
cross-validation on the tune split (assistant/signals/train.py) and stored in models/selection.json.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from assistant.signals.model import MODELS_DIR
from assistant.signals.question import QuestionAnalysis
from assistant.signals.relevance import Scored


@dataclass(frozen=True)
class Rule:
    threshold: float
    ratio: float
    cap: int


@dataclass(frozen=True)
class Selection:
    many: Rule  # list and count questions
    one: Rule  # everything else
    report: dict[str, Any] = field(default_factory=dict)

    def rule(self, q: QuestionAnalysis) -> Rule:
        return self.many if q.asks_list or q.asks_count or q.asks_comparison else self.one

    def select(self, q: QuestionAnalysis, pool: Sequence[Scored]) -> list[Scored]:
        if not pool:
            return []
        rule = self.rule(q)
        best = pool[0].probability
        chosen = [s for s in pool[: rule.cap] if s.probability >= rule.threshold and s.probability >= rule.ratio * best]
        return chosen or [pool[0]]

    def save(self) -> None:
        (MODELS_DIR / "selection.json").write_text(
            json.dumps(asdict(self), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )


@lru_cache(maxsize=1)
def load_selection() -> Selection:
    data = json.loads((MODELS_DIR / "selection.json").read_text(encoding="utf-8"))
    return Selection(Rule(**data["many"]), Rule(**data["one"]), dict(data.get("report") or {}))
