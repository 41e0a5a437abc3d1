"""A name or a figure the measure puts where the source sentence puts another.

Aligning the two texts word by word leaves the words they share as anchors and what differs between two
anchors as a slot. A slot where the measure writes a name (a place, body or person: 共和县, 联合国教科文组织)
or a figure (80后, 十项措施) and the source writes another of the same sort (贵德县, 70后, 九项措施) is the same
frame with another value: the measure is about something else. A body, post or group of people right beside the
shared words is another doer whatever its sort (党委常委会 where the source has 校长办公会). A reworded measure changes ordinary
words in its slots (集中学习 for 集体学习), which this does not read; the verdict model weighs the rest.

The same frame may also keep its words and trade two of them across one word that relates them: "党委增强接受
行政班子领导的意识" against "行政班子增强接受党委领导的意识", "由主管部门行文交集团" against "集团行文上报主管部门".
Who does what to whom is reversed, though every word is the source's. So it is when one body alone crosses the
verb: "主管部门上报追缴情况" against "集团行文上报主管部门", "州财政局会同州教育局" against "(我局)会同财政局".

A phrase in quotation marks is a set name (“党建带群建”, “民考民”): a measure that quotes one the source sentence
does not write, where the source quotes a near twin of it (the same characters reordered or one changed:
“群建带党建”, “民考普”), names another thing, however alike the rest.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher
from itertools import permutations, product

from assistant.measures.elements import Elements, Org, Token, mask_titles, orgs_match, pos_tokens
from assistant.measures.lexicon import COORDINATORS, FLOW_OBJECT_MARKS, PARTNER_WORDS, PERSON
from assistant.measures.results import Conflict
from assistant.vocabulary import has_synonym
from index.text import CJK, CLAUSE_BREAK, CN_NUMERAL_CHARS, is_proper_name

_FIGURE = re.compile(rf"\d|[{CN_NUMERAL_CHARS}]")


def _kind(token: Token) -> str | None:
    if _FIGURE.search(token.word):  # 四县 is a count of counties, however jieba tags it
        return "number" if token.flag == "m" else None
    if is_proper_name(token.word, token.flag) and len(token.word) >= 2:
        return "name"
    return None


def _same_sort(a: Token, b: Token) -> bool:
    """Two figures of one sort write the same thing around their numerals (十项, 九项; 第三, 第五; 80, 70 before the
    same 后); two names of one sort end alike (共和县, 贵德县). A school type against a school (中等学校, 高级中学) is a
    wording, and 一次 against 2022 are not two values of one thing."""
    if _kind(a) == "number":
        return _FIGURE.sub("", a.word) == _FIGURE.sub("", b.word)
    return a.word[-1] == b.word[-1]


def _anchor(tokens: Sequence[Token]) -> bool:
    """An anchor holds a word, not only punctuation or a particle."""
    return any(len(t.word) >= 2 and CJK.search(t.word) for t in tokens)


def slot_conflicts(measure: Elements, span: Elements) -> list[Conflict]:
    mine, theirs = pos_tokens(measure.text), pos_tokens(span.text)
    ops = SequenceMatcher(None, [t.word for t in mine], [t.word for t in theirs], autojunk=False).get_opcodes()
    # figures with a unit (10名, 四县): number_conflicts compares them
    counted = set(measure.number_starts)
    conflicts = []
    for k, (op, i1, i2, j1, j2) in enumerate(ops):
        if op != "replace":
            continue
        # the source's shared words on each side of the slot (none unless the neighbouring block is shared)
        before = theirs[ops[k - 1][3] : ops[k - 1][4]] if k > 0 and ops[k - 1][0] == "equal" else ()
        after = theirs[ops[k + 1][3] : ops[k + 1][4]] if k + 1 < len(ops) and ops[k + 1][0] == "equal" else ()
        left, right = _anchor(before), _anchor(after)
        if not (left or right):
            continue
        slot = theirs[j1:j2]
        if not (left and right):  # framed on one side only: the source's words next to that anchor
            width = i2 - i1 + 1
            slot = slot[:width] if left else slot[-width:]
        for token in mine[i1:i2]:
            kind = _kind(token)
            if kind is None or token.word in span.text or any(token.start <= at < token.end for at in counted):
                continue
            other = next((t for t in slot if _kind(t) == kind and t.word not in measure.text and _same_sort(token, t)), None)
            if other is not None and "*" not in other.word:
                conflicts.append(Conflict("number" if kind == "number" else "name", token.word, other.word))
            elif other is None and kind == "name" and _other_name_of_same_head(token.word, slot, measure.text):
                conflicts.append(Conflict("name", token.word, "".join(t.word for t in theirs[j1:j2])))
        framed_left, framed_right = left and _framing(before), right and _framing(after)
        if framed_left or framed_right:
            conflicts += _other_actor_in_slot(
                measure, span, (mine[i1].start, mine[i2 - 1].end), (slot[0].start, slot[-1].end),
                left=framed_left, right=framed_right,
            )
    return conflicts


def _framing(tokens: Sequence[Token]) -> bool:
    """Shared words enough to fix a position: two words, or one of four characters."""
    words = [t.word for t in tokens if CJK.search(t.word)]
    return len(words) >= 2 or any(len(w) >= 4 for w in words)


def _other_actor_in_slot(
    measure: Elements, span: Elements, my_slot: tuple[int, int], their_slot: tuple[int, int], *, left: bool, right: bool
) -> list[Conflict]:
    """A body, post or group of people the measure names right next to shared words where the source names
    another one, of whatever sort (党委常委会 where the source has 校长办公会, each before 专题研究学位点…): the same
    act done by someone else. ``left``/``right``: which side of the slots the shared words frame. Not when the
    source names the measure's actor anywhere, or the measure the source's."""
    def beside(org: Org, slot: tuple[int, int]) -> bool:
        inside = slot[0] <= org.start and org.end <= slot[1]
        return inside and ((left and org.start == slot[0]) or (right and org.end == slot[1]))

    out = []
    for actor in measure.actors:
        if not beside(actor, my_slot) or has_synonym(actor.name, span.text):
            continue
        for other in span.actors:
            if not beside(other, their_slot) or other.name in measure.text:
                continue
            if "*" in other.name or orgs_match(actor, other):
                continue
            out.append(Conflict("person" if actor.family == PERSON else "actor", actor.name, other.name))
            break
    return out


def _other_name_of_same_head(name: str, slot: Sequence[Token], measure: str) -> bool:
    """The source writes, where the measure has a name, words that jieba did not join into one name but
    that end in the same head (联合国教科文组织 against 联合国工业发展组织): another body of the same sort."""
    written = "".join(t.word for t in slot)
    head = name[-2:]
    return (
        len(name) >= 4 and len(written) > len(head) and written.endswith(head) and CJK.search(head) is not None
        and name not in written and written not in name and "*" not in written and written not in measure
    )


def _once(tokens: Sequence[Token], keep: Callable[[Token], bool]) -> dict[str, int]:
    """word → its position, for the kept words that stand once in ``tokens``."""
    at: dict[str, list[int]] = {}
    for i, t in enumerate(tokens):
        if keep(t):
            at.setdefault(t.word, []).append(i)
    return {w: where[0] for w, where in at.items() if len(where) == 1}


def _noun(t: Token) -> bool:
    return t.flag.startswith(("n", "j")) and len(t.word) >= 2


def _relating(t: Token) -> bool:
    """A word two nouns can stand on either side of: a verb (接受, 带) or a noun (行文)."""
    return (t.flag.startswith("v") and t.flag != "vn") or _noun(t)


def _exchanged(measure: str, source: str) -> tuple[str, str, str] | None:
    """(x, word, y) when the measure writes x … word … y and the source y … word … x."""
    mine, theirs = pos_tokens(measure), pos_tokens(source)
    my_nouns, their_nouns = _once(mine, _noun), _once(theirs, _noun)
    shared = [w for w in my_nouns if w in their_nouns]
    my_words, their_words = _once(mine, _relating), _once(theirs, _relating)
    for word in sorted(my_words.keys() & their_words.keys(), key=lambda w: my_words[w]):
        for x, y in permutations(shared, 2):
            if x in y or y in x or word in (x, y):
                continue
            if my_nouns[x] < my_words[word] < my_nouns[y] and their_nouns[y] < their_words[word] < their_nouns[x]:
                # a list told in another order (定密、涉密人员和涉密载体) relates nothing
                between = ("".join(t.word for t in mine[my_nouns[x] : my_nouns[y]]),
                           "".join(t.word for t in theirs[their_nouns[y] : their_nouns[x]]))
                if not any("、" in b for b in between):
                    return x, word, y
    return None


def _verb(t: Token) -> bool:
    return (t.flag.startswith("v") and t.flag != "vn" and len(t.word) >= 2) or t.word in PARTNER_WORDS


# Words that join two names into one list (甲和乙加强…): a name moved within a list crosses no verb. And 的:
# 到局里锻炼的教师 names the doer after its verb (a relative clause), 教师的培训 the done-to before it.
_COORDINATION = re.compile("[{}的]".format("".join(COORDINATORS)))


def _crossed(measure: str, source: str, bodies: Sequence[str]) -> tuple[str, str, bool] | None:
    """(body, verb, whether the measure writes the body first) when a body stands before the verb in one text
    and after it in the other: the doer in one is the done-to in the other. Only verbs (a noun can head a
    phrase on either side), only names of bodies, posts or groups, and not across a list or a 的."""
    mine, theirs = pos_tokens(measure), pos_tokens(source)
    my_nouns, their_nouns = _once(mine, _noun), _once(theirs, _noun)
    my_verbs, their_verbs = _once(mine, _verb), _once(theirs, _verb)
    for verb in sorted(my_verbs.keys() & their_verbs.keys(), key=lambda w: my_verbs[w]):
        for body in sorted(my_nouns.keys() & their_nouns.keys(), key=lambda w: my_nouns[w]):
            if body == verb or not any(b == body or b.endswith(body) for b in bodies):
                continue
            m, t = (my_nouns[body], my_verbs[verb]), (their_nouns[body], their_verbs[verb])
            if (m[0] < m[1]) == (t[0] < t[1]):
                continue
            between = ("".join(x.word for x in mine[min(m) : max(m)]), "".join(x.word for x in theirs[min(t) : max(t)]))
            if any(_COORDINATION.search(b) for b in between):
                continue
            mine_first = m[0] < m[1]  # the measure writes the body before the verb, the source after it
            if _disposed(mine, m[0]) if mine_first else _disposed(theirs, t[0]):
                continue  # 将甲合并 is 合并甲: the body before the verb is what it acts on
            if mine_first and _owns_the_object(theirs, t[0], mine, m[1]):
                continue
            if not mine_first and _owns_the_object(mine, m[0], theirs, t[1]):
                continue
            return body, verb, mine_first
    return None


def _disposed(tokens: Sequence[Token], body: int) -> bool:
    """Whether the body at ``body`` follows 将 or 把 with no verb between: the disposal form puts what the verb
    acts on before it (将膳食服务中心和后勤服务处合并), so it is no doer."""
    for t in reversed(tokens[:body]):
        if t.word in FLOW_OBJECT_MARKS:
            return True
        if _verb(t):
            return False
    return False


def _owns_the_object(tokens: Sequence[Token], body: int, other: Sequence[Token], verb: int) -> bool:
    """Whether the body after the verb in ``tokens`` only qualifies the noun that follows it, and that noun is what
    the verb acts on in the ``other`` text too: 召开纪委全委会 against 纪委召开全委会 (the committee's own meeting,
    called by it), not a body acted on."""
    follower = tokens[body + 1] if body + 1 < len(tokens) else None
    their_object = other[verb + 1] if verb + 1 < len(other) else None
    return follower is not None and their_object is not None and _noun(follower) and follower.word == their_object.word


def exchange_conflicts(measure: Elements, span: Elements) -> list[Conflict]:
    """Two names the measure and the source write on opposite sides of the word that relates them, or one
    body on opposite sides of a verb, read clause against clause (a word twice in a sentence is once in its
    clause); names inside a cited title (《*州教育局机关财务管理制度》) relate nothing."""
    mine, theirs = (CLAUSE_BREAK.split(mask_titles(el.text)) for el in (measure, span))
    bodies = [a.name for a in (*measure.actors, *span.actors)]
    for a, b in product(mine, theirs):
        if not (a.strip() and b.strip()):
            continue
        found = _exchanged(a, b)
        if found is not None:
            x, word, y = found
            return [Conflict("direction", f"{x}…{word}…{y}", f"{y}…{word}…{x}")]
        crossed = _crossed(a, b, bodies)
        if crossed is not None:
            body, verb, mine_first = crossed
            before, after = f"{body}…{verb}", f"{verb}…{body}"
            return [Conflict("direction", before if mine_first else after, after if mine_first else before)]
    return []


_QUOTED = re.compile(r"[“「\"]([^”」\"]{2,20})[”」\"]")
# Near twins share most of their characters: two of three (民考普, 民考民), all of them reordered (党建带群建,
# 群建带党建); 金课 and 水课 (one of two) are two names, not one misspelt.
_TWIN_SHARE = 2 / 3


def quoted_name_conflicts(measure: Elements, span: Elements) -> list[Conflict]:
    """A name the measure quotes that the span does not write, where the span quotes a near twin of it."""
    theirs = list(dict.fromkeys(_QUOTED.findall(span.text)))
    conflicts = []
    for name in dict.fromkeys(_QUOTED.findall(measure.text)):
        if _written(name, span.text):
            continue
        twin = next((q for q in theirs if q not in measure.text and _twins(name, q)), None)
        if twin is not None:
            conflicts.append(Conflict("name", name, twin))
    return conflicts


def _written(name: str, text: str) -> bool:
    """``name`` in ``text``, a redacted character (*) of the name standing for any one."""
    return re.search("".join("." if ch == "*" else re.escape(ch) for ch in name), text) is not None


def _same_name(a: str, b: str) -> bool:
    """One name, a redacted character (*) of either standing for any one (共*团, 共青团)."""
    return len(a) == len(b) and all(x == y or "*" in (x, y) for x, y in zip(a, b, strict=True))


def _twins(a: str, b: str) -> bool:
    """Whether two quoted names are near twins: not the same name (nor one redacted from the other), of
    lengths at most one apart, and sharing at least ``_TWIN_SHARE`` of the longer one's characters, counted
    with repeats and in any order."""
    if _same_name(a, b) or abs(len(a) - len(b)) > 1:
        return False
    shared = sum((Counter(a) & Counter(b)).values())
    return shared >= _TWIN_SHARE * max(len(a), len(b))
