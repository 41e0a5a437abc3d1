"""The shared text primitives: the label that opens an enumerated item."""

from __future__ import annotations

import re

from index.text import ITEM_LABEL, is_proper_name


def test_item_label_is_every_numbering_form_and_no_ordinary_word() -> None:
    for label in ("一是", "十二是", "第一", "第十七", "（一）", "(十二)", "（1）", "(12)", "1.", "1．", "12、"):
        assert re.fullmatch(ITEM_LABEL, label), label
    for text in ("统一是", "之一是", "第一次", "2021年", "1.5", "123.", "（一百）", "①", "是"):
        assert not re.fullmatch(ITEM_LABEL, text), text


def test_a_person_name_has_two_or_three_characters() -> None:
    """jieba tags set phrases (严格把关, 从严治党) as person names; they name nobody. Places and bodies may be long."""
    assert is_proper_name("杨庆山", "nr") and is_proper_name("南开大学", "nt") and is_proper_name("粤港澳大湾区", "ns")
    assert not is_proper_name("严格把关", "nr") and not is_proper_name("从严治党", "nr")
    assert not is_proper_name("学校", "n")
