"""The measure checker: candidate spans (``spans.py``), their conflicts, the verdict model and the
explanation; ``check_measures`` runs it over a workspace.

Verdict: the calibrated logistic model ``assistant/signals/models/measure_verdict.json`` (trained by
``python -m assistant.measures.training`` on the tune split and the shared dev set) gives each judged span
the probability that it states the measure. ``exists`` when the most probable span reaches the model's
threshold (that span is the match shown first); otherwise ``partial`` when some span holds at least half of
the measure's weighted content words (what "部分相似" means), else ``absent``.

A measure is only ever found in the rectification reports. When they do not hold it, the checker also
reads the reference material (government work reports, 答记者问, inspection feedback) with the same model:
a clerk told 未找到 should learn that a work report says it, without that counting as a measure taken.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from assistant.measures.attribution import ReportDocument, attribution_conflicts
from assistant.measures.conflicts import actor_or_role_conflicts, detected_conflicts, unnamed_body_conflicts
from assistant.measures.elements import TITLE, bracket_cited_titles, extract_elements
from assistant.measures.features import span_features
from assistant.measures.judge import combine_verdicts, parse_judge_reply
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
from assistant.measures.spans import Span, SpanReader
from assistant.prompts import load_prompt
from assistant.retrieval import Passage, SearchFilter
from assistant.signals.model import LogisticModel, load_model
from index.kinds import DocumentKind
from index.text import CJK

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from assistant.workspace import Workspace

log = logging.getLogger(__name__)

MODEL_NAME = "measure_verdict"
Judged = tuple[Span, Signals]


@dataclass
class MeasureChecker:
    """The method with its parameters; ``check_measures`` builds one over a workspace."""

    search: Callable[[str, int], list[Passage]]
    embed: Callable[[Sequence[str]], np.ndarray]
    idf: Callable[[str], float]
    chat_model: BaseChatModel | None = None
    k: int = 10  # chunks retrieved per measure
    documents: Sequence[ReportDocument] = ()  # the report documents (whose issuer is whose)
    model: LogisticModel | None = None  # None: the committed model
    judged_spans: int = 12  # spans, closest first, whose elements are compared and scored by the model
    partial_coverage: float = 0.5  # "部分相似": at least half of the measure's content is in one span
    min_match: float = 0.25  # below this similarity a span is noise and is not shown as a match
    max_matches: int = 3
    chance_cosine: float = 0.0  # the index's cosine for unrelated passages (SpanReader)
    # search over the reference material, read when the reports do not hold the measure; None: not read
    reference_search: Callable[[str, int], list[Passage]] | None = None
    max_references: int = 2
    # chunks of it read per measure: the work reports' long passages are most of a fresh check's embedding
    reference_k: int = 4
    _reader: SpanReader = field(init=False, repr=False)
    _reference_reader: SpanReader | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        self._reader = SpanReader(self.search, self.embed, self.idf, k=self.k, chance_cosine=self.chance_cosine)
        if self.reference_search is not None:
            self._reference_reader = SpanReader(
                self.reference_search, self.embed, self.idf, k=self.reference_k, chance_cosine=self.chance_cosine
            )

    @cached_property
    def verdict_model(self) -> LogisticModel:
        return self.model or load_model(MODEL_NAME)

    @cached_property
    def _documents(self) -> dict[str, ReportDocument]:
        return {d.doc_id: d for d in self.documents}

    # -- spans, conflicts, probabilities -------------------------------------------------------------
    def judge_spans(self, measure: str, *, score: bool = True, reader: SpanReader | None = None) -> list[Judged]:
        """The closest spans (of the reports, or of what ``reader`` searches) with their conflicts and (with
        ``score``) the model's probability."""
        reader = reader or self._reader
        spans = reader.candidates(measure)
        if not spans:
            return []
        signals = reader.signals(measure, spans)
        order = sorted(range(len(spans)), key=lambda i: -signals[i].similarity)[: self.judged_spans]
        stretched = reader.stretch_cosines(measure, [spans[i].text for i in order])
        judged = [
            (spans[i], replace(signals[i], conflicts=self.conflicts(measure, spans[i]), stretch_cosine=cos))
            for i, cos in zip(order, stretched, strict=True)
        ]
        if score:
            rows = span_features([sig for _, sig in judged])
            judged = [
                (span, replace(sig, probability=self.verdict_model.probability(row)))
                for (span, sig), row in zip(judged, rows, strict=True)
            ]
        return judged

    def conflicts(self, measure: str, span: Span) -> tuple[Conflict, ...]:
        """Conflicts with the focus sentence: the one of the span's sentences that covers most."""
        # a title the source cites, typed without its brackets, is a title: its words name no actor
        measure = bracket_cited_titles(measure, TITLE.findall(span.text))
        mine = extract_elements(measure)
        words = self._reader.content_words(measure)
        focus = extract_elements(max(span.focus, key=lambda s: self._reader.coverage(words, s)[0]))
        whole = extract_elements(span.text) if len(span.focus) > 1 else focus
        actors = actor_or_role_conflicts(mine, focus, whole)
        named = {c.measure_value for c in actors}
        unnamed = [a for a in mine.orgs if a.name not in named]  # bodies not already found in conflict
        source = self._documents.get(span.chunk.doc_id)
        found = [
            *actors,
            *attribution_conflicts(measure, unnamed, source, self.documents),
            *detected_conflicts(mine, focus, whole),
            # the headings above a span say whose work it is (二、…纪委…) as much as its own words
            *unnamed_body_conflicts(unnamed, f"{span.chunk.title} {span.chunk.section} {span.chunk.text}"),
        ]
        # one element of the measure contradicted twice (a post found by two detectors) is one conflict
        first: dict[str, Conflict] = {}
        for conflict in found:
            first.setdefault(conflict.measure_value, conflict)
        return tuple(first.values())

    # -- verdict ------------------------------------------------------------------------------------
    def check(self, measure: str) -> MeasureResult:
        measure = measure.strip()
        if not CJK.search(measure):
            return MeasureResult(measure, ABSENT, 0.0, "措施内容为空或不是中文，无法核查。")
        judged = self.judge_spans(measure)
        if not judged:
            return MeasureResult(measure, ABSENT, 0.0, "报告中没有检索到相关内容。")
        verdict, best, likely = self.decide(judged)
        explanation = self.explain(verdict, best[1])
        if verdict != ABSENT and len(self._reader.content_words(measure)) < 2:
            # one word ("审计") is a topic, not a measure: it is "there" in any report that mentions it, and
            # whether a span holds it says nothing about a measure
            verdict = PARTIAL
            explanation = "措施内容过少（只有一个关键词），无法判断是否为同一措施"
        matches = self._matches(judged, best) if best[1].similarity >= self.min_match else []
        confidence = likely[1].probability if likely is not None else 0.0
        result = MeasureResult(measure, verdict, best[1].similarity, explanation, matches, confidence=confidence)
        if self.chat_model is not None and verdict != ABSENT:
            self._ask_judge(result, best)
        if result.verdict != EXISTS:
            result.references = self.reference_matches(measure)
        return result

    def reference_matches(self, measure: str) -> list[MeasureMatch]:
        """Passages of the reference material that state the measure, by the verdict model's own threshold,
        most probable first; a passage that contradicts the measure is not one."""
        if self._reference_reader is None:
            return []
        judged = self.judge_spans(measure, reader=self._reference_reader)
        stating = sorted(
            (pair for pair in sound_spans(judged) if pair[1].probability >= self.verdict_model.threshold),
            key=lambda pair: -pair[1].probability,
        )
        return one_per_chunk(stating, self.max_references)

    def decide(self, judged: list[Judged]) -> tuple[str, Judged, Judged | None]:
        """(verdict, the span it rests on, the most probable span that does not contradict the measure):
        ``exists`` on that span when the model says so; otherwise the closest span decides between
        ``partial`` and ``absent``. The third is returned for its probability, the result's confidence."""
        likely = most_probable_sound(judged)
        if likely is not None and likely[1].probability >= self.verdict_model.threshold:
            return EXISTS, likely, likely
        closest = judged[0]
        if max(sig.coverage for _, sig in judged) >= self.partial_coverage:
            return PARTIAL, closest, likely
        return ABSENT, closest, likely

    def _matches(self, judged: list[Judged], best: Judged) -> list[MeasureMatch]:
        return one_per_chunk([pair for pair in [best, *judged] if pair[1].similarity >= self.min_match], self.max_matches)

    def explain(self, verdict: str, sig: Signals) -> str:
        """The verdict's reasons in words; the numbers behind it stay in the signals (and the export)."""
        # a word a conflict already names (不再出席, 暂未开展) is not listed again as missing
        missing = "、".join([w for w in sig.missing if not any(w in c.measure_value for c in sig.conflicts)][:4])
        if verdict == EXISTS:
            text = "报告中已有该措施，原文与措施一致"
            return text + (f"；原文措辞不同之处：{missing}" if missing else "")
        if verdict == PARTIAL:
            parts = [c.message for c in sig.conflicts]
            if not sig.conflicts and sig.compact < sig.coverage - 0.15:
                parts.append("原文相关词语分散在不同语句中，未见完整的同一措施")
            if missing:
                parts.append(f"原文未提及：{missing}")
            if not parts:
                parts.append("原文与措施只部分重合")
            return "；".join(parts)
        return "报告中没有找到相近的措施" + (f"；未找到：{missing}" if missing else "")

    # -- optional LLM judge -------------------------------------------------------------------------
    def _ask_judge(self, result: MeasureResult, best: Judged) -> None:
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


def sound_spans(judged: Sequence[Judged]) -> list[Judged]:
    """The spans that do not contradict the measure: a sentence that says the opposite (reversed move or
    order, opposite action, negation) or states another number or frequency is no evidence that the measure
    exists, however close its words."""
    return [pair for pair in judged if not any(c.contradicts for c in pair[1].conflicts)]


def most_probable_sound(judged: Sequence[Judged]) -> Judged | None:
    """The most probable span that does not contradict the measure."""
    return max(sound_spans(judged), key=lambda pair: pair[1].probability, default=None)


def one_per_chunk(judged: Sequence[Judged], limit: int) -> list[MeasureMatch]:
    """The spans as matches in their order, the first of each chunk only, at most ``limit``."""
    out: list[MeasureMatch] = []
    used: set[str] = set()
    for span, sig in judged:
        if span.chunk.id not in used and len(out) < limit:
            used.add(span.chunk.id)
            out.append(MeasureMatch(span.chunk, span.text, span.offset, sig))
    return out


def report_documents(ws: Workspace) -> list[ReportDocument]:
    """The indexed report documents with their text (who issued which report)."""
    docs = []
    for record in ws.manifest.records():
        if record.kind != DocumentKind.REPORT:
            continue
        text = ws.lexical.document_text(record.doc_id)
        if text is not None:
            docs.append(ReportDocument.read(record.doc_id, record.title, text))
    return docs


def measure_judge(ws: Workspace) -> BaseChatModel | None:
    """The LLM that reviews verdicts: the workspace's, when ZGT_MEASURE_LLM_JUDGE asks for it."""
    return ws.chat_model if ws.settings.measure_llm_judge else None


def workspace_checker(ws: Workspace, *, k: int = 10, model: LogisticModel | None = None) -> MeasureChecker:
    """A checker over the report documents of the workspace's index."""
    where = SearchFilter(kinds=(DocumentKind.REPORT,))
    background = SearchFilter(kinds=(DocumentKind.REFERENCE,))
    return MeasureChecker(
        search=lambda q, n: ws.searcher.search(q, n, where),
        reference_search=lambda q, n: ws.searcher.search(q, n, background),
        embed=ws.embeddings.embed_array,
        idf=ws.searcher.idf,
        chat_model=measure_judge(ws),
        k=k,
        documents=report_documents(ws),
        model=model,
        chance_cosine=ws.chance_cosine,
    )


def check_measures(ws: Workspace, measures: Iterable[str], *, k: int = 10) -> list[MeasureResult]:
    """Check each measure against the report documents of the workspace's index."""
    checker = workspace_checker(ws, k=k)
    return [checker.check(m) for m in measures]

