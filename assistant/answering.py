"""Question → cited answer: extractive by default, through a LangChain chat model when one is configured.

Both modes share retrieval, the answerability judgement and the citation check, so an LLM can make
the wording fluent but cannot add a source, a quote or an answer the documents do not hold.
Text in a document addressed to the model is left out of its prompt, and an answer's claim that
repeats such text is removed (assistant/citations.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from assistant.citations import Citation, check_answer, without_instructions
from assistant.compose import Item, compose, distinct, item_of
from assistant.prompts import load_prompt
from assistant.retrieval import Passage, SearchFilter
from assistant.signals.answerable import Judgement, judge
from assistant.signals.question import QuestionAnalysis, standalone_question
from assistant.signals.relevance import RankedSearcher, Scored
from assistant.signals.selection import Selection, load_selection
from assistant.units import UnitReader
from index.chunking import Chunk
from index.kinds import DocumentKind

NOT_FOUND = "资料中未找到"


@dataclass
class Answer:
    question: str
    text: str
    found: bool
    citations: list[Citation]
    related: list[Passage] = field(default_factory=list)  # closest passages when nothing was found
    standalone_question: str = ""
    removed_citations: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    mode: str = "extractive"

    def to_json(self, id: str | None = None) -> dict[str, Any]:
        return {
            "id": id,
            "answer": self.text,
            "found": self.found,
            "citations": [c.to_json() for c in self.citations],
            "related": [p.chunk.to_json() for p in self.related],
            "standalone_question": self.standalone_question,
            "removed_citations": self.removed_citations,
            "mode": self.mode,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


class Answerer:
    """Question → answer. Both modes share the ranked pool, the answerability judgement and the items;
    the LLM (when configured) only words the answer, and its citations are checked like any other."""

    def __init__(
        self,
        searcher: RankedSearcher,
        *,
        units: UnitReader | None = None,
        chat_model: BaseChatModel | None = None,
        selection: Selection | None = None,
    ) -> None:
        self.searcher = searcher
        self.units = units
        self.chat_model = chat_model
        self.selection = selection or load_selection()

    # -- evidence, shared by both modes -----------------------------------------------------------
    def _evidence(
        self, question: str, history: Sequence[str], where: SearchFilter
    ) -> tuple[QuestionAnalysis, list[Scored], Judgement, list[Item], float]:
        started = time.perf_counter()
        q = self.searcher.analyse(question, history)
        pool = self.searcher.candidates(q.text, where, analysis=q)
        judgement = judge(q, pool)
        items: list[Item] = []
        if judgement.found:
            for scored in self.selection.select(q, pool):
                unit = self.units.unit_of(scored.passage.chunk) if self.units else scored.passage.chunk
                item = item_of(q, unit, scored.probability)
                if item is not None:
                    items.append(item)
            items += self._every_matching_measure(q, items)
        return q, pool, judgement, distinct(items), time.perf_counter() - started

    def _every_matching_measure(self, q: QuestionAnalysis, items: Sequence[Item]) -> list[Item]:
        """A list of measures is complete: every measure of the reports already answering that names the
        question's key words joins the items, not only those retrieval put on top."""
        if self.units is None or not (q.asks_list and q.asks_measures):
            return []
        reports = list(dict.fromkeys(i.chunk.doc_id for i in items if i.chunk.kind == DocumentKind.REPORT))
        extra = []
        for unit in self.units.measures(reports):
            if q.key_coverage(f"{unit.section} {unit.text}") >= 1.0:
                item = item_of(q, unit, 0.0)
                if item is not None:
                    extra.append(item)
        return extra

    # -- extractive mode --------------------------------------------------------------------------
    def answer(
        self,
        question: str,
        *,
        history: Sequence[str] = (),
        where: SearchFilter = SearchFilter(),
        use_llm: bool = False,
    ) -> Answer:
        if use_llm and self.chat_model is not None:
            *_, final = self.stream(question, history=history, where=where)
            return final
        started = time.perf_counter()
        q, pool, judgement, items, retrieval_seconds = self._evidence(question, history, where)
        if not items:
            return self._not_found(question, q, pool, judgement, retrieval_seconds, started)
        # Each item quotes its unit exactly (compose checks the span), so its citation stands as made.
        text, citations = compose(q, items)
        return Answer(
            question=question,
            text=text,
            found=True,
            citations=citations,
            standalone_question=q.text,
            timings={"retrieval": retrieval_seconds, "total": time.perf_counter() - started},
        )

    def _not_found(
        self, question: str, q: QuestionAnalysis, pool: Sequence[Scored], judgement: Judgement,
        retrieval_seconds: float, started: float,
    ) -> Answer:
        missing = "、".join(judgement.missing[:4])
        detail = f"（资料中没有出现“{missing}”等关键内容）" if missing else ""
        text = f"{NOT_FOUND}能够回答“{question}”的内容{detail}。"
        related = [s.passage for s in pool[:3]]
        if related:
            text += "以下段落可能相关，供参考："
        return Answer(
            question=question, text=text, found=False, citations=[], related=related,
            standalone_question=q.text,
            timings={"retrieval": retrieval_seconds, "total": time.perf_counter() - started},
        )

    # -- LLM mode ---------------------------------------------------------------------------------
    def stream(
        self, question: str, *, history: Sequence[str] = (), where: SearchFilter = SearchFilter()
    ) -> Iterator[Answer]:
        """Yields growing drafts (citations unchecked) and last the checked answer."""
        if self.chat_model is None:
            yield self.answer(question, history=history, where=where)
            return
        started = time.perf_counter()
        query = self.rewrite_with_llm(question, history) if history else question
        q, pool, judgement, items, retrieval_seconds = self._evidence(query, (), where)
        if not items:
            yield self._not_found(question, q, pool, judgement, retrieval_seconds, started)
            return
        sources = [item.chunk for item in items[:6]]
        messages = [
            SystemMessage(load_prompt("answer_system")),
            HumanMessage(load_prompt("answer_user").format(sources=format_sources(sources), question=query)),
        ]
        draft = ""
        first_token = 0.0
        for piece in self.chat_model.stream(messages):
            if not first_token:
                first_token = time.perf_counter() - started
            draft += str(piece.content)
            yield Answer(question, draft, True, [], standalone_question=query, mode="llm")
        checked = check_answer(draft, sources)
        model_refused = NOT_FOUND in draft[:20] or not checked.citations
        timings = {"retrieval": retrieval_seconds, "first_token": first_token, "total": time.perf_counter() - started}
        if model_refused:
            answer = self._not_found(question, q, pool, judgement, retrieval_seconds, started)
            answer.mode, answer.timings, answer.removed_citations = "llm", timings, checked.removed
            yield answer
            return
        yield Answer(
            question, checked.text, True, checked.citations, standalone_question=query,
            removed_citations=checked.removed, timings=timings, mode="llm",
        )

    def rewrite_with_llm(self, question: str, history: Sequence[str]) -> str:
        if self.chat_model is None or not history:
            return standalone_question(question, history)
        prompt = load_prompt("condense_question").format(history="\n".join(history[-3:]), question=question)
        rewritten = str(self.chat_model.invoke([HumanMessage(prompt)]).content).strip().splitlines()
        return rewritten[0].strip() if rewritten and rewritten[0].strip() else standalone_question(question, history)


def format_sources(chunks: Sequence[Chunk]) -> str:
    """The numbered sources of the answering prompt. A sentence addressed to the model (prompt injection,
    see ``is_instruction``) is left out: it can never be quoted, and a model that reads it may obey it."""
    blocks = []
    for n, c in enumerate(chunks, start=1):
        where = f"{c.title}" + (f"，{c.section}" if c.section else "")
        blocks.append(f"[{n}] 出处：{where}\n{without_instructions(c.text)}")
    return "\n\n".join(blocks)
