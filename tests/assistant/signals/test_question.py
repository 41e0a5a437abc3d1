"""What a question asks: content words by part of speech, their weights, the question's form, follow-ups."""

from __future__ import annotations

from assistant.signals.question import (
    analyse,
    asked_parts,
    follow_up,
    is_followup,
    named_documents,
    standalone_question,
)

IDF = {"财务管理": 5.8, "财务": 3.5, "管理": 1.4, "安全": 2.5, "学校": 2.0, "保密": 3.3, "承诺书": 6.0, "保密承诺书": 7.0,
       "警示": 5.3, "教育": 1.3}


def idf(term: str) -> float:
    """Terms not listed are words the corpus uses (4.0); a word it never uses weighs the most (9.0)."""
    return IDF.get(term, 9.0 if term == "\x00" else 4.0)


def test_pointing_words_and_the_questions_form_are_not_its_topic() -> None:
    q = analyse("学校安全这块有什么整改措施？", idf)
    assert {t.text for t in q.terms} == {"学校", "安全"}  # 这块 points, 有什么整改措施 is the form
    assert q.asks_measures and not q.asks_rules
    assert [t.text for t in q.key_terms] == ["安全"]


def test_the_words_that_ask_for_a_fact_are_not_its_topic() -> None:
    """"什么时候", "哪个部门" say a date or a body is wanted; the documents answer with the date or the body."""
    when = analyse("巡视整改情况什么时候公开？", idf)
    assert "时候" not in {t.text for t in when.terms} and when.fact is not None and when.fact.kind == "date"
    body = analyse("问题线索移交给哪个部门？", idf)
    assert "部门" not in {t.text for t in body.terms} and {"线索", "移交"} <= {t.text for t in body.terms}


def test_the_frame_around_a_count_is_not_its_topic() -> None:
    """"这一共是几个方面" asks a count; 一共 frames it, as in "一共有多少项"."""
    q = analyse("南开说整改要在“人、事、因、制”上集中发力，这一共是几个方面？", idf)
    assert "一共" not in {t.text for t in q.terms} and q.asks_count
    # with a verb between it and the count (jieba tags 一共 an abbreviation, a noun, there)
    levels = analyse("那从层级上看，国家一共设了几级预算？", idf)
    assert "一共" not in {t.text for t in levels.terms} and "层级" in {t.text for t in levels.terms}


def test_the_class_a_count_closes_on_is_not_its_topic() -> None:
    """"分几个阶段？": the answer names the stages (学前教育、初等教育…), and need not say 阶段. A class the count
    does not close on is still the topic (几个研究机构参与了…)."""
    stages = analyse("教育法 学校教育制度 分几个阶段", idf)
    assert "阶段" not in {t.text for t in stages.terms} and "制度" in {t.text for t in stages.terms}
    assert "情形" not in {t.text for t in analyse("政府采购法一共列了几种情形？", idf).terms}
    assert "机构" in {t.text for t in analyse("有几个研究机构参与了建设？", idf).terms}


def test_the_clause_saying_when_is_not_the_topic() -> None:
    """"查账的时候" says when the rule applies; jieba tags 时候 a noun, and no document writes it."""
    q = analyse("审计机关查账的时候，可以请哪些部门来协助？", idf)
    assert "时候" not in {t.text for t in q.terms} and "查账" in {t.text for t in q.terms}


def test_a_word_that_holds_a_question_word_asks_and_names_nothing() -> None:
    """jieba keeps 由谁来, 怎么办 and 有没有 whole; the documents never write them, so counting them as
    missing would refuse a plain question."""
    who = analyse("会计人员调岗离职办交接，由谁来监交？", idf)
    assert "由谁来" not in {t.text for t in who.terms} and {"监交", "交接"} <= {t.text for t in who.terms}
    how = analyse("学生对学校给的处分不服，按教育法可以怎么办？", idf)
    assert "怎么办" not in {t.text for t in how.terms} and "不服" in {t.text for t in how.terms}
    whether = analyse("局党组有没有专门听过整改进展的汇报？", idf)
    assert "有没有" not in {t.text for t in whether.terms} and "汇报" in {t.text for t in whether.terms}


def test_a_word_cut_across_a_question_word_names_nothing() -> None:
    """jieba cuts 哪天开的 as 哪 / 天开 / 的 and 多长时间内要 as 多长时间 / 内要: the pieces left over belong to the
    question word, and as rare "terms" no document holds they would refuse the question."""
    day = analyse("警示教育大会是哪天开的？", idf)
    assert "天开" not in {t.text for t in day.terms} and {"警示", "大会"} <= {t.text for t in day.terms}
    within = analyse("采取留置以后，多长时间内要通知单位和家属？", idf)
    assert "内要" not in {t.text for t in within.terms} and {"留置", "家属"} <= {t.text for t in within.terms}
    assert within.fact is not None and within.fact.kind == "duration"


def test_a_compound_weighs_no_more_than_its_rarest_part() -> None:
    q = analyse("哪些整改措施涉及财务管理？", idf)
    weights = {t.text: t.weight for t in q.terms}
    assert weights["财务管理"] == weights["财务"] == 3.5  # not the 5.8 of the whole word's rarity
    assert q.asks_list and {t.text for t in q.key_terms} == {"财务管理", "财务"}


def test_a_text_about_the_topic_names_its_noun_and_every_rarer_word() -> None:
    # jieba splits 警示教育 into the verb 警示 and the noun 教育: the noun is the topic, the rarer verb must come too
    q = analyse("警示教育这块做了哪些工作？", idf)
    assert {t.text for t in q.key_terms} == {"教育"}
    assert q.names_topic_fully("深化警示教育工作，组织观看警示教育片")
    assert q.key_coverage("抓好教师思政工作，完善教育体系") and not q.names_topic_fully("抓好教师思政工作，完善教育体系")
    # the topic noun as the question's rarest word: naming it is enough (严守财务工作纪律 is about 财务管理)
    finance = analyse("哪些整改措施涉及财务管理？", idf)
    assert finance.names_topic_fully("严守财务工作纪律") and not finance.names_topic_fully("加强预算管理")


def test_words_that_say_what_a_question_is_about_are_not_its_topic() -> None:
    """"涉及", "有关", "针对" frame the topic: a small library that never says 涉及 still answers the question."""
    assert {t.text for t in analyse("哪些整改措施涉及财务管理？", idf).terms} == {"财务管理", "财务", "管理"}
    assert not {"有关", "涉及", "针对"} & {t.text for t in analyse("针对保密工作有关问题", idf).terms}


def test_asking_how_the_documents_word_a_thing_is_not_its_topic() -> None:
    """表述, 提法, 有什么变化, 历年 ask for the documents' own sentences over time; no sentence calls itself a 提法,
    and 历年 (over the years) was the rarest noun, so it stood as the topic of every such question."""
    corpus = {"政府": 0.4, "报告": 0.9, "民办教育": 5.5, "民办": 5.5, "历年": 7.1}
    q = analyse("历年政府工作报告对民办教育的提法前后有什么变化？", lambda t: corpus.get(t, 4.0))
    assert not {"历年", "提法", "变化"} & {t.text for t in q.terms}
    assert {t.text for t in q.key_terms} == {"民办教育", "民办"} and q.asks_comparison
    assert not {"表述"} & {t.text for t in analyse("纪律处分条例对“四种形态”是怎么表述的？", idf).terms}


def test_spoken_grammar_names_nothing() -> None:
    """下来 (反馈下来以后), 出来 (拿出来), 没有 (改了没有), 现在 and 当年 point or glue, like 这次 and 局里."""
    terms = {t.text for t in analyse("巡察意见反馈下来以后，局里现在改了没有？", idf).terms}
    assert "巡察" in terms and not {"下来", "现在", "没有"} & terms
    assert not {"出来", "当年", "能否"} & {t.text for t in analyse("当年的大型仪器设备能否拿出来共享？", idf).terms}


def test_a_word_in_latin_letters_names_a_thing_in_the_case_texts_write_it() -> None:
    """GDP, APEC, MOOC: jieba tags them ``eng``; they are often the question's topic, not noise."""
    q = analyse("APEC研究中心发布了什么报告？", idf)
    assert "APEC" in {t.text for t in q.terms} and [t.text for t in q.key_terms] == ["APEC"]
    assert q.coverage("APEC研究中心连续发布报告") > q.coverage("研究中心连续发布报告")


def test_a_year_says_which_time_the_question_is_about() -> None:
    """教育局2023年的财政预算: a text about another year's budget does not answer it."""
    q = analyse("教育局2023年的财政预算总额是多少？", idf)
    assert "2023年" in {t.text for t in q.terms} and "2023" not in {t.text for t in q.terms}
    assert q.coverage("2023年教育局财政预算") > q.coverage("2022年教育局财政预算")
    # a four-digit number that is not followed by 年 is a quantity, not a year
    assert not {"2000", "2000年"} & {t.text for t in analyse("全州2000多名教师签了承诺书", idf).terms}


def test_coverage_is_the_share_of_term_weight_found() -> None:
    q = analyse("保密承诺书签了吗", idf)
    assert q.coverage("组织干部职工签订保密承诺书") > q.coverage("开展保密自查") > 0
    assert q.coverage("修订财务管理制度") == 0.0


def test_a_count_and_a_comparison_are_forms_too() -> None:
    assert analyse("党内纪律处分分为几种？", idf).asks_count
    # any classifier counts: 几级, 几届, 几门 ask how many as 几种 does
    assert all(analyse(f"国家秘密的密级分{c}？", idf).asks_count for c in ("几级", "多少届", "几门", "几场", "几期"))
    # and so does a noun a report counts its parts with, the same list the answer states a count in
    assert all(analyse(f"考核要统筹哪{c}？", idf).asks_count for c in ("几方面", "几部分"))
    # things listed are also counted in 部, 块, 道, 点, and with 大 between; 几点 of the clock counts nothing
    assert all(analyse(f"一共分了{c}？", idf).asks_count for c in ("几部", "几大块", "几道", "几点", "几大类"))
    assert not analyse("游戏公司几点到几点不能给未成年人提供服务？", idf).asks_count
    assert analyse("教育局和南开大学各自是怎么召开民主生活会的？", idf).asks_comparison


def test_a_follow_up_leans_on_the_question_before_it() -> None:
    history = ["问责条例规定的对党组织的问责方式有哪些？"]
    assert is_followup("那对党的领导干部个人呢？") and not is_followup("预算由哪几部分组成？")
    assert follow_up("那对党的领导干部个人呢？", history) == ("对党的领导干部个人", history[0])
    assert standalone_question("预算由哪几部分组成？", history) == "预算由哪几部分组成？"
    q = analyse("那对党的领导干部个人呢？", idf, history)
    weights = {t.text: t.weight for t in q.terms}
    assert weights["干部"] > weights["党组织"]  # the earlier question counts at half weight


def test_an_elliptical_follow_up_puts_its_topic_in_the_place_of_the_earlier_one() -> None:
    """"那选人用人方面呢？" after "哪些措施涉及财务管理？" asks for 选人用人 measures: 财务管理 is no longer asked
    about, so a passage on 选人用人 lacks nothing. A follow-up that asks its own question keeps the earlier
    topic as context."""
    earlier = ["哪些措施涉及财务管理？"]
    switched = {t.text for t in analyse("那选人用人方面呢？", idf, earlier).terms}
    assert "选人" in switched and not switched & {"财务管理", "财务"}
    own = {t.text for t in analyse("那选人用人方面又采取了哪些措施？", idf, earlier).terms}
    assert {"选人", "财务管理"} <= own


def test_a_quoted_name_the_tokenizer_cuts_to_pieces_is_one_term() -> None:
    """“双减” is cut 双 / 减, two characters that alone name nothing: read so, "那“双减”呢？" after a question on
    高考综合改革 named no topic of its own, so nothing took the earlier topic's place and it was answered on
    高考. A quoted name cut into words of its own (“四种形态”: 四种 / 形态) is read through those words, as the
    documents' text is."""
    assert {t.text for t in analyse("那“双减”呢？", idf).terms} == {"双减"}
    switched = analyse("那“双减”呢？", idf, ["局里在高考综合改革上都做了哪些工作？"])
    assert [t.text for t in switched.key_terms] == ["双减"]
    assert "回头看" in {t.text for t in analyse("巡视“回头看”多久开展一次？", idf).terms}
    assert "四种形态" not in {t.text for t in analyse("“四种形态”是怎么表述的？", idf).terms}


def test_a_follow_up_knows_which_words_are_its_own() -> None:
    """What a follow-up adds is what it asks now: a text that holds the earlier question's words and not the
    follow-up's (县属) does not answer it. A question alone has no words of its own apart from itself."""
    q = analyse("那县属学校呢？", idf, ["局里对州属学校往来款项的内部审计是怎么开展的？"])
    assert q.own == {"县属", "学校"}
    assert q.own_missing("州属学校往来款项内部审计") == 4.0 / 6.0  # 学校 (2.0) found, 县属 (4.0) not
    assert q.own_missing("县属学校往来款项") == 0.0
    alone = analyse("县属学校的往来款项怎么审计？", idf)
    assert alone.own == frozenset() and alone.own_missing("州属学校") == 0.0


def test_an_elliptical_follow_up_asks_what_the_earlier_question_asked() -> None:
    """"那记大过呢？" after "警告的处分期多长？" still asks for a period; a follow-up that asks its own question
    ("那慕课平台上的情况怎么样？" after "…各有多少？") does not inherit the earlier question's figure."""
    earlier = "警告处分的处分期多长？"
    same = analyse("那记大过呢？", idf, [earlier])
    assert same.fact is not None and same.fact.kind == "duration"
    own = analyse("那思政课放到慕课平台上的情况怎么样？", idf, ["校领导听思政课、讲思政课各有多少？"])
    assert own.fact is None
    # the spoken 多大 and 啥 ask as 多少 and 什么 do
    for question in ("那展览的规模有多大？", "那展览主要看的啥？"):
        asked = analyse(question, idf, [earlier]).fact
        assert asked is None or asked.kind != "duration"


def test_a_place_named_by_pointing_is_not_a_topic() -> None:
    """局里/校里 point at the staff's own unit as 这里 does; no document calls the bureau 局里, so as a
    required term it would refuse every question a clerk asks that way."""
    q = analyse("局里这次在安全方面做了哪些整改？", idf)
    assert {t.text for t in q.terms} == {"安全"}
    # 咱们学校 points the same way; a school named as a topic (学校安全) stays one
    assert {t.text for t in analyse("咱们学校在安全方面做了哪些整改？", idf).terms} == {"安全"}
    assert "学校" in {t.text for t in analyse("学校安全方面做了哪些整改？", idf).terms}


def test_our_unit_points_at_the_documents_that_kind_of_unit_issues() -> None:
    """局里 is a bureau's own word for itself, 咱们学校 a school's: the question is about the documents such a unit
    issues (a title naming a 局, or a 大学/学院/学校), which the relevance model may weigh; a law is neither."""
    bureau = analyse("局里这次在安全方面做了哪些整改？", idf)
    school = analyse("咱们学校的巡视整改，选人用人方面是怎么做的？", idf)
    plain = analyse("巡视整改情况要不要公开？", idf)
    assert (bureau.our_unit, school.our_unit, plain.our_unit) == ("局", "校", "")
    assert bureau.names_our_unit("教育局党组关于巡察组巡察反馈问题整改情况的通报")
    assert not bureau.names_our_unit("中共南开大学委员会关于十九届中央第七轮巡视整改进展情况的通报")
    assert school.names_our_unit("中共南开大学委员会关于十九届中央第七轮巡视整改进展情况的通报")
    assert not school.names_our_unit("中华人民共和国教育法")
    assert not plain.names_our_unit("教育局党组关于巡察组巡察反馈问题整改情况的通报")


NAMED_LIBRARY = (
    "《中央八项规定实施细则》", "党政机关国内公务接待管理规定", "中华人民共和国教育法", "中华人民共和国会计法",
    "2021年国务院政府工作报告", "2022年国务院政府工作报告", "2024年国务院政府工作报告",
    "教育局党组关于巡察组巡察反馈问题整改情况的通报", "中共南开大学委员会关于十九届中央第七轮巡视整改进展情况的通报",
)


def test_a_question_names_the_documents_it_calls_by_name() -> None:
    """《中央八项规定实施细则》 named in full, a year and a report's kind (2022年的政府工作报告), a short name (会计法) or
    局里 say which documents the question is about; the relevance model weighs it."""
    both = analyse("《中央八项规定实施细则》和《党政机关国内公务接待管理规定》分别规定了哪些单位参照执行？", idf, (), NAMED_LIBRARY)
    assert both.names_document("《中央八项规定实施细则》") == 1.0
    assert both.names_document("党政机关国内公务接待管理规定") == 1.0
    assert both.names_document("中华人民共和国教育法") == 0.0
    years = analyse("2022年和2024年的政府工作报告，各自预计当年高校毕业生有多少？", idf, (), NAMED_LIBRARY)
    assert years.names_document("2022年国务院政府工作报告") == years.names_document("2024年国务院政府工作报告") == 1.0
    assert years.names_document("2021年国务院政府工作报告") == 0.0
    ours = analyse("局里建了内部审计制度，会计法对单位的内部审计有什么要求？", idf, (), NAMED_LIBRARY)
    assert [sorted(titles) for titles in ours.named] == [
        ["中华人民共和国会计法"], ["教育局党组关于巡察组巡察反馈问题整改情况的通报"],
    ]


def test_a_follow_up_naming_no_document_names_the_earlier_questions() -> None:
    follow_up = analyse("那高校毕业生呢？", idf, ("2022年的政府工作报告讲了就业吗？",), NAMED_LIBRARY)
    assert follow_up.names_document("2022年国务院政府工作报告") == 1.0
    switched = analyse("那2024年的报告呢？", idf, ("2022年的政府工作报告讲了就业吗？",), NAMED_LIBRARY)
    assert [sorted(titles) for titles in switched.named] == [["2024年国务院政府工作报告"]]


def test_a_school_in_a_sentence_is_not_our_school() -> None:
    """学校里 is any school's inside; 校里 alone is the staff's own."""
    assert analyse("学校里的管理人员，教育法规定实行什么制度？", idf).our_unit == ""
    assert analyse("校里今年开了几次警示教育会？", idf).our_unit == "校"


LIBRARY = ("中央八项规定实施细则", "党政机关国内公务接待管理规定", "中华人民共和国审计法", "教育局党组关于巡察组巡察反馈问题整改情况的通报")


def test_a_question_can_name_a_document_the_library_does_not_hold() -> None:
    """A title in 《》 or a name ending in a kind of document (…管理办法, …实施方案) names a document; when no title of
    the library holds half its words, what it provides is not here to quote. 规定 alone is a verb too."""
    assert named_documents("按照《中央八项规定实施细则》，出访有哪些规定？") == ["中央八项规定实施细则"]
    assert named_documents("依据的那个临时聘用人员管理办法，对工资标准是怎么规定的？") == ["临时聘用人员管理办法"]
    assert named_documents("法律规定多长时间查一次？巡视组能用哪些办法？") == []
    assert analyse("咱们局的《内控制度》对报销审批是怎么规定的？", idf, titles=LIBRARY).unheld == ("内控制度",)
    assert analyse("临时聘用人员管理办法对工资标准是怎么规定的？", idf, titles=LIBRARY).unheld == ("临时聘用人员管理办法",)
    assert analyse("八项规定实施细则对会议住宿费是怎么规定的？", idf, titles=LIBRARY).unheld == ()
    assert analyse("《内控制度》是怎么规定的？", idf).unheld == ()  # no library to tell by


def test_a_word_jieba_made_up_and_nobody_uses_names_nothing() -> None:
    """jieba's HMM glues characters it cannot place into a word of neither its dictionary nor the documents
    (要守 = 要 + 守, 上能 = 上 + 能); as a term it would weigh the most and be missing everywhere, refusing a
    plain question. A word the documents use (问责) and a name nobody has seen (张明华) stay."""

    def corpus_idf(term: str) -> float:
        return {"问责": 4.2, "原则": 3.1, "条例": 1.7, "法律": 2.0, "学校": 2.0}.get(term, 7.5)  # 7.5: unseen

    rules = analyse("党的问责工作要守哪几条原则？", corpus_idf)
    # (原则 is the class the count closes on: test_the_class_a_count_closes_on_is_not_its_topic)
    assert "要守" not in {t.text for t in rules.terms} and "问责" in {t.text for t in rules.terms}
    fine = analyse("在学校里抽烟，法律上能罚多少？", corpus_idf)
    assert "上能" not in {t.text for t in fine.terms} and {"抽烟", "法律"} <= {t.text for t in fine.terms}
    person = analyse("张明华在教育局担任什么职务？", corpus_idf)
    assert "张明华" in {t.text for t in person.terms}


def test_a_message_can_ask_two_questions_in_turn() -> None:
    assert asked_parts("巡视整改情况为什么要公开？南开是怎么公开、接受监督的？") == [
        "巡视整改情况为什么要公开", "南开是怎么公开、接受监督的",
    ]
    assert asked_parts("问责条例规定的问责方式有哪些？") == ["问责条例规定的问责方式有哪些"]
    # a bare tag question (对吗？) is no question of its own
    assert asked_parts("巡视组进驻的时间是两个月？对吗？") == ["巡视组进驻的时间是两个月"]


def test_asking_for_the_members_one_by_one_is_its_own_form() -> None:
    """分别是哪几门, 具体是哪些, 哪五大: the answer must name each; 有哪些措施 a report answers measure by measure."""
    assert analyse("那上线的4门思政课分别是哪几门？", idf).asks_which
    assert analyse("没完成的那16项定量指标，具体是哪些指标？", idf).asks_which
    assert analyse("完善干部队伍建设“五大体系”，是哪五大体系？", idf).asks_which
    assert not analyse("局里采取了哪些整改措施？", idf).asks_which
    assert not analyse("南开分几个阶段推进？", idf).asks_which  # how many, not which
