"""Provably offline: every way in (index, ask, measure check, web app, CLI) runs with a network guard
that records — and blocks — any attempt to reach or even resolve a host other than this machine.

Three layers:
- in this process: a ``sys.addaudithook`` on socket connect/sendto/getaddrinfo/gethostbyname, plus
  ``socket.socket.connect``/``connect_ex`` wrappers (what asyncio and httpx call);
- the CLI (``index``, ``ask``, ``search``, ``check``) in a subprocess with the same hook, started
  with none of the offline variables (HF_HUB_OFFLINE, GRADIO_ANALYTICS_ENABLED, …) set: the product
  must be offline by itself, not because the test script exported them;
- when ``strace`` is installed, that subprocess runs under it and every connect()/sendto() system
  call is checked too (this also covers native code: Chroma's Rust core, the encoder).
The browser-side check (no request leaves 127.0.0.1) is in tests/test_app.py.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import PROJECT_ROOT, Settings
from assistant.workspace import Workspace
from tests.servers import running_web_app, strace_works, traced_network_calls

DOCS = [
    PROJECT_ROOT / "docs_src" / "reports" / "教育局党组关于巡察组巡察反馈问题整改情况的通报.txt",
    PROJECT_ROOT / "docs_src" / "reports" / "关于XX专项审计报告的整改报告（匿名化模板）.md",
]
QUESTION = "保密工作是怎么整改的？"
MEASURE = "组织干部职工签订保密承诺书"
OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "GRADIO_ANALYTICS_ENABLED",
                     "ANONYMIZED_TELEMETRY")
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def is_loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    name = str(host).strip("[]").split("%")[0].lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False  # any other host name: resolving it is already a network lookup
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


# ---------------------------------------------------------------------------------------------
# The guard for this process
# ---------------------------------------------------------------------------------------------
class NetworkGuard:
    """Audit hooks cannot be removed: one hook is installed for the session and records while armed."""

    def __init__(self) -> None:
        self.armed = False
        self.attempts: list[str] = []
        self.loopback_seen = 0  # proof that the hook saw the traffic it let through
        self._lock = threading.Lock()

    def record(self, what: str) -> None:
        with self._lock:
            self.attempts.append(what)

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.armed or not event.startswith("socket."):
            return
        target = _audited_target(event, args)
        if target is None:
            return
        if is_loopback(target[0]):
            self.loopback_seen += 1
            return
        self.record(f"{event} {target!r}")
        raise ConnectionRefusedError(f"network blocked by test_offline: {event} {target!r}")


def _audited_target(event: str, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """(host, …) for events that reach or resolve a host; None for local sockets and other events."""
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        sock, address = args[0], args[-1]
        if getattr(sock, "family", None) in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
            return address
        return None
    if event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr"):
        return (args[0], *args[1:2]) if args and args[0] is not None else None
    return None


_GUARD = NetworkGuard()
sys.addaudithook(_GUARD.audit)


@contextmanager
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Arms the audit hook and wraps socket.connect/connect_ex; yields the list of blocked attempts."""
    original_connect, original_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
            _GUARD.record(f"socket.socket.connect {address!r}")
            raise ConnectionRefusedError(f"network blocked by test_offline: {address!r}")

    def connect(sock: socket.socket, address: Any) -> None:
        check(sock, address)
        original_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        check(sock, address)
        return original_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    _GUARD.attempts.clear()
    _GUARD.loopback_seen = 0
    _GUARD.armed = True
    try:
        yield _GUARD.attempts
    finally:
        _GUARD.armed = False


def test_the_guard_catches_what_it_must(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard itself: outside hosts are blocked and recorded, loopback passes."""
    with no_network(monkeypatch) as attempts:
        with pytest.raises(OSError):
            socket.getaddrinfo("huggingface.co", 443)
        with pytest.raises(OSError):
            socket.create_connection(("192.0.2.1", 443), timeout=1)  # TEST-NET-1, never routed
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, pytest.raises(OSError):
            udp.sendto(b"x", ("192.0.2.1", 53))
        socket.getaddrinfo("localhost", 80)
        socket.getaddrinfo("127.0.0.1", 80)
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen()
            socket.create_connection(server.getsockname(), timeout=1).close()
    assert len(attempts) >= 3
    assert all("localhost" not in a and "127.0.0.1" not in a for a in attempts)


# ---------------------------------------------------------------------------------------------
# In process: index, ask, measure check, the web app driven through gradio_client
# ---------------------------------------------------------------------------------------------
def copy_docs(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for doc in DOCS:
        shutil.copy(doc, folder / doc.name)
    return folder


def test_everything_in_process_stays_on_this_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = copy_docs(tmp_path / "docs")
    settings = Settings(index_dir=tmp_path / "index", docs_dir=docs, uploads_dir=tmp_path / "uploads",
                        trash_dir=tmp_path / "trash", history_dir=tmp_path / "history")
    with no_network(monkeypatch) as attempts:
        ws = Workspace(settings)  # its own encoder: loading the model is under the guard too
        report = ws.index()
        assert report.counts()["added"] == len(DOCS), report.summary()
        answer = ws.answerer.answer(QUESTION)
        assert answer.found and answer.citations
        try:
            from assistant.measures import check_measures
        except ImportError:  # pragma: no cover - the measure checker is optional here
            check_measures = None  # type: ignore[assignment]
        if check_measures is not None:
            assert check_measures(ws, [MEASURE])[0].verdict == "exists"

        from gradio_client import Client

        with running_web_app(settings, ws) as url:  # imports app (Gradio) here, under the guard
            client = Client(url, verbose=False)
            _, cards, plain, _ = client.predict(QUESTION, [], [], [], "抽取式", api_name="/ask")
            assert "source-card" in cards and "[1]" in plain
            table, _, _ = client.predict(MEASURE, None, api_name="/check")
            assert table["data"][0][2] == "已有"
            status, *_ = client.predict(api_name="/reindex")
            assert "未变 2" in status
    assert attempts == [], "network attempts: " + "; ".join(attempts)
    assert _GUARD.loopback_seen > 0, "the guard saw no traffic at all: is it really installed?"


# ---------------------------------------------------------------------------------------------
# The CLI in a subprocess: no offline variables set, audit hook, and strace when available
# ---------------------------------------------------------------------------------------------
RUNNER = r'''
"""Installs the network guard, then runs CLI commands (each argument: a JSON list of CLI arguments)."""
import ipaddress, json, socket, sys

LOG = sys.argv[1]
NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def loopback(host):
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    name = str(host).strip("[]").split("%")[0].lower()
    if name in NAMES:
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def hook(event, args):
    if not event.startswith("socket."):
        return
    target = None
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        sock, address = args[0], args[-1]
        if getattr(sock, "family", None) in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
            target = address
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr"):
        if args and args[0] is not None:
            target = (args[0],)
    if target is not None and not loopback(target[0]):
        with open(LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps({"event": event, "target": repr(target)}) + "\n")
        raise ConnectionRefusedError("network blocked: %s %r" % (event, target))


sys.addaudithook(hook)
sys.path.insert(0, sys.argv[2])
from assistant.cli import main  # noqa: E402

for command in sys.argv[3:]:
    code = main(json.loads(command))
    print("=== exit", code, flush=True)
    if code:
        sys.exit(code)
'''


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OFFLINE_VARIABLES and not k.startswith("ZGT_")}
    return env | extra


_INET = re.compile(r'sa_family=AF_INET6?, .*?(?:inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"\))')


def strace_outside_connections(trace: Path) -> list[str]:
    """connect()/sendto() system calls to an address other than loopback, from an strace log."""
    outside = []
    for line in trace.read_text(encoding="utf-8", errors="replace").splitlines():
        if not re.search(r"\b(connect|sendto|sendmsg)\(", line):
            continue
        match = _INET.search(line)
        if match and not is_loopback(match.group(1) or match.group(2)):
            outside.append(line.strip())
    return outside


def test_cli_in_a_subprocess_stays_on_this_machine(tmp_path: Path) -> None:
    from tests.index.scans import image_bytes, render_page

    docs = copy_docs(tmp_path / "docs")
    # A scanned page: the OCR engine (its models inside the wheel) runs under the guard as well.
    (docs / "扫描件.png").write_bytes(image_bytes(render_page(["一是开展离线文字识别演练。"], size_mm=(148, 40))))
    log = tmp_path / "network.jsonl"
    runner = tmp_path / "runner.py"
    runner.write_text(RUNNER, encoding="utf-8")
    commands = [
        ["index", str(docs), "--quiet"],
        ["ask", QUESTION, "--json"],
        ["search", "保密承诺书", "-k", "3", "--json"],
        ["check", MEASURE, "--json"],
        ["search", "离线文字识别演练", "-k", "1", "--json"],
    ]
    command = [sys.executable, str(runner), str(log), str(PROJECT_ROOT), *map(json.dumps, commands)]
    trace = tmp_path / "strace.txt"
    traced = strace_works()
    if traced:
        command = traced_network_calls(command, trace)
    env = clean_env(ZGT_INDEX_DIR=str(tmp_path / "index"), ZGT_DOCS_DIR=str(docs), HOME=str(tmp_path / "home"))
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert done.stdout.count("=== exit 0") == len(commands)
    assert "保密" in done.stdout  # the answer, the passages and the check were really produced
    assert '"doc": "扫描件.png"' in done.stdout and "一是开展离线文字识别演练。" in done.stdout
    assert not log.exists(), "network attempts (Python): " + log.read_text(encoding="utf-8")
    if traced:
        outside = strace_outside_connections(trace)
        assert outside == [], "network system calls:\n" + "\n".join(outside[:20])
    else:
        print("strace unavailable: the Python-level guard passed, system calls were not checked")


@pytest.mark.skipif(not strace_works(), reason="strace is not installed or not permitted here")
def test_strace_check_sees_a_real_outside_connect(tmp_path: Path) -> None:
    """The strace layer itself: an unguarded connect to an outside address is found in the log."""
    trace = tmp_path / "strace.txt"
    script = ("import socket\ntry:\n    socket.create_connection(('192.0.2.1', 443), timeout=0.2)\n"
              "except OSError:\n    pass\nsocket.socket().connect_ex(('127.0.0.1', 9))\n")
    subprocess.run(traced_network_calls([sys.executable, "-c", script], trace), check=True, timeout=60)
    outside = strace_outside_connections(trace)
    assert len(outside) == 1 and "192.0.2.1" in outside[0]
    assert "127.0.0.1" in trace.read_text()
