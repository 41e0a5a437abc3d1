"""Measure-check evaluation: each scoring rule on hand-made results, the eval wiring, the dev set for real."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import build_parser
from assistant.evaluation.data import GoldQuote
from assistant.evaluation.measures import (
    MeasureItem,
    evaluate_measures,
    format_measure_table,
    load_measure_items,
    score_measure,
    score_results,
)
from assistant.measures import MeasureMatch, MeasureResult, Signals
from assistant.settings import Settings
from assistant.workspace import Workspace
from index.chunking import Chunk
from tests.conftest import EVAL_DIR

BUREAU = "通报.txt"
TEXT = "五是下发《关于对州属学校往来款项开展内部审计的通知》，组织人员开展审计。六是签订保密承诺书，落实保密管理措施。"
AUDIT = GoldQuote(BUREAU, "往来款项开展内部审计")


def match(quote: str, doc: str = BUREAU) -> MeasureMatch:
    chunk = Chunk("d", doc, "通报", "report", "", "", 0, len(TEXT), TEXT, None, (), 0)
    return MeasureMatch(chunk, quote, 0, Signals(0.9, 0.9, 0.9, 0.9, 0.9))


def result(verdict: str, *matches: MeasureMatch) -> MeasureResult:
    return MeasureResult("某措施", verdict, 0.9, "说明", list(matches))


def positive(id: str = "p", gold: tuple[GoldQuote, ...] = (AUDIT,)) -> MeasureItem:
    return MeasureItem(id, "对往来款项开展内部审计", True, gold)


def negative(id: str = "n", near_miss: str = "") -> MeasureItem:
    return MeasureItem(id, "会同州审计局开展内部审计", False, (), near_miss)


# ---------------------------------------------------------------- verdict and accuracy


def test_only_exists_counts_as_found_and_partial_rejects_a_near_miss() -> None:
    assert score_measure(result("exists", match(TEXT)), positive()).correct
    assert not score_measure(result("partial", match(TEXT)), positive()).correct
    assert not score_measure(result("absent"), positive()).correct
    assert score_measure(result("partial", match(TEXT)), negative()).correct
    assert score_measure(result("absent"), negative()).correct
    assert not score_measure(result("exists", match(TEXT)), negative()).correct


def test_accuracy_overall_on_positives_and_on_negatives() -> None:
    items = [positive("p1"), positive("p2"), negative("n1"), negative("n2"), negative("n3")]
    results = [result("exists", match(TEXT)), result("absent"), result("partial"), result("absent"), result("exists")]
    summary = score_results(results, items)
    assert (summary["items"], summary["positives"], summary["negatives"]) == (5, 2, 3)
    assert summary["accuracy"] == pytest.approx(3 / 5)
    assert summary["positive_accuracy"] == pytest.approx(1 / 2)
    assert summary["negative_accuracy"] == pytest.approx(2 / 3)
    assert summary["verdicts"] == {"exists": 2, "partial": 1, "absent": 2}


def test_the_auc_ranks_true_measures_by_confidence_whatever_the_threshold() -> None:
    items = [positive("p1"), positive("p2"), negative("n1"), negative("n2")]
    confidences = [0.9, 0.4, 0.5, 0.1]  # one near miss above one true measure: 3 of 4 pairs in order
    results = [MeasureResult("某措施", "partial", 0.9, "说明", confidence=c) for c in confidences]
    assert score_results(results, items)["auc"] == pytest.approx(3 / 4)
    assert "AUC" in format_measure_table(score_results(results, items))


def test_reference_material_named_is_counted_by_kind_and_never_in_the_verdict() -> None:
    items = [negative("n1", "other_doc"), negative("n2", "other_doc"), negative("n3", "reversed")]
    named = MeasureResult("某措施", "absent", 0.4, "说明", references=[match(TEXT)])
    results = [named, result("absent"), result("partial")]
    summary = score_results(results, items)
    assert summary["references_named"] == {"other_doc": 1}
    assert summary["negative_accuracy"] == 1.0  # named beside an absent verdict, it is still absent
    assert "(not counted): other_doc 1" in format_measure_table(summary)
    assert "(not counted): none" in format_measure_table(score_results(results[1:], items[1:]))


def test_one_result_per_item() -> None:
    with pytest.raises(ValueError):
        score_results([result("absent")], [positive(), negative()])


# ---------------------------------------------------------------- location


def test_location_is_the_top_match_covering_a_gold_quote_of_the_gold_file() -> None:
    assert score_measure(result("exists", match("关于对州属学校往来款项开展内部审计的通知")), positive()).located
    # whitespace on either side does not matter (the retrieval eval's rule)
    assert score_measure(result("exists", match("往来款项 开展\n内部审计")), positive()).located
    # the same words in another file do not count
    assert not score_measure(result("exists", match(TEXT, doc="别的通报.txt")), positive()).located
    # a span holding only part of the quote does not cover it
    assert not score_measure(result("exists", match("往来款项开展内部")), positive()).located
    # any one of several gold quotes will do
    two = positive(gold=(GoldQuote(BUREAU, "不在原文中的引文"), GoldQuote(BUREAU, "签订保密承诺书")))
    assert score_measure(result("exists", match("六是签订保密承诺书，")), two).located


def test_location_rests_on_the_top_match_and_any_match_is_reported_apart() -> None:
    score = score_measure(result("exists", match("六是签订保密承诺书，"), match(TEXT)), positive())
    assert score.located is False and score.located_any is True


def test_location_is_only_judged_for_positives_found() -> None:
    assert score_measure(result("partial", match(TEXT)), positive()).located is None
    assert score_measure(result("exists", match(TEXT)), negative()).located is None
    items = [positive("p1"), positive("p2"), positive("p3"), negative("n1")]
    results = [
        result("exists", match(TEXT)),
        result("exists", match("六是签订保密承诺书，")),
        result("absent"),  # not found: a label error, not a location error
        result("exists", match(TEXT)),  # false positive: no gold to locate
    ]
    summary = score_results(results, items)
    assert summary["located_n"] == 2
    assert summary["located"] == pytest.approx(1 / 2)
    assert summary["located_any"] == pytest.approx(1 / 2)


def test_no_positive_found_gives_no_location_figure_rather_than_a_perfect_one() -> None:
    summary = score_results([result("absent"), result("absent")], [positive(), negative()])
    assert summary["located"] is None and summary["located_n"] == 0
    assert "| -" in format_measure_table(summary)


def test_strict_accuracy_needs_the_location_of_a_found_positive() -> None:
    items = [positive("p1"), positive("p2"), negative("n1")]
    results = [result("exists", match(TEXT)), result("exists", match("六是签订保密承诺书，")), result("partial")]
    summary = score_results(results, items)
    assert summary["accuracy"] == 1.0
    assert summary["strict_accuracy"] == pytest.approx(2 / 3)


# ---------------------------------------------------------------- near-miss types and errors


def test_accuracy_by_near_miss_type_when_the_file_labels_it(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "measure": "措施甲", "exists": True, "gold": [{"doc": BUREAU, "quote": "往来款项开展内部审计"}],
         "kind": "close"},
        {"id": "b", "measure": "措施乙", "exists": False, "gold": [], "near_miss": "department"},
        {"id": "c", "measure": "措施丙", "exists": False, "gold": [], "near_miss": "department"},
        {"id": "d", "measure": "措施丁", "exists": False, "gold": [], "near_miss": "scope"},
    ]
    path = tmp_path / "m.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    items = load_measure_items(path)
    assert items[0].gold == (AUDIT,) and items[1].near_miss == "department"
    summary = score_results(
        [result("exists", match(TEXT)), result("partial"), result("exists", match(TEXT)), result("absent")], items
    )
    # a positive's label is no near-miss type
    assert summary["by_near_miss"] == {"department": {"n": 2, "accuracy": 0.5}, "scope": {"n": 1, "accuracy": 1.0}}
    assert "near miss: department (2)" in format_measure_table(summary)


def test_unlabelled_file_has_no_breakdown() -> None:
    summary = score_results([result("absent")], [negative()])
    assert summary["by_near_miss"] == {}


def test_errors_list_id_measure_expected_and_got() -> None:
    items = [positive("p1"), positive("p2"), positive("p3"), negative("n1"), negative("n2")]
    results = [
        result("exists", match(TEXT)),
        result("partial"),
        result("exists", match("六是签订保密承诺书，")),
        result("exists", match(TEXT)),
        result("absent"),
    ]
    errors = score_results(results, items)["errors"]
    assert [(e["id"], e["expected"], e["got"], e["located"]) for e in errors] == [
        ("p2", "exists", "partial", None),
        ("p3", "exists", "exists", False),
        ("n1", "not exists", "exists", None),
    ]
    assert errors[0]["measure"] == "对往来款项开展内部审计"
    table = format_measure_table(score_results(results, items))
    assert "error p3" in table and "location misses the gold quote" in table
    # a split read only to report (test) shows its figures, not which of its items went wrong
    reported = format_measure_table(score_results(results, items), items=False)
    assert "error" not in reported and "accuracy" in reported


# ---------------------------------------------------------------- the dev file and the eval command


DEV_MEASURES = Settings().dev_measures


def test_dev_file_loads_as_the_readme_describes() -> None:
    assert DEV_MEASURES == EVAL_DIR / "dev_measures.jsonl"
    items = load_measure_items(DEV_MEASURES)
    assert len(items) == 16 and sum(i.exists for i in items) == 8
    assert all(i.gold for i in items if i.exists) and not any(i.gold for i in items if not i.exists)


def test_eval_command_checks_the_dev_measures_unless_told_otherwise(tmp_path: Path) -> None:
    parser = build_parser()
    assert parser.parse_args(["eval"]).measures is None  # cmd_eval then reads settings.dev_measures
    assert parser.parse_args(["eval", "--measures", str(tmp_path / "m.jsonl")]).measures == str(tmp_path / "m.jsonl")
    assert parser.parse_args(["eval", "--no-measures"]).measures == ""
    assert parser.parse_args(["eval", "--measures", ""]).measures == ""


def test_dev_measures_figures(corpus_workspace: Workspace) -> None:
    summary = evaluate_measures(corpus_workspace, load_measure_items(DEV_MEASURES))
    assert (summary["items"], summary["positives"], summary["negatives"]) == (16, 8, 8)
    for key in ("accuracy", "positive_accuracy", "negative_accuracy", "strict_accuracy"):
        assert 0.0 <= summary[key] <= 1.0, key
    assert summary["accuracy"] >= 15 / 16  # the bar of test_checker.test_dev_measures: one error at most
    assert summary["located_n"] > 0 and summary["located_any"] == 1.0  # test_measures: every exists is located
    label_errors = [e for e in summary["errors"] if e["located"] is not False]
    assert len(label_errors) == round((1 - summary["accuracy"]) * 16)
    table = format_measure_table(summary, DEV_MEASURES.name)
    assert table.startswith("措施核查") and f"accuracy (16) | {summary['accuracy']:.3f}" in table
    json.dumps(summary, ensure_ascii=False)  # saved with the eval result
