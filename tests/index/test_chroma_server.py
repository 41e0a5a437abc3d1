"""Chroma as a server, and kill -9 at every write point of the indexer (embedded and server).

A real ``chroma run`` server is started through scripts/chroma_server.sh on a free loopback port; the
product reaches it through configuration only (``ZGT_CHROMA_MODE=server`` …). With strace available
the server runs under it and must make no outside connection (telemetry off).

Crash points: the indexer runs in a child process (forked from a ``python -c`` helper that has done the
slow imports once) whose wrapper replaces one method
(``SentenceEmbeddings.embed_array``, Chroma's ``Collection.upsert``, ``VectorStore.add``,
``LexicalStore.replace_document``/``delete_document``, ``Manifest.mark_ok``) by one that SIGKILLs the
process on its Nth call, before or after the real work — the product code carries no test hook. The
next run must leave exactly what a clean build leaves: the same chunk ids and texts in the lexical
store, the same vector ids and texts in Chroma, the same counts, the same manifest.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import PROJECT_ROOT, Settings
from assistant.workspace import Workspace
from index.embedding import SentenceEmbeddings

SCRIPT = PROJECT_ROOT / "scripts" / "chroma_server.sh"
STRACE = shutil.which("strace")
SERVER_START_SECONDS = 90
SUBPROCESS_TIMEOUT = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def strace_works() -> bool:
    if STRACE is None:
        return False
    probe = subprocess.run([STRACE, "-f", "-qq", "-e", "trace=connect", "-o", os.devnull, "true"],
                           capture_output=True, check=False)
    return probe.returncode == 0


def heartbeat(port: int) -> bool:
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
    trace: Path | None

    def settings(self, index_dir: Path, collection: str, **overrides: Any) -> Settings:
        return Settings(index_dir=index_dir, chroma_mode="server", chroma_host=self.host, chroma_port=self.port,
                        chroma_collection=collection, **overrides)

    def env(self, collection: str) -> dict[str, str]:
        return {"ZGT_CHROMA_MODE": "server", "ZGT_CHROMA_HOST": self.host, "ZGT_CHROMA_PORT": str(self.port),
                "ZGT_CHROMA_COLLECTION": collection}


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    folder = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    log = folder / "server.log"
    trace = folder / "strace.txt" if strace_works() else None
    command = ["bash", str(SCRIPT), str(folder / "data"), str(port), "127.0.0.1"]
    if trace is not None:
        assert STRACE is not None
        command = [STRACE, "-f", "-qq", "--seccomp-bpf", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace),
                   *command]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZGT_")}
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=folder,
                                  start_new_session=True)
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not heartbeat(port):
            if server.poll() is not None:
                pytest.fail(f"chroma server exited ({server.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"no heartbeat within {SERVER_START_SECONDS}s:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.25)
        yield ChromaServer("127.0.0.1", port, log, trace)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=20)


# ---------------------------------------------------------------------------------------------
# Documents and store state
# ---------------------------------------------------------------------------------------------
def report(i: int, revised: bool = False) -> str:
    """Six chunks; the revised version has five (a stale sixth chunk would be an orphan)."""
    audit = "" if revised else f"三是每季度开展一次第{i}号内部审计。"
    return (
        f"第{i}号整改报告{'（修订）' if revised else ''}\n"
        f"一、加强财务管理\n（一）制度建设。一是修订第{i}号机关财务管理制度，规范报账审批程序。"
        f"二是清理第{i}号往来款项挂账。{audit}\n"
        f"二、加强保密管理\n（一）保密教育。一是组织第{i}批干部职工签订保密承诺书。二是开展第{i}轮保密自查。\n"
    )


def write_docs(folder: Path, count: int = 6) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"报告{i:02d}.txt").write_text(report(i), encoding="utf-8")
    return folder


@dataclass(frozen=True)
class StoreState:
    lexical: list[tuple[str, str]]  # (chunk id, text)
    vectors: list[tuple[str, str]]  # (vector id, stored document text)
    vector_count: int
    lexical_count: int
    manifest: list[tuple[str, str, int]]  # (file name, status, chunks)


def store_state(ws: Workspace) -> StoreState:
    got = ws.vectors.collection.get(include=["documents"])
    return StoreState(
        lexical=sorted((e.chunk.id, e.chunk.text) for e in ws.lexical.entries()),
        vectors=sorted(zip(got["ids"], got["documents"] or [], strict=True)),
        vector_count=ws.vectors.count(),
        lexical_count=ws.lexical.count(),
        manifest=sorted((Path(r.source).name, r.status, r.chunks) for r in ws.manifest.records()),
    )


def assert_same_as_clean(repaired: StoreState, clean: StoreState) -> None:
    assert repaired.lexical == clean.lexical  # same chunk ids and texts: nothing missing, nothing orphaned
    assert repaired.vectors == clean.vectors  # same vector ids and texts in Chroma
    assert repaired.vector_count == repaired.lexical_count == len(clean.lexical) == clean.vector_count  # no dupes
    assert repaired.manifest == clean.manifest
    assert all(status == "ok" for _, status, _ in repaired.manifest)


# ---------------------------------------------------------------------------------------------
# The server: index, search, ask, incremental re-index, deleted file purged — configuration only
# ---------------------------------------------------------------------------------------------
def test_index_search_and_ask_against_a_chroma_server(
    chroma_server: ChromaServer, embeddings: SentenceEmbeddings, tmp_path: Path
) -> None:
    import chromadb

    docs = write_docs(tmp_path / "docs", count=3)
    settings = chroma_server.settings(tmp_path / "index", "flow", docs_dir=docs)
    ws = Workspace(settings, embeddings=embeddings)

    first = ws.index()
    assert first.counts()["added"] == 3, first.summary()
    assert ws.vectors.count() == ws.lexical.count() == first.chunks_written > 0
    assert not (tmp_path / "index" / "chroma").exists(), "server mode must not write an embedded Chroma folder"
    remote = chromadb.HttpClient(host=chroma_server.host, port=chroma_server.port)
    assert remote.get_collection("flow").count() == first.chunks_written  # the vectors live on the server

    hits = ws.searcher.search("第1号往来款项挂账", k=3)
    assert hits and hits[0].chunk.doc == "报告01.txt"
    answer = ws.answerer.answer("第2批干部职工签订了什么？")
    assert answer.found and answer.citations[0].chunk.doc == "报告02.txt"
    assert "保密承诺书" in answer.citations[0].quote

    # Incremental: one file changed, one deleted, one untouched.
    (docs / "报告00.txt").write_text(report(0).replace("往来款项挂账", "长期闲置资产"), encoding="utf-8")
    (docs / "报告01.txt").unlink()
    again = ws.index()
    assert again.counts() == {"added": 0, "updated": 1, "unchanged": 1, "removed": 1, "failed": 0}, again.summary()
    assert all(h.chunk.doc != "报告01.txt" for h in ws.searcher.search("第1号往来款项挂账", k=10))
    assert remote.get_collection("flow").get(where={"doc": "报告01.txt"}, include=[])["ids"] == []
    texts = " ".join(e.chunk.text for e in ws.lexical.entries())
    assert "第0号长期闲置资产" in texts and "第0号往来款项挂账" not in texts
    assert ws.vectors.count() == ws.lexical.count() == remote.get_collection("flow").count()

    # A second client (another process, say the web app) sees the same data through the server.
    other = Workspace(chroma_server.settings(tmp_path / "index", "flow"), embeddings=embeddings)
    assert store_state(other) == store_state(ws)


def test_chroma_server_stays_on_this_machine(chroma_server: ChromaServer) -> None:
    """The server only talks to loopback clients (no telemetry); checked on its system calls."""
    if chroma_server.trace is None:
        pytest.skip("strace is not installed or not permitted here")
    assert heartbeat(chroma_server.port)
    outside = []
    for line in chroma_server.trace.read_text(errors="replace").splitlines():
        match = re.search(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"\)', line)
        if match and not ipaddress.ip_address(match.group(1) or match.group(2)).is_loopback:
            outside.append(line)
    assert outside == [], "\n".join(outside[:20])


# ---------------------------------------------------------------------------------------------
# kill -9 at each write point, then repair, compared with a clean build
# ---------------------------------------------------------------------------------------------
# The indexer runs in processes forked from one helper process that has already imported the product
# (importing torch and sentence-transformers takes ~10 s; each run then costs only its own work). Each
# job is one CLI run in a fresh child; with a target, that child replaces target by a wrapper that
# SIGKILLs the child on the Nth call. The helper never opens an index itself.
INDEXER_HOST = r"""
import json, os, sys, traceback

sys.path.insert(0, os.getcwd())
import assistant.cli, chromadb.api.models.Collection, index.embedding, index.lexical, index.manifest, index.store
import importlib


def kill_on_nth_call(target, when, nth):
    module_name, _, attribute = target.partition(":")
    owner_name, _, method_name = attribute.rpartition(".")
    owner = getattr(importlib.import_module(module_name), owner_name)
    original = getattr(owner, method_name)
    calls = [0]

    def wrapper(*args, **kwargs):
        calls[0] += 1
        if calls[0] == nth and when == "before":
            os.kill(os.getpid(), 9)
        result = original(*args, **kwargs)
        if calls[0] == nth and when == "after":
            os.kill(os.getpid(), 9)
        return result

    setattr(owner, method_name, wrapper)


for line in sys.stdin:
    job = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 99
        try:
            log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.environ.update(job["env"])
            if job.get("write_batch"):  # several Chroma upserts per document: a kill can land between them
                index.store._WRITE_BATCH = job["write_batch"]
            if job.get("target"):
                kill_on_nth_call(job["target"], job["when"], job["nth"])
            code = assistant.cli.main(job["argv"])
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    signal = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    print(json.dumps({"signal": signal, "code": code}), flush=True)
"""


class IndexerHost:
    def __init__(self, log: Path) -> None:
        self.log = log
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZGT_")} | {"HF_HUB_OFFLINE": "1"}
        self.process = subprocess.Popen([sys.executable, "-c", INDEXER_HOST], cwd=PROJECT_ROOT, env=env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)

    def run(self, argv: list[str], env: dict[str, str], point: CrashPoint | None = None) -> dict[str, Any]:
        """One CLI run in a fresh child; returns {"signal": n, "code": n}."""
        job: dict[str, Any] = {"argv": argv, "env": env, "log": str(self.log)}
        if point is not None:
            job |= {"target": point.target, "when": point.when, "nth": point.nth, "write_batch": point.write_batch}
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], SUBPROCESS_TIMEOUT)
        assert ready, f"indexer run timed out:\n{self.log.read_text(errors='replace')[-3000:]}"
        line = self.process.stdout.readline()
        assert line, f"indexer host died:\n{self.log.read_text(errors='replace')[-3000:]}"
        return dict(json.loads(line))

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def indexer_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexerHost]:
    host = IndexerHost(tmp_path_factory.mktemp("indexer-host") / "runs.log")
    try:
        yield host
    finally:
        host.close()


@dataclass(frozen=True)
class CrashPoint:
    name: str
    target: str  # module:Class.method replaced by the killing wrapper
    when: str  # "before" or "after" the real call
    nth: int
    phase: str = "build"  # build: first index run; update: files changed; purge: files deleted
    write_batch: int | None = None


CRASH_POINTS = [
    CrashPoint("embedding", "index.embedding:SentenceEmbeddings.embed_array", "before", 3),
    # 6 chunks per document, 2 per upsert: the 5th upsert leaves the 2nd document with 4 of its 6 vectors.
    CrashPoint("chroma-upsert-midway", "chromadb.api.models.Collection:Collection.upsert", "after", 5,
               write_batch=2),
    CrashPoint("chroma-written-lexical-not", "index.store:VectorStore.add", "after", 3),
    CrashPoint("lexical-written", "index.lexical:LexicalStore.replace_document", "after", 3),
    CrashPoint("manifest-update", "index.manifest:Manifest.mark_ok", "before", 3),
    CrashPoint("update-chroma-written", "index.store:VectorStore.add", "after", 2, phase="update"),
    CrashPoint("purge-of-deleted-file", "index.lexical:LexicalStore.delete_document", "before", 1, phase="purge"),
]
SERVER_CRASH_POINTS = {"chroma-upsert-midway", "manifest-update", "purge-of-deleted-file"}


def index_env(index_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"ZGT_INDEX_DIR": str(index_dir)} | (extra or {})


def pending_rows(index_dir: Path) -> int:
    import sqlite3

    with sqlite3.connect(f"file:{index_dir / 'manifest.sqlite'}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT COUNT(*) FROM files WHERE status = 'pending'").fetchone()[0])


def crash_params() -> list[Any]:
    params = [pytest.param("embedded", p, id=f"embedded-{p.name}") for p in CRASH_POINTS]
    params += [pytest.param("server", p, id=f"server-{p.name}") for p in CRASH_POINTS if p.name in SERVER_CRASH_POINTS]
    return params


@pytest.mark.parametrize(("mode", "point"), crash_params())
def test_kill_at_a_write_point_is_repaired_by_the_next_run(
    mode: str, point: CrashPoint, tmp_path: Path, embeddings: SentenceEmbeddings, indexer_host: IndexerHost,
    request: pytest.FixtureRequest,
) -> None:
    docs = write_docs(tmp_path / "docs")
    index_dir = tmp_path / "index"
    server: ChromaServer | None = request.getfixturevalue("chroma_server") if mode == "server" else None
    collection = re.sub(r"[^a-z0-9-]", "-", f"crash-{point.name}")[:60]
    extra = server.env(collection) if server else None
    argv = ["index", str(docs), "--quiet"]

    if point.phase != "build":  # a complete index first, then the change the killed run was applying
        assert indexer_host.run(argv, index_env(index_dir, extra)) == {"signal": 0, "code": 0}
        if point.phase == "update":
            for i in (1, 3, 4):
                (docs / f"报告{i:02d}.txt").write_text(report(i, revised=True), encoding="utf-8")
        else:
            for i in (2, 5):
                (docs / f"报告{i:02d}.txt").unlink()

    outcome = indexer_host.run(argv, index_env(index_dir, extra), point)
    assert outcome["signal"] == signal.SIGKILL, f"{point.name}: the indexer was not killed: {outcome}"
    assert pending_rows(index_dir) >= 1, "the kill should leave a document half-written"

    def workspace(folder: Path, name: str) -> Workspace:
        if server:
            return Workspace(server.settings(folder, name), embeddings=embeddings)
        return Workspace(Settings(index_dir=folder), embeddings=embeddings)

    repaired_ws = workspace(index_dir, collection)  # first time this process opens that index
    repair = repaired_ws.index([docs])
    assert repair.repaired >= 1 and repair.counts()["failed"] == 0, repair.summary()
    clean_ws = workspace(tmp_path / "clean", f"{collection}-clean"[:63])
    clean_ws.index([docs])
    assert_same_as_clean(store_state(repaired_ws), store_state(clean_ws))
    # And the repaired index answers from the current files only.
    hit = repaired_ws.searcher.search("第3号往来款项挂账", k=1)[0]
    assert hit.chunk.doc == "报告03.txt"
    if point.phase == "purge":
        assert all(h.chunk.doc not in ("报告02.txt", "报告05.txt") for h in repaired_ws.searcher.search("报告", k=50))
