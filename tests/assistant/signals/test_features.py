"""Passage features: how much of the question a passage covers, and whether it states the fact asked."""

from __future__ import annotations

from assistant.retrieval import Passage
from assistant.signals.features import add_pool_features, passage_features
from assistant.signals.question import analyse
from index.chunking import Chunk

ARTICLE = "第八条 对党员的纪律处分种类：\n（一）警告；\n（二）严重警告；\n（三）撤销党内职务；\n（四）留党察看；\n（五）开除党籍。"


def idf(term: str) -> float:
    return 2.0


def article(text: str) -> Passage:
    chunk = Chunk(doc_id="d1", doc="中国共产党纪律处分条例.md", title="中国共产党纪律处分条例", kind="regulation",
                  section="第二章 › 第八条", label="第八条", start=0, end=len(text), text=text, page=None, titles=(),
                  ordinal=0)
    return Passage(chunk, 1.0)


def test_a_count_is_stated_by_the_items_an_article_enumerates_after_naming_its_topic() -> None:
    """The items follow the sentence that names the topic: for a count they are the answer itself, not the
    weaker evidence of a figure somewhere else in the passage."""
    count = analyse("党内纪律处分分为几种？", idf)
    features = passage_features(count, article(ARTICLE), 1, 0.5)
    assert features["fact_stated"] == 1.0
    assert features["fact_sentence"] == features["cover_context"] > 0.5

    # A quantity written elsewhere in the passage than the sentence about the topic is weaker evidence.
    amount = analyse("纪律处分的罚款是多少元？", idf)
    text = "第九条 纪律处分的种类见第八条。\n对违纪所得，应当收缴，共计12万元。"
    weaker = passage_features(amount, article(text), 1, 0.5)
    assert weaker["fact_stated"] == 1.0 and 0 < weaker["fact_sentence"] < weaker["cover_context"]


def measure(text: str, label: str) -> Passage:
    chunk = Chunk(doc_id="r1", doc="整改通报.md", title="整改进展情况的通报", kind="report",
                  section=f"一、加强领导 › {label}", label=label, start=0, end=len(text), text=text, page=None,
                  titles=(), ordinal=0)
    return Passage(chunk, 1.0)


def test_the_label_a_measure_opens_with_is_not_a_list_of_what_is_asked() -> None:
    """"那16项指标具体是哪些？" against "五是…对16项未完成指标逐项研判": the 五是 numbers the measure among its
    report's measures; the passage counts the 指标 and names none of them."""
    which = analyse("那16项未完成指标具体是哪些？", lambda t: {"指标": 5.0}.get(t, 2.0))
    counted = measure("五是推动规划落地。对16项未完成指标逐项研判，形成分析报告。", "五是")
    features = passage_features(which, counted, 1, 0.5)
    assert features["fact_stated"] == 0.0 and features["members_listed"] == 0.0
    assert features["members_counted"] == 1.0
    # The same measure naming the 指标 one by one inside it does list them.
    listed = measure("五是推动规划落地。未完成指标：一是生师比；二是博士后人数；三是国际学生比例。", "五是")
    assert passage_features(which, listed, 1, 0.5)["fact_stated"] == 1.0


def test_a_date_counts_as_the_answer_only_in_a_sentence_that_names_the_topic() -> None:
    """"人才工作会议是哪天召开的？": a passage dating another meeting writes a date, not this one."""
    when = analyse("人才工作会议是哪天召开的？", lambda t: {"人才": 5.0}.get(t, 2.0))
    other = "9月2日，巡视工作领导小组召开集中反馈会议。学校加强人才队伍建设。"
    this = "学校于5月12日召开人才工作会议，部署人才引进工作。"
    assert passage_features(when, article(other), 1, 0.5)["fact_key"] == 0.0
    assert passage_features(when, article(this), 1, 0.5)["fact_key"] == 1.0


def test_a_value_written_as_a_star_in_a_sentence_about_the_topic_is_withheld() -> None:
    """"信访件一共处理了多少件？" against the bureau's "妥善处理信访件*件": the report has the figure and hides it.
    A * in a sentence about something else withholds nothing that was asked."""
    count = analyse("信访件一共处理了多少件？", lambda t: {"信访件": 5.0}.get(t, 2.0))
    hidden = "局党组妥善处理巡察组转办的信访件*件。"
    elsewhere = "局党组妥善处理巡察组转办的信访件，做到件件有回音。全年召开专题会议*次。"
    assert passage_features(count, article(hidden), 1, 0.5)["fact_withheld"] == 1.0
    assert passage_features(count, article(elsewhere), 1, 0.5)["fact_withheld"] == 0.0


def test_each_document_has_one_passage_that_covers_the_question_best() -> None:
    pool = [{"cover_context": c, "cover_sentence": c, "dense": 0.9} for c in (0.8, 0.6, 0.5, 0.3)]
    add_pool_features(pool, ["甲.md", "乙.md", "甲.md", "乙.md"])
    assert [f["best_of_doc"] for f in pool] == [1.0, 1.0, 0.0, 0.0]  # a question across documents wants each one's
    assert [f["doc_share"] for f in pool] == [0.5] * 4
    assert [f["doc_best_cover"] for f in pool] == [0.8, 0.6, 0.8, 0.6]
