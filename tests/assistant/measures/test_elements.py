"""Measure elements on small strings: bodies, posts, numbers, frequencies, scope, negation, direction and\nmoves, issuers, and the conflicts between a measure and a sentence; the LLM judge's reply parsing."""

from __future__ import annotations

import pytest

from assistant.measures.attribution import ReportDocument, attribution_conflicts, issuer_names
from assistant.measures.conflicts import detected_conflicts, element_conflicts
from assistant.measures.direction import extract_flows, place_similarity
from assistant.measures.elements import (
    bracket_cited_titles,
    extract_elements,
    extract_frequencies,
    extract_numbers,
    extract_orgs,
    extract_roles,
    orgs_match,
)
from assistant.measures.judge import combine_verdicts, parse_judge_reply
from assistant.measures.spans import has_abbreviation
from assistant.vocabulary import canonical_text
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
    # a one-character body before another is its qualifier (局 + 党组), never the head of a verb before it
    assert [o.name for o in extract_orgs("把保密工作摆上局党组的重要议事日程")] == ["局党组"]
    # 供 says for whom (jieba writes 供局 as one word): no body named 供局
    assert extract_orgs("编印专题民主生活会学习资料，供局班子成员学习") == []
    # 发给 hands the books to the bureau's leaders: a verb of giving is no part of a body's name
    assert [o.name for o in extract_orgs("学习辅导百问，发给局领导、各科室及州属学校")] == []
    # an institute is a body, and an acronym is part of its name
    assert [o.name for o in extract_orgs("APEC研究中心撰写报告，人工智能发展战略研究院发布指数，各学院制定办法")] == [
        "APEC研究中心", "人工智能发展战略研究院",
    ]


def test_a_college_is_a_body_when_its_name_is_one_word() -> None:
    assert [o.name for o in extract_orgs("商学院李娜入选第十三届高校辅导员年度人物，法学院周敬文获评十佳辅导员")] == [
        "商学院", "法学院",
    ]
    # 学院 alone is a plain noun, and a verb before it is no part of a name
    assert extract_orgs("配齐学院班子") == []
    # so a measure giving the honour to the other college contradicts the sentence
    assert "actor" in kinds("法学院李娜入选第十三届高校辅导员年度人物", "商学院李娜入选第十三届高校辅导员年度人物，法学院周敬文获评十佳辅导员。")


def test_posts_keep_their_body() -> None:
    assert [r.name for r in extract_roles("纪委书记作为会议监督员出席党委常委会会议、监察室主任作为会议监督员出席")] == [
        "纪委书记", "监察室主任",
    ]
    assert [r.name for r in extract_roles("党委书记任组长、校长任副组长")] == ["党委书记", "组长", "校长", "副组长"]
    assert [r.name for r in extract_roles("坚持党组织领导的校长负责制")] == []
    # a member of a body is a post; the body itself (委员会, 常委会) is not
    assert [r.name for r in extract_roles("派出由纪委委员带队的检查组")] == ["纪委委员"]
    assert extract_roles("成立纪律检查委员会，党委常委会研究") == []


def test_org_matching_tolerates_qualifiers_but_not_another_body() -> None:
    (a,), (b,), (c,) = extract_orgs("州审计局"), extract_orgs("审计局"), extract_orgs("州财政局")
    assert orgs_match(a, b) and not orgs_match(a, c)
    (x,), (y,) = extract_roles("组长"), extract_roles("副组长")
    assert not orgs_match(x, y)
    # a post is its title: 组…长 stand in order in 党委组织部部长, but a 部长 is not a 组长
    (head,), (leader,) = extract_roles("党委组织部部长"), extract_roles("组长")
    assert not orgs_match(head, leader)
    (secretary,), (same,) = extract_roles("纪委书记"), extract_roles("学校纪委书记")
    assert orgs_match(secretary, same)
    assert kinds("成立由党委组织部部长任组长的工作小组", "成立纪委书记任组长的工作小组") == {"person"}


def test_a_department_named_by_its_function_is_a_body() -> None:
    """组织部门 and 纪检监察部门 are two bodies; 财政部门 is whichever body holds 财政 in its name (州财政局); 相关部门
    and 职能部门 name none."""
    (organisation,), (discipline,) = extract_orgs("由组织部门督查"), extract_orgs("由纪检监察部门督查")
    assert not orgs_match(organisation, discipline)
    assert kinds("由组织部门开展专项督查", "由纪检监察部门开展专项督查") == {"actor"}
    (finance,), (bureau,) = extract_orgs("协调财政部门"), extract_orgs("会同州财政局")
    assert orgs_match(finance, bureau) and orgs_match(bureau, finance)
    assert extract_orgs("督促相关部门和有关职能部门整改") == []


def test_numbers_with_units_and_redaction() -> None:
    assert extract_numbers("配备副处级纪检员1名，增配3名优秀正科级纪检干部") == [("1", "名"), ("3", "名")]
    assert extract_numbers("开展*次集中学习，提高*元") == [("*", "次"), ("*", "元")]
    assert extract_numbers("选了一个县和两所学校") == [("1", "个"), ("2", "所")]
    assert extract_numbers("坚持统一领导，第一议题") == []
    assert extract_numbers("完成外墙维修加固40余处、660余平方米") == [("40", "处"), ("660", "平方米")]
    # 万 before no other unit is money with 元 left out; before a measure word it multiplies the count
    assert extract_numbers("在基本科研业务费预算内设立100万产学研项目") == extract_numbers("拿出100万元") == [("100", "万元")]
    assert extract_numbers("培训20万人次，访问量超5万次") == [("200000", "人次"), ("50000", "次")]
    assert extract_numbers("推出19期典型案例，涉及金额337732.47万元") == [("19", "期"), ("337732.47", "万元")]
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
    assert "发函" in extract_elements("尚未向施工单位发函").negated
    assert "支付" not in extract_elements("未按约定的期限，已支付尾款").negated  # 已 begins a new statement
    # a negated light verb negates the action it carries: 未完成整改 is 整改 not done
    assert {"完成", "整改"} <= set(extract_elements("剩余9个项目未完成整改").negated)
    assert "审计" in extract_elements("没有开展专项审计").negated
    assert "推进" not in extract_elements("尚未完成，继续推进整改").negated  # a comma ends the reach
    assert [g.name for g in extract_elements("组织研究生导师和中层干部学习").groups] == ["研究生导师", "中层干部"]
    assert [g.name for g in extract_elements("每年组织一次教师培训").groups] == ["教师"]  # 一次 says how often
    assert not extract_elements("落实党管干部原则").groups  # a principle's name, not the cadres
    assert extract_elements("由“民考民”调整为“民考普”").changes == (("民考民", "民考普"),)


@pytest.mark.parametrize(
    ("measure", "source", "expected"),
    [
        ("会同州审计局制定内部审计工作规定", "五是会同财政局制定印发《内部审计工作规定》。", {"actor"}),
        ("会同州财政局制定内部审计工作规定", "五是会同财政局制定印发《内部审计工作规定》。", set()),
        ("把借调人员全部正式调入局里", "借调人员全部返回原单位工作。", {"action", "direction"}),
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
        ("由校领导带队的检查组开展实地检查", "派出由纪委委员带队的10个检查组开展实地检查。", {"person"}),
        ("由纪委委员带队的检查组开展实地检查", "派出由纪委委员带队的10个检查组开展实地检查。", set()),
        ("民族班由民考普调整为民考民", "将民族班由“民考民”调整为“民考普”。", {"action"}),
        ("借调人员已全部退回原单位", "借调人员全部返回原单位工作。", set()),
        # a 所有 about something else does not support 全部
        ("全部177项整改任务已完成销号", "所有台账的整改措施均逐项明确完成时限，销号一个。177项整改任务已完成174项。",
         {"scope"}),
        # a move has a direction: the reverse move, or the same thing sent elsewhere, is another measure
        ("从机关选派5名干部到基层学院锻炼", "从基层学院选派5名干部到机关锻炼。", {"direction"}),
        ("从基层学院选派5名干部到机关锻炼", "从基层学院选送5名干部人才到机关参加锻炼。", set()),
        ("将河西中学的招生计划调整到城关中学", "将城关中学的招生计划调整到河西中学。", {"direction"}),
        ("把城关中学的招生名额调给河西中学", "将城关中学的招生计划调整到河西中学。", set()),
        ("问题线索移交组织部门", "问题线索移交纪检监察部门，干部考察材料移交组织部门。", {"direction"}),
        ("借调人员由原单位调到局机关工作", "借调人员全部返回原单位工作。", {"direction"}),
        ("推动管理重心上移", "推动管理重心下移，向基层放权。", {"action"}),
        # the sender is the subject (甲发函至乙), the one who goes is the subject of a bare 到
        ("由学校发函给出版社，要求退还多收的书款", "出版社已3次发函至学校要求退还书款。", {"direction"}),
        ("由出版社发函给学校，要求退还多收的书款", "出版社已3次发函至学校要求退还书款。", set()),
        ("从乡镇选调青年教师到县城学校任教", "组织县城学校青年教师到乡镇支教。", {"direction"}),
        ("选派县城学校青年教师到乡镇支教", "组织县城学校青年教师到乡镇支教。", set()),
        # a company is a body: another partner is another measure
        ("与华电集团共建新能源联合实验室", "与国家电网有限公司共建新能源联合实验室。", {"actor"}),
        ("与国家电网公司共建新能源联合实验室", "与国家电网有限公司共建新能源联合实验室。", set()),
        # 先甲再乙 against a sentence that tells 乙 first
        ("采购方案先经局长办公会审议，再报财政局备案", "采购方案已报财政局备案，并经局长办公会审议通过。", {"order"}),
        ("采购方案先报财政局备案，再经局长办公会审议", "采购方案已报财政局备案，并经局长办公会审议通过。", set()),
        # steps named by their actions alone: the sentence's order of them is the order they were taken
        ("整改任务先销号、再组织验收", "切实做到整改一个、验收一个、销号一个。", {"order"}),
        ("整改任务先验收、再销号", "切实做到整改一个、验收一个、销号一个。", set()),
        # a step's word in a title the sentence names first is not that step
        ("先召开专题民主生活会，再编印学习资料", "编印《专题民主生活会学习资料》供班子成员学习，高质量召开专题民主生活会。", {"order"}),
        ("先编印学习资料，再召开专题民主生活会", "编印《专题民主生活会学习资料》供班子成员学习，高质量召开专题民主生活会。", set()),
        # done against under way; a grade; "there is none"; details that exclude each other
        ("剩余5个项目已完成验收", "剩余5个项目正在办理验收手续。", {"status"}),
        ("已形成家校沟通和课后辅导工作的具体做法", "研究探索家校沟通和课后辅导工作的具体做法。", {"status"}),
        # finished against only started; a start stated as a start, or a start that was finished, is no conflict
        ("已完成校舍安全隐患排查整治", "启动校舍安全隐患排查整治。", {"status"}),
        ("已启动校舍安全隐患排查整治", "启动校舍安全隐患排查整治。", set()),
        ("已完成校舍安全隐患排查整治", "启动并完成校舍安全隐患排查整治。", set()),
        # another department, or a post with another title, heads it
        ("由组织部门开展专项督查", "由纪检监察部门开展专项督查。", {"actor"}),
        ("由财政部门提高后勤人员工资", "州财政局提高后勤人员工资。", set()),
        # two parts keep their predicates but trade who does them; a list told in another order trades nothing
        ("年级组牵头组织、班主任协助配合", "班主任牵头组织、年级组协助配合。", {"direction"}),
        ("年级组牵头组织、班主任协助配合", "年级组牵头组织、班主任协助配合。", set()),
        ("完善课后服务、作业管理和考试评价制度", "完善考试评价、作业管理、课后服务等制度。", set()),
        ("为纪委配备正处级纪检员", "为纪委配备副处级纪检员1名。", {"rank"}),
        ("食堂已安排专人负责采购", "食堂无专人负责采购。", {"negation"}),
        ("利用寒假开展教师培训", "利用暑期开展教师培训。", {"detail"}),
        # a word traded for its opposite by one morpheme (有偿/无偿, 校内/校外), in the clause about the same thing
        ("为困难学生提供有偿课后辅导", "为困难学生提供无偿课后辅导。", {"detail"}),
        ("组织校外专家开展评审", "组织校内专家开展评审。", {"detail"}),
        ("组织校内专家开展评审", "组织校内专家开展评审，并邀请校外人员列席。", set()),
        # a level of government is a grade; a group sent to do a task is a body
        ("落实省级配套资金", "落实州级配套资金*万元。", {"rank"}),
        ("局纪检组听取整改情况汇报", "局党组先后3次听取整改情况汇报。", {"actor"}),
        # a body the span names, but not as the one who does the thing (the clause's subject is 我局)
        ("监察处组织人员开展专项审计", "我局已下发通知，并组织人员深入各学校开展专项审计，审计报告已征求监察处意见。",
         {"actor"}),
        ("办公室主任担任工作专班组长", "办公室主任牵头抓总，担任工作专班组长。", set()),
        # a number goes with the clause about the same thing
        ("对8名新任职干部进行廉政提醒", "对12名新提任干部开展集体谈话，对8名新任职干部进行廉政提醒。", set()),
        ("对12名新任职干部进行廉政提醒", "对12名新提任干部开展集体谈话，对8名新任职干部进行廉政提醒。", {"number"}),
        ("赴四县开展专项督查", "赴五县高级中学开展专项督查。", {"number"}),
        # 每所 / 都 claim every one; brackets break a clause; 都 over a counted group claims no more
        ("每所学校都建立了党支部", "全州学校党组织实现全覆盖（单独建立党支部*个、成立联合党支部*个）。", {"scope"}),
        ("12名新提任干部都参加了集体谈话", "对12名新提任干部开展集体谈话。", set()),
        ("局里每个星期四集中学习", "机关干部每周周四开展集中学习。", set()),
        # a negation reaches over a prepositional phrase to its verb
        ("尚未向施工单位发函催款", "业主公司已2次发函至施工单位催款。", {"negation"}),
        # counts listed with 、 each go with their own item
        ("8人低职高聘、3人高职低聘", "8人低职高聘，3人高职低聘。", set()),
        ("3人低职高聘、8人高职低聘", "8人低职高聘，3人高职低聘。", {"number"}),
        # a group of people is not another group; 老师 and 教师 are one
        ("组织辅导员开展政治理论学习", "各学院组织一线教师开展政治理论学习。", {"actor"}),
        ("组织一线老师开展政治理论学习", "各学院组织一线教师开展政治理论学习。", set()),
        # a meeting that decides is a body; the clause's own subject does the thing, not a body named before it
        ("局党组会专题研究食堂承包问题", "修订局党组会、局长办公会议事规则。局长办公会专题研究食堂承包、校车采购等工作。",
         {"actor"}),
        ("局长办公会专题研究食堂承包问题", "修订局党组会、局长办公会议事规则。局长办公会专题研究食堂承包、校车采购等工作。",
         set()),
        # a negation reaches over 全部 to its verb: not all settled is not settled
        ("移交的信访件尚未全部办结", "移交的信访件现已全部办结。", {"negation", "status"}),
        # a body after a verb in its own clause is what is done (加强学院领导班子建设), not who does the next clause
        ("选强配齐学院班子特别是书记、院长", "三是提升书记院长履职能力。加强学院领导班子建设，选优配强学院班子特别是党政正职。", set()),
        # a title's words claim no scope of the measure's own (全州 in a plan's name)
        ("制定印发《全州高考综合改革工作推进方案》", "制定印发《*州高考综合改革工作推进方案》。", set()),
        ("在全州开展高考综合改革专项督查", "赴五县高级中学开展高考综合改革专项督查。", {"scope"}),
        # the 州's own rule (its name redacted: *州…办法) is the whole 州's; the schools it runs directly are not
        ("出台全州中小学食堂管理的暂行办法", "制定完善《*州中小学食堂管理暂行办法》等制度文件。", set()),
        ("对全州中小学食堂开展检查", "对州属中小学食堂开展检查。", {"scope"}),
        # 将 puts what the verb acts on before it: 将甲和乙合并 is 合并乙、甲, no doer crossed to the other side
        ("将膳食服务中心和后勤服务处合并", "合并后勤服务处、膳食服务中心，撤销后勤保障部、基建规划处。", set()),
        # 全面 (how thoroughly) on the same action in both is no overstated scope, whatever else the clauses name
        ("工程建设领域专项治理中全面查摆梳理问题", "认真梳理各类教育项目*个，全面查摆梳理问题*条，扎实开展各阶段工作。", set()),
        ("工程建设领域专项治理中全面查摆梳理问题", "认真梳理各类教育项目*个，查摆梳理问题*条，扎实开展各阶段工作。", {"scope"}),
        # a "not" the source says in other tokens (jieba cuts 未办理 / 完 / 结算) is said; one it never says is not
        ("结算未办完的项目有1222个", "已竣工验收未办理完结算的项目有1222个。", set()),
        ("结算未办完的项目有1222个", "已竣工验收并办理完结算的项目有1222个。", {"negation"}),
        # 校党委 at the head of 校党委理论中心组 says whose group it is: the group is the doer
        ("校党委中心组专题学习时班子成员人人谈认识", "集中整改期间，校党委理论中心组开展专题理论学习7次，班子成员人人谈认识。", set()),
        ("校纪委中心组专题学习时班子成员人人谈认识", "集中整改期间，校党委理论中心组开展专题理论学习7次，班子成员人人谈认识。", {"actor"}),
        # a principle's name (党管干部原则) names no group of people
        ("选拔中层干部时严格审查人选资格条件", "落实党管干部原则，学校党委选贤任能，严把人选资格条件。", set()),
        # 未完成整改 says 整改 is not done: it supports 没有整改完 and contradicts 已整改完
        ("还有9个项目没有整改完", "剩余9个项目未完成整改。", set()),
        ("9个项目已整改完", "剩余9个项目未完成整改。", {"negation", "status"}),
        # a quoted name is a set name: the source quoting its near twin (reordered, one character changed) names
        # another thing; the same name, redacted or not, or a name quoted beside the measure's own, does not
        ("认真履行“群建带党建”职责", "认真履行“党建带群建”职责，帮助和指导幼儿园建立工会。", {"name"}),
        ("积极引导“民考普”学生报考普通大学", "积极引导“民考民”学生报考普通大学。", {"name"}),
        ("认真履行“党建带群建”职责", "认真履行“党建带群建”职责，帮助和指导幼儿园建立工会。", set()),
        ("帮助幼儿园建立“共青团”组织", "帮助幼儿园建立工会、“共*团”组织。", set()),
        ("由“民考民”调整为“民考普”", "将民族班由“民考民”调整为“民考普”。", set()),
        ("推进“金课”建设", "淘汰“水课”，推进课程建设。", set()),
        # the measure's doer that the source's clause names only as whom the thing goes to (向…, 赴…) is not its doer
        ("学校党委向纪委下发《信访举报情况简析》", "做深做细信访举报综合分析，向学校党委提交《信访举报情况简析》。", {"role"}),
        ("学校党委审定《信访举报情况简析》", "做深做细信访举报综合分析，学校党委审定《信访举报情况简析》。", set()),
    ],
)
def test_element_conflicts(measure: str, source: str, expected: set[str]) -> None:
    assert kinds(measure, source) == expected


def test_a_not_said_in_the_next_sentence_is_said() -> None:
    # The span's sentence that names the thing (垫资建设) is its focus; the "not" sits in the sentence after.
    measure = extract_elements("垫资建设问题还有9个项目没有整改完")
    focus = extract_elements("我集团涉及16个项目由施工单位垫资建设。")
    said = extract_elements("我集团涉及16个项目由施工单位垫资建设。剩余9个项目未完成整改。")
    unsaid = extract_elements("我集团涉及16个项目由施工单位垫资建设。已完成7个项目的整改工作。")
    assert "negation" not in {c.kind for c in detected_conflicts(measure, focus, said)}
    assert "negation" in {c.kind for c in detected_conflicts(measure, focus, unsaid)}


def test_a_conflict_quotes_the_titles_it_reads_past() -> None:
    # titles are blanked while the acts are read (their words name no doer); the clerk still reads them
    measure = "中国公司治理研究院撰写《数字经济与中国》，在2021南南合作与服务贸易国际论坛发布"
    source = ("与商务部共同举办“APEC包容性贸易投资研讨会”，撰写《数字经济与中国》于“2021南南合作与服务贸易国际论坛”发布。"
              "中国公司治理研究院发布2021年度中国上市公司治理指数（南开治理指数）。")
    found = element_conflicts(extract_elements(measure), extract_elements(source))
    assert any("《数字经济与中国》" in c.source_value for c in found)
    assert not any("　" in c.measure_value + c.source_value for c in found)


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
# Moves, issuers, wording
# ---------------------------------------------------------------------------------------------------


def test_moves_are_read_with_their_direction() -> None:
    (flow,) = extract_flows("从专业学院选送10名干部人才到机关职能部门参加岗位锻炼")
    assert (flow.source, flow.target, flow.origin) == ("专业学院", "机关职能部门", True)
    (flow,) = extract_flows("将江宁高级中学民族班由“民考民”调整为“民考普”")  # the 由 move, not the 将 phrase
    assert (flow.source, flow.target) == ("民考民", "民考普")
    assert [(f.source, f.target) for f in extract_flows("班子建设有关情况移交组织部门，意识形态专项报告移交宣传部门")] == [
        ("班子建设有关情况", "组织部门"), ("意识形态专项报告", "宣传部门"),
    ]
    assert extract_flows("由州委副书记带队组成调研组") == ()  # 由 names who acts here
    assert extract_flows("从严落实财务制度") == ()
    assert place_similarity("共和县高中", "共和县高级中学") >= 0.5 > place_similarity("组织部门", "宣传部门")


def test_a_report_is_known_by_its_issuer() -> None:
    assert issuer_names("中共某某大学委员会关于巡视整改进展情况的通报", "") == (
        "中共某某大学委员会", "某某大学委员会", "某某大学", "某某", "学校党委", "校党委",
    )
    assert issuer_names("卫生局党组关于巡察整改情况的通报", "") == ("卫生局党组", "卫生局", "局党组")
    assert issuer_names("报告模板：关于某专项审计的整改报告", "正文。\n某某投资集团有限责任公司\n2023年1月1日") == (
        "某某投资集团有限责任公司", "某某投资集团",
    )
    assert issuer_names("2021年政府工作报告", "正文。") == ()


def test_a_measure_named_for_another_report_is_attributed_wrongly() -> None:
    bureau = ReportDocument.read("b", "卫生局党组关于巡察整改情况的通报", "局党组修订了财务制度，协调州财政局落实经费。")
    school = ReportDocument.read("s", "中共某某大学委员会关于巡视整改情况的通报", "学校党委建立师德台账。")
    reports = [bureau, school]

    def kinds(measure: str, source: ReportDocument) -> list[tuple[str, str]]:
        orgs = list(extract_elements(measure).orgs)
        return [(c.kind, c.measure_value) for c in attribution_conflicts(measure, orgs, source, reports)]

    assert kinds("卫生局建立师德台账", school) == [("document", "卫生局")]
    assert kinds("某某大学修订财务制度", bureau) == [("document", "某某大学")]
    assert kinds("卫生局修订财务制度", bureau) == []
    assert kinds("协调州人社局落实经费", bureau) == [("actor", "州人社局")]
    assert kinds("协调州财政局落实经费", bureau) == []


def test_abbreviations_and_one_spelling_for_synonyms() -> None:
    assert has_abbreviation("特教", "新组建州特殊教育学校党支部") and has_abbreviation("高中", "共和县高级中学")
    assert not has_abbreviation("特教", "特别是教育系统")  # two characters between: not an abbreviation
    assert canonical_text("老师") == canonical_text("教师")
    assert canonical_text("主要负责同志") == canonical_text("主要领导")


def test_every_one_claims() -> None:
    assert extract_elements("全州每所民办幼儿园都已单独建立党支部").total_scope == ("每所", "都")
    assert extract_elements("每个星期四集中学习").total_scope == ()
    assert extract_elements("各县均选派党建工作指导员").total_scope == ("均",)


def test_an_order_conflict_tells_the_clerk_which_step_the_source_takes_first() -> None:
    (conflict,) = element_conflicts(
        extract_elements("采购方案先经局长办公会审议，再报财政局备案"),
        extract_elements("采购方案已报财政局备案，并经局长办公会审议通过。"),
    )
    assert conflict.label == "顺序颠倒"
    assert conflict.message == (
        "顺序不一致：措施为“先经局长办公会审议，再报财政局备案”，原文先“采购方案已报财政局备案”，后“并经局长办公会审议通过”"
    )


def test_means_and_end_swapped_reverse_the_measure() -> None:
    """以甲推动乙: 甲 serves 乙; 在甲基础上乙: 乙 builds on 甲. The same words the other way round is another measure;
    the same relation in other words is the same one."""
    source = "坚持以有力监督推动党内政治生活严起来，在学好用好讲义基础上编印摘编"
    for swapped in ("以党内政治生活严起来促进有力监督", "在编印摘编的基础上学好用好讲义"):
        conflicts = element_conflicts(extract_elements(swapped), extract_elements(source))
        assert any(c.label == "方向相反" and c.measure_value == swapped for c in conflicts), conflicts
    for kept in ("以有力的监督促进党内政治生活严起来", "在学好用好讲义的基础上编印摘编"):
        assert not element_conflicts(extract_elements(kept), extract_elements(source)), kept


def test_two_clauses_that_trade_what_they_say_of_whom_are_a_swap() -> None:
    """对甲的督促提醒，对乙的点名批评: each clause keeps its action and takes the other's object. The same clauses as
    the report pairs them, or in the other order, say the same."""
    source = "在此过程中，学校纪委认真履行监督责任，对整改进度缓慢的及时督促提醒，对不符合要求的点名批评警示，对巡视有关工作不认真的党员干部坚决问责。"
    crossed = "对不符合要求的及时督促提醒，对整改进度缓慢的点名批评警示"
    conflicts = element_conflicts(extract_elements(crossed), extract_elements(source))
    assert [c.label for c in conflicts] == ["方向相反"], conflicts
    for kept in ("对整改进度缓慢的及时督促提醒，对不符合要求的点名批评警示", "对不符合要求的点名批评警示，对整改进度缓慢的及时督促提醒"):
        assert not element_conflicts(extract_elements(kept), extract_elements(source)), kept


def test_a_relation_verb_inside_the_means_does_not_hide_the_swap() -> None:
    """以推动整体提升进步来带动补齐短板: 推动 and 提升 belong to the means, 带动 joins it to the end. Every place of a
    relation verb is a reading; the swap shows in one of them, and the straight measure matches in one."""
    source = "通过重点问题整改带动全面整改，以补齐局部短板推动整体提升进步"
    swapped = "以推动学校整体提升进步来带动补齐局部短板"
    conflicts = element_conflicts(extract_elements(swapped), extract_elements(source))
    assert any(c.label == "方向相反" for c in conflicts), conflicts
    assert not element_conflicts(extract_elements("以补齐学校局部短板来推动整体提升进步"), extract_elements(source))


def test_a_title_typed_without_brackets_is_read_as_the_title_the_source_cites() -> None:
    """Staff type a plan's name bare; the source writes it in 《》 with its place redacted. Read as a title,
    州委 in it names no actor and 全州 claims no scope; a redaction at the title's edge takes one character,
    so the verb before it (印发) stays a verb. Short titles are too like ordinary words to look for."""
    titles = ["《州委第一巡察组巡察反馈问题整改方案》", "《*州高考综合改革工作推进方案》", "《通知》"]
    assert bracket_cited_titles("广泛征求意见后，印发州委第一巡察组巡察反馈问题整改方案", titles) == (
        "广泛征求意见后，印发《州委第一巡察组巡察反馈问题整改方案》"
    )
    assert bracket_cited_titles("制定印发全州高考综合改革工作推进方案", titles) == "制定印发《全州高考综合改革工作推进方案》"
    assert bracket_cited_titles("按通知要求整改", titles) == "按通知要求整改"
    assert bracket_cited_titles("学习《州委第一巡察组巡察反馈问题整改方案》", titles) == (
        "学习《州委第一巡察组巡察反馈问题整改方案》"  # already a title: left as it is
    )
    plain = extract_elements(bracket_cited_titles("印发州委第一巡察组巡察反馈问题整改方案", titles))
    assert not plain.orgs


def test_a_title_typed_without_its_bracketed_note_is_still_the_title() -> None:
    """《中层干部队伍建设规划（2019-2023年）》 typed as 2019—2023年中层干部队伍建设规划: the years moved, the title
    kept, so 中层干部 in it is no group of people the source would have to name."""
    titles = ["《中层干部队伍建设规划（2019-2023年）》"]
    measure = "修订2019—2023年中层干部队伍建设规划，健全干部队伍建设“五大体系”"
    assert bracket_cited_titles(measure, titles) == "修订2019—2023年《中层干部队伍建设规划》，健全干部队伍建设“五大体系”"
    assert not extract_elements(bracket_cited_titles(measure, titles)).groups
    assert extract_elements(measure).groups  # read bare, 中层干部 would be a group


def test_a_title_cited_without_its_redacted_place_is_still_the_title() -> None:
    """《*州教育局机关财务管理制度》 is cited as 教育局机关财务管理制度: 教育局 is then part of the title, so a
    source where 财政局 also acts (会同财政局…) does not make the measure's 教育局 another body."""
    titles = ["《*州教育局机关财务管理制度》"]
    assert bracket_cited_titles("修订完善教育局机关财务管理制度", titles) == "修订完善《教育局机关财务管理制度》"
    assert bracket_cited_titles("修订完善全州教育局机关财务管理制度", titles) == "修订完善《全州教育局机关财务管理制度》"
    assert bracket_cited_titles("修订完善财务制度", titles) == "修订完善财务制度"


def test_a_word_inside_a_name_does_not_make_that_name_the_subject() -> None:
    """成员 of the measure is found inside 局班子成员: 班子成员 is then who is asked, not who asks; the
    sentence's subject is still 党组书记, who the measure names."""
    measure = "党组书记明确要求局领导班子成员和各科室负责人扛起巡察反馈问题整改任务"
    source = ("一是党组书记认真履行第一责任人职责，多次主持召开专题会议、座谈交流，狠抓组织动员、统筹协调、督办指导等各项工作，"
              "明确要求局班子成员和各科室负责人坚决担负起反馈问题整改任务。")
    assert kinds(measure, source) == set()
    assert kinds(measure, source.replace("一是党组书记", "一是局长")) == {"person"}


def test_a_doer_the_source_never_names_is_another_doer_than_the_one_it_names() -> None:
    """The source's 学校党委 studies the young cadres, not the 党委组织部 the measure names, though the two share
    no family of names. Against the source's name for itself (我局) a body is not another doer: the bureau's
    report calls the 教育局 我局."""
    measure = "党委组织部定期研究优秀年轻干部工作，加强中层正职优秀年轻干部储备"
    source = "学校党委定期研究优秀年轻干部工作，有针对性地加强中层正职优秀年轻干部储备。"
    assert kinds(measure, source) == {"actor"}
    assert kinds(measure, source.replace("学校党委", "党委组织部")) == set()
    assert kinds("州教育局下发内部审计通知", "*月*日我局已下发《关于对州属学校往来款项开展内部审计的通知》") == set()


def test_a_group_that_opens_the_measure_is_its_doer() -> None:
    """南开's 校领导 lead the 思政课, not its 中层干部: a group named first, before its verb, does the thing, and a
    post is another doer. Named after a verb (补充紧缺学科教师) the group is who the thing is for."""
    source = "校领导带头讲授思政课，带头听课，确保任务要求完成到位。"
    assert kinds("中层干部带头听讲思政课，确保任务要求完成到位", source) == {"person"}
    assert kinds("校领导带头听讲思政课，确保任务要求完成到位", source) == set()
    assert "person" not in kinds("通过公开招聘等方式补充紧缺学科老师", "通过公开招聘、校园引才等方式补充紧缺学科教师。")


def test_taking_part_is_not_leading() -> None:
    """牵头成立 puts the university at the head of the alliance; 参与 or 加入 makes it one member among others."""
    source = "牵头成立“国家区域重大战略高校智库联盟”；与京津冀国家技术创新中心签署合作协议。"
    for member in ("参与成立“国家区域重大战略高校智库联盟”", "作为成员加入“国家区域重大战略高校智库联盟”"):
        assert kinds(member, source) == {"action"}, member
    assert kinds("牵头成立国家区域重大战略高校智库联盟", source) == set()


def test_two_actions_each_on_what_the_other_acts_on_are_reversed() -> None:
    """依托甲建设乙 against 依托乙建设甲: every word is the source's, but the centre serves the disciplines, not the
    other way round; so with 对照甲建立乙 (which ledger was derived from which). Said as the source pairs them, or
    with the two actions on unrelated things, nothing is reversed."""
    source = "依托交叉科学中心，建设功能物质创造、人工智能、生物医药、中外文明、生态文明等交叉学科群体，研究制定《交叉学科管理办法》。"
    assert kinds("依托功能物质创造、人工智能等交叉学科群体，建设学校交叉科学中心", source) == {"direction"}
    assert kinds("依托交叉学科群体建设交叉科学中心", source) == {"direction"}
    assert kinds("依托交叉科学中心建设交叉学科群体", source) == set()
    ledgers = "二级单位党委和主要职能部门对照学校总台账，分别细化建立各自的二级整改台账。"
    assert kinds("学校对照各二级单位党委的二级整改台账，汇总建立学校总台账", ledgers) == {"direction"}
    assert kinds("各二级单位党委对照学校总台账建立二级整改台账", ledgers) == set()


def test_a_thing_encouraged_is_not_a_thing_done() -> None:
    """鼓励在校内外建设劳动教育基地 states a wish: a measure saying the bases were built (已建成) is not in it."""
    source = "开好劳动教育系列课程，在通识选修课中纳入劳动教育课程30门，鼓励在校内外建设劳动教育基地。"
    assert kinds("已在校内外建成一批劳动教育基地", source) == {"status"}
    assert kinds("鼓励在校内外建设劳动教育基地", source) == set()


def test_the_head_of_a_government_is_a_post() -> None:
    """州长 is a post like 书记: the bureau passed on the requirements of the 州委 secretary, not the governor's. 长
    before 期 or 效 is "long" (全州长效机制), no post."""
    measure = "局党组传达学习州长对巡察工作的要求，制定切实可行的整改方案"
    source = "传达学习习近平总书记有关巡视指示精神和州委*书记对巡察工作的要求，制定切实可行的整改方案。"
    assert kinds(measure, source) == {"person"}
    assert kinds(measure, source.replace("州委*书记", "州长")) == set()
    assert not extract_elements("建立全州长效机制，推动城市长期发展").roles


def test_the_head_of_a_unit_is_a_post() -> None:
    """负责人 (各科室负责人, 职能部门负责人) is a post like 局长: a measure that gives the task to the county bureaus'
    heads instead names other people."""
    source = "明确要求局班子成员和各科室负责人坚决担负起反馈问题整改任务。"
    measure = "明确要求局班子成员和各县教育局局长坚决担负起反馈问题整改任务"
    assert ("person", "教育局局长", "负责人") in {(c.kind, c.measure_value, c.source_value) for c in
                                                  element_conflicts(extract_elements(measure), extract_elements(source))}
    assert element_conflicts(extract_elements(source.rstrip("。")), extract_elements(source)) == []


def test_a_leadership_team_is_no_post() -> None:
    """局领导班子 is the bureau's leading group, not one 局领导: a measure about it does not name a post against the
    source's 班子成员; 局领导 alone and 班子成员 are posts."""
    def roles(text: str) -> list[str]:
        return [r.name for r in extract_elements(text).roles]

    assert roles("加强局领导班子建设") == []
    assert roles("供校领导班子成员学习") == ["班子成员"]
    assert roles("局领导分管科室") == ["局领导"]


def test_an_adverb_before_a_body_is_not_part_of_its_name() -> None:
    """明确 in 明确领导小组办公室日常分工 says how the office's work is set, it does not name the office."""
    names = [o.name for o in extract_elements("进一步强化党建工作领导小组作用，明确领导小组办公室日常分工").actors]
    assert "领导小组办公室" in names and not any(n.startswith("明确") for n in names)


def test_a_body_whose_word_is_followed_is_not_the_doer() -> None:
    """按学校党委要求: the school's committee sets the requirement; the 二级单位党委 do the work, in both texts."""
    measure = "各二级单位党委按学校党委要求成立整改领导机构、拟定工作方案、落实整改措施"
    source = "各二级单位党委担起本单位整改主体责任，按照学校党委要求，组建领导机构、制定工作方案、压实整改措施"
    assert element_conflicts(extract_elements(measure), extract_elements(source)) == []


def test_a_grade_neither_clause_about_the_post_gives_is_another_grade() -> None:
    """Both clauses share as many words with the measure; neither says 正处级."""
    found = element_conflicts(
        extract_elements("学校党委为纪委增配3名优秀正处级纪检干部"),
        extract_elements("学校党委为纪委配备副处级纪检员1名，增配3名优秀正科级纪检干部"),
    )
    assert [(c.kind, c.measure_value) for c in found] == [("rank", "正处级")]
