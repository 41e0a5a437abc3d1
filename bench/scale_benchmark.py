"""Scale benchmark: ``python bench/scale_benchmark.py --chunks 10000 100000 [--workdir DIR] [--out FILE.json]``.

For each size: generate a synthetic corpus from ``docs_src/`` (bench/synthetic_corpus.py), index it in
a fresh process (throughput, CPU time, peak memory), then, in another fresh process over the
existing index, time the start-up phases (imports, the lexical index's load, the encoder's load,
the first answer) and the query latency p50/p95 of retrieval in each mode and of extractive
answers. Finally the CLI is run once as a user would (``python -m assistant ask … --json``) to
time a cold command end to end. Every phase runs in its own process so that memory and start-up
figures are not flattered by an earlier phase.

The corpus and index are kept under ``--workdir`` (default ``/tmp/zgt-scale``), so that a change to
the query path can be re-measured on the same index with ``--skip-index`` (before/after figures).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

STARTED = time.perf_counter()  # before any heavy import: the start-up figures count imports
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

COLD_QUESTION = "哪些措施涉及财务管理？"


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def current_rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    import numpy as np

    return {
        "n": len(samples),
        "p50_ms": float(np.percentile(samples, 50)),
        "p95_ms": float(np.percentile(samples, 95)),
        "max_ms": float(max(samples)),
    }


def workspace(index_dir: Path, docs: Path) -> Any:
    from assistant.settings import get_settings
    from assistant.workspace import Workspace

    settings = get_settings().model_copy(update={"index_dir": index_dir, "docs_dir": docs, "chroma_mode": "embedded"})
    return Workspace(settings)


def phase_index(index_dir: Path, docs: Path) -> dict[str, Any]:
    ws = workspace(index_dir, docs)
    ws.embeddings.embed_array(["预热"])
    cpu = time.process_time()
    started = time.perf_counter()
    report = ws.index([docs])
    seconds = time.perf_counter() - started
    chunks = ws.lexical.count()
    return {
        "files": report.counts()["added"],
        "failed": report.counts()["failed"],
        "chunks": chunks,
        "characters": report.characters,
        "index_seconds": seconds,
        "index_cpu_seconds": time.process_time() - cpu,
        "chunks_per_second": chunks / seconds,
        "index_peak_rss_mib": peak_rss_mib(),
        "index_disk_mib": sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file()) / 2**20,
    }


def phase_query(index_dir: Path, docs: Path, repeat: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    from dataclasses import replace

    from assistant.workspace import Workspace  # noqa: F401  (the import is part of start-up)

    figures["startup_imports_s"] = time.perf_counter() - STARTED
    ws = workspace(index_dir, docs)
    t = time.perf_counter()
    ws.embeddings.embed_array(["预热"])  # imports torch and sentence-transformers, loads the weights
    figures["startup_encoder_load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    ws.vectors.count()
    figures["startup_chroma_open_s"] = time.perf_counter() - t
    from index.bm25 import build_from_store
    from index.text import tokenize

    t = time.perf_counter()
    tokenize("预热")  # jieba loads its dictionary on first use
    figures["startup_jieba_s"] = time.perf_counter() - t
    t = time.perf_counter()
    ws.searcher.lexical.search("预热", 1)  # BM25: loaded from its saved arrays, or built from SQLite
    figures["startup_lexical_load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    ws.answerer.answer(COLD_QUESTION)
    figures["startup_first_answer_s"] = time.perf_counter() - t
    figures["startup_total_s"] = time.perf_counter() - STARTED
    figures["rss_after_startup_mib"] = current_rss_mib()
    t = time.perf_counter()
    build_from_store(ws.lexical)  # what a reader pays when no saved BM25 matches the store (not at start-up)
    figures["bm25_rebuild_s"] = time.perf_counter() - t

    questions = [json.loads(line)["question"] for line in ws.settings.dev_questions.read_text(encoding="utf-8").splitlines() if line]
    latency: dict[str, Any] = {}
    for mode, modes in {"hybrid": ("lexical", "dense"), "bm25": ("lexical",), "dense": ("dense",)}.items():
        searcher = replace(ws.searcher, modes=modes)
        samples = []
        for _ in range(repeat):
            for question in questions:
                t = time.perf_counter()
                searcher.search(question, 10)
                samples.append((time.perf_counter() - t) * 1000)
        latency[f"retrieval_{mode}"] = percentiles(samples)
    samples = []
    for _ in range(repeat):
        for question in questions:
            t = time.perf_counter()
            ws.answerer.answer(question)
            samples.append((time.perf_counter() - t) * 1000)
    latency["answer_extractive"] = percentiles(samples)
    figures["latency"] = latency
    figures["query_peak_rss_mib"] = peak_rss_mib()
    return figures


def cold_cli(index_dir: Path, docs: Path) -> dict[str, Any]:
    env = os.environ | {"ZGT_INDEX_DIR": str(index_dir), "ZGT_DOCS_DIR": str(docs), "HF_HUB_OFFLINE": "1"}
    t = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", COLD_QUESTION, "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    seconds = time.perf_counter() - t
    if done.returncode != 0:
        raise RuntimeError(f"CLI failed: {done.stderr[-2000:]}")
    return {"cli_ask_cold_s": seconds, "cli_ask_found": json.loads(done.stdout)["found"]}


def run_phase(args: list[str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"phase {args} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(size: int, workdir: Path, repeat: int, skip_index: bool) -> dict[str, Any]:
    from synthetic_corpus import generate  # bench/ is on sys.path: this script's own folder

    docs, index_dir = workdir / f"corpus-{size}", workdir / f"index-{size}"
    result: dict[str, Any] = {"target_chunks": size}
    if not docs.exists():
        files, chunks = generate(docs, size)
        print(f"[{size}] corpus: {files} files, {chunks} chunks", file=sys.stderr)
    index_figures = workdir / f"index-{size}.json"  # kept so that --skip-index still reports them
    if not skip_index or not index_figures.exists():
        if index_dir.exists():
            subprocess.run(["rm", "-rf", str(index_dir)], check=True)
        figures = run_phase(["--phase", "index", "--docs", str(docs), "--index", str(index_dir)])
        index_figures.write_text(json.dumps(figures))
    result |= json.loads(index_figures.read_text())
    if not skip_index:
        print(f"[{size}] indexed: {result['chunks']} chunks in {result['index_seconds']:.0f} s", file=sys.stderr)
    result |= run_phase(["--phase", "query", "--docs", str(docs), "--index", str(index_dir), "--repeat", str(repeat)])
    result |= cold_cli(index_dir, docs)
    print(f"[{size}] queried", file=sys.stderr)
    return result


TABLE_ROWS = [  # (label, format, key in the results)
    ("files", "{:,}", "files"),
    ("full index (wall)", "{:.0f} s", "index_seconds"),
    ("index throughput", "{:.0f} chunks/s", "chunks_per_second"),
    ("index peak RSS", "{:.0f} MiB", "index_peak_rss_mib"),
    ("index on disk", "{:.0f} MiB", "index_disk_mib"),
    ("start-up: imports", "{:.1f} s", "startup_imports_s"),
    ("start-up: encoder load (incl. torch import)", "{:.2f} s", "startup_encoder_load_s"),
    ("start-up: Chroma open", "{:.2f} s", "startup_chroma_open_s"),
    ("start-up: jieba dictionary", "{:.2f} s", "startup_jieba_s"),
    ("start-up: lexical index (BM25) load", "{:.2f} s", "startup_lexical_load_s"),
    ("start-up: first answer", "{:.2f} s", "startup_first_answer_s"),
    ("start-up: total to first answer", "{:.1f} s", "startup_total_s"),
    ("cold CLI `ask --json`", "{:.1f} s", "cli_ask_cold_s"),
    ("RSS after start-up", "{:.0f} MiB", "rss_after_startup_mib"),
    ("BM25 rebuild from SQLite (no saved index)", "{:.2f} s", "bm25_rebuild_s"),
    ("query process peak RSS", "{:.0f} MiB", "query_peak_rss_mib"),
]


def markdown(results: Sequence[dict[str, Any]]) -> str:
    sizes = [f"{r.get('chunks', r['target_chunks']):,} chunks" for r in results]
    lines = ["| figure | " + " | ".join(sizes) + " |", "|---|" + "---|" * len(results)]

    for label, fmt, key in TABLE_ROWS:
        cells = [fmt.format(r[key]) if key in r else "–" for r in results]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for key in ("retrieval_hybrid", "retrieval_bm25", "retrieval_dense", "answer_extractive"):
        cells = [f"{r['latency'][key]['p50_ms']:.0f} / {r['latency'][key]['p95_ms']:.0f} ms" for r in results]
        lines.append(f"| {key.replace('_', ' ')} p50 / p95 | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="整改通规模基准（合成语料）")
    parser.add_argument("--chunks", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/zgt-scale"))
    parser.add_argument("--repeat", type=int, default=2, help="passes over the dev questions")
    parser.add_argument("--skip-index", action="store_true", help="reuse existing indexes under --workdir")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--phase", choices=["index", "query"], help=argparse.SUPPRESS)
    parser.add_argument("--docs", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.phase == "index":
        print(json.dumps(phase_index(args.index, args.docs)))
        return 0
    if args.phase == "query":
        print(json.dumps(phase_query(args.index, args.docs, args.repeat)))
        return 0

    results = []
    for size in args.chunks:
        results.append(measure(size, args.workdir, args.repeat, args.skip_index))
    from results import machine, save_json

    header = machine()
    print(f"CPUs {header['cpu_count']}, load average at end {header['load_average']:.1f}\n")
    print(markdown(results))
    if args.out:
        save_json(args.out, {**header, "results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
