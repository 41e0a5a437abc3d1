"""Backup, restore and verify (assistant/backup.py), on real indexes, real files and a real full disk."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.backup import MANIFEST, BackupError, backup, restore, verify
from assistant.cli import EXIT_BACKUP, main
from assistant.settings import PROJECT_ROOT
from assistant.workspace import Workspace
from index.embedding import SentenceEmbeddings
from index.lock import LOCK_FILE, writer_active
from index.pipeline import PIPELINE_VERSION
from tests.conftest import DOCS_SRC, EVAL_DIR, make_workspace

# A part of docs_src/ that the dev questions below are about, small enough to index twice in a test.
SUBSET = [
    "reports/教育局党组关于巡察组巡察反馈问题整改情况的通报.txt",
    "reports/中共南开大学委员会关于十九届中央第七轮巡视整改进展情况的通报.md",
    "reports/关于XX专项审计报告的整改报告（匿名化模板）.md",
    "regulations/党政机关国内公务接待管理规定.md",
    "regulations/中华人民共和国教师法.md",
]
# Added just before the concurrent rebuild: found in the restored index only if the backup waited for it.
LATE_DOC = "锅炉房巡检规定.txt"
LATE_TEXT = ("锅炉房巡检规定\n\n第一条 锅炉房每周巡检一次，巡检记录保存三年。\n"
             "第二条 巡检发现的隐患在五个工作日内整改完毕，整改结果报后勤处备案。\n")
SECRET_KEY = "sk-backup-test-7f3a9c"
SECRET_PASSWORD = "pw-backup-test-41d2"


def workspace_in(root: Path, embeddings: SentenceEmbeddings, **overrides: Any) -> Workspace:
    """A workspace whose every folder (index, docs, uploads, history, trash) is under ``root``."""
    folders = {"docs_dir": root / "docs", "uploads_dir": root / "uploads",
               "history_dir": root / "history", "trash_dir": root / "trash"}
    return make_workspace(root / "index", embeddings, **(folders | overrides))


def copy_docs(target: Path, names: list[str]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(DOCS_SRC / name, target / Path(name).name)


def add_user_files(ws: Workspace) -> None:
    s = ws.settings
    s.uploads_dir.mkdir(parents=True, exist_ok=True)
    (s.uploads_dir / "上传的说明.txt").write_text("上传文件的内容", encoding="utf-8")
    (s.history_dir / "整改通报.txt").mkdir(parents=True, exist_ok=True)
    (s.history_dir / "整改通报.txt" / "1_整改通报.txt").write_text("旧版本", encoding="utf-8")


def passages(ws: Workspace, question: str) -> list[tuple[str, int, int, str]]:
    return [(p.chunk.doc, p.chunk.start, p.chunk.end, p.chunk.text) for p in ws.searcher.search(question, 5)]


def subset_questions(limit: int = 10) -> list[str]:
    names = {Path(n).name for n in SUBSET}
    found = []
    with (EVAL_DIR / "dev_questions.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            gold = {g["doc"] for g in item.get("gold", [])}
            if gold and gold <= names:
                found.append(str(item["question"]))
    return found[:limit]


def tree_hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != LOCK_FILE}


def rewrite_manifest(bak: Path, **changes: Any) -> None:
    path = bak / MANIFEST
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def cli_env(ws: Workspace) -> dict[str, str]:
    s = ws.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZGT_")}
    return env | {"HF_HUB_OFFLINE": "1", "ZGT_INDEX_DIR": str(s.index_dir), "ZGT_DOCS_DIR": str(s.docs_dir),
                  "ZGT_UPLOADS_DIR": str(s.uploads_dir), "ZGT_HISTORY_DIR": str(s.history_dir),
                  "ZGT_TRASH_DIR": str(s.trash_dir)}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, embeddings: SentenceEmbeddings) -> Iterator[tuple[Workspace, Path]]:
    """A small indexed library with an upload and an earlier version, and one backup of it."""
    root = tmp_path_factory.mktemp("small")
    copy_docs(root / "docs", SUBSET[2:4])
    ws = workspace_in(root, embeddings)
    ws.index()
    add_user_files(ws)
    report = backup(ws.settings, root / "backup")
    assert report.files > 0
    yield ws, root / "backup"
    ws.close()


@pytest.fixture
def small_copy(small: tuple[Workspace, Path], tmp_path: Path) -> Path:
    """A copy of the small backup this test may alter."""
    return Path(shutil.copytree(small[1], tmp_path / "backup"))


def test_backup_during_rebuild_and_questions_restores_the_same_answers(
    tmp_path: Path, embeddings: SentenceEmbeddings
) -> None:
    questions = subset_questions()
    assert len(questions) == 10
    original = workspace_in(tmp_path / "original", embeddings,
                            llm_api_key=SECRET_KEY, web_users=f"admin:{SECRET_PASSWORD}")
    copy_docs(original.settings.docs_dir, SUBSET)
    original.index()
    add_user_files(original)
    (original.settings.docs_dir / LATE_DOC).write_text(LATE_TEXT, encoding="utf-8")

    rebuild = subprocess.Popen([sys.executable, "-m", "assistant", "index", "--rebuild", "--quiet"],
                               cwd=PROJECT_ROOT, env=cli_env(original), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        while not writer_active(original.index_dir) and rebuild.poll() is None:
            time.sleep(0.05)
        assert rebuild.poll() is None, "the rebuild ended before the backup could start beside it"

        stop = threading.Event()
        errors: list[BaseException] = []
        answered = [0, 0]

        def ask(slot: int) -> None:
            i = 0
            while True:
                question = questions[i % len(questions)]
                try:
                    if slot == 0:
                        assert original.searcher.search(question, 5)
                    else:
                        assert original.answerer.answer(question).text
                except BaseException as exc:  # reported below, with the question
                    errors.append(exc)
                    return
                answered[slot] += 1
                i += 1
                if stop.is_set():
                    return

        askers = [threading.Thread(target=ask, args=(slot,)) for slot in (0, 1)]
        for t in askers:
            t.start()
        try:
            report = backup(original.settings, tmp_path / "backup")
        finally:
            stop.set()
            for t in askers:
                t.join()
        out, err = rebuild.communicate()
    finally:
        if rebuild.poll() is None:
            rebuild.kill()
    assert rebuild.returncode == 0, err
    assert not errors, errors
    assert all(answered)

    # The backup waited for the rebuild and holds its build, and only it.
    current = original.storage.current()
    assert (report.build, report.generation) == (current.build, current.number)
    bak = tmp_path / "backup"
    assert [p.name for p in (bak / "index" / "builds").iterdir()] == [current.build]
    names = _collections(bak / "index" / "chroma" / "chroma.sqlite3")
    assert names == {original.storage.collection_name(current.build)}
    # Settings: which were set, no secret anywhere in the backup.
    settings = json.loads((bak / "settings.json").read_text(encoding="utf-8"))
    assert "ZGT_LLM_API_KEY" in settings["set"] and "ZGT_WEB_USERS" in settings["set"]
    for path in bak.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert SECRET_KEY.encode() not in data and SECRET_PASSWORD.encode() not in data, path

    check = verify(bak, original.settings, embeddings)
    assert check.ok, check.summary()

    restored = workspace_in(tmp_path / "restored", embeddings)
    result = restore(bak, restored.settings)
    assert result.build == current.build
    assert "ZGT_LLM_API_KEY" in result.settings_set
    for q in questions:
        assert passages(restored, q) == passages(original, q), q
        assert restored.answerer.answer(q).text == original.answerer.answer(q).text, q
    assert passages(restored, "锅炉房巡检记录保存多久")[0][0] == LATE_DOC
    assert (restored.settings.uploads_dir / "上传的说明.txt").read_text(encoding="utf-8") == "上传文件的内容"
    assert (restored.settings.history_dir / "整改通报.txt" / "1_整改通报.txt").exists()
    # Documents are recorded at their new place, so the next index finds nothing to do.
    sources = [r.source for r in restored.manifest.records()]
    assert sources and all(Path(s).is_relative_to(restored.settings.docs_dir.resolve()) for s in sources)
    again = restored.index()
    assert again.counts() == {"added": 0, "updated": 0, "unchanged": len(SUBSET) + 1, "duplicate": 0, "removed": 0,
                            "failed": 0}
    restored.close()
    original.close()


def _collections(db_path: Path) -> set[str]:
    db = sqlite3.connect(db_path)
    try:
        return {row[0] for row in db.execute("SELECT name FROM collections")}
    finally:
        db.close()


def test_altered_file_fails_verify_and_restore_refuses_naming_it(
    small_copy: Path, tmp_path: Path, embeddings: SentenceEmbeddings, capsys: pytest.CaptureFixture[str]
) -> None:
    altered = small_copy / "uploads" / "上传的说明.txt"
    altered.write_text("上传文件的内容（被改过）", encoding="utf-8")
    target = workspace_in(tmp_path / "target", embeddings)

    report = verify(small_copy, target.settings, embeddings)
    assert not report.ok
    assert report.problems == ["文件已被改动：uploads/上传的说明.txt"]
    assert main(["verify", str(small_copy)], settings=target.settings) == EXIT_BACKUP
    assert "uploads/上传的说明.txt" in capsys.readouterr().out

    with pytest.raises(BackupError, match="uploads/上传的说明.txt"):
        restore(small_copy, target.settings)
    assert main(["restore", str(small_copy)], settings=target.settings) == EXIT_BACKUP
    assert "uploads/上传的说明.txt" in capsys.readouterr().err
    assert not (tmp_path / "target").exists()  # nothing was written anywhere


def test_index_file_altered_is_named(small_copy: Path, tmp_path: Path, embeddings: SentenceEmbeddings) -> None:
    chroma = small_copy / "index" / "chroma" / "chroma.sqlite3"
    with chroma.open("r+b") as fh:  # same size, one byte different
        fh.seek(200)
        byte = fh.read(1)
        fh.seek(200)
        fh.write(bytes([byte[0] ^ 0xFF]))
    target = workspace_in(tmp_path / "target", embeddings)
    with pytest.raises(BackupError, match="index/chroma/chroma.sqlite3"):
        restore(small_copy, target.settings)
    assert not (tmp_path / "target").exists()


@pytest.mark.parametrize("field", ["version", "pipeline_version"])
def test_backup_from_a_newer_version_is_refused(
    small_copy: Path, tmp_path: Path, embeddings: SentenceEmbeddings, field: str
) -> None:
    rewrite_manifest(small_copy, **{field: "999.0.0"})
    target = workspace_in(tmp_path / "target", embeddings)
    with pytest.raises(BackupError, match="较新"):
        restore(small_copy, target.settings)
    assert not (tmp_path / "target").exists()


def test_backup_from_an_older_pipeline_restores_and_is_reindexed(
    small_copy: Path, small: tuple[Workspace, Path], tmp_path: Path, embeddings: SentenceEmbeddings
) -> None:
    # Make it a real older backup: its build says it was written by pipeline 6, and its manifest agrees.
    manifest = json.loads((small_copy / MANIFEST).read_text(encoding="utf-8"))
    build = manifest["generation"]["build"]
    db_path = small_copy / "index" / "builds" / build / "manifest.sqlite"
    db = sqlite3.connect(db_path)
    fingerprint = db.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()[0]
    db.execute("UPDATE meta SET value = ? WHERE key = 'fingerprint'", (fingerprint.replace(f"v{PIPELINE_VERSION}|", "v6|"),))
    db.commit()
    db.close()
    name = f"index/builds/{build}/manifest.sqlite"
    manifest["files"][name] = {"size": db_path.stat().st_size,
                               "sha256": hashlib.sha256(db_path.read_bytes()).hexdigest()}
    manifest["pipeline_version"] = "6"
    (small_copy / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")

    target = workspace_in(tmp_path / "target", embeddings)
    result = restore(small_copy, target.settings)
    assert result.older_pipeline and "重新索引" in result.summary()
    report = target.index()
    assert report.counts()["added"] == 2 and report.counts()["failed"] == 0
    assert target.generation.build != build  # re-indexed into a new build
    question = "审计整改报告"
    assert passages(target, question) == passages(small[0], question)
    target.close()


def test_restore_onto_a_non_empty_index_needs_force(
    small: tuple[Workspace, Path], tmp_path: Path, embeddings: SentenceEmbeddings, capsys: pytest.CaptureFixture[str]
) -> None:
    target = workspace_in(tmp_path / "target", embeddings)
    copy_docs(target.settings.docs_dir, SUBSET[4:])
    target.index()  # a different library already in place
    before = tree_hashes(target.index_dir)

    with pytest.raises(BackupError, match="--force"):
        restore(small[1], target.settings)
    assert main(["restore", str(small[1])], settings=target.settings) == EXIT_BACKUP
    assert "不是空的" in capsys.readouterr().err
    assert tree_hashes(target.index_dir) == before

    result = restore(small[1], target.settings, force=True)
    assert result.moved_aside is not None and tree_hashes(result.moved_aside) == before
    question = "审计整改报告"
    assert passages(target, question) == passages(small[0], question)
    assert {r.name for r in target.manifest.records()} == {Path(n).name for n in SUBSET[2:4]}
    target.close()


def test_verify_of_a_good_backup_passes(small: tuple[Workspace, Path], embeddings: SentenceEmbeddings) -> None:
    before = tree_hashes(small[1])
    report = verify(small[1], small[0].settings, embeddings)
    assert report.ok, report.summary()
    assert report.hits > 0 and "检查通过" in report.summary()
    assert tree_hashes(small[1]) == before  # verifying never writes into the backup


def test_backup_refuses_a_non_empty_destination(small: tuple[Workspace, Path], tmp_path: Path) -> None:
    dest = tmp_path / "used"
    dest.mkdir()
    (dest / "keep.txt").write_text("x", encoding="utf-8")
    with pytest.raises(BackupError, match="不是空文件夹"):
        backup(small[0].settings, dest)
    assert [p.name for p in dest.iterdir()] == ["keep.txt"]


def _mount_tmpfs(folder: Path, size_bytes: int) -> bool:
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(folder)],
                          capture_output=True, check=False)
    return done.returncode == 0


def _backup_with_file_size_limit(ws: Workspace, dest: Path, limit: int) -> subprocess.CompletedProcess[str]:
    """Where mounting is not allowed: the kernel refuses writes past RLIMIT_FSIZE (EFBIG), a real limit too."""
    import resource

    def limit_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of the process being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-m", "assistant", "backup", str(dest)], cwd=PROJECT_ROOT,
                          env=cli_env(ws), capture_output=True, text=True, preexec_fn=limit_size, check=False)


def test_backup_to_a_full_disk_fails_cleanly(small: tuple[Workspace, Path], tmp_path: Path) -> None:
    ws, good = small
    total = sum(p.stat().st_size for p in good.rglob("*") if p.is_file())
    before = tree_hashes(ws.index_dir)
    uploads_before = tree_hashes(ws.settings.uploads_dir)
    disk = tmp_path / "disk"
    # Half of what the backup needs: some files fit, the rest do not.
    if _mount_tmpfs(disk, total // 2):
        try:
            with pytest.raises(BackupError, match="磁盘空间不足"):
                backup(ws.settings, disk / "backup")
            assert list(disk.iterdir()) == []  # no partial backup left
        finally:
            subprocess.run(["umount", str(disk)], check=True)
    else:  # pragma: no cover - only where the container may not mount
        done = _backup_with_file_size_limit(ws, disk / "backup", total // 4)
        assert done.returncode == EXIT_BACKUP and "磁盘空间不足" in done.stderr, done.stderr
        assert list(disk.iterdir()) == []
    assert tree_hashes(ws.index_dir) == before
    assert tree_hashes(ws.settings.uploads_dir) == uploads_before
    assert passages(ws, "审计整改报告")  # the index still answers
