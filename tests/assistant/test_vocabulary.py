"""Query-side vocabulary: everyday words find their official forms."""

from __future__ import annotations

from assistant.vocabulary import expand_query


def test_everyday_words_bring_their_official_forms() -> None:
    assert "教师" in expand_query("老师的待遇问题")
    assert expand_query("财务管理") == "财务管理"
