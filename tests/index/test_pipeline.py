"""Incremental indexing: unchanged files skipped, changed replaced, deleted purged, crashes repaired."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT
from assistant.workspace import Workspace

REPORT_A = "一、加强财务管理\n（一）制度建设。一是修订机关财务管理制度，规范报账审批程序。二是清理往来款项挂账。\n"
REPORT_B = "一、加强保密管理\n（一）保密教育。一是组织干部职工签订保密承诺书。二是开展保密自查。\n"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding=encoding)
    return path


def store_state(ws: Workspace) -> tuple[set[tuple[str, str]], set[str], int]:
    lexical = {(e.chunk.id, e.chunk.text) for e in ws.lexical.entries()}
    vector_ids = set(ws.vectors.collection.get(include=[])["ids"])
    return lexical, vector_ids, ws.vectors.count()


def test_first_run_adds_then_unchanged_files_are_skipped(workspace: Workspace, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write(docs / "a.txt", REPORT_A)
    write(docs / "b.txt", REPORT_B)
    first = workspace.index([docs])
    assert first.counts()["added"] == 2
    assert workspace.vectors.count() == workspace.lexical.count() == first.chunks_written > 0

    second = workspace.index([docs])
    assert second.counts() == {"added": 0, "updated": 0, "unchanged": 2, "duplicate": 0, "removed": 0, "failed": 0}
    assert second.chunks_written == 0


def test_the_same_file_in_a_second_folder_is_not_indexed_twice(workspace: Workspace, tmp_path: Path) -> None:
    original = write(tmp_path / "局机关" / "a.txt", REPORT_A)
    copy = write(tmp_path / "备份" / "a（副本）.txt", REPORT_A)
    assert workspace.index([original.parent]).counts()["added"] == 1
    report = workspace.index([original.parent, copy.parent])
    assert report.counts()["unchanged"] == 1 and report.counts()["duplicate"] == 1
    assert "a（副本）.txt：与已索引的 a.txt 内容相同，未重复索引" in report.summary()
    assert [r.source for r in workspace.manifest.records()] == [str(original)]
    hits = workspace.searcher.search("往来款项挂账", k=5)
    assert len({h.chunk.doc_id for h in hits}) == 1

    # The copy edited becomes a document of its own; edited back to the original, it leaves again.
    write(copy, REPORT_A.replace("往来款项挂账", "长期闲置资产"))
    assert workspace.index([original.parent, copy.parent]).counts()["added"] == 1
    write(copy, REPORT_A)
    again = workspace.index([original.parent, copy.parent])
    assert again.counts()["duplicate"] == 1
    assert [r.source for r in workspace.manifest.records()] == [str(original)]
    assert all("长期闲置资产" not in e.chunk.text for e in workspace.lexical.entries())


def test_changed_file_replaces_its_chunks(workspace: Workspace, tmp_path: Path) -> None:
    doc = write(tmp_path / "docs" / "a.txt", REPORT_A)
    workspace.index([doc.parent])
    write(doc, REPORT_A.replace("往来款项挂账", "长期闲置资产"))
    report = workspace.index([doc.parent])
    assert report.counts()["updated"] == 1
    texts = " ".join(e.chunk.text for e in workspace.lexical.entries())
    assert "长期闲置资产" in texts and "往来款项挂账" not in texts
    assert workspace.vectors.count() == workspace.lexical.count()
    hits = workspace.searcher.search("往来款项挂账", k=5)
    assert all("往来款项挂账" not in h.chunk.text for h in hits)


def test_deleted_file_leaves_no_chunk_anywhere(workspace: Workspace, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write(docs / "a.txt", REPORT_A)
    gone = write(docs / "b.txt", REPORT_B)
    workspace.index([docs])
    gone.unlink()
    report = workspace.index([docs])
    assert report.counts()["removed"] == 1
    assert all("保密" not in e.chunk.text for e in workspace.lexical.entries())
    assert workspace.vectors.collection.get(where={"doc": "b.txt"}, include=[])["ids"] == []
    assert all(h.chunk.doc != "b.txt" for h in workspace.searcher.search("保密承诺书", k=10))


def test_the_same_file_in_two_knowledge_bases_is_kept_in_each(workspace: Workspace, tmp_path: Path) -> None:
    workspace.access.create_kb("州一中")
    write(tmp_path / "局机关" / "保密法.txt", REPORT_B)
    write(tmp_path / "州一中" / "保密法.txt", REPORT_B)
    assert workspace.index([tmp_path / "局机关"]).counts()["added"] == 1
    assert workspace.index([tmp_path / "州一中"], kb="州一中").counts()["added"] == 1
    assert sorted(r.kb for r in workspace.manifest.records()) == ["州一中", "默认"]


def test_broken_file_fails_alone_with_its_reason(workspace: Workspace, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write(docs / "good.txt", REPORT_A)
    (docs / "broken.docx").write_bytes(b"PK\x03\x04 not really a docx")
    (docs / "empty.txt").write_bytes(b"")
    report = workspace.index([docs])
    failed = {Path(o.source).name: o.reason for o in report.outcomes if o.status == "failed"}
    assert set(failed) == {"broken.docx", "empty.txt"}
    assert all(reason for reason in failed.values())
    assert report.counts()["added"] == 1
    assert "broken.docx" in report.summary()


def test_changing_chunk_size_reindexes_everything(workspace: Workspace, tmp_path: Path, embeddings) -> None:
    from tests.conftest import make_workspace

    docs = tmp_path / "docs"
    write(docs / "a.txt", REPORT_A)
    workspace.index([docs])
    resized = make_workspace(workspace.index_dir, embeddings, chunk_max_chars=200)
    assert resized.index([docs]).counts()["added"] == 1


def test_an_index_of_another_encoder_is_refused_with_its_remedy_until_it_is_rebuilt(
    workspace: Workspace, tmp_path: Path, embeddings
) -> None:
    from index.embedding import BUNDLED_USE, build_embeddings
    from index.generation import IndexUnavailable
    from tests.conftest import make_workspace

    docs = tmp_path / "docs"
    write(docs / "a.txt", REPORT_A)
    workspace.index([docs])
    other = make_workspace(workspace.index_dir, build_embeddings(BUNDLED_USE), embedding_model=BUNDLED_USE)
    with pytest.raises(IndexUnavailable, match="e5-small-multilingual.*use-multilingual.*重建索引"):
        other.searcher.search("财务管理制度", 3)
    assert other.index([docs]).counts()["added"] == 1  # a new encoder embeds every document anew
    assert other.searcher.search("财务管理制度", 3)[0].chunk.doc == "a.txt"


def _index_command(index_dir: Path, docs: Path) -> list[str]:
    return [sys.executable, "-m", "assistant", "index", str(docs), "--quiet"]


def _env(index_dir: Path) -> dict[str, str]:
    return os.environ | {"ZGT_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1"}


def test_index_killed_midway_is_repaired_by_the_next_run(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    for i in range(60):
        write(docs / f"r{i:02d}.txt", REPORT_A.replace("财务", f"财务{i}") + REPORT_B * (1 + i % 3))
    index_dir = tmp_path / "index"
    proc = subprocess.Popen(_index_command(index_dir, docs), cwd=PROJECT_ROOT, env=_env(index_dir))
    deadline = time.monotonic() + 240
    killed_with_pending = False
    while time.monotonic() < deadline and proc.poll() is None:
        manifest = next(index_dir.glob("builds/*/manifest.sqlite"), None)  # the build being written
        if manifest is not None:
            try:
                with sqlite3.connect(f"file:{manifest}?mode=ro", uri=True, timeout=1) as db:
                    ok = db.execute("SELECT COUNT(*) FROM files WHERE status='ok'").fetchone()[0]
                    pending = db.execute("SELECT COUNT(*) FROM files WHERE status='pending'").fetchone()[0]
            except sqlite3.OperationalError:
                ok = pending = 0
            if ok >= 5 and pending:
                proc.send_signal(signal.SIGKILL)
                killed_with_pending = True
                break
        time.sleep(0.005)
    proc.wait(timeout=60)
    assert killed_with_pending, "the indexer finished before it could be killed mid-document"

    subprocess.run(_index_command(index_dir, docs), cwd=PROJECT_ROOT, env=_env(index_dir), check=True)
    clean_dir = tmp_path / "clean"
    subprocess.run(_index_command(clean_dir, docs), cwd=PROJECT_ROOT, env=_env(clean_dir), check=True)

    from assistant.settings import Settings
    from index.embedding import build_embeddings

    encoder = build_embeddings()
    repaired = store_state(Workspace(Settings(index_dir=index_dir), embeddings=encoder))
    clean = store_state(Workspace(Settings(index_dir=clean_dir), embeddings=encoder))
    assert repaired[0] == clean[0]  # same chunk ids and texts in the lexical store
    assert repaired[1] == clean[1]  # same vector ids
    assert repaired[2] == clean[2] == len(clean[0])  # no duplicates


def test_scan_progress_per_page_and_ocr_flag_in_both_stores(workspace: Workspace, tmp_path: Path) -> None:
    from tests.index.scans import image_pdf_bytes, render_page

    docs = tmp_path / "docs"
    write(docs / "a.txt", REPORT_A)
    scan = docs / "扫描件.pdf"
    scan.write_bytes(image_pdf_bytes([render_page(REPORT_B.splitlines()), render_page(["一是开展第二页保密检查。"])]))
    calls: list[tuple[int, int, str]] = []
    report = workspace.index([docs], progress=lambda done, total, what: calls.append((done, total, what)))
    assert report.counts()["added"] == 2, report.summary()
    # Per file as before, and per OCR'd page in between (files are indexed in name order: a.txt first).
    assert calls == [
        (0, 2, "a.txt"),
        (1, 2, "扫描件.pdf"),
        (1, 2, "第 1/2 页（文字识别）扫描件.pdf"),
        (1, 2, "第 2/2 页（文字识别）扫描件.pdf"),
        (2, 2, ""),
    ]
    scanned = [e.chunk for e in workspace.lexical.entries() if e.chunk.doc == "扫描件.pdf"]
    assert scanned and all(c.ocr for c in scanned) and {c.page for c in scanned} == {1, 2}
    assert not any(e.chunk.ocr for e in workspace.lexical.entries() if e.chunk.doc == "a.txt")
    stored = workspace.vectors.collection.get(ids=[c.id for c in scanned], include=["metadatas"])
    assert all(meta["ocr"] is True for meta in stored["metadatas"] or [])
    hits = workspace.searcher.search("第二页保密检查", k=3)
    assert hits[0].chunk.doc == "扫描件.pdf" and hits[0].chunk.ocr and hits[0].chunk.page == 2


def test_documents_carry_their_knowledge_base_and_keep_it_when_indexed_again(
    workspace: Workspace, tmp_path: Path
) -> None:
    a = write(tmp_path / "docs" / "a.txt", REPORT_A)
    b = write(tmp_path / "school" / "b.txt", REPORT_B)
    workspace.index([a.parent])
    workspace.index([b.parent], kb="州一中")
    kbs = {r.name: r.kb for r in workspace.manifest.records()}
    assert kbs == {"a.txt": "默认", "b.txt": "州一中"}
    chunks = {e.chunk.doc: e.chunk.kb for e in workspace.lexical.entries()}
    assert chunks == {"a.txt": "默认", "b.txt": "州一中"}
    metas = workspace.vectors.collection.get(include=["metadatas"])["metadatas"]
    assert {(m["doc"], m["kb"]) for m in metas} == {("a.txt", "默认"), ("b.txt", "州一中")}

    # Indexed again without --kb (a re-index of every folder), or rebuilt: it stays where it is.
    again = workspace.index([a.parent, b.parent])
    assert again.counts()["unchanged"] == 2
    workspace.index([a.parent, b.parent], rebuild=True)
    assert {r.name: r.kb for r in workspace.manifest.records()} == kbs
    # Moved to another knowledge base by naming it: its chunks are written again with the new tag.
    moved = workspace.index([b], kb="局机关")
    assert moved.counts()["updated"] == 1
    assert {e.chunk.kb for e in workspace.lexical.entries() if e.chunk.doc == "b.txt"} == {"局机关"}


def test_a_dense_hit_removed_by_a_concurrent_write_is_dropped_not_raised(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chroma answered a query racing a re-index with one record already gone: no text, no metadata.
    docs = tmp_path / "docs"
    write(docs / "a.txt", REPORT_A)
    workspace.index([docs])
    store = workspace.vectors
    real = store._query(store.query_vector("财务管理制度"), 3, None, None)

    def racing(*args: object) -> dict[str, list[list[object]]]:
        return {
            "documents": [[None, *real["documents"][0]]],
            "metadatas": [[None, *real["metadatas"][0]]],
            "distances": [[0.1, *real["distances"][0]]],
        }

    monkeypatch.setattr(store, "_query", racing)
    hits = store.search("财务管理制度", 3)
    assert [h.chunk.text for h in hits] == real["documents"][0]
