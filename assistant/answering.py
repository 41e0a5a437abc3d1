"""Question → cited answer: extractive by default, through a LangChain chat model when one is configured.

Both modes share retrieval, the answerability judgement and the citation check, so an LLM can make
the wording fluent but cannot add a source, a quote or an answer the documents do not hold.
Text in a document addressed to the model is left out of its prompt, and an answer's claim that
repeats such text is removed (assistant/citations.py).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from assistant.answerability import Judgement, asked_fact, content_terms, is_frame_phrase, judge
from assistant.citations import (
    MARKER,
    Citation,
    check_answer,
    citation_for,
    is_instruction,
    without_instructions,
)
from assistant.prompts import load_prompt
from assistant.retrieval import Passage, Searcher, SearchFilter
from index.chunking import Chunk
from index.text import sentences

NOT_FOUND = "资料中未找到"

_LIST_QUESTION = re.compile(r"哪些|哪几|什么措施|什么举措|怎么整改|如何整改|做了什么|怎么抓|怎么做|措施|举措|工作")
_MEASURE_QUESTION = re.compile(r"整改|措施|举措|做了什么|怎么抓|怎么做")
_RULE_QUESTION = re.compile(r"规定|条例|法律|法规|准则|办法|细则|第.+条|处分|处理|责任|要求")
# Share of the question's topic weight a sentence must hold to be listed from beyond the top passages.
_DEEP_ITEM_COVERAGE = 0.6
_FOLLOWUP_START = re.compile(r"^(那|那么|那如果|还有|另外|此外|再问|那关于)")


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


def standalone_question(question: str, history: Sequence[str]) -> str:
    """Deterministic follow-up rewrite: "那保密方面呢？" after "哪些措施涉及财务管理？" keeps the
    earlier question's frame (哪些措施涉及) and swaps in the new topic."""
    q = question.strip()
    if not history:
        return q
    is_followup = bool(_FOLLOWUP_START.match(q)) or (len(q) <= 12 and q.rstrip("？?").endswith("呢"))
    if not is_followup:
        return q
    topic = _FOLLOWUP_START.sub("", q).rstrip("？?。").removesuffix("呢").strip()
    previous = history[-1]
    frame = previous
    for term in sorted(content_terms(previous), key=len, reverse=True):
        if not is_frame_phrase(term):
            frame = frame.replace(term, "")
    return f"{topic} {frame}".strip()


def is_list_question(question: str) -> bool:
    return bool(_LIST_QUESTION.search(question))


def asks_for_measures(question: str) -> bool:
    """"哪些措施…", "怎么整改的": answered by what was done, i.e. by reports, not by what rules require."""
    return bool(_MEASURE_QUESTION.search(question)) and not _RULE_QUESTION.search(question)


@dataclass(frozen=True)
class Evidence:
    passage: Passage
    quote: str
    score: float


class Answerer:
    def __init__(
        self,
        searcher: Searcher,
        *,
        chat_model: BaseChatModel | None = None,
        top_k: int = 8,
        min_coverage: float = 0.45,
    ) -> None:
        self.searcher = searcher
        self.chat_model = chat_model
        self.top_k = top_k
        self.min_coverage = min_coverage

    # -- retrieval and judgement, shared by both modes -------------------------------------------
    def _retrieve(self, question: str, where: SearchFilter) -> tuple[list[Passage], Judgement, float]:
        started = time.perf_counter()
        # A list ("哪些措施…") may have more items than the top passages: read deeper, judge on the top.
        depth = self.top_k * 2 if is_list_question(question) else self.top_k
        passages = self.searcher.search(question, depth, where)
        judgement = judge(question, passages[: self.top_k], self.searcher.idf, min_coverage=self.min_coverage)
        return passages, judgement, time.perf_counter() - started

    def _evidence(self, question: str, passages: Sequence[Passage]) -> list[Evidence]:
        # "整改措施" frames the question; a sentence is evidence for the topic words (财务管理).
        named = content_terms(question)
        terms = [t for t in named if not is_frame_phrase(t)] or named or [question]
        weights = {t: max(self.searcher.idf(t), 0.1) for t in terms}
        total = sum(weights.values())
        chosen: list[Evidence] = []
        listing = is_list_question(question)
        limit = 8 if listing else 3
        top_score = passages[0].score if passages else 0.0
        fact = asked_fact(question)
        for passage in passages:
            near_top = passage.score >= 0.5 * top_score
            if not near_top and not listing:
                break
            scored = [
                (s, sum(w for t, w in weights.items() if t in s) / total + (0.5 if fact and fact.stated_in(s) else 0.0))
                for s in sentences(passage.chunk.text)
                if not is_instruction(s)  # a sentence addressed to the model is never quoted as an answer
            ]
            context = f"{passage.chunk.title} {passage.chunk.section}"
            head = sum(w for t, w in weights.items() if t in context) / total
            best, score = max(scored, key=lambda pair: pair[1], default=("", 0.0))
            if score + head < 0.3 or not best:
                continue
            if not near_top and score < _DEEP_ITEM_COVERAGE:  # a deeper item must itself name the topic
                continue
            chosen.append(Evidence(passage, best, score + head))
        if asks_for_measures(question):  # measures are taken in reports; rules come after them
            chosen.sort(key=lambda e: e.passage.chunk.kind != "report")
        return chosen[:limit]

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
        query = standalone_question(question, history)
        passages, judgement, retrieval_seconds = self._retrieve(query, where)
        evidence = self._evidence(query, passages) if judgement.found else []
        if not evidence:
            return self._not_found(question, query, passages, judgement, retrieval_seconds, started)
        text, citations = compose_extractive(query, evidence)
        checked = check_answer(text, [c.chunk for c in citations])
        return Answer(
            question=question,
            text=without_uncited_items(checked.text),
            found=True,
            citations=checked.citations,
            standalone_question=query,
            removed_citations=checked.removed,
            timings={"retrieval": retrieval_seconds, "total": time.perf_counter() - started},
        )

    def _not_found(
        self, question: str, query: str, passages: list[Passage], judgement: Judgement,
        retrieval_seconds: float, started: float,
    ) -> Answer:
        missing = "、".join(judgement.missing[:4])
        detail = f"（资料中没有出现“{missing}”等关键内容）" if missing else ""
        text = f"{NOT_FOUND}能够回答“{question}”的内容{detail}。"
        related = passages[:3]
        if related:
            text += "以下段落可能相关，供参考："
        return Answer(
            question=question, text=text, found=False, citations=[], related=related,
            standalone_question=query,
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
        passages, judgement, retrieval_seconds = self._retrieve(query, where)
        if not judgement.found:
            yield self._not_found(question, query, passages, judgement, retrieval_seconds, started)
            return
        sources = [p.chunk for p in passages[:6]]
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
            answer = self._not_found(question, query, passages, judgement, retrieval_seconds, started)
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


def without_uncited_items(text: str) -> str:
    """An extractive item whose citation failed the check is not shown at all, nor a heading left empty."""
    lines = [line for line in text.splitlines() if not (line.startswith("- ") and not MARKER.search(line))]
    kept: list[str] = []
    for i, line in enumerate(lines):
        heading = line.startswith("《") and line.endswith("》")
        if heading and not (i + 1 < len(lines) and lines[i + 1].startswith("- ")):
            if kept and not kept[-1]:
                kept.pop()  # the blank line that set the heading apart
            continue
        kept.append(line)
    return "\n".join(kept)


def compose_extractive(question: str, evidence: Sequence[Evidence]) -> tuple[str, list[Citation]]:
    """A list grouped by document (and, within it, in document order), each item ending in [n]."""
    by_doc: dict[str, list[Evidence]] = {}
    for item in evidence:
        by_doc.setdefault(item.passage.chunk.title, []).append(item)
    lines: list[str] = []
    citations: list[Citation] = []
    intro = "根据资料，相关内容如下：" if is_list_question(question) else "根据资料："
    lines.append(intro)
    for title, items in by_doc.items():
        lines.append(f"\n《{title}》" if not title.startswith("《") else f"\n{title}")
        for item in sorted(items, key=lambda e: e.passage.chunk.start):
            chunk = item.passage.chunk
            citation = citation_for(len(citations) + 1, chunk, item.quote)
            if citation is None:
                continue
            citations.append(citation)
            where = chunk.label or (chunk.section.split(" › ")[-1] if chunk.section else "")
            # The location is set apart in 【】, which ends a claim for the citation check: its numbers
            # ("2.加强组织领导…") are not the quote's figures.
            prefix = f"【{where}】" if where and not item.quote.startswith(where) else ""
            lines.append(f"- {prefix}{item.quote}[{citation.n}]")
    return "\n".join(lines), citations
