"""``index(paths)``: discover files, skip unchanged ones, (re)write changed ones, purge deleted ones.

Per document the write protocol is: manifest row → pending; old chunks purged from both stores;
new chunks written to Chroma and to the lexical side; manifest row → ok. Any crash leaves a
pending row, and every run starts by redoing pending rows, so the stores converge to a clean build.
Around it, ``Indexer`` holds the writer lock, chooses the build to write (index/storage.py) and
publishes the next generation when the run ends (index/generation.py).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from index.bm25 import refresh_saved_index
from index.chunking import DEFAULT_KB, Chunk, chunk_document
from index.embedding import SentenceEmbeddings
from index.generation import Generation
from index.lexical import LexicalStore
from index.loaders import SUPPORTED_SUFFIXES, LoadedDocument, LoadError, PageProgress, load_document
from index.lock import WaitNotice, writer_lock
from index.manifest import OK, PENDING, Manifest, content_hash, doc_id_for
from index.storage import IndexStorage, WriterStores, new_build_id

# Bump when chunking or cleaning changes what a file turns into: every file is then re-indexed.
# 4: document texts in the store; 5: OCR, OFD, spreadsheets, chunks carry ``ocr``; 6: the reference kind;
# 7: builds and a generation pointer (index/storage.py), document records on a Chroma server;
# 8: chunks and document records carry their knowledge base (``kb``); 9: a title line standing alone is
# no chunk (index/chunking.py); 10: an interviewer's question (问：…) opens a section (index/structure.py).
PIPELINE_VERSION = "10"

Status = Literal["added", "updated", "unchanged", "duplicate", "removed", "failed"]
STATUS_LABELS: dict[str, str] = {
    "added": "新增",
    "updated": "更新",
    "unchanged": "未变",
    "duplicate": "重复",
    "removed": "删除",
    "failed": "失败",
}


@dataclass(frozen=True)
class ChunkingOptions:
    max_chars: int = 400
    min_chars: int = 60
    overlap_chars: int = 60


@dataclass(frozen=True)
class FileOutcome:
    source: str
    status: Status
    chunks: int = 0
    reason: str = ""


@dataclass
class IndexReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0
    characters: int = 0
    repaired: int = 0

    def counts(self) -> dict[str, int]:
        counted: Counter[str] = Counter(o.status for o in self.outcomes)
        return {status: counted.get(status, 0) for status in STATUS_LABELS}

    @property
    def chunks_written(self) -> int:
        return sum(o.chunks for o in self.outcomes if o.status in ("added", "updated"))

    def summary(self) -> str:
        counts = self.counts()
        parts = [f"{STATUS_LABELS[s]} {n}" for s, n in counts.items()]
        lines = [f"索引完成：{'，'.join(parts)}；写入 {self.chunks_written} 个片段，用时 {self.seconds:.1f} 秒"]
        if self.repaired:
            lines.append(f"修复了上次中断留下的 {self.repaired} 个文档")
        lines += [f"  失败：{Path(o.source).name}：{o.reason}" for o in self.outcomes if o.status == "failed"]
        lines += [f"  重复：{Path(o.source).name}：{o.reason}" for o in self.outcomes if o.status == "duplicate"]
        return "\n".join(lines)


# Called with (files done, files in all, what is being done): the file's name, or, while its pages go
# through OCR, "第 3/50 页（文字识别）" and the name.
ProgressCallback = Callable[[int, int, str], None]


def page_message(done: int, total: int, name: str) -> str:
    return f"第 {done}/{total} 页（文字识别）{name}"


def document_chunks(
    path: Path, doc_id: str, options: ChunkingOptions, *, kb: str = DEFAULT_KB, progress: PageProgress | None = None
) -> tuple[LoadedDocument, list[Chunk]]:
    """What one file turns into (the chunks whose ``embedding_text`` is embedded); LoadError if nothing."""
    document = load_document(path, progress=progress)
    chunks = chunk_document(
        document,
        doc_id=doc_id,
        max_chars=options.max_chars,
        min_chars=options.min_chars,
        overlap_chars=options.overlap_chars,
        kb=kb,
    )
    if not chunks:
        raise LoadError(path, "没有可索引的文字")
    return document, chunks


def discover(paths: Sequence[Path]) -> list[Path]:
    """Supported files under the given files and folders, hidden ones skipped, in a stable order."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(
                p for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            found.add(path)  # named explicitly: an unsupported type gets a clear failure, not silence
    return sorted(p.resolve() for p in found)


# A build that stopped being current is kept this long, so that queries begun on it can finish (a
# reader checks the pointer before each query); the next writer run after that drops it.
RETIRED_BUILD_GRACE_SECONDS = 60.0


class Indexer:
    """Every write to an index: one writer at a time (index/lock.py), each write ending in a new generation.

    An incremental run writes into the current build and bumps the generation at its end. A rebuild, or
    a run after the pipeline changed (the fingerprint), writes a new build beside the current one, which
    keeps serving readers until the pointer switches to the new build at the end (index/generation.py).
    Leftovers of a killed run, and builds retired more than a grace period ago, are dropped at the start.
    """

    def __init__(
        self, storage: IndexStorage, embeddings: SentenceEmbeddings, options: ChunkingOptions = ChunkingOptions()
    ) -> None:
        self.storage = storage
        self.embeddings = embeddings
        self.options = options

    @property
    def fingerprint(self) -> str:
        o = self.options
        return f"v{PIPELINE_VERSION}|{self.embeddings.name}|{o.max_chars}/{o.min_chars}/{o.overlap_chars}"

    def run(
        self,
        paths: Sequence[Path],
        *,
        rebuild: bool = False,
        progress: ProgressCallback | None = None,
        wait: bool = True,
        on_wait: WaitNotice | None = None,
        kb: str | None = None,
    ) -> IndexReport:
        """Index ``paths`` (incrementally, or into a new build with ``rebuild``); ``IndexBusy`` when another
        writer is running and ``wait`` is False. The files go into the knowledge base ``kb``; with None,
        a file already indexed keeps its knowledge base and a new one goes into the default one."""
        with writer_lock(self.storage.root, wait=wait, on_wait=on_wait):
            current = self.storage.current()
            self.storage.check_writer(current, rebuild=rebuild)
            build, carried, known = self._target(current, rebuild)
            self._drop_unused(self.storage.current(), build)
            stores = self.storage.writer(build, self.embeddings)
            try:
                writer = BuildWriter(stores, self.options)
                report = writer.run([*paths, *carried], fingerprint=self.fingerprint, progress=progress,
                                    kb=kb, kb_of=known)
            finally:
                stores.close()
            self.storage.publish(self.storage.current().published(build, self.storage.writer_id()))
        return report

    def remove(self, source: str, *, wait: bool = True, on_wait: WaitNotice | None = None) -> bool:
        """Take one document out of the current build. Returns False when it was not indexed."""
        with writer_lock(self.storage.root, wait=wait, on_wait=on_wait):
            current = self.storage.current()
            if not current.ready:
                return False
            self.storage.check_writer(current, rebuild=False)
            stores = self.storage.writer(current.build, self.embeddings)
            try:
                removed = BuildWriter(stores, self.options).remove(source)
            finally:
                stores.close()
            if removed:
                self.storage.publish(current.published(current.build, self.storage.writer_id()))
        return removed

    def write_chunks(self, chunks: Sequence[Chunk], texts: Mapping[str, str]) -> None:
        """Store prepared chunks (an evaluation corpus that has no files; ``texts``: doc_id → text).

        They get no manifest rows, so a later run over files treats them as strays and removes them.
        """
        with writer_lock(self.storage.root):
            current = self.storage.current()
            self.storage.check_writer(current, rebuild=False)
            build = current.build if current.ready else new_build_id()
            stores = self.storage.writer(build, self.embeddings)
            try:
                by_doc: dict[str, list[Chunk]] = {}
                for chunk in chunks:
                    by_doc.setdefault(chunk.doc_id, []).append(chunk)
                stores.vectors.add(chunks, self.embeddings.embed_array([c.embedding_text() for c in chunks]))
                for doc_id, own in by_doc.items():
                    stores.lexical.replace_document(doc_id, own, texts[doc_id])
                if isinstance(stores.lexical, LexicalStore):
                    refresh_saved_index(stores.lexical)
            finally:
                stores.close()
            self.storage.publish(self.storage.current().published(build, self.storage.writer_id()))

    def _target(self, current: Generation, rebuild: bool) -> tuple[str, list[Path], dict[str, str]]:
        """The build to write into, the files a pipeline change carries over from the current one, and
        the knowledge base of each document of the current build that a new build must keep."""
        if not rebuild and current.ready and self._fingerprint_of(current.build) == self.fingerprint:
            return current.build, [], {}
        if not rebuild and not current.ready and current.next and self._fingerprint_of(current.next) == self.fingerprint:
            # A first build a killed run left: nothing serves yet, so it is resumed (its pending rows
            # repaired) rather than started over. A killed *re*build is dropped instead: the current
            # build keeps serving and the next run writes into it.
            return current.next, [], {}
        build = new_build_id()
        # Recorded before anything is written: a reader can say a first build is running, and the next
        # writer knows what a killed run left behind.
        self.storage.publish(replace(current, next=build))
        if not current.ready:
            return build, [], {}
        # The pipeline changed: every document of the current build is indexed again, not only ``paths``.
        # A rebuild indexes ``paths`` only; either way a document keeps its knowledge base.
        # The current build's records: this folder's manifest, or — for a replica taking the index over
        # with a Chroma server — its synced copy of the records on the server.
        local = self.storage.folder(current.build) / "manifest.sqlite"
        stores = None if local.exists() else self.storage.reader(current)
        manifest = stores.manifest if stores is not None else Manifest(local, readonly=True)
        try:
            known = {r.source: r.kb for r in manifest.records() if Path(r.source).is_file()}
            return build, [] if rebuild else [Path(s) for s in known], known
        finally:
            if stores is not None:
                stores.close()
            else:
                manifest.close()

    def _fingerprint_of(self, build: str) -> str | None:
        path = self.storage.folder(build) / "manifest.sqlite"
        if not path.exists():
            return None
        manifest = Manifest(path, readonly=True)
        try:
            return manifest.get_meta("fingerprint")
        finally:
            manifest.close()

    def _drop_unused(self, current: Generation, target: str) -> None:
        keep = {current.build, target}
        if current.previous and time.time() - current.retired_at < RETIRED_BUILD_GRACE_SECONDS:
            keep.add(current.previous)
        for build in self.storage.builds() - keep:
            self.storage.drop(build)


class BuildWriter:
    """The per-document write protocol on the stores of one build (see the module docstring)."""

    def __init__(self, stores: WriterStores, options: ChunkingOptions = ChunkingOptions()) -> None:
        self.vectors = stores.vectors
        self.lexical = stores.lexical
        self.manifest = stores.manifest
        self.options = options
        self._kb_of: dict[str, str] = {}  # source → knowledge base, for documents written again

    def run(
        self, paths: Sequence[Path], *, fingerprint: str, progress: ProgressCallback | None = None,
        kb: str | None = None, kb_of: Mapping[str, str] | None = None,
    ) -> IndexReport:
        """``kb``: the knowledge base of every file of ``paths``; None keeps each document's own (its row
        here, else ``kb_of``, else the default one)."""
        started = time.perf_counter()
        report = IndexReport()
        self.manifest.set_meta("fingerprint", fingerprint)
        self._kb_of = dict(kb_of or {})
        redo = self._repair()
        report.repaired = len(redo)

        files = discover(paths)
        wanted = {str(p) for p in files}
        named = set(wanted) if kb is not None else set()
        files += [Path(s) for s in redo if s not in wanted and Path(s).is_file()]
        for i, path in enumerate(files):
            page_progress: PageProgress | None = None
            if progress:
                progress(i, len(files), path.name)
                page_progress = self._page_progress(progress, i, len(files), path.name)
            outcome, chars = self._index_file(path, page_progress, kb if str(path) in named else None)
            report.outcomes.append(outcome)
            report.characters += chars
        report.outcomes += self._purge_missing(wanted)
        if isinstance(self.lexical, LexicalStore):
            # Readers (the web app, the next CLI command) then load BM25 from disk instead of rebuilding
            # it; with a Chroma server every replica saves its own from its copy (index/replica.py).
            refresh_saved_index(self.lexical)
        if progress:
            progress(len(files), len(files), "")
        report.seconds = time.perf_counter() - started
        return report

    @staticmethod
    def _page_progress(progress: ProgressCallback, done: int, total: int, name: str) -> PageProgress:
        return lambda page, pages: progress(done, total, page_message(page, pages, name))

    def remove(self, source: str) -> bool:
        record = self.manifest.get(source)
        if record is None:
            return False
        self.manifest.mark_pending(source, record.doc_id, record.content_hash)
        self._purge(record.doc_id)
        self.manifest.forget(source)
        return True

    def _purge(self, doc_id: str) -> None:
        # The lexical side first: with a server its record going first means no record ever lacks chunks.
        self.lexical.delete_document(doc_id)
        self.vectors.delete_document(doc_id)

    def _repair(self) -> list[str]:
        """Undo writes a killed run left half-done; returns the sources to index again."""
        records = self.manifest.records()
        redo = []
        for record in records:
            self._kb_of.setdefault(record.source, record.kb)  # a document redone keeps its knowledge base
            if record.status == PENDING:
                self._purge(record.doc_id)
                self.manifest.forget(record.source)
                redo.append(record.source)
        ok = {r.doc_id: r for r in records if r.status == OK}
        expected = sum(r.chunks for r in ok.values())
        if self.vectors.count() == expected and self.lexical.count() == expected:
            return redo
        # Counts disagree (e.g. a store was written outside this protocol): reconcile by document.
        vector_docs, lexical_docs = self.vectors.doc_ids(), self.lexical.doc_ids()
        for stray in (vector_docs | lexical_docs) - ok.keys():
            self._purge(stray)
        for doc_id, record in ok.items():
            if doc_id not in vector_docs or doc_id not in lexical_docs:
                self._purge(doc_id)
                self.manifest.forget(record.source)
                redo.append(record.source)
        return redo

    def _index_file(
        self, path: Path, page_progress: PageProgress | None = None, kb: str | None = None
    ) -> tuple[FileOutcome, int]:
        source = str(path)
        try:
            digest = content_hash(path)
        except OSError as exc:
            return FileOutcome(source, "failed", reason=f"无法读取文件：{exc.strerror or exc}"), 0
        previous = self.manifest.get(source)
        kb = kb or (previous.kb if previous else None) or self._kb_of.get(source) or DEFAULT_KB
        if previous and previous.status == OK and previous.content_hash == digest and previous.kb == kb:
            return FileOutcome(source, "unchanged", previous.chunks), 0
        # The same file under another path of the same knowledge base (a copy in a second folder) would
        # answer every question twice. In another knowledge base it is kept: its readers need it too.
        twin = next((r for r in self.manifest.with_content(digest)
                     if r.source != source and r.kb == kb and Path(r.source).is_file()), None)
        if twin is not None:
            if previous is not None:  # this path's old content is no longer on disk
                self.remove(source)
            reason = f"与已索引的 {Path(twin.source).name} 内容相同，未重复索引"
            return FileOutcome(source, "duplicate", reason=reason), 0
        status: Status = "updated" if previous and previous.status == OK else "added"
        doc_id = doc_id_for(source)
        self.manifest.mark_pending(source, doc_id, digest, kb)
        self._purge(doc_id)
        if previous and previous.doc_id != doc_id:  # a row moved to a new path by a restore (assistant/backup.py)
            self._purge(previous.doc_id)
        try:
            document, chunks = document_chunks(path, doc_id, self.options, kb=kb, progress=page_progress)
            vectors = self.vectors.embeddings.embed_array([c.embedding_text() for c in chunks])
            self.vectors.add(chunks, vectors)
            self.lexical.replace_document(doc_id, chunks, document.text)
        except LoadError as exc:
            self.manifest.mark_failed(source, exc.reason)
            return FileOutcome(source, "failed", reason=exc.reason), 0
        except Exception as exc:  # one broken document must never stop the others
            self._purge(doc_id)
            reason = f"处理出错：{type(exc).__name__}: {exc}"
            self.manifest.mark_failed(source, reason)
            return FileOutcome(source, "failed", reason=reason), 0
        self.manifest.mark_ok(source, title=chunks[0].title, kind=chunks[0].kind, chunks=len(chunks))
        return FileOutcome(source, status, len(chunks)), len(document.text)

    def _purge_missing(self, present: set[str]) -> list[FileOutcome]:
        """Documents whose file is gone from disk: nothing may be answered from a deleted file."""
        outcomes = []
        for record in self.manifest.records():
            if record.source not in present and not Path(record.source).exists():
                self.remove(record.source)
                outcomes.append(FileOutcome(record.source, "removed", record.chunks))
        return outcomes
