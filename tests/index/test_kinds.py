"""Document kinds: a title names a rule or a report; the kind is decided once, at indexing."""

from __future__ import annotations

from index.kinds import KIND_LABELS, DocumentKind, is_regulation_title, plain_title


def test_plain_title_drops_brackets_years_and_trial_marks() -> None:
    assert plain_title("《中央八项规定实施细则》") == "中央八项规定实施细则"
    assert plain_title("中国共产党纪律处分条例 2023") == "中国共产党纪律处分条例"
    assert plain_title("某某管理办法（试行）") == "某某管理办法"
    assert plain_title("《关于A》和《关于B》") == "《关于A》和《关于B》"  # two titles: not one bracketed title


def test_a_rule_is_named_by_its_title_and_a_report_about_one_is_not() -> None:
    for title in ("《中央八项规定实施细则》", "中华人民共和国审计法", "某某管理办法（试行）", "中国共产党纪律处分条例 2023"):
        assert is_regulation_title(title), title
    for title in ("教育局党组关于巡察组巡察反馈问题整改情况的通报", "关于落实八项规定情况的报告", "学习办法解读"):
        assert not is_regulation_title(title), title


def test_every_kind_has_a_chinese_label() -> None:
    assert set(KIND_LABELS) == {k.value for k in DocumentKind}
    assert KIND_LABELS[DocumentKind.REGULATION] == "法规制度"
