"""LeCoQA statute retrieval: questions over the distinct gold articles, each article one passage."""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.evaluation.baselines import REFERENCE_LECOQA
from assistant.evaluation.retrieval import WORKSPACE_SYSTEMS, workspace_retrievers
from assistant.evaluation.workspaces import WorkspaceFactory, close_workspace
from assistant.workspace import Workspace
from index.chunking import Chunk
from index.kinds import DocumentKind


@dataclass(frozen=True)
class LecoQuestion:
    question: str
    gold: tuple[str, ...]  # article names (the keys of 相关法规)


_ARTICLE = re.compile(r"第[零〇一二三四五六七八九十百千万两\d]+条(?:之[一二三四五六七八九十]+)?$")


def load_lecoqa(path: Path | str) -> tuple[list[LecoQuestion], dict[str, str]]:
    """Questions and the corpus of their distinct gold articles (name → article text)."""
    with open(path, encoding="utf-8") as fh:
        records = json.load(fh)
    questions: list[LecoQuestion] = []
    articles: dict[str, str] = {}
    for record in records:
        gold = dict(record["相关法规"])
        questions.append(LecoQuestion(str(record["问题"]), tuple(gold)))
        for name, text in gold.items():
            articles.setdefault(name, str(text))
    return questions, articles


def article_chunk(name: str, text: str) -> Chunk:
    """One LeCoQA article as one passage: ``doc`` and ``section`` are its name, e.g. 行政许可法第十五条."""
    match = _ARTICLE.search(name)
    label = match.group(0) if match else ""
    return whole_document_chunk(
        name, text, title=name[: len(name) - len(label)] or name, kind=DocumentKind.REGULATION, section=name, label=label
    )


def whole_document_chunk(name: str, text: str, *, title: str, kind: str, section: str = "", label: str = "") -> Chunk:
    """A benchmark passage as a document of one chunk, named ``name`` (its id derives from the name)."""
    return Chunk(
        doc_id=hashlib.sha1(name.encode("utf-8")).hexdigest()[:16],
        doc=name,
        title=title,
        kind=kind,
        section=section,
        label=label,
        start=0,
        end=len(text),
        text=text,
        page=None,
        titles=(),
        ordinal=0,
    )


def write_chunks(ws: Workspace, chunks: Sequence[Chunk]) -> None:
    """Put chunks straight into the workspace's index (no files, no manifest)."""
    ws.indexer.write_chunks(chunks, {chunk.doc_id: chunk.text for chunk in chunks})


def lecoqa_metrics(ranked_docs: Sequence[Sequence[str]], questions: Sequence[LecoQuestion]) -> dict[str, float]:
    """Hit@k: any gold article in the top k; recall@k: share of gold articles there; MRR@10."""
    rows = []
    for ranked, q in zip(ranked_docs, questions, strict=True):
        gold = set(q.gold)
        first = next((i for i, doc in enumerate(ranked[:10], start=1) if doc in gold), None)
        rows.append({
            "hit@5": float(any(d in gold for d in ranked[:5])),
            "hit@10": float(any(d in gold for d in ranked[:10])),
            "recall@5": len(gold & set(ranked[:5])) / len(gold),
            "recall@10": len(gold & set(ranked[:10])) / len(gold),
            "mrr@10": 1.0 / first if first else 0.0,
        })
    keys = ("hit@5", "hit@10", "recall@5", "recall@10", "mrr@10")
    summary: dict[str, float] = {"n": len(rows)}
    summary.update({key: sum(r[key] for r in rows) / len(rows) if rows else 0.0 for key in keys})
    return summary


def run_lecoqa(
    path: Path | str,
    workspace_factory: WorkspaceFactory,
    systems: Iterable[str] = WORKSPACE_SYSTEMS,
) -> dict[str, Any]:
    """Statute retrieval over the distinct gold articles of LeCoQA, with our three searcher modes."""
    questions, articles = load_lecoqa(path)
    factory = workspace_factory
    with tempfile.TemporaryDirectory(prefix="zgt-lecoqa-") as tmp:
        ws = factory(Path(tmp))
        try:
            started = time.perf_counter()
            write_chunks(ws, [article_chunk(name, text) for name, text in articles.items()])
            build_seconds = time.perf_counter() - started
            results = {}
            for name, retrieve in workspace_retrievers(ws, systems).items():
                ranked = [[doc for doc, _ in retrieve(q.question)] for q in questions]
                results[name] = lecoqa_metrics(ranked, questions)
        finally:
            close_workspace(ws)
    return {
        "path": str(path),
        "questions": len(questions),
        "articles": len(articles),
        "build_seconds": round(build_seconds, 2),
        "systems": results,
        "reference": REFERENCE_LECOQA,
    }
