"""The project's own eval set (``eval/``): 241 questions and 98 measure checks written from docs_src/,
split once into ``tune`` and ``test`` by a fixed seed.

Everything that is tuned or trained (thresholds, weights, the learned signals of assistant/signals/)
reads only ``tune`` (plus the shared dev set); ``test`` is read to report. ``python -m
assistant.evaluation.eval_sets`` writes the split file; it is committed and never re-drawn.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from assistant.evaluation.data import read_jsonl
from assistant.settings import PROJECT_ROOT

EVAL_DIR = PROJECT_ROOT / "eval"
QUESTIONS = EVAL_DIR / "questions.jsonl"
MEASURES = EVAL_DIR / "measures.jsonl"
SPLIT = EVAL_DIR / "split.json"
SEED = 20261201
TEST_SHARE = 0.5

Split = Literal["tune", "test"]


def _stratified(records: Sequence[dict[str, Any]], key: str, rng: random.Random) -> dict[str, list[str]]:
    """Half of each stratum (kind of question, type of measure) to test, the rest to tune."""
    strata: dict[str, list[str]] = defaultdict(list)
    for record in records:
        strata[str(record.get(key, ""))].append(str(record["id"]))
    split: dict[str, list[str]] = {"tune": [], "test": []}
    for name in sorted(strata):
        ids = sorted(strata[name])
        rng.shuffle(ids)
        cut = round(len(ids) * TEST_SHARE)
        split["test"] += ids[:cut]
        split["tune"] += ids[cut:]
    return {name: sorted(ids) for name, ids in split.items()}


def make_split(seed: int = SEED) -> dict[str, Any]:
    rng = random.Random(seed)
    return {
        "seed": seed,
        "questions": _stratified(read_jsonl(QUESTIONS), "kind", rng),
        "measures": _stratified(read_jsonl(MEASURES), "type", rng),
    }


def split_ids(what: Literal["questions", "measures"], split: Split) -> set[str]:
    return set(json.loads(SPLIT.read_text(encoding="utf-8"))[what][split])


def records(what: Literal["questions", "measures"], split: Split) -> list[dict[str, Any]]:
    """The records of one split, in file order."""
    wanted = split_ids(what, split)
    return [r for r in read_jsonl(QUESTIONS if what == "questions" else MEASURES) if str(r["id"]) in wanted]


def write_split_file(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def split_file(what: Literal["questions", "measures"], split: Split, folder: Path) -> Path:
    """One split as a JSON-lines file (the format the eval commands read), written under ``folder``."""
    return write_split_file(folder / f"{split}_{what}.jsonl", records(what, split))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.evaluation.eval_sets", description="划分 tune/test")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--force", action="store_true", help="重新划分（会改变 test，只应做一次）")
    args = parser.parse_args(argv)
    if SPLIT.exists() and not args.force:
        print(f"{SPLIT} 已存在：划分只做一次，不再重抽")
        return 0
    split = make_split(args.seed)
    SPLIT.write_text(json.dumps(split, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for what in ("questions", "measures"):
        print(what, {name: len(ids) for name, ids in split[what].items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
