"""整改台账: one row per rectification measure of the reports, its text exactly the document's span."""

from __future__ import annotations

import csv
import io
from functools import cache
from pathlib import Path

import pytest
from openpyxl import load_workbook

from assistant.exports import write_table
from assistant.ledger import LedgerRow, build_ledger, filter_rows, ledger_from_chunks
from assistant.views import LEDGER_HEADER, ledger_table
from assistant.workspace import Workspace
from index.chunking import Chunk
from index.loaders import load_document
from tests.conftest import DOCS_SRC

BUREAU = "教育局党组关于巡察组巡察反馈问题整改情况的通报.txt"
NANKAI = "中共南开大学委员会关于十九届中央第七轮巡视整改进展情况的通报.md"


@cache
def document_text(name: str) -> str:
    path = next(DOCS_SRC.rglob(name))
    return load_document(path).text


def chunk(
    text: str, start: int, ordinal: int, *, label: str = "一是", section: str = "一、总体情况 › 一是",
    title: str = "某局整改通报", kind: str = "report", doc: str = "通报.txt",
) -> Chunk:
    return Chunk(
        doc_id="d1", doc=doc, title=title, kind=kind, section=section, label=label, start=start,
        end=start + len(text), text=text, page=None, titles=(), ordinal=ordinal,
    )


# ------------------------------------------------------------------------------------------ rows


DOC = "一、总体情况\n一是召开专题会议研究整改。制定整改方案，明确责任分工。逐项销号管理。\n二是开展内部审计。\n"


def test_overlapping_pieces_of_one_measure_become_one_row_with_the_exact_span() -> None:
    a0 = DOC.index("一是")
    a1 = DOC.index("逐项")
    first = chunk(DOC[a0:a1], a0, 1)  # 一是…明确责任分工。
    second = chunk(DOC[DOC.index("制定") : DOC.index("二是") - 1], DOC.index("制定"), 2)  # overlap: 制定…
    other = chunk("二是开展内部审计。", DOC.index("二是"), 3, label="二是", section="一、总体情况 › 二是")
    rows = ledger_from_chunks([first, second, other])
    assert [r.label for r in rows] == ["一是", "二是"]
    assert rows[0].text == DOC[a0 : DOC.index("二是") - 1]
    assert (rows[0].start, rows[0].end, rows[0].pieces) == (a0, DOC.index("二是") - 1, 2)
    assert rows[0].area == "一、总体情况"


def test_pieces_split_at_trimmed_whitespace_are_joined_from_the_document_text() -> None:
    text = "一是召开专题会议。\n\n制定整改方案。"
    first = chunk("一是召开专题会议。", 0, 0)
    second = chunk("制定整改方案。", text.index("制定"), 1)
    rows = ledger_from_chunks([first, second], load_text=lambda _doc_id: text)
    assert len(rows) == 1
    assert rows[0].text == text
    # Without the document the gap cannot be reproduced exactly: the pieces stay separate rows.
    assert [r.text for r in ledger_from_chunks([first, second])] == [first.text, second.text]


def test_a_new_measure_with_the_same_label_is_not_merged() -> None:
    a = chunk("一是学习。", 0, 0)
    b = chunk("一是再学习。", 6, 1)  # opens with its label: a measure of its own
    assert len(ledger_from_chunks([a, b], load_text=lambda _d: "一是学习。\n一是再学习。")) == 2


def test_only_report_measures_are_rows() -> None:
    article = chunk("第三十二条 被审计单位应当…", 0, 0, label="第三十二条", kind="regulation")
    paragraph = chunk("根据州委统一部署。", 0, 1, label="", section="")
    rule = chunk("1.注重实际效果。", 0, 2, label="1.", title="《中央八项规定实施细则》", kind="regulation")
    assert ledger_from_chunks([article, paragraph, rule]) == []


def make_row(**overrides: object) -> LedgerRow:
    values: dict[str, object] = {
        "doc": BUREAU, "doc_id": "d", "title": "教育局通报", "area": "二、 › （二）针对群众身边问题", "label": "五是",
        "text": "五是开展内部审计。", "start": 0, "end": 9, "page": None, "titles": ("《内部审计工作规定》",),
    }
    return LedgerRow(**(values | overrides))  # type: ignore[arg-type]


def test_filter_by_document_area_and_keywords() -> None:
    rows = [
        make_row(),
        make_row(label="六是", text="六是修订财务管理制度。", titles=()),
        make_row(doc="南开.md", title="南开通报", area="一、", label="一是", text="一是系统学习。", titles=()),
    ]
    assert [r.label for r in filter_rows(rows, doc="教育局")] == ["五是", "六是"]
    assert [r.label for r in filter_rows(rows, area="（二）", keyword="财务")] == ["六是"]
    assert [r.label for r in filter_rows(rows, keyword="内部审计 工作规定")] == ["五是"]  # every word, titles too
    assert filter_rows(rows, doc="南开", keyword="审计") == []


def test_csv_has_the_chinese_header_and_one_line_per_row(tmp_path: Path) -> None:
    rows = [make_row(), make_row(label="六是", text="六是=SUM(A1)，换行\n第二行", titles=("《甲》", "《乙》"),
                                 problem="（二）针对群众身边问题", units=("财务科", "办公室"), status="正在推进")]
    write_table(ledger_table(rows), tmp_path / "台账.csv")
    table = list(csv.reader(io.StringIO((tmp_path / "台账.csv").read_text(encoding="utf-8-sig"), newline="")))
    assert table[0] == list(LEDGER_HEADER) == [
        "序号", "反馈问题", "整改措施", "责任单位", "整改时限", "完成情况", "来源文件", "序号标记"
    ]
    assert table[2] == ["2", "（二）针对群众身边问题", "六是=SUM(A1)，换行\n第二行", "财务科、办公室", "", "正在推进",
                        "《教育局通报》", "六是"]
    assert (tmp_path / "台账.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8


def test_xlsx_round_trips_with_widths_and_wrapping(tmp_path: Path) -> None:
    rows = [make_row(), make_row(label="六是", text="=1+1 不是公式", titles=())]
    path = write_table(ledger_table(rows), tmp_path / "台账.xlsx")
    sheet = load_workbook(path).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == list(LEDGER_HEADER)
    assert values[1] == [1, None, "五是开展内部审计。", None, None, None, "《教育局通报》", "五是"]
    assert values[2][2] == "=1+1 不是公式" and sheet.cell(3, 3).data_type == "s"
    assert sheet.column_dimensions["C"].width >= 60
    assert sheet.cell(2, 3).alignment.wrap_text
    assert sheet.freeze_panes == "A2"


# ------------------------------------------------------------------------------ the real corpus


@pytest.fixture(scope="module")
def ledger(corpus_workspace: Workspace) -> list[LedgerRow]:
    return build_ledger(corpus_workspace)


def test_bureau_internal_audit_measure_is_a_row(ledger: list[LedgerRow]) -> None:
    rows = filter_rows(ledger, doc=BUREAU, area="（二）", keyword="内部审计")
    assert [r.label for r in rows] == ["五是"]
    row = rows[0]
    assert row.area.startswith("二、") and "（二）" in row.area
    assert row.text.startswith("五是会同财政局制定印发《*州教育系统内部审计工作规定》")
    assert "《*州教育系统内部审计工作规定》" in row.titles


def test_nankai_rows_include_its_first_measure(ledger: list[LedgerRow]) -> None:
    texts = [r.text for r in ledger if r.doc == NANKAI]
    assert any(t.startswith("一是系统全面深研细悟") for t in texts)


def test_no_row_comes_from_a_regulation(ledger: list[LedgerRow]) -> None:
    regulations = {p.name for p in (DOCS_SRC / "regulations").iterdir()}
    assert ledger and not any(r.doc in regulations for r in ledger)
    assert not any(r.label.endswith("条") for r in ledger)


def test_row_texts_are_exact_document_spans_and_never_overlap(ledger: list[LedgerRow]) -> None:
    previous: LedgerRow | None = None
    for row in ledger:
        assert document_text(row.doc)[row.start : row.end] == row.text, (row.doc, row.label, row.start)
        if previous is not None and previous.doc == row.doc:
            assert previous.end <= row.start, (row.doc, row.label)  # one row per measure
        previous = row


def test_a_long_measure_split_into_chunks_is_one_row(corpus_workspace: Workspace, ledger: list[LedgerRow]) -> None:
    merged = [r for r in ledger if r.pieces > 1]
    assert merged
    row = next(r for r in merged if r.doc == NANKAI and "持续提升基层党建工作质量" in r.area and r.label == "一是")
    assert row.pieces == 3
    chunks = [c for c in corpus_workspace.lexical.chunks_of(row.doc_id) if row.start <= c.start < row.end]
    assert len(chunks) == 3 and all(len(c.text) < len(row.text) for c in chunks)
    assert row.text == document_text(NANKAI)[row.start : row.end]
    assert row.text.endswith(chunks[-1].text)


def test_ledger_of_one_document_exports_to_xlsx(corpus_workspace: Workspace, tmp_path: Path) -> None:
    rows = build_ledger(corpus_workspace, docs=[BUREAU])
    assert rows and {r.doc for r in rows} == {BUREAU}
    assert [r.label for r in rows[:3]] == ["一是", "二是", "三是"]
    sheet = load_workbook(write_table(ledger_table(rows), tmp_path / "教育局台账.xlsx")).active
    assert sheet is not None
    table = [[c.value for c in row] for row in sheet.iter_rows(values_only=False)]
    assert len(table) == len(rows) + 1
    for row, cells in zip(rows, table[1:], strict=True):
        assert cells[2] == row.text and cells[7] == row.label and (cells[1] or "") == row.problem
        assert (cells[3] or "") == "、".join(row.units) and (cells[5] or "") == row.status
