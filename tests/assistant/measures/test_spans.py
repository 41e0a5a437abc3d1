"""Candidate spans and their topic signals (assistant/measures/spans.py), with the real encoder."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from assistant.measures.spans import SpanReader, coordinated, names_in, word_order
from index.embedding import SentenceEmbeddings


def test_a_reworded_word_is_credited_only_where_the_span_has_a_word_for_it(embeddings: SentenceEmbeddings) -> None:
    """汇编 is written nowhere, but 编印 says it: the span with 编印 gets part of 汇编's weight back in its soft
    coverage; spans that only share the other words gain nothing, and no span loses what it covers plainly."""
    reader = SpanReader(lambda query, k: [], embeddings.embed_array, lambda word: 5.0)
    words = {"汇编": 5.0, "讲话": 5.0, "科室": 3.0}
    spans = [
        "编印总书记重要讲话摘编并分发至各科室",
        "组织总书记重要讲话专题学习并通报至各科室",
        "召开总书记重要讲话专题会议并部署至各科室",
    ]
    plain = [reader.coverage(words, s)[0] for s in spans]
    soft = reader.soft_coverage(words, spans)
    assert plain[0] == plain[1] == plain[2] < 1.0
    assert soft[0] > plain[0]
    assert soft[1:] == plain[1:]


def test_soft_coverage_of_a_span_with_every_word_is_its_coverage(embeddings: SentenceEmbeddings) -> None:
    reader = SpanReader(lambda query, k: [], embeddings.embed_array, lambda word: 5.0)
    words = {"讲话": 5.0, "科室": 3.0}
    assert reader.soft_coverage(words, ["总书记重要讲话分发至各科室"]) == [1.0]
    assert reader.soft_coverage({}, ["总书记重要讲话"]) == [0.0]


def test_a_body_the_measure_names_is_not_credited_by_another_body(embeddings: SentenceEmbeddings) -> None:
    """The encoder puts 宣传部门 near 组织部门 (both are departments), which is no reason to read one for the other:
    a word that names a body, post or person in the measure gets no soft credit."""
    reader = SpanReader(lambda query, k: [], embeddings.embed_array, lambda word: 5.0)
    measure = "由组织部门对净化政治生态工作开展全面检查督查"
    assert "组织部门" in names_in(measure)
    words = {"组织部门": 5.0, "政治生态": 5.0, "检查": 3.0}
    spans = ["由宣传部门对净化政治生态工作开展全面检查", "对净化政治生态工作开展全面检查并通报曝光"]
    plain = [reader.coverage(words, s)[0] for s in spans]
    assert reader.soft_coverage(words, spans)[0] > plain[0]  # what the credit would be
    assert reader.soft_coverage(words, spans, names=names_in(measure)) == plain


def test_a_measure_reworded_from_one_clause_is_closest_to_that_clause(embeddings: SentenceEmbeddings) -> None:
    """The stretch cosine reads the measure against short stretches of a long report sentence, not the whole of it;
    only the few stretches that share most of the measure's bigrams are embedded, and the clause the measure was
    taken from is one of them."""
    embedded: list[str] = []

    def embed(texts: Sequence[str]) -> np.ndarray:
        embedded.extend(texts)
        return embeddings.embed_array(texts)

    reader = SpanReader(lambda query, k: [], embed, lambda word: 5.0, stretch_windows=2)
    measure = "选拔中层干部时严格审查人选资格条件"
    sentence = (
        "修订完善干部选拔任用工作制度，按照《中层干部选拔任用工作办法》规定，严把人选资格条件，严格执行选任程序，"
        "加强干部日常管理监督，健全干部考核评价机制，做好年轻干部培养储备工作，统筹推进干部交流轮岗。"
    )
    [stretch] = reader.stretch_cosines(measure, [sentence])
    embedded_stretches = [t for t in embedded if t != measure]
    assert len(embedded_stretches) == 2
    assert any("严把人选资格条件" in t for t in embedded_stretches)
    a, b = embeddings.embed_array([measure, sentence])
    whole = float(a @ b) / float(np.linalg.norm(a) * np.linalg.norm(b))
    assert stretch > whole


def test_two_bodies_written_the_other_way_round_keep_every_word_and_lose_their_order() -> None:
    """纪委向学校党委提交 and 学校党委向纪委提交 share every word: only their order tells who hands what to whom.
    The order signal is the weighted share of the measure's word pairs that the source writes the same way round."""
    words = {"纪委": 4.0, "学校党委": 3.0, "提交": 2.0, "信访": 5.0, "简析": 7.0}
    measure = "学校党委向纪委提交信访举报情况简析"
    assert word_order(words, measure, "做深做细信访举报综合分析，学校党委向纪委提交信访举报情况简析") == 1.0
    reversed_order = word_order(words, measure, "纪委向学校党委提交信访举报情况简析")
    assert reversed_order == pytest.approx(1 - 4.0 * 3.0 / (4.0 * 3.0 + 4.0 * 2.0 + 4.0 * 5.0 + 4.0 * 7.0 + 3.0 * 2.0
                                                             + 3.0 * 5.0 + 3.0 * 7.0 + 2.0 * 5.0 + 2.0 * 7.0 + 5.0 * 7.0))
    assert word_order(words, measure, "学校党委研究部署巡视整改工作") == 1.0  # one shared word: nothing to order


def test_items_of_one_list_have_no_order() -> None:
    """甲与乙合二为一 is 乙与甲合并: two items joined by 与, 和, 及 or 、 may stand either way round. A body that
    acts on another (甲向乙) keeps its order, and so does each item against the verb."""
    words = {"膳食": 6.0, "服务中心": 4.0, "后勤": 3.0, "服务处": 5.0, "合二为一": 7.0}
    measure = "将膳食服务中心与后勤服务处合二为一"
    assert word_order(words, measure, "将后勤服务处与膳食服务中心合二为一") == 1.0
    assert word_order(words, measure, "合二为一的后勤服务处与膳食服务中心") < 1.0
    assert coordinated("学校党委和纪委", 4, 5)
    assert not coordinated("学校党委向纪委", 4, 5)
    assert not coordinated("所在党支部、党小组的组织生活", 5, 11)  # 的: the life belongs to both


def test_clauses_put_in_another_order_say_the_same() -> None:
    """A report may say a measure's two clauses the other way round: only pairs of words within one of the
    measure's clauses are compared."""
    words = {"民族教育": 5.0, "改革": 2.0, "升学": 4.0, "通道": 4.0}
    measure = "拓宽升学通道，深化民族教育改革"
    assert word_order(words, measure, "深化民族教育改革，拓宽升学通道") == 1.0
    assert word_order(words, measure, "拓宽通道升学，深化民族教育改革") < 1.0
