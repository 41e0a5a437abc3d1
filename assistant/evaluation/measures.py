"""Measure-check evaluation: ``check_measures`` scored against a gold measures file (dev_measures.jsonl).

Definitions (tested in tests/assistant/test_measure_evaluation.py), following ``shared/eval/README.md``:
- a verdict is right when ``exists`` is predicted for an ``exists: true`` item and ``partial`` or
  ``absent`` for an ``exists: false`` one (a near miss judged "partial" is a correct rejection);
- accuracy: share of right verdicts, overall, on positives and on negatives (the file's negatives are
  near misses); by near-miss type when negatives carry a type label (``NEAR_MISS_KEYS``);
- location: over positives judged ``exists``, the share whose top match, the passage the verdict rests
  on and the one users see as 出处, covers a gold quote (``evaluation.covers_gold``: same file, quote
  inside the span once whitespace is removed). ``located_any`` allows any of the shown matches;
- strict accuracy: accuracy where a positive also needs its location right;
- errors: every item that fails strict accuracy, with id, measure, expected, got.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sklearn.metrics import roc_auc_score

from assistant.evaluation.data import GoldQuote, covers_gold, gold_quotes, read_jsonl
from assistant.measures import EXISTS, MeasureResult, check_measures
from assistant.measures.checker import measure_judge

if TYPE_CHECKING:
    from assistant.workspace import Workspace

# Field names a measures file may use to label the kind of near miss; the dev file has none.
NEAR_MISS_KEYS = ("near_miss", "near_miss_type", "type", "kind")

# shared/eval/BASELINES.md: best-chunk cosine with a dev-tuned threshold.
REFERENCE_ACCURACY = 0.69


@dataclass(frozen=True)
class MeasureItem:
    id: str
    measure: str
    exists: bool
    gold: tuple[GoldQuote, ...]
    near_miss: str = ""  # type of near miss, when the file labels it


@dataclass(frozen=True)
class MeasureScore:
    id: str
    measure: str
    expected: bool
    verdict: str
    near_miss: str
    located: bool | None  # positives judged exists only: the top match covers a gold quote
    located_any: bool | None  # the same for any of the shown matches
    explanation: str = ""
    confidence: float = 0.0  # the verdict model's probability on the most probable sound span

    @property
    def correct(self) -> bool:
        return (self.verdict == EXISTS) == self.expected

    @property
    def strictly_correct(self) -> bool:
        return self.correct and self.located is not False


def load_measure_items(path: Path | str) -> list[MeasureItem]:
    return [
        MeasureItem(
            id=str(row["id"]),
            measure=str(row["measure"]),
            exists=bool(row["exists"]),
            gold=gold_quotes(row),
            near_miss=next((str(row[k]) for k in NEAR_MISS_KEYS if row.get(k)), ""),
        )
        for row in read_jsonl(path)
    ]


def _match_covers(result: MeasureResult, item: MeasureItem, top_only: bool) -> bool:
    matches = result.matches[:1] if top_only else result.matches
    return any(covers_gold((m.chunk.doc, m.quote), g) for m in matches for g in item.gold)


def score_measure(result: MeasureResult, item: MeasureItem) -> MeasureScore:
    locate = item.exists and result.verdict == EXISTS
    return MeasureScore(
        id=item.id,
        measure=item.measure,
        expected=item.exists,
        verdict=result.verdict,
        near_miss=item.near_miss if not item.exists else "",
        located=_match_covers(result, item, top_only=True) if locate else None,
        located_any=_match_covers(result, item, top_only=False) if locate else None,
        explanation=result.explanation,
        confidence=result.confidence,
    )


def _share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None  # None: nothing to measure, not a perfect score


def summarise(scores: Sequence[MeasureScore]) -> dict[str, Any]:
    positives = [s for s in scores if s.expected]
    negatives = [s for s in scores if not s.expected]
    judged_exists = [s for s in positives if s.located is not None]
    types = sorted({s.near_miss for s in negatives if s.near_miss})
    return {
        "items": len(scores),
        "positives": len(positives),
        "negatives": len(negatives),
        "accuracy": _share([s.correct for s in scores]),
        "positive_accuracy": _share([s.correct for s in positives]),
        "negative_accuracy": _share([s.correct for s in negatives]),
        # how well the verdict model's confidence ranks true measures above near misses, whatever the threshold
        "auc": float(roc_auc_score([s.expected for s in scores], [s.confidence for s in scores]))
        if positives and negatives else None,
        "by_near_miss": {
            t: {"n": len(group), "accuracy": _share([s.correct for s in group])}
            for t in types
            for group in [[s for s in negatives if s.near_miss == t]]
        },
        "located": _share([bool(s.located) for s in judged_exists]),
        "located_any": _share([bool(s.located_any) for s in judged_exists]),
        "located_n": len(judged_exists),
        "strict_accuracy": _share([s.strictly_correct for s in scores]),
        "verdicts": {v: sum(s.verdict == v for s in scores) for v in ("exists", "partial", "absent")},
        "errors": [
            {
                "id": s.id,
                "measure": s.measure,
                "expected": "exists" if s.expected else "not exists",
                "got": s.verdict,
                "located": s.located,
                "explanation": s.explanation,
            }
            for s in scores
            if not s.strictly_correct
        ],
    }


def score_results(results: Sequence[MeasureResult], items: Sequence[MeasureItem]) -> dict[str, Any]:
    if len(results) != len(items):
        raise ValueError("每条措施都需要一个核查结果")
    summary = summarise([score_measure(r, i) for r, i in zip(results, items, strict=True)])
    # the reference material named beside a verdict (never counted in it), by the item's kind
    named: dict[str, int] = {}
    for result, item in zip(results, items, strict=True):
        if result.references:
            kind = item.near_miss or ("positive" if item.exists else "negative")
            named[kind] = named.get(kind, 0) + 1
    summary["references_named"] = named
    return summary


def evaluate_measures(ws: Workspace, items: Sequence[MeasureItem]) -> dict[str, Any]:
    """Run the product's measure check on the workspace's (already indexed) reports and score it."""
    summary = score_results(check_measures(ws, [i.measure for i in items]), items)
    summary["llm_judge"] = measure_judge(ws) is not None  # the judge can change verdicts: say whether it ran
    return summary


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def format_measure_table(summary: Mapping[str, Any], source: str = "", *, items: bool = True) -> str:
    """The summary as a table; ``items``: also each wrongly judged measure (not for a split read only to report)."""
    n, pos, neg = summary["items"], summary["positives"], summary["negatives"]
    rows = [
        (f"accuracy ({n})", _fmt(summary["accuracy"])),
        (f"accuracy on positives ({pos})", _fmt(summary["positive_accuracy"])),
        (f"accuracy on near-miss negatives ({neg})", _fmt(summary["negative_accuracy"])),
        ("AUC, true measures above near misses (any threshold)", _fmt(summary.get("auc"))),
        *((f"near miss: {t} ({m['n']})", _fmt(m["accuracy"])) for t, m in summary["by_near_miss"].items()),
        (f"location covers gold, top match ({summary['located_n']} exists on positives)", _fmt(summary["located"])),
        ("location covers gold, any shown match", _fmt(summary["located_any"])),
        ("strict accuracy (positives also located)", _fmt(summary["strict_accuracy"])),
        ("_best-chunk cosine + threshold (BASELINES.md)_", f"{REFERENCE_ACCURACY:.2f}"),
    ]
    title = "措施核查 Measure check" + (f" ({source})" if source else "")
    verdicts = ", ".join(f"{k} {v}" for k, v in summary["verdicts"].items())
    judge = "on" if summary.get("llm_judge") else "off"
    lines = [title, "", "| metric | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]
    lines.append(f"\nverdicts: {verdicts}; LLM judge: {judge}")
    named = summary.get("references_named", {})
    lines.append("reference material named beside the verdict (not counted): "
                 + (", ".join(f"{k} {v}" for k, v in named.items()) or "none"))
    for e in summary["errors"] if items else ():
        where = "" if e["located"] is not False else " (location misses the gold quote)"
        lines.append(f"error {e['id']}: expected {e['expected']}, got {e['got']}{where}: {e['measure']}")
    return "\n".join(lines)
