"""Units split over chunks: which labels mark a measure, and the section a unit sits under."""

from __future__ import annotations

from dataclasses import replace

from assistant.units import area_of, is_measure_label, ordinal_of
from assistant.workspace import Workspace
from index.chunking import Chunk
from tests.assistant.test_ledger import chunk


def test_measure_labels_are_enumeration_markers_not_articles() -> None:
    for label in ("五是", "十一是", "第一", "第二、", "3.", "12、", "（1）", "(2)", "（二）", "三、"):
        assert is_measure_label(label), label
    for label in ("", "第二十七条", "第三章", "是", "2021."):
        assert not is_measure_label(label), label


def test_an_ordinal_is_read_with_its_form_and_a_numbered_article_or_chapter_is_none() -> None:
    assert ordinal_of("二是加强管理") == (1, 2)
    assert ordinal_of("（三）严格问责") == (2, 3)
    assert ordinal_of("第十，") == ordinal_of("第十、") == (6, 10)
    # 第十七条 is an article and 第十一章 a chapter, whole: never 第十 of a list
    for text in ("第十七条　党组织", "第二十七条", "第十一章　附则", "1.5亿元"):
        assert ordinal_of(text) is None, text


def test_area_is_the_section_path_without_the_label() -> None:
    c = chunk("五是开展内部审计。", 0, 0, label="五是", section="二、坚持问题导向 › （二）针对财务问题 › 五是")
    assert area_of(c) == "二、坚持问题导向 › （二）针对财务问题"
    assert area_of(chunk("一是学习。", 0, 0, label="一是", section="一是")) == ""


def _chunks(ws: Workspace, doc: str) -> list[Chunk]:
    doc_id = next(d for d in ws.lexical.doc_ids() if ws.lexical.chunks_of(d)[0].doc == doc)
    return sorted(ws.lexical.chunks_of(doc_id), key=lambda c: c.ordinal)


def test_a_list_of_labelled_paragraphs_is_read_from_any_member_and_from_the_paragraph_before_it(
    corpus_workspace: Workspace,
) -> None:
    # 2024年报告 reviews 2023 in 一是…六是, one paragraph each, after "主要做了以下工作"
    chunks = _chunks(corpus_workspace, "2024年国务院政府工作报告.txt")
    third = next(c for c in chunks if c.label == "三是")
    found = corpus_workspace.units.listed_with(third)
    assert found is not None and found.place == "一、2023年工作回顾" and not found.introduced_by
    members = found.members
    assert [m.label for m in members] == ["一是", "二是", "三是", "四是", "五是", "六是"]
    assert members[0].text.startswith("一是加大宏观调控力度，推动经济运行持续好转。")
    before = chunks[chunks.index(next(c for c in chunks if c.label == "一是")) - 1]
    assert "主要做了以下工作" in before.text
    assert corpus_workspace.units.listed_with(before) == replace(found, introduced_by=True)


def test_a_list_of_sections_is_read_as_their_headings_in_the_documents_own_characters(
    corpus_workspace: Workspace,
) -> None:
    # 2023年报告: "下面简述几项重点。" and then （一）…（八）, each heading opening its own section
    chunks = _chunks(corpus_workspace, "2023年国务院政府工作报告.txt")
    intro = next(c for c in chunks if "下面简述几项重点" in c.text)
    found = corpus_workspace.units.listed_with(intro)
    assert found is not None and found.introduced_by
    members = found.members
    assert [m.text for m in members[:2]] == ["（一）着力扩大国内需求", "（二）加快建设现代化产业体系"]
    assert len(members) == 8
    text = corpus_workspace.lexical.document_text(intro.doc_id)
    assert text is not None and all(text[m.start : m.end] == m.text for m in members)
    inside = next(c for c in chunks if c.section.endswith("（五）有效防范化解重大经济金融风险"))
    assert corpus_workspace.units.listed_with(inside) == replace(found, introduced_by=False)


def test_a_paragraph_that_opens_no_list_is_in_its_sections_list_and_an_article_is_in_none(
    corpus_workspace: Workspace,
) -> None:
    chunks = _chunks(corpus_workspace, "2023年国务院政府工作报告.txt")
    plain = next(c for c in chunks if c.text.startswith("今年发展主要预期目标是"))
    # it sits under 二、, whose sibling is 一、 (the answer decides whether a question is about that list)
    found = corpus_workspace.units.listed_with(plain)
    assert found is not None and found.place == ""
    assert [m.text for m in found.members] == ["一、过去一年和五年工作回顾", "二、对今年政府工作的建议"]
    article = next(c for c in _chunks(corpus_workspace, "中国共产党巡视工作条例.md") if c.label == "第十七条")
    assert corpus_workspace.units.listed_with(article) is None  # 第十七条 is a place, not an ordinal of a list
