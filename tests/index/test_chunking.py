"""Chunking rules on synthetic texts, then invariants and gold-quote coverage on the whole corpus."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from index.chunking import SECTION_SEPARATOR, Chunk, chunk_document
from index.loaders import LoadedDocument
from index.structure import analyze
from tests.index.documents import loaded_text
from tests.index.real_corpus import BUREAU, CORPUS, NANKAI, XUNSHI

EVAL = Path(__file__).resolve().parents[3] / "shared" / "eval"

CORPUS_FILES = sorted(str(p.relative_to(CORPUS)) for p in CORPUS.glob("*/*") if p.suffix in (".md", ".txt"))
# A measure marker where a measure may start: a unit must never hold two of them.
MEASURE_START = re.compile(r"(?:^|[。；！？：])[”’]?[一二三四五六七八九十]+是")


def chunks_of(doc: LoadedDocument, **options: Any) -> list[Chunk]:
    return chunk_document(doc, doc_id="d1", **options)


def no_space(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_invariants(doc: LoadedDocument, chunks: list[Chunk], max_chars: int) -> None:
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    for previous, chunk in zip(chunks, chunks[1:], strict=False):
        assert (previous.start, previous.end) < (chunk.start, chunk.end)
    for chunk in chunks:
        assert chunk.text
        assert chunk.text == doc.text[chunk.start : chunk.end]
        assert chunk.text == chunk.text.strip()
        assert len(chunk.text) <= max_chars


def uncovered_words(doc: LoadedDocument, chunks: list[Chunk]) -> str:
    """Word characters of the document that are neither in a chunk nor in a heading."""
    covered = bytearray(len(doc.text))
    spans = [(c.start, c.end) for c in chunks] + [(h.start, h.end) for h in analyze(doc).headings]
    for start, end in spans:
        covered[start:end] = b"\x01" * (end - start)
    return "".join(ch for ch, c in zip(doc.text, covered, strict=True) if not c and re.match(r"\w", ch))


# --- synthetic ---------------------------------------------------------------------------------------


def test_one_unit_fits_one_chunk_with_all_fields() -> None:
    text = "二、坚持问题导向\n（二）针对群众身边问题。一是学习《党内监督条例》。二是开展《警示教育》和《党内监督条例》学习。"
    doc = loaded_text(text, page_starts=(0, 30))
    chunks = chunks_of(doc)
    assert [c.text for c in chunks] == [
        "一是学习《党内监督条例》。",
        "二是开展《警示教育》和《党内监督条例》学习。",
    ]
    second = chunks[1]
    assert second.section == SECTION_SEPARATOR.join(["二、坚持问题导向", "（二）针对群众身边问题", "二是"])
    assert (second.label, second.kind, second.doc, second.title, second.doc_id) == (
        "二是",
        "report",
        "t.txt",
        "标题",
        "d1",
    )
    assert second.titles == ("《警示教育》", "《党内监督条例》")
    assert (chunks[0].page, second.page) == (1, 2)
    assert second.id == "d1-00001"


def test_plain_paragraph_section_has_no_label() -> None:
    doc = loaded_text("一、总体情况\n" + "正文写得足够长，" * 10 + "结束。")
    (chunk,) = chunks_of(doc)
    assert (chunk.label, chunk.section) == ("", "一、总体情况")


def test_long_unit_splits_at_sentences_with_overlap() -> None:
    sentences = [f"第{i}句话讲的是一项具体的整改措施内容。" for i in range(30)]
    doc = loaded_text("一是" + "".join(sentences))
    chunks = chunks_of(doc, max_chars=100, overlap_chars=30)
    assert len(chunks) > 3
    assert_invariants(doc, chunks, 100)
    assert {c.label for c in chunks} == {"一是"}
    for previous, chunk in zip(chunks, chunks[1:], strict=False):
        assert chunk.start < previous.end  # overlapping
        assert previous.text.endswith(doc.text[chunk.start : previous.end])
        assert doc.text[chunk.start - 1] == "。"  # pieces start at a sentence
        assert previous.end - chunk.start <= 30
    assert chunks[-1].end == len(doc.text)
    assert all(no_space(s) in no_space(" ".join(c.text for c in chunks)) for s in sentences)
    assert all(any(s in c.text for c in chunks) for s in sentences)


def test_overlap_never_exceeds_overlap_chars() -> None:
    long_sentence = "这是一个很长的句子" * 5 + "。"  # 46 chars, longer than the overlap
    doc = loaded_text(long_sentence * 6)
    chunks = chunks_of(doc, max_chars=100, overlap_chars=20)
    assert_invariants(doc, chunks, 100)
    assert all(a.end <= b.start for a, b in zip(chunks, chunks[1:], strict=False))


def test_sentence_longer_than_max_is_cut() -> None:
    doc = loaded_text("甲" * 250 + "。")
    chunks = chunks_of(doc, max_chars=100, overlap_chars=20)
    assert_invariants(doc, chunks, 100)
    assert "".join(c.text for c in chunks) == doc.text


def test_overlong_sentence_is_cut_at_a_comma() -> None:
    clause = "加强制度建设和监督管理工作" + "，"  # 14 chars
    doc = loaded_text(clause * 20 + "完成。")
    chunks = chunks_of(doc, max_chars=100, overlap_chars=20)
    assert_invariants(doc, chunks, 100)
    assert all(c.text.endswith("，") for c in chunks[:-1])


def test_short_paragraphs_merge_with_following_siblings() -> None:
    text = "现将整改情况通报如下。\n\n依照规定整改。\n\n" + "第三段足够长，" * 12 + "完毕。\n一、下一节\n短段。"
    doc = loaded_text(text)
    chunks = chunks_of(doc, min_chars=60)
    assert len(chunks) == 2
    assert chunks[0].text.startswith("现将整改情况通报如下。\n\n依照规定整改。\n\n第三段")
    assert chunks[0].text == doc.text[chunks[0].start : chunks[0].end]
    assert chunks[1].text == "短段。"  # another section: not merged across headings


def test_a_title_line_standing_alone_is_the_title_not_a_chunk() -> None:
    text = "机房巡检制度\n一、加强机房管理\n（一）巡检制度。一是每日巡检机房空调与不间断电源。二是每周核对机房门禁日志。"
    chunks = chunks_of(loaded_text(text, title="机房巡检制度"))
    assert chunks and all("机房巡检制度" not in c.text.split("\n")[0] for c in chunks)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert {c.title for c in chunks} == {"机房巡检制度"}
    # a document that is nothing but its title still has that one chunk (else it would not be indexed at all)
    assert [c.text for c in chunks_of(loaded_text("机房巡检制度", title="机房巡检制度"))] == ["机房巡检制度"]


def test_measures_and_articles_never_merge() -> None:
    doc = loaded_text("一是短。二是也短。三是还短。")
    assert [c.text for c in chunks_of(doc)] == ["一是短。", "二是也短。", "三是还短。"]
    reg = loaded_text("第一条 短。\n第二条 短。\n第三条 短。", name="r.md")
    chunks = chunks_of(reg)
    assert [(c.label, c.kind) for c in chunks] == [("第一条", "regulation")] + [
        ("第二条", "regulation"),
        ("第三条", "regulation"),
    ]


def test_heading_only_lines_make_no_chunk() -> None:
    doc = loaded_text("一、总体情况\n（一）具体问题\n正文一。\n二、下一部分\n正文二。")
    chunks = chunks_of(doc)
    assert [(c.text, c.section) for c in chunks] == [
        ("正文一。", "一、总体情况 › （一）具体问题"),
        ("正文二。", "二、下一部分"),
    ]


def test_numbered_line_without_content_under_it_is_kept_as_an_item() -> None:
    doc = loaded_text("一、总体情况\n（一）具体问题\n二、下一部分\n正文。")
    assert [(c.text, c.label) for c in chunks_of(doc)] == [("（一）具体问题", "（一）"), ("正文。", "")]


def test_whitespace_is_trimmed_from_spans() -> None:
    doc = loaded_text("\n\n　　正文第一段。　\n\n")
    (chunk,) = chunks_of(doc)
    assert chunk.text == "正文第一段。"
    assert doc.text[chunk.start : chunk.end] == chunk.text


def test_empty_document_gives_no_chunks() -> None:
    assert chunks_of(loaded_text("\n \n")) == []


# --- the real corpus ---------------------------------------------------------------------------------


@pytest.mark.parametrize("rel", CORPUS_FILES)
def test_corpus_invariants_and_coverage(rel: str, load: Callable[[str], LoadedDocument]) -> None:
    doc = load(rel)
    chunks = chunks_of(doc)
    assert chunks
    assert_invariants(doc, chunks, 400)
    assert uncovered_words(doc, chunks) == ""
    for chunk in chunks:
        assert len(MEASURE_START.findall(chunk.text)) <= 1, chunk.text


def test_bureau_audit_measure_chunk(load: Callable[[str], LoadedDocument]) -> None:
    chunks = chunks_of(load(BUREAU))
    (audit,) = [c for c in chunks if "关于对州属学校往来款项开展内部审计的通知" in c.text]
    assert audit.label == "五是"
    assert audit.section.startswith("二、坚持问题导向")
    assert "（二）针对聚焦群众身边腐败问题" in audit.section
    assert audit.section.endswith(SECTION_SEPARATOR + "五是")
    (first,) = [c for c in chunks if c.text.startswith("一是坚持机关干部职工理论学习")]
    assert "（一）针对聚焦贯彻落实党的路线方针政策" in first.section
    assert all(c.kind == "report" for c in chunks)


def test_nankai_measure_section(load: Callable[[str], LoadedDocument]) -> None:
    chunks = chunks_of(load(NANKAI))
    (chunk,) = [c for c in chunks if c.text.startswith("一是系统全面深研细悟")]
    parts = chunk.section.split(SECTION_SEPARATOR)
    assert parts[0].startswith("二、强化政治担当")
    assert parts[1].startswith("（一）加强党的领导")
    assert parts[2:] == ["1.在学懂弄通做实上下功夫", "一是"]


def test_xunshi_rectification_article_is_one_chunk(load: Callable[[str], LoadedDocument]) -> None:
    chunks = chunks_of(load(XUNSHI))
    (article,) = [c for c in chunks if "2个月内" in c.text]
    assert article.label == "第二十七条"
    assert article.text.startswith("第二十七条")
    assert "第五章" in article.section and "工作程序" in article.section
    assert [c for c in chunks if c.label == "第二十七条"] == [article]
    assert article.kind == "regulation"


def gold_quotes() -> list[tuple[str, str, str]]:
    quotes: list[tuple[str, str, str]] = []
    for name in ("dev_questions.jsonl", "dev_measures.jsonl"):
        path = EVAL / name
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            quotes += [(item["id"], g["doc"], g["quote"]) for g in item["gold"]]
    return quotes


@pytest.mark.skipif(not gold_quotes(), reason="no eval gold set in ../shared/eval")
def test_every_gold_quote_lies_whole_in_a_chunk(load: Callable[[str], LoadedDocument]) -> None:
    by_name = {Path(rel).name: rel for rel in CORPUS_FILES}
    missed = []
    for qid, doc_name, quote in gold_quotes():
        chunks = chunks_of(load(by_name[doc_name]), max_chars=400)
        if not any(no_space(quote) in no_space(c.text) for c in chunks):
            missed.append((qid, doc_name, quote))
    assert missed == []


def test_ocr_flag_round_trips_through_metadata_and_defaults_to_false() -> None:
    doc = loaded_text("一是建立台账。\n二是按期报送。", page_starts=(0, 8))
    doc = replace(doc, ocr_pages=frozenset({2}))
    chunks = chunk_document(doc, doc_id="d", min_chars=1)
    assert [(c.page, c.ocr) for c in chunks] == [(1, False), (2, True)]
    for chunk in chunks:
        meta = chunk.to_metadata()
        assert meta["ocr"] is chunk.ocr
        assert Chunk.from_metadata(chunk.text, meta) == chunk
        written_before_ocr = {k: v for k, v in meta.items() if k != "ocr"}
        assert Chunk.from_metadata(chunk.text, written_before_ocr).ocr is False


def test_a_chunk_that_reaches_into_an_ocr_page_is_marked() -> None:
    text = "这是第一页的结尾，没有句号也没有换行" + "第二页扫描件识别出的文字。"
    doc = replace(loaded_text(text, page_starts=(0, 19)), ocr_pages=frozenset({2}))
    (chunk,) = chunk_document(doc, doc_id="d")
    assert chunk.page == 1 and chunk.ocr
