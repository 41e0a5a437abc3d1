"""The key elements of a measure or a report sentence: bodies and posts, actions (and their negation),
numbers with units, frequencies, scope words and directed changes (由甲调整为乙)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import jieba.posseg as posseg

from assistant.measures.lexicon import (
    ACTION_CLASS_OF,
    ALL_ADVERBS,
    BARE_MONEY,
    CHANGE,
    COLLEGE,
    EVERY,
    FREQUENCY,
    FREQUENCY_ONCE,
    FUNCTION_VERBS,
    FUNCTIONAL,
    GENERIC_ORG_PREFIX,
    GROUP,
    GROUP_HEADS,
    LEADING_FUNCTION,
    LIGHT_VERBS,
    MULTIPLIERS,
    NEGATION_WORDS,
    NOT_ORG,
    NOT_ORG_TAILS,
    NUMBER,
    ORG_FAMILIES,
    PERIOD_NORMAL,
    PERSON,
    POST_TITLE,
    REGION_SCOPE,
    ROLE,
    ROLE_NOT_AFTER,
    ROLE_PREFIX,
    ROLE_SUFFIX,
    TOTAL_SCOPE,
)
from assistant.vocabulary import canonical_text
from index.text import CJK, chinese_number, clause_ids

TITLE = re.compile(r"《[^》]*》")


def mask_titles(text: str) -> str:
    """Titles of documents name bodies that do not act; blank them out, keeping every offset."""
    return TITLE.sub(lambda m: "《" + "　" * (len(m.group()) - 2) + "》", text)


# What a redaction (*) in a cited title may stand for: a few characters of one name (*州 for 某某州). At
# either end of the title one character only (全州, 我州): more would swallow the verb before it (印发).
_REDACTED_INSIDE = r"[^，。；、《》\s]{1,4}"
_REDACTED_END = r"[^，。；、《》\s]"
_PLACE_KINDS = "省州市县区"  # the place a redacted name at a title's start stands for (*州, *省)


_TITLE_NOTE = re.compile(r"（[^（）]*）|\([^()]*\)")


def bracket_cited_titles(text: str, titles: Sequence[str]) -> str:
    """``text`` with every document title of ``titles`` (《…》, as a source cites them) that it names
    without the brackets put in 《》: a measure typed as "印发州委第一巡察组巡察反馈问题整改方案" names the
    方案, and 州委 in it is part of a title, not who acted. A redacted character matches a short name."""
    for title in dict.fromkeys(titles):
        inner = title.strip("《》")
        bare = _TITLE_NOTE.sub("", inner)
        if bare != inner and bare in mask_titles(text):
            inner = bare  # the title's bracketed note (（2019-2023年）, （试行）) typed elsewhere or left out
        if len(inner.replace("*", "")) < 4:
            continue  # too short to be told from ordinary words
        pieces = re.findall(r"\*+|[^*]+", inner)
        pattern = "".join(
            re.escape(piece) if not piece.startswith("*")
            else _REDACTED_END if i in (0, len(pieces) - 1) else _REDACTED_INSIDE
            for i, piece in enumerate(pieces)
        )
        match = re.search(pattern, mask_titles(text))
        if match is None and len(pieces) > 1 and pieces[0].startswith("*") and pieces[1][0] in _PLACE_KINDS:
            # the issuing place left out: 《*州教育局机关财务管理制度》 cited as 教育局机关财务管理制度
            match = re.search(pattern.removeprefix(_REDACTED_END + re.escape(pieces[1][0])), mask_titles(text))
        if match is not None:
            text = f"{text[: match.start()]}《{match.group()}》{text[match.end() :]}"
    return text


@dataclass(frozen=True)
class Token:
    word: str
    flag: str
    start: int
    end: int


@lru_cache(maxsize=4096)
def pos_tokens(text: str) -> tuple[Token, ...]:
    out = []
    pos = 0
    for pair in posseg.lcut(text):
        word = pair.word
        out.append(Token(word, pair.flag, pos, pos + len(word)))
        pos += len(word)
    return tuple(out)


def bigrams(text: str) -> set[str]:
    chars = [c for c in text if CJK.match(c) or c.isdigit()]
    return {a + b for a, b in zip(chars, chars[1:], strict=False)}




@dataclass(frozen=True)
class Org:
    name: str
    core: str  # the name without a generic leading qualifier (州, 学校 …)
    family: str  # 局, 处, 委 …
    start: int
    end: int


@dataclass(frozen=True)
class Action:
    word: str
    cls: str
    negated: bool
    start: int
    end: int


@dataclass(frozen=True)
class Elements:
    text: str
    orgs: tuple[Org, ...]
    actions: tuple[Action, ...]
    numbers: tuple[tuple[str, str], ...]  # (value, unit); value "*" for a redacted number
    frequencies: tuple[tuple[str, str], ...]  # (period, weekday or "")
    total_scope: tuple[str, ...]
    region_scope: tuple[str, ...]
    clauses: tuple[int, ...]  # clause id per character
    negated: tuple[str, ...] = ()  # verbs under a negation: 不再出席 → 出席
    verbs: tuple[str, ...] = ()  # every verb, negated or not
    roles: tuple[Org, ...] = ()  # posts: 党委书记, 校长, 监察室主任 (family PERSON)
    groups: tuple[Org, ...] = ()  # groups of people: 中层干部, 一线教师, 辅导员 (family GROUP)
    changes: tuple[tuple[str, str], ...] = ()  # 由甲调整为乙 → (甲, 乙)
    number_starts: tuple[int, ...] = ()  # where each of ``numbers`` starts in ``text``

    @property
    def actors(self) -> tuple[Org, ...]:
        return self.orgs + self.roles + self.groups


def _org_family(word: str) -> str | None:
    for suffix, family in ORG_FAMILIES:
        if word.endswith(suffix):
            return family
    return None


def extract_orgs(text: str) -> list[Org]:
    """Departments and other bodies named in ``text`` (not inside 《titles》)."""
    masked = mask_titles(text)
    tokens = pos_tokens(masked)
    orgs: list[Org] = []
    for i, tok in enumerate(tokens):
        word = tok.word
        role = ROLE_SUFFIX.search(word)
        if role and len(word) > len(role.group()) and _org_family(word[: role.start()]):
            word = word[: role.start()]  # 纪委书记 → 纪委
        family = _org_family(word)
        if family is None and tok.flag == "nt" and word.endswith(COLLEGE):
            # a college's name is one word the tagger reads as an organisation (法学院, 商学院); 学院 alone, a
            # plain noun, is no suffix (配齐学院班子)
            family = COLLEGE
        if family is None or word.endswith(tuple(NOT_ORG_TAILS)):
            continue
        if not (tok.flag.startswith(("n", "j")) or len(word) == 1):
            continue
        if i + 1 < len(tokens) and tokens[i + 1].word in ("长", "员", "主任", "级") and len(word) == 1:
            continue
        if len(word) == 1 and i + 1 < len(tokens) and _org_family(tokens[i + 1].word) is not None:
            continue  # 局 + 党组: the bureau's party group, one body named by the next word (which takes 局 along)
        start, end = tok.start, tok.start + len(word)
        # Extend to the left over the qualifying nouns: 州 + 审计局, 基建 + 保障 + 处.
        j = i - 1
        while j >= 0 and i - j <= 3:
            prev = tokens[j]
            if not _qualifier(prev, short_head=len(word) == 1):
                break
            start = prev.start
            j -= 1
        while start < end - 1 and masked[start] in LEADING_FUNCTION:  # 经 + 局党组: 经 is not part of it
            start += 1
        name = masked[start:end]
        if name in NOT_ORG or len(name) < 2 or "　" in name:
            continue
        core = GENERIC_ORG_PREFIX.sub("", name)
        if len(core) < 2 or core in NOT_ORG:
            core = name
        if orgs and orgs[-1].end == start and orgs[-1].family != family:
            # 党委 + 常委会: one body, not two
            prev_org = orgs.pop()
            start, name = prev_org.start, masked[prev_org.start : end]
            core = name
        orgs.append(Org(name, core, family, start, end))
    return orgs


def _qualifier(tok: Token, *, short_head: bool) -> bool:
    w = tok.word
    if w.isascii() and w.isalpha() and w.isupper():
        return True  # an acronym heads a name as its words do (APEC研究中心)
    # 发给 / 交给 / 报给 hand something to the body after them: a verb of giving never names part of a body
    if not CJK.match(w[0]) or w in ACTION_CLASS_OF or w in FUNCTION_VERBS or (len(w) == 2 and w.endswith("给")):
        return False
    # an adjective that qualifies a name (重点, 专门), not one used as an adverb (明确 in 明确领导小组办公室日常分工)
    if tok.flag.startswith(("n", "j", "a", "b", "vn")) and tok.flag != "ad":
        return w not in ("的", "我", "本", "该", "各")
    # a verb-like word only before a bare one-character head: 保障 in 基建 + 保障 + 处
    return short_head and tok.flag == "v" and len(w) == 2


def extract_actions(text: str) -> list[Action]:
    negated = {tok.start for tok in _negated_tokens(text)}
    return [
        Action(tok.word, ACTION_CLASS_OF[tok.word], tok.start in negated, tok.start, tok.end)
        for tok in pos_tokens(mask_titles(text))
        if tok.word in ACTION_CLASS_OF
    ]


def _negated_tokens(text: str) -> list[Token]:
    """Verbs and action words under a negation: 不再出席, 未及时追回, 尚未完成, and the action a negated light
    verb carries (未完成整改, 没有开展专项审计)."""
    out = []
    pending = 0  # tokens a negation may still reach over
    in_phrase = False  # inside a prepositional phrase between the negation and its verb
    carried = 0  # tokens a negated light verb still reaches over to the action it carries
    for tok in pos_tokens(mask_titles(text)):
        if tok.word in NEGATION_WORDS:
            pending, in_phrase, carried = 3, False, 0
            continue
        if in_phrase and (tok.flag == "x" or tok.word in PHRASE_ENDS):
            pending, in_phrase = 0, False
            continue
        if tok.word in ACTION_CLASS_OF or (tok.flag.startswith("v") and len(tok.word) >= 2):
            negated = bool(pending or carried)
            if negated:
                out.append(tok)
            carried = LIGHT_REACH if negated and not in_phrase and tok.word in LIGHT_VERBS else 0
            # inside the phrase a verb may be a noun's modifier (按约定, 从培训经费中): the negation goes on
            pending = pending - 1 if in_phrase else 0
            continue
        # 专项 in 没有开展专项审计: what qualifies the carried action; anything else ends the reach
        carried = carried - 1 if carried and tok.flag.startswith(("n", "a", "b", "j", "d")) else 0
        if pending and (tok.flag.startswith(("d", "u", "a", "c")) or tok.word in ("再", "会", "能", "得", *TOTAL_SCOPE)):
            pending -= 1  # 不 + 再 + 出席, 未 + 及时 + 追回, 尚未 + 全部 + 办结: the negation carries over adverbs
        elif pending and tok.flag.startswith("p"):
            # 尚未 + 向施工单位 + 发函, 没有 + 对往来款项 + 审计: the negation is of the verb after the phrase
            pending, in_phrase = PHRASE_REACH, True
        elif pending and in_phrase and tok.flag.startswith(("n", "r", "m", "q", "j", "f", "v")):
            pending -= 1
        else:
            pending = 0
    return out


PHRASE_REACH = 6  # tokens of a prepositional phrase a negation reaches over to its verb
LIGHT_REACH = 2  # tokens a negated light verb reaches to its action: one qualifier and the action (开展 + 专项 + 审计)
PHRASE_ENDS = frozenset({"的", "已", "已经", "并", "但"})  # a new statement begins: the negation stops


def extract_numbers(text: str) -> list[tuple[str, str]]:
    return [(value, unit) for value, unit, _ in extract_numbers_at(text)]


def extract_numbers_at(text: str) -> list[tuple[str, str, int]]:
    """Numbers with their unit and where they start."""
    found = []
    for match in NUMBER.finditer(text):
        raw, unit = match.group(1), BARE_MONEY.get(match.group(3), match.group(3))
        if "*" in raw:
            found.append(("*", unit, match.start()))
            continue
        # a Chinese numeral glued to a word (统一, 唯一, 之一 …) is not a count
        if not raw[0].isdigit() and match.start() > 0 and CJK.match(text[match.start() - 1]) and len(raw) == 1:
            prev = text[match.start() - 1]
            if prev not in "了选配派有设开用召按增计共约近超达至和、到每逾各赴对在为向与从于给":
                continue
        value = chinese_number(raw)
        if value is not None:
            value *= MULTIPLIERS.get(match.group(2) or "", 1)
            found.append((f"{value:.12g}", unit, match.start()))  # 337732.47万元 is not 337732万元
    return found


def extract_frequencies(text: str) -> list[tuple[str, str]]:
    found = []
    for match in FREQUENCY.finditer(text):
        period = PERIOD_NORMAL.get(match.group(1), match.group(1))
        weekday = match.group(2) or ""
        if not weekday and period == "周":
            after = re.match(r"(?:周|星期)([一二三四五六日天])", text[match.end() :])
            weekday = after.group(1) if after else ""
        found.append((period, weekday.replace("天", "日")))
    taken = {i for m in FREQUENCY.finditer(text) for i in range(m.start(), m.end())}
    for match in FREQUENCY_ONCE.finditer(text):
        if match.start(1) not in taken:  # 每周一次 is one frequency, not two
            found.append((PERIOD_NORMAL.get(match.group(1), match.group(1)), ""))
    return found


def extract_verbs(text: str) -> tuple[list[str], list[str]]:
    """(verbs under a negation, all verbs) of ``text``."""
    negated = [tok.word for tok in _negated_tokens(text)]
    verbs = [
        tok.word for tok in pos_tokens(mask_titles(text))
        if tok.word in ACTION_CLASS_OF or (tok.flag.startswith("v") and len(tok.word) >= 2)
    ]
    return negated, verbs


def extract_total_scope(text: str) -> list[str]:
    """Words that claim "all of them": 全部, 所有 …, 每所/每个 …, and the adverbs 都/均 (a title's words claim
    nothing of the measure's own scope)."""
    masked = mask_titles(text)
    found = [w for w in TOTAL_SCOPE if w in masked]
    found += [m.group() for m in EVERY.finditer(masked)]
    found += [t.word for t in pos_tokens(masked) if t.word in ALL_ADVERBS and t.flag.startswith("d")]
    return list(dict.fromkeys(found))


@lru_cache(maxsize=4096)
def extract_elements(text: str) -> Elements:
    negated, verbs = extract_verbs(text)
    numbers = extract_numbers_at(text)
    return Elements(
        text=text,
        orgs=tuple(extract_orgs(text)),
        actions=tuple(extract_actions(text)),
        numbers=tuple((v, u) for v, u, _ in numbers),
        frequencies=tuple(extract_frequencies(text)),
        total_scope=tuple(extract_total_scope(text)),
        region_scope=tuple(dict.fromkeys(m.group() for m in REGION_SCOPE.finditer(mask_titles(text)))),
        clauses=tuple(clause_ids(text)),
        negated=tuple(negated),
        verbs=tuple(verbs),
        roles=tuple(extract_roles(text)),
        groups=tuple(extract_groups(text)),
        changes=tuple((m.group(1), m.group(2)) for m in CHANGE.finditer(text)),
        number_starts=tuple(at for _, _, at in numbers),
    )


def extract_roles(text: str) -> list[Org]:
    """Posts named in ``text``: 党委书记, 纪委书记, 校长, 副组长, 监察室主任 …"""
    masked = mask_titles(text)
    org_ends = {o.end: o for o in extract_orgs(text)}
    roles = []
    for m in ROLE.finditer(masked):
        if ROLE_NOT_AFTER.match(masked, m.end()):
            continue
        start = m.start()
        if start in org_ends:  # 监察室 + 主任
            start = org_ends[start].start
        else:
            prefix = ROLE_PREFIX.search(masked, max(0, start - 3), start)
            start = prefix.start() if prefix else start
        roles.append(Org(masked[start : m.end()], masked[start : m.end()], PERSON, start, m.end()))
    return roles


def extract_groups(text: str) -> list[Org]:
    """Groups of people named in ``text``, with the one word before that says which (中层 + 干部, 一线 + 教师,
    研究生 + 导师); the word as a whole when it ends in the group (中层干部)."""
    tokens = pos_tokens(mask_titles(text))
    groups = []
    for i, tok in enumerate(tokens):
        head = next((h for h in GROUP_HEADS if tok.word.endswith(h)), None)
        if head is None or not tok.flag.startswith(("n", "j")):
            continue
        start = tok.start
        if tok.word == head and i > 0 and _group_modifier(tokens[i - 1]):
            start = tokens[i - 1].start
        if text.startswith("原则", tok.end):
            continue  # 党管干部原则 names a principle, not the cadres
        name = text[start : tok.end]
        groups.append(Org(name, canonical_text(name), GROUP, start, tok.end))
    return groups


def _group_modifier(tok: Token) -> bool:
    w = tok.word
    return (
        len(w) >= 2 and CJK.match(w[0]) is not None and w not in FUNCTION_VERBS
        and not tok.flag.startswith(("v", "d", "p", "c", "u", "r", "x", "m", "q", "t"))
    )


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _title(post: Org) -> str:
    found = POST_TITLE.search(post.core)
    return found.group() if found else ""


def orgs_match(a: Org, b: Org) -> bool:
    """Same body: equal cores, a body named by its function and one whose name holds it (财政部门 ~ 州财政局),
    or the shorter core's characters appear in order in the longer one (职业学校 ~ 职业技术学校, 纪委 ~ 学校纪委,
    编办 ~ 机构编制委员会办公室)."""
    x, y = sorted((a.core, b.core), key=len)
    if x == y:
        return True
    for one, other in ((a, b), (b, a)):
        function = FUNCTIONAL.sub("", one.core)
        if function != one.core and len(function) >= 2 and function in other.core:
            return True
    if a.family != b.family or ("副" in y) != ("副" in x):  # 组长 is not 副组长
        return False
    if a.family == PERSON and _title(a) and _title(b) and _title(a) != _title(b):  # 部长 is not 组长
        return False
    return x[-1] == y[-1] and _subsequence(x, y)


