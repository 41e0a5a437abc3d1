"""The evaluation harness: the README's coverage rule, the metrics, the baselines, LeCoQA plumbing."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.evaluation.baselines import bm25_300_retriever, naive_langchain_retriever
from assistant.evaluation.data import GoldQuote, Question, covers, covers_gold, load_questions, read_raw_texts
from assistant.evaluation.lecoqa import LecoQuestion, article_chunk, lecoqa_metrics, run_lecoqa
from assistant.evaluation.report import format_table
from assistant.evaluation.retrieval import retrieval_metrics, run_retriever, workspace_retrievers
from assistant.evaluation.workspaces import default_workspace_factory
from assistant.settings import Settings
from assistant.workspace import Workspace
from index.embedding import SentenceEmbeddings
from tests.conftest import DOCS_SRC, EVAL_DIR

A, B = "教育局通报.txt", "南开通报.md"


# ---------------------------------------------------------------- coverage rule


def test_quote_is_covered_when_it_is_a_substring_after_removing_whitespace() -> None:
    assert covers("一是修订机关财务管理制度。", "财务管理制度")
    assert covers("修订机关财务 管理\n制度", "财务管理制度")  # the passage's line break and space do not matter
    assert covers("修订机关财务管理制度", "财务 管理\u3000制度")  # nor the quote's (full-width space included)
    assert not covers("修订机关财务制度", "财务管理制度")


def test_quote_split_across_two_passages_is_covered_by_neither() -> None:
    text = "一是修订机关财务管理制度，规范报账审批程序。"
    first, second = text[:10], text[10:]
    quote = "机关财务管理制度"
    assert covers(text, quote)
    assert not covers(first, quote)
    assert not covers(second, quote)


def test_passage_covers_a_gold_quote_only_from_the_gold_file() -> None:
    gold = GoldQuote(A, "财务管理制度")
    assert covers_gold((A, "修订财务管理制度"), gold)
    assert covers_gold((f"reports/{A}", "修订财务管理制度"), gold)  # compared by bare file name
    assert not covers_gold((B, "修订财务管理制度"), gold)  # same words, other document


# ---------------------------------------------------------------- metrics on a hand-made example


def _question(qid: str, kind: str, *quotes: tuple[str, str]) -> Question:
    gold = tuple(GoldQuote(doc, quote) for doc, quote in quotes)
    return Question(qid, f"问题{qid}", bool(gold), gold, kind)


FILLER = (A, "无关内容")
QUESTIONS = [
    _question("q1", "list", (A, "财务管理制度"), (A, "往来款项挂账"), (B, "保密承诺书")),
    _question("q2", "fact", (A, "听取整改情况汇报")),
    _question("q3", "fact", (A, "专项治理工作")),
    _question("q4", "unanswerable"),
]
RANKED = [
    [
        FILLER,
        (B, "修订财务 管理\n制度"),  # right words, wrong file: does not count
        (A, "一是修订财务\n管理制度。"),  # first hit at rank 3
        (B, "签订保密承诺书"),
        FILLER,
        (A, "清理往来款项挂账"),  # third quote only at rank 6
    ],
    [(A, "局党组听取整改情况汇报")],
    # the quote is split over ranks 1-2 and only whole at rank 11, beyond the cut-off
    [(A, "开展专项"), (A, "治理工作"), *[FILLER] * 8, (A, "开展专项治理工作")],
    [(A, "任何内容")],
]


def test_metrics_on_a_hand_made_example() -> None:
    metrics = retrieval_metrics(RANKED, QUESTIONS)
    overall = metrics["overall"]
    # q1: 2 of 3 quotes in top 5, all 3 in top 10, first hit at rank 3; q2: all at rank 1; q3: nothing.
    assert overall["n"] == 3  # the unanswerable question is left out
    assert overall["recall@5"] == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert overall["recall@10"] == pytest.approx((1 + 1 + 0) / 3)
    assert overall["all@10"] == pytest.approx(2 / 3)
    assert overall["mrr@10"] == pytest.approx((1 / 3 + 1 + 0) / 3)


def test_metrics_per_kind() -> None:
    by_kind = retrieval_metrics(RANKED, QUESTIONS)["by_kind"]
    assert set(by_kind) == {"list", "fact"}
    assert by_kind["list"]["recall@5"] == pytest.approx(2 / 3)
    assert by_kind["list"]["mrr@10"] == pytest.approx(1 / 3)
    assert by_kind["fact"] == pytest.approx({"n": 2, "recall@5": 0.5, "recall@10": 0.5, "all@10": 0.5, "mrr@10": 0.5})


def test_metrics_need_one_ranking_per_question() -> None:
    with pytest.raises(ValueError):
        retrieval_metrics(RANKED[:2], QUESTIONS)


def test_load_questions_reads_the_dev_set() -> None:
    questions = load_questions(EVAL_DIR / "dev_questions.jsonl")
    assert len(questions) == 30
    assert sum(q.answerable for q in questions) == 27
    assert sum(len(q.gold) for q in questions) == 86
    assert all(not q.gold for q in questions if q.kind == "unanswerable")


def test_every_dev_quote_is_covered_by_its_own_raw_file() -> None:
    texts = read_raw_texts(DOCS_SRC)
    for q in load_questions(EVAL_DIR / "dev_questions.jsonl"):
        for g in q.gold:
            assert covers_gold((g.doc, texts[g.doc]), g), (q.id, g.quote)


# ---------------------------------------------------------------- baselines


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> None:
        attempts.append(args)
        raise OSError("network access attempted during an offline evaluation")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield attempts


TEXTS = {
    A: "一、加强财务管理\n一是修订机关财务管理制度，规范报账审批程序。二是清理往来款项挂账。\n",
    B: "一、加强保密管理\n组织干部职工签订保密承诺书，开展保密自查。\n",
}


def test_naive_langchain_baseline_works_offline(
    embeddings: SentenceEmbeddings, tmp_path: Path, no_network: list[Any]
) -> None:
    retrieve = naive_langchain_retriever(TEXTS, embeddings, tmp_path / "chroma")
    hits = retrieve("保密承诺书")
    assert {doc for doc, _ in hits} == {A, B}  # two files, one 500-character chunk each
    assert hits[0][0] == B
    assert no_network == []


def test_bm25_300_baseline_splits_at_chinese_punctuation_and_ranks_by_bm25() -> None:
    # BM25's idf needs a few documents: a term in half of a two-document corpus scores zero.
    texts = TEXTS | {"c.txt": "二、加强作风建设\n整治形式主义。\n", "d.txt": "三、加强队伍建设\n开展师德师风教育。\n"}
    long_text = "开展警示教育，" * 60  # 420 characters without a line break: split at "，"
    retrieve = bm25_300_retriever(texts | {"e.txt": long_text})
    assert retrieve("往来款项挂账")[0] == (A, TEXTS[A].strip())
    assert retrieve("保密承诺书")[0][0] == B
    pieces = [text for doc, text in retrieve("警示教育") if doc == "e.txt"]
    assert len(pieces) == 2 and all(len(p) <= 300 for p in pieces)


# ---------------------------------------------------------------- LeCoQA


def test_article_chunk_takes_its_label_from_the_name() -> None:
    chunk = article_chunk("中华人民共和国行政许可法第十五条", "本法第十二条所列事项……")
    assert (chunk.doc, chunk.section, chunk.label) == ("中华人民共和国行政许可法第十五条",) * 2 + ("第十五条",)
    assert chunk.title == "中华人民共和国行政许可法"
    assert chunk.kind == "regulation" and (chunk.start, chunk.end) == (0, len(chunk.text))
    assert article_chunk("某司法解释", "正文").label == ""


def test_lecoqa_metrics_on_a_hand_made_example() -> None:
    questions = [LecoQuestion("q1", ("甲", "乙")), LecoQuestion("q2", ("丙",))]
    ranked = [["丁", "甲", "戊", "己", "庚", "乙"], ["丁"] * 10]
    metrics = lecoqa_metrics(ranked, questions)
    assert metrics == pytest.approx(
        {"n": 2, "hit@5": 0.5, "hit@10": 0.5, "recall@5": 0.25, "recall@10": 0.5, "mrr@10": 0.25}
    )


def test_run_lecoqa_builds_its_own_stores(embeddings: SentenceEmbeddings, tmp_path: Path) -> None:
    records = [
        {"问题": "行政机关不公开政府信息怎么办？", "相关法规": {"政府信息公开条例第五十一条": "公民认为行政机关在政府信息公开工作中侵犯其合法权益的，可以申请行政复议或者提起行政诉讼。"}},
        {"问题": "未成年人的监护人有哪些职责？", "相关法规": {"未成年人保护法第十六条": "未成年人的父母或者其他监护人应当履行下列监护职责。", "未成年人保护法第十七条": "未成年人的父母或者其他监护人不得实施下列行为。"}},
    ]
    path = tmp_path / "lecoqa.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    factory = default_workspace_factory(Settings(index_dir=tmp_path / "unused"), embeddings)
    result = run_lecoqa(path, factory)
    assert (result["questions"], result["articles"]) == (2, 3)
    assert set(result["systems"]) == {"ranked", "hybrid", "dense", "bm25"}
    assert result["systems"]["hybrid"]["hit@10"] == 1.0  # only three articles: everything is in the top 10
    assert "LeCoQA" in format_table({"systems": {}, "lecoqa": result})


# ---------------------------------------------------------------- the real dev set


@pytest.mark.slow
def test_our_retrieval_beats_the_baselines_on_dev(
    corpus_workspace: Workspace, embeddings: SentenceEmbeddings, tmp_path: Path
) -> None:
    questions = load_questions(EVAL_DIR / "dev_questions.jsonl")
    texts = read_raw_texts(DOCS_SRC)
    retrievers = {
        "hybrid": workspace_retrievers(corpus_workspace, ["hybrid"])["hybrid"],
        "bm25_300": bm25_300_retriever(texts),
        "naive_langchain": naive_langchain_retriever(texts, embeddings, tmp_path / "naive"),
    }
    recall5 = {
        name: retrieval_metrics(run_retriever(retrieve, questions), questions)["overall"]["recall@5"]
        for name, retrieve in retrievers.items()
    }
    assert recall5["hybrid"] >= recall5["bm25_300"], recall5
    assert recall5["hybrid"] >= 0.80, recall5
    # BASELINES.md: 0.593 with USE; with the same encoder as ours (E5) the naive pipeline reaches about 0.74
    assert 0.5 <= recall5["naive_langchain"] <= recall5["hybrid"] - 0.1, recall5
