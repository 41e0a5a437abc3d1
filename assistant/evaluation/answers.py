"""Answer-level evaluation: are citations valid and on target, and does the assistant refuse honestly?

Definitions (tested in tests/assistant/evaluation/test_answers.py):
- citation validity: the quote occurs in its document's cleaned text exactly at [start, end).
- citation precision: share of citations, over answered answerable questions, whose cited chunk covers
  one of the question's gold quotes (README coverage rule, same file). A citation of a passage that
  is relevant but not gold counts as imprecise: the figure is a lower bound.
- citation recall: share of gold quotes, over answerable questions, covered by some cited chunk.
- refusal accuracy: share of unanswerable questions answered with found=false.
- answer rate: share of answerable questions answered with found=true.
- answerability AUC: the chance that an answerable question gets a higher answerability probability
  (``Answer.confidence``) than an unanswerable one.
- count accuracy: share of answerable counting questions (those with a ``count``) whose answer states that
  count: its first line writes the number (列出 5 种, 共 3 项), or points to a cited quote that writes it
  (所问的数量见 [2]). A refused one states nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sklearn.metrics import roc_auc_score

from assistant.answering import Answer, Answerer
from assistant.citations import Citation
from assistant.evaluation.data import Question, covers
from assistant.signals.question import CLASSIFIERS, COUNT_UNITS
from index.text import CN_NUMERAL_CHARS, chinese_number


@dataclass(frozen=True)
class AnswerScore:
    id: str
    answerable: bool
    found: bool
    citations: int
    valid: int
    precise: int
    gold_covered: float  # share of the question's gold quotes covered by a cited chunk
    kind: str = ""
    repeated_quotes: int = 0  # citations whose quote another citation of the answer already shows
    confidence: float = 0.0  # the answerability model's probability (Answer.confidence)
    count_right: bool | None = None  # a counting question's answer states its count (None: not one)


def citation_is_valid(citation: Citation, document_texts: Mapping[str, str]) -> bool:
    text = document_texts.get(citation.chunk.doc)
    return text is not None and bool(citation.quote) and text[citation.start : citation.end] == citation.quote


def citation_is_precise(citation: Citation, question: Question) -> bool:
    return any(g.doc == citation.chunk.doc and covers(citation.chunk.text, g.quote) for g in question.gold)


_CITATION_MARK = re.compile(r"\[(\d+)\]")
# how an answer's first line states a count (compose.intro): 列出 5 种, 共列出 3 项, 共 4 项措施
_STATED = re.compile(rf"(?:列出|共) ?(\d+) ?(?:{COUNT_UNITS})")
_NUMBER = re.compile(rf"\d+|[{CN_NUMERAL_CHARS}]+")


def states_count(answer: Answer, count: int) -> bool:
    """Whether ``answer`` states ``count``: the line that opens its items counts it (第八条列出 5 种, 共 3 项，来自 2 份
    文件), or a quote that line points to (所问的数量见 [2]) counts that many of something. In LLM mode that line
    follows the model's lead-in (whose claims the items were checked to support); an answer made by hand has only
    its first line."""
    if not answer.found or not answer.text:
        return False
    opening = answer.opening or answer.text.splitlines()[0]
    if any(int(n) == count for n in _STATED.findall(opening)):
        return True
    pointed = {int(n) for n in _CITATION_MARK.findall(opening)}
    return any(_counts(c.quote, count) for c in answer.citations if c.n in pointed)


# A number counts things when a classifier follows it (3项, 五个, 12名; people and works too: 6人, 4位, 21部): a
# quote's 五是 or 第五条 is a place.
_COUNTED = re.compile(rf"\s*(?:{CLASSIFIERS}|人|位|家|部)")


def _counts(text: str, count: int) -> bool:
    return any(chinese_number(m.group()) == count and _COUNTED.match(text, m.end()) for m in _NUMBER.finditer(text))


def score_answer(answer: Answer, question: Question, document_texts: Mapping[str, str]) -> AnswerScore:
    return AnswerScore(
        id=question.id,
        kind=question.kind,
        answerable=question.answerable,
        found=answer.found,
        citations=len(answer.citations),
        valid=sum(citation_is_valid(c, document_texts) for c in answer.citations),
        precise=sum(citation_is_precise(c, question) for c in answer.citations),
        gold_covered=(
            sum(any(g.doc == c.chunk.doc and covers(c.chunk.text, g.quote) for c in answer.citations)
                for g in question.gold) / len(question.gold)
            if question.gold else 0.0
        ),
        repeated_quotes=len(answer.citations) - len({c.quote for c in answer.citations}),
        confidence=answer.confidence,
        count_right=(
            states_count(answer, question.count) if question.answerable and question.count is not None else None
        ),
    )


def summarise(scores: Sequence[AnswerScore]) -> dict[str, Any]:
    answerable = [s for s in scores if s.answerable]
    unanswerable = [s for s in scores if not s.answerable]
    cited = sum(s.citations for s in scores)
    cited_answerable = sum(s.citations for s in answerable if s.found)
    counting = [s for s in answerable if s.count_right is not None]
    return {
        "questions": len(scores),
        "citations": cited,
        "citation_validity": sum(s.valid for s in scores) / cited if cited else 1.0,
        "citation_precision": sum(s.precise for s in answerable if s.found) / cited_answerable if cited_answerable else 0.0,
        "citation_recall": sum(s.gold_covered for s in answerable) / len(answerable) if answerable else 0.0,
        "answer_rate": sum(s.found for s in answerable) / len(answerable) if answerable else 0.0,
        "refusal_accuracy": sum(not s.found for s in unanswerable) / len(unanswerable) if unanswerable else 1.0,
        # how well the answerability model tells the two kinds apart, whatever its threshold: steadier than
        # the answer-rate/refusal pair, which a threshold trades against each other
        "answerability_auc": (
            float(roc_auc_score([s.answerable for s in scores], [s.confidence for s in scores]))
            if answerable and unanswerable else None
        ),
        "repeated_quotes": sum(s.repeated_quotes for s in scores),
        "count_accuracy": sum(bool(s.count_right) for s in counting) / len(counting) if counting else None,
        "counting_questions": len(counting),
        "recall_by_kind": {
            kind: sum(s.gold_covered for s in answerable if s.kind == kind) / n
            for kind in sorted({s.kind for s in answerable})
            if (n := sum(1 for s in answerable if s.kind == kind))
        },
        "wrongly_refused": [s.id for s in answerable if not s.found],
        "wrongly_answered": [s.id for s in unanswerable if s.found],
    }


def evaluate_answers(
    answerer: Answerer, questions: Sequence[Question], document_texts: Mapping[str, str], *, use_llm: bool = False
) -> dict[str, Any]:
    scores = [
        score_answer(answerer.answer(q.question, history=q.history, use_llm=use_llm), q, document_texts)
        for q in questions
    ]
    # each question's score too, so a saved run (--out) says which questions lost what
    return summarise(scores) | {"per_question": [asdict(s) for s in scores]}


def format_answer_table(summary: Mapping[str, Any], *, items: bool = True) -> str:
    """The summary as a table; ``items``: also the ids of the wrongly refused and wrongly answered questions."""
    rows = [
        ("citation validity", f"{summary['citation_validity']:.3f}"),
        ("citation precision (gold passage)", f"{summary['citation_precision']:.3f}"),
        ("citation recall (gold quotes cited)", f"{summary['citation_recall']:.3f}"),
        ("answer rate (answerable)", f"{summary['answer_rate']:.3f}"),
        ("refusal accuracy (unanswerable)", f"{summary['refusal_accuracy']:.3f}"),
        ("answerability AUC (any threshold)", "—" if summary.get("answerability_auc") is None
         else f"{summary['answerability_auc']:.3f}"),
        ("citations", str(summary["citations"])),
        ("quotes shown twice in one answer", str(summary["repeated_quotes"])),
        (f"count stated right (of {summary.get('counting_questions', 0)} counting questions)",
         "—" if summary.get("count_accuracy") is None else f"{summary['count_accuracy']:.3f}"),
    ]
    lines = ["Answers", "", "| metric | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]
    by_kind = summary.get("recall_by_kind") or {}
    if by_kind:
        lines += ["", "citation recall by kind: " + ", ".join(f"{k} {v:.3f}" for k, v in by_kind.items())]
    if items and (summary["wrongly_refused"] or summary["wrongly_answered"]):
        lines.append(f"\nwrongly refused: {summary['wrongly_refused']}; wrongly answered: {summary['wrongly_answered']}")
    return "\n".join(lines)
