"""One evaluation run: our searcher and the baselines on the eval questions over the same documents,
plus LeCoQA, as one JSON-serialisable result (``python -m assistant eval`` prints it)."""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from assistant.evaluation.baselines import (
    BASELINE_SYSTEMS,
    REFERENCE_DEV,
    bm25_300_retriever,
    naive_langchain_retriever,
)
from assistant.evaluation.data import Question, load_questions, read_raw_texts
from assistant.evaluation.lecoqa import run_lecoqa
from assistant.evaluation.report import format_table, save_json
from assistant.evaluation.retrieval import (
    WORKSPACE_SYSTEMS,
    Retriever,
    evaluate_retrievers,
    sweep_lexical_weight,
    workspace_retrievers,
)
from assistant.evaluation.workspaces import close_workspace, default_workspace_factory, index_folder
from assistant.settings import Settings, get_settings
from assistant.workspace import Workspace
from index.embedding import SentenceEmbeddings
from index.pipeline import discover

ALL_SYSTEMS = (*WORKSPACE_SYSTEMS, *BASELINE_SYSTEMS)


def run_evaluation(
    questions_path: Path | str | None = None,
    docs_dir: Path | str | None = None,
    index_dir: Path | str | None = None,
    lecoqa_path: Path | str | None = "",
    systems: Sequence[str] = ALL_SYSTEMS,
    *,
    settings: Settings | None = None,
    embeddings: SentenceEmbeddings | None = None,
    sweep_weights: Sequence[float] = (),
) -> dict[str, Any]:
    """Build every requested system over ``docs_dir`` and score it on the questions (JSON-serialisable).

    Without ``index_dir`` our index is built in a temporary folder; with it, that folder is brought up
    to date with ``docs_dir`` (an incremental run) and evaluated. ``lecoqa_path=None`` skips LeCoQA;
    the questions and LeCoQA default to the files under the shared folder (``ZGT_SHARED_DIR``).
    """
    unknown = set(systems) - set(ALL_SYSTEMS)
    if unknown:
        raise ValueError(f"未知的检索系统：{', '.join(sorted(unknown))}")
    base = settings or get_settings()
    questions_path = questions_path or base.dev_questions
    if lecoqa_path == "":
        lecoqa_path = base.lecoqa_questions
    docs = Path(docs_dir) if docs_dir is not None else base.docs_dir
    questions = load_questions(questions_path)
    factory = default_workspace_factory(base, embeddings)
    result: dict[str, Any] = {
        "questions_path": str(questions_path),
        "docs_dir": str(docs),
        "questions": len(questions),
        "answerable": sum(q.answerable for q in questions),
        "systems": {},
        "build": {},
        "reference": REFERENCE_DEV,
    }
    ours = [s for s in systems if s in WORKSPACE_SYSTEMS]
    with index_folder(Path(index_dir) if index_dir is not None else None) as folder:
        ws = factory(folder)
        try:
            embeddings = ws.embeddings
            if ours or sweep_weights:
                report = ws.index([docs])
                result["build"]["workspace"] = {
                    "index_dir": str(folder) if index_dir is not None else "(temporary)",
                    "seconds": round(report.seconds, 2),
                    "chunks": ws.lexical.count(),
                    "counts": report.counts(),
                    "failed": [o.source for o in report.outcomes if o.status == "failed"],
                    "other_documents": _other_documents(ws, docs),
                }
                result["systems"].update(evaluate_retrievers(workspace_retrievers(ws, ours), questions))
            if sweep_weights:
                result["sweep"] = sweep_lexical_weight(ws.searcher, questions, sweep_weights)
        finally:
            close_workspace(ws)
    baselines = [s for s in systems if s in BASELINE_SYSTEMS]
    if baselines:
        result["systems"].update(_run_baselines(baselines, read_raw_texts(docs), embeddings, questions, result))
    if lecoqa_path is not None:
        result["lecoqa"] = run_lecoqa(lecoqa_path, factory, ours or WORKSPACE_SYSTEMS)
    result["systems"] = {name: result["systems"][name] for name in systems}
    return result


def _other_documents(ws: Workspace, docs: Path) -> list[str]:
    """Documents in an existing index that are not in ``docs``: they compete for the top 10 too."""
    wanted = {str(p) for p in discover([docs])}
    return sorted(r.name for r in ws.manifest.records() if r.source not in wanted)


def _run_baselines(
    names: Sequence[str],
    texts: Mapping[str, str],
    embeddings: SentenceEmbeddings,
    questions: Sequence[Question],
    result: dict[str, Any],
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="zgt-naive-") as tmp:
        retrievers: dict[str, Retriever] = {}
        for name in names:
            started = time.perf_counter()
            if name == "naive_langchain":
                retrievers[name] = naive_langchain_retriever(texts, embeddings, Path(tmp))
            else:
                retrievers[name] = bm25_300_retriever(texts)
            result["build"][name] = {"seconds": round(time.perf_counter() - started, 2), "files": len(texts)}
        return evaluate_retrievers(retrievers, questions)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m assistant.evaluation``: the same run the CLI's ``eval`` subcommand makes."""
    parser = argparse.ArgumentParser(prog="python -m assistant.evaluation", description="检索评测")
    parser.add_argument("--questions", default=None, help="问题文件（默认共享目录下的 dev_questions.jsonl）")
    parser.add_argument("--docs", default=None, help="文档目录（默认 settings.docs_dir）")
    parser.add_argument("--index-dir", default=None, help="评测已有索引目录（默认在临时目录新建）")
    parser.add_argument("--lecoqa", default=None, help="LeCoQA 文件（默认共享目录下的 lecoqa_test.json）；空字符串表示跳过")
    parser.add_argument("--systems", nargs="+", default=list(ALL_SYSTEMS), choices=ALL_SYSTEMS)
    parser.add_argument("--sweep", nargs="*", type=float, default=[], help="混合检索的词法权重扫描")
    parser.add_argument("--out", default=None, help="JSON 结果文件")
    args = parser.parse_args(argv)
    result = run_evaluation(
        args.questions, args.docs, args.index_dir, "" if args.lecoqa is None else (args.lecoqa or None), args.systems, sweep_weights=args.sweep
    )
    print(format_table(result))
    if args.out:
        save_json(result, args.out)
    return 0
