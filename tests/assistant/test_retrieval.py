"""Hybrid retrieval: filters, each side alone, the weighted fusion, and idf, on a small real index."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from assistant.retrieval import HybridSearcher, SearchFilter
from assistant.workspace import Workspace
from index.chunking import Chunk
from index.embedding import SentenceEmbeddings
from tests.conftest import make_workspace

REPORT = """教育局整改情况的通报
一、加强财务管理
（一）针对财务管理问题。一是修订机关财务管理制度，规范报账审批程序。二是清理州属学校往来款项挂账。
二、加强保密管理
（一）针对保密工作问题。一是组织干部职工签订保密承诺书。二是每季度开展一次保密自查。
"""
RULE = """会计工作规定
第一条 各单位应当依法设置会计账簿，保证会计资料真实完整。
第二条 单位负责人对本单位的会计工作和会计资料的真实性、完整性负责。
第三条 会计档案应当妥善保管，不得伪造、变造。
"""


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory, embeddings: SentenceEmbeddings) -> Workspace:
    root = tmp_path_factory.mktemp("retrieval")
    (root / "docs").mkdir()
    (root / "docs" / "通报.txt").write_text(REPORT, encoding="utf-8")
    (root / "docs" / "会计工作规定.txt").write_text(RULE, encoding="utf-8")
    ws = make_workspace(root / "index", embeddings, docs_dir=root / "docs")
    assert ws.index().counts()["added"] == 2
    return ws


def chunk(**overrides: object) -> Chunk:
    values: dict[str, object] = {
        "doc_id": "d", "doc": "通报.txt", "title": "通报", "kind": "report", "section": "一、 › （一） › 一是",
        "label": "一是", "start": 0, "end": 4, "text": "修订制度", "page": None, "titles": (), "ordinal": 0,
    }
    return Chunk(**(values | overrides))  # type: ignore[arg-type]


def test_a_filter_accepts_by_kind_document_and_section() -> None:
    assert SearchFilter().accepts(chunk()) and not SearchFilter().active
    assert SearchFilter(kinds=("report",)).accepts(chunk())
    assert not SearchFilter(kinds=("regulation",)).accepts(chunk())
    assert not SearchFilter(docs=("其他.txt",)).accepts(chunk())
    assert SearchFilter(section="（一）").accepts(chunk()) and not SearchFilter(section="二、").accepts(chunk())


def test_a_filter_speaks_chromas_where_language_except_for_sections() -> None:
    assert SearchFilter().chroma_where() is None
    assert SearchFilter(kinds=("report",)).chroma_where() == {"kind": {"$in": ["report"]}}
    assert SearchFilter(kinds=("report",), docs=("a.txt",)).chroma_where() == {
        "$and": [{"kind": {"$in": ["report"]}}, {"doc": {"$in": ["a.txt"]}}]
    }
    assert SearchFilter(section="（一）").chroma_where() is None  # filtered after the query instead


def test_the_hybrid_search_finds_the_measure_and_reports_both_sides(ws: Workspace) -> None:
    top = ws.searcher.search("保密承诺书", 3)[0]
    assert "签订保密承诺书" in top.chunk.text
    assert top.lexical_rank == 1 and top.dense_rank is not None
    assert top.lexical_score > 0 and 0 < top.dense_score <= 1
    assert 0 < top.score <= 1


def test_each_side_alone(ws: Workspace) -> None:
    searcher = ws.searcher
    assert isinstance(searcher, HybridSearcher)
    lexical = replace(searcher, modes=("lexical",)).search("会计档案", 3)
    dense = replace(searcher, modes=("dense",)).search("会计档案", 3)
    assert lexical and all(p.dense_rank is None for p in lexical)
    assert dense and all(p.lexical_rank is None for p in dense)
    assert "会计档案" in lexical[0].chunk.text
    # a word no chunk uses gives the lexical side nothing; the dense side still ranks by meaning
    assert replace(searcher, modes=("lexical",)).search("虚构的词语甲乙丙", 3) == []
    assert replace(searcher, modes=("dense",)).search("虚构的词语甲乙丙", 3)


def test_filters_apply_to_both_sides(ws: Workspace) -> None:
    rules = ws.searcher.search("会计 财务管理", 10, SearchFilter(kinds=("regulation",)))
    assert rules and {p.chunk.doc for p in rules} == {"会计工作规定.txt"}
    within = ws.searcher.search("管理", 10, SearchFilter(section="二、加强保密管理"))
    assert within and all("二、加强保密管理" in p.chunk.section for p in within)


def test_the_lexical_weight_decides_between_the_sides(ws: Workspace) -> None:
    searcher = ws.searcher
    assert isinstance(searcher, HybridSearcher)
    query = "单位负责人对会计资料负责"
    only_lexical = replace(searcher, lexical_weight=1.0).search(query, 5)
    only_dense = replace(searcher, lexical_weight=0.0).search(query, 5)
    assert [p.score for p in only_lexical] == sorted((p.score for p in only_lexical), reverse=True)
    assert only_lexical[0].lexical_rank == 1
    assert only_dense[0].dense_rank == 1


def test_idf_says_how_rare_a_term_is(ws: Workspace, tmp_path: Path) -> None:
    assert ws.searcher.idf("保密承诺书") > ws.searcher.idf("管理")
    assert ws.searcher.idf("从未出现过的词") >= ws.searcher.idf("保密承诺书")  # unseen counts as rarest


def test_the_searcher_knows_the_titles_of_what_it_holds(ws: Workspace) -> None:
    """The titles let a question's short name of a document be read as the name the document writes."""
    assert set(ws.searcher.titles()) == {"教育局整改情况的通报", "会计工作规定"}
    question = ws.answerer.searcher.analyse("会计规定对会计档案怎么要求？")
    assert "会计工作规定" in question.text
