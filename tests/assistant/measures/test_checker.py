"""The measure checker on the real index: near-miss variants, exact locations, the LLM judge's limits,\nand the dev set."""

from __future__ import annotations

import json
import re

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.measures import MeasureChecker, MeasureResult, check_measures
from assistant.measures.checker import workspace_checker
from assistant.measures.results import Conflict
from assistant.retrieval import SearchFilter
from assistant.signals.model import LogisticModel
from assistant.views import measure_summary, verdict_in_words
from assistant.workspace import Workspace
from index.embedding import SentenceEmbeddings
from tests.conftest import EVAL_DIR, make_workspace

BUREAU = "教育局党组关于巡察组巡察反馈问题整改情况的通报.txt"
NANKAI = "中共南开大学委员会关于十九届中央第七轮巡视整改进展情况的通报.md"


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)



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
    ("对州属学校食堂开展食品安全专项检查", False, "", "nearby topic never mentioned: 食堂食品安全"),
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
    ("给不具备建党组织条件的幼儿园派党建工作指导员", True, "党建工作指导员开展幼儿园党的工作",
     "paraphrase, a word the report says twice"),
    ("校长带头讲思政课72学时", False, "", "post: 校领导"),
    ("对全部177项整改任务已经完成销号", False, "", "scope: 177项中已完成174项"),
    ("177项整改任务中已完成174项", True, "学校巡视整改台账177项整改任务，已完成174项", "copy with numbers"),
    ("完成外墙维修加固400余处", False, "", "number: 40余处"),
    # written later from the three reports for the trained verdict (none is an eval item)
    ("给民办幼儿园老师宣传党的政治主张", True, "向民办幼儿园教师宣传党的政治主张", "synonym 老师/教师"),
    ("我集团将督促业主公司通过打官司追缴多付的工程款", True, "督促业主公司采取司法途径追缴多付工程款", "colloquial"),
    ("为乡村振兴在基本科研业务费里设了100万的产学研专项", True, "设立100万产学研项目乡村振兴专项", "reordered"),
    ("局党组对巡察反馈问题的整改情况听了两次汇报", True, "次听取巡察反馈问题整改情况汇报", "redacted count"),
    ("将共和县高级中学普通班招生计划调整到州第三民族高级中学", False, "", "move reversed"),
    ("意识形态专项报告移交纪检监察部门", False, "", "moved to another body"),
    ("推动人才工作重心上移", False, "", "opposite direction word: 下移"),
    ("州审计局组织人员深入各学校开展往来款项内部审计", False, "", "body named, but not as who acts"),
    ("学校党委为纪委增配3名优秀正处级纪检干部", False, "", "grade: 正科级"),
    ("1个项目的施工单位已安排专人对接请款和结算事宜", False, "", "negation: 无专人"),
    ("剩余9个垫资项目已全部完成整改", False, "", "done against not done"),
    ("全员参加天津市纪委每周五业务测试", False, "", "weekday: 周六"),
    ("选派15名管理骨干参加中组部、教育部等上级机关调训", False, "", "number: 12名"),
    ("教育局成立课程思政教学研究中心", False, "", "Nankai measure attributed to the bureau"),
    ("南开大学制定全州校园防欺凌工作方案", False, "", "bureau measure attributed to Nankai"),
    ("全州所有幼儿园都已建立工会组织", False, "", "scope: 帮助和指导幼儿园建立工会"),
    ("给46所学校建设公能素质教室，10支队伍开展寒假支教", False, "", "detail: 暑期"),
    # written from the reports for the negation, count-list and group-of-people checks (none is an eval item)
    ("业主公司尚未向施工单位发函要求退回款项", False, "", "negation over a prepositional phrase: 已2次发函"),
    ("2021年以来34人低职高聘、14人高职低聘", True, "34人低职高聘，14人高职低聘", "counts listed with 、"),
    ("2021年以来14人低职高聘，34人高职低聘", False, "", "counts swapped"),
    ("巡视以来各学院组织辅导员开展600余场次政治理论学习", False, "", "group of people: 一线教师"),
    ("邀请时代楷模曲建武教授与班主任交流", False, "", "group of people: 辅导员"),
    ("通过公开招聘、校园引才、签约公费师范生等方式补充紧缺学科老师", True, "补充紧缺学科教师", "group as who it is for"),
    ("中层干部带头听讲思政课，确保任务要求完成到位", False, "", "group of people against a post: 校领导"),
    # written from the reports for "not yet" and "put off" (none is an eval item)
    ("部分学生宿舍和第二主教学楼的节电节水技术改造暂未实施", False, "", "a not-yet the report never says: 完成…改造"),
    ("暂缓设立100万产学研项目乡村振兴专项", False, "", "put off against done: 设立"),
    # written from the reports for items of one list, 将 and a manner word on the same action (none is an eval item)
    ("撤销基建规划处和后勤保障部", True, "撤销后勤保障部、基建规划处", "items of one list in the other order"),
    ("将膳食服务中心和后勤服务处合并", True, "合并后勤服务处、膳食服务中心", "将: what is merged before the verb"),
    ("专项治理中全面查摆梳理问题并扎实开展各阶段工作", True, "全面查摆梳理问题", "全面 on the same action"),
    # written from the reports for two clauses that trade what they say of whom (none is an eval item)
    ("对整改进度缓慢的及时督促提醒，对不符合要求的点名批评警示", True, "对整改进度缓慢的及时督促提醒",
     "two clauses as the report pairs them"),
    ("对不符合要求的及时督促提醒，对整改进度缓慢的点名批评警示", False, "", "two clauses trading their objects"),
]


@pytest.fixture(scope="module")
def variant_results(corpus_workspace: Workspace) -> dict[str, MeasureResult]:
    results = check_measures(corpus_workspace, [v[0] for v in VARIANTS])
    return {r.measure: r for r in results}


@pytest.fixture(scope="module")
def verdict_model(corpus_workspace: Workspace) -> LogisticModel:
    return workspace_checker(corpus_workspace).verdict_model


# Known misses of the current verdict model, kept as failing expectations (strict: a fix makes them pass).
KNOWN_MISSES = {
    "words scattered over two sentences": "one long span holds 0.8 of the words (compact 0.51) at cosine 0.95: "
                                          "nothing in it conflicts with the measure, so only the similarity "
                                          "signals speak, and they speak for it (above the verdict threshold)",
}
# A variant whose probability lies this close to the verdict threshold is decided by the third decimal of the
# last refit (食堂食品安全 went 0.64 -> 0.66 -> 0.659 over three refits that never touched it, and was passed off
# as a match until batch 15's measures moved the threshold 0.65 -> 0.70): its single
# verdict says nothing about the checker, so the spec does not assert it. The leave-one-out figures of
# ``python -m assistant.measures.training`` measure such items in bulk; test_variants_are_mostly_right_overall
# still counts them.
BORDERLINE = 0.03


def variant_params() -> list[object]:
    return [pytest.param(*v, id=v[3], marks=[pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[v[3]])]
                         if v[3] in KNOWN_MISSES else []) for v in VARIANTS]


@pytest.mark.parametrize(("measure", "exists", "quote", "what"), variant_params())
def test_variants(
    variant_results: dict[str, MeasureResult], verdict_model: LogisticModel, measure: str, exists: bool, quote: str,
    what: str,
) -> None:
    result = variant_results[measure]
    if abs(result.confidence - verdict_model.threshold) < BORDERLINE:
        pytest.skip(f"{what}: probability {result.confidence:.3f} within {BORDERLINE} of {verdict_model.threshold}")
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
    assert set(row) == {"id", "measure", "verdict", "score", "confidence", "explanation", "matches", "references"}
    assert 0.0 <= row["confidence"] <= 1.0
    assert row["verdict"] == "partial" and "州审计局" in row["explanation"] and "财政局" in row["explanation"]
    source = (corpus_workspace.settings.docs_dir / "reports" / BUREAU).read_text(encoding="utf-8")
    for match in result.matches:
        assert match.quote in match.chunk.text
        assert set(row["matches"][0]) == {"doc", "title", "section", "label", "page", "start", "end", "quote", "score"}
    top = row["matches"][0]
    assert top["doc"] == BUREAU and squash(top["quote"]) in squash(source)
    assert "部分相似" in measure_summary(result)


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


def test_the_llm_judge_runs_only_when_asked_for(corpus_workspace: Workspace, embeddings: SentenceEmbeddings) -> None:
    """An LLM configured for answers does not judge measures unless ZGT_MEASURE_LLM_JUDGE says so: with the
    local 1.5B model the judge made the check worse (README, "Measure check")."""
    base = corpus_workspace.settings
    with_llm = make_workspace(base.index_dir, embeddings, docs_dir=base.docs_dir, llm_provider="openai")
    assert with_llm.chat_model is not None
    assert workspace_checker(with_llm).chat_model is None
    judged = make_workspace(base.index_dir, embeddings, docs_dir=base.docs_dir, llm_provider="openai",
                            measure_llm_judge=True)
    assert workspace_checker(judged).chat_model is not None


# ---------------------------------------------------------------------------------------------------
# The dev set
# ---------------------------------------------------------------------------------------------------


def test_dev_measures(corpus_workspace: Workspace) -> None:
    items = [json.loads(line) for line in (EVAL_DIR / "dev_measures.jsonl").read_text(encoding="utf-8").splitlines() if line]
    results = check_measures(corpus_workspace, [i["measure"] for i in items])
    right = 0
    for item, result in zip(items, results, strict=True):
        right += result.exists == item["exists"]
        if result.exists and item["exists"]:
            # the match shown first is the one the verdict rests on: it must hold the gold quote
            quotes = [squash(g["quote"]) for g in item["gold"]]
            assert any(q in squash(result.matches[0].quote) for q in quotes), (item["id"], result.matches[0].quote)
    assert right >= len(items) - 1  # one error in 16 at most (the dev set was trained on)


def test_a_topic_no_document_names_is_a_signal_of_its_own(corpus_workspace: Workspace) -> None:
    """食品安全 and 学校食堂 appear in no indexed document: the verdict model reads that share, so the rest of the
    measure (州属学校, 专项检查) cannot carry it to `exists` on its own."""
    (nearby,) = check_measures(corpus_workspace, ["对州属学校食堂开展食品安全专项检查"])
    (real,) = check_measures(corpus_workspace, ["帮助和指导幼儿园建立工会"])
    assert nearby.matches and nearby.matches[0].signals.unknown >= 0.4
    assert real.matches and real.matches[0].signals.unknown == 0.0


def test_a_thesaurus_synonym_is_the_reports_wording(corpus_workspace: Workspace) -> None:
    """The bureau's report 经常性运用监督执纪“四种形态”: 采用 and 运用 share a group of 同义词词林, so a measure that says
    采用 is the report's measure, and 采用 is not listed as wording the report does not use."""
    (result,) = check_measures(corpus_workspace, ["经常性采用监督执纪“四种形态”，强化日常监督"])
    assert result.exists, result.explanation
    assert "采用" not in result.explanation


def test_a_negation_the_report_does_not_write_is_unsupported_not_contradicted(corpus_workspace: Workspace) -> None:
    """暂未实施 where the report 完成…改造 with another verb: the 暂未 has no support, so the span is no match; but it is
    not the report saying the opposite, so it still counts as a place the measure stands near."""
    (result,) = check_measures(corpus_workspace, ["部分学生宿舍和第二主教学楼的节电节水技术改造暂未实施"])
    negation = next(c for m in result.matches[:1] for c in m.signals.conflicts if c.kind == "negation")
    assert negation.unsupported and not negation.contradicts
    assert "否定无依据" in result.explanation
    assert result.explanation.count("暂未") == 1  # named by the conflict, not listed again as a missing word


def test_a_body_neither_the_passage_nor_its_headings_name_is_unsupported(corpus_workspace: Workspace) -> None:
    """南开's report: 五是持续深化落实纪检监察体制改革要求。…聚焦专责监督职责定位，深化再监督工作举措。 The paragraph names
    no body; the report's part on the 纪委 does. A measure giving the work to the 纪委 is the report's; one giving it
    to the 宣传部 names a body the passage never writes. That is unsupported rather than contradicted, and weighs
    against the match."""
    ours, theirs = check_measures(
        corpus_workspace, ["学校纪委聚焦专责监督职责定位，深化再监督工作举措", "学校宣传部聚焦专责监督职责定位，深化再监督工作举措"]
    )
    assert ours.exists, ours.explanation
    assert not theirs.exists
    (body,) = [c for c in theirs.matches[0].signals.conflicts if c.kind == "actor"]
    assert body.unsupported and not body.contradicts
    assert body.message == "部门无依据：措施为“学校宣传部”，原文此处未写明该单位"
    # the body the whole document never names (attribution) reads alike, for the document
    assert Conflict("actor", "学校宣传部", "原文未提及").message == "部门无依据：措施为“学校宣传部”，原文未提及该部门"


def test_a_measure_said_done_is_not_the_one_being_prepared(corpus_workspace: Workspace) -> None:
    """南开's report says the 院长培训班 is 正在筹备 and the 人才工作会议 积极筹备召开: a measure saying they were
    held (已举办, 已召开) contradicts it; the 党委书记培训班, which was held, still matches."""
    held, prepared, done = check_measures(
        corpus_workspace, ["已召开学校人才工作会议，明确人才队伍总体规划", "已举办院长培训班", "已举办党委书记培训班"]
    )
    for result in (held, prepared):
        assert not result.exists
        assert any(c.kind == "status" for m in result.matches[:1] for c in m.signals.conflicts), result.explanation
    assert done.exists


def test_a_document_said_issued_is_not_the_one_being_drafted(corpus_workspace: Workspace) -> None:
    """南开's report says it 研究制定《交叉学科管理办法》: a measure saying the 办法 was issued (已印发) claims more than
    the report; one saying it was drawn up (制定) claims no more, and still matches."""
    issued, drawn_up = check_measures(corpus_workspace, ["已印发《交叉学科管理办法》", "制定《交叉学科管理办法》"])
    assert not issued.exists
    assert any(c.kind == "status" for m in issued.matches[:1] for c in m.signals.conflicts), issued.explanation
    assert not any(c.kind == "status" for m in drawn_up.matches[:1] for c in m.signals.conflicts)


@pytest.mark.xfail(strict=True, reason="the report's 下一步 section plans 召开学校人才工作会议 without 筹备 or 将: "
                                       "the section, not the sentence, says it is not done yet")
def test_a_plan_in_the_next_steps_section_is_not_done(corpus_workspace: Workspace) -> None:
    (held,) = check_measures(corpus_workspace, ["已召开学校人才工作会议"])
    assert not held.exists


def test_a_sentence_stating_another_number_is_no_evidence_whatever_the_model_says(corpus_workspace: Workspace) -> None:
    """南开's report: 相关工作典型经验12次被…简报摘编. A measure copying it with 21次 is another fact, however close the
    words: even a verdict model that read nothing but word coverage could not make it `exists`. A count the
    sentence does not state at all (no number there) is only unsupported, and does not block the match."""
    words_only = LogisticModel("measure_verdict", ("coverage",), (0.5,), (0.1,), (10.0,), 0.0, threshold=0.5)
    checker = workspace_checker(corpus_workspace, model=words_only)
    copied = checker.check("相关工作典型经验12次被党中央、教育部、天津市党史学习教育简报摘编")
    other = checker.check("相关工作典型经验21次被党中央、教育部、天津市党史学习教育简报摘编")
    assert copied.exists
    assert not other.exists
    closest = other.matches[0].signals
    assert closest.probability >= words_only.threshold  # the model alone would have said exists
    assert [c.message for c in closest.conflicts if c.contradicts] == ["数量不一致：措施为“21次”，原文为“12次”"]
    assert not Conflict("number", "3个", "未写明该数量").contradicts
    assert not Conflict("frequency", "每月", "未写明频次").contradicts
    assert Conflict("frequency", "每月", "每季度").contradicts


def test_one_element_contradicted_by_two_detectors_counts_once(corpus_workspace: Workspace) -> None:
    """南开's report: 学校成立党委书记任组长、校长任副组长、其他校领导为成员的巡视整改工作领导小组. A measure making
    校长 the 组长 is contradicted on 校长 twice (the report puts 党委书记 and 校领导 where the measure puts 校长); the
    verdict model's ``conflicts`` counts elements of the measure, so 校长 counts once."""
    checker = workspace_checker(corpus_workspace)
    measure = "校长担任校内巡视工作领导小组组长"
    spans = [span for span, _ in checker.judge_spans(measure, score=False) if "校长任副组长" in span.text]
    assert spans
    for span in spans:
        conflicts = checker.conflicts(measure, span)
        values = [c.measure_value for c in conflicts]
        assert "校长" in values
        assert len(values) == len(set(values))  # each element of the measure once


# ---------------------------------------------------------------------------------------------------
# The reference material: said where it holds a measure, never counted as the measure taken
# ---------------------------------------------------------------------------------------------------

# The 2023 work report: 保障教师特别是乡村教师工资待遇. No rectification report says it.
WORK_REPORT_ONLY = "切实保障乡村教师的工资待遇"


def test_a_measure_only_a_work_report_states_is_not_taken_but_the_report_is_named(
    corpus_workspace: Workspace,
) -> None:
    result = check_measures(corpus_workspace, [WORK_REPORT_ONLY])[0]
    assert result.verdict != "exists"  # a work report is background, not a measure taken
    assert all(m.chunk.kind == "report" for m in result.matches)
    assert result.references, "the work report that states it is named"
    first = result.references[0]
    assert first.chunk.kind == "reference" and first.chunk.doc == "2023年国务院政府工作报告.txt"
    assert "乡村教师工资待遇" in first.quote and first.quote in first.chunk.text
    assert first.signals.probability >= workspace_checker(corpus_workspace).verdict_model.threshold
    words = verdict_in_words(result)
    assert words.startswith("报告中") and "参考资料《2023年国务院政府工作报告》" in words and "中有相近表述" in words
    assert "参考资料（不是整改措施）：《2023年国务院政府工作报告》" in measure_summary(result)
    assert result.to_json()["references"][0]["doc"] == "2023年国务院政府工作报告.txt"


def test_reference_material_is_read_only_when_the_reports_do_not_hold_the_measure(
    variant_results: dict[str, MeasureResult],
) -> None:
    found = [r for r in variant_results.values() if r.exists]
    assert found and not any(r.references for r in found)


def test_a_measure_nothing_states_names_no_reference(variant_results: dict[str, MeasureResult]) -> None:
    result = variant_results["建立借调人员年度轮换制度"]
    assert result.verdict != "exists" and result.references == []
    assert "参考资料" not in verdict_in_words(result)


def test_a_checker_without_reference_search_reads_only_the_reports(corpus_workspace: Workspace) -> None:
    ws = corpus_workspace
    reports = SearchFilter(kinds=("report",))
    checker = MeasureChecker(
        search=lambda q, n: ws.searcher.search(q, n, reports), embed=ws.embeddings.embed_array, idf=ws.searcher.idf,
        chance_cosine=ws.chance_cosine,
    )
    assert checker.check(WORK_REPORT_ONLY).references == []
