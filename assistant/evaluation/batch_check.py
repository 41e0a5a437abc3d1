"""The check a new batch of eval items passes before it is appended to ``eval/questions.jsonl`` or
``eval/measures.jsonl`` (README "Format"): ids in order, the exact fields, allowed values, labels that agree
with the gold, gold quotes that are exact, unique, one sentence of 8–40 characters in their file, and no item
that is a near copy of an earlier one testing the same thing (``copy_class``).

``python -m assistant.evaluation.batch_check questions|measures FILE --prefix dq --first 1 [--count 40]``
prints one problem a line (the item's id first), a summary, and exits 1 when there is any problem.

Each check is a pure function over the items' dicts returning problem strings, so tests call them one by one.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from assistant.evaluation.data import raw_files, read_jsonl, read_raw_texts
from assistant.evaluation.eval_sets import KINDS, MEASURE_TYPES, MEASURES, QUESTIONS, STYLES, WHATS
from assistant.settings import get_settings
from index.kinds import DocumentKind
from index.loaders import load_document
from index.structure import classify_document

Item = Mapping[str, Any]

QUOTE_LENGTH = (8, 40)
SENTENCE_ENDS = "。；！？"
# Markup the cleaned text drops (a quote holding it is not in what citations quote) and line breaks.
FORBIDDEN = {"*": "*", "#": "#", "\n": "换行"}
# Character-bigram Jaccard from which two items count as one item written twice.
NEAR_COPY = 0.6
FIELDS = {
    "questions": frozenset({"id", "question", "answerable", "gold", "kind", "style", "history", "note"}),
    "measures": frozenset({"id", "measure", "exists", "gold", "type", "note"}),
}
TEXT_FIELD = {"questions": "question", "measures": "measure"}


def _id(item: Item) -> str:
    return str(item.get("id", "（无 id）"))


def expected_ids(prefix: str, first: int, count: int) -> list[str]:
    return [f"{prefix}-{n:03d}" for n in range(first, first + count)]


def check_ids(
    items: Sequence[Item], prefix: str, first: int, count: int | None = None, taken: Iterable[str] = ()
) -> list[str]:
    """Ids are prefix-first…, in order, as many as ``count``, and none is already in the eval file. An order
    problem is reported once, at the first id out of place (one swap would otherwise be two problems)."""
    want = expected_ids(prefix, first, len(items) if count is None else count)
    got = [_id(item) for item in items]
    problems = []
    span = f"{want[0]}…{want[-1]}" if want else "（无）"
    pairs = enumerate(zip(got, want, strict=False), 1)
    out_of_place = [(n, have, need) for n, (have, need) in pairs if have != need]
    if out_of_place:
        n, have, need = out_of_place[0]
        problems.append(f"{have}：编号须为 {span} 依次排列，第 {n} 条应为 {need}")
    elif len(got) != len(want):
        problems.append(f"批次：应有 {len(want)} 条（{span}），实有 {len(got)} 条")
    problems += [f"{i}：编号已在评测集中" for i in sorted(set(got) & set(taken))]
    return problems


def check_fields(what: str, item: Item) -> list[str]:
    """The exact fields of the format, nothing missing or extra (a count question also has ``count``)."""
    need = FIELDS[what] | ({"count"} if what == "questions" and item.get("kind") == "count" else set())
    missing, extra = sorted(need - set(item)), sorted(set(item) - need)
    if not missing and not extra:
        return []
    parts = ([f"缺少 {'、'.join(missing)}"] if missing else []) + ([f"多出 {'、'.join(extra)}"] if extra else [])
    return [f"{_id(item)}：字段不对，{'；'.join(parts)}"]


def check_values(what: str, item: Item) -> list[str]:
    allowed = {"kind": KINDS, "style": STYLES} if what == "questions" else {"type": MEASURE_TYPES}
    return [
        f"{_id(item)}：{field} 为 {item.get(field)!r}，须是 {'、'.join(values)} 之一"
        for field, values in allowed.items()
        if item.get(field) not in values
    ]


def check_labels(what: str, item: Item) -> list[str]:
    """The labels agree with the gold: an answerable question / an existing measure has gold quotes, the
    others none; history only for follow-ups; a count question states its number."""
    problems = []
    gold = bool(item.get("gold"))
    if what == "measures":
        exists = item.get("exists")
        if exists != str(item.get("type", "")).startswith("positive") or exists != gold:
            problems.append(f"{_id(item)}：exists、type 与 gold 不一致（positive_* 有 gold，其余类型无 gold）")
        return problems
    if item.get("answerable") != (item.get("kind") != "unanswerable") or item.get("answerable") != gold:
        problems.append(f"{_id(item)}：answerable、kind 与 gold 不一致（可答的题有 gold，unanswerable 无 gold）")
    history = item.get("history")
    if not isinstance(history, list):
        problems.append(f"{_id(item)}：history 须是列表（对话中先前的问题）")
    elif (item.get("style") == "followup") != bool(history):
        problems.append(f"{_id(item)}：history 须恰在 style 为 followup 时非空")
    count = item.get("count")
    if item.get("kind") == "count" and (not isinstance(count, int) or isinstance(count, bool)):
        problems.append(f"{_id(item)}：count 题的 count 须是整数")
    return problems


def check_texts(what: str, item: Item) -> list[str]:
    """The item's own text has no markup or line break (it is shown and embedded as one line); a note says
    what the documents say (the gold's only explanation for a reader)."""
    problems = []
    text = str(item.get(TEXT_FIELD[what], ""))
    bad = [name for char, name in FORBIDDEN.items() if char in text]
    if not text.strip() or bad:
        problems.append(f"{_id(item)}：{TEXT_FIELD[what]} 为空或含 {'、'.join(bad) or '（空）'}")
    if not str(item.get("note", "")).strip():
        problems.append(f"{_id(item)}：note 为空")
    return problems


def _crosses_sentence_end(quote: str) -> bool:
    inner = quote[:-1] if quote.endswith(tuple(SENTENCE_ENDS)) else quote  # a quote may end its sentence
    return any(end in inner for end in SENTENCE_ENDS)


def check_quotes(item: Item, texts: Mapping[str, str]) -> list[str]:
    """Each gold quote is in its file (``texts``: file name → raw text) exactly once, 8–40 characters, one
    sentence, without markup: what makes citation recall countable. One problem per quote, all its reasons."""
    problems = []
    for gold in item.get("gold") or ():
        doc, quote = str(gold.get("doc", "")), str(gold.get("quote", ""))
        shown = quote.replace("\n", "\\n")
        if doc not in texts:
            problems.append(f"{_id(item)}：引文「{shown}」的文件《{doc}》不在文档目录中")
            continue
        reasons = []
        low, high = QUOTE_LENGTH
        if not low <= len(quote) <= high:
            reasons.append(f"长 {len(quote)} 字（须 {low}–{high} 字）")
        found = texts[doc].count(quote) if quote else 0
        if found != 1:
            reasons.append(f"在《{doc}》中出现 {found} 次（须恰好一次）")
        bad = [name for char, name in FORBIDDEN.items() if char in quote]
        if bad:
            reasons.append(f"含 {'、'.join(bad)}")
        if quote and _crosses_sentence_end(quote):
            reasons.append(f"跨过句末（{SENTENCE_ENDS}），须在一句之内")
        if reasons:
            problems.append(f"{_id(item)}：引文「{shown}」{'；'.join(reasons)}")
    return problems


def check_measure_sources(item: Item, kinds: Mapping[str, str]) -> list[str]:
    """A true measure's gold lies in a rectification report (``kinds``: file name → the index's document kind):
    the measure check looks for measures taken, never in a work report, a press interview or the inspection
    team's feedback (reference material), nor in a rule."""
    if not item.get("exists"):
        return []
    reports = {doc for doc, kind in kinds.items() if kind == DocumentKind.REPORT}
    outside = sorted({str(g.get("doc", "")) for g in item.get("gold") or ()} & kinds.keys() - reports)
    return [f"{_id(item)}：措施的引文须出自整改通报或报告，《{doc}》不是（核查只查整改材料）" for doc in outside]


def document_kinds(docs_dir: Path) -> dict[str, str]:
    """File name → the kind the index gives the document (``index.structure.classify_document``)."""
    return {name: classify_document(load_document(path)) for name, path in raw_files(docs_dir).items()}


def bigrams(text: str) -> set[str]:
    squashed = re.sub(r"\s+", "", text)
    return {squashed[i : i + 2] for i in range(len(squashed) - 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(1, len(a | b))


def copy_class(what: str, item: Item) -> object:
    """What an item is compared with for near copies. A near miss is written close to a true measure on purpose,
    and near misses of one sentence that differ in kind (one wrong body, one wrong number) test different
    things; an unanswerable question sits close to an answerable one by design. So true measures are compared
    with true measures, near misses with near misses of their type, questions with questions of their label."""
    if what == "questions":
        return item.get("answerable")
    return True if item.get("exists") else item.get("type")


def check_near_copies(what: str, items: Sequence[Item], existing: Sequence[Item]) -> list[str]:
    """No item is a near copy of an existing one or of an earlier one in the batch of its ``copy_class`` (each
    pair reported once, at its later item); an item with an existing item's id is that item again, not a copy,
    and is skipped (``check_ids`` reports the id)."""
    field = TEXT_FIELD[what]
    mine = {_id(item) for item in items}
    seen = [(_id(o), copy_class(what, o), str(o.get(field, ""))) for o in existing if _id(o) not in mine]
    grams = {i: bigrams(text) for i, _, text in seen}
    problems = []
    for item in items:
        text, kind = str(item.get(field, "")), copy_class(what, item)
        own = bigrams(text)
        best = max(((jaccard(own, grams[i]), i, t) for i, k, t in seen if k == kind), default=None)
        if best and best[0] >= NEAR_COPY:
            score, other, other_text = best
            problems.append(f"{_id(item)}：与 {other}「{other_text}」几乎相同（字二元组 Jaccard {score:.2f}）")
        seen.append((_id(item), kind, text))
        grams[_id(item)] = own
    return problems


def check_item(what: str, item: Item, texts: Mapping[str, str], kinds: Mapping[str, str] | None = None) -> list[str]:
    """Every check of one item on its own (what each committed item must pass too); ``kinds`` (file name →
    document kind) also checks where a true measure's gold lies."""
    return (
        check_fields(what, item)
        + check_values(what, item)
        + check_labels(what, item)
        + check_texts(what, item)
        + check_quotes(item, texts)
        + (check_measure_sources(item, kinds) if what == "measures" and kinds is not None else [])
    )


def check_batch(
    what: str,
    items: Sequence[Item],
    existing: Sequence[Item],
    docs_dir: Path,
    *,
    prefix: str,
    first: int,
    count: int | None = None,
) -> list[str]:
    """Every problem of a batch of ``what`` ("questions" or "measures") against the ``existing`` items and
    the documents under ``docs_dir``; the ids run prefix-first… (``count`` of them, default all)."""
    if what not in WHATS:
        raise ValueError(f"what must be one of {WHATS}, not {what!r}")
    if not items:
        return ["批次：没有条目"]
    texts = read_raw_texts(docs_dir)
    kinds = document_kinds(docs_dir) if what == "measures" else None
    problems = check_ids(items, prefix, first, count, taken=(_id(o) for o in existing))
    for item in items:
        problems += check_item(what, item, texts, kinds)
    return problems + check_near_copies(what, items, existing)


def _tally(label: str, values: Iterable[object]) -> str:
    counts = Counter(str(v) for v in values).most_common()
    return f"{label}：" + ("，".join(f"{value} {n}" for value, n in counts) or "（无）")


def summary(what: str, items: Sequence[Item]) -> list[str]:
    """What the batch holds, for comparing with what was asked of its writers."""
    docs = _tally("文件", (g.get("doc") for item in items for g in item.get("gold") or ()))
    if what == "questions":
        kinds, styles = (i.get("kind") for i in items), (i.get("style") for i in items)
        return [_tally("题型", kinds), _tally("问法", styles), docs]
    return [_tally("类型", (i.get("type") for i in items)), docs]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.evaluation.batch_check", description="追加到 eval/ 之前检查一批新的题目或措施"
    )
    parser.add_argument("what", choices=WHATS, help="题目（questions）或措施（measures）")
    parser.add_argument("file", type=Path, help="新的一批（JSON 行文件）")
    parser.add_argument("--prefix", required=True, help="编号前缀，如 dq")
    parser.add_argument("--first", type=int, required=True, help="第一条的编号数字，如 1")
    parser.add_argument("--count", type=int, help="应有的条数（默认为文件中的条数）")
    args = parser.parse_args(argv)
    try:
        items = read_jsonl(args.file)
    except (OSError, ValueError) as err:  # a missing file or a line that is not JSON
        print(f"{args.file}：读不了（{err}）")
        print("问题：1")
        return 1
    existing = read_jsonl(QUESTIONS if args.what == "questions" else MEASURES)
    docs_dir = get_settings().docs_dir
    problems = check_batch(
        args.what, items, existing, docs_dir, prefix=args.prefix, first=args.first, count=args.count
    )
    for problem in problems:
        print(problem)
    for line in summary(args.what, items):
        print(line)
    print(f"问题：{len(problems)}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
