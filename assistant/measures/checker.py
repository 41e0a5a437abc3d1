"""The measure checker: candidate spans from the hybrid searcher, their signals, the verdict and its
explanation; ``check_measures`` runs it over a workspace."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import jieba
import numpy as np

from assistant.measures.conflicts import (
    action_conflicts,
    actor_conflicts,
    frequency_conflicts,
    number_conflicts,
    scope_conflicts,
)
from assistant.measures.elements import bigrams, extract_elements
from assistant.measures.judge import combine_verdicts, parse_judge_reply
from assistant.measures.lexicon import FILLER, FREQUENCY, FREQUENCY_ONCE, NUMBER
from assistant.measures.results import (
    ABSENT,
    EXISTS,
    PARTIAL,
    VERDICT_LABELS,
    Conflict,
    MeasureMatch,
    MeasureResult,
    Signals,
)
from assistant.prompts import load_prompt
from assistant.retrieval import Passage, SearchFilter
from assistant.vocabulary import has_synonym
from index.chunking import Chunk
from index.kinds import DocumentKind
from index.text import CJK, clauses, sentence_spans

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from assistant.workspace import Workspace

log = logging.getLogger(__name__)


def _comparable_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans with enough Chinese to be a measure (at least four characters)."""
    return [(a, b) for a, b in sentence_spans(text) if len(CJK.findall(text[a:b])) >= 4]


@dataclass(frozen=True)
class _Span:
    chunk: Chunk
    offset: int
    text: str
    focus: tuple[str, ...]  # the sentence(s) the elements are compared with
    rank: int  # retrieval rank of the chunk


@dataclass
class MeasureChecker:
    """The method with its parameters; ``check_measures`` builds one over a workspace."""

    search: Callable[[str, int], list[Passage]]
    embed: Callable[[Sequence[str]], np.ndarray]
    idf: Callable[[str], float]
    chat_model: BaseChatModel | None = None
    k: int = 10  # chunks retrieved per measure
    exists_threshold: float = 0.65  # similarity a conflict-free span needs for "exists"
    partial_threshold: float = 0.42  # similarity below which nothing close was found
    min_compact: float = 0.56  # "exists" needs this much of the measure within one short stretch
    rival_margin: float = 0.08  # a closer conflicting span beats a clean one by more than this
    min_match: float = 0.25  # below this the closest span is noise and no match is shown
    max_matches: int = 3
    embed_top: int = 24  # spans scored by the encoder (the lexically closest ones)
    _vectors: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # encoder cache by text

    # -- content words ------------------------------------------------------------------------------
    def content_words(self, measure: str) -> dict[str, float]:
        """Content words of the measure with their weight (idf, bounded so no word dominates)."""
        words: dict[str, float] = {}
        unseen = self.idf("\x00")  # the weight of a word the corpus never uses
        plain = re.sub(r"[《》〈〉“”\"]", " ", measure)  # a title the user quotes is still the topic
        plain = NUMBER.sub(" ", FREQUENCY_ONCE.sub(" ", FREQUENCY.sub(" ", plain)))
        for word in jieba.lcut(plain):
            w = word.strip()
            if len(w) < 2 or w in FILLER or not CJK.search(w):
                continue
            idf = self.idf(w)
            # A word no report uses cannot tell passages apart (colloquial wording, a segmentation slip):
            # its meaning has to come through synonyms, bigrams and the encoder instead.
            words[w] = 1.0 if idf >= unseen - 1e-9 else min(max(idf, 1.0), 8.0)
        return words

    def content_bigrams(self, measure: str) -> set[str]:
        """Character bigrams inside runs of content words (filler words and punctuation break a run)."""
        plain = NUMBER.sub(" ", FREQUENCY_ONCE.sub(" ", FREQUENCY.sub(" ", measure)))
        runs, run = [], ""
        for word in jieba.lcut(plain):
            if word in FILLER or not CJK.match(word[0]):
                runs.append(run)
                run = ""
            else:
                run += word
        runs.append(run)
        grams = set().union(*(bigrams(r) for r in runs))
        return grams or bigrams(measure)

    def coverage(self, words: dict[str, float], text: str) -> tuple[float, tuple[str, ...]]:
        if not words:
            return 0.0, ()
        total = sum(words.values())
        got = 0.0
        missing = []
        for word, weight in words.items():
            if has_synonym(word, text):
                got += weight
                continue
            parts = [p for p in jieba.lcut_for_search(word) if len(p) >= 2 and p != word]
            share = sum(has_synonym(p, text) for p in parts) / len(parts) if parts else 0.0
            got += 0.6 * share * weight
            if share < 0.5:
                missing.append(word)
        return got / total, tuple(sorted(missing, key=lambda w: -words[w]))

    # -- candidates ---------------------------------------------------------------------------------
    def candidates(self, measure: str) -> list[_Span]:
        spans: list[_Span] = []
        seen: set[tuple[str, int, int]] = set()
        for rank, passage in enumerate(self.search(measure, self.k)):
            chunk = passage.chunk
            sents = _comparable_sentences(chunk.text)
            units = [(i, i) for i in range(len(sents))] + [(i, i + 1) for i in range(len(sents) - 1)]
            for i, j in units:
                start, end = sents[i][0], sents[j][1]
                key = (chunk.doc, chunk.start + start, chunk.start + end)
                if key in seen:
                    continue
                seen.add(key)
                focus = tuple(chunk.text[s:e] for s, e in sents[i : j + 1])
                spans.append(_Span(chunk, start, chunk.text[start:end], focus, rank))
        return spans

    def signals(self, measure: str, spans: list[_Span]) -> list[Signals]:
        """Lexical signals for every span; the encoder (the slow part) only for the lexically closest."""
        words = self.content_words(measure)
        grams = self.content_bigrams(measure)
        stretch = max(2 * len(measure), 30)
        lexical = []
        for span in spans:
            cov, missing = self.coverage(words, span.text)
            compact = self.compact_coverage(words, span.text, stretch) if cov > 0 else 0.0
            big = len(grams & bigrams(span.text)) / len(grams) if grams else 0.0
            lexical.append((cov, compact, big, missing))
        ranked = sorted(range(len(spans)), key=lambda i: -(0.35 * lexical[i][0] + 0.15 * lexical[i][1] + 0.3 * lexical[i][2]))
        embedded = ranked[: self.embed_top]
        cosines = dict(zip(embedded, self._cosines(measure, [spans[i].focus for i in embedded]), strict=True))
        out = []
        for i, (cov, compact, big, missing) in enumerate(lexical):
            cos = cosines.get(i, 0.0)
            cos_part = min(max((cos - 0.25) / 0.5, 0.0), 1.0)
            similarity = 0.35 * cov + 0.15 * compact + 0.3 * big + 0.2 * cos_part
            out.append(Signals(cov, compact, big, cos, similarity, (), missing))
        return out

    def _cosines(self, measure: str, spans: list[tuple[str, ...]]) -> list[float]:
        """Cosine of the measure with each span; a pair of sentences is the mean of its two vectors.
        Sentence vectors are cached: the same report sentences come back for related measures."""
        todo = [t for t in dict.fromkeys([measure, *(s for span in spans for s in span)]) if t not in self._vectors]
        if todo:
            for text, vector in zip(todo, self.embed(todo), strict=True):
                self._vectors[text] = vector
        query = self._vectors[measure]
        out = []
        for span in spans:
            vector = np.sum([self._vectors[s] for s in span], axis=0)
            norm = float(np.linalg.norm(vector))
            out.append(float(vector @ query) / norm if norm else 0.0)
        return out

    def compact_coverage(self, words: dict[str, float], text: str, stretch: int) -> float:
        """Best coverage within consecutive clauses of at most ``stretch`` characters (at least one clause):
        a measure assembled from words scattered over two sentences is not the measure."""
        pieces = clauses(text)
        best = 0.0
        for i in range(len(pieces)):
            joined = ""
            for j in range(i, len(pieces)):
                if j > i and len(joined) + len(pieces[j]) > stretch:
                    break
                joined += pieces[j]
                best = max(best, self.coverage(words, joined)[0])
        return best

    def conflicts(self, measure: str, span: _Span) -> tuple[Conflict, ...]:
        """Conflicts with the focus sentence: the one of the span's sentences that covers most."""
        mine = extract_elements(measure)
        words = self.content_words(measure)
        focus = extract_elements(max(span.focus, key=lambda s: self.coverage(words, s)[0]))
        whole = extract_elements(span.text) if len(span.focus) > 1 else focus
        actors = actor_conflicts(mine, focus)
        if actors and whole is not focus:
            # an actor the measure names may sit in the other sentence of the pair
            still = {(c.kind, c.measure_value) for c in actor_conflicts(mine, whole)}
            actors = [c for c in actors if (c.kind, c.measure_value) in still]
        found = [
            *actors,
            *action_conflicts(mine, focus),
            *number_conflicts(mine, whole),
            *frequency_conflicts(mine, whole),
            *scope_conflicts(mine, focus),
        ]
        return tuple(dict.fromkeys(found))

    # -- verdict ------------------------------------------------------------------------------------
    def check(self, measure: str) -> MeasureResult:
        measure = measure.strip()
        if not CJK.search(measure):
            return MeasureResult(measure, ABSENT, 0.0, "措施内容为空或不是中文，无法核查。")
        spans = self.candidates(measure)
        if not spans:
            return MeasureResult(measure, ABSENT, 0.0, "报告中没有检索到相关内容。")
        signals = self.signals(measure, spans)
        order = sorted(range(len(spans)), key=lambda i: -signals[i].similarity)[:12]
        judged = []
        for i in order:
            s = signals[i]
            conflicts = self.conflicts(measure, spans[i]) if s.similarity >= self.partial_threshold else ()
            judged.append((spans[i], replace(s, conflicts=conflicts)))
        verdict, best = self.decide(judged)
        explanation = self.explain(verdict, best[1])
        if verdict == EXISTS and len(self.content_words(measure)) < 2:
            # one word ("审计") is a topic, not a measure: it is "there" in any report that mentions it
            verdict = PARTIAL
            explanation = "措施内容过少（只有一个关键词），无法判断是否为同一措施" + _detail(best[1])
        matches = self._matches(judged, best) if best[1].similarity >= self.min_match else []
        result = MeasureResult(measure, verdict, best[1].similarity, explanation, matches)
        if self.chat_model is not None and verdict != ABSENT:
            self._ask_judge(result, best)
        return result

    def decide(self, judged: list[tuple[_Span, Signals]]) -> tuple[str, tuple[_Span, Signals]]:
        top = judged[0]
        clean = [pair for pair in judged if not pair[1].conflicts]
        if clean:
            sig = clean[0][1]
            if (
                sig.similarity >= self.exists_threshold
                and sig.compact >= self.min_compact
                and sig.similarity >= top[1].similarity - self.rival_margin
            ):
                return EXISTS, clean[0]
        if top[1].similarity >= self.partial_threshold:
            return PARTIAL, top
        return ABSENT, top

    def _matches(self, judged: list[tuple[_Span, Signals]], best: tuple[_Span, Signals]) -> list[MeasureMatch]:
        out: list[MeasureMatch] = []
        used: set[str] = set()
        for span, sig in [best, *judged]:
            if span.chunk.id in used or len(out) >= self.max_matches or sig.similarity < self.min_match:
                continue
            used.add(span.chunk.id)
            out.append(MeasureMatch(span.chunk, span.text, span.offset, sig))
        return out

    def explain(self, verdict: str, sig: Signals) -> str:
        detail = _detail(sig)
        missing = "、".join(sig.missing[:4])
        if verdict == EXISTS:
            text = "报告中已有该措施，原文与措施一致" + detail
            return text + (f"；原文措辞不同之处：{missing}" if missing else "")
        if verdict == PARTIAL:
            parts = [c.message for c in sig.conflicts]
            if not sig.conflicts and sig.compact < self.min_compact:
                parts.append("原文相关词语分散在不同语句中，未见完整的同一措施")
            if missing:
                parts.append(f"原文未提及：{missing}")
            if not parts:
                parts.append("原文与措施只部分重合")
            return "；".join(parts) + detail
        return "报告中没有找到相近的措施" + detail + (f"；未找到：{missing}" if missing else "")

    # -- optional LLM judge -------------------------------------------------------------------------
    def _ask_judge(self, result: MeasureResult, best: tuple[_Span, Signals]) -> None:
        assert self.chat_model is not None
        from langchain_core.messages import HumanMessage

        span, sig = best
        prompt = load_prompt("measure_judge").format(measure=result.measure, title=span.chunk.title, quote=span.text)
        try:
            reply = self.chat_model.invoke([HumanMessage(content=prompt)])
        except Exception as exc:  # a judge that fails leaves the rule verdict standing
            log.warning("措施核查大模型调用失败：%s", exc)
            return
        verdict, reason = parse_judge_reply(str(reply.content))
        if verdict is None:
            return
        result.judge = f"{VERDICT_LABELS[verdict]}：{reason}"
        result.verdict = combine_verdicts(result.verdict, verdict, has_conflicts=bool(sig.conflicts))
        if reason:
            result.explanation += f"；大模型复核：{VERDICT_LABELS[verdict]}（{reason}）"


def _detail(sig: Signals) -> str:
    return (
        f"（内容覆盖 {sig.coverage:.2f}，集中覆盖 {sig.compact:.2f}，字面重合 {sig.bigram:.2f}，"
        f"语义相似 {sig.cosine:.2f}）"
    )



def check_measures(ws: Workspace, measures: Iterable[str], *, k: int = 10) -> list[MeasureResult]:
    """Check each measure against the report documents of the workspace's index."""
    where = SearchFilter(kinds=(DocumentKind.REPORT,))
    checker = MeasureChecker(
        search=lambda q, n: ws.searcher.search(q, n, where),
        embed=ws.embeddings.embed_array,
        idf=ws.searcher.idf,
        chat_model=ws.chat_model,
        k=k,
    )
    return [checker.check(m) for m in measures]

