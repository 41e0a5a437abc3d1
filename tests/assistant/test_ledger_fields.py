"""A 整改台账 row's columns, read from the measure's own text — and left empty when it does not say."""

from __future__ import annotations

from assistant.ledger_answers import LedgerQuery, ledger_query, matching_rows
from assistant.ledger_fields import (
    acting_units,
    deadline_of,
    fields_of,
    ledger_columns,
    problem_of,
    status_of,
)
from tests.assistant.test_ledger import make_row


def test_the_units_that_act_not_those_only_mentioned() -> None:
    assert acting_units("六是州教育研究室根据反馈问题重新审核修订财务管理制度。") == ("州教育研究室",)
    assert "财政局" in acting_units("五是会同财政局制定印发内部审计工作规定。")
    assert acting_units("一是学习省委印发的文件，传达省委精神。") == ()  # mentioned, not acting
    assert acting_units("一是加强理论学习。") == ()
    # Any item label may open the clause, （一） as well as （1）.
    assert acting_units("（一）州教育局牵头制定校园安全工作方案。") == ("州教育局",)
    assert acting_units("（1）州教育局牵头制定校园安全工作方案。") == ("州教育局",)


def test_deadline_and_status_only_as_written() -> None:
    assert deadline_of("确保2023年6月底前完成整改。") == "2023年6月底前完成"
    assert deadline_of("对师德问题长期坚持、持续整改。") == "长期坚持、持续整改"
    assert deadline_of("加强师德建设。") == ""
    assert status_of("目前，往来款项内部审计已完成，审计报告正在征求意见。") == "已完成"
    assert status_of("反馈的问题全部整改到位。") == "全部整改到位"
    assert status_of("加强师德建设。") == ""


def test_the_problem_is_the_heading_right_above() -> None:
    assert problem_of("二、坚持问题导向 › （二）针对财务管理方面问题") == "（二）针对财务管理方面问题"
    assert problem_of("") == ""


def test_an_imported_ledger_row_keeps_its_own_columns() -> None:
    row = "序号：3；反馈问题：财务管理不规范；整改措施：修订财务管理制度；责任单位：财务科、办公室；整改时限：2023年6月底前；完成情况：正在推进"
    assert ledger_columns(row) is not None
    fields = fields_of(row, "台账")
    assert (fields.problem, fields.measure, fields.units) == ("财务管理不规范", "修订财务管理制度", ("财务科", "办公室"))
    assert (fields.deadline, fields.status) == ("2023年6月底前", "正在推进")
    assert ledger_columns("五是修订财务管理制度：规范报账；清理挂账。") is None  # prose, not a ledger row


def test_ledger_questions_read_the_columns() -> None:
    assert ledger_query("还有哪些没完成？") == LedgerQuery(status="open")
    assert ledger_query("由局党组牵头的有几项？") == LedgerQuery(unit="局党组")
    assert ledger_query("哪些措施由财务科负责？") == LedgerQuery(unit="财务科")
    assert ledger_query("保密工作是怎么整改的？") is None
    assert ledger_query("哪个部门负责食堂管理？") is None  # asks for the unit, names none
    rows = [
        make_row(label="一是", status="已完成", units=("财务科",)),
        make_row(label="二是", status="正在推进", units=("办公室",)),
        make_row(label="三是", status="", units=("财务科",)),
    ]
    assert [r.label for r in matching_rows(rows, LedgerQuery(status="open"))] == ["二是"]
    assert [r.label for r in matching_rows(rows, LedgerQuery(status="done"))] == ["一是"]
    assert [r.label for r in matching_rows(rows, LedgerQuery(unit="财务科"))] == ["一是", "三是"]
