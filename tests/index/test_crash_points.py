"""kill -9 at every write point of the indexer (embedded Chroma and a ``chroma run`` server): the
next run must leave exactly what a clean build leaves.

Crash points: the indexer runs in a child process (forked from a ``python -c`` helper that has done the
slow imports once) whose wrapper replaces one method
(``SentenceEmbeddings.embed_array``, Chroma's ``Collection.upsert``, ``VectorStore.add``,
``LexicalStore.replace_document``/``delete_document``, ``Manifest.mark_ok``) by one that SIGKILLs the
process on its Nth call, before or after the real work — the product code carries no test hook. The
next run must leave exactly what a clean build leaves: the same chunk ids and texts in the lexical
store, the same vector ids and texts in Chroma, the same counts, the same manifest.
The server variants run against a real server started as in test_chroma_server.py (tests/servers.py).
"""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import PROJECT_ROOT, Settings
from assistant.workspace import Workspace
from index.embedding import SentenceEmbeddings
from tests.index.documents import numbered_report, write_numbered_reports
from tests.index.store_state import StoreState, store_state
from tests.servers import ChromaServer, running_chroma_server

SUBPROCESS_TIMEOUT = 300


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    with running_chroma_server(tmp_path_factory.mktemp("chroma-server")) as server:
        yield server


def assert_same_as_clean(repaired: StoreState, clean: StoreState) -> None:
    assert repaired.lexical == clean.lexical  # same chunk ids and texts: nothing missing, nothing orphaned
    assert repaired.vectors == clean.vectors  # same vector ids and texts in Chroma
    assert repaired.vector_count == repaired.lexical_count == len(clean.lexical) == clean.vector_count  # no dupes
    assert repaired.manifest == clean.manifest
    assert all(status == "ok" for _, status, _ in repaired.manifest)


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
        # A selector, not select.select: the test process may hold more than 1024 descriptors by now.
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            ready = selector.select(SUBPROCESS_TIMEOUT)
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
    server_target: str = ""  # the same write point against a Chroma server, where it differs


CRASH_POINTS = [
    CrashPoint("embedding", "index.embedding:SentenceEmbeddings.embed_array", "before", 3),
    # 6 chunks per document, 2 per upsert: the 5th upsert leaves the 2nd document with 4 of its 6 vectors.
    CrashPoint("chroma-upsert-midway", "chromadb.api.models.Collection:Collection.upsert", "after", 5,
               write_batch=2),
    CrashPoint("chroma-written-lexical-not", "index.store:VectorStore.add", "after", 3),
    CrashPoint("lexical-written", "index.lexical:LexicalStore.replace_document", "after", 3),
    CrashPoint("manifest-update", "index.manifest:Manifest.mark_ok", "before", 3),
    CrashPoint("update-chroma-written", "index.store:VectorStore.add", "after", 2, phase="update"),
    CrashPoint("purge-of-deleted-file", "index.lexical:LexicalStore.delete_document", "before", 1, phase="purge",
               server_target="index.replica:RemoteDocuments.delete_document"),
]
SERVER_CRASH_POINTS = {"chroma-upsert-midway", "manifest-update", "purge-of-deleted-file"}


def index_env(index_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"ZGT_INDEX_DIR": str(index_dir)} | (extra or {})


def pending_rows(index_dir: Path) -> int:
    """Pending manifest rows in every build of the index (the writer's manifests, both modes)."""
    import sqlite3

    count = 0
    for manifest in index_dir.glob("builds/*/manifest.sqlite"):
        with sqlite3.connect(f"file:{manifest}?mode=ro", uri=True) as db:
            count += int(db.execute("SELECT COUNT(*) FROM files WHERE status = 'pending'").fetchone()[0])
    return count


def crash_params() -> list[Any]:
    params = [pytest.param("embedded", p, id=f"embedded-{p.name}") for p in CRASH_POINTS]
    params += [pytest.param("server", replace(p, target=p.server_target or p.target), id=f"server-{p.name}")
               for p in CRASH_POINTS if p.name in SERVER_CRASH_POINTS]
    return params


@pytest.mark.parametrize(("mode", "point"), crash_params())
def test_kill_at_a_write_point_is_repaired_by_the_next_run(
    mode: str, point: CrashPoint, tmp_path: Path, embeddings: SentenceEmbeddings, indexer_host: IndexerHost,
    request: pytest.FixtureRequest,
) -> None:
    docs = write_numbered_reports(tmp_path / "docs")
    index_dir = tmp_path / "index"
    server: ChromaServer | None = request.getfixturevalue("chroma_server") if mode == "server" else None
    collection = re.sub(r"[^a-z0-9-]", "-", f"crash-{point.name}")[:60]
    extra = server.env(collection) if server else None
    argv = ["index", str(docs), "--quiet"]

    if point.phase != "build":  # a complete index first, then the change the killed run was applying
        assert indexer_host.run(argv, index_env(index_dir, extra)) == {"signal": 0, "code": 0}
        if point.phase == "update":
            for i in (1, 3, 4):
                (docs / f"报告{i:02d}.txt").write_text(numbered_report(i, revised=True), encoding="utf-8")
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


# ---------------------------------------------------------------------------------------------
# kill -9 of a rebuild midway: the app keeps answering from the old build; the next run finishes
# ---------------------------------------------------------------------------------------------
AUDIT_QUESTION = "第2号内部审计多久开展一次？"


def test_kill_9_of_a_rebuild_keeps_the_old_build_serving(
    tmp_path: Path, embeddings: SentenceEmbeddings, indexer_host: IndexerHost
) -> None:
    from gradio_client import Client

    from assistant.views import answer_text
    from tests.servers import running_web_app

    docs = write_numbered_reports(tmp_path / "docs")
    index_dir = tmp_path / "index"
    ws = Workspace(Settings(index_dir=index_dir, uploads_dir=tmp_path / "uploads", trash_dir=tmp_path / "trash"),
                   embeddings=embeddings)
    ws.index([docs])
    old = ws.generation
    # What the rebuild would change: report 02 loses its audit measure.
    (docs / "报告02.txt").write_text(numbered_report(2, revised=True), encoding="utf-8")
    argv = ["index", str(docs), "--rebuild", "--quiet"]

    with running_web_app(ws.settings, ws) as url:
        client = Client(url, verbose=False)

        def ask() -> str:
            return str(client.predict(AUDIT_QUESTION, [], [], [], "抽取式", api_name="/ask")[2])

        before = ask()
        assert "每季度开展一次第2号内部审计" in before
        killed = indexer_host.run(argv, index_env(index_dir), CrashPoint("rebuild", "index.manifest:Manifest.mark_ok",
                                                                          "before", 4))
        assert killed["signal"] == signal.SIGKILL
        pointer = ws.storage.current()
        assert (pointer.build, pointer.number) == (old.build, old.number) and pointer.next
        assert ws.storage.builds() == {old.build, pointer.next}  # the half-written build beside the old one
        assert ask() == before  # still answered from the old build

        assert indexer_host.run(argv, index_env(index_dir)) == {"signal": 0, "code": 0}
        current = ws.storage.current()
        assert current.build not in (old.build, pointer.next) and current.previous == old.build
        assert pointer.next not in ws.storage.builds()  # the killed run's leftovers are gone
        after = ask()

    clean = Workspace(Settings(index_dir=tmp_path / "clean"), embeddings=embeddings)
    clean.index([docs])
    assert_same_as_clean(store_state(ws), store_state(clean))
    assert after != before and after == answer_text(clean.answerer.answer(AUDIT_QUESTION))
