"""The eval set is what its README says: exact gold quotes, a split drawn once and only extended by later
batches, nothing shared between tune and test."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from assistant.evaluation.data import raw_files, read_jsonl, read_raw_texts
from assistant.evaluation.eval_sets import (
    KINDS,
    MEASURE_TYPES,
    MEASURES,
    QUESTIONS,
    SEED,
    SPLIT,
    assigned_ids,
    extend_split,
    holds_test_items,
    make_split,
    records,
    redraw,
    split_files_before,
    split_ids,
)
from index.loaders import load_document
from tests.conftest import DOCS_SRC

RAW = read_raw_texts(DOCS_SRC)  # a gold quote's doc is a bare file name; the package finds it the same way


@pytest.mark.parametrize("path", [QUESTIONS, MEASURES], ids=["questions", "measures"])
def test_every_gold_quote_is_exact_and_unique_in_its_file(path: object) -> None:
    for record in read_jsonl(path):  # type: ignore[arg-type]
        for gold in record["gold"]:
            quote = gold["quote"]
            assert 8 <= len(quote) <= 40 and not re.search(r"[\n*#]", quote), (record["id"], quote)
            assert RAW[gold["doc"]].count(quote) == 1, (record["id"], quote)


def test_gold_quotes_survive_cleaning() -> None:
    """Citations quote the cleaned text; every gold quote must still be there once markup is gone."""
    cleaned = {name: load_document(path).text for name, path in raw_files(DOCS_SRC).items()}
    squash = lambda text: re.sub(r"\s+", "", text)  # noqa: E731
    for path in (QUESTIONS, MEASURES):
        for record in read_jsonl(path):
            for gold in record["gold"]:
                assert squash(gold["quote"]) in squash(cleaned[gold["doc"]]), (record["id"], gold["quote"])


def test_labels_agree_with_gold() -> None:
    for q in read_jsonl(QUESTIONS):
        assert q["answerable"] == bool(q["gold"]) == (q["kind"] != "unanswerable"), q["id"]
        assert (q["style"] == "followup") == bool(q["history"]), q["id"]
    for m in read_jsonl(MEASURES):
        assert m["exists"] == bool(m["gold"]) == m["type"].startswith("positive"), m["id"]


def test_the_split_is_the_committed_one_and_disjoint() -> None:
    committed = json.loads(SPLIT.read_text(encoding="utf-8"))
    assert committed == redraw(committed)  # reproducible from its seeds, batch by batch
    for what in ("questions", "measures"):
        tune, test = set(committed[what]["tune"]), set(committed[what]["test"])
        assert not tune & test
        every = {str(r["id"]) for r in read_jsonl(QUESTIONS if what == "questions" else MEASURES)}
        assert tune | test == every


def test_each_split_holds_every_kind() -> None:
    for split in ("tune", "test"):
        kinds = Counter(r["kind"] for r in records("questions", split))
        assert set(kinds) == set(KINDS)
        types = Counter(r["type"] for r in records("measures", split))
        assert set(types) == set(MEASURE_TYPES) and sum(n for t, n in types.items() if not t.startswith("positive")) >= 20


def _first_batch(split: dict) -> dict:
    later = {
        what: {i for b in split.get("batches", []) for i in assigned_ids(b, what)}
        for what in ("questions", "measures")
    }
    return {
        what: {part: set(ids) - later[what] for part, ids in split[what].items()}
        for what in ("questions", "measures")
    }


def test_the_first_batch_is_the_one_drawn_before_any_extension() -> None:
    """241 questions and 98 measures (g-/r-/m- ids) drawn with seed 20261201, as committed before the b- batch;
    the later batches (b-, then c-/n-, d-/p-, e-/s-, f-/t-, h-/v-, i-/w-, j-/x-, y- of measures only, k-/z-, o-/u-, a-/q-,
    bq-/bm- … gq-/gm-, hq-, iq- and jq- of questions only, hm- of measures only, kq- of questions only, lq-/im-) each have their own seed."""
    committed = json.loads(SPLIT.read_text(encoding="utf-8"))
    assert committed["seed"] == SEED
    first = _first_batch(committed)
    assert {p: len(ids) for p, ids in first["questions"].items()} == {"tune": 119, "test": 122}
    assert {p: len(ids) for p, ids in first["measures"].items()} == {"tune": 47, "test": 51}
    assert all(i[:2] in ("g-", "r-") for ids in first["questions"].values() for i in ids)
    old = [
        r
        for r in read_jsonl(QUESTIONS)
        if str(r["id"]) in first["questions"]["tune"] | first["questions"]["test"]
    ]
    old_measures = [
        r for r in read_jsonl(MEASURES) if str(r["id"]) in first["measures"]["tune"] | first["measures"]["test"]
    ]
    alone = make_split(SEED, old, old_measures)  # the draw made when only these existed
    assert {
        what: {p: set(ids) for p, ids in alone[what].items()} for what in ("questions", "measures")
    } == first
    later = [
        ("b-", None), ("c-", "n-"), ("d-", "p-"), ("e-", "s-"), ("f-", "t-"), ("h-", "v-"), ("i-", "w-"), ("j-", "x-"),
        (None, "y-"), ("k-", "z-"), ("o-", "u-"), ("a-", "q-"), ("bq-", "bm-"), ("cq-", None), (None, "cm-"),
        (None, "cm-"),  # cm-061…075, a second measures-only batch with the same prefix
        ("dq-", "dm-"), ("eq-", "em-"), ("fq-", "fm-"), ("gq-", "gm-"), ("hq-", None), ("iq-", None), ("jq-", None),
        (None, "hm-"), ("kq-", None), ("lq-", "im-"), ("mq-", "jm-"), ("nq-", "km-"), ("oq-", "lm-"),
    ]
    assert [b["seed"] for b in committed["batches"]] == [20261202 + n for n in range(len(later))]
    for batch, (question_prefix, measure_prefix) in zip(committed["batches"], later, strict=True):
        if question_prefix:
            assert all(i.startswith(question_prefix) for ids in batch["questions"].values() for i in ids)
        else:  # a batch of measures only
            assert not any(batch["questions"].values())
        if measure_prefix:
            assert all(i.startswith(measure_prefix) for ids in batch["measures"].values() for i in ids)


def test_extending_keeps_every_assignment_and_refuses_to_redraw() -> None:
    committed = json.loads(SPLIT.read_text(encoding="utf-8"))
    questions = read_jsonl(QUESTIONS)
    new = [{"id": f"x-{n:03d}", "kind": kind} for n, kind in enumerate(["fact", "list", "unanswerable"] * 4)]
    extended = extend_split(committed, 99, [*questions, *new], read_jsonl(MEASURES))
    for what in ("questions", "measures"):
        for part in ("tune", "test"):
            assert set(committed[what][part]) <= set(extended[what][part])
    batch = extended["batches"][-1]
    assert assigned_ids(batch, "questions") == {r["id"] for r in new} and not assigned_ids(batch, "measures")
    drawn = Counter(r["kind"] for r in new if r["id"] in batch["questions"]["test"])
    assert drawn == {"fact": 2, "list": 2, "unanswerable": 2}  # half of each kind
    with pytest.raises(ValueError):  # nothing new: the committed ids are never drawn again
        extend_split(committed, 99, questions, read_jsonl(MEASURES))
    with pytest.raises(ValueError):  # a seed already used
        extend_split(committed, SEED, [*questions, *new], read_jsonl(MEASURES))


def test_a_split_as_it_was_before_a_batch_leaves_that_batch_and_later_ones_out(tmp_path: Path) -> None:
    """Figures measured before batch 9 are compared with the same items now: test without the j-/x- ids (nor
    the later batches' y-, k-, z-, o-, u-, a-, q-, bq-, bm-, cq-, cm-, dq-, dm-, eq-, em-, fq-, fm-, gq-, gm-, hq-, iq-, jq-, hm-, kq-, lq-, im-, mq-, jm-, nq-, km-, oq- and lm- ids)."""
    questions, measures = split_files_before("test", 20261209, tmp_path)
    before = {r["id"] for r in read_jsonl(questions)} | {r["id"] for r in read_jsonl(measures)}
    now = {r["id"] for r in records("questions", "test")} | {r["id"] for r in records("measures", "test")}
    assert before == {i for i in now if not i.startswith(("j-", "x-", "y-", "k-", "z-", "o-", "u-", "a-", "q-", "bq-", "bm-", "cq-", "cm-", "dq-", "dm-", "eq-", "em-", "fq-", "fm-", "gq-", "gm-", "hq-", "iq-", "jq-", "hm-", "kq-", "lq-", "im-", "mq-", "jm-", "nq-", "km-", "oq-", "lm-"))}
    assert len(before) == 430 + 213


def test_an_item_relabelled_after_its_draw_keeps_its_place() -> None:
    """Batch 19's true measures quoted from work reports or the 答记者问, and u-020 quoted from the feedback, were
    relabelled near misses (the measure check looks only in rectification reports); the split records their old
    type, so it still redraws from its seeds and nobody re-picks the halves."""
    committed = json.loads(SPLIT.read_text(encoding="utf-8"))
    assert committed["drawn_as"]["measures"]["fm-046"] == "positive_reworded"
    relabelled = {r["id"]: r for r in read_jsonl(MEASURES) if r["id"] in committed["drawn_as"]["measures"]}
    assert all(not r["exists"] and r["type"] == "other_doc" for r in relabelled.values())
    assert redraw({k: v for k, v in committed.items() if k != "drawn_as"}) != {
        k: v for k, v in committed.items() if k != "drawn_as"
    }


def test_a_read_that_holds_any_test_item_is_a_test_read() -> None:
    """However the file was made (--split test, eval_sets --write, a copy), one test item makes the read one
    that only reports."""
    test_q, tune_q = sorted(split_ids("questions", "test"))[0], sorted(split_ids("questions", "tune"))[0]
    assert holds_test_items("questions", [tune_q, test_q])
    assert not holds_test_items("questions", [tune_q, "dev-001"])
    assert holds_test_items("measures", sorted(split_ids("measures", "test"))[:1])
