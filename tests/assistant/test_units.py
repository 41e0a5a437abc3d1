"""Units split over chunks: which labels mark a measure, and the section a unit sits under."""

from __future__ import annotations

from assistant.units import area_of, is_measure_label
from tests.assistant.test_ledger import chunk


def test_measure_labels_are_enumeration_markers_not_articles() -> None:
    for label in ("五是", "十一是", "第一", "第二、", "3.", "12、", "（1）", "(2)", "（二）", "三、"):
        assert is_measure_label(label), label
    for label in ("", "第二十七条", "第三章", "是", "2021."):
        assert not is_measure_label(label), label


def test_area_is_the_section_path_without_the_label() -> None:
    c = chunk("五是开展内部审计。", 0, 0, label="五是", section="二、坚持问题导向 › （二）针对财务问题 › 五是")
    assert area_of(c) == "二、坚持问题导向 › （二）针对财务问题"
    assert area_of(chunk("一是学习。", 0, 0, label="一是", section="一是")) == ""
