"""专题学习资料: articles and measures on a theme, quoted exactly, exported to Markdown, JSON and .docx."""

from __future__ import annotations

import json
import zipfile
from datetime import date
from functools import cache
from pathlib import Path

import docx
import pytest
from docx.shared import Pt

from assistant.exports import study_docx
from assistant.study import (
    PART_MEASURES,
    PART_REGULATIONS,
    Excerpt,
    StudyPack,
    StudySection,
    build_study_pack,
    chinese_ordinal,
    excerpt_key,
    frames_the_law,
    hierarchy,
    matches_topic,
    split_topics,
    topic_terms,
)
from assistant.views import markdown_escape, study_json, study_markdown
from assistant.workspace import Workspace
from index.loaders import load_document
from tests.conftest import DOCS_SRC

BUREAU = "教育局党组关于巡察组巡察反馈问题整改情况的通报.txt"
AUDIT_LAW = "中华人民共和国审计法.md"
ACCOUNTING_LAW = "中华人民共和国会计法.md"
SECRECY_LAW = "中华人民共和国保守国家秘密法.md"


@cache
def document_text(name: str) -> str:
    return load_document(next(DOCS_SRC.rglob(name))).text


# ------------------------------------------------------------------------------------------ units


def test_theme_is_split_into_topics_on_conjunctions_and_punctuation() -> None:
    assert split_topics("财务管理与内部审计") == ["财务管理", "内部审计"]
    assert split_topics("保密、公务接待，作风建设") == ["保密", "公务接待", "作风建设"]
    assert split_topics("党风廉政建设和反腐败") == ["党风廉政建设", "反腐败"]
    assert split_topics("巡视整改责任") == ["巡视整改责任"]
    assert split_topics("中华人民共和国会计法") == ["中华人民共和国会计法"]  # 和 inside a word stays


def test_topic_terms_must_really_occur() -> None:
    assert topic_terms("内部审计") == ["内部", "审计"]
    assert matches_topic("下发通知对往来款项开展内部审计。", topic_terms("内部审计"))
    assert not matches_topic("审计机关依法开展审计监督。", topic_terms("内部审计"))
    # A compound counts when its parts are close in one sentence, not when they are far apart.
    assert matches_topic("实行财务统一管理。", topic_terms("财务管理"))
    assert not matches_topic("有权检查财务、会计资料以及与财政收支有关的业务、管理等资料。", topic_terms("财务管理"))


def test_a_compound_topic_stands_for_its_rare_part_when_the_corpus_says_so() -> None:
    idf = {"财务": 5.0, "管理": 1.0, "内部": 2.0, "审计": 2.5}.get
    def corpus_idf(word: str) -> float:
        return idf(word) or 9.0  # 9.0: what an unseen word gets

    assert topic_terms("财务管理", corpus_idf) == ["财务"]  # 管理 is everywhere: 财务工作纪律 is on the topic
    assert topic_terms("内部审计", corpus_idf) == ["内部", "审计"]  # two words, kept as they are
    assert topic_terms("保密工作", corpus_idf) == ["保密"]  # 工作 is a stopword, whatever its weight
    assert topic_terms("档案管理", corpus_idf) == ["档案管理"]  # a part unknown to the corpus: kept whole


def test_purpose_and_definition_clauses_frame_the_law() -> None:
    assert frames_the_law("第一条 为了规范和加强内部审计工作，根据审计法，制定本规定。")
    assert frames_the_law("第二条 本规定所称内部审计，是指对本单位财务收支进行独立监督的活动。")
    assert not frames_the_law("第八条 机关、单位应当实行保密工作责任制。")
    assert not frames_the_law("第二条 本法所称会计资料，是指会计凭证，各单位应当妥善保管。")  # imposes a duty


def test_laws_come_before_party_regulations_and_other_rules() -> None:
    assert hierarchy("《中华人民共和国审计法》") == 0
    assert hierarchy("中国共产党巡视工作条例") == 1 and hierarchy("党政机关国内公务接待管理规定") == 1
    assert hierarchy("行政事业性国有资产管理条例") == 2


def test_the_editor_reviews_the_pack_before_it_is_printed() -> None:
    pack = small_pack()
    dropped = pack.sections[0].regulations[0]
    kept = [excerpt_key(e) for e in pack.excerpts if e is not dropped]
    reviewed = pack.reviewed(keep=kept, order=["保密"], title="  ", date_text="2024年5月", note="请认真学习。")
    assert [(s.number, s.topic) for s in reviewed.sections] == [(1, "保密"), (2, "内部审计")]
    assert dropped not in reviewed.excerpts and len(reviewed.excerpts) == len(pack.excerpts) - 1
    assert reviewed.title == pack.title  # a blank title keeps the generated one
    assert reviewed.generated_text == "2024年5月" and reviewed.note == "请认真学习。"
    md = study_markdown(reviewed)
    assert md.index("**编者按**：请认真学习。") < md.index("## 目录")


def test_chinese_ordinals() -> None:
    assert [chinese_ordinal(n) for n in (1, 9, 10, 11, 20, 23)] == ["一", "九", "十", "十一", "二十", "二十三"]


def excerpt(text: str, **overrides: object) -> Excerpt:
    values: dict[str, object] = {
        "text": text, "doc": AUDIT_LAW, "doc_id": "a", "title": "中华人民共和国审计法", "kind": "regulation",
        "section": "第三章 审计机关职责 › 第三十二条", "label": "第三十二条", "start": 10, "end": 10 + len(text),
        "page": None, "titles": (), "score": 1.0,
    }
    return Excerpt(**(values | overrides))  # type: ignore[arg-type]


def small_pack() -> StudyPack:
    article = excerpt("第三十二条 被审计单位应当加强对内部审计工作的领导。\n\n审计机关应当进行业务指导和监督。")
    measure = excerpt(
        "五是制定印发《*州教育系统内部审计工作规定》，开展*次内部审计。", doc=BUREAU, doc_id="b",
        title="教育局党组关于巡察组巡察反馈问题整改情况的通报", kind="report", label="五是",
        section="二、坚持问题导向 › （二）针对财务问题 › 五是", page=3, basis=("《中华人民共和国审计法》第三十二条",),
    )
    section = StudySection(1, "内部审计", regulations=[article], measures=[measure])
    return StudyPack("“内部审计”专题学习资料", "内部审计", date(2024, 5, 6), [section, StudySection(2, "保密")])


def test_source_lines_name_the_document_section_and_page() -> None:
    pack = small_pack()
    article, measure = pack.sections[0].excerpts
    assert article.source == "《中华人民共和国审计法》第三章 审计机关职责 › 第三十二条"
    assert article.reference == "《中华人民共和国审计法》第三十二条"
    assert measure.source == "《教育局党组关于巡察组巡察反馈问题整改情况的通报》二、坚持问题导向 › （二）针对财务问题 › 五是，第3页"
    assert excerpt("（五）…", partial=True).source.endswith("（节选）")


def test_markdown_layout() -> None:
    md = study_markdown(small_pack())
    lines = md.splitlines()
    assert lines[0] == "# “内部审计”专题学习资料"
    assert "生成日期：2024年5月6日" in lines
    assert lines.index("## 目录") < lines.index("## 第一部分　内部审计") < lines.index("## 第二部分　保密")
    assert f"  - {PART_REGULATIONS}（1条）" in lines and f"  - {PART_MEASURES}（1项）" in lines
    assert "> 第三十二条 被审计单位应当加强对内部审计工作的领导。" in lines and ">" in lines
    assert "> 五是制定印发《\\*州教育系统内部审计工作规定》，开展\\*次内部审计。" in lines  # no stray italics
    assert "*——《中华人民共和国审计法》第三章 审计机关职责 › 第三十二条*" in lines
    assert "*对应法规依据：《中华人民共和国审计法》第三十二条*" in lines
    assert "（未检索到与本专题直接相关的法规条文。）" in lines
    assert markdown_escape("a*b_c") == "a\\*b\\_c"


def docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    return "\n".join(p.text for p in document.paragraphs)


def docx_xml(path: Path, part: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return "\n".join(
            archive.read(name).decode("utf-8") for name in archive.namelist() if name.startswith(f"word/{part}")
        )


def test_docx_layout(tmp_path: Path) -> None:
    pack = small_pack()
    path = study_docx(pack, tmp_path / "学习资料.docx")
    document = docx.Document(str(path))
    paragraphs = document.paragraphs
    assert paragraphs[0].text == pack.title and paragraphs[0].alignment == 1  # centred
    assert 'w:eastAsia="方正小标宋简体"' in paragraphs[0]._p.xml
    assert paragraphs[0].runs[0].font.size == Pt(22)
    headings = [(p.style.name, p.text) for p in paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    assert headings[:3] == [("Heading 1", "第一部分　内部审计"), ("Heading 2", PART_REGULATIONS), ("Heading 2", PART_MEASURES)]
    text = docx_text(path)
    assert "目　录" in text and "第一部分　内部审计" in text.split("目　录")[1]
    for e in pack.excerpts:
        assert e.text in text
        assert f"——{e.source}" in text
    styles = docx_xml(path, "styles")
    assert 'w:eastAsia="仿宋_GB2312"' in styles and 'w:eastAsia="黑体"' in styles and 'w:eastAsia="楷体_GB2312"' in styles
    assert 'w:eastAsia="仿宋_GB2312"' in docx_xml(path, "document")
    assert document.styles["Normal"].font.size == Pt(16)
    source = next(p for p in paragraphs if p.text.startswith("——"))
    assert source.runs[0].font.size == Pt(14)
    footer = docx_xml(path, "footer")
    assert "PAGE" in footer and ('w:fldCharType="begin"' in footer or "fldSimple" in footer)


def test_json_is_serialisable() -> None:
    data = study_json(small_pack())
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data["generated"] == "2024-05-06"
    assert data["sections"][0]["measures"][0]["basis"] == ["《中华人民共和国审计法》第三十二条"]


# ------------------------------------------------------------------------------ the real corpus


@pytest.fixture(scope="module")
def finance_pack(corpus_workspace: Workspace) -> StudyPack:
    return build_study_pack(corpus_workspace, "财务管理与内部审计", today=date(2024, 5, 6))


def test_finance_pack_has_a_section_per_topic(finance_pack: StudyPack) -> None:
    assert finance_pack.title == "“财务管理与内部审计”专题学习资料"
    assert [s.topic for s in finance_pack.sections] == ["财务管理", "内部审计"]
    assert finance_pack.contents[0] == "第一部分　财务管理"


def test_finance_pack_quotes_the_bureau_internal_audit_measure(finance_pack: StudyPack) -> None:
    measures = [e for s in finance_pack.sections for e in s.measures]
    found = [e for e in measures if e.doc == BUREAU and e.label == "五是" and "（二）" in e.section]
    assert len(found) == 1
    measure = found[0]
    assert measure.section.startswith("二、") and "内部审计" in measure.text and not measure.partial
    assert measure.kind == "report"
    # The article it implements is beside it.
    assert "《中华人民共和国审计法》第三十二条" in measure.basis


def test_finance_pack_lists_every_financial_measure_of_the_bureau(finance_pack: StudyPack) -> None:
    finance = next(s for s in finance_pack.sections if s.topic == "财务管理")
    bureau = [e for e in finance.measures if e.doc == BUREAU]
    text = document_text(BUREAU)
    # Every 一是…九是 item of the bureau's report that speaks of 财务 is there, in the report's order.
    assert {e.label for e in bureau} >= {"三是", "六是"}
    assert [e.start for e in bureau] == sorted(e.start for e in bureau)
    assert all("财务" in text[e.start:e.end] for e in bureau)


def test_articles_are_few_laws_first_and_in_their_own_order(finance_pack: StudyPack) -> None:
    for section in finance_pack.sections:
        assert 0 < len(section.regulations) <= 8
        ranks = [hierarchy(e.title) for e in section.regulations]
        assert ranks == sorted(ranks)
        assert not any(frames_the_law(e.text) for e in section.regulations)


def test_finance_pack_cites_audit_or_accounting_law_articles(finance_pack: StudyPack) -> None:
    articles = [e for s in finance_pack.sections for e in s.regulations]
    law_articles = [e for e in articles if e.doc in (AUDIT_LAW, ACCOUNTING_LAW)]
    assert law_articles
    assert all(e.label.startswith("第") and e.label.endswith("条") and e.text.startswith(e.label) for e in law_articles)
    assert any(e.doc == AUDIT_LAW and e.label == "第三十二条" for e in articles)
    assert all(e.kind == "regulation" for e in articles)


def test_every_excerpt_is_an_exact_span_of_its_document(finance_pack: StudyPack) -> None:
    excerpts = finance_pack.excerpts
    assert excerpts
    for e in excerpts:
        assert document_text(e.doc)[e.start : e.end] == e.text, (e.doc, e.section)
        assert all(t in e.text for t in e.titles)


def test_excerpts_match_their_topic_and_do_not_repeat(finance_pack: StudyPack, corpus_workspace: Workspace) -> None:
    spans = [(e.doc, e.start, e.end) for e in finance_pack.excerpts]
    assert len(spans) == len(set(spans))
    for section in finance_pack.sections:
        for e in section.excerpts:
            terms = topic_terms(section.topic, corpus_workspace.searcher.idf)
            assert matches_topic(e.text, terms), (section.topic, e.source)
        # Grouped by document, in document order within each.
        for part in (section.regulations, section.measures):
            docs = [e.doc for e in part]
            assert docs == sorted(docs, key=docs.index)
            for a, b in zip(part, part[1:], strict=False):
                if a.doc == b.doc:
                    assert a.start < b.start


def test_finance_pack_exports(finance_pack: StudyPack, tmp_path: Path) -> None:
    md = study_markdown(finance_pack)
    assert md.startswith("# “财务管理与内部审计”专题学习资料\n")
    for e in finance_pack.excerpts:
        assert f"*——{markdown_escape(e.source)}*" in md
    path = study_docx(finance_pack, tmp_path / "财务管理与内部审计.docx")
    text = docx_text(path)
    for e in finance_pack.excerpts:
        assert e.text in text
    assert "仿宋_GB2312" in docx_xml(path, "document")
    assert "PAGE" in docx_xml(path, "footer")
    data = study_json(finance_pack)
    assert [s["topic"] for s in data["sections"]] == ["财务管理", "内部审计"]


def test_document_and_kind_filters(corpus_workspace: Workspace) -> None:
    pack = build_study_pack(corpus_workspace, "内部审计", docs=[BUREAU, AUDIT_LAW])
    assert {e.doc for e in pack.excerpts} == {BUREAU, AUDIT_LAW}
    reports_only = build_study_pack(corpus_workspace, ["内部审计"], kinds=["report"])
    assert reports_only.sections[0].regulations == [] and reports_only.sections[0].measures
    assert reports_only.title == "“内部审计”专题学习资料"


def test_measure_naming_a_regulation_sits_beside_its_articles(corpus_workspace: Workspace) -> None:
    pack = build_study_pack(corpus_workspace, "保密工作")
    measure = next(e for e in pack.sections[0].measures if e.doc == BUREAU and e.label == "七是")
    assert "《中华人民共和国保守国家秘密法》" in measure.titles
    assert measure.basis and all(b.startswith("《中华人民共和国保守国家秘密法》第") for b in measure.basis)
    articles = {e.reference for e in pack.sections[0].regulations if e.doc == SECRECY_LAW}
    assert set(measure.basis) <= articles
