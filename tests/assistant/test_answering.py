"""Extractive answers: every listed item carries its citation; measures come from reports first."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.workspace import Workspace
from index.kinds import DocumentKind

REPORT = """中共某大学委员会关于巡视整改进展情况的通报

一、加强组织领导
2.加强组织领导，压实整改责任
党委书记认真履行整改第一责任人责任，细化整改措施，修订财务管理制度，规范经费报销审批程序。
各二级单位党委担起本单位整改主体责任，开展财务管理专项检查，清理长期挂账的往来款项。

二、加强保密管理
3.落实保密责任
组织干部职工签订保密承诺书，开展保密自查自评。
"""

REGULATION = """某某财务管理办法

第一条　为了加强财务管理，规范财务行为，制定本办法。
第二条　各单位应当建立健全财务管理制度，加强预算管理和财务管理。
第三条　本办法自发布之日起施行。
"""


def index_docs(workspace: Workspace, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "reports").mkdir(parents=True)
    (docs / "regulations").mkdir()
    (docs / "reports" / "整改通报.txt").write_text(REPORT, encoding="utf-8")
    (docs / "regulations" / "财务管理办法.md").write_text(REGULATION, encoding="utf-8")
    assert workspace.index([docs]).counts()["failed"] == 0


def index_files(workspace: Workspace, tmp_path: Path, files: dict[str, str]) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in files.items():
        (docs / name).write_text(text, encoding="utf-8")
    assert workspace.index([docs]).counts()["failed"] == 0


def items(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("- ")]


def test_items_under_numbered_headings_keep_their_citations(workspace: Workspace, tmp_path: Path) -> None:
    # The heading "2.加强组织领导…" is shown with the item; its "2" is not a figure the quote must hold.
    index_docs(workspace, tmp_path)
    answer = workspace.answerer.answer("哪些整改措施涉及财务管理？")
    assert answer.found and answer.citations
    listed = items(answer.text)
    assert listed and all(re.search(r"\[\d+\]$", line) for line in listed), answer.text
    assert len(listed) == len(answer.citations)
    assert not answer.removed_citations


def test_a_question_about_measures_lists_the_reports_before_the_rules(workspace: Workspace, tmp_path: Path) -> None:
    index_docs(workspace, tmp_path)
    answer = workspace.answerer.answer("哪些整改措施涉及财务管理？")
    kinds = [c.chunk.kind for c in answer.citations]
    assert "report" in kinds
    assert kinds == sorted(kinds, key=lambda kind: kind != "report")  # no rule before a report measure
    assert "修订财务管理制度" in answer.text


def test_a_question_about_rules_is_not_reordered(workspace: Workspace, tmp_path: Path) -> None:
    index_docs(workspace, tmp_path)
    answer = workspace.answerer.answer("财务管理办法对整改措施中的财务管理制度有什么规定？")  # names 措施 and 规定
    assert answer.found
    assert answer.citations[0].chunk.kind == "regulation"


def test_a_title_line_standing_alone_is_never_an_item(workspace: Workspace, tmp_path: Path) -> None:
    # A plain-text title followed directly by a numbered heading would be a chunk of its own that matches the
    # question best (it is all topic words) and says nothing: the index keeps it only as the title.
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "机房巡检制度.txt").write_text(
        "机房巡检制度\n一、加强机房管理\n（一）巡检制度。一是每日巡检机房空调与不间断电源。二是每周核对机房门禁日志。\n",
        encoding="utf-8",
    )
    workspace.index([docs])
    assert all(s.passage.chunk.text.strip() != "机房巡检制度" for s in workspace.ranked.candidates("机房巡检有哪些要求？"))
    assert {s.passage.chunk.title for s in workspace.ranked.candidates("机房巡检有哪些要求？")} == {"机房巡检制度"}
    answer = workspace.answerer.answer("机房巡检有哪些要求？")
    assert answer.found and answer.citations
    assert all(c.quote.strip() != "机房巡检制度" for c in answer.citations), answer.text
    assert "每日巡检机房空调" in answer.text


LEDGER_REPORT = """中共某局党组关于巡察反馈问题整改情况的通报

一、针对财务管理方面问题
一是修订机关财务管理制度，规范报账审批程序，目前正在推进。
二是开展财务专项检查，已完成。
二、针对安全管理方面问题
一是开展校园安全隐患排查，目前正在推进。
"""

AUDIT_REPORT = """关于某专项审计报告的整改报告

一、部分项目由施工单位垫资建设
我集团涉及16个项目由施工单位垫资建设。剩余9个项目未完成整改，其中3个项目已完成结算，正在办理请款手续。
"""


def test_a_question_about_what_is_not_done_on_a_topic_is_answered_on_that_topic(
    workspace: Workspace, tmp_path: Path
) -> None:
    index_files(workspace, tmp_path, {"巡察整改通报.txt": LEDGER_REPORT, "审计整改报告.txt": AUDIT_REPORT})
    # the ledger's open rows answer a question on their topic, and only on it
    finance = workspace.answerer.answer("财务方面的整改还有哪些没完成？")
    assert [c.chunk.doc for c in finance.citations] == ["巡察整改通报.txt"]
    assert "财务管理制度" in finance.text and "安全隐患" not in finance.text
    # no row is on 垫资: the documents are searched, not the ledger's open rows listed
    advance = workspace.answerer.answer("施工单位垫资的项目还剩几个没整改完？")
    assert advance.found and "施工单位垫资" in advance.text
    assert [c.chunk.doc for c in advance.citations] == ["审计整改报告.txt"]
    # the ledger tells which rows are open, not what they cost: a sum nobody wrote is not found
    cost = workspace.answerer.answer("财务方面还没完成的整改一共涉及多少钱？")
    assert not cost.found, cost.text


def test_a_question_about_what_our_unit_has_not_done_lists_only_its_own_reports(
    workspace: Workspace, tmp_path: Path
) -> None:
    university = "中共某大学委员会关于巡视整改进展情况的通报\n\n一、针对学科建设方面问题\n一是修订学科建设规划，目前正在推进。\n"
    index_files(workspace, tmp_path, {"局整改通报.txt": LEDGER_REPORT, "大学整改通报.txt": university})
    every = workspace.answerer.answer("还有哪些整改没完成？")
    assert {c.chunk.doc for c in every.citations} == {"局整改通报.txt", "大学整改通报.txt"}, every.text
    # 局里 / 咱们学校 point at that kind of unit's own report
    bureau = workspace.answerer.answer("局里还有哪些整改没完成？")
    assert {c.chunk.doc for c in bureau.citations} == {"局整改通报.txt"}, bureau.text
    school = workspace.answerer.answer("咱们学校还有哪些整改没完成？")
    assert {c.chunk.doc for c in school.citations} == {"大学整改通报.txt"}, school.text


def test_a_list_on_a_split_compound_holds_only_what_is_about_the_whole_of_it(corpus_workspace: Workspace) -> None:
    # jieba cuts 警示教育 into 警示 + 教育; the list once took every measure that says 教育 (54 of them)
    answer = corpus_workspace.answerer.answer("警示教育这块做了哪些工作？")
    assert answer.found
    assert 1 < len(answer.citations) < 10
    assert all("警示" in c.quote for c in answer.citations)


def test_a_list_is_completed_only_with_measures_the_question_is_about(corpus_workspace: Workspace) -> None:
    # Every measure of the report that names 纪委 once (in passing, among other work) once joined the list; the
    # completion now takes only measures the ranking of the whole question holds relevant.
    answer = corpus_workspace.answerer.answer("学校纪委在监督整改落实方面做了哪些工作？")
    assert answer.found and any("纪委" in c.quote for c in answer.citations)
    assert not any("议事决策规则" in c.quote or "三个清单" in c.quote for c in answer.citations), answer.text


def test_a_part_too_short_to_stand_alone_adds_nothing_the_whole_message_is_not_about(
    corpus_workspace: Workspace,
) -> None:
    # Read alone, "在学校里做管理的算不算" found an article on school discipline of the compulsory education law.
    answer = corpus_workspace.answerer.answer("监察机关管哪些人？在学校里做管理的算不算？一共几类？")
    docs = {c.chunk.doc for c in answer.citations}
    assert "中华人民共和国监察法.md" in docs
    assert "中华人民共和国义务教育法.md" not in docs


def test_a_message_asking_two_questions_answers_each_from_its_own_document(corpus_workspace: Workspace) -> None:
    # the whole message ranks the report's passages first; the rule the first question names is asked on its own
    answer = corpus_workspace.answerer.answer("巡视工作条例规定巡视组向谁反馈？第十巡视组是怎么向南开反馈的？")
    docs = {c.chunk.doc for c in answer.citations}
    assert "中国共产党巡视工作条例.md" in docs
    assert any("南开" in doc for doc in docs)


def test_a_refusal_names_only_what_the_documents_truly_lack(workspace: Workspace, tmp_path: Path) -> None:
    index_docs(workspace, tmp_path)
    absent = workspace.answerer.answer("少先队工作采取了哪些措施？")
    assert not absent.found
    assert "资料中没有出现“少先队”" in absent.text
    # 是从 and 组成 are the question's grammar, not something a reader could look for in the documents
    asked = workspace.answerer.answer("考核组是从哪些单位抽人组成的？")
    assert not asked.found
    assert "是从" not in asked.text.removeprefix("资料中未找到能够回答“考核组是从哪些单位抽人组成的？”")


def test_a_value_the_documents_blank_out_is_said_to_be_withheld(corpus_workspace: Workspace) -> None:
    # the bureau's report writes the inspection dates as *年*月*日: not found, and the reader is told why and where
    answer = corpus_workspace.answerer.answer("巡察组是哪天进驻教育局的？")
    assert not answer.found
    assert "原文中有关的日期以“*”隐去：《教育局党组关于巡察组巡察反馈问题整改情况的通报》" in answer.text
    sentence = answer.text.split("》", 1)[1].split("“", 1)[1].split("”）", 1)[0]
    assert "*年*月*日" in sentence
    # the passage that withholds it comes first (a long sentence is quoted by its clauses about the blank)
    assert all(part in answer.related[0].chunk.text for part in sentence.split("…") if part)
    # a value the documents never mention is not withheld, only not found
    absent = corpus_workspace.answerer.answer("教育局食堂每天几点开饭？")
    assert not absent.found and "隐去" not in absent.text


def test_a_refusal_says_which_named_document_the_library_does_not_hold(corpus_workspace: Workspace) -> None:
    # the bureau's report mentions its internal-control rules but the library holds no copy of them
    answer = corpus_workspace.answerer.answer("咱们局的《内控制度》对报销审批是怎么按金额分级审批的？")
    assert not answer.found
    assert "（资料库未收录《内控制度》原文）" in answer.text
    # a document the library holds, named by its short name, is not said to be missing
    held = corpus_workspace.answerer.answer("八项规定实施细则对出访团组人数有什么要求？")
    assert "未收录" not in held.text


def test_a_follow_up_that_names_another_topic_is_answered_on_that_topic(corpus_workspace: Workspace) -> None:
    # 那选人用人方面呢？ after a question on 财务管理: the measures on 选人用人, not a refusal for lacking 财务管理
    answer = corpus_workspace.answerer.answer("那选人用人方面呢？", history=["哪些措施涉及财务管理？"])
    assert answer.found, answer.text
    assert "优化选人用人机制" in answer.text and "财务管理" not in answer.text


def test_a_count_of_a_list_set_out_section_by_section_counts_the_sections(corpus_workspace: Workspace) -> None:
    # 2023年报告: "下面简述几项重点。" and then （一）…（八）, each a heading over paragraphs of its own
    answer = corpus_workspace.answerer.answer("2023年政府工作报告对今年政府工作提出了几项重点？")
    assert answer.text.splitlines()[0] == "《2023年国务院政府工作报告》二、对今年政府工作的建议列出 8 项（见 [2]–[9]）："
    assert "下面简述几项重点" in answer.citations[0].quote  # what introduces the list leads it
    assert [c.quote for c in answer.citations[1:4]] == ["（一）着力扩大国内需求", "（二）加快建设现代化产业体系", "（三）切实落实“两个毫不动摇”"]
    assert items(answer.text)[8] == "- （八）保障基本民生和发展社会事业[9]"


LISTED_REPORT = """某校党委关于巡视整改情况的通报

一、落实立德树人根本任务
学校党委围绕立德树人，主要做了以下工作。
一是加强思想政治教育。组织开展主题教育活动12场，覆盖全体学生。
二是推进体育评价改革。制定《学生体育评价指标体系》《学院体育工作评价指标体系》两个评价体系，完善体育考核办法。
三是加强美育工作。开设美育课程20门，建设艺术实践基地。
"""


def test_a_count_asked_of_one_member_is_not_answered_by_its_list(workspace: Workspace, tmp_path: Path) -> None:
    # the 二是 says what was counted (两个); its siblings, listed with it, are about other things
    index_files(workspace, tmp_path, {"整改通报.txt": LISTED_REPORT})
    answer = workspace.answerer.answer("体育方面出台了几个评价指标体系？")
    assert answer.found and "列出 3" not in answer.text, answer.text
    assert answer.citations[0].quote.startswith("二是推进体育评价改革。")


INTERVIEW = """中央某办负责人就《关于加强巡视成果运用的意见》答记者问

问：《意见》对整改评估提出了哪些要求？
答：《意见》要求派出单位在集中整改期满后组织整改评估，重点评估整改责任落实、问题清单销号和长效机制建设情况，评估结果作为考核的重要依据。
"""


def test_a_question_about_rectification_is_answered_from_background_material_too(
    workspace: Workspace, tmp_path: Path
) -> None:
    # the question says 整改 (it asks about measures); what answers it is an interview, not a report
    index_files(workspace, tmp_path, {"整改通报.txt": REPORT, "答记者问.txt": INTERVIEW})
    answer = workspace.answerer.answer("按《意见》，整改评估怎么做？")
    assert answer.found, answer.text
    cited = [c for c in answer.citations if "集中整改期满后组织整改评估" in c.quote]
    assert cited and cited[0].chunk.kind == DocumentKind.REFERENCE, answer.text
    assert not any(c.quote.startswith("问：") for c in answer.citations)  # the interviewer's question says nothing
