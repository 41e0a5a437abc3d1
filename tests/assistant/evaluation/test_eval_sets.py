"""The eval set is what its README says: exact gold quotes, a split drawn once, nothing shared between
tune and test."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from assistant.evaluation.data import read_jsonl
from assistant.evaluation.eval_sets import MEASURES, QUESTIONS, SPLIT, make_split, records
from index.loaders import load_document
from tests.conftest import DOCS_SRC

RAW = {p.name: p.read_text(encoding="utf-8") for p in DOCS_SRC.rglob("*") if p.is_file()}


@pytest.mark.parametrize("path", [QUESTIONS, MEASURES], ids=["questions", "measures"])
def test_every_gold_quote_is_exact_and_unique_in_its_file(path: object) -> None:
    for record in read_jsonl(path):  # type: ignore[arg-type]
        for gold in record["gold"]:
            quote = gold["quote"]
            assert 8 <= len(quote) <= 40 and not re.search(r"[\n*#]", quote), (record["id"], quote)
            assert RAW[gold["doc"]].count(quote) == 1, (record["id"], quote)


def test_gold_quotes_survive_cleaning() -> None:
    """Citations quote the cleaned text; every gold quote must still be there once markup is gone."""
    cleaned = {name: load_document(next(DOCS_SRC.rglob(name))).text for name in RAW}
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
    assert committed == make_split(committed["seed"])  # reproducible from its seed
    for what in ("questions", "measures"):
        tune, test = set(committed[what]["tune"]), set(committed[what]["test"])
        assert not tune & test
        every = {str(r["id"]) for r in read_jsonl(QUESTIONS if what == "questions" else MEASURES)}
        assert tune | test == every


def test_each_split_holds_every_kind() -> None:
    for split in ("tune", "test"):
        kinds = Counter(r["kind"] for r in records("questions", split))
        assert set(kinds) == {"fact", "list", "count", "regulation", "cross-doc", "unanswerable"}
        types = Counter(r["type"] for r in records("measures", split))
        assert len(types) == 9 and sum(n for t, n in types.items() if not t.startswith("positive")) >= 20
