"""Ledgers (整改台账) as real .xlsx workbooks and .csv files: one unit per row, "列名：值；列名：值"."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from index.chunking import chunk_document
from index.loaders import LoadedDocument, LoadError, load_document
from index.loaders.spreadsheet import EMPTY_TABLE, ENCRYPTED_XLSX, LEGACY_XLS, NOT_XLSX
from index.structure import ROW, analyze
from tests.index.documents import load_error, write
from tests.index.spreadsheets import Cells, encrypted_xlsx_bytes, workbook_bytes, xlsx_bytes

HEADER = ["序号", "问题", "整改措施", "责任单位", "整改时限", "完成情况"]
LEDGER: Cells = [
    ["某局巡察反馈问题整改台账"],
    [],
    HEADER,
    [1, "财务制度不健全", "修订机关财务管理制度", "财务科", "2024年3月", "已完成"],
    [None, None, "清理往来款项挂账", "财务科", "2024年6月", "未完成"],
    [2, "保密意识不强", "组织签订保密承诺书", "办公室", None, "已完成"],
]
LEDGER_MERGES = ["A1:F1", "A4:A5", "B4:B5"]  # the title across the sheet; 序号 and 问题 over two rows



def rows(document: LoadedDocument) -> list[tuple[str, tuple[str, ...], str]]:
    return [(u.label, u.headings, document.text[u.start : u.end]) for u in analyze(document).units]



def test_ledger_rows_become_self_describing_units(tmp_path: Path) -> None:
    document = load_document(write(tmp_path, "台账.xlsx", xlsx_bytes(LEDGER, "台账", LEDGER_MERGES)))
    title = "某局巡察反馈问题整改台账"
    assert document.title == title
    assert rows(document) == [
        ("序号1", (title,), "序号：1；问题：财务制度不健全；整改措施：修订机关财务管理制度；责任单位：财务科；"
                            "整改时限：2024年3月；完成情况：已完成"),
        # 序号 and 问题 are merged down over both rows of problem 1.
        ("序号1（第5行）", (title,), "序号：1；问题：财务制度不健全；整改措施：清理往来款项挂账；责任单位：财务科；"
                                  "整改时限：2024年6月；完成情况：未完成"),
        ("序号2", (title,), "序号：2；问题：保密意识不强；整改措施：组织签订保密承诺书；责任单位：办公室；完成情况：已完成"),
    ]
    assert document.text.split("\n")[0] == title
    assert all(u.kind == ROW for u in analyze(document).units)
    chunks = chunk_document(document, doc_id="ledger")
    assert [c.section for c in chunks] == [f"{title} › 序号1", f"{title} › 序号1（第5行）", f"{title} › 序号2"]
    assert all(c.text == document.text[c.start : c.end] for c in chunks)


def test_each_sheet_is_a_section_and_rows_without_serial_use_their_row_number(tmp_path: Path) -> None:
    data = workbook_bytes({
        "财务科": [["整改措施", "完成情况"], ["修订财务制度", "已完成"], [None, None], ["清理挂账", "未完成"]],
        "办公室": [["整改措施", "完成情况", None], ["签订保密承诺书", "已完成", None]],
        "空表": [],
    })
    document = load_document(write(tmp_path, "分科室台账.xlsx", data))
    assert document.title == "分科室台账"  # sheet names do not name the workbook
    assert rows(document) == [
        ("第2行", ("财务科",), "整改措施：修订财务制度；完成情况：已完成"),
        ("第4行", ("财务科",), "整改措施：清理挂账；完成情况：未完成"),  # the empty row is skipped
        ("第2行", ("办公室",), "整改措施：签订保密承诺书；完成情况：已完成"),
    ]
    assert document.text == (
        "财务科\n整改措施：修订财务制度；完成情况：已完成\n整改措施：清理挂账；完成情况：未完成\n\n"
        "办公室\n整改措施：签订保密承诺书；完成情况：已完成"
    )


def test_header_under_a_title_and_a_note_row_with_a_two_level_header(tmp_path: Path) -> None:
    data = xlsx_bytes(
        [
            ["巡察整改清单"],
            ["填报单位：办公室", None, "填报日期：2024年3月1日"],
            ["序号", "整改措施", "整改情况", None],
            [None, None, "完成情况", "完成时间"],
            [1, "建立督办台账", "已完成", "2024-02-01"],
        ],
        merges=["A1:D1", "A3:A4", "B3:B4", "C3:D3"],
    )
    document = load_document(write(tmp_path, "清单.xlsx", data))
    assert rows(document) == [
        ("", ("巡察整改清单",), "填报单位：办公室；填报日期：2024年3月1日"),
        ("序号1", ("巡察整改清单",), "序号：1；整改措施：建立督办台账；整改情况（完成情况）：已完成；整改情况（完成时间）：2024-02-01"),
    ]


def test_cell_values_as_people_read_them(tmp_path: Path) -> None:
    import datetime as dt

    data = xlsx_bytes([
        ["事项", "金额", "日期", "说明"],
        ["追缴资金", 12.0, dt.datetime(2024, 3, 31), "第一行\n第二行"],
        ["比例", 0.1 + 0.2, dt.datetime(2024, 3, 31, 9, 30), "  "],
    ])
    document = load_document(write(tmp_path, "数值.xlsx", data))
    assert document.text.split("\n")[1:] == [
        "事项：追缴资金；金额：12；日期：2024-03-31；说明：第一行 第二行",
        "事项：比例；金额：0.3；日期：2024-03-31 09:30:00",
    ]


def test_merged_value_across_columns_is_named_by_both(tmp_path: Path) -> None:
    data = xlsx_bytes([["问题", "整改措施", "完成情况"], ["会议记录不全", "已整改到位", None]], merges=["B2:C2"])
    assert load_document(write(tmp_path, "合并.xlsx", data)).text.split("\n")[1] == (
        "问题：会议记录不全；整改措施、完成情况：已整改到位"
    )


def test_very_wide_sheet(tmp_path: Path) -> None:
    columns = 200
    header = [f"指标{i}" for i in range(columns)]
    values = [[f"第{r}行值{i}" if (r + i) % 3 else None for i in range(columns)] for r in range(30)]
    document = load_document(write(tmp_path, "宽表.xlsx", xlsx_bytes([header, *values])))
    units = analyze(document).units
    assert len(units) == 30
    first = document.text[units[0].start : units[0].end]
    assert first.startswith("指标1：第0行值1；指标2：第0行值2；指标4：第0行值4")
    assert first.count("；") == sum(1 for i in range(columns) if i % 3) - 1
    chunks = chunk_document(document, doc_id="wide", max_chars=400)
    assert all(len(c.text) <= 400 for c in chunks)
    assert {c.label for c in chunks} == {f"第{r}行" for r in range(2, 32)}


def test_formulas_without_cached_values_are_skipped(tmp_path: Path) -> None:
    # openpyxl writes formulas without results: the file was never opened in Excel or WPS.
    data = workbook_bytes({
        "台账": [["整改措施", "完成情况", "天数"], ["修订财务制度", "已完成", "=1+1"]],
        "统计": [["项目", "数量"], ["=台账!A2", '=COUNTIF(台账!B:B,"已完成")'], ["=台账!A3", "=0"]],
    })
    with pytest.raises(LoadError) as info:
        load_document(write(tmp_path, "公式.xlsx", data))
    assert info.value.reason.startswith("工作表“统计”中只有公式、没有保存计算结果")
    only_cells = workbook_bytes({"台账": [["整改措施", "完成情况", "天数"], ["修订财务制度", "已完成", "=1+1"]]})
    document = load_document(write(tmp_path, "部分公式.xlsx", only_cells))
    assert document.text.split("\n")[1] == "整改措施：修订财务制度；完成情况：已完成"


def test_password_protected_xlsx(tmp_path: Path) -> None:
    assert load_error(write(tmp_path, "加密台账.xlsx", encrypted_xlsx_bytes())).reason == ENCRYPTED_XLSX


def test_other_broken_workbooks(tmp_path: Path) -> None:
    ole = bytes.fromhex("d0cf11e0a1b11ae1") + "Workbook".encode("utf-16-le") + bytes(500)
    assert load_error(write(tmp_path, "旧版.xlsx", ole)).reason == LEGACY_XLS
    full = xlsx_bytes(LEDGER)
    assert load_error(write(tmp_path, "截断.xlsx", full[: len(full) // 2])).reason.startswith("xlsx 文件损坏")
    from tests.index.documents import docx_bytes

    assert load_error(write(tmp_path, "其实是Word.xlsx", docx_bytes(["整改"]))).reason == NOT_XLSX
    assert load_error(write(tmp_path, "空表.xlsx", xlsx_bytes([]))).reason == EMPTY_TABLE


# ---------------------------------------------------------------- CSV


CSV_TEXT = "序号,问题,整改措施,责任单位\n1,财务制度不健全,修订机关财务管理制度,财务科\n2,保密意识不强,\"组织签订保密承诺书，开展自查\",办公室\n"
CSV_ROWS = [
    ("序号1", (), "序号：1；问题：财务制度不健全；整改措施：修订机关财务管理制度；责任单位：财务科"),
    ("序号2", (), "序号：2；问题：保密意识不强；整改措施：组织签订保密承诺书，开展自查；责任单位：办公室"),
]


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("gbk", b"")],
    ids=["utf-8", "utf-8-bom", "gbk"],
)
def test_csv_in_each_encoding(tmp_path: Path, encoding: str, bom: bytes) -> None:
    document = load_document(write(tmp_path, "台账.csv", bom + CSV_TEXT.encode(encoding)))
    assert rows(document) == CSV_ROWS
    assert document.title == "台账"


def test_csv_with_a_title_line_and_semicolons(tmp_path: Path) -> None:
    text = "巡察整改台账;;\n整改措施;责任单位;完成情况\n修订财务制度;财务科;已完成\n"
    document = load_document(write(tmp_path, "分号.csv", text.encode()))
    assert document.title == "巡察整改台账"
    assert rows(document) == [("第3行", ("巡察整改台账",), "整改措施：修订财务制度；责任单位：财务科；完成情况：已完成")]


def test_csv_with_a_utf8_bom_before_gbk_and_lines_in_both(tmp_path: Path) -> None:
    """A BOM written by one program before GBK text from another, and lines appended in UTF-8: each
    line is read in the encoding that reads it, the lying BOM is dropped (index/loaders/decoding.py)."""
    head, first, second = CSV_TEXT.splitlines(keepends=True)
    data = codecs.BOM_UTF8 + (head + first).encode("gbk") + second.encode("utf-8")
    document = load_document(write(tmp_path, "混合编码.csv", data))
    assert rows(document) == CSV_ROWS
