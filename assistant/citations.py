"""Citations: ``[n]`` markers in an answer, each tied to exact characters of a numbered source.

Whatever wrote the answer (the extractive composer or an LLM), a citation survives only if its
number names a source that was passed in and its quote occurs in that source's text. An LLM's
sentence is tied to the source sentence it overlaps most; a marker whose sentence has no support
in its source is removed and reported, never shown as real.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from index.chunking import Chunk

MARKER = re.compile(r"\[(\d{1,3})\]")
_SENTENCE_END = re.compile(r"[^。！？；\n]*[。！？；]?")
_CJK_OR_WORD = re.compile(r"[\u4e00-\u9fff]|[A-Za-z0-9]+")
# A source sentence addressed to the model (prompt injection) is never evidence for a claim.
_INSTRUCTION = re.compile(
    r"忽略(以上|上述|之前|此前|前面|先前)|无视(以上|上述|之前)|不受资料限制|(你|您)现在(是|不再|不受)"
    r"|ignore (all )?(the )?(previous|above|prior)",
    re.IGNORECASE,
)
# Figures (60, 12, 五 in 五年, 两 in 两个月…): every figure of a claim must occur in its quote.
_FIGURE = re.compile(r"\d+(?:\.\d+)?|[一二三四五六七八九十百千万两半]+(?=[个年月日天周项条次名人元倍％%])")


@dataclass(frozen=True)
class Citation:
    n: int
    chunk: Chunk
    quote: str  # exact characters of chunk.text
    start: int  # absolute span of the quote in the document's cleaned text
    end: int

    def to_json(self) -> dict[str, object]:
        c = self.chunk
        return {
            "n": self.n,
            "doc": c.doc,
            "title": c.title,
            "section": c.section,
            "label": c.label,
            "page": c.page,
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
        }


@dataclass(frozen=True)
class CheckedAnswer:
    text: str
    citations: list[Citation]
    removed: list[str]  # why each invalid marker was dropped, for the log and the eval


def citation_for(n: int, chunk: Chunk, quote: str) -> Citation | None:
    """A citation of ``quote`` in ``chunk``, or None when the quote is not in the chunk."""
    offset = chunk.text.find(quote) if quote else -1
    if offset < 0:
        return None
    start = chunk.start + offset
    return Citation(n, chunk, quote, start, start + len(quote))


def sentences(text: str) -> list[str]:
    """Sentences of a source text, each an exact substring of it (trailing punctuation kept)."""
    return [s.strip() for s in _SENTENCE_END.findall(text) if s.strip()]


def _units(text: str) -> set[str]:
    # Character bigrams over CJK text: robust to the paraphrase of an LLM and to segmentation.
    chars = _CJK_OR_WORD.findall(text)
    return {a + b for a, b in zip(chars, chars[1:], strict=False)} | {c for c in chars if len(c) > 1}


def support(claim: str, source_sentence: str) -> float:
    """Share of the claim's character bigrams found in the source sentence; 0 when one of the claim's
    figures (60, 2, 五 of 五年…) is not in the sentence."""
    if any(figure not in source_sentence for figure in _FIGURE.findall(claim)):
        return 0.0
    claim_units = _units(claim)
    if not claim_units:
        return 0.0
    return len(claim_units & _units(source_sentence)) / len(claim_units)


def is_instruction(sentence: str) -> bool:
    return bool(_INSTRUCTION.search(sentence))


def best_supporting_sentence(claim: str, chunk: Chunk) -> tuple[str, float]:
    scored = [(s, support(claim, s)) for s in sentences(chunk.text) if not is_instruction(s)]
    return max(scored, key=lambda pair: pair[1], default=("", 0.0))


def _claim_before(text: str, marker_start: int) -> str:
    """The sentence that a marker closes: text since the previous sentence end or marker."""
    head = text[:marker_start].rstrip("。！？；，,. ")
    cut = max(head.rfind(ch) for ch in "。！？；\n]")
    return head[cut + 1 :].strip()


def check_answer(text: str, sources: Sequence[Chunk], *, min_support: float = 0.35) -> CheckedAnswer:
    """Keep the markers backed by their source; drop the rest and say why.

    Markers are renumbered densely in order of first appearance so the user sees [1], [2], … .
    """
    kept: dict[int, Citation] = {}
    renumber: dict[int, int] = {}
    removed: list[str] = []
    pieces: list[str] = []
    last = 0
    for match in MARKER.finditer(text):
        pieces.append(text[last : match.start()])
        last = match.end()
        n = int(match.group(1))
        if not 1 <= n <= len(sources):
            removed.append(f"[{n}] 不对应任何来源")
            continue
        chunk = sources[n - 1]
        claim = _claim_before(text, match.start())
        quote, score = best_supporting_sentence(claim, chunk) if claim else ("", 0.0)
        if score < min_support:
            removed.append(f"[{n}] 所在语句在来源中找不到依据（重合度 {score:.2f}）")
            continue
        if n not in renumber:
            citation = citation_for(len(renumber) + 1, chunk, quote)
            if citation is None:
                removed.append(f"[{n}] 引文不在来源原文中")
                continue
            renumber[n] = citation.n
            kept[n] = citation
        pieces.append(f"[{renumber[n]}]")
    pieces.append(text[last:])
    return CheckedAnswer("".join(pieces), sorted(kept.values(), key=lambda c: c.n), removed)
