"""The document library: add uploaded files, replace a document by its revised version, remove a
document, re-index everything.

Uploads are checked and stored by assistant/uploads.py; a removed document's file goes to the trash
folder and a replaced version to the history folder (never deleted outright), both outside the folders
a re-index reads, so neither comes back. Every change goes through the index's writer lock: while
another process (a CLI ``index``, another replica) writes, the request waits and says so through its
progress callback.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.settings import Settings
from assistant.uploads import UploadRejected, check_upload, read_upload, store_upload
from assistant.workspace import Workspace
from index.chunking import DEFAULT_KB
from index.generation import IndexUnavailable
from index.lock import WaitNotice, waiting_message
from index.manifest import FileRecord, content_hash
from index.pipeline import IndexReport, ProgressCallback


class LibraryError(Exception):
    """A request the library cannot carry out; the message is for the user, in Chinese."""


@dataclass(frozen=True)
class AddResult:
    report: IndexReport | None
    rejected: list[str]  # one Chinese reason per file that was not accepted
    notes: list[str] = field(default_factory=list)  # replaced versions, files already in the library, …

    def summary(self) -> str:
        lines = [*self.notes, *(f"不接受：{r}" for r in self.rejected)]
        if self.report is not None:
            lines.insert(0, self.report.summary())
        return "\n".join(lines)


# Marks that name a revision rather than a different document: 整改方案（修订稿）.docx revises 整改方案.docx.
_REVISION_MARK = re.compile(
    r"\s*(?:[（(【\[](?:修订|修改|修正|定|终|最终|第?[一二三四五六七八九十\d]+)?(?:稿|版|版本|订)?[）)】\]]"
    r"|[_\-\s]?(?:修订稿|修改稿|修订版|定稿|终稿|v\d+)|\s\(\d+\))$",
    re.IGNORECASE,
)


def base_name(name: str) -> str:
    """A file's stem without revision marks: how a revised upload finds the document it revises."""
    stem = Path(name).stem.strip()
    while (shorter := _REVISION_MARK.sub("", stem).strip()) != stem and shorter:
        stem = shorter
    return stem


def revised_document(records: Sequence[FileRecord], name: str) -> FileRecord | None:
    """The indexed document an upload called ``name`` revises: same file name, or the same name or
    《title》 once revision marks are set aside."""
    by_name = next((r for r in records if r.name == name), None)
    if by_name is not None:
        return by_name
    base = base_name(name)
    return next((r for r in records if base and base in (base_name(r.name), r.title.strip())), None)


def uploads_folder(settings: Settings, kb: str | None) -> Path:
    """Where uploads to the knowledge base ``kb`` are stored: a folder of its own (the default one's is
    the uploads folder itself), so that equal names or contents in two knowledge bases never meet."""
    return settings.uploads_dir if kb in (None, DEFAULT_KB) else settings.uploads_dir / "kb" / str(kb)


def add_files(
    ws: Workspace, files: Sequence[Path], progress: ProgressCallback | None = None, *, replace: bool = False,
    kb: str | None = None,
) -> AddResult:
    """Store each file under the uploads folder (checked by content) and index the accepted ones, into
    the knowledge base ``kb`` (None: the default one). ``ws`` narrowed to some knowledge bases
    (``Workspace.within``) compares and replaces only the documents of those.

    A file whose content is already in the library is not added twice. With ``replace``, a file that
    revises an indexed document (same name, or same name/《title》 without 修订稿-style marks) takes its
    place: the old file goes to the history folder and only the new one answers. Without it, the new
    file is added beside the old one and the note says how to replace instead.
    """
    if not files:
        raise LibraryError("请选择要上传的文件")
    # A replica that does not keep the index refuses before storing anything (index/storage.py).
    ws.storage.check_writer(ws.storage.current(), rebuild=False)
    settings = ws.settings
    if kb is not None and ws.kbs is not None and kb not in ws.kbs:
        raise LibraryError(f"无权向知识库“{kb}”上传文件")
    folder = uploads_folder(settings, kb)
    if kb is not None:  # only that knowledge base's documents are compared and replaced
        ws = ws.within([kb])
    max_bytes = settings.upload_max_mb * 1024 * 1024
    saved: list[Path] = []
    retired: list[FileRecord] = []  # replaced by a file of another name: removed once the new one is in
    rejected: list[str] = []
    notes: list[str] = []
    for f in files:
        src = Path(f)
        records = indexed_records(ws)
        try:
            safe = check_upload(src.name, read_upload(src, max_bytes), max_bytes)
            digest = content_hash(src)
            same = next((r for r in records if r.content_hash == digest and r.status == "ok"), None)
            if same is not None:
                notes.append(f"已在资料库中：{src.name}（与 {same.name} 内容相同，未重复添加）")
                continue
            old = revised_document(records, safe)
            if old is None:
                saved.append(store_upload(src, folder, max_bytes))
            elif not replace:
                saved.append(stored := store_upload(src, folder, max_bytes))
                notes.append(f"{src.name} 与已有文件 {old.name} 同名或同题，已另存为 {stored.name}；"
                             "如为修订版，请勾选“替换旧版本”后重新上传（命令行：add --replace）")
            else:
                version = keep_old_version(Path(old.source), safe, settings)
                if Path(old.source) == (folder / safe).resolve():
                    # Same file in place: the indexer sees new content and swaps the chunks in one write.
                    _overwrite(Path(old.source), src)
                    saved.append(Path(old.source))
                else:
                    saved.append(store_upload(src, folder, max_bytes, name=safe))
                    retired.append(old)
                notes.append(f"已替换旧版本：{old.name} → {safe}（第 {version + 1} 版，旧版已存入历史）")
        except UploadRejected as exc:
            rejected.append(str(exc))
    on_wait = waiting_notice(progress)
    report = ws.indexer.run(saved, progress=progress, on_wait=on_wait, kb=kb) if saved else None
    if report is not None and ws.kbs is not None:
        report = own_outcomes(report, saved)
    for old in retired:  # after the new version is indexed, so that a question always finds one of them
        ws.indexer.remove(old.source, on_wait=on_wait)
        try:
            Path(old.source).unlink(missing_ok=True)  # a copy is in the history folder
        except OSError as exc:
            notes.append(f"旧版本文件无法移出其所在目录（{exc.strerror or exc}），重新索引时会再次加入：{old.source}")
    return AddResult(report, rejected, notes)


def _overwrite(target: Path, src: Path) -> None:
    """Replace ``target``'s bytes with ``src``'s atomically: a reader sees the old file or the new one."""
    staging = target.with_name(f".{target.name}.new")
    shutil.copyfile(src, staging)
    os.replace(staging, target)


def keep_old_version(old: Path, name: str, settings: Settings) -> int:
    """Copy a document's current file into its history folder; returns how many versions are kept now."""
    folder = history_folder(settings, name)
    folder.mkdir(parents=True, exist_ok=True)
    if old.exists():
        stamp = time.strftime("%Y%m%d-%H%M%S")
        shutil.copy2(old, folder / f"{stamp}_{len(list(folder.iterdir())) + 1}_{old.name}")
    return len(list(folder.iterdir()))


def history_folder(settings: Settings, name: str) -> Path:
    return settings.history_dir / name


def versions(records: Sequence[FileRecord], settings: Settings) -> dict[str, int]:
    """Each document's version number: 1, plus one per earlier version kept in the history folder."""
    return {
        r.name: 1 + (len(list(folder.iterdir())) if (folder := history_folder(settings, r.name)).is_dir() else 0)
        for r in records
    }


def waiting_notice(progress: ProgressCallback | None) -> WaitNotice | None:
    """Shows "另一个索引任务正在进行，已等待 N 秒…" where the progress of the request is shown."""
    if progress is None:
        return None
    return lambda seconds: progress(0, 0, waiting_message(seconds))


def indexed_records(ws: Workspace) -> list[FileRecord]:
    """The documents of the index, none before its first build."""
    try:
        return ws.manifest.records()
    except IndexUnavailable:
        return []


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
    """Index the library's folders again; ``ws`` narrowed to some knowledge bases re-indexes only their
    documents (each keeps its knowledge base)."""
    if ws.kbs is None:
        return ws.indexer.run(library_roots(ws.settings), progress=progress, on_wait=waiting_notice(progress))
    sources = [Path(r.source) for r in indexed_records(ws) if Path(r.source).is_file()]
    if not sources:
        raise LibraryError("没有可重新索引的文件")
    return own_outcomes(ws.indexer.run(sources, progress=progress, on_wait=waiting_notice(progress)), sources)


def own_outcomes(report: IndexReport, paths: Sequence[Path]) -> IndexReport:
    """The report of a run, told to someone who may see only ``paths``: a run also repairs or removes
    other knowledge bases' documents (a killed run's leftovers, files gone from disk), which he must
    not learn the names or the number of."""
    own = {str(p.resolve()) for p in paths}
    return dataclasses.replace(report, outcomes=[o for o in report.outcomes if o.source in own], repaired=0)
