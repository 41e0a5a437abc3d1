"""Where a report sentence contradicts a measure: another body or post, the opposite action, a negation,
another number or frequency, or a scope the sentence does not support. Each is a ``Conflict``."""

from __future__ import annotations

import re
from collections.abc import Sequence

import jieba

from assistant.measures.elements import Action, Elements, Org, orgs_match, pos_tokens
from assistant.measures.lexicon import FILLER, NEGATION_WORDS, OPPOSITE_ACTIONS, PERSON, STRUCTURAL
from assistant.measures.results import Conflict
from assistant.vocabulary import has_synonym
from index.text import CJK, CLAUSE_BREAK


def _actions_near(el: Elements, org: Org) -> list[Action]:
    """Structural actions in the clause of ``org`` (what is done to that body)."""
    clause = el.clauses[org.start] if org.start < len(el.clauses) else -1
    return [a for a in el.actions if a.cls in STRUCTURAL and not a.negated and el.clauses[a.start] == clause]


def element_conflicts(measure: Elements, span: Elements) -> list[Conflict]:
    """Where the span contradicts the measure, all checks on the same text."""
    return [
        *actor_conflicts(measure, span),
        *action_conflicts(measure, span),
        *number_conflicts(measure, span),
        *frequency_conflicts(measure, span),
        *scope_conflicts(measure, span),
    ]


def actor_conflicts(measure: Elements, span: Elements) -> list[Conflict]:
    """A body or post the measure names that the span replaces by another one, or to which the span
    applies another structural action (撤销 where the measure says 合并)."""
    conflicts: list[Conflict] = []
    mine, theirs = measure.actors, span.actors
    for actor in mine:
        same = [o for o in theirs if orgs_match(actor, o)]
        if same:
            done, other = _actions_near(measure, actor), _actions_near(span, same[0])
            if done and other and not {a.cls for a in done} & {a.cls for a in other}:
                conflicts.append(Conflict("action", f"{_words(done)}{actor.name}", f"{_words(other)}{same[0].name}"))
            continue
        rivals = [o for o in theirs if o.family == actor.family and not any(orgs_match(m, o) for m in mine)]
        if rivals:
            kind = "person" if actor.family == PERSON else "actor"
            conflicts.append(Conflict(kind, actor.name, "、".join(dict.fromkeys(o.name for o in rivals))))

    # Actors bound together in one clause of the measure must be bound together in the span too
    # ("监察室主任出席党委常委会" against "纪委书记出席党委常委会、监察室主任出席校长办公会").
    segments = _segment_ids(span.text, theirs)
    for a, b in _bound_pairs(measure):
        a_in = [o for o in theirs if orgs_match(a, o)]
        b_in = [o for o in theirs if orgs_match(b, o)]
        if not b_in or {segments[o.start] for o in a_in} & {segments[o.start] for o in b_in}:
            continue
        b_segments = {segments[x.start] for x in b_in}
        partners = [
            o for o in theirs
            if segments[o.start] in b_segments and o.family == a.family and not any(orgs_match(m, o) for m in mine)
        ]
        if partners and (a_in or a.family == PERSON):
            kind = "person" if a.family == PERSON else "actor"
            conflicts.append(Conflict(kind, a.name, "、".join(dict.fromkeys(o.name for o in partners))))
    return list(dict.fromkeys(conflicts))


def action_conflicts(measure: Elements, span: Elements) -> list[Conflict]:
    """The span does the opposite of what the measure says, or negates it (or the other way round)."""
    conflicts: list[Conflict] = []
    span_classes = {a.cls for a in span.actions if not a.negated}
    for action in measure.actions:
        if action.negated:
            positive = [a for a in span.actions if a.cls == action.cls and not a.negated]
            if positive and not any(a.cls == action.cls and a.negated for a in span.actions):
                conflicts.append(Conflict("negation", _negated_text(measure, action), positive[0].word))
            continue
        opposite = OPPOSITE_ACTIONS.get(action.cls, frozenset())
        contrary = [a for a in span.actions if a.cls in opposite and not a.negated]
        if contrary and action.cls not in span_classes:
            conflicts.append(Conflict("action", action.word, contrary[0].word))
        negated = [a for a in span.actions if a.cls == action.cls and a.negated]
        if negated and action.cls not in span_classes:
            conflicts.append(Conflict("negation", action.word, _negated_text(span, negated[0])))
    for before, after in measure.changes:
        for theirs in span.changes:
            if (before, after) != theirs and {before, after} & set(theirs):
                conflicts.append(Conflict("action", f"由{before}调整为{after}", f"由{theirs[0]}调整为{theirs[1]}"))
    if not any(c.kind == "negation" for c in conflicts):
        for verb in dict.fromkeys(measure.negated):
            if verb in span.verbs and verb not in span.negated:
                conflicts.append(Conflict("negation", _negation_phrase(measure.text, verb), verb))
                break
        else:
            for verb in dict.fromkeys(span.negated):
                if verb in measure.verbs and verb not in measure.negated:
                    conflicts.append(Conflict("negation", verb, _negation_phrase(span.text, verb)))
                    break
    return conflicts


def number_conflicts(measure: Elements, span: Elements) -> list[Conflict]:
    """The same unit with another value (a redacted * matches any value). A count the span does not
    state at all is unsupported, except 一 (一个县, 一所学校 are how people say "a county", "a school")."""
    conflicts = []
    for value, unit in dict.fromkeys(measure.numbers):
        values = [v for v, u in span.numbers if u == unit]
        if values and value not in values and "*" not in values:
            shown = "、".join(f"{v}{unit}" for v in dict.fromkeys(values))
            conflicts.append(Conflict("number", f"{value}{unit}", shown))
        elif not values and value != "1":
            conflicts.append(Conflict("number", f"{value}{unit}", "未写明该数量"))
    return conflicts


def frequency_conflicts(measure: Elements, span: Elements) -> list[Conflict]:
    """Another period or weekday; a frequency the span does not state at all is unsupported."""
    conflicts = []
    span_periods = {p for p, _ in span.frequencies}
    for period, weekday in dict.fromkeys(measure.frequencies):
        if not span.frequencies:
            conflicts.append(Conflict("frequency", _freq_text(period, weekday), "未写明频次"))
        elif period not in span_periods:
            shown = "、".join(dict.fromkeys(_freq_text(p, d) for p, d in span.frequencies))
            conflicts.append(Conflict("frequency", _freq_text(period, weekday), shown))
        else:
            days = {d for p, d in span.frequencies if p == period and d}
            if weekday and days and weekday not in days:
                shown = "、".join(_freq_text(period, d) for d in sorted(days))
                conflicts.append(Conflict("frequency", _freq_text(period, weekday), shown))
    return conflicts


def scope_conflicts(measure: Elements, span: Elements) -> list[Conflict]:
    """"全部 / 所有 / 全州 …" in the measure that the span does not support. A scope word of the span
    supports it only in a clause about the same thing ("所有台账的整改措施…" does not make "全部177项整改
    任务已完成" true)."""
    conflicts = []
    if measure.total_scope:
        words = _scope_words(measure, measure.total_scope[0])
        if not any(_scope_clause_covers(span, w, words) for w in span.total_scope):
            conflicts.append(Conflict("scope", measure.total_scope[0], "未说明全部完成或全部覆盖"))
    for region in measure.region_scope:
        if not (region in span.region_scope and _scope_clause_covers(span, region, _scope_words(measure, region))):
            conflicts.append(Conflict("scope", region, f"未涉及“{region}”范围"))
    return conflicts


def _scope_words(el: Elements, scope: str) -> list[str]:
    """Content words of the measure clause that holds ``scope`` (what the scope is about)."""
    at = el.text.find(scope)
    clause = "".join(ch for ch, c in zip(el.text, el.clauses, strict=True) if c == el.clauses[max(at, 0)])
    return [
        w for w in jieba.lcut(clause.replace(scope, " "))
        if (len(w) >= 2 and w not in FILLER and CJK.match(w[0])) or w.isdigit()
    ]


def _scope_clause_covers(span: Elements, scope: str, words: Sequence[str]) -> bool:
    if not words:
        return True
    for match in re.finditer(re.escape(scope), span.text):
        clause_id = span.clauses[match.start()]
        clause = "".join(ch for ch, c in zip(span.text, span.clauses, strict=True) if c == clause_id)
        if sum(has_synonym(w, clause) for w in words) >= len(words) / 2:
            return True
    return False


def _bound_pairs(el: Elements) -> list[tuple[Org, Org]]:
    pairs = []
    for i, a in enumerate(el.actors):
        for b in el.actors[i + 1 :]:
            if el.clauses[a.start] == el.clauses[b.start] and not orgs_match(a, b):
                pairs.append((a, b))
                pairs.append((b, a))
    return pairs


def _segment_ids(text: str, actors: Sequence[Org] = ()) -> list[int]:
    """Like clauses, but items of a "、" list that each have their own verb are segments of their own:
    in "甲出席A会议、乙出席B会议" 甲 goes with A, not with B; in "合并甲处、乙中心" both share the verb."""
    ids, current = [], 0
    for i, ch in enumerate(text):
        ids.append(current)
        if CLAUSE_BREAK.match(ch):
            current += 1
        elif ch == "、":
            rest = re.match(r"[^、，,。！？；!?;：:\n]*", text[i + 1 :])
            head = re.search(r"[^、，,。！？；!?;：:\n]*$", text[:i])
            if rest and head and _own_item(head.group(), i - len(head.group()), actors) and _own_item(
                rest.group(), i + 1, actors
            ):
                current += 1
    return ids


def _own_item(item: str, offset: int, actors: Sequence[Org]) -> bool:
    """A "、" item that is a statement of its own: it has a verb, or pairs two actors (党委书记任组长)."""
    if len(item) < 4:
        return False
    inside = [a for a in actors if offset <= a.start and a.end <= offset + len(item)]
    return any(t.flag == "v" for t in pos_tokens(item)) and bool(inside) or len(inside) >= 2


def _words(actions: Sequence[Action]) -> str:
    return "、".join(dict.fromkeys(a.word for a in actions))


def _negated_text(el: Elements, action: Action) -> str:
    start = max(0, action.start - 2)
    return el.text[start : action.end].lstrip("，。；、")


def _negation_phrase(text: str, verb: str) -> str:
    match = re.search(rf"(?:{'|'.join(sorted(NEGATION_WORDS, key=len, reverse=True))})[再会能得]?{re.escape(verb)}", text)
    return match.group() if match else verb


def _freq_text(period: str, weekday: str) -> str:
    return f"每{period}{weekday}"

