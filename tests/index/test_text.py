"""The shared text primitives: the label that opens an enumerated item."""

from __future__ import annotations

import re

from index.text import ITEM_LABEL


def test_item_label_is_every_numbering_form_and_no_ordinary_word() -> None:
    for label in ("一是", "十二是", "第一", "第十七", "（一）", "(十二)", "（1）", "(12)", "1.", "1．", "12、"):
        assert re.fullmatch(ITEM_LABEL, label), label
    for text in ("统一是", "之一是", "第一次", "2021年", "1.5", "123.", "（一百）", "①", "是"):
        assert not re.fullmatch(ITEM_LABEL, text), text
