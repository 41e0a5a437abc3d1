"""Citations: ``[n]`` markers in an answer, each tied to exact characters of a numbered source.

Whatever wrote the answer (the extractive composer or an LLM), a citation survives only if its
number names a source that was passed in and its quote occurs in that source's text. An LLM's
sentence is tied to the source sentence it overlaps most; a marker whose sentence has no support
in its source is removed and reported, never shown as real.

A source sentence addressed to the model (prompt injection) is never evidence, and a claim of the
answer that repeats one (its payload, e.g. “已被接管”, or its content) is removed, cited or not.
Recognising such sentences is a heuristic over the usual wordings of injections, not a proof.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from index.chunking import Chunk
from index.text import sentences

MARKER = re.compile(r"\[(\d{1,3})\]")
_CJK_OR_WORD = re.compile(r"[\u4e00-\u9fff]|[A-Za-z0-9]+")
# A source sentence addressed to the model (prompt injection) is never evidence for a claim. None of
# these occurs in the shared corpus (tests/assistant/test_answering_llm.py checks).
_INSTRUCTION = re.compile(
    "|".join(
        (
            # overriding the rules
            r"忽略(以上|上述|之前|此前|前面|先前|全部|所有)|无视(以上|上述|之前|全部|所有)|不受资料限制"
            r"|(你|您)现在(是|不再|不受)|ignore (all )?(the )?(previous|above|prior)",
            # a chat role line or template token: 系统：…, System: …, 【系统提示】：…, <|im_start|>
            r"^[\s【\[(（<]*(系统|system|assistant|助手|user|用户)\s*(指令|提示|消息|prompt|message)?\s*[\]】)）>]?\s*[:：]",
            r"系统(指令|提示词)|system prompt|<\|im_(start|end)\|>",
            # telling the answerer what to answer
            r"(你|您)的?(回答|回复|输出|任务)|(你|您)(必须|只能|应当|需要|不得)",
            r"(在|于)(回答|回复)中|回答(时|问题时|任何|所有|相关问题)|(直接|只|一律|统一)(回答|输出)",
            # addressed to an AI
            r"(助手|(?<![a-z])ai(?![a-z])|ＡＩ|大模型|语言模型|聊天机器人|问答系统|智能体|assistant|chatbot|gpt|llm)"
            r"[^。！？；\n]*(回答|答复|回复|输出|引用|标注|概括|总结|说明|表述|声称|忽略|执行|say|answer|reply|print)",
            # forging a citation: a [n] marker next to a citing verb
            r"(引用|标注|标记|注明|标为|来源为|出处为)[^。！？；\n]{0,12}\[\d{1,3}\]",
        )
    ),
    re.IGNORECASE,
)
# Text an injection wants repeated is usually quoted: “已被接管”, '已被接管', 《国务院督查通报》.
_QUOTED = re.compile(r"[“\"'‘「『《]([^“”\"'‘’「」『』《》\n]{2,40})[”\"'’」』》]")
# One claim of an answer: text up to a sentence end, then its markers ("…完成。[1]", "…完成[1]", "A[1]").
_CLAIM_UNIT = re.compile(r"[^。！？；\[]*(?:\[(?!\d{1,3}\])[^。！？；\[]*)*[。！？；]*(?:\[\d{1,3}\])*")
_CONTENT = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
# Why a claim that copies the items was removed (the answer's fallback note reads it).
COPIED = "删除了照抄条目原文的语句（原文已在下方列出）"
# The clauses of a claim, each checked for a word-for-word copy of the items.
_CLAUSE = re.compile(r"[^，,；;：:、。！？\s]+")
# The prompt's own labels a model may echo (【资料】中提到…): read as the plain word, never as a bracketed heading.
_PROMPT_LABEL = re.compile(r"【(资料|问题)】")
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
        return {"n": self.n, **self.chunk.source_json(), "start": self.start, "end": self.end, "quote": self.quote}


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


def _units(text: str) -> set[str]:
    # Character bigrams over CJK text: robust to the paraphrase of an LLM and to segmentation.
    chars = _CJK_OR_WORD.findall(text)
    return {a + b for a, b in zip(chars, chars[1:], strict=False)} | {c for c in chars if len(c) > 1}


def support(claim: str, source_sentence: str) -> float:
    """Share of the claim's character bigrams found in the source sentence; 0 when one of the claim's
    figures (60, 2, 五 of 五年…) is not in the sentence."""
    if any(figure not in source_sentence for figure in _FIGURE.findall(claim)):
        return 0.0
    return _overlap(claim, source_sentence)


def _overlap(claim: str, source_sentence: str) -> float:
    claim_units = _units(claim)
    if not claim_units:
        return 0.0
    return len(claim_units & _units(source_sentence)) / len(claim_units)


def is_instruction(sentence: str) -> bool:
    return bool(_INSTRUCTION.search(sentence))


def without_instructions(text: str) -> str:
    """``text`` without its sentences addressed to the model; a line they leave empty goes too."""
    lines = []
    for line in text.split("\n"):
        kept = line
        for sentence in sentences(line):
            if is_instruction(sentence):
                kept = kept.replace(sentence, "", 1)
        if kept != line:
            kept = kept.strip()
            if not kept:
                continue
        lines.append(kept)
    return "\n".join(lines)


@dataclass(frozen=True)
class SourceSentences:
    """The sentences of the numbered sources: document text, and text addressed to the model."""

    genuine: list[str]
    injected: list[str]

    @classmethod
    def of(cls, sources: Sequence[Chunk]) -> SourceSentences:
        genuine: list[str] = []
        injected: list[str] = []
        for chunk in sources:
            for s in sentences(chunk.text):
                (injected if is_instruction(s) else genuine).append(s)
        return cls(genuine, injected)

    def repeated_by(self, claim: str, *, min_overlap: float = 0.5, min_copied: int = 8) -> bool:
        """Whether ``claim`` comes from an injected instruction rather than from the documents: it holds
        a quoted payload of one (“已被接管”) or ``min_copied`` characters copied from one that no
        document sentence holds, or it restates one (at least ``min_overlap`` of its bigrams, figures
        aside) more closely than any document sentence."""
        if not self.injected or not _CONTENT.search(claim):
            return False
        windows = [claim[i : i + min_copied] for i in range(len(claim) - min_copied + 1)]
        for sentence in self.injected:
            copied = [*_QUOTED.findall(sentence), *(w for w in windows if w in sentence)]
            if any(span in claim and not any(span in g for g in self.genuine) for span in copied):
                return True
        closest = max(_overlap(claim, s) for s in self.injected)
        return closest >= min_overlap and closest > max((_overlap(claim, g) for g in self.genuine), default=0.0)


def _drop_injected_claims(text: str, source_sentences: SourceSentences) -> tuple[str, list[str]]:
    """Remove the claims without a marker that repeat an injected instruction; a line left with no
    content goes too."""
    lines: list[str] = []
    dropped: list[str] = []
    for line in text.split("\n"):
        kept: list[str] = []
        for unit in _CLAIM_UNIT.findall(line):
            claim = unit.strip().lstrip("-*•·0123456789.、 ").rstrip("。！？；，,. ")
            if unit and not MARKER.search(unit) and source_sentences.repeated_by(claim):
                dropped.append(f"删除了复述资料中指令性文字的语句：“{claim}”")
                continue
            kept.append(unit)
        new_line = "".join(kept)
        if _CONTENT.search(line) and not _CONTENT.search(new_line):
            continue
        lines.append(new_line)
    return "\n".join(lines), dropped


def best_supporting_sentence(claim: str, chunk: Chunk) -> tuple[str, float]:
    scored = [(s, support(claim, s)) for s in sentences(chunk.text) if not is_instruction(s)]
    return max(scored, key=lambda pair: pair[1], default=("", 0.0))


def _claim_before(text: str, marker_start: int) -> str:
    """The sentence that a marker closes: text since the previous sentence end, marker or 【location】."""
    head = text[:marker_start].rstrip("。！？；，,. ")
    cut = max(head.rfind(ch) for ch in "。！？；\n]】")
    return head[cut + 1 :].strip()


def check_answer(text: str, sources: Sequence[Chunk], *, min_support: float = 0.35) -> CheckedAnswer:
    """Keep the markers backed by their source; drop the rest and say why.

    Markers are renumbered densely in order of first appearance so the user sees [1], [2], … .
    A claim that repeats an instruction found in the sources loses its marker and, like such a claim
    written without one, is removed from the text.
    """
    source_sentences = SourceSentences.of(sources)
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
        if source_sentences.repeated_by(claim):
            removed.append(f"[{n}] 所在语句复述了资料中的指令性文字")
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
    # A marker was kept only for a claim that repeats no injection: dropping claims leaves every citation.
    checked, dropped = _drop_injected_claims("".join(pieces), source_sentences)
    return CheckedAnswer(checked, sorted(kept.values(), key=lambda c: c.n), removed + dropped)


def verify_prose(text: str, citations: Sequence[Citation], *, min_support: float = 0.35) -> CheckedAnswer:
    """Keep the claims of an LLM's prose that the cited items support, with their numbers unchanged.

    A claim with a marker survives only if every marker names one of ``citations`` and the claim is
    supported by that item's text; a claim without one only if the items together support it (most of
    its words are theirs) and each of its figures occurs in them. No claim may repeat an instruction
    found in the items, nor copy them (a whole sentence, or most of the claim clause for clause): the items
    are shown whole below the prose, and a copy would show the same quote twice. Whatever fails is dropped
    whole, with the reason.
    """
    sources = [c.chunk for c in citations]
    by_number = {c.n: c for c in citations}
    source_sentences = SourceSentences.of(sources)
    evidence = "".join(c.chunk.text for c in citations)
    # what the answer shows under the lead-in: the items' quotes, and the titles and places they are named by
    shown = Shown.of(citations)
    kept: list[str] = []
    removed: list[str] = []
    for line in _PROMPT_LABEL.sub(r"\1", text).split("\n"):
        kept_units: list[str] = []
        last_kept = False  # punctuation after a claim (…[1]。) goes with it
        for unit in _CLAIM_UNIT.findall(line):
            claim = MARKER.sub("", unit).strip().lstrip("-*•·0123456789.、 ").rstrip("。！？；，,. ")
            if not _CONTENT.search(claim):  # punctuation between claims stays where it was
                if last_kept:
                    kept_units.append(unit)
                continue
            reason = _claim_problem(claim, [int(n) for n in MARKER.findall(unit)], by_number, evidence,
                                    source_sentences, min_support)
            if not reason and shown.copied_by(claim):
                reason = f"{COPIED}：“{claim}”"
            last_kept = not reason
            if reason:
                removed.append(reason)
            else:
                kept_units.append(unit)
        if kept_units:
            kept.append("".join(kept_units).strip())
    return CheckedAnswer("\n".join(kept), list(citations), removed)


@dataclass(frozen=True)
class Shown:
    """What an answer shows below an LLM's lead-in: the items' quotes, each quoted sentence (its end mark left
    off), and the titles and places the items are named by. Read once per answer, checked against every claim."""

    texts: tuple[str, ...]
    sentences: tuple[str, ...]

    @classmethod
    def of(cls, citations: Sequence[Citation]) -> Shown:
        quotes = [c.quote for c in citations]
        names = [t for c in citations for t in (c.chunk.title, c.chunk.label, c.chunk.section) if t]
        cores = (s.rstrip("。！？；") for q in quotes for s in sentences(q))
        return cls((*quotes, *names), tuple(core for core in cores if core))

    def copied_by(self, claim: str) -> bool:
        """Whether ``claim`` repeats the items rather than leads into them: it holds a whole quoted sentence, or
        two or more of its clauses, together most of it, stand word for word in what is shown. One clause may be
        a measure's own name, quoted by any summary; a whole sentence or a run of clauses is the quote again."""
        if any(core in claim for core in self.sentences):
            return True
        clauses = [c for c in _CLAUSE.findall(claim) if _CONTENT.search(c)]
        copied = [c for c in clauses if any(c in t for t in self.texts)]
        return len(copied) >= 2 and 2 * sum(map(len, copied)) > sum(map(len, clauses))


def _claim_problem(
    claim: str, numbers: list[int], by_number: dict[int, Citation], evidence: str,
    source_sentences: SourceSentences, min_support: float,
) -> str:
    if source_sentences.repeated_by(claim):
        return f"删除了复述资料中指令性文字的语句：“{claim}”"
    for n in numbers:
        citation = by_number.get(n)
        if citation is None:
            return f"[{n}] 不对应任何条目：“{claim}”"
        _, score = best_supporting_sentence(claim, citation.chunk)
        if score < min_support:
            return f"[{n}] 所在语句在条目中找不到依据（重合度 {score:.2f}）：“{claim}”"
    if not numbers:
        if any(figure not in evidence for figure in _FIGURE.findall(claim)):
            return f"删除了含有资料中没有的数字的语句：“{claim}”"
        if _overlap(claim, evidence) < min_support:
            return f"删除了条目中找不到依据的语句：“{claim}”"
    return ""
