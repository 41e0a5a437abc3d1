"""Vocabulary: everyday words find their official forms, synonyms count as the same word, short names and
years are spelled out."""

from __future__ import annotations

from assistant.vocabulary import expand_query, has_synonym, named_titles, spelled_out, thesaurus


def test_everyday_words_bring_their_official_forms() -> None:
    assert "教师" in expand_query("老师的待遇问题")
    assert expand_query("财务管理") == "财务管理"


def test_a_thesaurus_synonym_counts_as_the_word() -> None:
    """同义词词林: words of one fine group mean the same; neighbouring groups hold opposites and kin."""
    assert has_synonym("履行", "严格执行选任程序")
    assert has_synonym("用作", "把问责结果作为干部选拔的重要依据")
    assert not has_synonym("增加", "减少会议数量")
    assert not has_synonym("全部", "完成部分学生宿舍改造")
    assert not has_synonym("每月", "每季度开展一次专项督查")


def test_a_word_of_several_senses_has_no_synonyms() -> None:
    # 开展 sits in a group with 进行 and in another with 乐观: which one a text means is not known
    assert "开展" not in thesaurus()
    assert not has_synonym("开展", "大家都很乐观")
    assert "执行" in thesaurus()["履行"]


TITLES = ("中华人民共和国保守国家秘密法", "中国共产党巡视工作条例", "中华人民共和国教育法", "中华人民共和国义务教育法",
          "中国共产党纪律处分条例 2023", "《中央八项规定实施细则》", "教育局党组关于巡察组巡察反馈问题整改情况的通报")


def test_a_short_name_of_a_title_is_spelled_out() -> None:
    """Chinese short names keep the full name's characters in order, first to last: 保密法, 巡视条例."""
    assert spelled_out("保密法对涉密人员有什么要求？", TITLES) == "保守国家秘密法对涉密人员有什么要求？"
    assert spelled_out("那巡视条例里呢", TITLES) == "那巡视工作条例里呢"
    assert spelled_out("按照纪律处分条例处理", TITLES) == "按照纪律处分条例处理"  # the name as written


def test_what_is_not_a_short_name_is_left_alone() -> None:
    # 教育法 is written in two titles as it stands; 政法 is too short to stand for a name; 八项规定细则 does not
    # start where 中央八项规定实施细则 does; 巡视组的规定 ends as no 巡… title ends (巡视工作条例)
    for text in ("教育法规定了什么", "政法委", "八项规定细则 开会", "巡视组的规定"):
        assert spelled_out(text, TITLES) == text
    assert spelled_out("保密法", ()) == "保密法"  # no library, no name to read it as


REPORTS = ("2021年国务院政府工作报告", "2024年国务院政府工作报告", "2025年国务院政府工作报告", "中华人民共和国教师法")


def test_a_two_digit_year_is_the_year_of_the_report_it_names() -> None:
    """Staff say 24年的报告: the year is written out when a title of that year is the kind of document named."""
    assert spelled_out("24年和25年的政府工作报告，分别是怎么说的？", REPORTS) == (
        "2024年和2025年的政府工作报告，分别是怎么说的？"
    )
    assert spelled_out("21年那份报告讲了什么", REPORTS) == "2021年那份报告讲了什么"


def test_a_number_of_years_is_not_a_year() -> None:
    # no report is named, so 25年 is a length of service; no title holds 2023, so 23年 stays as said;
    # 2024年 is already whole
    for text in ("教龄满25年的教师有什么待遇", "23年的报告说了什么", "2024年的报告说了什么"):
        assert spelled_out(text, REPORTS) == text


LIBRARY = (
    "2021年国务院政府工作报告", "2022年国务院政府工作报告", "2023年国务院政府工作报告", "中华人民共和国教育法",
    "中华人民共和国义务教育法", "中华人民共和国保守国家秘密法", "中国共产党问责条例",
    "中共南开大学委员会关于十九届中央第七轮巡视整改进展情况的通报", "中央第十巡视组向南开大学党委反馈巡视情况",
    "教育局党组关于巡察组巡察反馈问题整改情况的通报", "报告模板：关于XX专项审计报告的整改报告",
)


def named(text: str) -> list[list[str]]:
    return [sorted(titles) for titles in named_titles(text, LIBRARY)]


def test_a_law_is_named_by_its_name_or_short_name_and_the_longest_name_wins() -> None:
    assert named("保密法对涉密人员有什么要求？") == [["中华人民共和国保守国家秘密法"]]
    assert named("义务教育法和教育法分别怎么规定？") == [["中华人民共和国义务教育法"], ["中华人民共和国教育法"]]
    assert named("《中国共产党问责条例》规定了什么") == [["中国共产党问责条例"]]
    assert named("法律上能罚多少？") == []


def test_a_report_is_named_by_the_year_its_kind_follows() -> None:
    assert named("21年和22年的政府工作报告，各自怎么说？") == [["2021年国务院政府工作报告"], ["2022年国务院政府工作报告"]]
    assert named("营养改善计划 2022 2023 政府工作报告") == [["2022年国务院政府工作报告"], ["2023年国务院政府工作报告"]]
    # 2023年 is the year the report looks back on, not a report named
    assert named("2022年政府工作报告回顾2021年干了什么") == [["2022年国务院政府工作报告"]]
    # without a year, the kind's name names every year of it; 审计工作报告 is a kind of report, not that name
    assert named("历年政府工作报告怎么说？") == [[
        "2021年国务院政府工作报告", "2022年国务院政府工作报告", "2023年国务院政府工作报告",
    ]]
    assert named("政府的审计工作报告向谁提出？") == []


def test_an_issuer_names_its_documents() -> None:
    assert named("南开是怎么整改的？") == [[
        "中共南开大学委员会关于十九届中央第七轮巡视整改进展情况的通报", "中央第十巡视组向南开大学党委反馈巡视情况",
    ]]
    assert named("教育局通报了哪些问题") == [["教育局党组关于巡察组巡察反馈问题整改情况的通报"]]
