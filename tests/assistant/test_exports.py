"""Export files are written from the same tables the screen shows."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from assistant.exports import write_table
from assistant.measures import Conflict, MeasureMatch, MeasureResult, Signals, check_measures
from assistant.views import CHECK_HEADER, CHECK_SCORES, check_table, verdict_in_words
from assistant.workspace import Workspace
from index.chunking import Chunk

BUREAU = "教育局党组关于巡察组巡察反馈问题整改情况的通报.txt"
NANKAI = "中共南开大学委员会关于十九届中央第七轮巡视整改进展情况的通报.md"


@pytest.fixture(scope="module")
def some_results(corpus_workspace: Workspace) -> list[MeasureResult]:
    return check_measures(corpus_workspace, ["组织干部职工签订保密承诺书", "给学校纪委增配2名副处级纪检员", "建立借调人员年度轮换制度"])


def test_check_results_export_as_the_screen_shows_them(some_results: list[MeasureResult], tmp_path: Path) -> None:
    table = check_table(some_results)
    path = write_table(table, tmp_path / "结果.xlsx")
    sheet = openpyxl.load_workbook(str(path)).active
    assert sheet is not None
    rows: list[tuple[Any, ...]] = list(sheet.iter_rows(values_only=True))
    assert rows[0] == CHECK_HEADER
    assert [list(r) for r in rows[1:]] == table.rows  # the export is the screen's table
    assert [r[1] for r in rows[1:]] == [r.measure for r in some_results]
    assert [r[2] for r in rows[1:]] == [r.label for r in some_results]
    first = rows[1]
    assert first[0] == 1 and first[4] == f"《{BUREAU.removesuffix('.txt')}》" and "签订保密承诺书" in str(first[6])
    assert rows[2][2] == "部分相似" and "数量不同" in str(rows[2][3])  # the difference, in words
    assert not any("判定概率" in str(cell) or "相似度" in str(cell) for row in rows for cell in row)  # no scores


def test_the_export_adds_the_scores_the_screen_leaves_out(some_results: list[MeasureResult], tmp_path: Path) -> None:
    table = check_table(some_results, scores=True)
    assert table.header == CHECK_HEADER + CHECK_SCORES
    path = write_table(table, tmp_path / "结果.xlsx")
    sheet = openpyxl.load_workbook(str(path)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:len(CHECK_HEADER)] == tuple(check_table(some_results).rows[0])
    assert rows[1][7] == round(some_results[0].score, 3) and "判定概率" in str(rows[1][8])


def test_a_near_miss_says_what_differs(some_results: list[MeasureResult]) -> None:
    words = verdict_in_words(some_results[1])  # 2名副处级纪检员: the report has a different number
    assert words.startswith("报告中有相近内容，但数量不同（措施：")
    assert verdict_in_words(some_results[0]).startswith("报告中已有这项措施")


def test_export_csv_has_a_bom_for_excel(some_results: list[MeasureResult], tmp_path: Path) -> None:
    path = write_table(check_table(some_results), tmp_path / "结果.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == CHECK_HEADER and len(rows) == 1 + len(some_results)
    assert rows[1][2] == some_results[0].label


def test_an_absent_measure_is_said_once(some_results: list[MeasureResult]) -> None:
    words = verdict_in_words(some_results[2])  # 借调人员年度轮换制度: no report has it
    assert words.startswith("报告中没有找到相近的措施") and words.count("没有找到") == 1


def test_a_reference_passage_that_narrows_the_measure_says_how() -> None:
    """Only a contradiction keeps a reference passage out, so a close one may still state less than the
    measure (部分 for 全部): the note names the passage and what differs, never the measure as taken."""
    text = "保障教师特别是乡村教师工资待遇。"
    chunk = Chunk("w", "2023年国务院政府工作报告.txt", "2023年国务院政府工作报告", "reference", "", "", 0, len(text), text, None, (), 0)
    scope = Conflict("scope", "全部", "未说明全部完成或全部覆盖")
    narrowed = MeasureMatch(chunk, text, 0, Signals(0.9, 0.9, 0.8, 0.9, 0.9, (scope,), probability=0.7))
    result = MeasureResult("保障全部乡村教师工资待遇", "absent", 0.5, "报告中没有找到相近的措施", references=[narrowed])
    words = verdict_in_words(result)
    assert words.startswith("报告中没有找到相近的措施。参考资料《2023年国务院政府工作报告》中有相近表述，但范围扩大（措施：全部；")
    assert words.endswith("（参考资料不是整改材料，不能据此认定已有该措施）")
    plain = MeasureResult(result.measure, "absent", 0.5, "报告中没有找到相近的措施",
                          references=[MeasureMatch(chunk, text, 0, Signals(0.9, 0.9, 0.8, 0.9, 0.9, probability=0.7))])
    assert "中有相近表述（参考资料不是整改材料" in verdict_in_words(plain)
