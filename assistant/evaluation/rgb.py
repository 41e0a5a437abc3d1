"""RGB (Chen et al. 2023, the Chinese refined set): the answer layer on a public benchmark nobody tuned on.

Each RGB question comes with news passages that answer it (positive) and passages on the same topic that
do not (negative). Following the benchmark's two simplest tests, every question is asked twice over five
of its passages, the search limited to them:

- noise robustness: three positives and two negatives (noise rate 0.4). The answer should be given, and
  it is correct when its text holds every expected answer (any of its alternatives), as RGB checks it;
- negative rejection: five negatives. The answer should be 资料中未找到.

The passages are the benchmark's first ones in file order, so a run is reproducible. The domain (2022
news) is far from this corpus, and the answerability and selection models were trained on the tune split
only: the figures say how those models carry over, not how they do at home.

``python -m assistant.evaluation.rgb`` (the data file is the shared folder's ``bench/rgb_zh_refine.json``,
licensed CC BY-NC-SA 4.0: read for evaluation, never copied into the product).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sklearn.metrics import roc_auc_score

from assistant.answering import Answer
from assistant.evaluation.lecoqa import whole_document_chunk, write_chunks
from assistant.evaluation.report import markdown_table
from assistant.evaluation.workspaces import WorkspaceFactory, close_workspace, default_workspace_factory
from assistant.retrieval import SearchFilter
from assistant.settings import enforce_offline_environment, get_settings
from index.chunking import Chunk
from index.kinds import DocumentKind

POSITIVES = 3  # with NEGATIVES_WITH_NOISE: five passages at RGB's noise rate 0.4
NEGATIVES_WITH_NOISE = 2  # the first of the NEGATIVES_ALONE
NEGATIVES_ALONE = 5


@dataclass(frozen=True)
class RgbQuestion:
    id: int
    query: str
    answers: tuple[tuple[str, ...], ...]  # every entry must be found; an entry is its alternatives
    positives: tuple[str, ...]
    negatives: tuple[str, ...]


def load_rgb(path: Path | str) -> list[RgbQuestion]:
    """The JSON-lines file of RGB (one question per line)."""
    questions = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            record = json.loads(line)
            answers = tuple(
                tuple(str(a) for a in entry) if isinstance(entry, list) else (str(entry),) for entry in record["answer"]
            )
            questions.append(RgbQuestion(
                int(record["id"]), str(record["query"]), answers,
                tuple(str(p) for p in record["positive"]), tuple(str(n) for n in record["negative"]),
            ))
    return questions


def answer_holds(text: str, answers: Sequence[Sequence[str]]) -> bool:
    """RGB's check: every expected answer (any of its alternatives) occurs in the text."""
    return bool(answers) and all(any(alt in text for alt in entry) for entry in answers)


def passage_name(question: RgbQuestion, polarity: str, k: int) -> str:
    return f"rgb-{question.id:03d}-{polarity}{k}"


def is_positive(name: str) -> bool:
    return name.rsplit("-", 1)[1].startswith("p")


def passage_chunk(name: str, text: str) -> Chunk:
    """One RGB passage as one document of one passage."""
    return whole_document_chunk(name, text, title="新闻片段", kind=DocumentKind.OTHER)


def chosen_passages(question: RgbQuestion) -> tuple[dict[str, str], dict[str, str]]:
    """The positives and the negatives a run uses, each name → text (names say positive ``p`` or negative ``n``).
    The noisy search takes the first NEGATIVES_WITH_NOISE of the negatives, the rejection search all of them."""
    positives = {passage_name(question, "p", k): t for k, t in enumerate(question.positives[:POSITIVES])}
    negatives = {passage_name(question, "n", k): t for k, t in enumerate(question.negatives[:NEGATIVES_ALONE])}
    return positives, negatives


@dataclass(frozen=True)
class RgbScore:
    id: int
    answered_with_noise: bool
    correct: bool  # answered, and the answer holds the expected answers
    cited: tuple[str, ...]  # the passages the answer over positives and negatives cites
    rejected: bool  # refused when only negatives were searched
    # the answerability model's probability over positives and negatives, and over negatives alone
    confidence_with_noise: float = 0.0
    confidence_negatives: float = 0.0

    @property
    def positive_citations(self) -> int:
        return sum(is_positive(name) for name in self.cited)


def score_question(question: RgbQuestion, with_noise: Answer, negatives_only: Answer) -> RgbScore:
    return RgbScore(
        id=question.id,
        answered_with_noise=with_noise.found,
        correct=with_noise.found and answer_holds(with_noise.text, question.answers),
        cited=tuple(c.chunk.doc for c in with_noise.citations),
        rejected=not negatives_only.found,
        confidence_with_noise=with_noise.confidence,
        confidence_negatives=negatives_only.confidence,
    )


def summarise(scores: Sequence[RgbScore]) -> dict[str, Any]:
    n = len(scores) or 1
    answered = [s for s in scores if s.answered_with_noise]
    cited = sum(len(s.cited) for s in answered)
    return {
        "questions": len(scores),
        "answer_rate": sum(s.answered_with_noise for s in scores) / n,
        "accuracy": sum(s.correct for s in scores) / n,
        "accuracy_when_answered": sum(s.correct for s in answered) / len(answered) if answered else 0.0,
        "citation_precision": sum(s.positive_citations for s in answered) / cited if cited else 0.0,
        "rejection": sum(s.rejected for s in scores) / n,
        # how well the answerability model tells the two searches apart, at any threshold
        "answerability_auc": float(roc_auc_score(
            [1] * len(scores) + [0] * len(scores),
            [s.confidence_with_noise for s in scores] + [s.confidence_negatives for s in scores],
        )) if scores else 0.0,
    }


def run_rgb(path: Path | str, factory: WorkspaceFactory, limit: int | None = None) -> dict[str, Any]:
    questions = load_rgb(path)[:limit]
    with tempfile.TemporaryDirectory(prefix="zgt-rgb-") as tmp:
        ws = factory(Path(tmp))
        try:
            chosen = [chosen_passages(q) for q in questions]
            chunks = [passage_chunk(name, text) for pair in chosen for side in pair for name, text in side.items()]
            write_chunks(ws, chunks)
            answerer = ws.answerer
            scores = []
            for q, (positives, negatives) in zip(questions, chosen, strict=True):
                noisy = (*positives, *list(negatives)[:NEGATIVES_WITH_NOISE])
                scores.append(score_question(
                    q,
                    answerer.answer(q.query, where=SearchFilter(docs=noisy)),
                    answerer.answer(q.query, where=SearchFilter(docs=tuple(negatives))),
                ))
        finally:
            close_workspace(ws)
    return {"path": str(path), "passages": len(chunks), "summary": summarise(scores),
            "scores": [asdict(s) for s in scores]}


def format_rgb(summary: Mapping[str, Any]) -> str:
    rows = [
        ("answer rate, 3 positives + 2 negatives", f"{summary['answer_rate']:.3f}"),
        ("accuracy (answer holds the expected answer)", f"{summary['accuracy']:.3f}"),
        ("accuracy when answered", f"{summary['accuracy_when_answered']:.3f}"),
        ("citation precision (cited passage is positive)", f"{summary['citation_precision']:.3f}"),
        ("rejection, 5 negatives only", f"{summary['rejection']:.3f}"),
        ("answerability AUC (any threshold)", f"{summary['answerability_auc']:.3f}"),
    ]
    return "\n".join([f"RGB zh ({summary['questions']} questions)", "", *markdown_table(("metric", "value"), rows)])


def main(argv: Sequence[str] | None = None) -> int:
    enforce_offline_environment()
    parser = argparse.ArgumentParser(prog="python -m assistant.evaluation.rgb", description="RGB 公开基准：含噪回答与拒答")
    parser.add_argument("--rgb", default=None, help="RGB 文件（默认共享目录下的 bench/rgb_zh_refine.json）")
    parser.add_argument("--limit", type=int, default=None, help="只评测前 N 个问题")
    parser.add_argument("--out", help="把结果另存为 JSON")
    args = parser.parse_args(argv)
    settings = get_settings()
    result = run_rgb(args.rgb or settings.rgb_questions, default_workspace_factory(settings), args.limit)
    print(format_rgb(result["summary"]))
    if args.out:
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
