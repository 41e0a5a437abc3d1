"""The evaluation result as Markdown tables, and as a JSON file."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from assistant.evaluation.baselines import REFERENCE_DEV, REFERENCE_LECOQA


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def format_table(result: Mapping[str, Any]) -> str:
    columns = ("recall@5", "recall@10", "all@10", "mrr@10")
    header = ("system", "recall@5", "recall@10", "all in top 10", "MRR@10")
    name = Path(str(result.get("questions_path", "dev"))).stem.removesuffix("_questions") or "dev"
    lines = [f"Retrieval, {name} questions ({result.get('answerable', '?')} answerable, {result.get('docs_dir', '')})", ""]
    rows = [[name, *(fmt(m["overall"][c]) for c in columns)] for name, m in result.get("systems", {}).items()]
    rows += [[f"_{name} (BASELINES.md)_", *(fmt(m[c]) for c in columns)] for name, m in REFERENCE_DEV.items()]
    lines += markdown_table(header, rows)
    others = result.get("build", {}).get("workspace", {}).get("other_documents")
    if others:
        lines += ["", f"Note: the index also holds {len(others)} files outside the documents folder "
                      f"(they compete for the top 10): {', '.join(others[:5])}"]
    lines += _kind_table(result.get("systems", {}))
    if result.get("sweep"):
        lines += ["", "Hybrid lexical-weight sweep (dev)", ""]
        lines += markdown_table(("lexical weight", *header[1:]),
                        [[fmt(r["lexical_weight"]), *(fmt(r[c]) for c in columns)] for r in result["sweep"]])
    if result.get("lecoqa"):
        lines += ["", *_lecoqa_table(result["lecoqa"])]
    return "\n".join(lines)


def _kind_table(systems: Mapping[str, Any]) -> list[str]:
    kinds = sorted({kind for m in systems.values() for kind in m["by_kind"]})
    if not kinds:
        return []
    rows = [[name, *(fmt(m["by_kind"].get(k, {}).get("recall@5", "-")) for k in kinds)] for name, m in systems.items()]
    counts = next(iter(systems.values()))["by_kind"]
    return ["", "recall@5 by kind", "", *markdown_table(("system", *(f"{k} ({counts[k]['n']})" for k in kinds)), rows)]


def _lecoqa_table(lecoqa: Mapping[str, Any]) -> list[str]:
    columns = ("hit@5", "hit@10", "recall@5", "recall@10", "mrr@10")
    header = ("retriever", "Hit@5", "Hit@10", "recall@5", "recall@10", "MRR@10")
    rows = [[name, *(fmt(m[c]) for c in columns)] for name, m in lecoqa["systems"].items()]
    rows += [[f"_{name} (BASELINES.md)_", *(fmt(m[c]) for c in columns)] for name, m in REFERENCE_LECOQA.items()]
    title = f"LeCoQA statute retrieval ({lecoqa['questions']} questions, {lecoqa['articles']} articles)"
    return [title, "", *markdown_table(header, rows)]


def save_json(result: Mapping[str, Any], path: Path | str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(result, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
