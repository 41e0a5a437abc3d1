"""The project's own eval set (``eval/``): questions and measure checks written from docs_src/, split into
``tune`` and ``test`` by fixed seeds.

Everything that is tuned or trained (thresholds, weights, the learned signals of assistant/signals/)
reads only ``tune`` (plus the shared dev set); ``test`` is read to report. ``python -m
assistant.evaluation.eval_sets`` drew the first split (seed ``SEED``); it is committed and never re-drawn.
Items written later are added as a *batch* by ``--extend``: only ids not yet in the split are drawn (own
seed, same stratification), and every earlier assignment stays as it was. ``split.json`` keeps the union
under ``questions``/``measures`` (what ``split_ids``/``records`` read), the first seed under ``seed``,
and each later batch (its seed and its own tune/test ids) under ``batches``.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from assistant.evaluation.data import read_jsonl
from assistant.settings import PROJECT_ROOT

EVAL_DIR = PROJECT_ROOT / "eval"
QUESTIONS = EVAL_DIR / "questions.jsonl"
MEASURES = EVAL_DIR / "measures.jsonl"
SPLIT = EVAL_DIR / "split.json"
SEED = 20261201
EXTEND_SEED = 20261202  # the second batch (b-001…b-100); a later batch takes the next unused seed
TEST_SHARE = 0.5
WHATS = ("questions", "measures")
KEYS = {"questions": "kind", "measures": "type"}  # the stratum of each kind of item
# The values the README's "Format" allows, defined once: the split's test and the batch check read them.
KINDS = ("fact", "list", "count", "regulation", "cross-doc", "unanswerable")
STYLES = ("formal", "colloquial", "keyword", "deictic", "followup")
MEASURE_TYPES = (
    "positive_reworded",  # the positives (exists) are the types that start with "positive"
    "positive_close",
    "wrong_body",
    "reversed",
    "overstated_scope",
    "wrong_frequency_or_number",
    "negation",
    "other_doc",
    "nearby_topic",
)

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


def _read(what: str) -> list[dict[str, Any]]:
    return read_jsonl(QUESTIONS if what == "questions" else MEASURES)


def _draw(items: Mapping[str, Sequence[dict[str, Any]]], seed: int) -> dict[str, dict[str, list[str]]]:
    """One draw: questions, then measures, from one generator (the order ``make_split`` always used)."""
    rng = random.Random(seed)
    return {what: _stratified(items[what], KEYS[what], rng) for what in WHATS}


def make_split(
    seed: int = SEED,
    questions: Sequence[dict[str, Any]] | None = None,
    measures: Sequence[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A whole new split of the given records (default: every record in ``eval/``)."""
    items = {
        "questions": _read("questions") if questions is None else questions,
        "measures": _read("measures") if measures is None else measures,
    }
    return {"seed": seed, **_draw(items, seed)}


def assigned_ids(split: dict[str, Any], what: str) -> set[str]:
    return {i for part in split[what].values() for i in part}


def seeds(split: dict[str, Any]) -> list[int]:
    """Every seed the split file was drawn with, first batch first."""
    return [int(split["seed"])] + [int(b["seed"]) for b in split.get("batches", [])]


def extend_split(
    split: dict[str, Any],
    seed: int,
    questions: Sequence[dict[str, Any]] | None = None,
    measures: Sequence[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The split with one more batch: the records whose ids are not yet assigned, drawn by ``seed``.

    Ids already in the split are never drawn again (asking for that raises); their assignment is
    copied unchanged. Raises ``ValueError`` when nothing is new or the seed was used before.
    """
    if seed in seeds(split):
        raise ValueError(f"种子 {seed} 已用过：每批用新的种子")
    records = {
        "questions": _read("questions") if questions is None else questions,
        "measures": _read("measures") if measures is None else measures,
    }
    new = {
        what: [r for r in records[what] if str(r["id"]) not in assigned_ids(split, what)] for what in WHATS
    }
    if not any(new.values()):
        raise ValueError("没有未划分的新条目")
    batch = _draw(new, seed)
    for what in WHATS:  # refuse to re-assign: the batch holds only ids the split does not have
        again = assigned_ids({what: batch[what]}, what) & assigned_ids(split, what)
        if again:
            raise ValueError(f"{what} 已划分，不能重新划分：{sorted(again)}")
    out: dict[str, Any] = {"seed": split["seed"]}
    for what in WHATS:
        out[what] = {part: sorted(split[what][part] + batch[what][part]) for part in ("tune", "test")}
    out["batches"] = [*split.get("batches", []), {"seed": seed, **batch}]
    if "drawn_as" in split:
        out["drawn_as"] = split["drawn_as"]
    return out


def _as_drawn(record: dict[str, Any], split: dict[str, Any], what: str) -> dict[str, Any]:
    """``record`` with the stratum it had when its batch was drawn: an item relabelled later (``drawn_as`` in the
    split file: id → its old type) keeps the place the draw gave it, and the split still redraws from its seeds."""
    old = split.get("drawn_as", {}).get(what, {}).get(str(record["id"]))
    return record if old is None else {**record, KEYS[what]: old}


def redraw(split: dict[str, Any]) -> dict[str, Any]:
    """The split file reproduced from its seeds: the first batch from ``seed``, each later batch from its
    own seed over its own ids (so a committed split can be checked against its seeds)."""
    later = {what: {i for b in split.get("batches", []) for i in assigned_ids(b, what)} for what in WHATS}
    rows = {what: [_as_drawn(r, split, what) for r in _read(what)] for what in WHATS}
    first = {
        what: [r for r in rows[what] if str(r["id"]) in assigned_ids(split, what) - later[what]]
        for what in WHATS
    }
    out = make_split(int(split["seed"]), first["questions"], first["measures"])
    for b in split.get("batches", []):
        ids = {what: assigned_ids(b, what) for what in WHATS}
        mine = {what: [r for r in rows[what] if str(r["id"]) in ids[what]] for what in WHATS}
        out = extend_split(out, int(b["seed"]), mine["questions"], mine["measures"])
    if "drawn_as" in split:
        out["drawn_as"] = split["drawn_as"]
    return out


def split_ids(what: Literal["questions", "measures"], split: Split) -> set[str]:
    return set(json.loads(SPLIT.read_text(encoding="utf-8"))[what][split])


def holds_test_items(what: Literal["questions", "measures"], ids: Iterable[str]) -> bool:
    """Whether any of ``ids`` belongs to the test split: a read of them only reports, so which of them went
    wrong is not printed (``cmd_eval``), however the file was made (--split test, --write, a copy)."""
    return not split_ids(what, "test").isdisjoint(ids)


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


def split_files_before(split: Split, seed: int, folder: Path) -> tuple[Path, Path]:
    """One split's questions and measures as they were before the batch drawn with ``seed`` (that batch and
    every later one left out): the items an earlier figure was measured on, for comparing like with like."""
    committed = json.loads(SPLIT.read_text(encoding="utf-8"))
    later = [b for b in committed.get("batches", []) if int(b["seed"]) >= seed]
    paths = []
    for what in WHATS:
        dropped = set().union(*(assigned_ids(b, what) for b in later)) if later else set()
        kept = [r for r in records(what, split) if str(r["id"]) not in dropped]  # type: ignore[arg-type]
        paths.append(write_split_file(folder / f"{split}_{what}_before_{seed}.jsonl", kept))
    return paths[0], paths[1]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.evaluation.eval_sets", description="划分 tune/test"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help=f"种子（首次划分默认 {SEED}，--extend 默认 {EXTEND_SEED} 或下一个未用的）",
    )
    parser.add_argument("--force", action="store_true", help="重新划分（会改变 test，只应做一次）")
    parser.add_argument(
        "--extend", action="store_true", help="只划分尚未划分的新条目（新的一批），已有的划分不变"
    )
    parser.add_argument(
        "--before", type=int, metavar="SEED", help="写出 --write 指定划分在该种子那一批之前的题目与措施（与早先的数字对比）"
    )
    parser.add_argument("--write", choices=["tune", "test"], help="与 --before 同用：写出哪个划分")
    parser.add_argument("--out", default=".", help="--write 的输出目录")
    args = parser.parse_args(argv)
    if args.write:
        if args.before is None:
            print("--write 需要 --before 种子")
            return 1
        for path in split_files_before(args.write, args.before, Path(args.out)):
            print(path)
        return 0
    if args.extend:
        if not SPLIT.exists():
            print(f"{SPLIT} 不存在：先做首次划分")
            return 1
        current = json.loads(SPLIT.read_text(encoding="utf-8"))
        seed = args.seed if args.seed is not None else max(EXTEND_SEED, max(seeds(current)) + 1)
        try:
            split = extend_split(current, seed)
        except ValueError as err:
            print(err)
            return 1
        SPLIT.write_text(json.dumps(split, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        for what in WHATS:
            print(
                what,
                "新增",
                {name: len(ids) for name, ids in split["batches"][-1][what].items()},
                "种子",
                seed,
            )
        return 0
    if SPLIT.exists() and not args.force:
        print(f"{SPLIT} 已存在：划分只做一次，不再重抽（新条目用 --extend）")
        return 0
    split = make_split(SEED if args.seed is None else args.seed)
    SPLIT.write_text(json.dumps(split, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for what in WHATS:
        print(what, {name: len(ids) for name, ids in split[what].items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
