"""The kind of fact a question asks for, and whether a sentence states one.

Question words say what kind of answer is wanted (多少 → a quantity, 哪天 → a date, 多久 → a duration,
多久…一次 → a frequency, 是谁 → a person, 由谁 → a person or a body, 哪个部门 → a body). A sentence *states* such a
fact only with a written value: a figure that the bureau's report redacts as ``*`` is not a stated figure. This is general Chinese question
grammar and number writing, not vocabulary taken from any question set.

A question that asks *which* one of a named class (哪所大学, 哪些省份, 哪位副书记) wants a proper
name, which jieba's part-of-speech tagger marks (nr a person, ns a place, nt an institution): a report that
names the class but no member of it (州属学校, *州) does not answer it. A keyword query has no question
word; a noun that names a value (经费总额, 招生人数, 名额, 年限) says what it wants instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import jieba.posseg as posseg

from index.text import ENUMERATION_MARKER

# A written number: digits, or Chinese numerals that start with a digit word (not a bare 万/亿 unit).
_NUM = r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千半][零〇一二两三四五六七八九十百千万亿半]*)"
_ORDINAL = r"(?<!第)(?<![\d零〇一二两三四五六七八九十百千])"  # not 第…, and the number's first character
_UNIT_WORDS = "项条个次种类件名人所批份门位届年月日天周元万元亿元倍处家场篇本台辆套户间级"
# Measure words a question can ask a quantity in (多少名, 几轮, 多少平方米): the answer gives its figure
# in the same measure. Longest first, so 平方米 is not read as 米. 个 is the general measure word: it
# fits any figure, on either side.
_MEASURE_WORDS = sorted(
    (*_UNIT_WORDS, "轮", "册", "张", "页", "部", "座", "栋", "亩", "吨", "米", "平方米", "公里", "学时", "课时", "学分", "人次",
     "起", "回"),
    key=len,
    reverse=True,
)
_MEASURE = "|".join(_MEASURE_WORDS)
# Measure words that count the same thing: people in 人, 名 or 位; occurrences in 次, 回 or 遍 (摘编过几回 is
# answered by 12次被…摘编); items of a list (measures, problems, rules) in 项 or 条 (多少项措施 by *条整改措施).
_PEOPLE = frozenset("人名位")
_SAME_MEASURE: tuple[frozenset[str], ...] = (_PEOPLE, frozenset("次回遍"), frozenset("项条"))

# Posts a person holds: one list for "who" answered by a post and for "which holder of the post".
_POSTS = ("书记", "校长", "组长", "主任", "局长", "厅长", "部长", "处长", "院长", "负责人", "委员")

# Items enumerated ((一), 一是, 1.) or three or more named in a row.
_ENUMERATED = rf"{ENUMERATION_MARKER.pattern}|[^、，。；：\s]{{2,}}、[^、，。；：\s]{{2,}}、[^、，。；：\s]{{2,}}"

# The units a count of items is asked in (几项, 几个方面); each counts listed things, not a measured amount.
_COUNT_UNITS = "方面|部分|种|类|项|条"
# Things counted as a list are also asked in 部, 块, 道, 点 (几部法规, 几道关口, 提了几点意见; not the hour, 几点到几点).
COUNTED_AS_LIST = r"部|块|道|(?<!到几)点(?![到钟半])"

# Who a "who" question is answered by: a post or a person's standing, or a body.
_PERSON = "|".join((*_POSTS, "领导", "同志"))
_BODY = r"部门|机关|机构|委员会|政府|法院|检察院|组织部|纪委|监委|办公室|办公厅|科室|处室|工作部|团委|中心|小组|党组|党委"

_PATTERNS: dict[str, re.Pattern[str]] = {
    "date": re.compile(r"\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?|\d{1,2}\s*月\s*\d{1,2}\s*日|[一二三四五六七八九十]+月[一二三四五六七八九十]+日"),
    "duration": re.compile(_NUM + r"\s*(?:个)?\s*(?:工作日|小时|日|天|周|个月|月|年)(?:内|以内|之内)?|之日起|即时|立即|当日"),
    # 每周, 每季度, 每九十天, 一年两次, 按月: how often, written out (定期 and 常态化 say that it recurs, not how often)
    "frequency": re.compile(
        r"每(?:个)?(?:" + _NUM + r")?\s*(?:个)?(?:工作日|小时|日|天|周|星期|旬|月|季度|季|半年|年度|年|学期)"
        r"|" + _NUM + r"\s*(?:个)?(?:日|天|周|月|季度|年)(?:一次|" + _NUM + r"次)|按(?:日|周|月|季度|季|年度|年)"
    ),
    "money": re.compile(_NUM + r"\s*(?:万|亿)?元"),
    "percent": re.compile(_NUM + r"\s*[%％]|百分之" + _NUM),
    # An ordinal (第八条, 第三次) numbers one thing: it states no quantity or count.
    # 1000万人, 12项, 90%: a plain 多少 is answered by any written figure, a share included.
    "quantity": re.compile(_ORDINAL + _NUM + rf"\s*(?:余|多)?\s*(?:万|亿)?\s*(?:[{_UNIT_WORDS}]|[%％])|百分之" + _NUM),
    # a number of items, enumerated items, or three or more named in a row (党风廉政建设、意识形态工作、基层党建工作)
    "count": re.compile(rf"{_ORDINAL}{_NUM}\s*(?:余|多)?\s*(?:个|{_COUNT_UNITS})|{_ENUMERATED}"),
    "members": re.compile(_ENUMERATED),
    # 第三届, 第八条, 位居第五: the place of one thing in a series
    "ordinal": re.compile(rf"第\s*{_NUM}"),
    "person": re.compile(_PERSON),
    # 由谁, 谁来: whoever acts, a post or, in these texts most often, a body (由地方各级人民政府规定)
    "agent": re.compile(f"{_PERSON}|{_BODY}"),
    "body": re.compile(_BODY),
}

# A title after 哪位 says which post is meant and asks which of its holders: a name. (组长是谁 may be
# answered by a post, 由局党组书记担任.)
_TITLE = f"(?:副)?(?:{'|'.join(('总书记', '州长', '省长', '市长', '县长', *_POSTS))})"
# which member of a class is asked: the name's jieba tag (nr person, ns place, nt institution)
_NAMED_CLASSES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("nr", re.compile(rf"哪一?位{_TITLE}|哪个{_TITLE}|叫什么名字|姓名|姓什么")),
    ("ns", re.compile(r"哪(?:一个?|个|些|几个)?(?:省份|省|自治区|直辖市|地区|城市|自治州|州|县|市)")),
    ("nt", re.compile(r"哪(?:一?所|一?家|几所|几家)|哪(?:个|些)(?:高校|大学|学校|院校|学院|中学|小学|企业|医院)")),
)
_INSTITUTION = re.compile(r".{2,}(?:大学|学院|中学|小学|研究院|研究所)$")

# A value the document withholds: a lone * (or *.*) where the figure or the name stands ("*条问题", "*.*万元",
# "*年*月*日", "*大学", "州委*副书记"); ** is Markdown bold, not a redaction.
_REDACTED = r"(?<!\*)\*(?:\.\*)?(?!\*)\s*"
_WITHHELD_NAMES = {
    "nt": "大学|学院|中学|小学|学校|研究院|研究所",
    "ns": "自治州|州|省|市|县|区",
    "nr": _TITLE + "|同志",
}

# Things counted (16项指标, 4个研究机构, 4门思政课, 八项本领): the measure words that count separate things, not
# amounts (元, 年) or people's posts. A sentence that counts the things a question asks to have named, and
# lists none of them, says how many there are and withholds which.
_COUNTED = re.compile(rf"{_ORDINAL}{_NUM}\s*(?:余|多)?\s*(?:个|项|条|种|类|门|家|所|批|件|篇|本|套|大|方面)")


def lists_members(text: str) -> bool:
    """Whether ``text`` lists items: enumerated ((一), 一是) or three or more named in a row."""
    return bool(_PATTERNS["members"].search(text))


def counts_without_naming(text: str) -> bool:
    """Whether ``text`` counts things (4个研究机构) without listing any of them."""
    return bool(_COUNTED.search(text)) and not lists_members(text)


# (kind, question pattern): the first that matches wins, the most specific first.
_QUESTIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("name", re.compile("|".join(p.pattern for _, p in _NAMED_CLASSES))),
    # 第几届, 第几条: which place in a series, answered by an ordinal (第三届), not by a quantity
    ("ordinal", re.compile(r"第几")),
    # 哪五大体系, 哪四个: the number is known, the members are asked, and only naming them answers
    # 分别是什么, 各是什么, 具体名称: the things are known as a group (三个清单, 44项规章制度), each one's name is asked
    # 具体是哪些, 具体包括什么, 完整名单, 具体内容: the thing is known by its name (16项定量指标, 负面工作清单), what it holds is asked
    ("members", re.compile(
        r"哪[两二三四五六七八九十]+(?![天日月年周])|分别是(?:什么|哪些|哪几)|各是(?:什么|哪些)|具体名称"
        r"|具体[^，。？?、]{0,5}(?:哪些|哪几|什么(?!时候|时间))|包括哪些|分别指|名单|具体内容"
    )),
    # 这几项, 那几家 point at things already named ("those few"): they ask nothing
    # 几个阶段, 几个层次: how many of a kind of thing, answered by a figure or by naming them (几个月, 几个人 are amounts)
    ("count", re.compile(
        rf"哪几|(?<![这那])几大?(?:个方面|{_COUNT_UNITS}|{COUNTED_AS_LIST})|多少(?:项|条|种|类)|一共列了"
        r"|(?<![这那])几个(?!月|工作日|小时|星期|百分点|人)(?=[\u4e00-\u9fff]{2})"
    )),
    ("date", re.compile(r"哪天|哪一天|哪日|何时|什么时候|什么时间|哪年|哪一年|几月|几号|哪一届|从哪届|日期|时间点|落款")),
    ("frequency", re.compile(r"(?:多久|多长时间|几天|几个月|几年)[^，。？?]{0,10}(?:一次|一回)|每隔多久|频次|频率|多久开展|多久召开")),
    ("duration", re.compile(
        r"(?:多久|多长时间|(?:多少|几)个?(?:小时|分钟|天|日|周|星期|工作日|个月|月)|几年|期限|时限|年限|多长|期间多长)"
        r"(?:以内|之内|内)?"  # 多长时间内: the limit asked, its 内 included
    )),
    ("money", re.compile(r"多少钱|金额|总额|数额|多少元|多少万|多少亿|费率|经费.{0,4}多少|资金.{0,4}多少|预算.{0,6}多少")),
    ("percent", re.compile(r"百分之几|比例|占比|多少个百分点|增长多少|率.{0,3}多少|多少%")),
    # 几 with any measure word (几起, 几辆, 几回); 多高 asks a figure too (资产价值多高以上)
    ("quantity", re.compile(rf"多少|多高|(?<![这那])几(?:{_MEASURE})|人数|名额|总数|个数|项目数")),
    ("agent", re.compile(r"谁来|由谁")),
    ("person", re.compile(r"是谁|哪一?位|谁担任|哪些人|什么人")),
    ("body", re.compile(r"向哪|哪个部门|哪些部门|哪里|什么部门|哪个机关|哪个单位|哪些单位|由哪|哪一?级")),
)


_ASKED_MEASURE = re.compile(rf"(?:多少|几)(?:个)?({_MEASURE})")
_ASKED_ORDINAL = re.compile(rf"第几\s*({_MEASURE})")
# What a count is asked in (几个方面 → 方面, 多少项 → 项); 哪几 asks in nothing in particular.
_ASKED_COUNT_UNIT = re.compile(rf"(?:多少|几)个?({_COUNT_UNITS})")
# How fine a date is asked: 哪天 wants the day (a bare 2021年 does not say it), 几月 the month.
_ASKED_DAY = re.compile(r"哪天|哪一天|哪日|几号|几月几日|哪月哪日")
_ASKED_MONTH = re.compile(r"几月|哪个月|哪月")
# The day: a date, or a day of the week (每周哪一天 → 每周周四).
_DAY = re.compile(
    r"\d{1,2}\s*月\s*\d{1,2}\s*[日号]|[一二三四五六七八九十]+月[一二三四五六七八九十]+[日号]|(?:周|星期|礼拜)[一二三四五六日天]"
)
_MONTH = re.compile(r"(?:\d{1,2}|[一二三四五六七八九十]{1,2})\s*月")  # 2021年5月, 5月*日: the month is given


# What each kind of asked value is called when the answer says the documents withhold it.
_KIND_NOUNS = {
    "name": "名称", "ordinal": "序次", "members": "具体名单", "count": "数目", "date": "日期", "duration": "时限",
    "frequency": "频次", "money": "金额", "percent": "比例", "quantity": "数字", "person": "人员", "agent": "责任主体", "body": "部门",
}


@dataclass(frozen=True)
class AskedFact:
    # name | ordinal | members | count | date | duration | frequency | money | percent | quantity | person | agent | body
    kind: str
    # what a quantity is asked in (多少名 → 名), how fine a date (哪天 → 日, 几月 → 月), or the tag of the
    # name asked (nr, ns, nt); "" when any will do
    measure: str = ""

    @property
    def noun(self) -> str:
        """The asked value in a clerk's words (日期, 数目, 金额): what the answer says is withheld or missing."""
        return "人名" if self.kind == "name" and self.measure == "nr" else _KIND_NOUNS.get(self.kind, "数值")

    def stated_in(self, text: str) -> bool:
        """Whether ``text`` writes out a value of this kind (a redacted ``*`` is not a value). A count is
        stated by a number of items or by enumerated items; "when" is answered by a date or a time limit;
        a quantity asked in a measure word (多少名, 几轮) by a figure in that measure; "which one" by a name."""
        if self.kind == "name":
            return any(_is_name(word, flag, self.measure) for word, flag in tagged(text))
        if self.kind == "date" and self.measure:
            return bool((_DAY if self.measure == "日" else _MONTH).search(text))
        if self.kind == "date" and _PATTERNS["duration"].search(text):
            return True
        if self.kind == "quantity" and self.measure:
            return bool(_quantity_in(self.measure).search(text))
        if self.kind == "ordinal" and self.measure:
            return bool(re.search(rf"第\s*{_NUM}\s*{self.measure}", text))
        return bool(_PATTERNS[self.kind].search(text))

    def gives_value_in(self, text: str) -> bool:
        """Like ``stated_in``, but a count is given only by a figure: in the very measure it is asked in (多少条问题:
        四个方面 counts something else), else of counted things (6个检查组). The 三是 an item opens with is its
        place, not a count. (What the answer's first line reads; the models' features keep ``stated_in``.)"""
        if self.kind == "count" and self.measure:
            same = "|".join(sorted(_same_measure(self.measure)))
            return bool(re.search(rf"{_ORDINAL}{_NUM}\s*(?:余|多)?\s*(?:{same})", text))
        if self.kind == "count":
            return bool(_COUNTED.search(text))
        return self.stated_in(text)

    def withheld_in(self, text: str) -> bool:
        """Whether ``text`` writes the asked kind of value as a redaction (*条, *.*万元, *年*月*日, *大学):
        the document has the value and withholds it."""
        pattern = _withheld(self.kind, self.measure)
        return pattern is not None and pattern.search(text) is not None


@lru_cache(maxsize=64)
def _withheld(kind: str, measure: str) -> re.Pattern[str] | None:
    if kind == "name":
        return re.compile(_REDACTED + f"(?:{_WITHHELD_NAMES[measure]})")
    if kind in ("person", "agent"):  # an agent withheld is a post withheld (州委*副书记): a body is never redacted
        return re.compile(_REDACTED + f"(?:{_TITLE})")
    if kind == "date":
        return re.compile(_REDACTED + "[年月日号]")
    if kind in ("body", "members"):  # a body is never redacted; a redacted number still leaves the members unsaid
        return None
    if kind == "ordinal":  # 第*届
        return re.compile(rf"第\s*{_REDACTED}(?:{measure or _MEASURE})")
    if kind == "count" and measure:  # *条问题 withholds how many problems, not how many 方面 were asked
        same = "|".join(sorted(_same_measure(measure)))
        return re.compile(_REDACTED + rf"(?:余|多)?\s*个?\s*(?:{same})")
    units = "|".join(sorted({*_same_measure(measure), "个"}, key=len, reverse=True)) if measure else _MEASURE
    return re.compile(_REDACTED + rf"(?:余|多)?\s*(?:万|亿)?\s*(?:{units}|[%％])")


def _same_measure(measure: str) -> frozenset[str]:
    return next((group for group in _SAME_MEASURE if measure in group), frozenset({measure}))


@lru_cache(maxsize=64)
def _quantity_in(measure: str) -> re.Pattern[str]:
    words = "|".join(sorted({*_same_measure(measure), "个"}, key=len, reverse=True))
    return re.compile(rf"{_ORDINAL}{_NUM}\s*(?:余|多)?\s*(?:万|亿)?\s*(?:{words})")


@lru_cache(maxsize=4096)
def tagged(text: str) -> tuple[tuple[str, str], ...]:
    """(word, jieba part-of-speech tag) of ``text``."""
    return tuple((p.word, p.flag) for p in posseg.lcut(text))


def _is_name(word: str, flag: str, tag: str) -> bool:
    if len(word) < 2:
        return False
    if tag == "nt" and _INSTITUTION.match(word):
        return True
    return flag.startswith(tag)


# A sentence already made a question by 吗, 是否 or an A-not-A form (要不要, 能不能, 有没有) asks that; a bare 几
# in it means "a few" (几个处级干部张罗了个老乡会…有说法吗？ 把几台设备置换，要不要评估？): in Chinese a wh-word
# under a yes/no question reads as an indefinite. 哪几 still asks which.
_YES_NO = re.compile(r"吗|是否|能否|可否|([要能有是可会算该用需行对])不\1")
_SENTENCE = re.compile(r"[^。！？!?；;]*[。！？!?；;]?")


# The words that ask for a value. A yes/no sentence without one asks whether, not what: the value nouns in it are its
# topic (退休金比例能不能往上提？ asks no percentage; 保密期限到了还得审批吗？ no period).
_WH_WORD = re.compile(r"多少|几|哪|什么|啥|谁|多久|多长|多大|多高|何时|怎么|怎样|如何")


def _indefinites_masked(question: str) -> str:
    """``question`` with each 几 that means "a few", and each yes/no sentence that asks for no value, replaced by a
    character no pattern reads (same length)."""
    return "".join(_masked(m.group()) if _YES_NO.search(m.group()) else m.group() for m in _SENTENCE.finditer(question))


def _masked(sentence: str) -> str:
    masked = re.sub(r"(?<!哪)几", "若", sentence)
    return masked if _WH_WORD.search(masked) else "若" * len(sentence)


def fact_question_spans(question: str) -> list[tuple[int, int]]:
    """Where the question words that ask for a fact stand ("由谁来", "什么时候", "哪个部门"): they say
    what kind of answer is wanted, not what it is about."""
    question = _indefinites_masked(question)
    return [m.span() for _, pattern in _QUESTIONS for m in pattern.finditer(question)]


def asked_fact(question: str) -> AskedFact | None:
    question = _indefinites_masked(question)
    for kind, pattern in _QUESTIONS:
        if pattern.search(question):
            if kind == "name":
                return AskedFact(kind, next(tag for tag, p in _NAMED_CLASSES if p.search(question)))
            if kind == "date":
                return AskedFact(kind, "日" if _ASKED_DAY.search(question) else "月" if _ASKED_MONTH.search(question) else "")
            if kind == "ordinal":
                unit = _ASKED_ORDINAL.search(question)
                return AskedFact(kind, unit.group(1) if unit else "")
            if kind == "count":
                unit = _ASKED_COUNT_UNIT.search(question)
                return AskedFact(kind, unit.group(1) if unit else "")
            if kind != "quantity":
                return AskedFact(kind)
            asked = _ASKED_MEASURE.search(question)
            measure = asked.group(1) if asked else ""
            return AskedFact(kind, "" if measure == "个" else measure)
    return None
