"""Does LLM reranking pay for itself? ``python bench/rerank_benchmark.py [--limit N] [--out FILE.json]``.

Runs the answerable dev questions through the hybrid searcher (top 10) with and without the reranking
stage (``assistant/reranking.py``, top ``--top-n`` reordered by the local model) over a fresh index of
the documents, and reports recall@5 / recall@10 / MRR@10 (the ``covers`` rule of
``assistant/evaluation.py``) and the latency the stage adds per question (p50 / p95).

The model is the local GGUF served by ``python -m llama_cpp.server`` on a free loopback port (started
and stopped by this script, ``--backend server``, the set-up README.md describes) or loaded in this
process (``--backend inprocess``, the ``llamacpp`` provider); ``--backend configured`` uses the chat
model the ``ZGT_LLM_*`` settings describe instead (any OpenAI-compatible endpoint, e.g. a GPU server).
With the first two nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from any folder
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before any Hugging Face import: never look a model up online

from langchain_core.language_models.chat_models import BaseChatModel  # noqa: E402

from assistant.evaluation.data import Question, load_questions  # noqa: E402
from assistant.evaluation.retrieval import retrieval_metrics  # noqa: E402
from assistant.evaluation.workspaces import close_workspace, default_workspace_factory  # noqa: E402
from assistant.llm import build_chat_model, build_llamacpp_model, build_openai_model  # noqa: E402
from assistant.reranking import LLMReranker, RerankingSearcher  # noqa: E402
from assistant.settings import (  # noqa: E402
    PROJECT_ROOT,
    Settings,
    get_settings,  # noqa: E402
)

DEFAULT_MODEL = PROJECT_ROOT / "data" / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
TOP_K = 10


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def llama_server(model: Path, threads: int, log_path: Path) -> Iterator[str]:
    """``python -m llama_cpp.server`` on 127.0.0.1:<free port>; yields its OpenAI base URL."""
    import httpx

    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", "4096", "--n_threads", str(threads)]
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 600
        with httpx.Client(trust_env=False, timeout=5.0) as client:
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"llama_cpp.server exited with {server.returncode}; see {log_path}")
                try:
                    if client.get(f"{base_url}/models").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"llama_cpp.server did not start; see {log_path}")
                time.sleep(1.0)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextmanager
def chat_model(backend: str, model: Path, settings: Settings, log_path: Path) -> Iterator[BaseChatModel]:
    if backend == "configured":  # the ZGT_LLM_* endpoint, e.g. a GPU server on the intranet
        configured = build_chat_model(settings)
        if configured is None:
            raise SystemExit("--backend configured 需要设置 ZGT_LLM_PROVIDER（openai 或 llamacpp）")
        yield configured
        return
    if backend == "inprocess":
        yield build_llamacpp_model(settings.model_copy(update={"llm_provider": "llamacpp", "llm_gguf_path": model}))
        return
    with llama_server(model, settings.embedding_threads, log_path) as base_url:
        yield build_openai_model(settings.model_copy(update={"llm_provider": "openai", "llm_base_url": base_url}))


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    position = (len(ordered) - 1) * q
    low, high = int(position), min(int(position) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spread(questions: list[Question], limit: int) -> list[Question]:
    """``limit`` questions evenly spaced over the list (the dev file is grouped by kind), or all."""
    if not limit or limit >= len(questions):
        return questions
    step = len(questions) / limit
    return [questions[int(i * step)] for i in range(limit)]


def summary(metrics: dict[str, Any]) -> dict[str, float]:
    return {k: round(metrics["overall"][k], 3) for k in ("recall@5", "recall@10", "all@10", "mrr@10")}


def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = get_settings()
    docs = Path(args.docs) if args.docs else settings.docs_dir
    questions = spread([q for q in load_questions(args.questions) if q.answerable], args.limit)
    result: dict[str, Any] = {
        "questions": len(questions),
        "limit": args.limit,
        "model": Path(args.model).name if args.backend != "configured" else settings.llm_model,
        "backend": args.backend,
        "top_n": args.top_n,
        "top_k": TOP_K,
        "cpu_count": os.cpu_count(),
        "threads": settings.embedding_threads,
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }
    with tempfile.TemporaryDirectory(prefix="zgt-rerank-") as tmp:
        ws = default_workspace_factory(settings)(Path(args.index_dir) if args.index_dir else Path(tmp) / "index")
        try:
            report = ws.index([docs])
            result["index"] = {"chunks": ws.lexical.count(), "seconds": round(report.seconds, 1)}
            base = ws.searcher
            base.search("预热", 1)
            with chat_model(args.backend, Path(args.model), settings, Path(tmp) / "llama_server.log") as model:
                reranker = LLMReranker(model)
                searcher = RerankingSearcher(base, reranker, top_n=args.top_n)
                started = time.perf_counter()
                reranker.judge("预热", base.search("整改", args.top_n))  # load weights, fill the prompt cache
                result["warm_up_seconds"] = round(time.perf_counter() - started, 1)
                plain_ranked: list[list[tuple[str, str]]] = []
                reranked: list[list[tuple[str, str]]] = []
                rows: list[dict[str, Any]] = []
                for n, q in enumerate(questions, start=1):
                    t0 = time.perf_counter()
                    plain = base.search(q.question, TOP_K)
                    t1 = time.perf_counter()
                    passages, ranking = searcher.search_with_ranking(q.question, TOP_K)
                    t2 = time.perf_counter()
                    plain_ranked.append([(p.chunk.doc, p.chunk.text) for p in plain])
                    reranked.append([(p.chunk.doc, p.chunk.text) for p in passages])
                    rows.append({"id": q.id, "kind": q.kind, "status": ranking.status, "reply": ranking.reply,
                                 "positions": [i + 1 for i in ranking.positions], "prompt_chars": ranking.prompt_chars,
                                 "search_seconds": round(t1 - t0, 3), "added_seconds": round((t2 - t1) - (t1 - t0), 2)})
                    print(f"[{n}/{len(questions)}] {q.id} {ranking.status} {ranking.reply!r} "
                          f"+{rows[-1]['added_seconds']:.1f}s", file=sys.stderr, flush=True)
        finally:
            close_workspace(ws)
    before, after = retrieval_metrics(plain_ranked, questions), retrieval_metrics(reranked, questions)
    for row, b, a in zip(rows, before["per_question"], after["per_question"], strict=True):
        row |= {"rank_before": b["rank"], "rank_after": a["rank"],
                "recall@5_before": round(b["recall@5"], 3), "recall@5_after": round(a["recall@5"], 3)}
    added = [r["added_seconds"] for r in rows]
    statuses: dict[str, int] = {}
    for r in rows:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    result |= {
        "without": summary(before),
        "with": summary(after),
        "added_seconds": {"p50": round(percentile(added, 0.5), 1), "p95": round(percentile(added, 0.95), 1),
                          "mean": round(statistics.fmean(added), 1) if added else 0.0},
        "search_ms_p50": round(1000 * percentile([r["search_seconds"] for r in rows], 0.5), 1),
        "prompt_chars_p50": round(percentile([r["prompt_chars"] for r in rows], 0.5)),
        "statuses": statuses,
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "per_question": rows,
    }
    return result


def format_table(result: dict[str, Any]) -> str:
    lines = [
        f"Reranking, {result['questions']} answerable dev questions, {result['model']} ({result['backend']}), "
        f"top {result['top_n']} of {result['top_k']} reordered, {result['cpu_count']} CPUs, "
        f"{result['threads']} threads, load average {result['load_average_start'][0]}→{result['load_average_end'][0]}",
        "",
        "| searcher | recall@5 | recall@10 | all in top 10 | MRR@10 | added latency p50 / p95 |",
        "|---|---|---|---|---|---|",
        "| hybrid | {recall@5:.3f} | {recall@10:.3f} | {all@10:.3f} | {mrr@10:.3f} | — (search p50 {ms} ms) |".format(
            **result["without"], ms=result["search_ms_p50"]),
        "| hybrid + LLM rerank | {recall@5:.3f} | {recall@10:.3f} | {all@10:.3f} | {mrr@10:.3f} | {p50} / {p95} s |".format(
            **result["with"], **result["added_seconds"]),
        "",
        f"Replies: {', '.join(f'{k} {v}' for k, v in sorted(result['statuses'].items()))}; "
        f"prompt p50 {result['prompt_chars_p50']} characters; warm-up {result['warm_up_seconds']} s.",
    ]
    changed = [r for r in result["per_question"] if r["rank_before"] != r["rank_after"]
               or r["recall@5_before"] != r["recall@5_after"]]
    if changed:
        lines += ["", "| question | first gold rank before → after | recall@5 before → after | reply |", "|---|---|---|---|"]
        lines += [f"| {r['id']} ({r['kind']}) | {r['rank_before']} → {r['rank_after']} | "
                  f"{r['recall@5_before']} → {r['recall@5_after']} | `{r['reply']}` |" for r in changed]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/rerank_benchmark.py", description="大模型重排序的效果与耗时")
    parser.add_argument("--questions", default=str(get_settings().dev_questions))
    parser.add_argument("--limit", type=int, default=0, help="只跑 N 个可回答的问题，在题目中均匀抽取（0 = 全部）")
    parser.add_argument("--top-n", type=int, default=get_settings().rerank_top_n, help="交给大模型重排的段落数")
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="GGUF 模型文件")
    parser.add_argument("--backend", choices=("server", "inprocess", "configured"), default="server",
                        help="server：启动 llama_cpp.server；inprocess：本进程加载 GGUF；configured：用 ZGT_LLM_* 配置的大模型")
    parser.add_argument("--docs", default=None, help="文档目录（默认 settings.docs_dir）")
    parser.add_argument("--index-dir", default=None, help="使用已有索引目录（默认在临时目录新建）")
    parser.add_argument("--out", default=None, help="JSON 结果文件")
    args = parser.parse_args(argv)
    result = run(args)
    print(format_table(result))
    if args.out:
        from results import save_json

        save_json(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
