"""Indexing and query-latency benchmark: ``python bench/index_benchmark.py [--docs DIR] [--out FILE.json]``.

One process: load the encoder (timed on its own), index the folder cold into a temporary index,
re-index the unchanged folder at once (every file should be skipped by its content hash), then time
``searcher.search`` over the dev questions in each retrieval mode. Prints a markdown table; writes
JSON with ``--out``.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from any folder
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before any Hugging Face import: never look a model up online

import numpy as np  # noqa: E402

from assistant.evaluation.data import load_questions  # noqa: E402
from assistant.evaluation.retrieval import WORKSPACE_SYSTEMS  # noqa: E402
from assistant.retrieval import HybridSearcher  # noqa: E402
from assistant.settings import (
    Settings,  # noqa: E402
    get_settings,  # noqa: E402
)
from assistant.workspace import Workspace  # noqa: E402
from index.embedding import SentenceEmbeddings, build_embeddings  # noqa: E402


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = action()
    return value, time.perf_counter() - started


def load_encoder(settings: Settings) -> tuple[SentenceEmbeddings, float]:
    def load() -> SentenceEmbeddings:
        embeddings = build_embeddings(
            settings.embedding_model, threads=settings.embedding_threads, batch_size=settings.embedding_batch_size
        )
        embeddings.embed_array(["预热"])  # the bundled encoder loads its weights on first use
        return embeddings

    return timed(load)


def index_figures(ws: Workspace, docs: Path) -> dict[str, Any]:
    cpu_started = time.process_time()
    full, full_seconds = timed(lambda: ws.index([docs]))
    cpu_seconds = time.process_time() - cpu_started
    again, again_seconds = timed(lambda: ws.index([docs]))
    counts = full.counts()
    chunks = ws.lexical.count()
    return {
        "files": counts["added"],
        "failed": counts["failed"],
        "chunks": chunks,
        "characters": full.characters,
        "index_seconds": full_seconds,
        "index_cpu_seconds": cpu_seconds,
        "chunks_per_second": chunks / full_seconds,
        "chars_per_second": full.characters / full_seconds,
        "reindex_seconds": again_seconds,
        "reindex_ratio": again_seconds / full_seconds,
        "reindex_unchanged": again.counts()["unchanged"],
        "peak_rss_mib_after_index": peak_rss_mib(),
    }


def latency(searcher: HybridSearcher, questions: Sequence[str], repeat: int, k: int = 10) -> dict[str, float]:
    for question in questions:  # warm-up pass: right after indexing, Chroma's first queries are slower
        searcher.search(question, k)
    samples = []
    for _ in range(repeat):
        for question in questions:
            started = time.perf_counter()
            searcher.search(question, k)
            samples.append((time.perf_counter() - started) * 1000)
    return {
        "queries": len(samples),
        "p50_ms": float(np.percentile(samples, 50)),
        "p95_ms": float(np.percentile(samples, 95)),
        "max_ms": float(max(samples)),
    }


def query_figures(ws: Workspace, questions: Sequence[str], repeat: int) -> dict[str, Any]:
    # The first search loads every chunk's tokens from SQLite and builds BM25: a start-up cost.
    _, bm25_load = timed(lambda: ws.searcher.lexical.search("预热", 1))
    modes = {name: latency(replace(ws.searcher, modes=m), questions, repeat) for name, m in WORKSPACE_SYSTEMS.items()}
    return {"bm25_load_seconds": bm25_load, "latency": modes}


def run(docs: Path, questions_path: Path, repeat: int) -> dict[str, Any]:
    settings = get_settings()
    rss_start = peak_rss_mib()
    embeddings, load_seconds = load_encoder(settings)
    result: dict[str, Any] = {
        "docs_dir": str(docs),
        "embedding_model": settings.embedding_model,
        "embedding_threads": settings.embedding_threads,
        "cpu_count": os.cpu_count(),
        "load_average_at_start": os.getloadavg()[0],
        "chunking": [settings.chunk_max_chars, settings.chunk_min_chars, settings.chunk_overlap_chars],
        "peak_rss_mib_at_start": rss_start,
        "encoder_load_seconds": load_seconds,
        "peak_rss_mib_after_encoder": peak_rss_mib(),
    }
    questions = [q.question for q in load_questions(questions_path)]
    with tempfile.TemporaryDirectory(prefix="zgt-bench-") as tmp:
        update = {"index_dir": Path(tmp), "docs_dir": docs, "chroma_mode": "embedded"}
        ws = Workspace(settings.model_copy(update=update), embeddings=embeddings)
        result |= index_figures(ws, docs)
        result |= query_figures(ws, questions, repeat)
        ws.lexical.close()
        ws.manifest.close()
    result["peak_rss_mib"] = peak_rss_mib()
    return result


def markdown(r: dict[str, Any]) -> str:
    rows = [
        ("documents folder", r["docs_dir"]),
        ("encoder / threads / CPUs", f"{r['embedding_model']} / {r['embedding_threads']} / {r['cpu_count']}"),
        ("load average at start", f"{r['load_average_at_start']:.1f} (other work on the CPUs slows every figure)"),
        ("encoder load", f"{r['encoder_load_seconds']:.2f} s"),
        ("files indexed (failed)", f"{r['files']} ({r['failed']})"),
        ("chunks", f"{r['chunks']:,}"),
        ("characters", f"{r['characters']:,}"),
        ("full index", f"{r['index_seconds']:.1f} s wall, {r['index_cpu_seconds']:.1f} s CPU"),
        ("throughput", f"{r['chunks_per_second']:.1f} chunks/s, {r['chars_per_second']:,.0f} chars/s"),
        ("re-index, unchanged", f"{r['reindex_seconds']:.3f} s = {r['reindex_ratio']:.2%} of full "
                                f"({r['reindex_unchanged']} files skipped; target < 2%)"),
        ("BM25 load on first query", f"{r['bm25_load_seconds'] * 1000:.0f} ms"),
        ("peak RSS", f"{r['peak_rss_mib_after_encoder']:.0f} MiB after encoder load, "
                     f"{r['peak_rss_mib_after_index']:.0f} MiB after index, {r['peak_rss_mib']:.0f} MiB at end"),
    ]
    lines = ["| figure | value |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows), ""]
    lines += ["| mode | queries | p50 ms | p95 ms | max ms |", "|---|---|---|---|---|"]
    for mode, s in r["latency"].items():
        lines.append(f"| {mode} | {s['queries']} | {s['p50_ms']:.1f} | {s['p95_ms']:.1f} | {s['max_ms']:.1f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="整改通索引与检索延迟基准")
    parser.add_argument("--docs", type=Path, default=None, help="documents folder (default: settings.docs_dir)")
    parser.add_argument("--questions", type=Path, default=get_settings().dev_questions, help="questions for query latency")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the questions per mode")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    docs = (args.docs or get_settings().docs_dir).resolve()
    result = run(docs, args.questions, args.repeat)
    print(markdown(result))
    if args.out:
        from results import save_json

        save_json(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
