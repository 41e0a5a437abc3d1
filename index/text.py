"""The one copy of the text primitives every stage shares: sentences, clauses, Chinese numerals, tokens.

Indexing cuts chunks at the sentence ends defined here, answers quote whole sentences found by the
same rule, and the measure check compares the same sentences, so a quote never straddles what
another stage thinks is a sentence boundary.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from functools import lru_cache

import jieba

jieba.setLogLevel(logging.WARNING)

# A sentence ends after its end marks (full-width or ASCII) and any closing quotes or brackets, or at a
# line break.
SENTENCE_END_MARKS = "。！？；!?;"
CLOSING_MARKS = "”’」』）)"
_SENTENCE_BREAK = re.compile(rf"[{SENTENCE_END_MARKS}]+[{CLOSING_MARKS}]*|\n+")
# Clauses also end at commas and colons, not at the enumeration comma 、.
CLAUSE_BREAK = re.compile(r"[，,。！？；!?;：:\n]")
CJK = re.compile(r"[\u4e00-\u9fff]")
# The numerals an enumerated item is counted with (一 … 九十九); an item label never needs 百, 零 or 两.
CN_ORDINAL = "[一二三四五六七八九十]"
# The label that opens an enumerated item — 一是, 第一, （一）/（1）, 1. / 1、 — as pattern text to embed:
# no anchors and no groups, so each user states where a label may stand and what may follow it.
ITEM_LABEL = rf"(?:{CN_ORDINAL}+是|第{CN_ORDINAL}+|\d{{1,2}}[.．、]|[（(](?:{CN_ORDINAL}+|\d{{1,2}})[)）])"
# The marker of an item a text enumerates: （一） (1), 一是, a numbered 1. / 1、, 第一， — its ordinal is
# the one group that matched (``enumeration_ordinals``). Not built on ITEM_LABEL: searched for inside
# running text, it needs a group per form, at most three numerals and guards a label at a clause start
# does not (统一是, 1.5, 第一次).
ENUMERATION_MARKER = re.compile(
    rf"[（(]({CN_ORDINAL}{{1,3}}|\d{{1,2}})[)）]"
    rf"|(?<![\u4e00-\u9fff])({CN_ORDINAL}{{1,3}})是"  # opens a clause: not 统一是, 之一是
    r"|(?<![\d.])(\d{1,2})[.．、](?!\d)"
    rf"|第({CN_ORDINAL}{{1,3}})[，,、]"
)

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
CN_NUMERAL_CHARS = "".join([*_CN_DIGITS, *_CN_UNITS])  # the characters a Chinese numeral is written with
# jieba's part-of-speech tags of proper names: a person, a place, an institution, another name
NAME_TAGS = ("nr", "ns", "nt", "nz")


def is_proper_name(word: str, tag: str) -> bool:
    """A word jieba tags as a proper name. A Chinese personal name has two or three characters: jieba's
    dictionary also tags set phrases as person names (从严治党, 建立健全, 严格把关), which name nobody."""
    return tag.startswith(NAME_TAGS) and not (tag.startswith("nr") and len(word) >= 4)


def sentence_breaks(text: str, start: int = 0, end: int | None = None) -> Iterator[int]:
    """Offsets just after each sentence end (or run of line breaks) within ``text[start:end]``."""
    for match in _SENTENCE_BREAK.finditer(text, start, len(text) if end is None else end):
        yield match.end()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence of ``text``, surrounding whitespace trimmed, end marks kept."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for cut in [*sentence_breaks(text), len(text)]:
        start, end = cursor, cut
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            spans.append((start, end))
        cursor = cut
    return spans


def sentences(text: str) -> list[str]:
    """Sentences of ``text``, each an exact substring of it."""
    return [text[a:b] for a, b in sentence_spans(text)]


def clauses(text: str) -> list[str]:
    """Consecutive pieces of ``text`` ending at a comma or a sentence end; they join back to ``text``."""
    pieces, start = [], 0
    for match in CLAUSE_BREAK.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return [p for p in pieces if p.strip()]


def clause_ids(text: str) -> list[int]:
    """Clause number of every character of ``text``."""
    ids, current = [], 0
    for ch in text:
        ids.append(current)
        if CLAUSE_BREAK.match(ch):
            current += 1
    return ids


def enumeration_ordinals(text: str) -> list[str]:
    """The ordinals of the items ``text`` enumerates, in order: "一是…（二）…3." → ["一", "二", "3"]."""
    return [next(g for g in m.groups() if g) for m in ENUMERATION_MARKER.finditer(text)]


def chinese_number(text: str) -> float | None:
    """12, 3.5, 十二, 二十七, 一百零三, 两百, 三万 … → the number; None when ``text`` is not one."""
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    total, section, digit = 0, 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            unit = _CN_UNITS[ch]
            if unit == 10000:
                total += (section + digit) * unit
                section, digit = 0, 0
            else:
                section += (digit or 1) * unit
                digit = 0
        else:
            return None
    return float(total + section + digit)


# Tokens that carry no topic: punctuation, single function characters, question words.
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)
STOPWORDS = frozenset(
    ["的", "了", "和", "与", "及", "或", "等", "在", "对", "为", "是", "把", "被", "将", "从", "向", "以", "于", "并", "也", "都", "而", "又", "就", "这", "那", "其", "之", "中", "上", "下", "有", "无", "哪些", "哪个", "哪", "什么", "怎么", "怎样", "如何", "是否", "吗", "呢", "吧", "啊", "么", "多少", "几", "请问", "一下", "一些", "关于", "有关", "方面", "情况", "问题", "工作", "进行", "开展", "通过", "我们", "我", "你", "他", "她", "它", "这个", "那个", "这些", "那些", "如果", "要求", "规定"]
)


@lru_cache(maxsize=1)
def _jieba_ready() -> bool:
    jieba.initialize()
    return True


def is_punctuation(token: str) -> bool:
    return bool(_PUNCT.match(token))


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens, lower-cased, without punctuation and stopwords."""
    _jieba_ready()
    tokens = []
    for token in jieba.lcut_for_search(text):
        token = token.strip().lower()
        if not token or _PUNCT.match(token) or token in STOPWORDS or token == "*":
            continue
        tokens.append(token)
    return tokens


def tokenize_query(text: str) -> list[str]:
    """Query tokens; falls back to unfiltered tokens when filtering would leave nothing."""
    tokens = tokenize(text)
    if tokens:
        return tokens
    _jieba_ready()
    return [t for t in (w.strip().lower() for w in jieba.lcut_for_search(text)) if t and not _PUNCT.match(t)]
