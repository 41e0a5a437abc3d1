"""The document library: add uploaded files, remove a document, re-index everything.

Uploads are checked and stored by assistant/uploads.py; a removed document's file goes to the trash
folder (never deleted outright) so the next re-index does not bring it back. Every change goes through
the index's writer lock: while another process (a CLI ``index``, another replica) writes, the request
waits and says so through its progress callback.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.settings import Settings
from assistant.uploads import UploadRejected, store_upload
from assistant.workspace import Workspace
from index.generation import IndexUnavailable
from index.lock import WaitNotice, waiting_message
from index.manifest import FileRecord
from index.pipeline import IndexReport, ProgressCallback


class LibraryError(Exception):
    """A request the library cannot carry out; the message is for the user, in Chinese."""


@dataclass(frozen=True)
class AddResult:
    report: IndexReport | None
    rejected: list[str]  # one Chinese reason per file that was not accepted

    def summary(self) -> str:
        lines = [f"不接受：{r}" for r in self.rejected]
        if self.report is not None:
            lines.insert(0, self.report.summary())
        return "\n".join(lines)


def add_files(ws: Workspace, files: Sequence[Path], progress: ProgressCallback | None = None) -> AddResult:
    """Store each file under the uploads folder (checked by content) and index the accepted ones."""
    if not files:
        raise LibraryError("请选择要上传的文件")
    # A replica that does not keep the index refuses before storing anything (index/storage.py).
    ws.storage.check_writer(ws.storage.current(), rebuild=False)
    settings = ws.settings
    saved: list[Path] = []
    rejected: list[str] = []
    for f in files:
        try:
            saved.append(store_upload(Path(f), settings.uploads_dir, settings.upload_max_mb * 1024 * 1024))
        except UploadRejected as exc:
            rejected.append(str(exc))
    report = ws.indexer.run(saved, progress=progress, on_wait=waiting_notice(progress)) if saved else None
    return AddResult(report, rejected)


def waiting_notice(progress: ProgressCallback | None) -> WaitNotice | None:
    """Shows "另一个索引任务正在进行，已等待 N 秒…" where the progress of the request is shown."""
    if progress is None:
        return None
    return lambda seconds: progress(0, 0, waiting_message(seconds))


def find_document(ws: Workspace, name: str) -> FileRecord:
    try:
        records = ws.manifest.records()
    except IndexUnavailable as exc:
        raise LibraryError(str(exc)) from exc
    record = next((r for r in records if r.name == name), None)
    if record is None:
        raise LibraryError(f"资料库中没有：{name}")
    return record


def remove_document(ws: Workspace, name: str, progress: ProgressCallback | None = None) -> str:
    """Take a document out of every index and move its file to the trash folder."""
    if not name:
        raise LibraryError("请先选择要删除的文件")
    record = find_document(ws, name)
    ws.indexer.remove(record.source, on_wait=waiting_notice(progress))
    source = Path(record.source)
    if source.exists():  # keep the file out of the next re-index, without destroying it
        move_to_trash(source, ws.settings)
    return f"已删除：{name}（所有索引中的片段均已移除）"


def move_to_trash(source: Path, settings: Settings) -> Path:
    settings.trash_dir.mkdir(parents=True, exist_ok=True)
    target = settings.trash_dir / f"{int(time.time())}_{source.name}"
    shutil.move(str(source), target)
    return target


def library_roots(settings: Settings) -> list[Path]:
    """The folders a full re-index reads: the documents folder and the uploads folder."""
    return [settings.docs_dir] + ([settings.uploads_dir] if settings.uploads_dir.exists() else [])


def reindex(ws: Workspace, progress: ProgressCallback | None = None) -> IndexReport:
    return ws.indexer.run(library_roots(ws.settings), progress=progress, on_wait=waiting_notice(progress))
