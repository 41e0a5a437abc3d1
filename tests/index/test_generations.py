"""One writer at a time, readers that follow the pointer, rebuilds beside the current build, leftovers of
failed runs, and the upgrade of an index written before builds existed (pipeline version 5).

In-process, on real stores; the tests that need several real processes (a web app serving while
another process rebuilds, two ``index`` commands at once, kill -9 of a rebuild, two app replicas on one
Chroma server) are in tests/test_index_processes.py and tests/index/test_crash_points.py.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

import index.pipeline
from assistant.settings import PROJECT_ROOT
from assistant.views import answer_text
from assistant.workspace import Workspace
from index.embedding import SentenceEmbeddings
from index.generation import LEGACY_BUILD, Generation, IndexUnavailable
from index.lexical import LexicalStore
from index.lock import IndexBusy, waiting_message, writer_active, writer_lock
from index.manifest import Manifest
from index.pipeline import BuildWriter
from index.storage import WriterStores
from index.store import VectorStore, open_client
from tests.conftest import make_workspace
from tests.index.documents import numbered_report, write_numbered_reports

BOTH = "一、加强保密管理\n（一）保密教育。一是组织干部职工签订保密承诺书。二是开展保密自查。\n"
QUESTION = "第2批干部职工签订了什么？"


# ---------------------------------------------------------------------------------------------
# The writer lock
# ---------------------------------------------------------------------------------------------
def test_a_second_writer_waits_with_a_message_or_refuses(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with writer_lock(folder):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    assert held.wait(10)
    with pytest.raises(IndexBusy) as refused, writer_lock(folder, wait=False):
        pass
    assert "另一个索引任务正在进行" in str(refused.value) and f"进程 {os.getpid()}" in str(refused.value)

    notices: list[int] = []
    threading.Timer(1.0, release.set).start()
    started = time.monotonic()
    with writer_lock(folder, on_wait=notices.append):
        waited = time.monotonic() - started
    thread.join(10)
    assert waited >= 0.9 and notices and notices[0] == 0
    assert waiting_message(7) == "另一个索引任务正在进行，已等待 7 秒…"


def test_a_killed_writer_leaves_no_lock_behind(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from index.lock import writer_lock\n"
         "with writer_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(120)", str(folder)],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    assert writer_active(folder)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(10)
    assert not writer_active(folder)
    with writer_lock(folder, wait=False):
        assert writer_active(folder)


# ---------------------------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------------------------
def test_no_index_yet_is_said_in_chinese(workspace: Workspace) -> None:
    with pytest.raises(IndexUnavailable, match="还没有建立索引"):
        workspace.answerer.answer(QUESTION)
    workspace.storage.publish(Generation(next="20990101000000-abcdef"))  # a first build under way
    with writer_lock(workspace.index_dir), pytest.raises(IndexUnavailable, match="正在首次建立"):
        workspace.searcher.search(QUESTION)
    # The same pointer with no writer running: the first build was interrupted, not under way.
    with pytest.raises(IndexUnavailable, match="还没有建立索引"):
        workspace.searcher.search(QUESTION)


def test_a_reader_follows_what_another_workspace_writes(tmp_path: Path, embeddings: SentenceEmbeddings) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "报告01.txt").write_text(numbered_report(1), encoding="utf-8")
    writer = make_workspace(tmp_path / "index", embeddings)
    reader = make_workspace(tmp_path / "index", embeddings)
    writer.index([docs])
    before = reader.generation
    assert all(h.chunk.doc == "报告01.txt" for h in reader.searcher.search("签订保密承诺书", k=5))

    (docs / "报告02.txt").write_text(numbered_report(2), encoding="utf-8")
    writer.index([docs])
    after = reader.generation
    assert (after.build, after.number) == (before.build, before.number + 1)
    # Both sides see the new document: BM25, and the dense side, whose HNSW graph a stale Chroma client
    # would not reload (it would keep returning only 报告01's vectors).
    for modes in (("lexical",), ("dense",)):
        docs_found = {h.chunk.doc for h in replace(reader.searcher, modes=modes).search("第2批干部职工签订保密承诺书", k=12)}
        assert "报告02.txt" in docs_found, modes
    assert reader.answerer.answer(QUESTION).citations[0].chunk.doc == "报告02.txt"


def test_a_process_that_only_reads_opens_the_index(tmp_path: Path, embeddings: SentenceEmbeddings) -> None:
    """A fresh process (an app or ``search`` started after the build) never created a collection: opening
    one must not depend on what Chroma registers only when a collection is created."""
    docs = write_numbered_reports(tmp_path / "docs", count=2)
    make_workspace(tmp_path / "index", embeddings).index([docs])
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZGT_")}
    found = subprocess.run(
        [sys.executable, "-m", "assistant", "search", "第1号往来款项挂账", "-k", "3", "--json"],
        cwd=PROJECT_ROOT, env=env | {"ZGT_INDEX_DIR": str(tmp_path / "index"), "HF_HUB_OFFLINE": "1"},
        capture_output=True, text=True, timeout=300,
    )
    assert found.returncode == 0, found.stderr[-3000:]
    assert "报告01.txt" in found.stdout


def test_one_request_reads_one_generation(tmp_path: Path, embeddings: SentenceEmbeddings) -> None:
    docs = write_numbered_reports(tmp_path / "docs", count=2)
    ws = make_workspace(tmp_path / "index", embeddings)
    ws.index([docs])
    with ws.pinned() as view:
        ws.index([docs], rebuild=True)  # switches to a new build under the pinned request
        assert ws.view() is view and ws.lexical is view.lexical
    assert ws.generation.build != view.generation.build


# ---------------------------------------------------------------------------------------------
# Rebuilds beside the current build; leftovers
# ---------------------------------------------------------------------------------------------
def test_a_rebuild_serves_the_old_build_until_it_switches(
    tmp_path: Path, embeddings: SentenceEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = write_numbered_reports(tmp_path / "docs", count=3)
    writer = make_workspace(tmp_path / "index", embeddings)
    reader = make_workspace(tmp_path / "index", embeddings)
    writer.index([docs])
    old = reader.generation
    old_answer = answer_text(reader.answerer.answer(QUESTION))
    assert "保密承诺书" in old_answer

    (docs / "报告02.txt").unlink()  # the new build will not have the document that answers
    seen: list[tuple[str, str]] = []

    def progress(done: int, total: int, name: str) -> None:
        if done == 1 and name:  # mid-rebuild: the reader still answers from the old build
            seen.append((reader.generation.build, answer_text(reader.answerer.answer(QUESTION))))

    writer.index([docs], rebuild=True, progress=progress)
    assert seen == [(old.build, old_answer)]
    new = reader.generation
    assert new.build != old.build and new.previous == old.build and new.number == old.number + 1
    assert answer_text(reader.answerer.answer(QUESTION)) != old_answer
    assert writer.storage.builds() == {old.build, new.build}  # the old one kept a while for its readers

    monkeypatch.setattr(index.pipeline, "RETIRED_BUILD_GRACE_SECONDS", 0.0)
    writer.index([docs])  # the next writer run drops it
    assert writer.storage.builds() == {new.build}
    assert not (tmp_path / "index" / "builds" / old.build).exists()
    collections = {c.name for c in open_client("embedded", path=tmp_path / "index" / "chroma").list_collections()}
    assert collections == {writer.storage.collection_name(new.build)}
    # …and its vectors on disk, which Chroma itself leaves behind (chroma-core/chroma#5259)
    chroma = tmp_path / "index" / "chroma"
    with contextlib.closing(sqlite3.connect(chroma / "chroma.sqlite3")) as db:
        live = {row[0] for row in db.execute("SELECT id FROM segments")}
    folders = {p.name for p in chroma.iterdir() if p.is_dir()}
    assert folders and folders <= live


def _interrupt_on_second_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the next run stop on its second file as a kill would: not through its error handling."""
    calls = [0]
    real = index.pipeline.load_document

    def load(*args: object, **kwargs: object) -> object:
        calls[0] += 1
        if calls[0] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(index.pipeline, "load_document", load)


def test_an_interrupted_rebuild_leaves_the_old_build_serving_and_is_dropped_next_run(
    tmp_path: Path, embeddings: SentenceEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = write_numbered_reports(tmp_path / "docs", count=3)
    ws = make_workspace(tmp_path / "index", embeddings)
    ws.index([docs])
    before = ws.generation
    answer = answer_text(ws.answerer.answer(QUESTION))

    with monkeypatch.context() as patch:
        _interrupt_on_second_file(patch)
        with pytest.raises(KeyboardInterrupt):
            ws.index([docs], rebuild=True)
    pointer = ws.storage.current()
    assert (pointer.build, pointer.number) == (before.build, before.number) and pointer.next
    assert ws.storage.builds() == {before.build, pointer.next}
    assert answer_text(ws.answerer.answer(QUESTION)) == answer

    report = ws.index([docs])  # incremental: into the current build; the leftover is dropped
    assert report.counts()["unchanged"] == 3 and report.chunks_written == 0
    assert ws.storage.builds() == {before.build} and ws.storage.current().next == ""
    assert answer_text(ws.answerer.answer(QUESTION)) == answer


def test_an_interrupted_first_build_is_resumed(
    tmp_path: Path, embeddings: SentenceEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = write_numbered_reports(tmp_path / "docs", count=3)
    ws = make_workspace(tmp_path / "index", embeddings)
    with monkeypatch.context() as patch:
        _interrupt_on_second_file(patch)
        with pytest.raises(KeyboardInterrupt):
            ws.index([docs])
    leftover = ws.storage.current().next
    assert leftover and not ws.storage.current().ready
    report = ws.index([docs])
    assert report.repaired == 1 and report.counts()["unchanged"] == 1 and report.counts()["added"] == 2
    assert ws.generation.build == leftover and ws.storage.builds() == {leftover}


# ---------------------------------------------------------------------------------------------
# Upgrade: an index of the previous layout (pipeline version 5) is read, then replaced
# ---------------------------------------------------------------------------------------------
def write_version_5_index(root: Path, docs: Path, embeddings: SentenceEmbeddings) -> None:
    """What version 5 left in an index folder: chroma/ with the collection ``zhenggaitong``, and
    lexical.sqlite, manifest.sqlite and bm25/ at the folder's root (the per-document protocol is the
    one version 5 ran; only the places changed)."""
    vectors = VectorStore(open_client("embedded", path=root / "chroma"), "zhenggaitong", embeddings)
    stores = WriterStores(LEGACY_BUILD, vectors, LexicalStore(root / "lexical.sqlite"),
                          Manifest(root / "manifest.sqlite"))
    try:
        BuildWriter(stores).run([docs], fingerprint=f"v5|{embeddings.name}|400/60/60")
    finally:
        stores.close()


def test_an_index_of_the_previous_layout_answers_then_upgrades_keeping_every_document(
    tmp_path: Path, embeddings: SentenceEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "index"
    docs = write_numbered_reports(tmp_path / "docs", count=3)
    write_version_5_index(root, docs, embeddings)
    assert (root / "bm25").is_dir() and not (root / "current.json").exists()

    ws = make_workspace(root, embeddings)
    assert ws.generation.build == LEGACY_BUILD
    legacy_answer = answer_text(ws.answerer.answer(QUESTION))
    assert "保密承诺书" in legacy_answer

    # The first run of the new version rebuilds (the pipeline version changed), from every document the
    # old index held, not only the one file this run was given; readers keep the old index meanwhile.
    report = ws.index([docs / "报告00.txt"])
    assert report.counts()["added"] == 3, report.summary()
    upgraded = ws.generation
    assert upgraded.build != LEGACY_BUILD and upgraded.previous == LEGACY_BUILD
    assert answer_text(ws.answerer.answer(QUESTION)) == legacy_answer
    assert ws.vectors.count() == ws.lexical.count() == report.chunks_written

    monkeypatch.setattr(index.pipeline, "RETIRED_BUILD_GRACE_SECONDS", 0.0)
    assert ws.index([docs]).counts()["unchanged"] == 3
    assert ws.storage.builds() == {upgraded.build}
    assert not any((root / name).exists() for name in ("lexical.sqlite", "manifest.sqlite", "bm25"))
    names = {c.name for c in open_client("embedded", path=root / "chroma").list_collections()}
    assert "zhenggaitong" not in names


# ---------------------------------------------------------------------------------------------
# Open files: a process that opens many index folders must not keep them all open
# ---------------------------------------------------------------------------------------------
def files_open_under(folder: Path) -> list[str]:
    """What this process holds open inside ``folder`` (Linux: /proc/self/fd)."""
    held = []
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith(str(folder)):
                held.append(target)
    return held


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_a_closed_workspace_leaves_none_of_its_index_files_open(tmp_path: Path, embeddings: SentenceEmbeddings) -> None:
    root = tmp_path / "index"
    ws = make_workspace(root, embeddings)
    ws.index([write_numbered_reports(tmp_path / "docs", count=3)])
    assert "保密承诺书" in answer_text(ws.answerer.answer(QUESTION))  # the vectors are open now
    assert any("/chroma/" in f for f in files_open_under(root))

    ws.close()
    gc.collect()  # what close() does not release by itself (memory-mapped BM25 arrays) goes with its objects
    assert files_open_under(root) == []

    again = make_workspace(root, embeddings)  # the folder opens afresh after a close
    try:
        assert "保密承诺书" in answer_text(again.answerer.answer(QUESTION))
    finally:
        again.close()
