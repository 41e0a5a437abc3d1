"""Reading an uploaded 整改清单: numbering stripped, the measure column found, every format."""

from __future__ import annotations

import csv
from pathlib import Path

import docx
import openpyxl
import pytest

from assistant.measures import read_measures_file
from assistant.measures.lists import strip_numbering

BUREAU = "教育局党组关于巡察组巡察反馈问题整改情况的通报.txt"
NANKAI = "中共南开大学委员会关于十九届中央第七轮巡视整改进展情况的通报.md"


# ---------------------------------------------------------------------------------------------------
# Uploaded lists and exports
# ---------------------------------------------------------------------------------------------------

MEASURES = ["制定印发全州校园防欺凌工作方案", "组织干部职工签订保密承诺书", "每周一召开各科室工作汇报会议"]


def test_strip_numbering() -> None:
    assert strip_numbering("1. 制定方案") == "制定方案"
    assert strip_numbering("（一）制定方案") == "制定方案"
    assert strip_numbering("一是制定方案") == "制定方案"
    assert strip_numbering("3、制定方案") == "制定方案"
    assert strip_numbering("（2）制定方案") == "制定方案"
    assert strip_numbering("2021年制定方案") == "2021年制定方案"
    assert strip_numbering("第三条 制定方案") == "制定方案"
    assert strip_numbering("① 制定方案") == "制定方案"
    assert strip_numbering("第一，制定方案") == "制定方案"
    assert strip_numbering("第二、制定方案") == "制定方案"
    assert strip_numbering("第一次全体会议部署整改") == "第一次全体会议部署整改"
    assert strip_numbering("• 制定方案") == "制定方案"
    assert strip_numbering("第一次会议研究方案") == "第一次会议研究方案"  # a bare 第一 is no label here
    assert strip_numbering("统一是非标准") == "统一是非标准"


def test_read_txt_with_numbering(tmp_path: Path) -> None:
    path = tmp_path / "清单.txt"
    path.write_text("整改清单\n\n1. 制定印发全州校园防欺凌工作方案\n（二）组织干部职工签订保密承诺书\n三是每周一召开各科室工作汇报会议\n",
                    encoding="utf-8")
    assert read_measures_file(path) == MEASURES


def test_read_gbk_txt(tmp_path: Path) -> None:
    path = tmp_path / "清单.txt"
    path.write_bytes("\n".join(MEASURES).encode("gbk"))
    assert read_measures_file(path) == MEASURES


def test_read_docx_table_picks_the_measure_column(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("巡察反馈问题整改清单")
    table = document.add_table(rows=1, cols=4)
    for cell, text in zip(table.rows[0].cells, ["序号", "存在问题", "整改措施", "责任科室"], strict=True):
        cell.text = text
    problems = ["校园欺凌防治工作制度不健全，排查不及时", "保密意识薄弱", "科室工作统筹不够"]
    for n, (problem, measure) in enumerate(zip(problems, MEASURES, strict=True), start=1):
        row = table.add_row().cells
        row[0].text, row[1].text, row[2].text, row[3].text = str(n), problem, f"{n}. {measure}", "办公室"
    path = tmp_path / "清单.docx"
    document.save(str(path))
    assert read_measures_file(path) == MEASURES


def test_read_docx_paragraphs(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("整改措施清单", level=1)
    for n, measure in enumerate(MEASURES, start=1):
        document.add_paragraph(f"{n}. {measure}")
    path = tmp_path / "清单.docx"
    document.save(str(path))
    assert read_measures_file(path) == MEASURES


def test_read_xlsx_without_header_takes_the_longest_column(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for n, measure in enumerate(MEASURES, start=1):
        sheet.append([n, measure, "办公室"])
    path = tmp_path / "清单.xlsx"
    workbook.save(str(path))
    assert read_measures_file(path) == MEASURES


def test_read_xlsx_with_content_header(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["序号", "问题描述（较长的说明文字会比措施更长一些）", "整改内容", "完成时限"])
    for n, measure in enumerate(MEASURES, start=1):
        sheet.append([n, "这是一段比措施长得多的问题描述文字，用来确认表头优先于长度规则。", measure, "2023年底"])
    path = tmp_path / "清单.xlsx"
    workbook.save(str(path))
    assert read_measures_file(path) == MEASURES


def test_read_csv(tmp_path: Path) -> None:
    path = tmp_path / "清单.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["序号", "措施", "责任单位"])
        for n, measure in enumerate(MEASURES, start=1):
            writer.writerow([n, measure, "办公室"])
    assert read_measures_file(path) == MEASURES


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "清单.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(ValueError, match="不支持"):
        read_measures_file(path)
