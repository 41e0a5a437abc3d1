"""The learned ranking's order: a comparison leads with each compared document's best passage."""

from __future__ import annotations

from assistant.retrieval import Passage
from assistant.signals.relevance import Scored, each_document_first, named_documents_first
from assistant.workspace import Workspace
from index.chunking import Chunk


def scored(doc: str, ordinal: int, probability: float) -> Scored:
    text = f"{doc}的第{ordinal}段"
    chunk = Chunk(doc_id=doc, doc=f"{doc}.md", title=doc, kind="report", section="", label="", start=0,
                  end=len(text), text=text, page=None, titles=(), ordinal=ordinal)
    return Scored(Passage(chunk, probability), {}, probability)


def test_the_second_documents_best_passage_moves_up_to_second_place() -> None:
    pool = [scored("甲", 1, 0.9), scored("甲", 2, 0.8), scored("甲", 3, 0.7), scored("乙", 1, 0.6), scored("乙", 2, 0.5)]
    order = [(s.passage.chunk.doc_id, s.passage.chunk.ordinal) for s in each_document_first(pool)]
    assert order == [("甲", 1), ("乙", 1), ("甲", 2), ("甲", 3), ("乙", 2)]


def test_a_pool_of_one_document_keeps_its_order() -> None:
    pool = [scored("甲", i, 1.0 - i / 10) for i in range(4)]
    assert each_document_first(pool) == pool


def test_a_question_comparing_two_regulations_is_answered_from_both_first(corpus_workspace: Workspace) -> None:
    # ranked passage by passage, the 接待规定's second article came before the 实施细则's best
    question = "《中央八项规定实施细则》和《党政机关国内公务接待管理规定》分别规定了哪些单位参照执行？"
    top = corpus_workspace.ranked.candidates(question)[:2]
    assert {s.passage.chunk.doc for s in top} == {"中央八项规定实施细则.md", "党政机关国内公务接待管理规定.md"}


def test_a_report_called_by_its_short_year_leads_with_that_years_report(corpus_workspace: Workspace) -> None:
    # 22年 is the 2022 report's year; read as nothing, every year's report was named alike and 义务教育法 led
    top = corpus_workspace.ranked.candidates("22年那份政府工作报告说，义务教育的学校资源按啥来配置？")[0]
    assert top.passage.chunk.doc == "2022年国务院政府工作报告.txt"


def test_every_passage_carries_the_one_wording_signal_of_its_question(corpus_workspace: Workspace) -> None:
    pool = corpus_workspace.ranked.candidates("巡视反馈后多久报送整改情况？")
    assert pool and len({s.features["question_wording"] for s in pool}) == 1


def test_the_named_documents_best_passages_lead_not_the_first_two_documents() -> None:
    pool = [scored("甲", 1, 0.9), scored("乙", 1, 0.8), scored("乙", 2, 0.7), scored("丙", 1, 0.6), scored("丙", 2, 0.5)]
    named = (frozenset(["甲"]), frozenset(["丙"]))
    order = [(s.passage.chunk.doc_id, s.passage.chunk.ordinal) for s in named_documents_first(pool, named)]
    assert order == [("甲", 1), ("丙", 1), ("乙", 1), ("乙", 2), ("丙", 2)]


def test_a_question_naming_our_report_and_a_law_is_answered_from_both_first(corpus_workspace: Workspace) -> None:
    # no 分别: the two named documents are still set side by side (the 审计法 ranked second before)
    top = corpus_workspace.ranked.candidates("局里建了内部审计制度，会计法对单位的内部审计有什么要求？")[:2]
    assert {s.passage.chunk.doc for s in top} == {
        "中华人民共和国会计法.md", "教育局党组关于巡察组巡察反馈问题整改情况的通报.txt",
    }
