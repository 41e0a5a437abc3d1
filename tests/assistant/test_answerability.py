"""Is a question answered by the passages? Its specific terms must be there, weighted by rarity, and
the kind of fact it asks for (a time limit, a quantity, a person, a place) must be stated."""

from __future__ import annotations

from assistant.answerability import asked_fact, content_terms, is_frame_phrase, judge
from assistant.retrieval import Passage
from index.chunking import Chunk

RARE = {"保密承诺书": 6.0, "承诺书": 5.0, "保密": 3.0, "财政预算": 6.0, "总额": 5.0, "整改": 0.5}


def idf(term: str) -> float:
    return RARE.get(term, 4.0)


def passage(text: str, *, section: str = "", title: str = "通报") -> Passage:
    chunk = Chunk(doc_id="d", doc="通报.txt", title=title, kind="report", section=section, label="",
                  start=0, end=len(text), text=text, page=None, titles=(), ordinal=0)
    return Passage(chunk, 1.0)


def test_frame_words_are_not_the_topic() -> None:
    terms = content_terms("哪些整改措施涉及保密工作？")
    assert "保密" in terms and "整改" not in terms and "措施" not in terms
    assert is_frame_phrase("整改措施") and not is_frame_phrase("保密工作")


def test_the_kind_of_fact_a_question_asks_for() -> None:
    duration = asked_fact("巡视反馈后多久报送整改情况？")
    assert duration is not None and duration.name == "duration"
    assert duration.stated_in("应当于2个月内报送") and not duration.stated_in("应当及时报送")
    quantity = asked_fact("临聘人员一共清退了多少名？")
    assert quantity is not None and quantity.name == "quantity" and quantity.unit == "名"
    assert quantity.stated_in("清退临聘人员12名") and not quantity.stated_in("清退临聘人员12人")
    person = asked_fact("领导小组的组长是谁？")
    assert person is not None and person.name == "person"
    assert asked_fact("保密工作是怎么整改的？") is None


def test_a_passage_holding_the_terms_answers() -> None:
    verdict = judge("保密承诺书是怎么签订的？", [passage("组织干部职工签订保密承诺书。")], idf)
    assert verdict.found and verdict.coverage > 0.45 and not verdict.missing


def test_a_passage_without_the_rare_terms_does_not() -> None:
    verdict = judge("教育局财政预算总额是多少？", [passage("加强财务管理，规范报账审批。")], idf)
    assert not verdict.found and "财政预算" in verdict.missing


def test_terms_without_the_asked_fact_do_not_answer() -> None:
    question = "保密承诺书多久签一次？"
    assert not judge(question, [passage("组织干部职工签订保密承诺书。")], idf).found
    assert judge(question, [passage("每年组织干部职工签订一次保密承诺书，1个月内完成。")], idf).found


def test_the_title_and_section_count_as_where_the_terms_are() -> None:
    inside = passage("一是组织全体干部签订承诺书。", section="二、加强保密管理")
    assert judge("保密承诺书怎么落实的？", [inside], idf).found


def test_nothing_retrieved_is_never_found() -> None:
    verdict = judge("保密承诺书签了吗？", [], idf)
    assert not verdict.found and verdict.coverage == 0.0
