"""Access costs: ``python bench/kb_filter_benchmark.py [--kbs 1 10 50] [--rounds 5] [--audit-rows 100000] [--out FILE.json]``.

The corpus (docs_src/) is indexed once per count of knowledge bases, its documents dealt round-robin
into them; then the dev questions are searched (``searcher.search``, k=10) and answered (extractive)
as today's single corpus (no filter), as a reader granted every knowledge base (stores narrowed; the
search itself unfiltered, as nothing is hidden from him) and as one granted half of them (BM25 scoring
only their chunks, the Chroma query among their ids). Prints p50/p95 in milliseconds over ``--rounds``
timings of each question, the readings taking turns; the issue's budget is +20 % at p95 over the
single corpus. ``--audit-rows N`` also writes N rows to a fresh audit log and times appending them and
``audit verify`` over them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from any folder
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from assistant.evaluation.data import load_questions  # noqa: E402
from assistant.settings import PROJECT_ROOT, Settings, enforce_offline_environment  # noqa: E402
from assistant.workspace import Workspace  # noqa: E402
from index.embedding import build_embeddings  # noqa: E402
from index.pipeline import discover  # noqa: E402


def timed(runs: dict[str, Callable[[str], Any]], questions: list[str], rounds: int) -> dict[str, dict[str, float]]:
    """p50/p95 in ms of each reading. Readings take turns on each question, round after round, so a
    busy machine (other processes on the same cores) slows them alike instead of skewing one."""
    for run in runs.values():
        for q in questions:  # warm-up: every query's vector cached, so each reading is timed alike
            run(q)
    times: dict[str, list[float]] = {label: [] for label in runs}
    for _ in range(rounds):
        for q in questions:
            for label, run in runs.items():
                started = time.perf_counter()
                run(q)
                times[label].append((time.perf_counter() - started) * 1000)
    return {label: {"p50": float(np.percentile(t, 50)), "p95": float(np.percentile(t, 95))} for label, t in times.items()}


def main() -> int:
    enforce_offline_environment()
    parser = argparse.ArgumentParser()
    parser.add_argument("--kbs", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--rounds", type=int, default=5, help="times each question is timed per reading")
    parser.add_argument("--audit-rows", type=int, default=0, help="also time the audit log with this many rows")
    parser.add_argument("--out")
    args = parser.parse_args()
    settings = Settings()
    questions = [q.question for q in load_questions(settings.dev_questions)]
    embeddings = build_embeddings(settings.embedding_model)
    files = discover([PROJECT_ROOT / "docs_src"])
    results: dict[str, Any] = {}
    for count in args.kbs:
        with tempfile.TemporaryDirectory(prefix="zgt-kbbench-") as tmp:
            ws = Workspace(settings.model_copy(update={"index_dir": Path(tmp) / "index"}), embeddings=embeddings)
            names = [f"kb{i:02d}" for i in range(count)]
            for i, name in enumerate(names):
                share = files[i::count]
                if share:
                    ws.index(share, kb=name)
            views = {"single corpus (no filter)": ws, "every knowledge base": ws.within(names),
                     "half of them": ws.within(names[: max(1, count // 2)])}
            search = timed({label: lambda q, v=view: v.searcher.search(q, 10) for label, view in views.items()},
                           questions, args.rounds)
            answer = timed({label: lambda q, v=view: v.answerer.answer(q) for label, view in views.items()},
                           questions, args.rounds)
            results[str(count)] = {label: {"search": search[label], "answer": answer[label]} for label in views}
            ws.close()
    print("| KBs | reading | search p50 / p95 (ms) | answer p50 / p95 (ms) |")
    print("|---|---|---|---|")
    for count, row in results.items():
        for label, r in row.items():
            s, a = r["search"], r["answer"]
            print(f"| {count} | {label} | {s['p50']:.1f} / {s['p95']:.1f} | {a['p50']:.1f} / {a['p95']:.1f} |")
    if args.audit_rows:
        results["audit"] = audit_timing(args.audit_rows)
        print(f"\naudit log, {args.audit_rows} rows: append {results['audit']['append_ms']:.2f} ms per row, "
              f"verify {results['audit']['verify_s']:.2f} s")
    if args.out:
        from results import save_json

        save_json(args.out, results)
    return 0


def audit_timing(rows: int) -> dict[str, float]:
    from assistant.audit import ASK, AuditLog

    with tempfile.TemporaryDirectory(prefix="zgt-auditbench-") as tmp:
        log = AuditLog(Path(tmp))
        started = time.perf_counter()
        for i in range(rows):
            log.record(f"user{i % 20}", ASK, text=f"第{i}个问题：巡视反馈后多久报送整改情况？", docs=("通报.txt",))
        appended = time.perf_counter() - started
        started = time.perf_counter()
        verification = log.verify()
        verified = time.perf_counter() - started
        log.close()
    if not verification.ok:
        raise SystemExit(verification.summary())
    return {"append_ms": 1000 * appended / rows, "verify_s": verified}


if __name__ == "__main__":
    raise SystemExit(main())
