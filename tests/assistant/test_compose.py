"""Items of an answer: whole units, never a bare heading or an instruction, one per unit and quote,
grouped by document with the reports first when measures are asked for, and counted."""

from __future__ import annotations

from dataclasses import replace

from assistant.compose import EXCERPT_CHARS, Item, blanked_excerpt, compose, distinct, item_of
from assistant.signals.question import analyse
from index.chunking import Chunk


def idf(_term: str) -> float:
    return 3.0


def unit(text: str, *, label: str = "五是", start: int = 0, doc: str = "通报", kind: str = "report") -> Chunk:
    return Chunk(doc_id=doc, doc=f"{doc}.txt", title=doc, kind=kind, section=f"一、 › {label}" if label else "一、",
                 label=label, start=start, end=start + len(text), text=text, page=None, titles=(), ordinal=start)


def quoted_whole(text: str, *, label: str = "五是", start: int = 0, relevance: float = 0.9) -> Item:
    """An item quoting its unit whole."""
    return Item(unit(text, label=label, start=start), text, relevance)


def test_a_measure_is_quoted_whole_and_a_fragment_is_not_an_item() -> None:
    q = analyse("哪些措施涉及财务管理？", idf)
    whole = unit("五是修订机关财务管理制度。清理往来款项挂账。")
    item = item_of(q, whole, 0.9)
    assert item is not None and item.quote == whole.text
    assert item_of(q, unit("一是修订公务接待审批单。", label="一是"), 0.9) is not None  # short, still a measure
    assert item_of(q, unit("一是加强。", label="一是"), 0.9) is None  # a fragment says nothing


def test_a_plain_paragraph_gives_its_sentences_about_the_question() -> None:
    q = analyse("财务管理制度修订了吗？", idf)
    paragraph = unit("会议由局长主持。会议研究修订财务管理制度，规范报账审批程序。散会。", label="")
    item = item_of(q, paragraph, 0.5)
    assert item is not None and item.quote == "会议研究修订财务管理制度，规范报账审批程序。"
    assert item_of(q, unit("中共南开大学委员会", label=""), 0.5) is None  # a signature line


def test_a_title_or_heading_standing_alone_is_not_what_the_passage_says() -> None:
    """A report's first passage opens with its title, which holds every topic word of the report: the item is
    the sentence after it, and a passage that is only a title or a heading gives no item."""
    q = analyse("教育局这次巡察整改一共有多少项措施？", idf)
    title = "教育局党组关于巡察组巡察反馈问题整改情况的通报"
    opening = f"{title}\n\n根据州委统一部署，州委第一巡察组对州教育局党组开展了常规巡察。"
    first = Chunk(doc_id="b", doc=f"{title}.txt", title=title, kind="report", section="（正文）", label="", start=0,
                  end=len(opening), text=opening, page=None, titles=(), ordinal=0)
    item = item_of(q, first, 0.9)
    assert item is not None and item.quote == "根据州委统一部署，州委第一巡察组对州教育局党组开展了常规巡察。"
    assert item_of(q, replace(first, text=title, end=len(title)), 0.9) is None
    heading = "二、坚持问题导向，确保反馈问题整改到位"
    assert item_of(q, replace(first, text=heading, section=heading), 0.9) is None


def test_an_answer_whose_items_blank_out_the_asked_value_says_so_first() -> None:
    q = analyse("巡察一共反馈了多少条问题？", idf)
    blanked = quoted_whole("三是目前反馈的四个方面*条问题全部整改到位。", label="三是")
    text, _ = compose(q, [blanked])
    assert text.startswith("原文未写明所问的数目，有关的数目以“*”隐去（见 [1]）。相关内容：")
    # an item that states a count answers it: nothing is said to be withheld
    stated = quoted_whole("一是巡察组反馈问题12条，已全部整改。", label="一是", start=100, relevance=0.8)
    text, _ = compose(q, [blanked, stated])
    assert "隐去" not in text


# A sentence of the bureau's report (二是 of its study measures), 251 characters, that blanks two counts and a date.
LONG_BLANKED = (
    "二是局党组通过党组会、理论中心组学习等多种方式，深化学习交流，提高认识，先后组织全体干部集体学习《中国共产党巡视工作条例》"
    "等巡视巡察相关理论知识*次，围绕习近平总书记在省部级主要领导研讨班重要讲话精神、习近平总书记给*大学“优师计划”师范生重要回信精神、"
    "党的二十大报告内容开展研讨交流，编印了《州委第一巡察组巡察反馈问题整改专题民主生活会学习资料》供班子成员学习，学深悟透巡察工作要求，"
    "深刻剖析反思，*月*日高质量召开巡察整改专题民主生活会，开展了严肃认真的批评和自我批评，扎实有序推进了反馈问题整改。"
)


def test_a_refusal_quotes_the_clauses_that_blank_the_value_not_a_whole_long_sentence() -> None:
    times = blanked_excerpt(analyse("局党组组织集体学习巡视工作条例一共学了几次？", idf), LONG_BLANKED)
    assert "理论知识*次" in times and len(times) <= EXCERPT_CHARS + 2
    assert times.startswith("…") and times.endswith("…")
    assert all(part in LONG_BLANKED for part in times.split("…") if part)
    day = blanked_excerpt(analyse("巡察整改专题民主生活会是哪天开的？", idf), LONG_BLANKED)
    assert "*月*日高质量召开巡察整改专题民主生活会" in day and "理论知识*次" not in day
    short = "根据州委统一部署，*年*月*日至*月*日，州委第一巡察组对州教育局党组开展了常规巡察。"
    assert blanked_excerpt(analyse("巡察组是哪天进驻的？", idf), short) == short  # a short sentence is quoted whole


def test_a_count_an_item_states_is_pointed_to_not_replaced_by_the_number_of_items() -> None:
    q = analyse("党委组成了几个检查组开展监督？", idf)
    stating = quoted_whole("一是组成6个检查组对9个二级单位民主生活会情况进行监督。", label="一是")
    text, _ = compose(q, [stating])
    assert text.startswith("所问的数目见 [1]。根据资料：")
    assert "共列出" not in text


def test_one_item_per_unit_and_per_quote() -> None:
    a = Item(unit("五是修订机关财务管理制度，规范报账审批。"), "五是修订机关财务管理制度，规范报账审批。", 0.9)
    same_unit = Item(a.chunk, a.quote, 0.5)
    same_quote = Item(unit(a.quote, start=100, doc="另一份"), a.quote, 0.4)
    assert distinct([a, same_unit, same_quote]) == [a]


def test_measures_come_before_rules_and_the_list_is_counted() -> None:
    q = analyse("哪些整改措施涉及财务管理？", idf)
    rule = unit("第二条 各单位应当建立健全财务管理制度。", label="第二条", doc="办法", kind="regulation")
    measure = unit("五是修订机关财务管理制度，规范报账审批程序。", doc="通报")
    items = [Item(rule, rule.text, 0.95), Item(measure, measure.text, 0.6)]
    text, citations = compose(q, items)
    assert text.startswith("根据资料，共 1 项措施，来自 1 份通报（另附相关规定 1 条）：")
    assert [c.chunk.kind for c in citations] == ["report", "regulation"]
    assert text.index("《通报》") < text.index("《办法》")
    listed = [line for line in text.splitlines() if line.startswith("- ")]
    assert all(line.endswith(f"[{n}]") for n, line in enumerate(listed, 1))


def test_a_count_question_is_answered_with_its_count() -> None:
    q = analyse("财务方面的措施有几项？", idf)
    items = [Item(unit(f"{n}是修订财务管理制度第{n}稿，规范报账。", start=i * 40), f"{n}是修订财务管理制度第{n}稿，规范报账。", 0.9)
             for i, n in enumerate("一二三")]
    text, _ = compose(q, items)
    assert text.startswith("资料中共列出 3 项（来自 1 份文件）：")


def test_a_count_of_anything_but_measures_is_not_the_number_of_items_shown() -> None:
    """Asked how many principles a law sets, one article that names them without a list is no count of one: the
    answer says the items do not state the number. Measures asked for are counted by the measures found."""
    from assistant.compose import NOT_COUNTED

    q = analyse("政府采购应当遵循的原则有几条？", idf)
    article = unit("第三条 政府采购应当遵循公开透明原则。", label="第三条", doc="政府采购法", kind="regulation")
    text, _ = compose(q, [Item(article, article.text, 0.9)])
    assert text.startswith(f"{NOT_COUNTED}：")
    other = unit("第四条 政府采购工程进行招标投标的，适用招标投标法。", label="第四条", start=40, doc="政府采购法",
                 kind="regulation")
    text, _ = compose(q, [Item(article, article.text, 0.9), Item(other, other.text, 0.8)])
    assert text.startswith(f"{NOT_COUNTED}（共 2 项，来自 1 份文件）：")


def test_a_count_an_article_enumerates_is_stated_from_the_article() -> None:
    q = analyse("党内纪律处分分为几种？", idf)
    article = unit("第八条 对党员的纪律处分种类：\n（一）警告；\n（二）严重警告；\n（三）撤销党内职务；\n（四）留党察看；\n（五）开除党籍。",
                   label="第八条", doc="纪律处分条例", kind="regulation")
    other = unit("第十五条 对于受到改组处理的党组织领导机构成员，均自然免职。", label="第十五条", start=300,
                 doc="纪律处分条例", kind="regulation")
    text, citations = compose(q, [Item(article, article.text, 0.9), Item(other, other.text, 0.5)])
    assert text.startswith("《纪律处分条例》第八条列出 5 种（见 [1]）：")
    assert citations[0].chunk is article


def test_the_enumerating_article_leads_a_count_wherever_it_stands_in_its_document() -> None:
    """"几种" is answered by the article that lists them (第八条), even when another article of the same law comes
    first in the text (第七条) or ranks higher (第十五条)."""
    q = analyse("党内纪律处分分为几种？", idf)
    before = unit("第七条 党组织和党员违反党章和其他党内法规的，都必须受到追究。", label="第七条", doc="纪律处分条例",
                  kind="regulation")
    article = unit("第八条 对党员的纪律处分种类：\n（一）警告；\n（二）严重警告；\n（三）撤销党内职务；\n（四）留党察看；\n（五）开除党籍。",
                   label="第八条", start=100, doc="纪律处分条例", kind="regulation")
    higher = unit("第十五条 对于受到改组处理的党组织领导机构成员，均自然免职。", label="第十五条", start=300,
                  doc="纪律处分条例", kind="regulation")
    items = [Item(before, before.text, 0.6), Item(article, article.text, 0.85), Item(higher, higher.text, 0.9)]
    text, citations = compose(q, items)
    assert text.startswith("《纪律处分条例》第八条列出 5 种（见 [1]）：")
    assert [c.chunk for c in citations] == [article, before, higher]


def test_a_list_of_measures_counts_the_measures_and_adds_the_rules_apart() -> None:
    q = analyse("哪些整改措施涉及财务管理？", idf)
    measures = [unit(f"{n}是修订财务管理制度第{n}稿，规范报账审批。", label=f"{n}是", start=i * 40, doc="通报")
                for i, n in enumerate("一二")]
    rule = unit("第二条 各单位应当建立健全财务管理制度。", label="第二条", doc="办法", kind="regulation")
    text, _ = compose(q, [Item(rule, rule.text, 0.9), *(Item(m, m.text, 0.5) for m in measures)])
    assert text.startswith("根据资料，共 2 项措施，来自 1 份通报（另附相关规定 1 条）：")
    other = unit("巡视办负责同志介绍，意见要求健全财务管理制度。", label="", doc="答记者问", kind="other")
    text, _ = compose(q, [Item(other, other.text, 0.9), *(Item(m, m.text, 0.5) for m in measures)])
    assert text.startswith("根据资料，共 2 项措施，来自 1 份通报（另附相关资料 1 条）：")


def test_an_article_with_two_lists_is_counted_by_the_list_the_question_asks_about() -> None:
    """问责条例 第七条 lists the 问责方式 for 党组织 (three) and then for 党的领导干部 (four): two lists, each counted from
    its first item, and the one whose heading holds the question is the count."""
    from assistant.compose import enumerated, enumerations

    article = ("第七条 对党组织的问责方式包括：\n（一）检查。\n（二）通报。\n（三）改组。\n对党的领导干部的问责方式包括："
               "\n（一）通报。\n（二）诫勉。\n（三）组织调整或者组织处理。\n（四）纪律处分。")
    assert enumerations(article) == [("第七条 对党组织的问责方式包括：", 3), ("对党的领导干部的问责方式包括：", 4)]
    assert enumerated(article, analyse("对党的领导干部的问责方式有几种？", idf)) == 4
    assert enumerated(article, analyse("对党组织的问责方式有几种？", idf)) == 3
    assert enumerated("（一）检查；（二）通报。其中：1.书面检查；2.口头检查；3.当面检查。") == 2  # 1. 2. 3. is its own list


def test_a_list_written_in_prose_is_counted_as_chinese_coordinates_it() -> None:
    """Items joined by 、 (the last perhaps by 和/及) are a list; of several, the one whose sentence holds the question
    (预算法 第二十七条 lists 收入, 支出 by function, 支出 by economic nature). Two items are no list; a 与 that sets
    what is compared joins no item."""
    from assistant.compose import listed_in_prose

    principles = "第三条 政府采购应当遵循公开透明原则、公平竞争原则、公正原则和诚实信用原则。"
    assert listed_in_prose(principles, analyse("政府采购应当遵循的原则有几条？", idf)) == 4
    budget = ("一般公共预算收入包括各项税收收入、行政事业性收费收入、国有资源（资产）有偿使用收入、转移性收入和其他收入。"
              "一般公共预算支出按照其经济性质分类，包括工资福利支出、商品和服务支出、资本性支出和其他支出。")
    assert listed_in_prose(budget, analyse("一般公共预算支出按经济性质分几类？", idf)) == 4
    compared = "保证会计账簿记录与实物相符、会计账簿之间相对应的记录相符、会计账簿记录与会计报表的有关内容相符。"
    assert listed_in_prose(compared, analyse("会计账簿记录要做到哪几个相符？", idf)) == 3
    assert listed_in_prose("加强检查、督促整改。", analyse("有几项？", idf)) == 0
    q = analyse("政府采购应当遵循的原则有几条？", idf)
    text, _ = compose(q, [Item(unit(principles, label="第三条", doc="政府采购法", kind="regulation"), principles, 0.9)])
    assert text.startswith("《政府采购法》第三条列出 4 条（见 [1]）：")
    # the count is stated in the measure word it was asked in, whichever the question reads as a count (几级)
    grades = "第十四条 国家秘密的密级分为绝密、机密、秘密三级。"
    q = analyse("国家秘密的密级分几级？", idf)
    text, _ = compose(q, [Item(unit(grades, label="第十四条", doc="保密法", kind="regulation"), grades, 0.9)])
    assert text.startswith("《保密法》第十四条列出 3 级（见 [1]）：")


def test_enumerations_are_counted_in_sequence_from_the_first() -> None:
    from assistant.compose import enumerated

    assert enumerated("一是建立台账。二是每月核查。三是通报结果。") == 3
    assert enumerated("（一）警告；（二）严重警告；") == 2
    assert enumerated("1.加强领导\n2.压实责任\n3.强化督查") == 3
    assert enumerated("（三）只有一项，从第三项说起。") == 0  # not a run from the first
    assert enumerated("本条没有列举。") == 0
