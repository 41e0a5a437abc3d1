"""Selected passages → the items of an answer and its text: whole measures and articles, whole sentences
of plain paragraphs, never a bare heading or a line of boilerplate, never the same quote twice, grouped
by document, reports before rules when measures are asked for (and rules first when rules are).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.citations import Citation, citation_for, is_instruction
from assistant.signals.features import withholding_sentence
from assistant.signals.question import COUNT_UNITS, QuestionAnalysis
from index.chunking import SECTION_SEPARATOR, Chunk
from index.kinds import DocumentKind
from index.text import CJK, ENUMERATION_MARKER, chinese_number, clauses, sentence_spans, sentences

# An item must say something: a text of fewer Chinese characters than this (its label aside) is a
# signature line or a fragment, not an answer. (A measure is quoted whole, so its first sentence —
# "一是优化选人用人机制。" — is never shown alone as if it were the measure.)
MIN_ITEM_CHARS = 6


@dataclass(frozen=True)
class Item:
    chunk: Chunk  # the whole unit (measure, article) or the passage it comes from
    quote: str  # exact characters of chunk.text
    relevance: float
    listed: Listed | None = None  # a member of the list a count question asks about, or what introduces it


@dataclass(frozen=True)
class Listed:
    """Where an item stands in an enumerated list that answers a count (answering.Answerer._listed)."""

    count: int  # how many members the list has
    place: str  # where it stands: the heading above its members
    intro: bool = False  # the item introduces the list (下面简述几项重点。) and is none of its members


def item_of(q: QuestionAnalysis, unit: Chunk, relevance: float) -> Item | None:
    """The unit whole when it is a measure or an article; else its sentences about the question."""
    if unit.label:
        quote = unit.text
    else:
        spans = [
            (a, b) for a, b in sentence_spans(unit.text)
            if not is_instruction(unit.text[a:b]) and not names_only_where(unit, unit.text[a:b])
            and not asks(unit.text[a:b])
        ]
        scored = [(q.coverage(unit.text[a:b]), a, b) for a, b in spans]
        best = max(scored, key=lambda t: t[0], default=(0.0, 0, 0))  # the first of the best
        if best[0] <= 0:
            return None
        # the sentences about the question on the best sentence's line (a line is a paragraph)
        line_start = unit.text.rfind("\n", 0, best[1]) + 1
        line_end = unit.text.find("\n", best[2])
        line_end = len(unit.text) if line_end < 0 else line_end
        kept = [(a, b) for s, a, b in scored if s >= 0.5 * best[0] and line_start <= a and b <= line_end]
        quote = unit.text[kept[0][0] : kept[-1][1]]
    if is_instruction(quote) or not _says_something(quote, unit.label):
        return None
    return Item(unit, quote, relevance)


def names_only_where(unit: Chunk, sentence: str) -> bool:
    """Whether ``sentence`` is the unit's document title or one of its headings standing alone on a line: it
    says where the text is, not what it says (a report's first passage opens with its title, which holds
    every topic word of the report and so covered a question best)."""
    squashed = re.sub(r"\s+", "", sentence).rstrip("。")
    if not squashed:
        return False
    names = (unit.title, *unit.section.split(SECTION_SEPARATOR))
    return any(squashed == re.sub(r"\s+", "", name).strip("《》").rstrip("。") for name in names if name)


def asks(sentence: str) -> bool:
    """Whether a sentence is a question: it asks what the answer must say, and so holds the question's words best of
    all, but it states nothing. An interviewer's question on a line of its own heads its answer's section
    (index/structure.py) and is no text here; this keeps out one asked inside a paragraph (问：…？答：… on one line, a
    report's 如何…？)."""
    return sentence.rstrip().endswith(("？", "?"))


def _says_something(quote: str, label: str) -> bool:
    body = quote[len(label):] if label and quote.startswith(label) else quote
    return len(CJK.findall(body)) >= MIN_ITEM_CHARS


def unit_key(unit: Chunk) -> tuple[str, int]:
    """What tells units apart: a unit found through two of its pieces is one."""
    return unit.doc_id, unit.start


def distinct(items: Sequence[Item]) -> list[Item]:
    """One item per unit and per quote (a unit found through two of its pieces is one item)."""
    seen_units: set[tuple[str, int]] = set()
    seen_quotes: set[str] = set()
    out = []
    for item in items:
        key = unit_key(item.chunk)
        squashed = re.sub(r"\s+", "", item.quote)
        if key in seen_units or squashed in seen_quotes:
            continue
        seen_units.add(key)
        seen_quotes.add(squashed)
        out.append(item)
    return out


def _document_order(q: QuestionAnalysis, items: Sequence[Item], lead: Item | None = None) -> list[list[Item]]:
    groups: dict[str, list[Item]] = {}
    for item in items:
        groups.setdefault(item.chunk.doc_id, []).append(item)

    def rank(group: list[Item]) -> tuple[int, int, float]:
        kind = group[0].chunk.kind
        first = 0
        if q.asks_measures and not q.asks_rules:
            first = 0 if kind == DocumentKind.REPORT else 1
        elif q.asks_rules and not q.asks_measures:
            first = 0 if kind == DocumentKind.REGULATION else 1
        return (0 if lead in group else 1), first, -max(i.relevance for i in group)

    # the lead first; a list's members (answering.Answerer._listed) stay together, before the document's other items
    return [
        sorted(g, key=lambda i: (i is not lead, i.listed is None, i.chunk.start)) for g in sorted(groups.values(), key=rank)
    ]


def _count_source(q: QuestionAnalysis, items: Sequence[Item]) -> Item | None:
    """For a count question, the most relevant item that enumerates (an article's （一）…（五））: its list is
    the answer, so it leads the answer whatever its place in the document or its rank among the items."""
    listing = [i for i in items if enumerated(i.quote)] if q.asks_count else []
    return max(listing, key=lambda i: i.relevance, default=None)


def blanked_sentence(q: QuestionAnalysis, chunk: Chunk, text: str) -> str | None:
    """The sentence of ``text`` (the chunk's text or a quote of it) that writes the asked value as * about the
    question's topic, the topic read with the chunk's title and section too; None when there is none."""
    return withholding_sentence(q, sentences(text), f"{chunk.title} {chunk.section}")


# How much of a sentence that blanks the asked value a refusal quotes: about two lines of the chat. Such a
# sentence can hold a whole 二是… of measures (251 characters in the bureau's report, tests/assistant/test_compose.py
# quotes it); the blank is one clause of it.
EXCERPT_CHARS = 60


def blanked_excerpt(q: QuestionAnalysis, sentence: str) -> str:
    """What a refusal quotes of ``sentence`` (one that blanks the asked value): the sentence when it is short,
    else the clause that blanks the value widened by its neighbours (the one before first: it says who or what)
    up to ``EXCERPT_CHARS``, with … where it is cut."""
    pieces = clauses(sentence)
    blank = next((i for i, p in enumerate(pieces) if q.fact is not None and q.fact.withheld_in(p)), None)
    if len(sentence) <= EXCERPT_CHARS or blank is None:
        return sentence
    start, end = blank, blank + 1
    while True:
        wider = [(a, b) for a, b in ((start - 1, end), (start, end + 1)) if a >= 0 and b <= len(pieces)]
        fits = [(a, b) for a, b in wider if len("".join(pieces[a:b])) <= EXCERPT_CHARS]
        if not fits:
            break
        start, end = fits[0]
    text = "".join(pieces[start:end])
    if end < len(pieces):
        text = text.rstrip("，,；;：:") + "…"
    return ("…" if start else "") + text


def location(chunk: Chunk) -> str:
    """Where in its document a chunk stands, as an answer names it: its label (五是, 第十条) or its last heading."""
    return chunk.label or (chunk.section.split(SECTION_SEPARATOR)[-1] if chunk.section else "")


def compose(q: QuestionAnalysis, items: Sequence[Item]) -> tuple[str, list[Citation]]:
    """The answer text (one line per item, each ending in [n]) and its citations. The count in the
    first line is of the items actually cited."""
    body: list[str] = []
    citations: list[Citation] = []
    cited: list[tuple[Item, int]] = []
    first: Item | None = None  # the item behind [1], the one the answer opens with
    document_kinds: list[str] = []  # the kind of each document cited, and of each item
    item_kinds: list[str] = []
    listing = [i for i in items if i.listed]
    for group in _document_order(q, items, listing[0] if listing else _count_source(q, items)):
        lines = []
        for item in group:
            citation = citation_for(len(citations) + 1, item.chunk, item.quote)
            if citation is None:
                continue
            citations.append(citation)
            cited.append((item, citation.n))
            item_kinds.append(item.chunk.kind)
            first = first or item
            where = location(item.chunk)
            # The location is set apart in 【】, which ends a claim for the citation check: its numbers
            # ("2.加强组织领导…") are not the quote's figures.
            prefix = f"【{where}】" if where and not item.quote.startswith(where) else ""
            lines.append(f"- {prefix}{item.quote}[{citation.n}]")
        if lines:
            document_kinds.append(group[0].chunk.kind)
            title = group[0].chunk.title.strip()
            body += [f"\n{title}" if title.startswith("《") else f"\n《{title}》", *lines]
    return "\n".join([_opening(q, item_kinds, document_kinds, first, cited), *body]), citations


def _opening(
    q: QuestionAnalysis, item_kinds: Sequence[str], document_kinds: Sequence[str], first: Item | None,
    cited: Sequence[tuple[Item, int]],
) -> str:
    """The first line, told where the asked value stands: for a count question, the item that states the count
    (so the number of items is not read as the answer), or the documents' withholding it."""
    members = [(item.listed, n) for item, n in cited if item.listed and not item.listed.intro]
    if first is not None and first.listed and members and len(members) == members[0][0].count:
        # the members of an enumerated list answer a count: the list is counted, not the items shown
        unit = m.group(1) if (m := _COUNT_UNIT.search(q.text)) else "项"
        title = first.chunk.title.strip("《》")
        where = members[0][0].place
        return f"《{title}》{where}列出 {len(members)} {unit}（见 [{members[0][1]}]–[{members[-1][1]}]）："
    opening = intro(q, item_kinds, document_kinds, first)
    if q.fact is None or (q.asks_count and first is not None and counted(first.quote, q)):
        return opening  # no value asked, or the intro already counts an enumeration
    given = next((n for item, n in cited if q.fact.gives_value_in(item.quote)), None)
    if given is not None:
        if not q.asks_count:
            return opening
        # a count in the asked measure (or of counted things) is the asked one; any other figure only may be
        pointer = f"所问的{q.fact.noun}见 [{given}]。" if q.fact.kind == "count" else f"相关{q.fact.noun}见 [{given}]。"
        return pointer + _found(item_kinds, document_kinds)
    for item, n in cited:
        if blanked_sentence(q, item.chunk, item.quote) is not None:
            # the items are what the documents say around a value they withhold: not counted as the answer
            many = len(item_kinds) > 1
            related = f"相关内容共 {len(item_kinds)} 项（来自 {len(document_kinds)} 份文件）：" if many else "相关内容："
            # "related", not "the asked": a blanked figure about the topic need not be the very one asked for
            noun = q.fact.noun
            return f"原文未写明所问的{noun}，有关的{noun}以“*”隐去（见 [{n}]）。{related if q.asks_count else opening}"
    return opening


# The first line of a count answer whose items give no count of their own.
NOT_COUNTED = "以下相关内容未直接写明所问数目"
# The measure word a count question asks in (几种 → 种, 几个方面 → 个方面), used when it states the count.
_COUNT_UNIT = re.compile(f"(?:几|多少)个?({COUNT_UNITS})")


@dataclass
class _List:
    head: str  # the line before its first item: what it lists
    count: int = 1
    expected: int = 2  # the ordinal its next item would carry


def enumerations(text: str) -> list[tuple[str, int]]:
    """Each list ``text`` enumerates in sequence from the first, as (the line that heads it, how many items). A
    list restarts at its first ordinal in the same style: 问责条例 第七条 lists 对党组织的问责方式 （一）…（三） and then
    对党的领导干部的问责方式 （一）…（四）, two lists, not one of four. A list of another style inside an item (1. 2.
    under （一）) is its own."""
    lists: list[_List] = []  # in the order they open
    counting: dict[int, _List] = {}  # the list each style of marker is counting
    previous = 0
    for marker in ENUMERATION_MARKER.finditer(text):
        style = marker.lastindex or 0
        number = chinese_number(marker.group(style))
        if number == 1:
            lines = [line.strip() for line in text[previous:marker.start()].splitlines() if line.strip()]
            counting[style] = _List(lines[-1] if lines else "")
            lists.append(counting[style])
        elif (run := counting.get(style)) is not None and number == run.expected:
            run.count, run.expected = run.count + 1, run.expected + 1
        previous = marker.end()
    return [(run.head, run.count) for run in lists if run.count >= 2]


# Items written one after another in a sentence: 、 between them, and 和/及/以及 before the last (公开透明原则、公平竞争
# 原则、公正原则和诚实信用原则). Not 与, which in these texts mostly sets what is compared or joined (记录与会计报表的
# 有关内容相符, 保护与教育相结合).
_LAST_JOINED = re.compile(r"以及|和|及")


def listed_in_prose(text: str, q: QuestionAnalysis) -> int:
    """How many items ``text`` lists in prose, as Chinese coordinates them: 、 between the items, the last perhaps
    joined by 和/及. Of several such lists, the one whose clause (with the clauses before it in its sentence) holds
    most of the question, the longest of those; 0 for fewer than three items (A和B names one thing as often as two)."""
    lists = []
    for sentence in sentences(text):
        pieces = clauses(sentence)
        for i, clause in enumerate(pieces):
            if len(parts := clause.split("、")) >= 2:
                # read with the clauses before it in its sentence, which say what it lists (按照其经济性质分类，包括…)
                lists.append((q.coverage("".join(pieces[: i + 1])), len(parts) + bool(_LAST_JOINED.search(parts[-1]))))
    _, items = max(lists, default=(0.0, 0))
    return items if items >= 3 else 0


def counted(text: str, q: QuestionAnalysis) -> int:
    """How many items ``text`` gives for a count question: its enumerated list ((一)…(五)), else the list a sentence
    writes in prose (机构、职能、权限、程序、责任); 0 when it gives neither."""
    return enumerated(text, q) or listed_in_prose(text, q)


def enumerated(text: str, q: QuestionAnalysis | None = None) -> int:
    """How many items ``text`` enumerates in sequence from the first ((一)(二)(三) → 3); 0 for fewer than two. Of
    several lists, the one whose heading holds most of the question ``q`` (the first when none does, or no ``q``)."""
    lists = enumerations(text)
    if not lists:
        return 0
    if q is None:
        return lists[0][1]
    return max(lists, key=lambda run: q.coverage(run[0]))[1]


def intro(q: QuestionAnalysis, item_kinds: Sequence[str], document_kinds: Sequence[str], best: Item | None = None) -> str:
    """The answer's first line, from the kinds of the cited items and of their documents."""
    if q.asks_count:
        # A count stated by enumeration inside the most relevant unit (an article's （一）…（五）, or a list in
        # prose) answers the question; otherwise the items found are what is counted.
        if best is not None and (listed := counted(best.quote, q)):
            unit = m.group(1) if (m := _COUNT_UNIT.search(q.text)) else "项"
            return f"《{best.chunk.title.strip('《》')}》{location(best.chunk)}列出 {listed} {unit}（见 [1]）："
        if not q.asks_measures:
            # Measures asked for are counted by the measures found; anything else is not counted by the number of
            # passages shown (政府采购应当遵循的原则有几条？ answered by one article was "共列出 1 项"). On tune's
            # counting questions that are not about measures, that number was the count in none of 7.
            many = f"（共 {len(item_kinds)} 项，来自 {len(document_kinds)} 份文件）" if len(item_kinds) > 1 else ""
            return f"{NOT_COUNTED}{many}："
        return f"资料中共列出 {len(item_kinds)} 项（来自 {len(document_kinds)} 份文件）："
    reports = sum(kind == DocumentKind.REPORT for kind in document_kinds)
    if q.asks_measures and not q.asks_rules and reports and reports < len(document_kinds):
        # measures are counted where they are taken, in the reports; the rules they rest on are added apart
        measures = sum(kind == DocumentKind.REPORT for kind in item_kinds)
        rules = all(kind in (DocumentKind.REPORT, DocumentKind.REGULATION) for kind in item_kinds)
        added = f"另附{'相关规定' if rules else '相关资料'} {len(item_kinds) - measures} 条"
        return f"根据资料，共 {measures} 项措施，来自 {reports} 份通报（{added}）："
    return _found(item_kinds, document_kinds)


def _found(item_kinds: Sequence[str], document_kinds: Sequence[str]) -> str:
    """The plain first line: how many items from how many documents (one item needs no count)."""
    if len(item_kinds) > 1:
        return f"根据资料，共 {len(item_kinds)} 项，来自 {len(document_kinds)} 份文件："
    return "根据资料："
