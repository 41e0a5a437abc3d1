"""Markdown cleaning, title guessing and PDF line joining: pure functions on str."""

from __future__ import annotations

import pytest

from index.cleaning import (
    CleanedText,
    TextAssembler,
    clean_markdown,
    guess_title,
    join_wrapped_lines,
    normalize_plain_text,
    remove_html_comments,
    strip_front_matter,
    strip_inline_markup,
)

FRONT_MATTER_REPORT = """---
title: 南开大学->中共南开大学委员会关于巡视整改进展情况的通报 | nankai.info
date: 2022-04-18 01:22:03.695717
tags:
- 南开大学
---
根据中央统一部署，中央第十巡视组对南开大学开展了常规巡视。

**一、深入学习贯彻习近平总书记关于巡视工作重要论述**

党的十八大以来，把巡视作为全面从严治党的重要抓手、作为党内监督
<!--more-->
的战略性制度安排，亲自谋划部署。

[转入文章首发地址](http://news.nankai.edu.cn/ywsd/system/2022/04/16/030050937.shtml)
"""


def heading_texts(cleaned: CleanedText) -> list[tuple[str, int]]:
    return [(cleaned.text[h.start : h.end], h.level) for h in cleaned.headings]


# ---------------------------------------------------------------- front matter and comments


def test_front_matter_is_removed_and_its_title_never_used() -> None:
    cleaned = clean_markdown(FRONT_MATTER_REPORT)
    assert "nankai.info" not in cleaned.text
    assert "date:" not in cleaned.text
    assert cleaned.text.startswith("根据中央统一部署，中央第十巡视组对南开大学开展了常规巡视。")
    assert guess_title(cleaned.text, cleaned.headings) is None  # the first line is body text


def test_dashes_without_yaml_keys_are_not_front_matter() -> None:
    text = "---\n这是正文第一段。\n---\n这是正文第二段。"
    assert strip_front_matter(text) == text


def test_front_matter_must_be_at_the_very_start() -> None:
    text = "正文。\n---\ntitle: x\n---\n后文。"
    assert strip_front_matter(text) == text


def test_more_comment_inside_a_sentence_joins_the_two_halves() -> None:
    cleaned = clean_markdown(FRONT_MATTER_REPORT)
    assert "作为党内监督的战略性制度安排，亲自谋划部署。" in cleaned.text
    assert "<!--" not in cleaned.text


def test_more_comment_splitting_a_name_rejoins_it() -> None:
    text = "组长苗庆旺向党委书记杨庆\n<!--more-->\n山主持向领导班子反馈会议。"
    assert remove_html_comments(text) == "组长苗庆旺向党委书记杨庆山主持向领导班子反馈会议。"


def test_comment_between_paragraphs_is_dropped_without_joining() -> None:
    text = (
        "2018年12月29日 第二次修正\n\n<!-- INFO END -->\n\n## 第一章 总则\n\n第一条 为了保障权利，制定本法。"
    )
    cleaned = clean_markdown(text)
    assert cleaned.text == "2018年12月29日 第二次修正\n\n第一章 总则\n\n第一条 为了保障权利，制定本法。"
    assert heading_texts(cleaned) == [("第一章 总则", 2)]


def test_inline_and_multiline_comments_are_removed() -> None:
    assert remove_html_comments("整改<!-- 注释 -->措施") == "整改措施"
    assert remove_html_comments("上一段\n<!--\n多行\n注释\n-->\n下一段") == "上一段下一段"


def test_comment_between_latin_words_keeps_a_space() -> None:
    assert remove_html_comments("read\n<!--more-->\nmore") == "read more"


# ---------------------------------------------------------------- emphasis and redaction marks


@pytest.mark.parametrize(
    "line",
    [
        "根据州委统一部署，*年*月*日至*月*日，州委第一巡察组开展了常规巡察。",
        "认真做好边巡边改*条、立行立改*条问题整改落实，明确整改措施*条。",
        "线上线下各类教师培训**人次，共**人参加，其中**人获奖。",
        "**年**月**日召开专题会议。",
        "从教师队伍培训工作经费中支付的办公费等*.*万元。",
        "修订完善《*州教育局机关财务管理制度》。",
    ],
)
def test_redaction_asterisks_are_kept(line: str) -> None:
    assert strip_inline_markup(line) == line
    assert clean_markdown(line).text == line


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "答：《意见》主要从3个方面提出要求。**一是**加强组织领导。",
            "答：《意见》主要从3个方面提出要求。一是加强组织领导。",
        ),
        ("相关责任各司其职。**二**是坚持实事求是。", "相关责任各司其职。二是坚持实事求是。"),
        ("重点遵循以下原则：**一是**坚持党中央集中统一领导", "重点遵循以下原则：一是坚持党中央集中统一领导"),
        ("__重要__ 提示", "重要 提示"),
    ],
)
def test_paired_emphasis_is_removed(line: str, expected: str) -> None:
    assert strip_inline_markup(line) == expected


def test_fill_in_blank_underscores_are_kept() -> None:
    line = "请于____年__月__日前报送整改情况。"
    assert strip_inline_markup(line) == line


def test_bold_only_line_becomes_a_level_zero_heading() -> None:
    text = "前言一段。\n\n**一、深入学习贯彻习近平总书记关于巡视工作重要论述，坚定不移抓好整改**\n\n正文。"
    cleaned = clean_markdown(text)
    assert "**" not in cleaned.text
    assert heading_texts(cleaned) == [
        ("一、深入学习贯彻习近平总书记关于巡视工作重要论述，坚定不移抓好整改", 0)
    ]


# ---------------------------------------------------------------- headings and title


def test_atx_heading_gives_hint_and_title() -> None:
    text = "# 中华人民共和国审计法\n\n1994年8月31日 通过\n\n## 第一章 总 则\n\n第一条 为了加强国家的审计监督，制定本法。"
    cleaned = clean_markdown(text)
    assert cleaned.text.startswith("中华人民共和国审计法\n")
    assert heading_texts(cleaned) == [("中华人民共和国审计法", 1), ("第一章 总 则", 2)]
    assert guess_title(cleaned.text, cleaned.headings) == "中华人民共和国审计法"


def test_heading_with_extra_spaces_and_closing_hashes() -> None:
    cleaned = clean_markdown("###  中国共产党廉洁自律准则 \n\n正文。\n\n## 附则 ##")
    assert heading_texts(cleaned) == [("中国共产党廉洁自律准则", 3), ("附则", 2)]
    assert guess_title(cleaned.text, cleaned.headings) == "中国共产党廉洁自律准则"


def test_hashtag_is_not_a_heading() -> None:
    cleaned = clean_markdown("#两会#代表建议汇总")
    assert cleaned.text == "#两会#代表建议汇总"
    assert cleaned.headings == ()


def test_heading_offsets_point_into_cleaned_text_after_removed_markup() -> None:
    text = FRONT_MATTER_REPORT + "\n\n\n\n## 二、强化政治担当\n\n- 逐条逐项推动整改。\n"
    cleaned = clean_markdown(text)
    assert heading_texts(cleaned) == [
        ("一、深入学习贯彻习近平总书记关于巡视工作重要论述", 0),
        ("二、强化政治担当", 2),
    ]


@pytest.mark.parametrize(
    "first_line",
    [
        "第一章　总则",
        "一、2020年工作回顾",
        "（一）加强组织领导",
        "各位代表：",
        "现在，我代表国务院报告工作。",
    ],
)
def test_structural_or_sentence_first_line_is_no_title(first_line: str) -> None:
    assert guess_title(f"{first_line}\n正文第一段。") is None


def test_short_first_line_is_the_title() -> None:
    assert guess_title("\n教育局党组关于巡察反馈问题整改情况的通报\n\n根据州委统一部署，开展巡察。") == (
        "教育局党组关于巡察反馈问题整改情况的通报"
    )


def test_long_first_line_is_no_title() -> None:
    assert guess_title("关" * 61 + "\n正文。") is None


def test_title_heading_must_be_near_the_top() -> None:
    text = "第一章 总则\n第一条 甲。\n第二条 乙。\n第三条 丙。\n附录标题"
    headings = clean_markdown("第一章 总则\n第一条 甲。\n第二条 乙。\n第三条 丙。\n# 附录标题").headings
    assert guess_title(text, headings) is None


# ---------------------------------------------------------------- lists, links, tables, residue


def test_bullets_links_images_and_source_links() -> None:
    text = (
        "•  \n一、未及时完成项目竣工价款结算  \n•  \n- 完成435个项目的整改工作。\n"
        "-5%的核减率保持不变。\n"
        "详见[审计报告全文](http://example.com/a.html)。\n"
        "![图](http://news.nankai.edu.cn/pic/1.jpg)\n"
        "[转入文章首发地址](http://news.nankai.edu.cn/ywsd/1.shtml)\n"
    )
    cleaned = clean_markdown(text)
    assert cleaned.text == (
        "一、未及时完成项目竣工价款结算\n\n完成435个项目的整改工作。\n-5%的核减率保持不变。\n详见审计报告全文。"
    )


def test_markdown_table_rows_keep_cells_and_drop_separator() -> None:
    cleaned = clean_markdown("| 问题 | 整改措施 |\n|---|:---:|\n| 往来款挂账 | 开展内部审计 |")
    assert cleaned.text == "问题 | 整改措施\n往来款挂账 | 开展内部审计"


def test_zero_width_lines_blank_runs_and_trailing_spaces() -> None:
    text = "\u200b\n\n\n第一段。  \n\u200b\n\n\n\n\n第二\u200b段。\t\n\n\n"
    assert clean_markdown(text).text == "第一段。\n\n第二段。"
    assert normalize_plain_text(text) == "第一段。\n\n第二段。"


def test_plain_text_normalization_keeps_markup_characters() -> None:
    text = "\ufeff# 不是标题\r\n**整改措施*条**\r共**人\r\n\r\n\r\n\r\n　　缩进段落"
    assert normalize_plain_text(text) == "# 不是标题\n**整改措施*条**\n共**人\n\n　　缩进段落"


def test_leading_indentation_is_dropped_in_markdown() -> None:
    cleaned = clean_markdown("　　第一编 总则\n\n　　第一条 为了维护党章，制定本条例。")
    assert cleaned.text == "第一编 总则\n\n第一条 为了维护党章，制定本条例。"


def test_every_markup_free_sentence_survives_verbatim() -> None:
    cleaned = clean_markdown(FRONT_MATTER_REPORT)
    for sentence in ("根据中央统一部署，中央第十巡视组对南开大学开展了常规巡视。", "亲自谋划部署。"):
        assert sentence in cleaned.text


# ---------------------------------------------------------------- assembler


def test_assembler_offsets_and_blank_collapsing() -> None:
    assembler = TextAssembler()
    assembler.add_blank()
    assembler.add_line("  ")
    assembler.add_line("标题", heading_level=1)
    assembler.add_blank()
    assembler.add_blank()
    assembler.add_line("　　缩进的标题", heading_level=2)
    assembler.add_line("正文。   ")
    assembler.add_blank()
    result = assembler.build()
    assert result.text == "标题\n\n　　缩进的标题\n正文。"
    assert heading_texts(result) == [("标题", 1), ("缩进的标题", 2)]


# ---------------------------------------------------------------- PDF line joining


def test_wrapped_chinese_sentence_is_joined() -> None:
    text = "第一条 为了加强巡视整改工作，根据有关规定，制\n定本办法。\n第二条 本办法适用于全体党员。"
    assert (
        join_wrapped_lines(text)
        == "第一条 为了加强巡视整改工作，根据有关规定，制定本办法。\n第二条 本办法适用于全体党员。"
    )


def test_lines_ending_a_sentence_or_short_are_not_joined() -> None:
    text = "一、总体要求\n巡视整改是全面从严治党的重要内容，必须坚持问题导向。\n各级党组织要切实扛起主体责任，抓好整改工作"
    assert join_wrapped_lines(text) == text


def test_wrapped_line_before_a_structural_marker_is_not_joined() -> None:
    text = "为了加强巡视整改工作，根据有关规定制定本办法\n第二条 本办法适用于全体党员。"
    assert join_wrapped_lines(text) == text


def test_wrap_after_a_number_is_not_joined() -> None:
    text = "截至目前，全州教育系统实施的各类教育项目共计2021\n年以来全部完成整改工作任务。"
    assert join_wrapped_lines(text) == text


def test_join_only_continues_from_full_lines() -> None:
    # The second line is short (a paragraph end without 。), so the third line is not appended to it.
    text = "这是一段很长很长的文字内容，用来占满整行的宽度，\n然后到这里结束\n下一段从这里开始写"
    assert (
        join_wrapped_lines(text)
        == "这是一段很长很长的文字内容，用来占满整行的宽度，然后到这里结束\n下一段从这里开始写"
    )
