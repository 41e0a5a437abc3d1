"""Optional reranking: a chat model reorders the top few passages of a search by judged relevance.

The model sees the question and the top ``top_n`` passages, numbered and shortened, and answers with
the numbers of the relevant ones, most relevant first (``prompts/rerank.txt``). The passages it names
move to the front in its order; the others keep their retrieval order behind them, and passages
beyond the top ``top_n`` stay where they were. A reply that names no valid number, a model error or
a model that names nothing relevant leaves the retrieval order as it was, so the stage never drops a
passage and never fails a search.

Scores stay tied to positions: after reordering, the i-th passage carries the i-th highest fused
score of the reranked group, so code that cuts off on ``score`` relative to the top passage (the
answerer's evidence selection) sees the same score profile as without reranking. The passage's own
lexical and dense scores and ranks are kept as they were.

Off by default (``ZGT_RERANK``, ``ZGT_RERANK_TOP_N``): with the local 1.5B model on 2 CPU cores it
added ~51 s per question (p50) for a better first rank on 2 of 15 dev questions and no change in
recall@5 (``bench/rerank_benchmark.py``, figures in ``bench/README.md``). With a fast endpoint (a GPU
server) the trade-off may differ: measure it there with the same script's ``--backend`` options.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage

from assistant.prompts import load_prompt
from assistant.retrieval import Passage, Searcher, SearchFilter

log = logging.getLogger(__name__)

DEFAULT_TOP_N = 8

Status = Literal["reordered", "unchanged", "none_relevant", "unparsed", "error", "skipped"]

_NUMBER = re.compile(r"\d+")
# "1:3 2:0 3:2" / "[1]: 3" style replies: a 0–3 score per passage number.
_SCORE_PAIR = re.compile(r"\[?(\d+)\]?\s*[:：=]\s*([0-3])(?![\d.])")
_NONE_REPLY = re.compile(r"^\s*(?:0|无|没有|均不相关|都不相关|none)\s*[。.]?\s*$", re.IGNORECASE)


def parse_ranking(reply: str, count: int) -> list[int] | None:
    """0-based passage positions the reply names, most relevant first; ``[]`` when it says none is
    relevant; ``None`` when nothing usable can be read from it.

    Accepted: ``3,1,5`` (any separators, full-width digits, ``[3]`` brackets, text around them), or a
    0–3 score per passage (``1:3, 2:0, 3:2``), ordered by score with ties in passage order and score 0
    left out. Numbers outside ``1..count`` and repeats are ignored.
    """
    text = unicodedata.normalize("NFKC", reply).strip()
    if not text:
        return None
    if _NONE_REPLY.match(text):
        return []
    pairs = [(int(n), int(s)) for n, s in _SCORE_PAIR.findall(text)]
    pairs = [(n, s) for n, s in pairs if 1 <= n <= count]
    if len(pairs) >= 2 and len({n for n, _ in pairs}) == len(pairs):
        ranked = sorted(pairs, key=lambda pair: (-pair[1], pair[0]))
        return [n - 1 for n, s in ranked if s > 0]
    positions: list[int] = []
    for match in _NUMBER.finditer(text):
        n = int(match.group(0))
        if 1 <= n <= count and n - 1 not in positions:
            positions.append(n - 1)
    return positions or None


def reorder(passages: Sequence[Passage], positions: Sequence[int]) -> list[Passage]:
    """The named passages first (in the given order), then the rest in their original order; scores
    are reassigned by position from the group's own scores, highest first."""
    chosen = [i for i in dict.fromkeys(positions) if 0 <= i < len(passages)]
    order = chosen + [i for i in range(len(passages)) if i not in chosen]
    scores = sorted((p.score for p in passages), reverse=True)
    return [replace(passages[i], score=score) for i, score in zip(order, scores, strict=True)]


def shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True)
class Ranking:
    """What one reranking call did (for benchmarks and debugging)."""

    passages: list[Passage]
    status: Status
    reply: str = ""
    positions: tuple[int, ...] = ()
    seconds: float = 0.0
    prompt_chars: int = 0


@dataclass
class LLMReranker:
    model: BaseChatModel
    passage_chars: int = 150  # text shown per passage (after title and section)
    section_chars: int = 40
    max_reply_chars: int = 80  # the reply is a short list of numbers; stop reading beyond this

    def prompt(self, question: str, passages: Sequence[Passage]) -> str:
        blocks = []
        for n, p in enumerate(passages, start=1):
            section = p.chunk.section.split(" › ")
            where = shorten(" › ".join(section[-2:]), self.section_chars) if p.chunk.section else ""
            head = f"《{p.chunk.title.strip('《》')}》" + (f" {where}" if where else "")
            blocks.append(f"[{n}] {head}\n{shorten(p.chunk.text, self.passage_chars)}")
        template = load_prompt("rerank")
        return template.format(count=len(passages), question=question.strip(), passages="\n\n".join(blocks))

    def judge(self, question: str, passages: Sequence[Passage]) -> Ranking:
        """Ask the model once; any failure returns the passages in their original order."""
        original = list(passages)
        if len(original) < 2:
            return Ranking(original, "skipped")
        prompt = self.prompt(question, original)
        started = time.perf_counter()
        try:
            reply = self._ask(prompt)
        except Exception as exc:  # a model or server failure must not fail the search
            log.warning("重排序调用大模型失败，保持原检索顺序：%s", type(exc).__name__)
            return Ranking(original, "error", seconds=time.perf_counter() - started, prompt_chars=len(prompt))
        seconds = time.perf_counter() - started
        positions = parse_ranking(reply, len(original))
        if positions is None:
            log.info("重排序结果无法解析，保持原检索顺序")
            return Ranking(original, "unparsed", reply, seconds=seconds, prompt_chars=len(prompt))
        if not positions:
            return Ranking(original, "none_relevant", reply, seconds=seconds, prompt_chars=len(prompt))
        reranked = reorder(original, positions)
        unchanged = [p.chunk.id for p in reranked] == [p.chunk.id for p in original]
        return Ranking(reranked, "unchanged" if unchanged else "reordered", reply, tuple(positions), seconds,
                       len(prompt))

    def rerank(self, question: str, passages: Sequence[Passage]) -> list[Passage]:
        return self.judge(question, passages).passages

    def _ask(self, prompt: str) -> str:
        """Streams the reply and stops reading after its first complete line holding a number, or after
        ``max_reply_chars``: a small model that goes on explaining is not waited for."""
        reply = ""
        for piece in self.model.stream([HumanMessage(prompt)]):
            reply += piece.text
            complete = reply.split("\n")[:-1]  # lines already ended by a newline
            if any(_NUMBER.search(line) for line in complete) or len(reply) > self.max_reply_chars:
                break
        return next((line for line in reply.strip().splitlines() if _NUMBER.search(line)), reply.strip())


@dataclass
class RerankingSearcher:
    """Any searcher with a reranking stage: same ``search(query, k, where)`` and ``idf``.

    It retrieves ``max(k, top_n)`` passages from ``base`` (filters applied there as usual), lets the
    reranker reorder the first ``top_n`` and returns the first ``k``.
    """

    base: Searcher
    reranker: LLMReranker | None = None
    top_n: int = DEFAULT_TOP_N

    def idf(self, term: str) -> float:
        return self.base.idf(term)

    def search(self, query: str, k: int = 5, where: SearchFilter = SearchFilter()) -> list[Passage]:
        return self.search_with_ranking(query, k, where)[0]

    def search_with_ranking(
        self, query: str, k: int = 5, where: SearchFilter = SearchFilter()
    ) -> tuple[list[Passage], Ranking]:
        passages = self.base.search(query, max(k, self.top_n), where)
        if self.reranker is None or k <= 0:
            return passages[:k], Ranking(passages[:k], "skipped")
        head, tail = passages[: self.top_n], passages[self.top_n :]
        ranking = self.reranker.judge(query, head)
        return (ranking.passages + tail)[:k], ranking
