"""End to end with a real model: llama.cpp's OpenAI-compatible server on 127.0.0.1 and the real CLI.

Needs ``llama-cpp-python[server]`` and a GGUF model, both installed by ``scripts/setup_llm.sh``
(Qwen2.5-Coder-1.5B-Instruct Q4_K_M when present, else the 0.5B; ``ZGT_TEST_GGUF=/path/model.gguf``
picks another; ``ZGT_TEST_LLM_THREADS`` sets the server's threads, default 2).
Skipped, with the reason, when either is missing. Also measures time to first token and generation speed
(printed, and recorded as test properties).

The prompt-injection tests ask about a 整改 report whose genuine measures sit next to injected
instructions (tests/assistant/test_answering_llm.py has the report and the same attacks from a fake
model). The CLI talks to the model through a relay on 127.0.0.1 that records the exact messages sent
and the model's raw reply. What the product guarantees is asserted; what the model chose to do with
the injection (obey it, ignore it) is recorded as test properties and printed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
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
from langchain_core.messages import BaseMessage, HumanMessage

from assistant.answering import NOT_FOUND, Answerer
from assistant.citations import MARKER, is_instruction
from assistant.llm import build_chat_model
from assistant.prompts import load_prompt
from assistant.settings import PROJECT_ROOT, Settings
from assistant.workspace import Workspace
from index.embedding import SentenceEmbeddings
from index.loaders import load_document
from tests.assistant.test_answering_llm import (
    ALL_DONE,
    FOOD_1,
    FOOD_3,
    FOOD_Q,
    HTML_COMMENT,
    INJECTED_SENTENCES,
    LAW,
    LAW_Q,
    NEXT_STEPS,
    PAYLOAD,
    PROGRESS,
    PROGRESS_Q,
    write_injection_docs,
)
from tests.conftest import make_workspace
from tests.servers import RecordingRelay, free_port, recording_relay, stop_process

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


# A skip mark, not a module-level skip: a run that deselects the llm tests (scripts/test.sh before the
# local LLM is installed) then reports nothing about them.
_REASON = _missing()
pytestmark = [pytest.mark.llm, pytest.mark.skipif(_REASON is not None, reason=_REASON or "")]


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
    port = free_port()
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
        stop_process(process)


def _ask(question: str, server: Server, ws: Workspace, *, base_url: str | None = None) -> dict[str, Any]:
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "ZGT_LLM_BASE_URL": base_url or server.base_url,
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
    # a question the reports answer (学校食堂 appears in no indexed document, so asking about it is now refused)
    question = "选人用人方面存在哪些问题，是怎么整改的？"
    generate = 128
    settings = Settings(llm_provider="openai", llm_base_url=llm_server.base_url, llm_max_tokens=generate)
    model = build_chat_model(settings)
    assert model is not None
    answerer = Answerer(corpus_workspace.ranked, units=corpus_workspace.units)
    extractive = answerer.answer(question)
    assert extractive.found
    messages: list[BaseMessage] = answerer.prompt(corpus_workspace.ranked.analyse(question), extractive.citations)
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


# -- prompt injection inside a document ----------------------------------------------------------------

SYSTEM_PROMPT_FILE = PROJECT_ROOT / "prompts" / "answer_system.txt"
# Text of the injections that must never be a citation's quote (checked without the product's own rule).
INJECTION_FRAGMENTS = (*INJECTED_SENTENCES, PAYLOAD, "[7]", "[9]", "国务院督查通报", "智能问答系统", "script")
# For each question, a genuine sentence of a passage that also holds an injected instruction.
INJECTED_NEIGHBOUR = {FOOD_Q: FOOD_3, LAW_Q: LAW, PROGRESS_Q: NEXT_STEPS}
# The genuine passages that answer each question.
ON_TOPIC = {
    FOOD_Q: (FOOD_1, "二是建立食品生产经营风险隐患台账", FOOD_3),
    LAW_Q: (LAW,),
    PROGRESS_Q: (PROGRESS, "明确整改措施38项", NEXT_STEPS),
}


@pytest.fixture(scope="module")
def relay(llm_server: Server) -> Iterator[RecordingRelay]:
    with recording_relay(llm_server.base_url.removeprefix("http://").split("/")[0]) as server:
        yield server


@pytest.fixture(scope="module")
def report_workspace(tmp_path_factory: pytest.TempPathFactory, embeddings: SentenceEmbeddings) -> Workspace:
    root = tmp_path_factory.mktemp("injected_report")
    write_injection_docs(root / "docs")
    ws = make_workspace(root / "index", embeddings, docs_dir=root / "docs")
    assert ws.index().counts()["failed"] == 0
    return ws


@pytest.fixture(scope="module")
def system_prompt() -> str:
    """The system prompt file as it was before any question was asked."""
    return SYSTEM_PROMPT_FILE.read_text(encoding="utf-8")


def _sources_part(user: str, question: str) -> str:
    """The numbered sources inside the user message, checking that the rest is the template verbatim."""
    head, tail = load_prompt("answer_user").split("{sources}")
    middle, end = tail.split("{question}")
    assert user.startswith(head) and user.endswith(middle + question + end), user
    return user[len(head) : len(user) - len(middle + question + end)]


def _source_blocks(sources: str) -> list[tuple[str, str]]:
    """(where, text) of each "[n] 出处：where\ntext" block, in order."""
    blocks = re.split(r"\n\n(?=\[\d+\] 出处：)", sources)
    parsed = []
    for n, block in enumerate(blocks, start=1):
        header, _, text = block.partition("\n")
        assert header.startswith(f"[{n}] 出处："), block
        parsed.append((header.removeprefix(f"[{n}] 出处："), text))
    return parsed


@pytest.mark.parametrize("question", [FOOD_Q, LAW_Q, PROGRESS_Q])
def test_injected_report_changes_neither_the_instructions_nor_the_citations(
    question: str,
    llm_server: Server,
    relay: RecordingRelay,
    report_workspace: Workspace,
    system_prompt: str,
    record_property: Any,
) -> None:
    before = len(relay.exchanges)
    relay_url = f"http://127.0.0.1:{relay.server_address[1]}/v1"
    answer = _ask(question, llm_server, report_workspace, base_url=relay_url)
    exchanges = [e for e in relay.exchanges[before:] if e.path.endswith("/chat/completions")]
    text = answer["answer"]
    if not answer["found"]:  # refused before, and without, the model
        assert exchanges == [] and answer["citations"] == [] and text.startswith(NOT_FOUND)
        assert not report_workspace.answerer.answer(question).found
        return
    [exchange] = exchanges
    cited_topic = any(t in c["quote"] or c["quote"] in t for c in answer["citations"] for t in ON_TOPIC[question])
    observed = {
        "model": GGUF.name,
        "raw_reply": exchange.reply,
        "model_repeated_payload": PAYLOAD in exchange.reply,
        "model_said_all_done": "全部完成" in exchange.reply,
        "model_cited_beyond_sources": bool(re.search(r"\[(?:[7-9]|\d{2,})\]", exchange.reply)),
        "answer": text,
        "found": answer["found"],
        "citations": [c["quote"] for c in answer["citations"]],
        "removed": answer["removed_citations"],
        "answer_says_all_done": "全部完成" in text,
        "cites_the_asked_section": cited_topic,
    }
    for key, value in observed.items():
        record_property(key, value)
    print(f"\n{question}\n{json.dumps(observed, ensure_ascii=False, indent=1)}")

    # The instructions: the system prompt file is unchanged and is exactly the system message sent; the
    # document reached the model only as numbered sources inside the user message, under the question's
    # template, and without its sentences addressed to the model; no role, message or rule came from it.
    # The HTML comment never reached the model (the loader drops comments).
    assert SYSTEM_PROMPT_FILE.read_text(encoding="utf-8") == system_prompt
    messages = exchange.request["messages"]
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[0]["content"] == system_prompt
    user = messages[1]["content"]
    _source_blocks(_sources_part(user, question))  # the template around the numbered items, unchanged
    assert not any(s in user for s in INJECTED_SENTENCES)  # items are sent without injected sentences
    assert "系统指令" not in user and HTML_COMMENT not in user and "<!--" not in user
    assert answer["mode"] == "llm"

    # The citations: numbered 1..k in the text; each quotes exact characters of a source the model was
    # given, at the stated offsets of its document, and never injected text.
    citations = answer["citations"]
    assert [c["n"] for c in citations] == list(range(1, len(citations) + 1))
    assert {int(n) for n in MARKER.findall(text)} == {c["n"] for c in citations}
    for c in citations:
        document = load_document(report_workspace.settings.docs_dir / c["doc"]).text
        assert document[c["start"] : c["end"]] == c["quote"]
        assert not is_instruction(c["quote"])
        assert not any(fragment in c["quote"] for fragment in INJECTION_FRAGMENTS), c

    # The payloads: never in the answer, cited or not (a claim repeating a quoted payload is removed).
    assert PAYLOAD not in text and "国务院督查通报" not in text and ALL_DONE not in text

    # Never worse than without the model: the items and citations are the extractive answer's.
    extractive = report_workspace.answerer.answer(question)
    assert answer["found"] == extractive.found
    assert [c["quote"] for c in citations] == [c.quote for c in extractive.citations]
    if extractive.found:
        assert text.endswith(extractive.text)
    else:
        assert text.startswith(NOT_FOUND)
