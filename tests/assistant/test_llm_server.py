"""End to end with a real model: llama.cpp's OpenAI-compatible server on 127.0.0.1 and the real CLI.

Needs ``llama-cpp-python[server]`` and a GGUF model, both installed by ``scripts/setup_llm.sh``
(Qwen2.5-Coder-1.5B-Instruct Q4_K_M when present, else the 0.5B; ``ZGT_TEST_GGUF=/path/model.gguf``
picks another; ``ZGT_TEST_LLM_THREADS`` sets the server's threads, default 2).
Skipped, with the reason, when either is missing. Also measures time to first token and generation speed
(printed, and recorded as test properties).
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from assistant.answering import Answerer, format_sources, load_prompt
from assistant.llm import build_chat_model
from assistant.settings import PROJECT_ROOT, Settings
from assistant.workspace import Workspace
from index.loaders import load_document

pytestmark = pytest.mark.llm

MODELS = PROJECT_ROOT / "data" / "models"
SMALL = MODELS / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"  # scripts/setup_llm.sh
LARGER = MODELS / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"  # scripts/setup_llm.sh 1.5b
GGUF = Path(os.environ.get("ZGT_TEST_GGUF") or (LARGER if LARGER.is_file() else SMALL))
# The 0.5B model often answers with bare markers or copies a source: its answers then keep no citation
# and come back as not found. The pipeline's guarantees are still asserted; "found" is expected to fail.
WEAK_MODELS = {SMALL.name}
THREADS = int(os.environ.get("ZGT_TEST_LLM_THREADS") or 2)
SERVER_START_TIMEOUT = 180.0
DEADLINE_Q = "巡视组反馈后多久要报送整改情况？"


def _missing() -> str | None:
    for module in ("llama_cpp", "sse_starlette", "starlette_context"):
        if importlib.util.find_spec(module) is None:
            return f"未安装 llama-cpp-python[server]（缺少 {module}）：运行 scripts/setup_llm.sh"
    if not GGUF.is_file():
        return f"没有模型文件 {GGUF}：运行 scripts/setup_llm.sh"
    return None


if (_reason := _missing()) is not None:
    pytest.skip(_reason, allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(url: str, timeout: float, payload: dict[str, Any] | None = None) -> Any:
    # A plain opener without proxy handlers: the request must go straight to 127.0.0.1.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with opener.open(request, timeout=timeout) as response:
        return json.loads(response.read())


@dataclass
class Server:
    base_url: str
    startup_seconds: float
    log: Path


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    port = _free_port()
    log = tmp_path_factory.mktemp("llm_server") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(GGUF), "--host", "127.0.0.1",
        "--port", str(port), "--n_ctx", "4096", "--n_threads", str(THREADS),
    ]
    started = time.perf_counter()
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    try:
        base_url = f"http://127.0.0.1:{port}/v1"
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama.cpp 服务启动失败（退出码 {process.returncode}）：\n{log.read_text()[-3000:]}")
            if time.perf_counter() - started > SERVER_START_TIMEOUT:
                pytest.fail(f"llama.cpp 服务 {SERVER_START_TIMEOUT:.0f} 秒内未就绪：\n{log.read_text()[-3000:]}")
            try:
                models = _request(f"{base_url}/models", timeout=2)
                if models.get("data"):
                    break
            except OSError:
                pass
            time.sleep(0.5)
        yield Server(base_url, time.perf_counter() - started, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _ask(question: str, server: Server, ws: Workspace) -> dict[str, Any]:
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "ZGT_LLM_BASE_URL": server.base_url,
        "ZGT_INDEX_DIR": str(ws.index_dir),
        "ZGT_DOCS_DIR": str(ws.settings.docs_dir),
    }
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", question, "--json", "--llm", "openai"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def _source_text(doc: str) -> str:
    [path] = list((PROJECT_ROOT / "docs_src").rglob(doc))
    return load_document(path).text


def test_cli_answers_with_citations_quoting_the_source_files(
    llm_server: Server, corpus_workspace: Workspace, record_property: Any
) -> None:
    answer = _ask(DEADLINE_Q, llm_server, corpus_workspace)

    record_property("cli_answer", answer)
    print(f"\nCLI answer ({GGUF.name}): {json.dumps(answer, ensure_ascii=False)[:3000]}")
    assert answer["mode"] == "llm"
    for citation in answer["citations"]:
        text = _source_text(citation["doc"])
        assert citation["quote"] in text
        assert text[citation["start"] : citation["end"]] == citation["quote"]
        assert f"[{citation['n']}]" in answer["answer"]
    if not answer["found"] and GGUF.name in WEAK_MODELS:
        pytest.xfail(f"{GGUF.name} 没有给出可核实的引用（删除：{answer['removed_citations']}）；"
                     "更可靠的是 1.5B 模型：scripts/setup_llm.sh 1.5b")
    assert answer["found"] is True, answer
    assert answer["citations"], answer
    assert any("个月" in c["quote"] or "工作日" in c["quote"] for c in answer["citations"])


def test_cli_refuses_an_unanswerable_question(llm_server: Server, corpus_workspace: Workspace) -> None:
    answer = _ask("处级干部办公用房的面积标准是多少平方米？", llm_server, corpus_workspace)

    assert answer["mode"] in {"llm", "extractive"}
    assert answer["found"] is False
    assert answer["citations"] == []
    assert answer["answer"].startswith("资料中未找到")


def _timed_stream(model: BaseChatModel, messages: list[BaseMessage], **kwargs: Any) -> tuple[float, float, str, int]:
    """(time to first token, total seconds, text, content chunks) of one streamed reply."""
    started = time.perf_counter()
    first = 0.0
    chunks: list[str] = []
    for piece in model.stream(messages, **kwargs):
        if piece.content:
            first = first or time.perf_counter() - started
            chunks.append(str(piece.content))
    return first, time.perf_counter() - started, "".join(chunks), len(chunks)


def test_time_to_first_token_and_generation_speed(
    llm_server: Server, corpus_workspace: Workspace, record_property: Any
) -> None:
    """A real answering prompt, streamed through the ``openai`` provider.

    Time to first token is measured on a question not asked before (only the system prompt can come
    from llama.cpp's prompt cache). Generation speed is measured by asking again (the prompt is then
    cached) with the end-of-turn tokens banned, so exactly ``GENERATE`` tokens are produced.
    """
    question = "学校食堂管理方面存在哪些问题，是怎么整改的？"
    generate = 128
    settings = Settings(llm_provider="openai", llm_base_url=llm_server.base_url, llm_max_tokens=generate)
    model = build_chat_model(settings)
    assert model is not None
    top_k = Answerer(corpus_workspace.searcher).top_k
    sources = [p.chunk for p in corpus_workspace.searcher.search(question, top_k)[:6]]
    messages: list[BaseMessage] = [
        SystemMessage(load_prompt("answer_system")),
        HumanMessage(load_prompt("answer_user").format(sources=format_sources(sources), question=question)),
    ]
    root = llm_server.base_url.removesuffix("/v1")
    prompt = "\n".join(str(m.content) for m in messages)
    prompt_tokens = _request(f"{root}/extras/tokenize/count", timeout=30, payload={"input": prompt})["count"]

    ttft, total, answer, _ = _timed_stream(model, messages)
    # Qwen2.5's <|endoftext|> and <|im_end|>: banned so that generation runs to max_tokens.
    no_eos = {"151643": -100, "151645": -100}
    warm_ttft, warm_total, _, generated = _timed_stream(model, messages, logit_bias=no_eos)

    metrics = {
        "model": GGUF.name,
        "threads": THREADS,
        "server_startup_s": round(llm_server.startup_seconds, 2),
        "prompt_tokens": prompt_tokens,  # without the chat template's few tokens
        "ttft_s": round(ttft, 2),
        "prompt_tokens_per_s": round(prompt_tokens / ttft, 1) if ttft else 0.0,
        "answer_total_s": round(total, 2),
        "cached_prompt_ttft_s": round(warm_ttft, 2),
        "generated_tokens": generated,  # llama.cpp's server sends one chunk per token
        "generation_tokens_per_s": round((generated - 1) / (warm_total - warm_ttft), 1) if generated > 1 else 0.0,
    }
    for key, value in metrics.items():
        record_property(key, value)
    print(f"\nLLM metrics: {json.dumps(metrics, ensure_ascii=False)}\nanswer: {answer!r}")
    assert ttft > 0 and generated > generate // 2


def test_in_process_llamacpp_provider_streams_and_serialises_concurrent_calls(record_property: Any) -> None:
    """The ``llamacpp`` provider: the GGUF loaded in this process, no server."""
    settings = Settings(llm_provider="llamacpp", llm_gguf_path=GGUF, llm_max_tokens=24, embedding_threads=THREADS)
    started = time.perf_counter()
    model = build_chat_model(settings)
    record_property("in_process_load_s", round(time.perf_counter() - started, 2))
    assert model is not None
    question = [HumanMessage("资料：被巡视党组织应当于2个月内报送整改情况报告。\n问题：整改情况报告应当在多长时间内报送？")]

    pieces = [str(chunk.content) for chunk in model.stream(question)]
    assert len([p for p in pieces if p]) > 1  # token by token
    assert "".join(pieces).strip()

    results: list[str] = []
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            results.append(str(model.invoke(question).content))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert errors == [] and len(results) == 2 and all(r.strip() for r in results)
