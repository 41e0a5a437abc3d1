"""Measure check: element extractors on small strings, near-miss variants and the dev set on the real
index, list readers on generated files, export round trip."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.measures import (
    EXPORT_HEADER,
    MeasureChecker,
    MeasureResult,
    check_measures,
    chinese_number,
    combine_verdicts,
    element_conflicts,
    export_results,
    extract_elements,
    extract_frequencies,
    extract_numbers,
    extract_orgs,
    extract_roles,
    orgs_match,
    parse_judge_reply,
    read_measures_file,
    sentence_spans,
    strip_numbering,
)
from assistant.retrieval import SearchFilter
from assistant.workspace import Workspace
from tests.conftest import EVAL_DIR

BUREAU = "教育局党组关于巡察组巡察反馈问题整改情况的通报.txt"
NANKAI = "中共南开大学委员会关于十九届中央第七轮巡视整改进展情况的通报.md"


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


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


# ---------------------------------------------------------------------------------------------------
# Near-miss variants written from the bureau and Nankai reports (not the dev items), on the real index
# ---------------------------------------------------------------------------------------------------

# (measure, exists, a quote an "exists" match must cover, what the variant tests)
VARIANTS: list[tuple[str, bool, str, str]] = [
    ("每季度开展一次落实习近平总书记视察南开大学重要讲话精神专项督查", True,
     "每季度开展1次落实习近平总书记视察南开大学重要讲话精神专项督查", "paraphrase, 一次 = 1次"),
    ("每月开展一次落实习近平总书记视察南开大学重要讲话精神专项督查", False, "", "frequency: 每季度"),
    ("修订完善局机关财务管理制度", True, "修订完善《*州教育局机关财务管理制度》", "near copy"),
    ("会同州人社局提高州属学校后勤工作人员工资", False, "", "department: 州财政局"),
    ("协调财政部门提高州属学校后勤人员工资并纳入财政预算保障", True, "名后勤工作人员工资每人每月提高", "paraphrase"),
    ("州属学校后勤工作人员工资每人每月提高200元", True, "名后勤工作人员工资每人每月提高", "redacted * matches 200"),
    ("监察室主任以会议监督员身份出席党委常委会会议", False, "", "post bound to another meeting"),
    ("监察室主任作为会议监督员列席校长办公会议", True, "监察室主任作为会议监督员出席校长办公会议", "paraphrase"),
    ("撤销学校机构编制工作委员会", False, "", "flipped: 成立"),
    ("成立学校机构编制工作委员会", True, "成立学校机构编制工作委员会", "copy"),
    ("对27名新提任的中层干部开展集体廉政谈话", False, "", "number: 17名"),
    ("新提任的17名中层干部都接受了集体廉政谈话", True, "对17名新提任的中层干部开展集体廉政谈话", "paraphrase"),
    ("全校所有学生宿舍和教学楼都完成了节电节水技术改造", False, "", "scope: 部分学生宿舍"),
    ("完成部分学生宿舍和第二主教学楼的节电节水改造", True, "完成部分学生宿舍和第二主教学楼节电节水技术改造", "paraphrase"),
    ("对州属学校食堂开展食品安全专项检查", False, "", "nearby topic never mentioned"),
    ("暂停开展州属学校往来款项内部审计", False, "", "flipped: 开展"),
    ("撤销后勤服务处，成立基建保障处", False, "", "action on a body: it was merged"),
    ("撤销后勤保障部和基建规划处，新成立基建保障处", True, "撤销后勤保障部、基建规划处，成立基建保障处", "paraphrase"),
    ("选派到局里锻炼的教师已经正式调入", True, "名教师已正式调入我局工作", "paraphrase"),
    ("巡视以来清理文件74个", False, "", "number: 47个"),
    ("建立借调人员年度轮换制度", False, "", "nearby topic never mentioned"),
    ("机关干部职工每周五集中学习一次", False, "", "weekday: 周四"),
    ("全州所有学校往来款项内部审计已全部完成", False, "", "scope: 州属学校"),
    ("为研究生导师举办师德师风专题培训班", False, "", "words scattered over two sentences"),
    ("纪委书记不再出席党委常委会会议", False, "", "negation"),
    ("学校党委为纪委配了一名副处级纪检员", True, "学校党委为纪委配备副处级纪检员1名", "paraphrase, number after the noun"),
    ("由校长担任巡视工作领导小组组长", False, "", "post: 党委书记"),
    ("由党委书记担任巡视工作领导小组组长", True, "担任巡视工作领导小组组长", "paraphrase"),
    ("局党组每月听取一次巡察整改情况汇报", False, "", "frequency the report never states"),
    ("将江宁高级中学民族班由民考普调整为民考民", False, "", "reversed direction"),
    ("将江宁高级中学民族班由民考民调整为民考普", True, "将江宁高级中学民族班由“民考民”调整为“民考普”", "copy"),
    ("由州纪委抽调人员组成考核组对州属高中阶段学校进行年度考核", False, "", "department: 团州委"),
    ("给不具备建党组织条件的幼儿园派党建工作指导员", True, "党建工作指导员开展幼儿园党的工作", "paraphrase"),
    ("校长带头讲思政课72学时", False, "", "post: 校领导"),
    ("对全部177项整改任务已经完成销号", False, "", "scope: 177项中已完成174项"),
    ("177项整改任务中已完成174项", True, "学校巡视整改台账177项整改任务，已完成174项", "copy with numbers"),
    ("完成外墙维修加固400余处", False, "", "number: 40余处"),
]


@pytest.fixture(scope="module")
def variant_results(corpus_workspace: Workspace) -> dict[str, MeasureResult]:
    results = check_measures(corpus_workspace, [v[0] for v in VARIANTS])
    return {r.measure: r for r in results}


@pytest.mark.parametrize(("measure", "exists", "quote", "what"), VARIANTS, ids=[v[3] for v in VARIANTS])
def test_variants(variant_results: dict[str, MeasureResult], measure: str, exists: bool, quote: str, what: str) -> None:
    result = variant_results[measure]
    assert result.exists == exists, f"{what}: {result.verdict} — {result.explanation}"
    if exists:
        assert any(squash(quote) in squash(m.quote) for m in result.matches), result.matches[0].quote
    else:
        assert result.verdict in ("partial", "absent")
        assert result.explanation


def test_variants_are_mostly_right_overall(variant_results: dict[str, MeasureResult]) -> None:
    right = sum(variant_results[m].exists == e for m, e, _, _ in VARIANTS)
    assert right / len(VARIANTS) >= 0.9


def test_result_json_points_at_exact_characters(corpus_workspace: Workspace) -> None:
    (result,) = check_measures(corpus_workspace, ["会同州审计局制定教育系统内部审计工作规定"])
    row = result.to_json("x1")
    assert set(row) == {"id", "measure", "verdict", "score", "explanation", "matches"}
    assert row["verdict"] == "partial" and "州审计局" in row["explanation"] and "财政局" in row["explanation"]
    source = (corpus_workspace.settings.docs_dir / "reports" / BUREAU).read_text(encoding="utf-8")
    for match in result.matches:
        assert match.quote in match.chunk.text
        assert set(row["matches"][0]) == {"doc", "title", "section", "label", "start", "end", "quote", "score"}
    top = row["matches"][0]
    assert top["doc"] == BUREAU and squash(top["quote"]) in squash(source)
    assert "部分相似" in result.summary()


def test_one_word_or_no_chinese_is_not_a_measure(corpus_workspace: Workspace) -> None:
    word, latin = check_measures(corpus_workspace, ["审计", "abc"])
    assert word.verdict == "partial" and "过少" in word.explanation
    assert latin.verdict == "absent" and latin.matches == []


def test_llm_judge_can_downgrade_but_not_override_a_conflict(corpus_workspace: Workspace) -> None:
    where = SearchFilter(kinds=("report",))
    ws = corpus_workspace

    def checker(reply: str) -> MeasureChecker:
        return MeasureChecker(
            search=lambda q, n: ws.searcher.search(q, n, where),
            embed=ws.embeddings.embed_array,
            idf=ws.searcher.lexical.idf,
            chat_model=FakeListChatModel(responses=[reply]),
        )

    downgraded = checker('{"verdict": "absent", "reason": "原文未写"}').check("组织干部职工签订保密承诺书")
    assert downgraded.verdict == "partial" and "大模型复核" in downgraded.explanation
    kept = checker('{"verdict": "exists", "reason": "一致"}').check("给学校纪委增配2名副处级纪检员")
    assert kept.verdict == "partial"  # the number conflict stands


# ---------------------------------------------------------------------------------------------------
# The dev set
# ---------------------------------------------------------------------------------------------------


def test_dev_measures(corpus_workspace: Workspace) -> None:
    items = [json.loads(line) for line in (EVAL_DIR / "dev_measures.jsonl").read_text(encoding="utf-8").splitlines() if line]
    results = check_measures(corpus_workspace, [i["measure"] for i in items])
    right = 0
    for item, result in zip(items, results, strict=True):
        right += result.exists == item["exists"]
        if result.exists:
            quotes = [squash(g["quote"]) for g in item["gold"]]
            assert any(q in squash(m.quote) for m in result.matches for q in quotes), (item["id"], result.matches)
    assert right / len(items) >= 0.8


# ---------------------------------------------------------------------------------------------------
# Uploaded lists and exports
# ---------------------------------------------------------------------------------------------------

MEASURES = ["制定印发全州校园防欺凌工作方案", "组织干部职工签订保密承诺书", "每周一召开各科室工作汇报会议"]


def test_strip_numbering() -> None:
    assert strip_numbering("1. 制定方案") == "制定方案"
    assert strip_numbering("（一）制定方案") == "制定方案"
    assert strip_numbering("一是制定方案") == "制定方案"
    assert strip_numbering("3、制定方案") == "制定方案"
    assert strip_numbering("（2）制定方案") == "制定方案"
    assert strip_numbering("2021年制定方案") == "2021年制定方案"


def test_read_txt_with_numbering(tmp_path: Path) -> None:
    path = tmp_path / "清单.txt"
    path.write_text("整改清单\n\n1. 制定印发全州校园防欺凌工作方案\n（二）组织干部职工签订保密承诺书\n三是每周一召开各科室工作汇报会议\n",
                    encoding="utf-8")
    assert read_measures_file(path) == MEASURES


def test_read_gbk_txt(tmp_path: Path) -> None:
    path = tmp_path / "清单.txt"
    path.write_bytes("\n".join(MEASURES).encode("gbk"))
    assert read_measures_file(path) == MEASURES


def test_read_docx_table_picks_the_measure_column(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("巡察反馈问题整改清单")
    table = document.add_table(rows=1, cols=4)
    for cell, text in zip(table.rows[0].cells, ["序号", "存在问题", "整改措施", "责任科室"], strict=True):
        cell.text = text
    problems = ["校园欺凌防治工作制度不健全，排查不及时", "保密意识薄弱", "科室工作统筹不够"]
    for n, (problem, measure) in enumerate(zip(problems, MEASURES, strict=True), start=1):
        row = table.add_row().cells
        row[0].text, row[1].text, row[2].text, row[3].text = str(n), problem, f"{n}. {measure}", "办公室"
    path = tmp_path / "清单.docx"
    document.save(str(path))
    assert read_measures_file(path) == MEASURES


def test_read_docx_paragraphs(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("整改措施清单", level=1)
    for n, measure in enumerate(MEASURES, start=1):
        document.add_paragraph(f"{n}. {measure}")
    path = tmp_path / "清单.docx"
    document.save(str(path))
    assert read_measures_file(path) == MEASURES


def test_read_xlsx_without_header_takes_the_longest_column(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for n, measure in enumerate(MEASURES, start=1):
        sheet.append([n, measure, "办公室"])
    path = tmp_path / "清单.xlsx"
    workbook.save(str(path))
    assert read_measures_file(path) == MEASURES


def test_read_xlsx_with_content_header(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["序号", "问题描述（较长的说明文字会比措施更长一些）", "整改内容", "完成时限"])
    for n, measure in enumerate(MEASURES, start=1):
        sheet.append([n, "这是一段比措施长得多的问题描述文字，用来确认表头优先于长度规则。", measure, "2023年底"])
    path = tmp_path / "清单.xlsx"
    workbook.save(str(path))
    assert read_measures_file(path) == MEASURES


def test_read_csv(tmp_path: Path) -> None:
    path = tmp_path / "清单.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["序号", "措施", "责任单位"])
        for n, measure in enumerate(MEASURES, start=1):
            writer.writerow([n, measure, "办公室"])
    assert read_measures_file(path) == MEASURES


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "清单.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(ValueError, match="不支持"):
        read_measures_file(path)


@pytest.fixture(scope="module")
def some_results(corpus_workspace: Workspace) -> list[MeasureResult]:
    return check_measures(corpus_workspace, ["组织干部职工签订保密承诺书", "给学校纪委增配2名副处级纪检员", "建立借调人员年度轮换制度"])


def test_export_xlsx_round_trip(some_results: list[MeasureResult], tmp_path: Path) -> None:
    path = export_results(some_results, tmp_path / "结果.xlsx")
    sheet = openpyxl.load_workbook(str(path)).active
    assert sheet is not None
    rows: list[tuple[Any, ...]] = list(sheet.iter_rows(values_only=True))
    assert rows[0] == EXPORT_HEADER
    assert [r[1] for r in rows[1:]] == [r.measure for r in some_results]
    assert [r[2] for r in rows[1:]] == [r.label for r in some_results]
    first = rows[1]
    assert first[0] == 1 and first[4] == BUREAU and "签订保密承诺书" in str(first[6])
    assert rows[2][2] == "部分相似" and "数量" in str(rows[2][7])


def test_export_csv_has_a_bom_for_excel(some_results: list[MeasureResult], tmp_path: Path) -> None:
    path = export_results(some_results, tmp_path / "结果.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == EXPORT_HEADER and len(rows) == 1 + len(some_results)
    assert rows[1][2] == some_results[0].label
