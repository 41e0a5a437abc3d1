"""The ledger's columns and the ledger questions, scored.

* fields: the 30 hand-labelled rows of ``eval/ledger_fields.jsonl`` (written from the reports without
  looking at the product): is a column filled where the text states it, left empty where it does not,
  and right when filled;
* questions: ``eval/ledger_questions.jsonl`` asked of an index holding the bureau's report and a
  real-format 整改台账 spreadsheet built from it (``eval/ledger/``).

``python -m assistant.evaluation.ledger`` prints both.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.evaluation.answers import evaluate_answers, format_answer_table
from assistant.evaluation.data import load_questions, read_jsonl
from assistant.evaluation.eval_sets import EVAL_DIR
from assistant.ledger import LedgerRow, build_ledger
from assistant.settings import enforce_offline_environment, get_settings
from assistant.workspace import Workspace

FIELDS = EVAL_DIR / "ledger_fields.jsonl"
QUESTIONS = EVAL_DIR / "ledger_questions.jsonl"
LEDGER_DIR = EVAL_DIR / "ledger"
BUREAU = "教育局党组关于巡察组巡察反馈问题整改情况的通报.txt"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def score_fields(rows: Sequence[LedgerRow], labelled: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per column: filled where stated, empty where not, and exactly right."""
    scores: dict[str, dict[str, list[bool]]] = {c: {"filled": [], "empty": [], "right": []}
                                                 for c in ("units", "deadline", "status")}
    missing = []
    for item in labelled:
        row = next((r for r in rows if r.doc == item["doc"] and _squash(r.text).startswith(_squash(item["measure_start"]))), None)
        if row is None:
            missing.append(item["id"])
            continue
        got = {"units": set(row.units), "deadline": row.deadline, "status": row.status}
        want = {"units": set(item["units"]), "deadline": item["deadline"], "status": item["status"]}
        for column in scores:
            stated = bool(want[column])
            (scores[column]["filled"] if stated else scores[column]["empty"]).append(bool(got[column]) == stated)
            if column == "units":
                scores[column]["right"].append(got[column] == want[column])
            else:
                scores[column]["right"].append(got[column] == want[column] or (stated and want[column] in str(got[column])))
    share = lambda flags: round(sum(flags) / len(flags), 3) if flags else None  # noqa: E731
    return {
        "rows": len(labelled), "not_found": missing,
        **{f"{c}_{k}": share(v) for c, parts in scores.items() for k, v in parts.items()},
        **{f"{c}_stated": len(parts["filled"]) for c, parts in scores.items()},
    }


def ledger_workspace(root: Path) -> Workspace:
    """An index of the bureau's report and the ledger spreadsheet built from it."""
    docs = root / "docs"
    docs.mkdir(parents=True)
    shutil.copy(next(get_settings().docs_dir.rglob(BUREAU)), docs / BUREAU)
    for sheet in LEDGER_DIR.glob("*.xlsx"):
        shutil.copy(sheet, docs / sheet.name)
    ws = Workspace(get_settings().model_copy(update={"docs_dir": docs, "index_dir": root / "index",
                                                     "chroma_mode": "embedded"}))
    ws.index()
    return ws


def evaluate(ws: Workspace) -> dict[str, Any]:
    result: dict[str, Any] = {"fields": score_fields(build_ledger(ws), read_jsonl(FIELDS))}
    with tempfile.TemporaryDirectory(prefix="zgt-ledger-") as tmp:
        ledger_ws = ledger_workspace(Path(tmp))
        texts = {r.name: ledger_ws.lexical.document_text(r.doc_id) or "" for r in ledger_ws.manifest.records()}
        result["questions"] = evaluate_answers(ledger_ws.answerer, load_questions(QUESTIONS), texts)
    return result


def format_fields(fields: dict[str, Any]) -> str:
    lines = ["整改台账字段（30 行人工标注）", "", "| 字段 | 原文写明的行数 | 写明即填 | 未写明即空 | 填写正确 |", "|---|---|---|---|---|"]
    for column, name in (("units", "责任单位"), ("deadline", "整改时限"), ("status", "完成情况")):
        lines.append(f"| {name} | {fields[f'{column}_stated']} | {fields[f'{column}_filled']} | "
                     f"{fields[f'{column}_empty']} | {fields[f'{column}_right']} |")
    if fields["not_found"]:
        lines.append(f"\n未找到的行：{fields['not_found']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    enforce_offline_environment()
    parser = argparse.ArgumentParser(prog="python -m assistant.evaluation.ledger", description="台账字段与台账问答评测")
    parser.add_argument("--out", help="把结果另存为 JSON")
    args = parser.parse_args(argv)
    ws = Workspace(get_settings())
    ws.index()
    result = evaluate(ws)
    print(format_fields(result["fields"]))
    print()
    print(format_answer_table(result["questions"]).replace("Answers", "台账问答 Ledger questions", 1))
    if args.out:
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
