"""The optional LLM reranking stage, with LangChain's fake chat models over a small real index.

Whatever the model replies, the reranked search returns exactly the passages the hybrid search
returns (same filter, same k), only in another order; a reply it cannot read or a failing model
leaves the order as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.reranking import LLMReranker, RerankingSearcher, parse_ranking, reorder
from assistant.retrieval import Passage, SearchFilter
from assistant.workspace import Workspace
from index.embedding import SentenceEmbeddings
from tests.assistant.chat_models import fake_model
from tests.conftest import make_workspace

QUESTION = "保密工作是怎么整改的？"

DOCUMENTS = {
    "保密整改通报.txt": (
        "关于保密工作整改情况的通报\n\n"
        "一、加强保密制度建设\n\n一是修订机关保密工作制度，明确涉密文件的登记、传阅和销毁流程。\n\n"
        "二是组织干部职工签订保密承诺书，开展保密知识培训两次。\n\n"
        "二、开展保密检查\n\n一是对涉密计算机和移动存储介质进行全面清查，整改问题五项。\n\n"
        "二是建立保密工作定期检查制度，每季度检查一次。\n"
    ),
    "财务整改通报.txt": (
        "关于财务管理整改情况的通报\n\n"
        "一、规范财务管理\n\n一是修订机关财务管理制度，规范公务接待和差旅费报销。\n\n"
        "二是清理多年往来款项挂账，完成对账和核销。\n\n"
        "二、落实保密要求\n\n财务档案中涉及保密的资料单独存放，由专人管理。\n"
    ),
    "党建整改通报.txt": (
        "关于党建工作整改情况的通报\n\n"
        "一、加强理论学习\n\n党组理论学习中心组每月集中学习一次，其中一次专题学习保密法律法规。\n\n"
        "二、严肃组织生活\n\n规范三会一课制度，支部书记每年讲党课不少于一次。\n"
    ),
}




@pytest.fixture(scope="module")
def small_workspace(tmp_path_factory: pytest.TempPathFactory, embeddings: SentenceEmbeddings) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("rerank")
    docs = root / "docs"
    docs.mkdir()
    for name, text in DOCUMENTS.items():
        (docs / name).write_text(text, encoding="utf-8")
    ws = make_workspace(root / "index", embeddings, docs_dir=docs)
    report = ws.index()
    assert report.counts()["failed"] == 0, report.summary()
    yield ws
    close(ws)


def close(ws: Workspace) -> None:
    for name in ("lexical", "manifest"):
        if name in ws.__dict__:
            ws.__dict__[name].close()


def reranking(ws: Workspace, model: Any, top_n: int = 8) -> RerankingSearcher:
    return RerankingSearcher(ws.searcher, LLMReranker(model), top_n=top_n)


def ids(passages: list[Passage]) -> list[str]:
    return [p.chunk.id for p in passages]


# ---------------------------------------------------------------- reading the reply


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("3,1,5", [2, 0, 4]),
        ("相关段落编号：[3]、[1]", [2, 0]),
        ("３，１", [2, 0]),  # full-width digits and comma
        ("2, 2, 9, 0, 1", [1, 0]),  # repeats and numbers outside 1..count are ignored
        ("1:0 2:3 3:1 4:3", [1, 3, 2]),  # a 0–3 score per passage: by score, ties in passage order, 0 left out
        ("0", []),
        ("无", []),
        ("", None),
        ("我认为这些段落都很有价值。", None),
        ("12, 15", None),
    ],
)
def test_parse_ranking(reply: str, expected: list[int] | None) -> None:
    assert parse_ranking(reply, 8) == expected


def test_reorder_keeps_every_passage_and_a_falling_score_profile(small_workspace: Workspace) -> None:
    passages = small_workspace.searcher.search(QUESTION, 6)
    assert len(passages) >= 4

    reordered = reorder(passages, [3, 1])

    assert ids(reordered) == ids([passages[3], passages[1], passages[0], passages[2], *passages[4:]])
    assert [p.score for p in reordered] == [p.score for p in passages]  # scores follow positions
    assert reordered[0].lexical_score == passages[3].lexical_score  # the passage's own scores are kept


# ---------------------------------------------------------------- the reranking searcher


def test_passages_are_reordered_as_the_model_says(small_workspace: Workspace) -> None:
    base = small_workspace.searcher.search(QUESTION, 8)
    assert len(base) >= 5
    model, recorder = fake_model("4,2")

    got = reranking(small_workspace, model).search(QUESTION, 8)

    assert ids(got) == ids([base[3], base[1], base[0], base[2], *base[4:]])
    [messages] = recorder.calls
    prompt = str(messages[0].content)
    assert QUESTION in prompt and "资料段落" in prompt
    assert f"[{len(base)}]" in prompt and f"[{len(base) + 1}]" not in prompt
    assert base[3].chunk.text[:20] in prompt


def test_only_the_top_n_are_shown_and_the_rest_keep_their_place(small_workspace: Workspace) -> None:
    base = small_workspace.searcher.search(QUESTION, 8)
    model, recorder = fake_model("3")

    got = reranking(small_workspace, model, top_n=3).search(QUESTION, 8)

    assert ids(got) == ids([base[2], base[0], base[1], *base[3:]])
    prompt = str(recorder.calls[0][0].content)
    assert "[3]" in prompt and "[4]" not in prompt


def test_k_is_respected_and_reranking_looks_beyond_it(small_workspace: Workspace) -> None:
    base = small_workspace.searcher.search(QUESTION, 8)
    model, _ = fake_model("5,1")

    got = reranking(small_workspace, model, top_n=8).search(QUESTION, 2)

    assert ids(got) == ids([base[4], base[0]])  # the 5th passage was promoted into the top 2


def test_filters_apply_before_reranking(small_workspace: Workspace) -> None:
    where = SearchFilter(docs=("财务整改通报.txt",))
    base = small_workspace.searcher.search(QUESTION, 8, where)
    assert base and {p.chunk.doc for p in base} == {"财务整改通报.txt"}
    model, recorder = fake_model(str(len(base)))

    got = reranking(small_workspace, model).search(QUESTION, 8, where)

    assert sorted(ids(got)) == sorted(ids(base)) and ids(got)[0] == base[-1].chunk.id
    assert "保密承诺书" not in str(recorder.calls[0][0].content)  # other documents never reach the model


@pytest.mark.parametrize("reply", ["我觉得都挺好", "", "0", "99", "1,2,3"])
def test_unreadable_or_empty_replies_keep_the_retrieval_order(small_workspace: Workspace, reply: str) -> None:
    base = small_workspace.searcher.search(QUESTION, 8)
    model, _ = fake_model(reply) if reply else (FakeListChatModel(responses=[""]), None)

    searcher = reranking(small_workspace, model)
    got, ranking = searcher.search_with_ranking(QUESTION, 8)

    assert ids(got) == ids(base) and [p.score for p in got] == [p.score for p in base]
    assert ranking.status in {"unparsed", "none_relevant", "unchanged", "error"}


def test_a_failing_model_keeps_the_retrieval_order(small_workspace: Workspace, caplog: pytest.LogCaptureFixture) -> None:
    base = small_workspace.searcher.search(QUESTION, 8)
    model = FakeListChatModel(responses=["2,1"], error_on_chunk_number=0)

    with caplog.at_level(logging.WARNING, logger="assistant.reranking"):
        got, ranking = reranking(small_workspace, model).search_with_ranking(QUESTION, 8)

    assert ids(got) == ids(base)
    assert ranking.status == "error"
    assert "保持原检索顺序" in caplog.text


def test_a_rambling_model_is_read_only_up_to_its_first_line_of_numbers(small_workspace: Workspace) -> None:
    base = small_workspace.searcher.search(QUESTION, 8)
    model = FakeListChatModel(responses=["2,1\n理由：第2段讲保密承诺书，第5段讲保密检查，" + "说明" * 200])

    got, ranking = reranking(small_workspace, model).search_with_ranking(QUESTION, 8)

    assert ranking.reply == "2,1" and ranking.status == "reordered"
    assert ids(got) == ids([base[1], base[0], *base[2:]])


def test_a_single_passage_is_not_sent_to_the_model(small_workspace: Workspace) -> None:
    model, recorder = fake_model("1")

    got = reranking(small_workspace, model).search(QUESTION, 1, SearchFilter(docs=("党建整改通报.txt",), section="理论"))

    assert len(got) <= 1 and recorder.calls == []


# ---------------------------------------------------------------- wiring in the workspace


def test_workspace_reranks_answers_only_when_set_and_an_llm_is_configured(
    small_workspace: Workspace, embeddings: SentenceEmbeddings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = small_workspace.settings
    plain = Workspace(settings.model_copy(update={"rerank": False}), embeddings=embeddings)
    plain.__dict__["chat_model"] = fake_model("1")[0]
    assert plain.answerer.searcher.reranker is None

    without_llm = Workspace(settings.model_copy(update={"rerank": True}), embeddings=embeddings)
    with caplog.at_level(logging.WARNING, logger="assistant.workspace"):
        assert without_llm.answerer.searcher.reranker is None
    assert "ZGT_RERANK" in caplog.text

    model, recorder = fake_model("2,1")
    on = Workspace(settings.model_copy(update={"rerank": True, "rerank_top_n": 4}), embeddings=embeddings)
    on.__dict__["chat_model"] = model
    searcher = on.answerer.searcher
    assert searcher.reranker is not None and searcher.rerank_top_n == 4
    assert on.ranked.reranker is None  # search, checks and evaluation are not reranked
    assert searcher.base is on.searcher  # one hybrid searcher, one BM25 cache

    answer = on.answerer.answer(QUESTION)  # extractive answer over the reranked pool
    assert answer.citations or answer.related
    assert len(recorder.calls) == 1 and QUESTION in str(recorder.calls[0][0].content)
    for ws in (plain, without_llm, on):
        close(ws)


def test_an_unparsable_reranking_keeps_the_learned_order(small_workspace: Workspace) -> None:
    model, _ = fake_model("garbage")
    plain = small_workspace.ranked.candidates(QUESTION)
    reranked = replace(small_workspace.ranked, reranker=LLMReranker(model)).candidates(QUESTION)
    assert [s.passage.chunk.id for s in reranked] == [s.passage.chunk.id for s in plain]


def test_a_lead_in_line_before_the_numbers_is_skipped(small_workspace: Workspace) -> None:
    base = small_workspace.searcher.search(QUESTION, 8)
    model = FakeListChatModel(responses=["相关段落编号如下：\n3,1\n以上。"])

    got, ranking = reranking(small_workspace, model).search_with_ranking(QUESTION, 8)

    assert ranking.reply == "3,1"
    assert ids(got) == ids([base[2], base[0], base[1], *base[3:]])
