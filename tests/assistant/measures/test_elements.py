"""Measure elements on small strings: bodies, posts, numbers, frequencies, scope, negation and\ndirection, and the conflicts between a measure and a sentence; the LLM judge's reply parsing."""

from __future__ import annotations

import pytest

from assistant.measures.conflicts import element_conflicts
from assistant.measures.elements import (
    extract_elements,
    extract_frequencies,
    extract_numbers,
    extract_orgs,
    extract_roles,
    orgs_match,
)
from assistant.measures.judge import combine_verdicts, parse_judge_reply
from index.text import chinese_number, sentence_spans

BUREAU = "教育局党组关于巡察组巡察反馈问题整改情况的通报.txt"
NANKAI = "中共南开大学委员会关于十九届中央第七轮巡视整改进展情况的通报.md"


# ---------------------------------------------------------------------------------------------------
# Element extractors
# ---------------------------------------------------------------------------------------------------


def kinds(measure: str, source: str) -> set[str]:
    return {c.kind for c in element_conflicts(extract_elements(measure), extract_elements(source))}


def test_orgs_are_named_bodies_outside_titles() -> None:
    names = [o.name for o in extract_orgs("五是会同财政局制定印发《*州教育局机关财务管理制度》，协调州审计局")]
    assert names == ["财政局", "州审计局"]
    assert [o.name for o in extract_orgs("合并后勤服务处、膳食服务中心，撤销后勤保障部、基建规划处，成立基建保障处。")] == [
        "后勤服务处", "膳食服务中心", "后勤保障部", "基建规划处", "基建保障处",
    ]
    # words that merely end like a body
    assert extract_orgs("组织全体干部职工全部参加，局部调整") == []
    assert [o.name for o in extract_orgs("并经局党组会议研究同意下发")] == ["局党组"]


def test_posts_keep_their_body() -> None:
    assert [r.name for r in extract_roles("纪委书记作为会议监督员出席党委常委会会议、监察室主任作为会议监督员出席")] == [
        "纪委书记", "监察室主任",
    ]
    assert [r.name for r in extract_roles("党委书记任组长、校长任副组长")] == ["党委书记", "组长", "校长", "副组长"]
    assert [r.name for r in extract_roles("坚持党组织领导的校长负责制")] == []


def test_org_matching_tolerates_qualifiers_but_not_another_body() -> None:
    (a,), (b,), (c,) = extract_orgs("州审计局"), extract_orgs("审计局"), extract_orgs("州财政局")
    assert orgs_match(a, b) and not orgs_match(a, c)
    (x,), (y,) = extract_roles("组长"), extract_roles("副组长")
    assert not orgs_match(x, y)


def test_numbers_with_units_and_redaction() -> None:
    assert extract_numbers("配备副处级纪检员1名，增配3名优秀正科级纪检干部") == [("1", "名"), ("3", "名")]
    assert extract_numbers("开展*次集中学习，提高*元") == [("*", "次"), ("*", "元")]
    assert extract_numbers("选了一个县和两所学校") == [("1", "个"), ("2", "所")]
    assert extract_numbers("坚持统一领导，第一议题") == []
    assert extract_numbers("完成外墙维修加固40余处、660余平方米") == [("40", "处"), ("660", "平方米")]
    assert chinese_number("十二") == 12 and chinese_number("两百") == 200 and chinese_number("三万五千") == 35000


def test_frequencies_and_weekdays() -> None:
    assert extract_frequencies("每周周四开展*次集中学习") == [("周", "四")]
    assert extract_frequencies("每周一召开各科室工作汇报会议") == [("周", "一")]
    assert extract_frequencies("每周一次，每季度开展1次，每月") == [("周", ""), ("季度", ""), ("月", "")]
    assert extract_frequencies("一年两次") == [("年", "")]


def test_scope_negation_and_direction_elements() -> None:
    el = extract_elements("全州中小学已经全部实现书记、校长分设")
    assert el.total_scope == ("全部",) and el.region_scope == ("全州",)
    assert "出席" in extract_elements("纪委书记不再出席党委常委会会议").negated
    assert "追回" in extract_elements("多付工程款未及时追回").negated
    assert extract_elements("由“民考民”调整为“民考普”").changes == (("民考民", "民考普"),)


@pytest.mark.parametrize(
    ("measure", "source", "expected"),
    [
        ("会同州审计局制定内部审计工作规定", "五是会同财政局制定印发《内部审计工作规定》。", {"actor"}),
        ("会同州财政局制定内部审计工作规定", "五是会同财政局制定印发《内部审计工作规定》。", set()),
        ("把借调人员全部正式调入局里", "借调人员全部返回原单位工作。", {"action"}),
        ("撤销膳食服务中心", "合并后勤服务处、膳食服务中心，撤销后勤保障部、基建规划处。", {"action"}),
        ("机关干部每月集中学习一次", "理论学习每周周四开展*次集中学习。", {"frequency"}),
        ("机关干部每周五集中学习一次", "理论学习每周周四开展*次集中学习。", {"frequency"}),
        ("机关干部每周四集中学习一次", "理论学习每周周四开展*次集中学习。", set()),
        ("每年组织一次教师岗位大练兵", "举办高中教师岗位大练兵活动。", {"frequency"}),
        ("增配2名副处级纪检员", "为纪委配备副处级纪检员1名，增配3名正科级纪检干部。", {"number"}),
        ("后勤人员工资每月提高200元", "后勤工作人员工资每人每月提高*元。", set()),
        ("全州中小学全部实现书记、校长分设", "州高级中学和州职业技术学校已实现书记、校长分设。", {"scope"}),
        ("纪委书记不再出席党委常委会会议", "纪委书记作为会议监督员出席党委常委会会议。", {"negation"}),
        ("监察室主任出席党委常委会会议", "纪委书记作为会议监督员出席党委常委会会议、监察室主任作为会议监督员出席校长办公会议。",
         {"person"}),
        ("由校长担任领导小组组长", "党委书记担任巡视工作领导小组组长。", {"person"}),
        ("民族班由民考普调整为民考民", "将民族班由“民考民”调整为“民考普”。", {"action"}),
        ("借调人员已全部退回原单位", "借调人员全部返回原单位工作。", set()),
        # a 所有 about something else does not support 全部
        ("全部177项整改任务已完成销号", "所有台账的整改措施均逐项明确完成时限，销号一个。177项整改任务已完成174项。",
         {"scope"}),
    ],
)
def test_element_conflicts(measure: str, source: str, expected: set[str]) -> None:
    assert kinds(measure, source) == expected


def test_sentence_spans_are_exact_and_trimmed() -> None:
    text = "一是建立台账。\n  二是签订保密承诺书；落实措施"
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == ["一是建立台账。", "二是签订保密承诺书；", "落实措施"]


def test_judge_reply_parsing_and_combination() -> None:
    assert parse_judge_reply('好的。{"verdict": "partial", "reason": "部门不同"}') == ("partial", "部门不同")
    assert parse_judge_reply("结论：未找到")[0] == "absent"
    assert parse_judge_reply("无法判断") == (None, "")
    assert combine_verdicts("exists", "absent", has_conflicts=False) == "partial"
    assert combine_verdicts("partial", "exists", has_conflicts=False) == "exists"
    assert combine_verdicts("partial", "exists", has_conflicts=True) == "partial"
    assert combine_verdicts("absent", "exists", has_conflicts=False) == "absent"
