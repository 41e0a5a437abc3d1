"""An uploaded 整改清单 (.txt/.md/.docx/.xlsx/.csv) → the measures it lists, one per line or row."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from assistant.measures.elements import pos_tokens
from assistant.measures.lexicon import ACTION_CLASS_OF
from index.loaders.decoding import decode_text
from index.text import CJK, CN_ORDINAL

# Wider than index.text.ITEM_LABEL: a pasted list numbers its lines any way (一、, ①, a bullet, 第三条, 1)),
# and only a line's start is stripped; but 第一 only before a comma or colon (第一，制定…), "第一次…" keeps its 第一.
_NUMBERING = re.compile(
    rf"^\s*(?:[（(]?(?:{CN_ORDINAL}|百)+[）)、.．]|[（(]\d+[）)]|\d+[、.．)）](?!\d)|[①-⑳]|"
    rf"{CN_ORDINAL}+是[：:，,]?|第(?:{CN_ORDINAL}|[百\d])+(?:[条项点][、：:，,]?|[、：:，,])|[-•·*]\s)\s*"
)

_MEASURE_HEADER = re.compile(r"整改措施|措施|整改内容|内容")


def strip_numbering(line: str) -> str:
    """"1. 制定…", "（一）制定…", "一是制定…" → "制定…"."""
    text = line.strip()
    for _ in range(2):
        text = _NUMBERING.sub("", text, count=1).strip()
    return text


def read_measures_file(path: str | Path) -> list[str]:
    """Measures from an uploaded list: .txt/.md (one a line), .docx, .xlsx or .csv."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".txt", ".md", ""):
        return _clean_lines(_read_text(path).splitlines())
    if suffix == ".docx":
        return _read_docx(path)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix == ".csv":
        rows = list(csv.reader(io.StringIO(_read_text(path), newline="")))
        return _measures_from_rows(rows)
    raise ValueError(f"不支持的措施清单格式：{path.suffix}（支持 .txt .docx .xlsx .csv）")


def _read_text(path: Path) -> str:
    text = decode_text(path.read_bytes())
    if text is None:
        raise ValueError(f"{path.name} 不是文本文件（无法识别其文字编码）")
    return text


def _clean_lines(lines: Iterable[str]) -> list[str]:
    out = []
    for line in lines:
        text = strip_numbering(line)
        if len(CJK.findall(text)) >= 4 and not _is_heading(text):
            out.append(text)
    return out


def _read_docx(path: Path) -> list[str]:
    import docx

    document = docx.Document(str(path))
    from_tables: list[str] = []
    for table in document.tables:
        rows = [[cell.text.strip() for cell in row.cells] for row in table.rows]
        from_tables.extend(_measures_from_rows(rows))
    if from_tables:
        return from_tables
    return _clean_lines(
        p.text for p in document.paragraphs
        if not (p.style is not None and (p.style.name or "").lower().startswith(("heading", "title", "标题")))
    )


_LIST_NAMES = ("清单", "台账", "一览表", "汇总表", "情况表", "目录", "明细")


def _is_heading(text: str) -> bool:
    """The title of the list itself ("巡察反馈问题整改清单"), not a measure ("建立问题清单")."""
    t = text.strip().rstrip("：:")
    if not t.endswith(_LIST_NAMES) or len(t) > 40:
        return False
    return not any(tok.word in ACTION_CLASS_OF for tok in pos_tokens(t))


def _read_xlsx(path: Path) -> list[str]:
    import openpyxl

    workbook = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    try:
        out: list[str] = []
        for sheet in workbook.worksheets:
            rows = [["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)]
            out.extend(_measures_from_rows(rows))
        return out
    finally:
        workbook.close()


def _measures_from_rows(rows: list[list[str]]) -> list[str]:
    """The measure column of a table: the header names 措施/整改措施/内容, else the longest texts."""
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return []
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    header_index, column = None, None
    for i, row in enumerate(rows[:5]):
        named = [j for j, cell in enumerate(row) if _MEASURE_HEADER.search(cell) and len(cell) <= 12]
        if named:
            # prefer the most specific header: 整改措施 > 措施 > 内容
            named.sort(key=lambda j: (0 if "措施" in row[j] else 1, -len(row[j])))
            header_index, column = i, named[0]
            break
    if column is None:
        lengths = [sum(len(row[j]) for row in rows) for j in range(width)]
        column = int(np.argmax(lengths))
        first = rows[0][column]
        header_index = 0 if len(first) <= 12 and len(rows) > 1 and not first.endswith("。") else -1
    body = rows[header_index + 1 :] if header_index is not None else rows
    return _clean_lines(row[column] for row in body)

