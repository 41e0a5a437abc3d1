"""The kind of fact a question asks for, and whether a sentence writes one out (a redacted * does not)."""

from __future__ import annotations

import pytest

from assistant.signals.facts import AskedFact, asked_fact, counts_without_naming, lists_members


def asked(question: str) -> AskedFact:
    """The fact ``question`` asks for; every question here asks for one."""
    fact = asked_fact(question)
    assert fact is not None, question
    return fact


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("巡视反馈后多久报送整改情况？", "duration"),
        ("门禁系统访问日志多久核查一次？", "frequency"),
        ("党组会议多长时间召开一次？", "frequency"),
        ("这份通报是哪天印发的？", "date"),
        ("挂账的钱一共有多少？", "quantity"),
        ("收受礼金累计达到多少元应当开除党籍？", "money"),
        ("党内纪律处分分为几种？", "count"),
        ("领导小组的组长是谁？", "person"),
        ("问题线索移交给哪个部门？", "body"),
        ("试点在哪些省份开展？", "name"),
        ("回信对象是哪所大学的师范生？", "name"),
        ("调研组是哪位副书记带队？", "name"),
        # 哪一位, 哪一家 say 哪位, 哪家 in full
        ("调研组是哪一位副书记带队？", "name"),
        ("追讨工程款的是集团下属哪一家业主公司？", "name"),
        ("这项工作由哪一位同志负责？", "person"),
        ("接待标准由谁来定？", "agent"),
        ("南开 国家自然科学基金 经费总额", "money"),
        ("教师编制 跨县调整 名额", "quantity"),
        ("教科书 循环使用 年限", "duration"),
        ("保密工作是怎么整改的？", None),
    ],
)
def test_question_words_say_what_is_asked(question: str, kind: str | None) -> None:
    fact = asked_fact(question)
    assert (fact.kind if fact else None) == kind


def test_a_redacted_value_is_not_a_stated_value() -> None:
    amount = asked_fact("经费一共多少万元？")
    assert amount is not None
    assert amount.stated_in("教育经费达12.5亿元") and not amount.stated_in("教育经费达*.*亿元")
    when = asked_fact("是哪天进驻的？")
    assert when is not None and when.stated_in("2021年5月8日进驻") and not when.stated_in("*年*月*日进驻")
    when_at_all = asked_fact("什么时候公开？")
    assert when_at_all is not None and when_at_all.stated_in("应当在一个月内公开")  # answered by a time limit too


def test_a_count_is_stated_by_a_number_or_by_enumerated_items() -> None:
    count = asked_fact("政务处分一共有几种？")
    assert count is not None
    assert count.stated_in("政务处分的种类为：（一）警告；（二）记过；")
    assert count.stated_in("共有六种")
    assert not count.stated_in("依法给予政务处分")
    assert count.stated_in("分为两部分")


def test_an_adverb_made_of_a_numeral_counts_nothing() -> None:
    # 十分 (very), 百分之 and 三方 hold a numeral and the first character of 方面 or 部分, and count no items
    count = asked_fact("政务处分一共有几种？")
    assert count is not None
    for text in ("局党组十分重视政务处分工作", "占百分之四", "签订三方协议"):
        assert not count.stated_in(text)


def test_how_often_is_stated_by_a_frequency_not_by_a_deadline() -> None:
    often = asked_fact("访问日志多久核查一次？")
    assert often is not None
    assert often.stated_in("建立访问日志每周核查制度") and often.stated_in("每季度至少召开一次")
    assert often.stated_in("口令一年两次更换") and often.stated_in("按月通报")
    assert not often.stated_in("于2026年3月15日前完成口令更换")  # a deadline says when, not how often
    assert not often.stated_in("制定工作餐开支标准，并定期进行调整")  # it recurs, but how often is left open


def test_which_place_in_a_series_is_answered_by_an_ordinal() -> None:
    """"第几届" asks which one of a series: 第三届 answers it, 3届 (how many were held) does not, 第*届 withholds it."""
    which = asked_fact("学校办的诗词讲解大赛，这次是第几届？")
    assert which is not None and (which.kind, which.measure) == ("ordinal", "届")
    assert which.stated_in("举办第三届“迦陵杯·诗教中国”诗词讲解大赛") and not which.stated_in("已举办3届大赛")
    assert which.withheld_in("举办第*届诗词讲解大赛")
    place = asked_fact("南开的国家社科基金立项数在全国高校排第几？")  # no measure word: any ordinal answers
    assert place is not None and place.kind == "ordinal" and place.stated_in("位居全国高校第五")


def test_an_ordinal_numbers_one_thing_and_states_no_quantity_or_count() -> None:
    """"第二十五条" is the article's number: an article that gives no figure does not answer "多少"."""
    how_much = asked_fact("中小学老师的教龄津贴每个月能拿多少？")
    how_many = asked_fact("教师法规定教师享有哪几项权利？")
    assert how_much is not None and how_many is not None
    for fact in (how_much, how_many):
        assert not fact.stated_in("第二十五条 中小学教师和职业学校教师享受教龄津贴和其他津贴")
        assert not fact.stated_in("第三次会议审议通过")
    assert how_much.stated_in("共修缮12项") and how_many.stated_in("教师享有下列3项权利")


def test_a_plain_how_many_is_answered_by_any_written_figure() -> None:
    """Millions of people and a share are figures too ("超过1170万人", "90%以上")."""
    how_many = asked("预计当年高校毕业生有多少？")
    assert how_many.kind == "quantity"
    assert how_many.stated_in("预计今年高校毕业生超过1170万人") and how_many.stated_in("提高到90%以上")
    assert not how_many.stated_in("高校毕业生就业工作")


def test_a_quantity_asked_in_a_measure_word_is_stated_in_that_measure() -> None:
    """"问责了多少人" is not answered by "一届任期内": the figure must count what was asked about."""
    people, rounds = asked("学校纪委问责了多少人？"), asked("中央巡视一年几轮？")
    area = asked("办公用房的面积标准是多少平方米？")
    assert people.stated_in("共问责处级干部3名") and people.stated_in("问责12人")
    assert not people.stated_in("整改项目12项")
    assert rounds.stated_in("每年开展两轮巡视") and not rounds.stated_in("一届任期内全面巡视")
    assert area.stated_in("不超过18平方米") and not area.stated_in("围墙18米")


def test_times_are_counted_in_ci_hui_or_bian_alike() -> None:
    """"摘编过几回" is answered by "12次被…摘编"; a redacted "*次" withholds it."""
    times = asked("经验被简报摘编过几回？")
    assert times.stated_in("相关工作典型经验12次被简报摘编") and times.stated_in("摘编3回")
    assert not times.stated_in("典型经验被简报摘编") and times.withheld_in("先后*次被简报摘编")


def test_the_general_measure_word_fits_any_figure() -> None:
    left = asked("还剩几个项目没整改完？")
    assert left.stated_in("尚有3项未完成") and left.stated_in("尚有3个项目未完成")


def test_how_many_of_a_kind_of_thing_is_answered_by_naming_them() -> None:
    """几个阶段 asks a count, which the 教育法 answers by naming the stages, not by a figure; 几个月 and 几个人 stay
    amounts."""
    stages = asked("教育法 学校教育制度 分几个阶段")
    assert stages.kind == "count"
    assert stages.stated_in("国家实行学前教育、初等教育、中等教育、高等教育的学校教育制度")
    assert not stages.stated_in("国家实行学校教育制度")
    assert asked("审查期限是几个月？").kind == "duration" and asked("有几个人参加？").kind == "quantity"


@pytest.mark.parametrize("question", ["每天锻炼不少于几小时？", "会议开多少分钟？", "要提前多少天申请？", "学习几周？"])
def test_how_many_hours_days_or_weeks_asks_for_a_duration(question: str) -> None:
    assert asked(question).kind == "duration"


def test_which_day_is_stated_by_a_day_not_by_a_year() -> None:
    """"哪天召开" is not answered by "2021年召开", nor by a redacted "*月*日"; "什么时候" is answered by either."""
    day, month, when = asked("人才工作会议是哪天召开的？"), asked("是几月印发的？"), asked("什么时候公开？")
    assert day.stated_in("2021年5月8日召开") and day.stated_in("5月8号召开")
    assert not day.stated_in("2021年召开") and not day.stated_in("*月*日至*日")
    assert month.stated_in("2021年5月印发") and month.stated_in("5月*日印发") and not month.stated_in("2021年印发")
    assert not month.stated_in("*月*日印发") and not month.stated_in("三个月内印发")
    assert when.stated_in("2021年召开") and when.stated_in("反馈后一个月内")


def test_which_day_of_the_week_is_stated_by_a_weekday() -> None:
    """"每周哪一天学习" is answered by "每周周四开展集中学习"."""
    weekday = asked("集中理论学习规定每周哪一天？")
    assert weekday.stated_in("坚持机关干部职工理论学习每周周四开展集中学习") and weekday.stated_in("每星期一召开")
    assert not weekday.stated_in("坚持每周开展集中学习")


def test_which_level_asks_for_a_body() -> None:
    assert asked("年度任务安排要报哪一级党组织备案？").kind == "body"


def test_three_things_named_in_a_row_state_a_count() -> None:
    """"统筹党风廉政建设、意识形态工作、基层党建工作等方面考核" answers "统筹哪几方面"; two do not make a list."""
    count = asked("考核要统筹哪几方面？")
    assert count.kind == "count"
    assert count.stated_in("统筹党风廉政建设、意识形态工作、基层党建工作等方面考核")
    assert not count.stated_in("统筹党风廉政建设和意识形态工作")


def test_which_n_members_of_a_named_set_asks_for_them_by_name() -> None:
    """"是哪三项制度" is answered by the three named, not by the sentence that only says there are three; "哪两天"
    asks for days, not members."""
    members = asked("文件说的“三项制度”具体是哪三项？")
    assert members.kind == "members"
    assert members.stated_in("建立健全请示报告、督查督办、考核评价三项制度")
    assert not members.stated_in("严格落实“三项制度”，推动工作落地")
    two_days = asked_fact("是哪两天召开的？")
    assert two_days is None or two_days.kind != "members"


def test_asking_what_each_of_a_known_group_is_asks_for_its_members() -> None:
    """分别是什么, 各是什么, 具体名称: the group is known by its count (三个清单, 44项规章制度); naming them answers."""
    for question in ("南开 全面从严治党责任 三个清单 分别是什么", "新制定的44项规章制度，具体名称分别是什么？", "反馈了几个方面的问题？各是什么？"):
        assert asked(question).kind == "members", question
    assert asked("持续推动“三个清单”，三个清单分别是哪些？").stated_in("建立问题清单、任务清单、责任清单")
    assert not asked("三个清单分别是什么").stated_in("持续推动全面从严治党责任“三个清单”落地落细")
    assert asked("2021年和2022年的GDP目标分别是多少？").kind != "members"  # a figure for each


def test_asking_what_a_named_thing_holds_asks_for_its_members() -> None:
    """具体是哪些, 具体包括什么, 完整名单, 具体内容: the thing is known by its name (16项定量指标, 负面工作清单) and
    what it holds is asked; a sentence that only names it does not answer, one that lists its items does."""
    for question in ("没完成的那16项定量指标，具体是哪些指标？", "负面工作清单具体列了哪些不许做的事？",
                     "南开 13个校企联合研发平台 完整名单", "南开 六个过硬 具体内容", "这些特定事项具体包括哪些？"):
        assert asked(question).kind == "members", question
    fact = asked("招投标自查具体涉及哪些领域？")
    assert fact.stated_in("深入开展物业管理、校园绿化、信息化建设等招投标工作自查")
    assert not fact.stated_in("深入开展招投标工作自查")
    assert asked("整改具体是什么时候完成的？").kind == "date"  # 什么时候 asks a date, not members


def test_which_one_of_a_class_is_stated_by_a_name_of_that_class() -> None:
    school = asked("回信对象是哪所大学的师范生？")
    assert school.stated_in("习近平总书记给北京师范大学“优师计划”师范生回信")
    assert not school.stated_in("总书记给“优师计划”师范生回信，勉励他们做大先生")  # the class named, no member
    province = asked("高等教育综合改革试点在哪些省份开展？")
    assert province.stated_in("在河北省、天津市开展高等教育综合改革试点")
    assert not province.stated_in("*州教育局党组开展综合改革试点")  # a redacted place names none
    person = asked("调研组是哪位副书记带队？")
    assert person.stated_in("由王建国副书记带队")
    assert not person.stated_in("由州委副书记带队")  # the post, not which of its holders


def test_who_holds_a_post_may_be_answered_by_a_post() -> None:
    assert asked("领导小组的组长是谁？").stated_in("局党组书记任组长")


def test_a_keyword_question_asks_for_the_value_its_noun_names() -> None:
    assert asked_fact("内部审计 整改") is None  # no value noun: a topic, not a figure
    ratio = asked("转移支付预计数 提前下达 比例")  # a bare 比例, as 占比, asks a ratio
    assert ratio.kind == "percent" and ratio.stated_in("提前下达的比例为70%") and not ratio.stated_in("提前下达下级政府")
    headcount = asked("强基计划 招生人数")
    assert headcount.stated_in("招生6000人") and not headcount.stated_in("招生*人")


def test_a_value_written_as_a_star_is_withheld() -> None:
    """The bureau's report keeps its figures and names but writes them as *: the document has the value and
    withholds it, which is different from not stating one."""
    assert asked("巡察组反馈的问题一共多少条？").withheld_in("反馈我局四个方面*条问题全部完成整改")
    assert asked("经费一共多少万元？").withheld_in("共计*.*万元")
    assert asked("是哪天进驻的？").withheld_in("*年*月*日进驻")
    assert asked("调研组是哪位副书记带队？").withheld_in("由州委*副书记带队")
    assert asked("回信对象是哪所大学的师范生？").withheld_in("给*大学“优师计划”师范生回信")
    assert not asked("经费一共多少万元？").withheld_in("共计12.5万元")
    assert not asked("一共召开了几次会议？").withheld_in("**一是**召开专题会议")  # Markdown bold, not a redaction
    assert not asked("问题移交给哪个部门？").withheld_in("移交*州纪委")  # a withheld place is not a withheld body


def test_a_count_is_withheld_only_in_the_unit_it_is_asked_in() -> None:
    # the bureau report lists its four 方面 and redacts only how many 问题: the 方面 can still be counted
    assert not asked("反馈的问题一共分成几个方面？").withheld_in("反馈我局四个方面*条问题全部完成整改")
    assert asked("反馈的问题一共分成几个方面？").withheld_in("反馈我局*个方面的问题")
    assert asked("一共反馈了多少条问题？").withheld_in("反馈我局四个方面*条问题全部完成整改")


def test_items_of_a_list_are_counted_in_xiang_or_tiao_alike() -> None:
    """"多少项措施" is withheld by "*条整改措施" and given by "12条"; how many 方面 is another count."""
    measures = asked("一共有多少项整改措施？")
    assert measures.withheld_in("细化梳理的*条整改措施已全部落实")
    assert measures.gives_value_in("细化梳理的12条整改措施") and measures.gives_value_in("制定整改措施12项")
    assert not measures.gives_value_in("反馈的四个方面问题") and not measures.gives_value_in("三是落实整改措施")
    assert measures.stated_in("反馈的四个方面问题")  # what the models read: any count (kept as trained)


def test_these_few_points_at_things_named_and_asks_nothing() -> None:
    """这几项, 那几家 are "these few", a determiner; 几项 alone asks how many."""
    assert asked_fact("南开那几家国家级智库，这一年都做了什么？") is None
    assert asked_fact("这几项措施落实了吗？") is None
    assert asked("整改措施一共有几项？").kind == "count"


def test_a_few_in_a_yes_no_question_asks_no_count() -> None:
    """Under 吗 or an A-not-A form a bare 几 means "a few"; 哪几 and a 几 of another sentence still ask."""
    assert asked_fact("单位几个处级干部张罗了个老乡会，隔三岔五拉大家聚一聚，党纪上有说法吗？") is None
    assert asked_fact("局里准备把几台淘汰下来的设备跟别的单位置换，按规定事先要不要做资产评估？") is None
    assert asked("南开搞党史学习教育的经验，被上面的简报摘编过几回？") == AskedFact("quantity", "回")
    assert asked("一共列了几类？是不是都要问责？").kind == "count"
    assert asked("监察机关能查哪几类人吗？").kind == "count"


def test_a_yes_no_question_asks_for_no_value_its_nouns_name() -> None:
    """A yes/no sentence without a question word asks whether: 比例 or 期限 in it is its topic, not the value wanted."""
    assert asked_fact("在中小学教了一辈子书的老师，退休金比例能不能往上提一提？") is None
    assert asked_fact("涉密文件的保密期限到了，是不是还得专门走个解密审批？") is None
    assert asked("退休金比例是多少？能不能提？").kind == "percent"
    assert asked("国有资产管理条例有时限吗？那份报告里积压了多少个？").kind == "quantity"


def test_who_acts_is_answered_by_a_post_or_a_body() -> None:
    """由谁, 谁来 ask who acts, in these texts most often an organ; 是谁 asks for a person."""
    agent = asked("具体办法由谁制定？")
    assert agent.kind == "agent"
    assert agent.stated_in("具体办法由地方各级人民政府根据本地区的实际情况规定")
    assert agent.stated_in("由局党组书记担任组长")
    assert not agent.stated_in("具体办法另行规定")
    person = asked("领导小组的组长是谁？")
    assert not person.stated_in("办公室设在局机关")


def test_a_body_is_stated_by_the_name_of_an_office_or_section() -> None:
    """"由哪个机关印发" is answered by 中共中央办公厅; "从哪些单位抽人" by 各科室 and 学校工作部."""
    body = asked("这份意见是由哪个机关印发的？")
    assert body.kind == "body"
    assert body.stated_in("中共中央办公厅印发了这份意见")
    assert body.stated_in("抽调局属各科室工作人员和团州委学校工作部负责同志")
    assert not body.stated_in("这份意见近日印发")


@pytest.mark.parametrize(("question", "measure"), [("一共处置了几起舆情？", "起"), ("最多能安排几辆车？", "辆"),
                                                   ("一共学了几回？", "回"), ("这批书征订了几册？", "册")])
def test_how_many_in_any_measure_word_asks_a_quantity_in_it(question: str, measure: str) -> None:
    fact = asked(question)
    assert (fact.kind, fact.measure) == ("quantity", measure)
    assert fact.stated_in(f"共3{measure}") and not fact.stated_in(f"共*{measure}")


def test_how_high_asks_for_a_figure() -> None:
    assert asked("资产价值多高以上要做评估？").kind == "quantity"


def test_things_counted_and_not_named_leave_which_they_are_unsaid() -> None:
    """南开's report says 4门思政课 went online and never names them: it answers how many, not which."""
    assert counts_without_naming("4门思政课在中国大学慕课平台上线，选课人数达24.4万人次")
    assert counts_without_naming("对16项未完成定量指标逐项研判")
    # named in a row or enumerated: which they are is said
    assert not counts_without_naming("开设马克思主义基本原理、中国近现代史纲要、思想道德与法治等4门课")
    assert lists_members("一是召开专题会议；二是制定整改方案")
    # a year, an amount or a share counts no things
    assert not counts_without_naming("2021年完成结算，涉及资金630万元，占比80%")
