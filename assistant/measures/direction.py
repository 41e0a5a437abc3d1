"""Directed moves: what goes from where to where (从甲选派到乙, 将甲调整到乙, 由甲调整回乙, 甲移交乙).

A move has a direction, and the reverse move, or the same thing sent somewhere else, is another measure
even though it uses every word of the original. Cosine and word coverage cannot see this, so each clause
is read for its moves and the measure's moves are compared with the sentence's: the measure's origin
turning up as the sentence's destination (and the other way round) is a reversed move; the same thing
sent to a clearly different destination is a wrong destination.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

from assistant.measures.elements import Token, bigrams, mask_titles, pos_tokens
from assistant.measures.lexicon import (
    COORDINATORS,
    FLOW_GO_VERBS,
    FLOW_LINKS,
    FLOW_OBJECT_MARKS,
    FLOW_ORIGIN_MARKS,
    FLOW_SEND_VERBS,
    FLOW_SKIP,
    FLOW_VERBS,
    FLOW_VERBS_DIRECT,
)
from assistant.measures.results import Conflict
from assistant.vocabulary import canonical_text
from index.text import CLAUSE_BREAK, clause_ids

SAME = 0.5  # share of the shorter phrase's character pairs two names of one place share at least
DIFFERENT = 0.34  # ... and two names of different places share at most (in between: undecided)


@dataclass(frozen=True)
class Flow:
    source: str  # where from (从/由甲), or what is moved (将甲…, 甲移交…); "" when the clause does not say
    target: str  # where to; "" when the clause does not say (从甲中列支)
    verb: str  # the move verb with its link: 选送…到, 调整为, 移交
    origin: bool  # the source is an origin (从/由), not the thing moved (将/把)
    mark: str = ""  # 从, 由, 将, 把 or ""

    @property
    def text(self) -> str:
        return f"{self.mark}{self.source}{self.verb}{self.target}"


def _clauses(tokens: tuple[Token, ...]) -> list[list[Token]]:
    out: list[list[Token]] = [[]]
    for tok in tokens:
        if CLAUSE_BREAK.fullmatch(tok.word):
            out.append([])
        else:
            out[-1].append(tok)
    return [c for c in out if c]


def _is_verb(tok: Token) -> bool:
    return tok.flag.startswith("v") and tok.flag != "vn"


def _phrase(tokens: list[Token], start: int, *, stop_at_verbs: bool = True) -> tuple[str, int]:
    """The noun phrase from ``start``: leading verbs are skipped (移交转办纪检监察部门), then it runs to the
    next verb, move verb, link or function word."""
    i = start
    words: list[str] = []
    while i < len(tokens) and not words and _is_verb(tokens[i]) and tokens[i].word not in FLOW_LINKS:
        i += 1
    while i < len(tokens):
        tok = tokens[i]
        if tok.word in FLOW_SKIP:
            i += 1
            continue
        if tok.word in FLOW_VERBS or tok.word in FLOW_VERBS_DIRECT or tok.word in FLOW_LINKS:
            break
        if tok.word in FLOW_ORIGIN_MARKS:  # 将甲由乙调整为丙: 甲 ends where 由 begins
            break
        if tok.word in ("中", "里") and tok.flag == "f":
            break
        if stop_at_verbs and _is_verb(tok) and words:
            break
        words.append(tok.word)
        i += 1
    return _clean("".join(words)), i


def _clean(phrase: str) -> str:
    return phrase.replace("《", "").replace("》", "").replace("　", "").strip("的之")


def _link_after(tokens: list[Token], start: int, limit: int = 8) -> int | None:
    """Index of the link (到/至/为/回/给/入) after a move verb, within a few tokens."""
    for j in range(start, min(len(tokens), start + limit)):
        if tokens[j].word in FLOW_LINKS:
            return j
        if tokens[j].word in FLOW_VERBS_DIRECT:
            return j
    return None


def _clause_flows(tokens: list[Token]) -> list[Flow]:
    flows: list[Flow] = []
    used: set[int] = set()  # move verbs already read as part of a 从/将 flow
    for i, tok in enumerate(tokens):
        if tok.word in FLOW_ORIGIN_MARKS:
            source, j = _phrase(tokens, i + 1)
            if not source:
                continue
            if j < len(tokens) and tokens[j].word in ("中", "里"):
                verb = tokens[j + 1].word if j + 1 < len(tokens) else ""
                if tok.word == "从":  # 从甲中列支: an origin without a destination
                    flows.append(Flow(source, "", f"中{verb}", origin=True, mark="从"))
                continue
            link = _link_after(tokens, j)
            if link is None:
                continue  # 由甲带队: 由 names who acts, not where from
            used.update(range(j, link + 1))
            target, _ = _phrase(tokens, link + 1)
            verb = "".join(t.word for t in tokens[j : link + 1] if t.word not in FLOW_SKIP)
            if target:
                flows.append(Flow(source, target, verb, origin=True, mark=tok.word))
        elif tok.word in FLOW_OBJECT_MARKS:
            thing, j = _phrase(tokens, i + 1, stop_at_verbs=False)
            if not thing or j >= len(tokens) or tokens[j].word in FLOW_ORIGIN_MARKS:
                continue  # 将甲由乙调整为丙 is read as the move 由乙…为丙
            link = _link_after(tokens, j)
            if link is None:
                continue
            used.update(range(j, link + 1))
            target, _ = _phrase(tokens, link + 1)
            if target:
                flows.append(Flow(thing, target, "".join(t.word for t in tokens[j : link + 1]), False, tok.word))
    for i, tok in enumerate(tokens):
        if i in used:
            continue
        if tok.word in FLOW_VERBS_DIRECT:
            after = i + 1
        elif tok.word in FLOW_VERBS and i + 1 < len(tokens) and tokens[i + 1].word in FLOW_LINKS:
            after = i + 2  # 分发至, 发放到
        else:
            continue
        thing = _phrase_before(tokens, i)  # 甲移交乙: the thing is the noun phrase right before the verb
        target, _ = _phrase(tokens, after)
        if thing and target:
            flows.append(Flow(thing, target, "".join(t.word for t in tokens[i:after]), origin=False))
    return flows + _subject_flows(tokens, used)


def _subject_flows(tokens: list[Token], used: set[int]) -> list[Flow]:
    """Moves whose start is the clause's subject, unmarked: 甲已2次发函至乙 (甲 sends), and 让甲到乙锻炼
    (甲 goes)."""
    flows = []
    for i, tok in enumerate(tokens):
        if i in used:
            continue
        if tok.word in FLOW_SEND_VERBS and i + 1 < len(tokens) and tokens[i + 1].word in FLOW_LINKS | {"至"}:
            after, origin = i + 2, True
        elif tok.word in FLOW_GO_VERBS and _is_verb(tok) and i > 0 and _goes(tokens[i - 1]):
            after, origin = i + 1, False
        else:
            continue
        subject = _phrase_before(tokens, i, past_counts=True)
        target, _ = _phrase(tokens, after)
        if subject and target:
            flows.append(Flow(subject, target, "".join(t.word for t in tokens[i:after]), origin=origin))
    return flows


def _goes(tok: Token) -> bool:
    """A noun right before a bare 到 is who goes (让教师到乡镇); a move verb jieba tags as a noun (选派到)
    makes 到 its link instead."""
    return tok.flag.startswith("n") and tok.word not in FLOW_VERBS | FLOW_VERBS_DIRECT


def _phrase_before(tokens: list[Token], end: int, *, past_counts: bool = False) -> str:
    """The bare noun phrase that ends right before ``end`` or, with ``past_counts``, before the counts,
    times and adverbs in between (业主公司已2次发函)."""
    k = end
    while past_counts and k > 0 and tokens[k - 1].flag.startswith(("m", "q", "t", "d")):
        k -= 1
    start = k
    while start > 0 and _in_bare_phrase(tokens[start - 1]):
        start -= 1
    return _clean("".join(t.word for t in tokens[start:k]))


def _in_bare_phrase(tok: Token) -> bool:
    """A token that can belong to the noun phrase before a move verb (not a verb, adverb, particle …)."""
    if _is_verb(tok) or tok.word in FLOW_SKIP or tok.word in FLOW_OBJECT_MARKS or tok.word in FLOW_ORIGIN_MARKS:
        return False
    return not tok.flag.startswith(("d", "ad", "u", "c", "p", "r", "x"))


@lru_cache(maxsize=4096)
def extract_flows(text: str) -> tuple[Flow, ...]:
    """The directed moves of ``text``, clause by clause (a title's words are not a move)."""
    tokens = pos_tokens(mask_titles(text).replace("“", "　").replace("”", "　"))
    return tuple(f for clause in _clauses(tokens) for f in _clause_flows(clause))


def place_similarity(a: str, b: str) -> float:
    """Share of the shorter name's character pairs found in the other, after synonyms are made one word
    (老师/教师): 共和县高中 ~ 共和县高级中学, 组织部门 vs 宣传部门."""
    x, y = bigrams(canonical_text(a)), bigrams(canonical_text(b))
    if not x or not y:
        return 0.0
    return len(x & y) / min(len(x), len(y))


def flow_conflicts(measure: tuple[Flow, ...], span: tuple[Flow, ...]) -> list[Conflict]:
    """A move of the measure that the span makes the other way round, or makes to another destination
    (and nowhere makes as the measure says). Each move of the span is aligned with the measure's both ways
    (origin with origin and destination with destination, or crosswise) and the better alignment wins:
    names share generic words (高级中学, 招生计划), so only the comparison of the two tells direction."""
    conflicts = []
    for f in measure:
        if not f.source:
            continue
        aligned = [(g, *_alignments(f, g)) for g in span if g.source]
        if any(direct >= SAME and direct >= crossed for _, direct, crossed in aligned):
            continue  # the span makes this move
        reversed_ = [g for g, direct, crossed in aligned if crossed >= SAME and crossed > direct]
        if not reversed_ and f.origin and f.target:
            # 从甲调到乙 against "…返回甲": what leaves 甲 in the measure goes to 甲 in the span
            reversed_ = [
                g for g, _, _ in aligned
                if g.target and place_similarity(f.source, g.target) >= SAME
                and place_similarity(f.target, g.target) <= DIFFERENT
            ]
        if reversed_:
            conflicts.append(Conflict("direction", f.text, reversed_[0].text))
            continue
        elsewhere = [
            g for g, _, _ in aligned
            if f.target and g.target and place_similarity(f.source, g.source) >= SAME
            and place_similarity(f.target, g.target) <= DIFFERENT
        ]
        if elsewhere:
            conflicts.append(Conflict("direction", f.text, elsewhere[0].text))
    return conflicts


def _alignments(f: Flow, g: Flow) -> tuple[float, float]:
    """(origin~origin and destination~destination, origin~destination and destination~origin); a move
    without a destination aligns by its origin alone."""
    if not f.target or not g.target:
        return place_similarity(f.source, g.source), 0.0
    direct = min(place_similarity(f.source, g.source), place_similarity(f.target, g.target))
    crossed = min(place_similarity(f.source, g.target), place_similarity(f.target, g.source))
    return direct, crossed


# 先甲，再乙: the measure states an order of steps
_SEQUENCE = re.compile(r"先(?P<first>[^，。；;]+?)[，,]?\s*(?:然后|之后|随后|再|后)(?P<then>[^。；;]+)")


def _nouns(text: str) -> set[str]:
    return {t.word for t in pos_tokens(text) if t.flag.startswith(("n", "j")) and len(t.word) >= 2}


def _step_marks(text: str) -> set[str]:
    """What names a step: its nouns, or its verbs when it names no thing (先销号、再验收)."""
    return _nouns(text) or {t.word for t in pos_tokens(text) if t.flag.startswith("v") and len(t.word) >= 2}


def _clause_at(text: str, at: int) -> str:
    ids = clause_ids(text)
    return CLAUSE_BREAK.sub("", "".join(ch for ch, i in zip(text, ids, strict=True) if i == ids[at]))


def order_conflicts(measure: str, span: str) -> list[Conflict]:
    """A measure that says 先甲再乙 against a sentence that tells 乙 before 甲 (a report narrates its
    steps in the order they were taken): the nouns only one step names are the steps' marks."""
    found = _SEQUENCE.search(measure)
    if found is None:
        return []
    first, then = _step_marks(found["first"]), _step_marks(found["then"])
    first, then = first - then, then - first
    steps = mask_titles(span)  # a step's word inside a 《title》 names the document, not the step taken
    at_first = sorted((steps.find(w), w) for w in first if w in steps)
    at_then = sorted((steps.find(w), w) for w in then if w in steps)
    if at_first and at_then and at_then[-1][0] < at_first[0][0]:
        then_clause, first_clause = (_clause_at(span, at[0][0]) for at in (at_then, at_first))
        return [Conflict("order", found.group(0), f"先“{then_clause}”，后“{first_clause}”")]
    return []


# Two things one of which serves the other: 以甲促进乙 (甲 the means, 乙 the end), 在甲的基础上乙 (甲 first, 乙 built on
# it). Swapping them keeps every word and reverses the relation.
_RELATION_VERB = re.compile(r"(?:来|为抓手|为契机)?(?:推进|促进|推动|带动|提升|助推|保障|倒逼|引领)")
_MEANS = re.compile(r"以(?P<rest>[^，。；;]{4,80})")
_GROUNDWORK = re.compile(r"在(?P<first>[^，。；;]{2,30}?)(?:的)?基础上[，,]?(?P<then>[^。；;]{2,30})")


def _relations(text: str) -> list[tuple[str, str, str]]:
    """Every reading of ``text``'s means and end, or groundwork and what is built on it: (whole, first, then). A
    relation verb can stand inside either part too (以推动学校整体提升进步来带动…: 推动 and 提升 are the means'
    own words), so each of its places after 以 is one reading; the comparison takes the best."""
    out = []
    for found in _MEANS.finditer(text):
        rest = found["rest"]
        for verb in _RELATION_VERB.finditer(rest):
            first, then = rest[: verb.start()], rest[verb.end() :][:30]
            if 2 <= len(first) <= 30 and "、" not in first and len(then) >= 2:
                out.append((found.group(0), first, then))
    out += [(m.group(0), m["first"], m["then"]) for m in _GROUNDWORK.finditer(text)]
    return out


def relation_conflicts(measure: str, span: str) -> list[Conflict]:
    """The measure's means (or groundwork) is the sentence's end (or what is built on it), and the other way
    round: 以推动发展促进作风建设 against 以作风建设推进发展. Crossed, both pairs are the same things (SAME), and no
    reading of the two takes them straight as the same."""
    crossed: tuple[float, str, str] = (0.0, "", "")
    direct = 0.0
    theirs = _relations(span)
    for mine_whole, a, b in _relations(measure):
        for their_whole, x, y in theirs:
            crossed = max(crossed, (min(place_similarity(a, y), place_similarity(b, x)), mine_whole, their_whole))
            direct = max(direct, min(place_similarity(a, x), place_similarity(b, y)))
    if crossed[0] >= SAME > direct:
        return [Conflict("direction", crossed[1], crossed[2])]
    return []


def _takes_object(tok: Token) -> bool:
    # 建设 is tagged a verbal noun and 对照 a preposition as often as a verb: each still takes an object
    return (tok.flag.startswith("v") or tok.flag == "p") and len(tok.word) >= 2


def _verb_arguments(clauses: list[list[Token]], verbs: tuple[str, str]) -> dict[str, list[str]]:
    """What each of two verbs acts on at each of its uses in ``clauses``: what follows it in its clause up to
    the other one (依托甲建设乙: 依托 → 甲), or, at the clause's end, what comes before it (对推动不力的 … 追责)."""
    out: dict[str, list[str]] = {v: [] for v in verbs}
    for clause in clauses:
        for i, tok in enumerate(clause):
            if tok.word not in out:
                continue
            rest = clause[i + 1 :]
            end = next((k for k, t in enumerate(rest) if t.word in out), len(rest))
            after = "".join(t.word for t in rest[:end])
            # 传达学习…: the two act together on one thing; 课后服务、作业管理: items of a list, not actions
            if (end == 0 and rest) or after.startswith(COORDINATORS):
                out[tok.word].append("")
                continue
            out[tok.word].append(after if bigrams(after) else "".join(t.word for t in clause[:i]))
    return out


def pairing_conflicts(measure: str, span: str) -> list[Conflict]:
    """Two actions the measure and the sentence both take, each on what the other takes in the sentence:
    依托甲建设乙 against 依托乙建设甲, 对照甲建立乙 against 对照乙建立甲. Every word is the sentence's, but which
    thing serves which is reversed. The measure's two arguments must each be the same thing as the crossed
    one of the sentence and a different thing from the one it pairs with there (SAME, DIFFERENT), and no use
    of the two verbs in the sentence may pair them as the measure does."""
    masked = mask_titles(span)
    my_tokens = pos_tokens(mask_titles(measure))
    my_clauses, their_clauses = _clauses(my_tokens), _clauses(pos_tokens(masked))
    verbs = list(dict.fromkeys(t.word for t in my_tokens if _takes_object(t) and t.word in masked))
    for i, first in enumerate(verbs):
        for second in verbs[i + 1 :]:
            mine, theirs = _verb_arguments(my_clauses, (first, second)), _verb_arguments(their_clauses, (first, second))
            if len(mine[first]) != 1 or len(mine[second]) != 1:
                continue
            (a,), (b,) = mine[first], mine[second]
            pairs = list(product(theirs[first], theirs[second]))
            if not (a and b) or any(not (x and y) for x, y in pairs):
                continue
            if any(place_similarity(a, x) >= SAME and place_similarity(b, y) >= SAME for x, y in pairs):
                continue  # the sentence pairs them as the measure does somewhere
            for x, y in pairs:
                crossed = place_similarity(a, y) >= SAME and place_similarity(b, x) >= SAME
                apart = place_similarity(a, x) <= DIFFERENT and place_similarity(b, y) <= DIFFERENT
                if crossed and apart:
                    my_masked = mask_titles(measure)
                    a, b = _unmasked(a, my_masked, measure), _unmasked(b, my_masked, measure)
                    x, y = _unmasked(x, masked, span), _unmasked(y, masked, span)
                    return [Conflict("direction", f"{first}{a}，{second}{b}", f"{first}{x}，{second}{y}")]
    return []


def _unmasked(piece: str, masked: str, text: str) -> str:
    """``piece`` of ``masked`` as ``text`` writes it: the clerk reads the title, not its blanks."""
    at = masked.find(piece)
    return text[at : at + len(piece)] if at >= 0 else piece
