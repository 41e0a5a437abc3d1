"""What a measure check returns: the verdict, its matches in the reports, and the signals behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from index.chunking import Chunk

EXISTS, PARTIAL, ABSENT = "exists", "partial", "absent"
_DIFFERENCE_LABELS = {
    "actor": "单位不同", "person": "人员不同", "document": "主体不同", "action": "动作不同",
    "direction": "方向相反", "number": "数量不同", "frequency": "频次不同", "scope": "范围扩大",
    "negation": "肯定否定相反", "status": "完成情况不同", "rank": "级别不同", "detail": "细节不同",
    "order": "顺序颠倒", "name": "名称不同", "role": "角色不同",
}
# Conflicts that say the opposite of the measure, not merely something else.
CONTRADICTIONS = frozenset({"direction", "order", "action", "negation"})
# Conflicts over a value both texts state (43个 against 34个, 每月 against 每季度): the source says another
# thing, not merely less. A value the source leaves unstated is not one.
STATED_VALUES = frozenset({"number", "frequency"})
VERDICT_LABELS = {EXISTS: "已有", PARTIAL: "部分相似", ABSENT: "未找到"}


@dataclass(frozen=True)
class Conflict:
    kind: str  # "actor" | "person" | "document" | "action" | "direction" | "number" | "frequency" | "scope"
    # | "negation" | "status" | "rank" | "detail" | "order" | "name" | "role"
    measure_value: str
    source_value: str

    @property
    def unsupported(self) -> bool:
        return self.source_value.startswith(("未写明", "原文未提及"))

    @property
    def contradicts(self) -> bool:
        """The source says otherwise: the opposite, or another value for the same thing."""
        return not self.unsupported and self.kind in CONTRADICTIONS | STATED_VALUES

    @property
    def label(self) -> str:
        """What differs, in a clerk's words: 单位不同, 方向相反, 范围扩大, 频次不同, 原文未写明 …"""
        if self.unsupported:
            return "原文未写明"
        return _DIFFERENCE_LABELS.get(self.kind, "内容不同")

    @property
    def message(self) -> str:
        m, s = self.measure_value, self.source_value
        if self.kind == "actor" and self.unsupported:
            # the document never names the body (attribution), or this passage and its headings do not
            where = "未提及该部门" if s == "原文未提及" else f"此处{s}"
            return f"部门无依据：措施为“{m}”，原文{where}"
        if self.kind == "actor":
            return f"部门不一致：措施为“{m}”，原文为“{s}”"
        if self.kind == "document":
            return f"主体不一致：措施称“{m}”，而相近内容出自《{s}》"
        if self.kind == "direction":
            return f"方向不一致：措施为“{m}”，原文为“{s}”"
        if self.kind == "order":
            return f"顺序不一致：措施为“{m}”，原文{s}"
        if self.kind == "detail":
            return f"细节不一致：措施为“{m}”，原文为“{s}”"
        if self.kind == "name":
            return f"名称不一致：措施为“{m}”，原文为“{s}”"
        if self.kind == "role":
            return f"角色不一致：措施为“{m}”，原文为“{s}”（原文中该单位是接受方或对象）"
        if self.kind == "rank":
            return f"级别不一致：措施为“{m}”，原文为“{s}”"
        if self.kind == "status":
            return f"完成情况不一致：措施称“{m}”，原文为“{s}”"
        if self.kind == "person":
            return f"人员不一致：措施为“{m}”，原文为“{s}”"
        if self.kind in ("number", "frequency") and s.startswith("未写明"):
            return f"{'数量' if self.kind == 'number' else '频次'}无依据：措施为“{m}”，原文{s}"
        if self.kind == "negation" and self.unsupported:
            return f"否定无依据：措施称“{m}”，原文{s}"
        if self.kind == "action":
            return f"动作不一致：措施为“{m}”，原文为“{s}”"
        if self.kind == "number":
            return f"数量不一致：措施为“{m}”，原文为“{s}”"
        if self.kind == "frequency":
            return f"频次不一致：措施为“{m}”，原文为“{s}”"
        if self.kind == "scope":
            return f"范围夸大：措施称“{m}”，原文{s}"
        return f"肯定否定相反：措施为“{m}”，原文为“{s}”"


@dataclass(frozen=True)
class Signals:
    """Why a span was judged as it was; every number is in [0, 1]."""

    coverage: float  # idf-weighted share of the measure's content words found in the span
    compact: float  # the same share within the best short stretch of clauses (words not scattered)
    bigram: float  # share of the measure's character bigrams found in the span
    cosine: float  # encoder cosine between measure and span
    similarity: float  # the combination of the four, the "相似度" shown to users
    conflicts: tuple[Conflict, ...] = ()
    missing: tuple[str, ...] = ()  # distinctive measure words the span does not have
    probability: float = 0.0  # the verdict model's probability that the span states the measure
    unknown: float = 0.0  # share of the measure's content words no indexed document uses
    # coverage where a missing word is credited for a span word the encoder puts near it; None: not
    # computed (a span outside the encoder's share), read as the plain coverage
    soft: float | None = None
    # the encoder's best cosine of the measure with one short stretch of the span's clauses; None: not
    # computed (a span the checker did not judge), read as the span's cosine
    stretch_cosine: float | None = None
    # weighted share of pairs of the measure's words, within one of its clauses, that the span's best-covering
    # stretch writes the same way round (spans.word_order); 1.0: no pair to compare
    order: float = 1.0

    @property
    def unsupported(self) -> tuple[Conflict, ...]:
        """Conflicts that say the span lacks something (a number, frequency or body it never states)."""
        return tuple(c for c in self.conflicts if c.unsupported)

    @property
    def contradictions(self) -> tuple[Conflict, ...]:
        """Conflicts where the span says something else."""
        return tuple(c for c in self.conflicts if not c.unsupported)

    def to_json(self) -> dict[str, Any]:
        return {
            "coverage": round(self.coverage, 4),
            "compact": round(self.compact, 4),
            "bigram": round(self.bigram, 4),
            "cosine": round(self.cosine, 4),
            "similarity": round(self.similarity, 4),
            "conflicts": [c.message for c in self.conflicts],
            "missing": list(self.missing),
            "probability": round(self.probability, 4),
        }


@dataclass(frozen=True)
class MeasureMatch:
    chunk: Chunk
    quote: str  # exact characters of chunk.text
    offset: int  # position of the quote in chunk.text
    signals: Signals

    @property
    def start(self) -> int:
        return self.chunk.start + self.offset

    @property
    def end(self) -> int:
        return self.start + len(self.quote)

    @property
    def score(self) -> float:
        return self.signals.similarity

    def to_json(self) -> dict[str, Any]:
        return {
            **self.chunk.source_json(),
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
            "score": round(self.score, 4),
        }


@dataclass
class MeasureResult:
    measure: str
    verdict: str  # exists | partial | absent
    score: float
    explanation: str
    matches: list[MeasureMatch] = field(default_factory=list)
    judge: str = ""  # the LLM judge's verdict and reason, when one was asked
    # the verdict model's probability for the most probable span that does not contradict the measure (0 when
    # every span does): what the verdict thresholds, kept so a verdict can be ranked and audited
    confidence: float = 0.0
    # passages of the reference material (work reports, 答记者问, feedback) that state the measure: shown
    # beside a verdict other than exists, never counted as the measure being taken
    references: list[MeasureMatch] = field(default_factory=list)

    @property
    def label(self) -> str:
        return VERDICT_LABELS[self.verdict]

    @property
    def exists(self) -> bool:
        return self.verdict == EXISTS

    def to_json(self, id: str | None = None) -> dict[str, Any]:
        return {
            "id": id,
            "measure": self.measure,
            "verdict": self.verdict,
            "score": round(self.score, 4),
            "confidence": round(self.confidence, 4),
            "explanation": self.explanation,
            "matches": [m.to_json() for m in self.matches],
            "references": [m.to_json() for m in self.references],
        }
