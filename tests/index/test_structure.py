"""Structure rules on small synthetic texts, then pinned on the real corpus documents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from index.loaders import HeadingHint, LoadedDocument
from index.loaders.document import UnitHint
from index.structure import (
    ARTICLE,
    MEASURE,
    OTHER,
    PARAGRAPH,
    REGULATION,
    REPORT,
    ROW,
    Unit,
    analyze,
    chinese_number,
    classify_document,
    extract_titles,
    split_units,
)
from index.text import enumeration_ordinals
from tests.index.documents import loaded_markdown_lines, loaded_text
from tests.index.real_corpus import BUREAU, INTERVIEW, NANKAI, XUNSHI


def body(doc: LoadedDocument, unit: Unit) -> str:
    return doc.text[unit.start : unit.end]


def unit_with(doc: LoadedDocument, units: list[Unit], needle: str) -> Unit:
    found = [u for u in units if needle in body(doc, u)]
    assert len(found) == 1, f"{needle!r} in {len(found)} units"
    return found[0]


# --- real documents, through the real loader --------------------------------------------------------


# --- report headings and measures ------------------------------------------------------------------


def test_heading_as_first_sentence_holds_the_measures_after_it() -> None:
    doc = loaded_markdown_lines(
        [
            "关于整改情况的通报",
            "一、强化履职担当，全力做好反馈问题整改。一是制定整改方案。二是召开专题会议，研究整改。",
            "二、坚持问题导向，确保反馈问题整改到位",
            "（一）针对聚焦群众身边腐败问题和不正之风方面问题。一是学习《党内监督条例》。二是开展警示教育。",
        ],
        name="t.txt",
    )
    units = split_units(doc)
    assert [(u.label, u.kind) for u in units] == [
        ("", PARAGRAPH),
        ("一是", MEASURE),
        ("二是", MEASURE),
        ("一是", MEASURE),
        ("二是", MEASURE),
    ]
    assert units[1].headings == ("一、强化履职担当，全力做好反馈问题整改",)
    assert body(doc, units[2]) == "二是召开专题会议，研究整改。"
    assert units[4].headings == (
        "二、坚持问题导向，确保反馈问题整改到位",
        "（一）针对聚焦群众身边腐败问题和不正之风方面问题",
    )
    assert body(doc, units[4]) == "二是开展警示教育。"


def test_heading_text_never_appears_as_a_unit() -> None:
    doc = loaded_markdown_lines(["一、总体情况", "正文第一段。"], name="t.txt")
    structure = analyze(doc)
    assert [body(doc, u) for u in structure.units] == ["正文第一段。"]
    assert [h.text for h in structure.headings] == ["一、总体情况"]


def test_measure_markers_inside_words_do_not_split() -> None:
    doc = loaded_markdown_lines(["一是坚持统一是前提，唯一是标准。统一是关键。二是落实到位。"], name="t.txt")
    units = split_units(doc)
    assert [(u.label, body(doc, u)) for u in units] == [
        ("一是", "一是坚持统一是前提，唯一是标准。统一是关键。"),
        ("二是", "二是落实到位。"),
    ]


def test_out_of_sequence_marker_after_a_break_does_not_split() -> None:
    doc = loaded_markdown_lines(["有关情况如下。三是一个说法。一是第一项。二是第二项。"], name="t.txt")
    units = split_units(doc)
    assert [(u.label, body(doc, u)) for u in units] == [
        ("", "有关情况如下。三是一个说法。"),
        ("一是", "一是第一项。"),
        ("二是", "二是第二项。"),
    ]


def test_ordinal_measures_di_yi_di_er() -> None:
    doc = loaded_markdown_lines(["主要做法如下：第一，健全制度。第二，强化监督。"], name="t.txt")
    units = split_units(doc)
    assert [(u.label, u.kind) for u in units] == [("", PARAGRAPH), ("第一", MEASURE), ("第二", MEASURE)]


def test_measure_paragraphs_nest_under_markdown_and_numbered_headings() -> None:
    doc = loaded_markdown_lines(
        [
            "**二、强化政治担当，推动整改落地**",
            "",
            "（一）加强党的领导，全面贯彻党的教育方针",
            "",
            "办好中国的事，关键在党。",
            "",
            "1.在学懂弄通做实上下功夫",
            "",
            "一是系统全面深研细悟。进一步深入学习。",
            "",
            "二是深化开展党史学习教育。认真学习。",
            "",
            "2.在落实立德树人根本任务上下功夫",
            "",
            "一是强化学科建设。",
        ]
    )
    units = split_units(doc)
    outer = ("二、强化政治担当，推动整改落地", "（一）加强党的领导，全面贯彻党的教育方针")
    assert units[0].headings == outer and units[0].kind == PARAGRAPH
    assert units[1].headings == (*outer, "1.在学懂弄通做实上下功夫") and units[1].label == "一是"
    assert units[2].label == "二是" and units[2].headings == units[1].headings
    assert units[3].headings == (*outer, "2.在落实立德树人根本任务上下功夫")


def test_markdown_headings_are_outermost_and_a_first_title_line_is_no_section() -> None:
    doc = loaded_markdown_lines(["# 文件标题", "## 第一部分", "一、总体要求", "坚持问题导向。", "## 第二部分", "正文。"])
    units = split_units(doc)
    assert units[0].headings == ("第一部分", "一、总体要求")
    assert units[1].headings == ("第二部分",)
    assert analyze(doc).headings[0].level == 0  # the title


def test_digit_marker_needs_a_heading_not_a_number() -> None:
    doc = loaded_markdown_lines(
        ["一、经费保障", "1.5亿元用于改扩建。", "2021年投入增加。", "1.加强经费管理", "严格审批。"],
        name="t.txt",
    )
    units = split_units(doc)
    assert [body(doc, u) for u in units] == ["1.5亿元用于改扩建。", "2021年投入增加。", "严格审批。"]
    assert units[0].headings == ("一、经费保障",)
    assert units[2].headings == ("一、经费保障", "1.加强经费管理")


def test_numbered_line_with_nothing_under_it_is_an_item_not_a_heading() -> None:
    doc = loaded_markdown_lines(
        [
            "五、加强督促检查",
            "1.改进作风。要坚持以人为本。",
            "2.人民团体参照本细则执行。",
            "3.本细则由办公厅负责解释。",
        ],
        name="t.txt",
    )
    units = split_units(doc)
    assert [(u.label, u.headings) for u in units] == [
        ("", ("五、加强督促检查", "1.改进作风")),
        ("2.", ("五、加强督促检查",)),
        ("3.", ("五、加强督促检查",)),
    ]


def test_one_sentence_measure_takes_the_paragraph_explaining_it() -> None:
    doc = loaded_markdown_lines(
        ["一是稳住经济基本盘。", "面对冲击，我们出台政策。", "二是稳就业保民生。", "就业是最大的民生。"]
    )
    units = split_units(doc)
    assert [u.label for u in units] == ["一是", "二是"]
    assert body(doc, units[0]) == "一是稳住经济基本盘。\n面对冲击，我们出台政策。"


def test_line_broken_mid_sentence_continues_its_paragraph() -> None:
    doc = loaded_markdown_lines(
        ["三是推动成果转化。加强研究院、", "", "沧州研究院建设，成立“创新中心”", "", "。", "四是另一项。"]
    )
    units = split_units(doc)
    assert [u.label for u in units] == ["三是", "四是"]
    assert body(doc, units[0]).endswith("加强研究院、\n\n沧州研究院建设，成立“创新中心”\n\n。")


def test_punctuation_only_line_after_a_finished_sentence_is_dropped() -> None:
    doc = loaded_markdown_lines(["汇报如下：", "•", "一、未及时结算", "审计指出的问题已整改。"])
    units = split_units(doc)
    assert [body(doc, u) for u in units] == ["汇报如下：", "审计指出的问题已整改。"]


# --- regulations ------------------------------------------------------------------------------------


REGULATION_LINES = [
    "# 某某条例",
    "2020年1月1日通过",
    "## 第一章 总 则",
    "第一条 为了规范管理，制定本条例。",
    "第二条　本条例适用于各级机关。",
    "依照本条例第十条的规定处理。",
    "第三条下列情形应当整改：",
    "（一）违反规定的；",
    "（二）拒不整改的。",
    "第十条规定的期限，可以延长。",
    "第二章　监督",
    "第四条",
    "被巡视党组织应当于2个月内报送整改情况，依照本条例第二十条处理。",
]


def test_articles_run_until_the_next_article_or_heading() -> None:
    doc = loaded_markdown_lines(REGULATION_LINES)
    structure = analyze(doc)
    assert structure.kind == REGULATION
    units = list(structure.units)
    assert [(u.label, u.kind) for u in units] == [
        ("", PARAGRAPH),
        ("第一条", ARTICLE),
        ("第二条", ARTICLE),
        ("第三条", ARTICLE),
        ("第四条", ARTICLE),
    ]
    assert body(doc, units[0]) == "2020年1月1日通过"
    assert units[1].headings == ("第一章 总 则",)
    assert body(doc, units[2]).endswith("依照本条例第十条的规定处理。")
    third = body(doc, units[3])
    assert "（二）拒不整改的。" in third  # 款/项 items stay in their article
    assert third.endswith("第十条规定的期限，可以延长。")  # a line-start cross-reference is no article
    assert units[4].headings == ("第二章　监督",)
    assert "2个月内" in body(doc, units[4])


def test_short_unpunctuated_line_above_articles_is_a_group_heading() -> None:
    doc = loaded_markdown_lines(
        [
            "前言。",
            "党员廉洁自律规范",
            "第一条 坚持公私分明。",
            "第二条 坚持崇廉拒腐。",
            "第三条 坚持尚俭戒奢。",
        ]
    )
    units = split_units(doc)
    assert units[1].headings == ("党员廉洁自律规范",)
    assert all("党员廉洁自律规范" not in body(doc, u) for u in units)


def test_full_width_indented_articles_and_parts() -> None:
    doc = loaded_markdown_lines(
        [
            "　　第一编 总则",
            "　　第一章 总体要求",
            "　　第一条 为了维护纪律。",
            "　　第二条 适用范围。",
            "　　第三条 原则。",
        ]
    )
    units = split_units(doc)
    assert [u.label for u in units] == ["第一条", "第二条", "第三条"]
    assert units[0].headings == ("第一编 总则", "第一章 总体要求")


# --- classification and helpers ---------------------------------------------------------------------


def test_classify_document() -> None:
    assert classify_document(loaded_markdown_lines(REGULATION_LINES)) == REGULATION
    assert classify_document(loaded_markdown_lines(["一、情况", "正文。"])) == REPORT
    assert classify_document(loaded_markdown_lines(["总体情况。一是做了甲。二是做了乙。"])) == REPORT
    assert classify_document(loaded_markdown_lines(["问：怎么办？", "答：依照本法第十条办理。"])) == OTHER
    two_articles = loaded_markdown_lines(["第一条 甲。", "第二条 乙。", "正文。"])
    assert classify_document(two_articles) == OTHER


def test_extract_titles() -> None:
    text = "根据《中国共产党章程》和《关于〈条例〉的说明》，参照《中国共产党章程》《纲要\n草案》。"
    assert extract_titles(text) == ("《中国共产党章程》", "《关于〈条例〉的说明》", "《纲要草案》")
    assert extract_titles("没有书名") == ()


@pytest.mark.parametrize(
    ("numeral", "value"), [("一", 1), ("十", 10), ("二十七", 27), ("一百零三", 103), ("12", 12)]
)
def test_chinese_number(numeral: str, value: int) -> None:
    assert chinese_number(numeral) == value


def test_enumeration_ordinals_read_every_marker_style_and_skip_numbers_that_are_not_markers() -> None:
    text = "一是健全制度；二是（三）强化监督，第四，3.加强培训。统一是原则，2023年投入1.5万元，共12项。"
    assert enumeration_ordinals(text) == ["一", "二", "三", "四", "3"]


# --- the real documents -----------------------------------------------------------------------------


def test_bureau_report_measures_and_sections(load: Callable[[str], LoadedDocument]) -> None:
    doc = load(BUREAU)
    structure = analyze(doc)
    assert structure.kind == REPORT
    units = list(structure.units)
    first = unit_with(doc, units, "一是坚持机关干部职工理论学习")
    assert body(doc, first).startswith("一是坚持机关干部职工理论学习")
    assert first.label == "一是"
    assert first.headings == (
        "二、坚持问题导向，确保反馈问题整改到位",
        "（一）针对聚焦贯彻落实党的路线方针政策和中央及省州委决策部署方面问题",
    )
    audit = unit_with(doc, units, "关于对州属学校往来款项开展内部审计的通知")
    assert audit.label == "五是"
    assert audit.headings[1].startswith("（二）针对聚焦群众身边腐败问题")
    for unit in units:
        if unit.kind == MEASURE:
            assert body(doc, unit).startswith(unit.label)


def test_an_interviewers_question_opens_the_section_of_its_answer() -> None:
    doc = loaded_markdown_lines(
        [
            "一、关于制定背景",
            "问：《意见》对组织部门提出了哪些要求？",
            "答：《意见》从2个方面提出要求。一是抓好自身任务落实。二是加强日常监督。",
            "问：在实施保障方面有何要求。",
            "答：主要是加强组织领导。",
            "二、关于贯彻落实",
            "各级党委要抓好落实。",
        ],
        name="t.txt",
    )
    structure = analyze(doc)
    units = list(structure.units)
    # the question is no unit: its words stand over the answer, as a heading's do
    assert [body(doc, u) for u in units] == [
        "答：《意见》从2个方面提出要求。", "一是抓好自身任务落实。", "二是加强日常监督。", "答：主要是加强组织领导。",
        "各级党委要抓好落实。",
    ]
    asked = ("一、关于制定背景", "《意见》对组织部门提出了哪些要求？")
    assert [u.headings for u in units[:3]] == [asked, asked, asked]
    assert units[2].label == "二是"
    # the next question ends the section of the last; the next numbered heading ends both
    assert units[3].headings == ("一、关于制定背景", "在实施保障方面有何要求")
    assert units[4].headings == ("二、关于贯彻落实",)


def test_a_paragraph_that_only_opens_with_wen_is_no_question() -> None:
    doc = loaded_markdown_lines(["问责工作要依规依纪进行，严肃追究责任。", "记者：", "正文。"], name="t.txt")
    units = analyze(doc).units
    assert [body(doc, u) for u in units] == ["问责工作要依规依纪进行，严肃追究责任。", "记者：", "正文。"]
    assert [u.headings for u in units] == [(), (), ()]


def test_interview_answers_stand_under_their_questions(load: Callable[[str], LoadedDocument]) -> None:
    doc = load(INTERVIEW)
    units = split_units(doc)
    # 三是 of the answer on the 组织部门 never names them: only its question does
    duty = unit_with(doc, units, "三是结合职责加强巡视整改日常监督")
    assert duty.headings[-1] == "《意见》对强化组织部门巡视整改监督责任提出了哪些要求"
    assert "组织部门" not in body(doc, duty)
    assert not any(body(doc, u).startswith("问：") for u in units)


def test_nankai_measure_section_path(load: Callable[[str], LoadedDocument]) -> None:
    doc = load(NANKAI)
    unit = unit_with(doc, split_units(doc), "一是系统全面深研细悟")
    assert unit.label == "一是"
    assert unit.headings[0].startswith("二、强化政治担当")
    assert unit.headings[1].startswith("（一）加强党的领导")
    assert unit.headings[2] == "1.在学懂弄通做实上下功夫"
    assert len(unit.headings) == 3


def test_xunshi_regulation_articles(load: Callable[[str], LoadedDocument]) -> None:
    doc = load(XUNSHI)
    structure = analyze(doc)
    assert structure.kind == REGULATION
    units = list(structure.units)
    assert all(u.kind == ARTICLE for u in units)
    assert [u.label for u in units][:3] == ["第一条", "第二条", "第三条"]
    assert len(units) == 42  # 第一条 … 第四十二条, no cross-reference counted
    report = unit_with(doc, units, "2个月内")
    assert report.label == "第二十七条"
    assert any(h.startswith("第五章") and "工作程序" in h for h in report.headings)
    crossref = unit_with(doc, units, "本条例第三十五条所列行为")
    assert crossref.label == "第三十八条"


def test_a_rule_is_a_regulation_by_its_title_even_without_articles() -> None:
    from dataclasses import replace

    numbered = loaded_markdown_lines(["一、改进调查研究", "1.到基层调研要深入群众。", "2.轻车简从。"])
    assert classify_document(replace(numbered, title="中央八项规定实施细则")) == REGULATION
    assert classify_document(replace(numbered, title="关于落实中央八项规定情况的报告")) == REPORT
    assert analyze(replace(numbered, title="中央八项规定实施细则")).units  # still cut by its headings


def test_units_given_by_the_format_are_taken_as_they_are() -> None:
    text = "整改台账\n填报单位：办公室\n序号：1；整改措施：一是修订制度。二是清理挂账。\n序号：2；整改措施：第一条规定的事项"
    second, third = text.index("序号：1"), text.index("序号：2")
    doc = replace(
        loaded_text(text),
        headings=(HeadingHint(0, 4, 1),),
        units=(
            UnitHint(5, second - 1, "", ("整改台账",)),
            UnitHint(second, third - 1, "序号1", ("整改台账",)),
            UnitHint(third, len(text), "序号2", ("整改台账",)),
        ),
    )
    structure = analyze(doc)
    # Measure markers inside a row do not split it; the row is one unit under its sheet.
    assert [(u.label, u.kind, u.headings, text[u.start : u.end][:6]) for u in structure.units] == [
        ("", PARAGRAPH, ("整改台账",), "填报单位：办"),
        ("序号1", ROW, ("整改台账",), "序号：1；整"),
        ("序号2", ROW, ("整改台账",), "序号：2；整"),
    ]
    assert [(h.text, h.level) for h in structure.headings] == [("整改台账", 1)]
