"""Spreadsheets (.xlsx through openpyxl, .csv): 整改台账 and 清单, one unit per row.

Each sheet is a section under its heading (the title row above the header when there is one, else
the sheet's name). Each row becomes one line "列名：值；列名：值" (empty cells left out), so every chunk
says what its values are; the row is a unit of its own, labelled by its 序号 or its row number.
Merged cells count for every row and column they cover; empty rows and columns disappear.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.cleaning import HeadingHint
from index.loaders.decoding import decode_or_fail
from index.loaders.document import LoadedDocument, LoadError, UnitHint, choose_title
from index.loaders.word import OLE_MAGIC, ZIP_MAGIC

logger = logging.getLogger(__name__)

ENCRYPTED_XLSX = "表格已加密（设置了打开密码），无法读取：请在 Excel 或 WPS 中取消密码后再导入"
LEGACY_XLS = "这是旧版 Excel 表格（.xls），无法直接读取：请在 Excel 或 WPS 中另存为 .xlsx 后再导入"
NOT_XLSX = "不是 Excel 表格（压缩包中没有 xl/workbook.xml）"
EMPTY_TABLE = "表格中没有任何内容（工作表都是空的）"
# Sheets are read whole (merged cells need openpyxl's normal mode): bound the cells one sheet may span.
MAX_SHEET_CELLS = 2_000_000
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")  # the stream name in the OLE directory
_HEADER_SEARCH_ROWS = 10
_HEADER_MAX_CHARS = 40
_TITLE_MAX_CHARS = 80
_SERIAL = re.compile(r"^(?:序号|编号|序|No\.?)$", re.IGNORECASE)
_NUMERIC = re.compile(r"^[-+]?[\d,.，%/:：\s年月日]+$")
_NOTE = re.compile(r"[：:].")
_CSV_DELIMITERS = ",\t;|"


@dataclass(frozen=True)
class _Segment:
    first: int  # 0-based columns it covers (a merged cell covers several)
    last: int
    text: str


@dataclass(frozen=True)
class _Row:
    number: int  # 1-based row of the sheet (line of a CSV file)
    segments: tuple[_Segment, ...]  # non-empty cells only, left to right


@dataclass(frozen=True)
class _Sheet:
    name: str  # "" for a CSV file
    rows: list[_Row]
    uncached_formulas: int = 0


# ---------------------------------------------------------------------------------------------------
# Readers


def load_xlsx(path: Path, data: bytes) -> LoadedDocument:
    if data.startswith(OLE_MAGIC):
        raise LoadError(path, ENCRYPTED_XLSX if _ENCRYPTED_STREAM in data else LEGACY_XLS)
    if data.startswith(ZIP_MAGIC) and not _zip_lists(data, "xl/workbook.xml"):
        raise LoadError(path, NOT_XLSX)
    import openpyxl

    try:
        # Normal mode: read-only sheets do not know their merged cells.
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        formulas = _formula_cells(data) if _has_formulas(data) else {}
    except LoadError:
        raise
    except Exception as exc:  # openpyxl raises many exception types on malformed input
        raise LoadError(path, f"xlsx 文件损坏或格式不正确：{_describe_xlsx_error(exc)}") from exc
    sheets = []
    for worksheet in workbook.worksheets:
        if worksheet.sheet_state != "visible":
            continue
        cells = worksheet.max_row * worksheet.max_column
        if cells > MAX_SHEET_CELLS:
            raise LoadError(
                path,
                f"工作表“{worksheet.title}”过大（{worksheet.max_row} 行 × {worksheet.max_column} 列），请拆分后再导入",
            )
        sheet = _worksheet(worksheet, formulas.get(worksheet.title, set()))
        if sheet.uncached_formulas:
            logger.warning("%s：工作表“%s”有 %d 个公式单元格没有保存计算结果，已跳过", path.name, sheet.name,
                           sheet.uncached_formulas)
        sheets.append(sheet)
    return _table_document(path, sheets)


def load_csv(path: Path, data: bytes) -> LoadedDocument:
    text = decode_or_fail(path, data)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=_CSV_DELIMITERS)
    except csv.Error:
        dialect = csv.excel
    rows = []
    try:
        for number, values in enumerate(csv.reader(io.StringIO(text, newline=""), dialect), start=1):
            segments = tuple(
                _Segment(i, i, cell) for i, value in enumerate(values) if (cell := _cell_text(value))
            )
            if segments:
                rows.append(_Row(number, segments))
    except csv.Error as exc:
        raise LoadError(path, f"CSV 格式不正确：{exc}") from exc
    return _table_document(path, [_Sheet("", rows)])


def _zip_lists(data: bytes, name: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return name in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return True  # damaged: let openpyxl say how


def _describe_xlsx_error(exc: Exception) -> str:
    if isinstance(exc, zipfile.BadZipFile | EOFError):
        return "不是完整的 xlsx 压缩包（文件可能被截断）"
    return f"{type(exc).__name__}: {exc}"


def _has_formulas(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return any(
            b"<f>" in (raw := archive.read(name)) or b"<f " in raw or b":f>" in raw or b":f " in raw
            for name in archive.namelist()
            if name.startswith("xl/worksheets/") and name.endswith(".xml")
        )


def _formula_cells(data: bytes) -> dict[str, set[tuple[int, int]]]:
    """(row, column) of every formula cell, by sheet. A second, streaming pass: with ``data_only`` the
    first pass sees a formula's saved result, or None when the file has none (it was never computed)."""
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        return {
            sheet.title: {
                (cell.row, cell.column)
                for row in sheet.iter_rows()
                for cell in row
                if getattr(cell, "data_type", None) == "f"
            }
            for sheet in workbook.worksheets
        }
    finally:
        workbook.close()


def _worksheet(worksheet: Any, formulas: set[tuple[int, int]]) -> _Sheet:
    values = [
        list(row)
        for row in worksheet.iter_rows(
            min_row=1, min_col=1, max_row=worksheet.max_row, max_col=worksheet.max_column, values_only=True
        )
    ]
    uncached = sum(1 for r, c in formulas if values[r - 1][c - 1] is None)
    texts = [[_cell_text(value) for value in row] for row in values]
    # A merged cell's value belongs to every cell it covers: down for each row, across as one segment.
    span_of: dict[tuple[int, int], int] = {}
    for merged in worksheet.merged_cells.ranges:
        anchor = texts[merged.min_row - 1][merged.min_col - 1]
        for r in range(merged.min_row - 1, merged.max_row):
            for c in range(merged.min_col - 1, merged.max_col):
                texts[r][c] = anchor if c == merged.min_col - 1 else ""
            span_of[(r, merged.min_col - 1)] = merged.max_col - 1
    rows = []
    for r, row in enumerate(texts):
        segments = tuple(
            _Segment(c, span_of.get((r, c), c), text) for c, text in enumerate(row) if text
        )
        if segments:
            rows.append(_Row(r + 1, segments))
    return _Sheet(worksheet.title, rows, uncached)


def _cell_text(value: object) -> str:
    """A cell as people read it: dates without a zero time, whole numbers without ".0", lines joined."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        text = value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    elif isinstance(value, dt.date | dt.time):
        text = value.isoformat()
    elif isinstance(value, bool):
        text = "是" if value else "否"
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() else f"{value:.10g}"
    else:
        text = str(value)
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


# ---------------------------------------------------------------------------------------------------
# Sheets → text and units


@dataclass(frozen=True)
class _Table:
    heading: str
    notes: list[_Row]  # rows above the header other than the title ("填报单位：…")
    names: dict[int, str]  # column → its name
    rows: list[_Row]


def _table(sheet: _Sheet) -> _Table:
    rows = sheet.rows
    head = _header_index(rows)
    if head is None:
        return _Table(sheet.name, [], {}, rows)
    above, header = rows[:head], rows[head]
    names = {c: s.text for s in header.segments for c in range(s.first, s.last + 1)}
    body = rows[head + 1 :]
    if body and _is_sub_header(body[0], names):
        names = _merge_sub_header(names, body[0])
        body = body[1:]
    title = next((r for r in above if len(r.segments) == 1 and len(r.segments[0].text) <= _TITLE_MAX_CHARS), None)
    notes = [r for r in above if r is not title]
    return _Table(title.segments[0].text if title else sheet.name, notes, names, body)


def _header_index(rows: list[_Row]) -> int | None:
    """The header: among the first rows, the first with names in most columns and rows under it."""
    search = rows[:_HEADER_SEARCH_ROWS]
    widest = max((len(r.segments) for r in search), default=0)
    for i, row in enumerate(search[:-1]):
        if len(row.segments) >= 2 and len(row.segments) >= 0.5 * widest and all(map(_is_name, row.segments)):
            return i
    return None


def _is_name(segment: _Segment) -> bool:
    """Could be a column name: short, not a number or date, not a "填报单位：办公室" note."""
    text = segment.text
    return len(text) <= _HEADER_MAX_CHARS and not _NUMERIC.match(text) and not _NOTE.search(text)


def _is_sub_header(row: _Row, names: dict[int, str]) -> bool:
    """A second header row: under a header cell merged across columns, and repeating (merged down)
    the names of the columns that have no sub-heading."""
    repeats = sum(1 for s in row.segments if names.get(s.first) == s.text)
    return (
        repeats >= 1
        and all(map(_is_name, row.segments))
        and any(names.get(s.first) != s.text for s in row.segments)
    )


def _merge_sub_header(names: dict[int, str], row: _Row) -> dict[int, str]:
    merged = dict(names)
    for s in row.segments:
        for c in range(s.first, s.last + 1):
            parent = names.get(c, "")
            merged[c] = s.text if parent in ("", s.text) else f"{parent}（{s.text}）"
    return merged


def _row_text(row: _Row, names: dict[int, str]) -> str:
    parts = []
    for segment in row.segments:
        covered = dict.fromkeys(names[c] for c in range(segment.first, segment.last + 1) if names.get(c))
        name = "、".join(covered)
        parts.append(f"{name}：{segment.text}" if name else segment.text)
    return "；".join(parts)


def _row_label(row: _Row, names: dict[int, str], seen: set[str]) -> str:
    """序号 and its value ("序号3") when the sheet has such a column, else the row number ("第5行")."""
    serial = next((s for s in row.segments if _SERIAL.match(names.get(s.first, "")) and len(s.text) <= 12), None)
    label = f"{names[serial.first]}{serial.text}" if serial else f"第{row.number}行"
    if label in seen:  # a 序号 merged down over several rows
        label = f"{label}（第{row.number}行）"
    seen.add(label)
    return label


def _table_document(path: Path, sheets: list[_Sheet]) -> LoadedDocument:
    lines: list[str] = []
    offset = 0
    headings: list[HeadingHint] = []
    units: list[UnitHint] = []
    title: str | None = None

    def add(line: str) -> tuple[int, int]:
        nonlocal offset
        start = offset
        lines.append(line)
        offset += len(line) + 1
        return start, start + len(line)

    for sheet in sheets:
        table = _table(sheet)
        # Nothing but a header (or nothing) where formulas stand: the file was never computed.
        if sheet.uncached_formulas and (not table.rows or (not table.names and len(table.rows) <= 1)):
            raise LoadError(path, _formulas_only(sheet))
        if not table.rows:
            continue
        if lines:
            add("")
        path_headings: tuple[str, ...] = ()
        if table.heading:
            start, end = add(table.heading)
            headings.append(HeadingHint(start, end, 1))
            path_headings = (table.heading,)
            if title is None and table.heading != sheet.name:
                title = table.heading
        seen: set[str] = set()
        for note in table.notes:
            start, end = add("；".join(s.text for s in note.segments))
            units.append(UnitHint(start, end, "", path_headings))
        for row in table.rows:
            start, end = add(_row_text(row, table.names))
            units.append(UnitHint(start, end, _row_label(row, table.names, seen), path_headings))
        if title is None:
            title = ""  # only the first sheet's title row names the workbook
    if not units:
        raise LoadError(path, EMPTY_TABLE)
    return LoadedDocument(
        path, "\n".join(lines), choose_title(path, title or None), headings=tuple(headings), units=tuple(units)
    )


def _formulas_only(sheet: _Sheet) -> str:
    return (
        f"工作表“{sheet.name}”中只有公式、没有保存计算结果（{sheet.uncached_formulas} 个公式单元格没有缓存值，"
        "多见于程序生成的表格）：请用 Excel 或 WPS 打开后保存，再导入"
    )
