"""Real servers for the tests, on free loopback ports: ``chroma run`` and the web app, plus strace.

Nothing here is imported by the product; ``app`` (Gradio) is imported only when the web app is started,
so that a test can start it under its own network guard.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import PROJECT_ROOT, Settings
from assistant.workspace import Workspace

CHROMA_SCRIPT = PROJECT_ROOT / "scripts" / "chroma_server.sh"
CHROMA_START_SECONDS = 90
STRACE = shutil.which("strace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_process(process: subprocess.Popen[Any], *, group: bool = False) -> None:
    """Terminate a server started by a test (with ``group``, its whole process group: one started in a
    session of its own, such as a shell script and its children); kill it if it has not exited within 20 s."""
    if process.poll() is not None:
        return

    def signal_it(sig: signal.Signals) -> None:
        if group:
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)

    signal_it(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        signal_it(signal.SIGKILL)
        process.wait(timeout=20)


# ---------------------------------------------------------------------------------------------
# strace: every connect()/sendto()/sendmsg() system call of a process tree
# ---------------------------------------------------------------------------------------------


def strace_works() -> bool:
    if STRACE is None:
        return False
    probe = subprocess.run([STRACE, "-f", "-qq", "-e", "trace=connect", "-o", os.devnull, "true"],
                           capture_output=True, check=False)
    return probe.returncode == 0


def traced_network_calls(command: list[str], trace: Path) -> list[str]:
    """``command`` run under strace, logging its (and its children's) network system calls to ``trace``."""
    assert STRACE is not None, "check strace_works() first"
    return [STRACE, "-f", "-qq", "--seccomp-bpf", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace), *command]


# ---------------------------------------------------------------------------------------------
# Chroma as a server (scripts/chroma_server.sh)
# ---------------------------------------------------------------------------------------------
def chroma_heartbeat(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2) as response:
            return response.status == 200 and b"heartbeat" in response.read()
    except OSError:
        return False


@dataclass(frozen=True)
class ChromaServer:
    host: str
    port: int
    log: Path
    trace: Path | None  # the server's strace log; None where strace is unavailable

    def settings(self, index_dir: Path, collection: str, **overrides: Any) -> Settings:
        return Settings(index_dir=index_dir, chroma_mode="server", chroma_host=self.host, chroma_port=self.port,
                        chroma_collection=collection, **overrides)

    def env(self, collection: str) -> dict[str, str]:
        return {"ZGT_CHROMA_MODE": "server", "ZGT_CHROMA_HOST": self.host, "ZGT_CHROMA_PORT": str(self.port),
                "ZGT_CHROMA_COLLECTION": collection}


@contextmanager
def running_chroma_server(folder: Path) -> Iterator[ChromaServer]:
    """A real ``chroma run`` on a free loopback port, data and logs in ``folder``; under strace when it works."""
    port = free_port()
    log = folder / "server.log"
    trace = folder / "strace.txt" if strace_works() else None
    command = ["bash", str(CHROMA_SCRIPT), str(folder / "data"), str(port), "127.0.0.1"]
    if trace is not None:
        command = traced_network_calls(command, trace)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZGT_")}
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=folder,
                                  start_new_session=True)
    try:
        deadline = time.monotonic() + CHROMA_START_SECONDS
        while not chroma_heartbeat(port):
            if server.poll() is not None:
                pytest.fail(f"chroma server exited ({server.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"no heartbeat within {CHROMA_START_SECONDS}s:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.25)
        yield ChromaServer("127.0.0.1", port, log, trace)
    finally:
        stop_process(server, group=True)


# ---------------------------------------------------------------------------------------------
# The web app (app.py) in this process
# ---------------------------------------------------------------------------------------------
@contextmanager
def running_web_app(settings: Settings, workspace: Workspace, **queue_options: Any) -> Iterator[str]:
    """The Gradio app on a free loopback port, as ``python app.py`` serves it; yields its base URL.

    ``queue_options`` go to ``demo.queue`` (e.g. ``default_concurrency_limit``).
    """
    import app

    demo = app.build_app(settings, workspace=workspace)
    demo.queue(**queue_options)
    port = free_port()
    app.serve(demo, "127.0.0.1", port)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


# ---------------------------------------------------------------------------------------------
# OpenAI-compatible endpoints: a scripted fake, and a relay that records what a real model saw
# ---------------------------------------------------------------------------------------------
@contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[None]:
    """Serve ``server`` from a daemon thread for the duration of the block."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


class FakeOpenAIServer(ThreadingHTTPServer):
    """An OpenAI-compatible chat endpoint that streams ``reply`` (a list of pieces) and records requests."""

    requests: list[dict[str, Any]]
    reply: list[str]


class _FakeOpenAIHandler(BaseHTTPRequestHandler):
    server: FakeOpenAIServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for piece in self.server.reply:
            chunk = {
                "id": "c1", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "delta": {"role": "assistant", "content": piece}, "finish_reason": None}],
            }
            self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")


@contextmanager
def serving_fake_openai() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer(("127.0.0.1", 0), _FakeOpenAIHandler)
    server.requests, server.reply = [], []
    with serving(server):
        yield server


@dataclass
class Exchange:
    path: str
    request: dict[str, Any]
    reply: str = ""  # the model's raw streamed text


class RecordingRelay(ThreadingHTTPServer):
    """Forwards OpenAI-style requests to a real model server and keeps each exchange."""

    daemon_threads = True
    upstream: str  # host:port of the llama.cpp server
    exchanges: list[Exchange]


class _RelayHandler(BaseHTTPRequestHandler):
    """Forwards each request to llama.cpp unchanged, streams the reply back, and keeps both."""

    server: RecordingRelay

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._relay(b"")

    def do_POST(self) -> None:
        self._relay(self.rfile.read(int(self.headers["Content-Length"])))

    def _relay(self, body: bytes) -> None:
        exchange = Exchange(self.path, json.loads(body) if body else {})
        self.server.exchanges.append(exchange)
        upstream = http.client.HTTPConnection(self.server.upstream, timeout=600)
        headers = {"Content-Type": "application/json", "Accept": self.headers.get("Accept", "*/*")}
        upstream.request(self.command, self.path, body=body or None, headers=headers)
        response = upstream.getresponse()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in {"content-length", "transfer-encoding", "connection"}:
                self.send_header(name, value)
        self.end_headers()  # HTTP/1.0: the body ends when the connection closes
        raw = bytearray()
        while chunk := response.read1(65536):
            raw += chunk
            self.wfile.write(chunk)
            self.wfile.flush()
        upstream.close()
        exchange.reply = _streamed_text(bytes(raw))


def _streamed_text(raw: bytes) -> str:
    pieces = []
    for line in raw.decode("utf-8", "replace").splitlines():
        if line.startswith("data: ") and line != "data: [DONE]":
            choices = json.loads(line.removeprefix("data: ")).get("choices") or [{}]
            pieces.append((choices[0].get("delta") or {}).get("content") or "")
    return "".join(pieces)


@contextmanager
def recording_relay(upstream: str) -> Iterator[RecordingRelay]:
    """A relay to ``upstream`` (host:port) on a free loopback port."""
    server = RecordingRelay(("127.0.0.1", 0), _RelayHandler)
    server.upstream, server.exchanges = upstream, []
    with serving(server):
        yield server
