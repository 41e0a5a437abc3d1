"""A name or figure the measure puts where the source puts another (assistant/measures/slots.py)."""

from __future__ import annotations

import pytest

from assistant.measures.elements import extract_elements
from assistant.measures.slots import exchange_conflicts, slot_conflicts

PILOT = "确定*州职业技术学校和贵德县为中小学校党组织领导的校长负责制试点，坚持把解决学校问题作为重点"


@pytest.mark.parametrize(
    ("measure", "source", "found"),
    [
        ("确定州职业技术学校和共和县为中小学校党组织领导的校长负责制试点", PILOT, [("name", "共和县", "贵德县")]),
        ("2021年7月开展新一轮年轻干部集中调研，人选均为“80后”",
         "2021年7月，学校党委进行了新一轮年轻干部集中调研，人选均为“70后”，进一步丰富了优秀年轻干部储备。",
         [("number", "80", "70")]),
        ("出台《南开大学党委关于推动工作落实的十项措施》，树立抓落实导向",
         "出台《南开大学党委关于推动工作落实的九项措施》，牢固树立“抓落实”的鲜明导向。", [("number", "十项", "九项")]),
        # an ordinal: 第三 and 第五 are two places in one ranking
        ("获批国家社科基金年度及青年项目48项，位居全国高校第三", "获批2021年国家社科基金年度及青年项目48项，位居全国高校第五",
         [("number", "第三", "第五")]),
        # another body of the same sort, which jieba writes as several words: the head (组织) is shared
        ("与联合国教科文组织签署高级别框架合作协议", "与联合国工业发展组织签署高级别框架合作协议，成为首个与联合国专门机构签署该类协议的国内高校",
         [("name", "联合国教科文组织", "联合国工业发展组织")]),
        # a meeting for a committee: bodies of two sorts, in the place before the same words
        ("党委常委会专题研究学位点和本科专业“加减法”",
         "聚焦学科专业“小、散、弱”问题，校长办公会专题研究学位点和本科专业“加减法”，研究制定学校《本科专业动态调整实施方案》",
         [("actor", "党委常委会", "校长办公会")]),
        # a post for a member of another body
        ("由校领导带队的10个检查组对二级单位党委开展实地检查", "派出由纪委委员带队的10个检查组，对二级单位党委开展实地检查",
         [("person", "校领导", "纪委委员")]),
    ],
)
def test_another_name_figure_body_or_post_in_the_same_frame_is_a_conflict(
    measure: str, source: str, found: list[tuple[str, str, str]]
) -> None:
    conflicts = slot_conflicts(extract_elements(measure), extract_elements(source))
    assert [(c.kind, c.measure_value, c.source_value) for c in conflicts] == found
    assert all(c.label in ("名称不同", "数量不同", "单位不同", "人员不同") for c in conflicts)


@pytest.mark.parametrize(
    ("measure", "source"),
    [
        # a body the source names too, elsewhere: the measure may mean that statement
        ("由纪委书记任组长的检查组开展实地检查", "成立纪委书记任组长的监督检查工作领导小组，由纪委委员带队的检查组开展实地检查"),
        # a group of people in other words (老师 ~ 教师)
        ("组织高中老师岗位练兵和小学老师技能展评", "组织高中教师岗位练兵和小学教师技能展评"),
        # the same body with a qualifier
        ("学校校长办公会专题研究学位点和本科专业“加减法”", "校长办公会专题研究学位点和本科专业“加减法”"),
        # reworded in ordinary words: the slot holds no name or figure
        ("组织局机关全体干部集中学习《巡视工作条例》等巡视巡察方面的理论知识",
         "先后组织全体干部集体学习《中国共产党巡视工作条例》等巡视巡察相关理论知识*次"),
        # a school type against a school: names of different sorts
        ("把州第三民族高中等学校的普通班招生名额调给共和县高中",
         "将州第三民族高级中学等*所学校普通班招生计划调整到共和县高级中学。"),
        # the measure's name is in the source, only elsewhere
        ("确定贵德县为试点", "确定贵德县为试点，并在共和县推广"),
        # a redacted value is withheld, not another value
        ("确定共和县为试点", "确定*县为试点"),
        # the name shortened, not replaced
        ("与联合国工业发展组织签署合作协议", "与工业发展组织签署高级别框架合作协议"),
    ],
)
def test_the_same_thing_in_other_words_is_no_conflict(measure: str, source: str) -> None:
    assert slot_conflicts(extract_elements(measure), extract_elements(source)) == []


@pytest.mark.parametrize(
    ("measure", "source", "found"),
    [
        # two names traded across the word that relates them
        ("学校党委增强接受行政班子领导的意识，积极落实校长办公会决议",
         "学校行政班子增强接受党委领导的意识，积极落实党委决议", ("党委…增强…行政", "行政…增强…党委")),
        ("由市建设行业主管部门行文交集团追缴多付的工程款", "我集团已行文上报市建设行业主管部门予以追缴",
         ("行业…行文…集团", "集团…行文…行业")),
        # one body on the other side of the verb: the report's own bureau leads (会同财政局), the measure makes the
        # 财政局 lead; the group reports to the 主管部门, not the 主管部门 upwards
        ("州财政局会同州教育局制定印发教育系统内部审计工作规定",
         "五是会同财政局制定印发《*州教育系统内部审计工作规定》，修订完善《*州教育局机关财务管理制度》",
         ("财政局…会同", "会同…财政局")),
        ("市建设行业主管部门上报追缴情况", "我集团已行文上报市建设行业主管部门予以追缴", ("主管部门…上报", "上报…主管部门")),
    ],
)
def test_who_acts_on_whom_reversed_across_the_word_that_relates_them_reverses_the_measure(
    measure: str, source: str, found: tuple[str, str]
) -> None:
    conflicts = exchange_conflicts(extract_elements(measure), extract_elements(source))
    assert [(c.kind, c.measure_value, c.source_value) for c in conflicts] == [("direction", *found)]


@pytest.mark.parametrize(
    ("measure", "source"),
    [
        # a list told in another order
        ("建立健全定密、涉密人员和涉密载体方面的工作制度及台账", "健全涉密载体、涉密人员、定密等工作制度和台账，签订保密承诺书"),
        # a body moved within a list crosses nothing
        ("学院党委和纪检委员加强监督", "加强纪检委员、学院党委监督"),
        # names inside cited titles act on nothing
        ("州教育局修订辅导员队伍建设规定", "会同财政局制定印发《*州教育系统内部审计工作规定》，修订完善《*州教育局机关财务管理制度》"),
        # the same roles in other words
        ("学校行政班子增强接受党委领导的意识", "学校行政班子增强接受党委领导的意识，积极落实党委决议"),
        # the same doer, the sentence reordered around it
        ("校领导定期为分管部门党员讲授党课", "校领导认真履行“一岗双责”，定期为分管部门和领域以及所在支部党员讲授党课"),
        # the body after the verb only names whose meeting it is: 纪委 calls its own 全委会
        ("纪委召开全委会，学习中央纪委国家监委对巡视整改工作的有关要求", "抓实政治建设，召开纪委全委会学习贯彻巡视整改工作相关要求"),
    ],
)
def test_the_same_roles_in_another_order_are_no_reversal(measure: str, source: str) -> None:
    assert exchange_conflicts(extract_elements(measure), extract_elements(source)) == []
