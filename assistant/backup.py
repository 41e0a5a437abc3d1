"""Backup, restore and verify: one folder holding everything the product stores, checkable by hash.

A backup folder::

    manifest.json      product and pipeline version, time, the build, and size + sha256 of every file
    settings.json      which ZGT_ settings were set, their values with secrets redacted
    index/             current.json (the pointer), chroma/ and builds/<build>/ of the current build only;
                       access.sqlite (knowledge bases, users with password hashes, grants) and audit.sqlite
    uploads/ history/ trash/ docs/   the folders of those settings, as they were

``backup`` holds the index's writer lock for the whole copy, so no write lands mid-copy while readers
keep answering. SQLite files (Chroma's, the lexical store, the manifest) are copied through SQLite's
online backup API, never byte by byte: a reader's open connection or a WAL file cannot make the copy
torn. The backup is written to a hidden sibling folder and renamed into place only when complete, so a
failure (a full disk) leaves nothing behind. ``restore`` checks every hash before it writes anything,
writes every file under a temporary name first, and only then moves them into place, pointer last.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from assistant.settings import Settings
from index.embedding import SentenceEmbeddings
from index.generation import LEGACY_BUILD, POINTER_FILE, Generation
from index.lock import LOCK_FILE, WaitNotice, writer_lock
from index.manifest import content_hash
from index.pipeline import PIPELINE_VERSION
from index.storage import IndexStorage, StorageConfig

FORMAT = 1
MANIFEST = "manifest.json"
SETTINGS_FILE = "settings.json"
PRODUCT = "zhenggaitong"
CHROMA_DB = "chroma.sqlite3"
SQLITE_SUFFIXES = (".sqlite", ".sqlite3")
# Side files of a live SQLite database: their content is inside the online backup of the database.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
# Copied besides the index: backup folder name → the setting naming the folder.
FOLDERS = {"uploads": "uploads_dir", "history": "history_dir", "trash": "trash_dir", "docs": "docs_dir"}
REDACTED = "（已隐去）"
TMP_SUFFIX = ".zgt-restoring"


class BackupError(Exception):
    """A backup, restore or verify that cannot go on. The message is for the user, in Chinese."""


def product_version() -> str:
    try:
        return metadata.version(PRODUCT)
    except metadata.PackageNotFoundError:  # a checkout never installed: only possible in development
        return "0"


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version.split("+")[0])[:4])


def _files(root: Path) -> Iterator[Path]:
    """Every regular file under ``root``, in a stable order."""
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path


def _copy_sqlite(src: Path, dst: Path) -> None:
    """SQLite's online backup: a consistent copy even while other connections read the database."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(str(dst))
        try:
            source.backup(target)
            # The copy is a standalone file: no WAL beside it, so its bytes are all there is to hash.
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
    finally:
        source.close()


def _copy_file(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def _copy_tree(src: Path, dst: Path, *, databases: bool = False) -> None:
    """A folder; with ``databases``, SQLite files through the backup API and their side files left out."""
    if not src.is_dir():
        return
    for path in _files(src):
        if databases and path.name.endswith(SQLITE_SIDE_FILES):
            continue
        target = dst / path.relative_to(src)
        if databases and path.name.endswith(SQLITE_SUFFIXES):
            _copy_sqlite(path, target)
        else:
            _copy_file(path, target)


def _storage(settings: Settings) -> IndexStorage:
    return IndexStorage(StorageConfig(settings.index_dir, settings.chroma_collection, settings.chroma_mode,
                                      settings.chroma_host, settings.chroma_port))


def _disk_message(exc: BaseException) -> str:
    text = str(exc)
    if (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG)) or "disk is full" in text:
        return "磁盘空间不足"
    return text


# -- settings without secrets ------------------------------------------------------------------------------
def settings_snapshot(settings: Settings) -> dict[str, Any]:
    """Which ZGT_ settings were set (from the environment or a settings file) and every value, secrets
    (passwords, the LLM key: every ``SecretStr``) redacted, so the backup never carries them."""
    values: dict[str, Any] = {}
    secrets: list[str] = []
    for name, value in settings:
        env = f"ZGT_{name.upper()}"
        if isinstance(value, SecretStr):
            values[env] = REDACTED
            secrets.append(env)
        else:
            values[env] = str(value) if isinstance(value, Path) else value
    return {
        "set": sorted(f"ZGT_{name.upper()}" for name in settings.model_fields_set),
        "redacted": sorted(secrets),
        "values": values,
    }


# -- backup ------------------------------------------------------------------------------------------------
@dataclass
class BackupReport:
    path: Path
    build: str
    generation: int
    files: int
    bytes: int

    def summary(self) -> str:
        return (f"备份完成：{self.path}\n  索引版本 {self.build}（第 {self.generation} 代），"
                f"共 {self.files} 个文件，{self.bytes / 1e6:.1f} MB；可用 python -m assistant verify 检查")


def backup(settings: Settings, dest: Path, *, on_wait: WaitNotice | None = None) -> BackupReport:
    """Write a backup of everything ``settings`` points at into ``dest`` (absent or an empty folder)."""
    if settings.chroma_mode != "embedded":
        raise BackupError("使用 Chroma 服务时，向量数据在服务端：请用 Chroma 服务自己的备份方式，本命令只备份本机索引")
    dest = dest.absolute()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"备份目标 {dest} 已存在且不是空文件夹，请换一个位置")
    sources = [settings.index_dir, *(getattr(settings, s) for s in FOLDERS.values())]
    for folder in sources:
        if dest.resolve().is_relative_to(folder.resolve()):
            raise BackupError(f"备份目标不能放在要备份的文件夹 {folder} 里面")
    dest.parent.mkdir(parents=True, exist_ok=True)
    # Written beside ``dest`` (same file system, so the final rename is atomic) and renamed when complete.
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
    try:
        storage = _storage(settings)
        with writer_lock(settings.index_dir, on_wait=on_wait):
            generation = storage.require()
            _copy_index(storage, generation, staging / "index")
            for name, setting in FOLDERS.items():
                _copy_tree(getattr(settings, setting), staging / name)
        (staging / SETTINGS_FILE).write_text(
            json.dumps(settings_snapshot(settings), ensure_ascii=False, indent=2), encoding="utf-8")
        files = _write_manifest(staging, settings, generation)
        if dest.exists():
            dest.rmdir()  # empty (checked above); rename cannot replace a folder
        staging.rename(dest)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError | sqlite3.Error):
            raise BackupError(f"备份失败（{_disk_message(exc)}），未留下不完整的备份：{exc}") from exc
        raise
    return BackupReport(dest, generation.build, generation.number, len(files), sum(f["size"] for f in files.values()))


def _copy_index(storage: IndexStorage, generation: Generation, target: Path) -> None:
    """The current build and the pointer; other builds (retired, or a rebuild's leftovers) are not needed."""
    build = generation.build
    if build == LEGACY_BUILD:
        for name in ("lexical.sqlite", "manifest.sqlite"):
            _copy_sqlite(storage.root / name, target / name)
        _copy_tree(storage.root / "bm25", target / "bm25", databases=True)
    else:
        _copy_tree(storage.folder(build), target / "builds" / build, databases=True)
        # Only this build; the restored copy is kept by whichever folder it lands in (writer cleared).
        pointer = Generation(build=build, number=generation.number)
        target.mkdir(parents=True, exist_ok=True)
        (target / POINTER_FILE).write_text(json.dumps(pointer.to_json()), encoding="utf-8")
    _copy_chroma(storage.root / "chroma", target / "chroma", storage.collection_name(build))
    # Knowledge bases, users (password hashes only) and grants, and the audit log, which belong to the index.
    for name in ("access.sqlite", "audit.sqlite"):
        if (storage.root / name).exists():
            _copy_sqlite(storage.root / name, target / name)
    # The key that signs the audit log's prune checkpoints: without it a pruned log would not verify.
    if (storage.root / "audit.key").exists():
        _copy_file(storage.root / "audit.key", target / "audit.key")


def _copy_chroma(src: Path, dst: Path, collection: str) -> None:
    _copy_sqlite(src / CHROMA_DB, dst / CHROMA_DB)
    db = sqlite3.connect(str(dst / CHROMA_DB))
    try:
        rows = db.execute("SELECT c.name, s.id FROM segments s JOIN collections c ON s.collection = c.id "
                          "WHERE s.scope = 'VECTOR'").fetchall()
    finally:
        db.close()
    # The vector segment of a collection is a folder named by its id (the HNSW graph); the rest is in SQLite.
    for name, segment in rows:
        if name == collection and (src / segment).is_dir():
            _copy_tree(src / segment, dst / segment, databases=True)
    others = {name for name, _ in rows if name != collection}
    if others:
        _drop_collections(dst, others)


def _drop_collections(folder: Path, names: set[str]) -> None:
    """Remove other builds' collections from the copy through Chroma itself (its schema is not ours)."""
    from index.store import close_client, open_client

    client = open_client("embedded", path=folder, fresh=True)
    try:
        for name in names:
            client.delete_collection(name)
    finally:
        close_client(client)
    db = sqlite3.connect(str(folder / CHROMA_DB))
    try:
        db.execute("VACUUM")  # the dropped collections' pages would otherwise stay in the file
    finally:
        db.close()


def _write_manifest(staging: Path, settings: Settings, generation: Generation) -> dict[str, dict[str, Any]]:
    files = {
        path.relative_to(staging).as_posix(): {"size": path.stat().st_size, "sha256": content_hash(path)}
        for path in _files(staging)
    }
    manifest = {
        "format": FORMAT,
        "product": PRODUCT,
        "version": product_version(),
        "pipeline_version": PIPELINE_VERSION,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "collection": settings.chroma_collection,
        "generation": {"build": generation.build, "number": generation.number},
        "folders": {"index": str(settings.index_dir.resolve()),
                    **{name: str(getattr(settings, s).resolve()) for name, s in FOLDERS.items()}},
        "files": files,
    }
    path = staging / MANIFEST
    with path.open("w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    return files


# -- checking a backup -------------------------------------------------------------------------------------
def read_manifest(src: Path) -> dict[str, Any]:
    path = src / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"{src} 不是整改通的备份（没有 {MANIFEST}）") from exc
    except (OSError, ValueError) as exc:
        raise BackupError(f"备份清单 {path} 无法读取：{exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("product") != PRODUCT or not isinstance(manifest.get("files"), dict):
        raise BackupError(f"{path} 不是整改通的备份清单")
    return manifest


def check_versions(manifest: dict[str, Any]) -> None:
    """A backup from a newer product or pipeline may hold what this version cannot read: refused."""
    version, pipeline = str(manifest.get("version", "")), str(manifest.get("pipeline_version", ""))
    if int(manifest.get("format", 0)) > FORMAT or _version_key(version) > _version_key(product_version()):
        raise BackupError(f"这个备份来自较新的整改通版本 {version}（本机是 {product_version()}），"
                          "不能恢复到较旧的版本：请先升级本机的整改通")
    if _version_key(pipeline) > _version_key(PIPELINE_VERSION):
        raise BackupError(f"这个备份的索引来自较新的处理流程（版本 {pipeline}，本机是 {PIPELINE_VERSION}），"
                          "不能恢复到较旧的版本：请先升级本机的整改通")


def file_problems(src: Path, manifest: dict[str, Any]) -> list[str]:
    """Every file that is missing, altered (size or sha256) or not listed, in Chinese, naming the file."""
    problems = []
    listed: dict[str, dict[str, Any]] = manifest["files"]
    for name, expected in sorted(listed.items()):
        path = src / name
        if not path.is_file():
            problems.append(f"缺少文件：{name}")
        elif path.stat().st_size != expected.get("size") or content_hash(path) != expected.get("sha256"):
            problems.append(f"文件已被改动：{name}")
    for path in _files(src):
        name = path.relative_to(src).as_posix()
        if name != MANIFEST and name not in listed:
            problems.append(f"清单之外的文件：{name}")
    return problems


@dataclass
class VerifyReport:
    src: Path
    files: int = 0
    problems: list[str] = field(default_factory=list)
    version: str = ""
    pipeline_version: str = ""
    created_at: str = ""
    query: str = ""
    hits: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        head = (f"备份 {self.src}：整改通 {self.version}，处理流程版本 {self.pipeline_version}，"
                f"备份于 {self.created_at}，共 {self.files} 个文件")
        if self.ok:
            return f"{head}\n检查通过：所有文件的校验值一致，索引可以打开，检索“{self.query[:20]}”得到 {self.hits} 条结果"
        return "\n".join([head, f"检查未通过（{len(self.problems)} 处问题）：", *(f"  {p}" for p in self.problems)])


def verify(src: Path, settings: Settings, embeddings: SentenceEmbeddings | None = None) -> VerifyReport:
    """Check every hash, then open a copy of the index (Chroma writes to a folder it opens, so never the
    backup itself) and run one search for a passage the backup holds. The encoder is loaded (when not
    given) only once the hashes matched."""
    manifest = read_manifest(src)
    report = VerifyReport(src, len(manifest["files"]), version=str(manifest.get("version", "")),
                          pipeline_version=str(manifest.get("pipeline_version", "")),
                          created_at=str(manifest.get("created_at", "")))
    report.problems = file_problems(src, manifest)
    if report.problems:
        return report
    from assistant.workspace import Workspace

    with tempfile.TemporaryDirectory(prefix="zgt-verify-") as tmp:
        index = Path(tmp) / "index"
        shutil.copytree(src / "index", index)
        ws = Workspace(settings.model_copy(update={
            "index_dir": index, "chroma_mode": "embedded",
            "chroma_collection": str(manifest.get("collection", settings.chroma_collection))}),
            embeddings=embeddings)
        try:
            entry = next(ws.lexical.entries(), None)
            if entry is None:
                report.problems.append("索引是空的：没有任何片段")
                return report
            report.query = " ".join(entry.chunk.text.split())[:60]
            passages = ws.searcher.search(report.query, 5)
            report.hits = len(passages)
            if entry.chunk.doc_id not in {p.chunk.doc_id for p in passages}:
                report.problems.append(f"索引能打开，但检索“{report.query[:20]}”没有找到它所在的文档")
        except Exception as exc:  # whatever fails to open is the finding, not a crash
            report.problems.append(f"索引无法打开或检索：{type(exc).__name__}: {exc}")
        finally:
            ws.close()
    return report


# -- restore -----------------------------------------------------------------------------------------------
@dataclass
class RestoreReport:
    files: int
    build: str
    moved_aside: Path | None
    older_pipeline: bool
    settings_set: list[str]

    def summary(self) -> str:
        lines = [f"恢复完成：{self.files} 个文件，索引版本 {self.build}"]
        if self.moved_aside:
            lines.append(f"  原有索引已移到 {self.moved_aside}（确认无误后可删除）")
        if self.older_pipeline:
            lines.append("  备份来自较早的处理流程：下次运行 python -m assistant index 时会重新索引")
        if self.settings_set:
            lines.append(f"  备份时设置过：{'、'.join(self.settings_set)}（见备份中的 {SETTINGS_FILE}；密码和密钥未备份，需重新设置）")
        return "\n".join(lines)


def index_in_use(index_dir: Path) -> bool:
    """True when the folder holds any index (a pointer, Chroma files, builds or a legacy manifest)."""
    if not index_dir.is_dir():
        return False
    return any(p.name not in (LOCK_FILE, "writer.id") for p in index_dir.iterdir())


def restore(src: Path, settings: Settings, *, force: bool = False, on_wait: WaitNotice | None = None) -> RestoreReport:
    """Bring a backup back: nothing is written until every hash matched and the version is readable."""
    manifest = read_manifest(src)
    check_versions(manifest)
    problems = file_problems(src, manifest)
    if problems:
        raise BackupError("备份文件已损坏或被改动，未做任何恢复：\n  " + "\n  ".join(problems))
    if settings.chroma_mode != "embedded":
        raise BackupError("恢复只支持本机索引（ZGT_CHROMA_MODE=embedded）")
    collection = str(manifest.get("collection", ""))
    if collection != settings.chroma_collection:
        raise BackupError(f"备份的索引名是 {collection}，本机设置的是 {settings.chroma_collection}："
                          f"请设置 ZGT_CHROMA_COLLECTION={collection} 后再恢复")
    index_dir = settings.index_dir
    refusal = f"目标索引文件夹 {index_dir} 不是空的；确认要用备份替换它，请加 --force（原索引会移到旁边保留）"
    if index_in_use(index_dir) and not force:
        raise BackupError(refusal)
    targets = {"index": index_dir, **{name: getattr(settings, s) for name, s in FOLDERS.items()}}
    plan = [(name, targets[name.split("/", 1)[0]] / name.split("/", 1)[1]) for name in sorted(manifest["files"])
            if name.split("/", 1)[0] in targets]
    with writer_lock(index_dir, on_wait=on_wait):
        if index_in_use(index_dir) and not force:  # another restore or index got there first
            raise BackupError(refusal)
        replacing = index_in_use(index_dir)
        written = _stage_files(src, manifest, plan)
        moved = _move_aside(index_dir) if replacing else None
        # Pointer last: until it is in place a reader sees no index rather than half of one.
        for tmp, final in sorted(written, key=lambda pair: pair[1].name == POINTER_FILE):
            os.replace(tmp, final)
        _relocate_sources(index_dir, manifest, targets)
    return RestoreReport(
        files=len(plan),
        build=str(manifest.get("generation", {}).get("build", "")),
        moved_aside=moved,
        older_pipeline=_version_key(str(manifest.get("pipeline_version", ""))) < _version_key(PIPELINE_VERSION),
        settings_set=_settings_set(src),
    )


def _stage_files(src: Path, manifest: dict[str, Any], plan: list[tuple[str, Path]]) -> list[tuple[Path, Path]]:
    """Copy every file beside its final place under a temporary name, checking its hash as it is read;
    on any failure (a full disk) remove them all, and the folders this created, and raise."""
    written: list[tuple[Path, Path]] = []
    created: list[Path] = []
    try:
        for name, final in plan:
            for parent in reversed(final.parents):
                if not parent.exists():
                    parent.mkdir()
                    created.append(parent)
            tmp = final.with_name(final.name + TMP_SUFFIX)
            written.append((tmp, final))
            digest = hashlib.sha256()
            with (src / name).open("rb") as fin, tmp.open("wb") as fout:
                for block in iter(lambda: fin.read(1 << 20), b""):
                    digest.update(block)
                    fout.write(block)
            if digest.hexdigest() != manifest["files"][name]["sha256"]:
                raise BackupError(f"备份文件在恢复过程中被改动：{name}，未做任何恢复")
    except BaseException as exc:
        for tmp, _ in written:
            tmp.unlink(missing_ok=True)
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(exc, OSError):
            raise BackupError(f"恢复失败（{_disk_message(exc)}），已撤销，原有文件未改动：{exc}") from exc
        raise
    return written


def _move_aside(index_dir: Path) -> Path:
    """``--force``: the index being replaced is kept beside it, not deleted (the staged files stay)."""
    aside = index_dir.with_name(f"{index_dir.name}.before-restore-{time.strftime('%Y%m%d%H%M%S')}")
    for path in sorted(index_dir.rglob("*")):
        if path.is_file() and not path.name.endswith(TMP_SUFFIX) and path.name != LOCK_FILE:
            target = aside / path.relative_to(index_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            path.rename(target)
    for path in sorted(index_dir.rglob("*"), reverse=True):
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return aside


def _relocate_sources(index_dir: Path, manifest: dict[str, Any], targets: dict[str, Path]) -> None:
    """The index records each document by its absolute path: paths under a folder that now lives elsewhere
    are rewritten, so the next ``index`` finds them unchanged instead of removing and adding them again."""
    build = str(manifest.get("generation", {}).get("build", ""))
    folder = index_dir if build == LEGACY_BUILD else index_dir / "builds" / build
    moves = [(str(manifest["folders"][name]), str(targets[name].resolve()))
             for name in FOLDERS if name in manifest.get("folders", {})]
    moves = [(old, new) for old, new in moves if old != new]
    if not moves or not (folder / "manifest.sqlite").exists():
        return
    db = sqlite3.connect(str(folder / "manifest.sqlite"))
    try:
        for old, new in moves:
            # source is the primary key; a row already at the new path (never in a restored copy) wins.
            db.execute("UPDATE OR IGNORE files SET source = ? || substr(source, ?) WHERE source LIKE ? ESCAPE '\\'",
                       (new, len(old) + 1, _like_prefix(old) + "/%"))
        db.commit()
    finally:
        db.close()


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _settings_set(src: Path) -> list[str]:
    try:
        data = json.loads((src / SETTINGS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [str(name) for name in data.get("set", [])]
