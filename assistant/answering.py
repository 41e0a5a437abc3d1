"""Question → cited answer: extractive by default, through a LangChain chat model when one is configured.

Both modes share retrieval, the answerability judgement and the citation check, so an LLM can make
the wording fluent but cannot add a source, a quote or an answer the documents do not hold.
Text in a document addressed to the model is left out of its prompt, and an answer's claim that
repeats such text is removed (assistant/citations.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from assistant.citations import COPIED, Citation, verify_prose, without_instructions
from assistant.compose import (
    Item,
    Listed,
    blanked_excerpt,
    blanked_sentence,
    compose,
    counted,
    distinct,
    item_of,
    location,
    unit_key,
)
from assistant.ledger_answers import ledger_query, matching_rows
from assistant.prompts import load_prompt
from assistant.retrieval import Passage, SearchFilter
from assistant.signals.answerable import TOP, Judgement, judge
from assistant.signals.question import NOUN_TAGS, QuestionAnalysis, asked_parts, is_followup
from assistant.signals.relevance import RankedSearcher, Scored
from assistant.signals.selection import Selection, load_selection
from assistant.units import UnitReader
from index.bm25 import never_used
from index.chunking import SECTION_SEPARATOR, Chunk
from index.kinds import DocumentKind
from index.text import sentences

if TYPE_CHECKING:
    from assistant.ledger import LedgerRow

NOT_FOUND = "资料中未找到"
# What a ledger's rows can answer: which measures (members), how many (count), and whose (body).
_LEDGER_FACTS = ("members", "count", "body")


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
    # the answerability model's probability that the documents answer the question (refused below its threshold)
    confidence: float = 0.0
    # The line that says what the items are (列出 5 种（见 [1]）：, 根据资料：): the extractive answer's first line,
    # which in LLM mode stands after the model's lead-in. "" when nothing was found.
    opening: str = ""

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
            "confidence": round(self.confidence, 4),
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


def _withheld(q: QuestionAnalysis, pool: Sequence[Scored]) -> tuple[Passage, str] | None:
    """The first top passage (the ones the judgement read) that writes the asked value as * in a sentence
    about the question, and that sentence."""
    for scored in pool[:TOP]:
        sentence = blanked_sentence(q, scored.passage.chunk, scored.passage.chunk.text)
        if sentence is not None:
            return scored.passage, sentence
    return None


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
        llm_timeout: float = 120.0,
        ledger: Callable[[], Sequence[LedgerRow]] | None = None,
    ) -> None:
        self.searcher = searcher
        self.units = units
        self.ledger = ledger
        self.chat_model = chat_model
        self.selection = selection or load_selection()
        self.llm_timeout = llm_timeout

    # -- evidence, shared by both modes -----------------------------------------------------------
    def _evidence(
        self, question: str, history: Sequence[str], where: SearchFilter
    ) -> tuple[QuestionAnalysis, list[Scored], Judgement, list[Item], float]:
        started = time.perf_counter()
        q = self.searcher.analyse(question, history)
        from_ledger = self._from_ledger(q, where)
        if from_ledger is not None:
            pool = self.searcher.candidates(q.text, where, analysis=q)
            return q, pool, Judgement(True, 1.0, ()), from_ledger, time.perf_counter() - started
        # Every kind of document is searched, a question about measures too: the relevance model, trained on such
        # pools, weighs a report's measure above background, and compose puts reports first. Leaving background
        # out (work reports, interviews, the inspection feedback) whenever a question said 整改 or 落实 dropped the
        # passages that answer "按《意见》…巡视整改…" or "反馈会上…整改…": tune, citation recall 0.717 -> 0.739,
        # precision 0.662 -> 0.675 without it (python -m assistant eval --split tune).
        pool = self.searcher.candidates(q.text, where, analysis=q)
        judgement = judge(q, pool)
        items: list[Item] = []
        if judgement.found:
            items += [item for scored in self.selection.select(q, pool) if (item := self._item(q, scored)) is not None]
            # Items beyond the selection (the rest of a list, a part asked on its own) join only when the
            # whole question's ranking holds them relevant: a measure that merely names the topic word
            # (南开, 纪委), or a part's best passage read without the rest of the message, is mostly not what
            # was asked. Tune, before (a one-off script over this method): 33 list items added 2 gold ones,
            # 28 part items 6.
            relevant = {unit_key(self._unit(s.passage.chunk)) for s in pool if self.searcher.holds_relevant(s)}
            items += self._every_matching_measure(q, items, relevant)
            items += self._each_part(question, history, where, {i.chunk.doc for i in items}, relevant)
            if listed := self._listed(q, items):  # the list stands for the item that led to it
                items = [*listed, *items[1:]]
        return q, pool, judgement, distinct(items), time.perf_counter() - started

    def _listed(self, q: QuestionAnalysis, items: Sequence[Item]) -> list[Item]:
        """A question asking how many (几项重点, 几个方面) of a list the documents enumerate over several units (一是…
        六是 each a paragraph, （一）…（八） each a section): the members, each by its first sentence or heading, when
        the best item neither counts nor lists them itself, and either introduces the list or is one of its members
        while the question is about the list as a whole: it names the list's place (the headings above the
        members, or the document's title), and at least as much as the item."""
        if self.units is None or not items or q.fact is None or q.fact.kind not in ("count", "members"):
            return []
        best = items[0]
        if counted(best.quote, q) or q.fact.gives_value_in(best.quote):
            return []  # the best item counts or lists them itself (分别对…三个主体, 政治性、…性)
        found = self.units.listed_with(best.chunk)
        if found is None:
            return []
        # a list at the top of a document (its parts 一、…五、) stands in the document: its title names it
        named = q.coverage(found.place or best.chunk.title)
        if not found.introduced_by and (not named or named < q.coverage(best.quote)):
            return []
        listed = Listed(len(found.members), found.place.split(SECTION_SEPARATOR)[-1])
        shown = [
            Item(member, member.text if not member.label else sentences(member.text)[0], best.relevance, listed)
            for member in found.members
        ]
        # what introduces the list says what it is a list of (分别对…提出要求): it leads
        return [replace(best, listed=replace(listed, intro=True)), *shown] if found.introduced_by else shown

    def _each_part(
        self, question: str, history: Sequence[str], where: SearchFilter, cited: set[str],
        relevant: set[tuple[str, int]],
    ) -> list[Item]:
        """A message asking two questions in turn (…为什么要公开？南开是怎么公开的？) is answered part by part: a
        part the documents answer on its own adds its best passage when that comes from a document no item
        cites yet (the whole message's ranking favours the document of its longer part) and the whole
        message's ranking holds it relevant (``relevant``: unit keys). Tune, when added: cross-doc citation
        recall 0.541 -> 0.563, precision 0.708 -> 0.699 (python -m assistant eval --split tune)."""
        parts = asked_parts(question)
        if len(parts) < 2 or (is_followup(question) and history):
            return []
        items: list[Item] = []
        for part in parts:
            q = self.searcher.analyse(part)
            pool = self.searcher.candidates(q.text, where, analysis=q)
            if not judge(q, pool).found or pool[0].passage.chunk.doc in cited:
                continue
            item = self._item(q, pool[0])
            if item is not None and unit_key(item.chunk) in relevant:
                items.append(item)
                cited.add(pool[0].passage.chunk.doc)
        return items

    def _item(self, q: QuestionAnalysis, scored: Scored) -> Item | None:
        """The item a ranked passage gives: its whole unit (measure, article) when units are read."""
        return item_of(q, self._unit(scored.passage.chunk), scored.probability)

    def _unit(self, chunk: Chunk) -> Chunk:
        return self.units.unit_of(chunk) if self.units else chunk

    def _from_ledger(self, q: QuestionAnalysis, where: SearchFilter) -> list[Item] | None:
        """A question about the ledger's columns (what is not done, what a unit leads), answered by the
        rows whose columns say so; None when the question is not one, or no row says so."""
        query = ledger_query(q.text)
        if self.ledger is None or query is None:
            return None
        if q.fact is not None and q.fact.kind not in _LEDGER_FACTS:
            # The rows tell which measures are open or whose they are, not what they cost or when they end
            # (那3个项目一共涉及多少钱): such a question is searched and judged like any other.
            return None
        # each matching row with the unit it quotes (a row whose source is not indexed cannot be cited)
        rows = [
            (r, r.source) for r in matching_rows(self.ledger(), query) if r.source is not None and where.accepts(r.source)
        ]
        if q.key_terms:
            # A question that names a topic asks about the rows on that topic (施工单位垫资的项目还剩几个没整改完):
            # when no row is on it, the ledger does not answer, and the documents are searched as usual.
            rows = [(r, source) for r, source in rows if q.key_coverage(r.about)]
        if q.our_unit:
            # 局里 / 咱们学校 point at that kind of unit's own reports: another unit's open rows do not answer.
            rows = [(r, source) for r, source in rows if q.names_our_unit(source.title)]
        items = [Item(source, source.text, 1.0) for _, source in rows]
        return distinct(items) or None

    def _every_matching_measure(
        self, q: QuestionAnalysis, items: Sequence[Item], relevant: set[tuple[str, int]]
    ) -> list[Item]:
        """A list of measures is complete: every measure of the reports already answering that names the
        question's topic (and its rarer words, names_topic_fully) and that the whole question's ranking holds
        relevant (``relevant``: unit keys) joins the items, not only those the selection showed."""
        if self.units is None or not (q.asks_list and q.asks_measures):
            return []
        reports = list(dict.fromkeys(i.chunk.doc_id for i in items if i.chunk.kind == DocumentKind.REPORT))
        extra = []
        for unit in self.units.measures(reports):
            if unit_key(unit) in relevant and q.names_topic_fully(f"{unit.section} {unit.text}"):
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
            confidence=judgement.probability,
            opening=text.splitlines()[0],
        )

    def _not_found(
        self, question: str, q: QuestionAnalysis, pool: Sequence[Scored], judgement: Judgement,
        retrieval_seconds: float, started: float,
    ) -> Answer:
        related = [s.passage for s in pool[:3]]
        withheld = _withheld(q, pool)
        if withheld is not None and q.fact is not None:
            # the documents have the value and blank it out: say so, and show where, first among the related
            passage, sentence = withheld
            where = location(passage.chunk)
            # "related", not "the asked": a blanked figure about the topic need not be the very one asked for
            title = passage.chunk.title.strip("《》")
            reason = f"（原文中有关的{q.fact.noun}以“*”隐去：《{title}》{where}“{blanked_excerpt(q, sentence)}”）"
            related = [passage, *(p for p in related if p.chunk.id != passage.chunk.id)][:3]
        elif q.unheld:
            reason = f"（资料库未收录{'、'.join(f'《{name}》' for name in q.unheld)}原文）"
        else:
            reason = self._what_is_missing(judgement)
        text = f"{NOT_FOUND}能够回答“{question}”的内容{reason}。"
        if related:
            text += "以下段落可能相关，供参考："
        return Answer(
            question=question, text=text, found=False, citations=[], related=related,
            standalone_question=q.text,
            timings={"retrieval": retrieval_seconds, "total": time.perf_counter() - started},
            confidence=judgement.probability,
        )

    def _what_is_missing(self, judgement: Judgement) -> str:
        """Names what the documents lack, as precisely as is true: a noun no indexed document uses is absent
        from the library; one the best passages leave out is only not discussed there. The question's other
        words (是从, 寄出去) are its grammar and name nothing a reader could look for."""
        unseen = never_used(self.searcher.idf)
        nouns: list[str] = []  # a compound's parts (下属单位, 下属) are named once, by the compound
        for t in judgement.missing:
            if t.tag.startswith(NOUN_TAGS) and not any(t.text in w for w in nouns):
                nouns.append(t.text)
        absent = [w for w in nouns if unseen(w)]
        if absent:
            return f"（资料中没有出现“{'、'.join(absent[:4])}”）"
        return f"（最相关的段落没有谈到“{'、'.join(nouns[:4])}”）" if nouns else ""

    # -- LLM mode ---------------------------------------------------------------------------------
    def stream(
        self, question: str, *, history: Sequence[str] = (), where: SearchFilter = SearchFilter()
    ) -> Iterator[Answer]:
        """Yields growing drafts of the model's lead-in, then the final answer: the lead-in sentences the
        items support, followed by the extractive answer itself. The model never decides whether the
        question is answered and never removes an item; when it fails, the extractive answer is shown
        with a note saying so."""
        if self.chat_model is None:
            yield self.answer(question, history=history, where=where)
            return
        started = time.perf_counter()
        q, pool, judgement, items, retrieval_seconds = self._evidence(question, history, where)
        if not items:  # refused before, and without, the model
            yield self._not_found(question, q, pool, judgement, retrieval_seconds, started)
            return
        text, citations = compose(q, items)
        prompt = self.prompt(q, citations)
        draft, first_token, failure = "", 0.0, ""
        try:
            for piece in self.chat_model.stream(prompt):
                if not first_token:
                    first_token = time.perf_counter() - started
                draft += str(piece.content)
                yield Answer(question, draft, True, [], standalone_question=q.text, mode="llm",
                             confidence=judgement.probability)
                if time.perf_counter() - started > self.llm_timeout:
                    failure = f"超过 {self.llm_timeout:.0f} 秒未完成"
                    break
        except Exception as exc:  # a model or server failure: the evidence still answers
            failure = f"{type(exc).__name__}"
        timings = {
            "retrieval": retrieval_seconds, "first_token": first_token, "total": time.perf_counter() - started,
            "prompt_chars": float(sum(len(str(m.content)) for m in prompt)),
        }
        opening = text.splitlines()[0]  # the extractive answer's, which the LLM answer holds after its lead-in
        lead = verify_prose(draft, citations) if not failure else None
        if lead is None or not lead.text or _is_refusal(lead.text):
            removed = lead.removed if lead else []
            if not failure and removed and all(r.startswith(COPIED) for r in removed):
                failure = "引导文字只是照抄原文"
            note = f"大模型未能生成（{failure or '没有可用的内容'}），以下为原文摘录：\n"
            yield Answer(question, note + text, True, citations, standalone_question=q.text,
                         removed_citations=removed, timings=timings, mode="llm", confidence=judgement.probability,
                         opening=opening)
            return
        yield Answer(question, f"{lead.text}\n\n{text}", True, citations, standalone_question=q.text,
                     removed_citations=lead.removed, timings=timings, mode="llm", confidence=judgement.probability,
                     opening=opening)

    def prompt(self, q: QuestionAnalysis, citations: Sequence[Citation]) -> list[BaseMessage]:
        """Only the selected evidence: each item's sentences about the question, numbered as the answer
        numbers them, without sentences addressed to the model."""
        return [
            SystemMessage(load_prompt("answer_system")),
            HumanMessage(load_prompt("answer_user").format(sources=format_items(q, citations), question=q.text)),
        ]


_REFUSAL = ("未找到", "无法回答", "不能回答", "没有相关", "无相关")
PROMPT_ITEM_CHARS = 160  # per item: the lead-in needs the gist, the items are shown whole anyway


def _is_refusal(text: str) -> bool:
    return any(word in text for word in _REFUSAL)


def format_items(q: QuestionAnalysis, citations: Sequence[Citation]) -> str:
    """The numbered items of the prompt: where each is, and its sentences that bear most on the question
    (up to ``PROMPT_ITEM_CHARS``). A sentence addressed to the model (prompt injection, see
    ``is_instruction``) is never sent: a model that reads it may obey it."""
    blocks = []
    for c in citations:
        where = c.chunk.title + (f"，{c.chunk.label or c.chunk.section}" if c.chunk.section else "")
        text = without_instructions(c.quote)
        ranked = sorted(sentences(text), key=lambda s: -q.coverage(s))
        gist = ""
        for sentence in ranked:
            if len(gist) + len(sentence) > PROMPT_ITEM_CHARS and gist:
                break
            gist += sentence
        blocks.append(f"[{c.n}] 出处：{where}\n{gist or text[:PROMPT_ITEM_CHARS]}")
    return "\n\n".join(blocks)
