"""LLM mode against extractive mode on the same questions: answers, refusals, citations, time.

    python bench/llm_benchmark.py --base-url http://127.0.0.1:8080/v1 --label "Qwen2.5 1.5B (llama.cpp server)"
    python bench/llm_benchmark.py --provider llamacpp --gguf data/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf

Questions: every k-th question of the split (``--split test`` by default, ``--sample`` of them), the
same for both modes. Scoring is the eval's (assistant/evaluation/answers.py). Time to first token is
set against its floor on this machine: the prompt's tokens divided by the prompt throughput measured
once with a long prompt and one generated token.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from any folder
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from langchain_core.messages import HumanMessage  # noqa: E402

from assistant.answering import Answerer  # noqa: E402
from assistant.evaluation.answers import score_answer, summarise  # noqa: E402
from assistant.evaluation.data import load_questions  # noqa: E402
from assistant.evaluation.eval_sets import split_file  # noqa: E402
from assistant.llm import build_chat_model  # noqa: E402
from assistant.settings import enforce_offline_environment, get_settings  # noqa: E402
from assistant.workspace import Workspace  # noqa: E402

CHARS_PER_TOKEN = 1.4  # Qwen's tokenizer on this corpus' Chinese (used only when no tokenizer is at hand)


def sample(questions: list[Any], n: int) -> list[Any]:
    step = max(1, len(questions) // n)
    return questions[::step][:n]


def prompt_throughput(model: Any) -> tuple[float, int]:
    """(prompt tokens per second, tokens) from one long prompt answered with one token."""
    text = "巡视整改情况报告应当按时报送，整改措施应当逐项落实。" * 60
    tokens = int(len(text) / CHARS_PER_TOKEN)
    started = time.perf_counter()
    for piece in model.stream([HumanMessage(text + "\n请只回答：好")], max_tokens=1):
        if piece.content:
            break
    return tokens / (time.perf_counter() - started), tokens


def run(args: argparse.Namespace) -> dict[str, Any]:
    enforce_offline_environment()
    settings = get_settings().model_copy(update={
        "llm_provider": args.provider, "llm_base_url": args.base_url,
        "llm_gguf_path": Path(args.gguf) if args.gguf else None, "llm_timeout_seconds": args.timeout,
    })
    ws = Workspace(settings)
    ws.index()
    questions = sample(load_questions(split_file("questions", args.split, Path(tempfile.mkdtemp()))), args.sample)
    model = build_chat_model(settings)
    assert model is not None, "no chat model configured"
    throughput, _ = prompt_throughput(model)
    texts = {r.name: ws.lexical.document_text(r.doc_id) or "" for r in ws.manifest.records()}
    extractive = Answerer(ws.ranked, units=ws.units)
    llm = Answerer(ws.ranked, units=ws.units, chat_model=model, llm_timeout=args.timeout)
    rows: dict[str, list[Any]] = {"extractive": [], "llm": []}
    timing: list[dict[str, float]] = []
    fallbacks = kept_leads = 0
    for q in questions:
        plain = extractive.answer(q.question, history=q.history)
        rows["extractive"].append(score_answer(plain, q, texts))
        answer = llm.answer(q.question, history=q.history, use_llm=True)
        rows["llm"].append(score_answer(answer, q, texts))
        if answer.found:
            fallback = answer.text.startswith("大模型未能生成")
            fallbacks += fallback
            # a kept lead-in stands before the extractive answer; whatever that answer's own first line says
            kept_leads += not fallback and answer.text != plain.text
            tokens = answer.timings.get("prompt_chars", 0.0) / CHARS_PER_TOKEN
            timing.append({"first_token": answer.timings.get("first_token", 0.0), "total": answer.timings["total"],
                           "prompt_tokens": tokens, "floor": tokens / throughput})
        print(f"{q.id}: extractive {plain.found} llm {answer.found} ({answer.timings.get('total', 0):.1f}s)", file=sys.stderr)
    p50 = lambda key: round(statistics.median(t[key] for t in timing), 2) if timing else 0.0  # noqa: E731
    return {
        "label": args.label, "split": args.split, "questions": len(questions),
        "extractive": summarise(rows["extractive"]), "llm": summarise(rows["llm"]),
        "llm_fallbacks": fallbacks, "llm_leads_kept": kept_leads,
        "prompt_tokens_per_s": round(throughput, 1),
        "p50_prompt_tokens": p50("prompt_tokens"), "p50_first_token_s": p50("first_token"),
        "p50_first_token_floor_s": p50("floor"), "p50_total_s": p50("total"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--provider", choices=["openai", "llamacpp"], default="openai")
    parser.add_argument("--base-url", default="http://127.0.0.1:8080/v1")
    parser.add_argument("--gguf", default="")
    parser.add_argument("--label", default="")
    parser.add_argument("--split", choices=["tune", "test"], default="test")
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    result = run(args)
    text = json.dumps(result, ensure_ascii=False, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
