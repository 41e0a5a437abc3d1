"""What a question asks: its content terms (weighted by rarity in the corpus), the kind of fact it wants,
and its form (a list, a count, measures taken, rules that apply, a comparison).

Content terms are chosen by part of speech, not by a list of question words: pronouns and demonstratives
(这次, 这块, 我们, 哪些), particles, prepositions, conjunctions, numerals and measure words point or glue,
they never name a topic. How much each remaining term matters is its idf in the indexed corpus, so a
word every report uses (整改, 工作) weighs little and a rare one (保密承诺书) weighs much.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import jieba

from assistant.signals.facts import COUNTED_AS_LIST, AskedFact, asked_fact, fact_question_spans, tagged
from assistant.vocabulary import has_official_form, named_titles, spelled_out
from index.bm25 import never_used
from index.text import STOPWORDS, is_proper_name, is_punctuation

# jieba part-of-speech tags of words that point or glue: pronouns, particles, prepositions,
# conjunctions, adverbs of degree and time, numerals, measure words, locatives, interjections.
# A word in Latin letters is tagged "eng" (a noun: GDP, APEC), not "e" (an interjection) whose prefix it shares.
NOUN_TAGS = ("n", "vn", "j", "an", "l", "eng")
_NON_CONTENT_TAGS = ("r", "u", "p", "c", "y", "e", "o", "x", "w", "m", "q", "f", "d", "z", "k", "h")

_YEAR = re.compile(r"(?:19|20)\d\d")

# The forms of a question (general Chinese question grammar, not any particular document's words).
_LIST = re.compile(r"哪些|哪几|有什么|有哪|都有|包括|列举|分别")
# The measure words a count is asked in (几项, 多少名, 几级): what follows 几 or 多少 when things are counted.
CLASSIFIERS = "项|条|个|次|种|类|件|名|所|批|份|级|届|门|场|期"
# What a count is stated in: those, and the nouns a report counts its parts with (四个方面, 三部分). One list for the
# answer that states a count (compose) and the evaluation that reads it back.
COUNT_UNITS = f"个方面|方面|部分|{CLASSIFIERS}"
# 大 may stand between (几大块, 几大类)
_COUNT = re.compile(f"(?:多少|几大?)(?:{COUNT_UNITS}|{COUNTED_AS_LIST})|数量")
_MEASURES = re.compile(r"整改|措施|举措|做了|做法|怎么抓|怎么做|如何做|采取|落实|推进")
_RULES = re.compile(r"规定|条例|法律|法规|准则|办法|细则|第.{1,4}条|处分|处理|责任|要求|应当|可以|不得|能不能|允许")
# The question wants the members named, one by one: 分别是什么, 具体是哪些 (not 有哪些措施 alone, which a report
# answers measure by measure); 哪四个 asks for the members too (the fact kind "members").
_WHICH = re.compile(r"分别(?:是|叫|指|为)|(?:具体|都)(?:是|指|包括)?哪(?:些|几)")
_COMPARE = re.compile(r"分别|各自|异同|区别|不同|相同|比较|对比|两份|两个|都|历年|历次")
# Asked how the documents word a thing, or how the wording changed (怎么表述的, 提法前后有什么变化): the answer is the
# documents' own sentences, which never call themselves a 提法.
_WORDING = re.compile(r"表述|提法|说法|措辞|怎么说|怎么讲|(?:前后)?(?:有|发生了?)?(?:什么|哪些|啥)变化")
# "Our" unit, said the way staff say it (局里, 咱们学校): which kind of body's documents the question is about.
# The kind is matched against a document's title (教育局党组关于…, 中共南开大学委员会关于…), never a name.
_OUR_UNIT: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    ("局", re.compile(r"局里|我局|本局|咱们局|咱局|我们局|局机关"), re.compile(r"局")),
    ("校", re.compile(r"(?<!学)校里|我校|本校|咱们学校|咱学校|我们学校|咱们校"), re.compile(r"大学|学院|学校")),
)
# Words that say what the question is about (涉及财务管理, 有关保密): they frame the topic, never name it.
_ABOUT = re.compile(r"涉及|有关|关于|针对|围绕|关乎|相关")
# The frame around a count or a length ("分为几种", "一共有多少项", "一共是几个方面", "由哪几部分组成", "多长时间"), the
# class a count closes on ("分几个阶段？") and a yes-no verb ("算不算", "要不要"): the documents answer with the items or
# the figure, not these words.
_FRAME = re.compile(
    r"(?:一共|总共|共计|共)?(?:有|是|分为|分成|包括|包含|由|列了|列出)?(?:哪几|几|多少)个?"
    r"(?:种|类|项|条|个|部分|方面|层次|级|次|档)(?:组成|构成)?"
    r"|多长(?:时间)?|多久|(.)不\1"
    # the class a count closes on (分几个阶段？, 列了几种情形？): the answer names its members, not the class
    r"|(?<=[几少]个)[\u4e00-\u9fff]{2}(?=[？?，,。；\s]|$)|(?<=[几少][种类项条])[\u4e00-\u9fff]{2}(?=[？?，,。；\s]|$)"
    # the total adverb of a count (一共设了几级, 总共派了几个组) and the clause "when X" (查账的时候): grammar the
    # tagger misreads as nouns (一共 as an abbreviation, 时候 as a noun), never the topic
    r"|(?:一共|总共|共计)(?=[^，。？?\s]{0,6}(?:几|多少))|(?<=的)时候"
)


# Closed-class words of spoken grammar that the tagger reads as verbs or time nouns: directional complements (反馈
# 下来以后, 拿出来共享), the yes-no tail (改了没有) and modals (能否, 可否; 是否 is a stopword), 是从 (its cut of
# 是从哪…开始), and time deixis (现在, 当年, 当时, 目前). Like 这次 and 局里 they point or glue and name nothing;
# formal texts seldom use them, so each weighed as much as a rare topic word. (具体 and 平时 were tried too: held
# out on tune + dev, answerability AUC fell 0.894 -> 0.888, so they stay terms.)
_GRAMMAR_WORDS = frozenset({
    "上来", "下来", "上去", "下去", "进来", "出来", "进去", "出去", "回来", "回去", "过来", "起来",
    "没有", "是从", "现在", "当年", "当时", "目前", "如今", "能否", "可否",
})


# A follow-up that leans on the previous question: it opens with a continuation word or points back.
_FOLLOWUP_OPENING = re.compile(r"^(?:那么?|那如果|那关于|还有|另外|此外|再问|其中|它|其|该|这个|那个|上述|这些|那些|这份|那份)")
_FOLLOWUP_MARK = re.compile(r"^(?:那么?|那如果|那关于|还有|另外|此外|再问)[，,\s]*")
# The earlier question helps, but the new one says what is asked now.
CONTEXT_WEIGHT = 0.5


def is_followup(question: str) -> bool:
    q = question.strip()
    return bool(_FOLLOWUP_OPENING.match(q)) or (len(q) <= 15 and q.rstrip("？?。").endswith("呢"))


def follow_up(question: str, history: Sequence[str]) -> tuple[str, str]:
    """(what is asked now, the earlier question it leans on — "" when it stands alone)."""
    q = question.strip()
    if not history or not is_followup(q):
        return q, ""
    current = _FOLLOWUP_MARK.sub("", q).rstrip("？?。").removesuffix("呢").strip() or q
    return current, history[-1].strip()


def standalone_question(question: str, history: Sequence[str] = ()) -> str:
    """The text a follow-up is searched with: what is asked now, then the question it leans on
    ("那对党的领导干部个人呢？" after "问责条例规定的对党组织的问责方式有哪些？")."""
    current, context = follow_up(question, history)
    return f"{current} {context}".strip()


@dataclass(frozen=True)
class Term:
    text: str
    weight: float  # idf in the indexed corpus (bounded below so no term weighs nothing)
    tag: str


def topic(terms: Sequence[Term]) -> tuple[Term, ...]:
    """The topic: the weightiest noun of the question, with the words it is made of (财务管理 → 财务管理,
    财务). A topic is named by a noun; a rare verb (涉及) frames the question."""
    nouns = [t for t in terms if t.tag.startswith(NOUN_TAGS)]
    if not nouns:
        return ()
    top = max(nouns, key=lambda t: t.weight)
    return tuple(t for t in nouns if t.text in top.text and t.weight >= top.weight)


@dataclass(frozen=True)
class QuestionAnalysis:
    text: str
    terms: tuple[Term, ...]
    fact: AskedFact | None
    asks_list: bool
    asks_count: bool
    asks_measures: bool
    asks_rules: bool
    asks_comparison: bool
    our_unit: str = ""  # 局 or 校 when the question points at "our" bureau or school, else ""
    asks_which: bool = False  # the members are to be named one by one (分别是什么, 具体是哪些)
    # the documents or works the question names that the library does not hold (《内控制度》, 临时聘用人员管理办法):
    # what they say is not here to quote
    unheld: tuple[str, ...] = ()
    # a follow-up's own terms (what it asks now, without the earlier question's): empty for a question alone
    own: frozenset[str] = frozenset()
    # the library's documents the question names, each as the titles its name stands for (南开: both of its
    # documents); a follow-up naming none names the earlier question's
    named: tuple[frozenset[str], ...] = ()

    @property
    def total_weight(self) -> float:
        return sum(t.weight for t in self.terms) or 1.0

    def coverage(self, text: str) -> float:
        """Share of the question's term weight found in ``text`` (official spellings count)."""
        if not self.terms:
            return 0.0
        return sum(t.weight for t in self.terms if has_official_form(t.text, text)) / self.total_weight

    @property
    def key_terms(self) -> tuple[Term, ...]:
        return topic(self.terms)

    def key_coverage(self, text: str) -> float:
        """1.0 when ``text`` names the topic (any of its key words), else 0.0."""
        return float(any(has_official_form(t.text, text) for t in self.key_terms))

    def names_topic_fully(self, text: str) -> bool:
        """Whether ``text`` names the topic and every question word rarer than it. The topic noun can be the
        common half of a compound the tokenizer split (警示教育 → 警示 + 教育, and 教育 is the noun): a text
        saying 教育 alone is not about 警示教育."""
        if not self.key_terms or not self.key_coverage(text):
            return False
        floor = max(t.weight for t in self.key_terms)
        return all(has_official_form(t.text, text) for t in self.terms if t.weight > floor)

    def names_document(self, title: str) -> float:
        """1.0 when the question names the document of ``title`` (《中央八项规定实施细则》, 22年的报告, 南开): a
        question that names documents asks about them, though their passages may share few of its other words."""
        return float(any(title in titles for titles in self.named))

    def names_our_unit(self, title: str) -> bool:
        """Whether a document ``title`` is issued by the kind of unit the question calls its own."""
        return any(kind == self.our_unit and issuer.search(title) for kind, _, issuer in _OUR_UNIT)

    def own_missing(self, text: str) -> float:
        """Share of a follow-up's own term weight not found in ``text`` (0.0 for a question alone)."""
        own = [t for t in self.terms if t.text in self.own]
        total = sum(t.weight for t in own)
        return sum(t.weight for t in own if not has_official_form(t.text, text)) / total if total else 0.0

    def missing(self, text: str) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not has_official_form(t.text, text))


# Proper nouns (a person, place, body or other name: is_proper_name) are kept even when nobody has seen them: an
# unknown name is what makes a question unanswerable.


def _known_words(words: list[tuple[str, str]], unseen: Callable[[str], bool]) -> list[tuple[str, str]]:
    """``words`` without jieba's guesses: a word in neither its dictionary nor the corpus was made up by its
    HMM from characters it could not place (要守 = 要 + 守, 上能, 人用), and names nothing. Such a word is cut
    again by the dictionary alone and only its dictionary words of two or more characters stay."""
    jieba.dt.check_initialized()  # its dictionary is read on first use
    known = []
    for word, tag in words:
        if jieba.dt.FREQ.get(word) or _YEAR.match(word) or is_proper_name(word, tag) or not unseen(word):
            known.append((word, tag))
            continue
        known += [(p, tag) for p in jieba.lcut(word, HMM=False) if len(p) >= 2 and p not in STOPWORDS]
    return known


@lru_cache(maxsize=1024)
def _title_words(title: str) -> tuple[str, ...]:
    plain = re.sub(r"[《》〈〉（）()“”]", " ", title)
    return tuple(dict.fromkeys(
        w for w in jieba.lcut(plain) if len(w) >= 2 and w not in STOPWORDS and not is_punctuation(w)
    ))


def content_words(text: str) -> list[tuple[str, str]]:
    """(word, tag) of the words of ``text`` that can name a topic. Words inside the question's form
    (哪些…措施, 怎么整改, 多少项) say what kind of answer is wanted, not what it is about."""
    form = [m.span() for pattern in (_LIST, _COUNT, _MEASURES, _COMPARE, _FRAME, _ABOUT, _WORDING) for m in pattern.finditer(text)]
    # 咱们学校, 我们局 point at "our" unit as 局里 does (``our_unit``): its 学校 names no topic
    form += [m.span() for _, said, _ in _OUR_UNIT for m in said.finditer(text)]
    asking = fact_question_spans(text)
    form += asking
    quoted = quoted_names(text)
    words = []
    position = 0
    for word, tag in tagged(text):
        start, end = position, position + len(word)
        position = end
        name = next(((a, b) for a, b in quoted if a <= start < b), None)
        if name is not None:
            if start == name[0]:
                word, tag = text[name[0]:name[1]], "nz"
            else:
                continue
        w = word.strip().lower()
        if _YEAR.fullmatch(w) and text.startswith("年", end):
            # a year (2023年) says which time the question is about; a text of another year does not answer it
            words.append((f"{w}年", "t"))
            continue
        if tag == "eng" and w not in STOPWORDS:
            # a word in Latin letters names a thing (GDP, APEC, MOOC); kept in its own case, as texts write it
            words.append((word.strip(), tag))
            continue
        if not w or is_punctuation(w) or w in STOPWORDS or w in _GRAMMAR_WORDS or tag.startswith(_NON_CONTENT_TAGS):
            continue
        if len(w) < 2 and not w.isdigit():
            continue
        if (
            any(a <= start and end <= b for a, b in form) or _fragment_of(start, end, asking)
            or _only_form(w) or _points_to_a_place(w) or _asks(w)
        ):
            continue
        words.append((w, tag))
    return words


# A short name in quotation marks (“双减”, “回头看”, “党建云”): what the question names, whole, where the tokenizer
# cuts a piece of one character off it (双 / 减, 回头 / 看), which alone names nothing. A name cut into words
# (“四种形态”: 四种 / 形态) is read through its words, as the documents' other text is.
_QUOTED_NAME = re.compile(r"“([\u4e00-\u9fffA-Za-z0-9]{2,6})”")


def quoted_names(text: str) -> list[tuple[int, int]]:
    """The spans of the quoted short names in ``text`` the tokenizer cuts a one-character piece off."""
    return [m.span(1) for m in _QUOTED_NAME.finditer(text) if any(len(w) < 2 for w, _ in tagged(m.group(1)))]


def _fragment_of(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    """A word jieba cut across a question word (哪天开的 → 哪 / 天开 / 的, 多少天内 → 多少 / 天内): all but one
    of its characters belong to the question word, so it names nothing."""
    return any(min(end, b) - max(start, a) > 0 and (end - start) - (min(end, b) - max(start, a)) <= 1 for a, b in spans)


# Question words inside a longer word jieba keeps whole (由谁来, 怎么办, 有没有): the word asks, it names nothing.
_QUESTION_WORD = re.compile(r"什么|啥|怎么|怎样|如何|哪|谁|多少|多久|多长|多大|是否|有没有|能不能|可不可以|要不要")


def _asks(word: str) -> bool:
    return bool(_QUESTION_WORD.search(word))


def _points_to_a_place(word: str) -> bool:
    """局里, 校里, 县里: one character naming a kind of place and the locative 里 point at "our" place the way
    这里 does; the documents name it (教育局, 我局), never so. (A unit of length, 公里, is a measure word.)"""
    return len(word) == 2 and word.endswith("里") and word != "公里"


def _only_form(word: str) -> bool:
    """A word made only of question-form words (整改措施 = 整改 + 措施)."""
    rest = word
    for pattern in (_MEASURES, _LIST, _COUNT):
        rest = pattern.sub("", rest)
    return not rest


# A question that asks something of its own (怎么样, 哪些, 吗): it does not inherit what the earlier one asked.
_OWN_QUESTION = re.compile(_QUESTION_WORD.pattern + "|几|吗")


def asked_parts(question: str) -> list[str]:
    """The questions a message asks one after another (…为什么要公开？南开是怎么公开的？): each is answered on its own,
    often from another document."""
    return [p for p in (p.strip() for p in re.split(r"[？?]", question)) if len(p) >= 4]


def _asked_fact(current: str, context: str) -> AskedFact | None:
    """The fact the question asks for; an elliptical follow-up ("那记过呢？") asks what the earlier
    question asked, one with its own question words ("那慕课平台上的情况怎么样？") does not."""
    fact = asked_fact(current)
    if fact is not None or not context or _OWN_QUESTION.search(current):
        return fact
    return asked_fact(context)


def analyse(
    question: str, idf: Callable[[str], float], history: Sequence[str] = (), titles: Sequence[str] = ()
) -> QuestionAnalysis:
    """The question's terms and form; a follow-up's earlier question adds its terms at half weight. A short
    name of one of the library's ``titles`` (保密法) is read as the name the documents write (保守国家秘密法)."""
    current, context = follow_up(question, history)
    current, context = spelled_out(current, titles), spelled_out(context, titles)
    unseen = never_used(idf)
    asked, leaned_on = _terms(current, 1.0, idf, unseen), _terms(context, CONTEXT_WEIGHT, idf, unseen)
    if context and not _OWN_QUESTION.search(current) and topic(list(asked.values())):
        # An elliptical follow-up (那选人用人方面呢？ after 哪些措施涉及财务管理？, 那校长呢？ after 党委书记是怎么抓的？)
        # puts its noun in the place of the earlier question's topic and keeps the rest of that question.
        for term in topic(list(leaned_on.values())):
            del leaned_on[term.text]
    terms = asked | {k: t for k, t in leaned_on.items() if k not in asked}
    question = f"{current} {context}".strip()
    fact = _asked_fact(current, context)
    our_unit = next((kind for kind, said, _ in _OUR_UNIT if said.search(question)), "")
    named = _named(current, titles, our_unit) or _named(context, titles, our_unit)
    return QuestionAnalysis(
        text=question,
        terms=tuple(terms.values()),
        fact=fact,
        asks_list=bool(_LIST.search(question)),
        asks_count=bool(_COUNT.search(question)),
        asks_measures=bool(_MEASURES.search(question)) and not _RULES.search(question),
        asks_rules=bool(_RULES.search(question)),
        asks_comparison=bool(_COMPARE.search(question)),
        asks_which=bool(_WHICH.search(current)) or (fact is not None and fact.kind == "members"),
        our_unit=our_unit,
        unheld=tuple(name for name in named_documents(question) if not _held(name, titles)),
        own=frozenset(asked) if context else frozenset(),
        named=named,
    )


def _named(text: str, titles: Sequence[str], our_unit: str) -> tuple[frozenset[str], ...]:
    """The documents ``text`` names (``vocabulary.named_titles``), and the unit's own when it says 局里 or
    咱们学校."""
    if not text:
        return ()
    named = list(named_titles(text, titles))
    for kind, said, issuer in _OUR_UNIT:
        own = frozenset(t for t in titles if issuer.search(t) and not _YEAR.search(t))
        if kind == our_unit and said.search(text) and own:
            named.append(own)
    return tuple(dict.fromkeys(named))


def _terms(text: str, factor: float, idf: Callable[[str], float], unseen: Callable[[str], bool]) -> dict[str, Term]:
    terms: dict[str, Term] = {}
    for word, tag in _known_words(content_words(text), unseen):
        # A long compound ("保密承诺书") also counts through its parts, which the documents may split.
        parts = [
            p for p in jieba.lcut_for_search(word) if len(p) >= 2 and p != word and p not in STOPWORDS
        ] if len(word) >= 4 and not _YEAR.match(word) else []
        # A compound the documents rarely spell out whole ("整改措施") is no rarer than its rarest part.
        weight = max((idf(p) for p in parts), default=idf(word.lower()))
        for part, w in ((word, weight), *((p, idf(p)) for p in parts)):
            if part not in terms:
                terms[part] = Term(part, factor * max(w, 0.1), tag)
    return terms


# A document named in a question: a title in 《》, or a run of words ending in the name of a kind of document
# (…管理办法, …实施方案, 建设任务书). 规定 and 条例 are left out bare: they are also verbs and common nouns
# (法律规定, 有没有规定).
_NAMED_DOCUMENT = re.compile(r"《([^》]{2,40})》|([^\s，。？?、；：“”《》的按据个把将对和与及在是了哪么那这]{2,12}(?:办法|细则|方案|任务书|规则))")


def named_documents(question: str) -> list[str]:
    """The documents or works ``question`` names (《内控制度》, 临时聘用人员管理办法)."""
    return [m.group(1) or m.group(2) for m in _NAMED_DOCUMENT.finditer(question)]


def _held(name: str, titles: Sequence[str]) -> bool:
    """Whether one of the library's ``titles`` holds at least half of the words of the document ``name``
    (八项规定实施细则 is 中央八项规定实施细则). Without titles nothing can be told unheld."""
    words = _title_words(name)
    return not titles or not words or any(sum(w in t for w in words) / len(words) >= 0.5 for t in titles)
