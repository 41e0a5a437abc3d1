"""Where an index lives: its builds, the pointer to the current one, and how each side opens them.

Embedded (one machine)::

    <index folder>/index.lock                  the writer lock (index/lock.py)
    <index folder>/current.json                the pointer (index/generation.py)
    <index folder>/chroma/                     Chroma; one collection per build: <base>-<build>
    <index folder>/builds/<build>/             lexical.sqlite, manifest.sqlite, bm25/<version>/

With a Chroma server, the server holds the pointer (collection ``<base>-state``), each build's chunk
vectors (``<base>-<build>``) and its document records (``<base>-<build>-docs``, index/replica.py); the
index folder keeps the writer's lock and manifest (``builds/<build>/manifest.sqlite``) and each
replica's local copy (``replica/<build>/``).

An index written before builds existed (pipeline version 5 and earlier) is read as the build
``legacy``: files at the folder's root and the collection ``<base>``; the next write replaces it.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from index.chunking import Chunk
from index.embedding import SentenceEmbeddings
from index.generation import (
    LEGACY_BUILD,
    ChromaPointer,
    FilePointer,
    Generation,
    IndexReadOnly,
    IndexUnavailable,
    Pointer,
)
from index.lexical import LexicalStore
from index.lock import writer_active
from index.manifest import Manifest
from index.replica import (
    DOCUMENTS_SUFFIX,
    RemoteDocuments,
    ReplicaCache,
    documents_collection,
    drop_other_caches,
)
from index.store import VectorStore, open_client

ChromaMode = Literal["embedded", "server"]
_BUILD_ID = r"\d{14}-[0-9a-f]{6}"


class LexicalSide(Protocol):
    """What the writer keeps in step with the vectors: a LexicalStore, or document records on a server."""

    def replace_document(self, doc_id: str, chunks: list[Chunk], text: str) -> None: ...

    def delete_document(self, doc_id: str) -> None: ...

    def count(self) -> int: ...

    def doc_ids(self) -> set[str]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class StorageConfig:
    root: Path
    collection: str = "zhenggaitong"  # the base name of every collection of this index
    mode: ChromaMode = "embedded"
    host: str = "127.0.0.1"
    port: int = 8000


@dataclass
class WriterStores:
    build: str
    vectors: VectorStore
    lexical: LexicalSide
    manifest: Manifest

    def close(self) -> None:
        self.vectors.close()
        self.lexical.close()
        self.manifest.close()


@dataclass
class ReaderStores:
    lexical: LexicalStore
    manifest: Manifest

    def close(self) -> None:
        self.lexical.close()
        self.manifest.close()


_SEGMENT_FOLDER = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def remove_orphan_segments(chroma: Path) -> list[str]:
    """Delete the vector folders (``chroma/<segment id>/``) that no segment of Chroma's database names.

    Chroma 1.x deletes a collection's rows but leaves its HNSW folder on disk (chroma-core/chroma#5259),
    so every rebuild would leave the old build's vectors behind. Called by the writer only (under the
    writer lock), when nothing is creating a collection.
    """
    database = chroma / "chroma.sqlite3"
    if not database.exists():
        return []
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        live = {row[0] for row in connection.execute("SELECT id FROM segments")}
    removed = [p.name for p in chroma.iterdir() if p.is_dir() and _SEGMENT_FOLDER.match(p.name) and p.name not in live]
    for name in removed:
        shutil.rmtree(chroma / name, ignore_errors=True)
    return removed


def new_build_id() -> str:
    return f"{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"


class IndexStorage:
    def __init__(self, config: StorageConfig) -> None:
        self.config = config
        self.root = config.root
        self._server_client: Any = None
        self._pointer: Pointer = (
            FilePointer(self.root) if config.mode == "embedded" else ChromaPointer(self._client(), config.collection)
        )

    @property
    def server(self) -> bool:
        return self.config.mode == "server"

    # -- the pointer ----------------------------------------------------------------------------------
    def current(self) -> Generation:
        """The pointer (cheap: one ``stat`` embedded, one metadata read from a server)."""
        try:
            found = self._pointer.read()
        except Exception as exc:  # a server that is down or unreachable
            raise IndexUnavailable(f"无法连接 Chroma 服务（{self.config.host}:{self.config.port}）：{exc}") from exc
        if found is not None:
            return found
        if (self.root / "manifest.sqlite").exists():
            return Generation(LEGACY_BUILD)
        return Generation()

    def require(self) -> Generation:
        """The pointer of an index that can be read, or ``IndexUnavailable`` saying why not (in Chinese)."""
        generation = self.current()
        if generation.ready:
            return generation
        if generation.next and (self.server or writer_active(self.root)):
            raise IndexUnavailable("索引正在首次建立，请等建立完成后再提问（可在资料库或命令行查看进度）")
        raise IndexUnavailable("还没有建立索引：请先运行 python -m assistant index（或在资料库上传文件）")

    def publish(self, generation: Generation) -> None:
        """Write the pointer (writers only, holding the writer lock)."""
        self._pointer.write(generation)

    def writer_id(self) -> str:
        """This index folder's id. With a Chroma server, replicas on other machines have folders of their
        own: the pointer records which folder keeps the index (its manifest and lock live there)."""
        path = self.root / "writer.id"
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(uuid.uuid4().hex[:12], encoding="utf-8")
            tmp.replace(path)
        return path.read_text(encoding="utf-8").strip()

    def check_writer(self, generation: Generation, *, rebuild: bool) -> None:
        """Refuse an incremental write from a folder that does not keep this index (a rebuild takes it over)."""
        if generation.ready and generation.writer and generation.writer != self.writer_id() and not rebuild:
            raise IndexReadOnly(
                "这个索引由另一台机器上的整改通维护（上传、删除和重新索引要在那里进行）；"
                "确需改由本机维护，请在本机运行 python -m assistant index --rebuild"
            )

    # -- names ----------------------------------------------------------------------------------------
    def folder(self, build: str) -> Path:
        return self.root if build == LEGACY_BUILD else self.root / "builds" / build

    def collection_name(self, build: str) -> str:
        return self.config.collection if build == LEGACY_BUILD else f"{self.config.collection}-{build}"

    def _client(self, *, fresh: bool = False) -> Any:
        c = self.config
        if c.mode == "server":
            if self._server_client is None:
                self._server_client = open_client("server", path=self.root, host=c.host, port=c.port)
            return self._server_client
        return open_client("embedded", path=self.root / "chroma", fresh=fresh)

    # -- opening --------------------------------------------------------------------------------------
    def vectors(self, build: str, embeddings: SentenceEmbeddings, *, create: bool = False) -> VectorStore:
        """A build's vectors. Embedded, always through a Chroma system of its own (see ``open_client``)."""
        return VectorStore(self._client(fresh=True), self.collection_name(build), embeddings, create=create)

    def writer(self, build: str, embeddings: SentenceEmbeddings) -> WriterStores:
        folder = self.folder(build)
        manifest = Manifest(folder / "manifest.sqlite")
        vectors = self.vectors(build, embeddings, create=True)
        lexical: LexicalSide
        if self.server and build != LEGACY_BUILD:
            name = self.collection_name(build) + DOCUMENTS_SUFFIX
            lexical = RemoteDocuments(documents_collection(self._client(), name, create=True), manifest)
        else:
            lexical = LexicalStore(folder / "lexical.sqlite")
        return WriterStores(build, vectors, lexical, manifest)

    def reader(self, generation: Generation) -> ReaderStores:
        """The text side of the current build, read-only; with a server, this replica's synced copy."""
        build = generation.build
        if not self.server or build == LEGACY_BUILD:
            folder = self.folder(build)
            return ReaderStores(LexicalStore(folder / "lexical.sqlite", readonly=True),
                                Manifest(folder / "manifest.sqlite", readonly=True))
        name = self.collection_name(build) + DOCUMENTS_SUFFIX
        try:
            cache = ReplicaCache(self.root / "replica" / build, documents_collection(self._client(), name, create=False))
            cache.sync()
        except Exception as exc:
            raise IndexUnavailable(f"无法从 Chroma 服务读取索引（{self.config.host}:{self.config.port}）：{exc}") from exc
        drop_other_caches(self.root / "replica", {build, generation.previous})
        return ReaderStores(LexicalStore(cache.lexical_path, readonly=True),
                            Manifest(cache.manifest_path, readonly=True))

    # -- builds ---------------------------------------------------------------------------------------
    def builds(self) -> set[str]:
        """Every build something is stored for (folders and collections), the legacy one included."""
        found = {p.name for p in (self.root / "builds").glob("*") if p.is_dir()}
        if (self.root / "manifest.sqlite").exists() or (self.root / "lexical.sqlite").exists():
            found.add(LEGACY_BUILD)
        if self.server or (self.root / "chroma").exists():
            pattern = re.compile(rf"^{re.escape(self.config.collection)}-({_BUILD_ID})(?:{DOCUMENTS_SUFFIX})?$")
            for name in self._collection_names():
                match = pattern.match(name)
                if match:
                    found.add(match.group(1))
                elif name == self.config.collection:
                    found.add(LEGACY_BUILD)
        return found

    def _collection_names(self) -> list[str]:
        return [c if isinstance(c, str) else c.name for c in self._client().list_collections()]

    def drop(self, build: str) -> None:
        """Delete everything of one build: its collections and its files."""
        from chromadb.errors import NotFoundError

        client = self._client()
        name = self.collection_name(build)
        for collection in (name, name + DOCUMENTS_SUFFIX):
            with contextlib.suppress(NotFoundError, ValueError):
                client.delete_collection(collection)
        if not self.server:
            remove_orphan_segments(self.root / "chroma")
        if build == LEGACY_BUILD:
            for path in self.root.glob("*.sqlite*"):
                if path.name.startswith(("lexical.sqlite", "manifest.sqlite")):
                    path.unlink(missing_ok=True)
            shutil.rmtree(self.root / "bm25", ignore_errors=True)
        else:
            shutil.rmtree(self.folder(build), ignore_errors=True)
