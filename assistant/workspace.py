"""The one core object: an index, its stores and the models that read and write them.

The CLI and the web app are thin shells over a ``Workspace`` built from ``Settings``; each part is
created on first use, so a command that only lists documents never loads the encoder.

Readers follow the index: every use of the stores, the searchers or the answerer first compares the
index's pointer (index/generation.py; a ``stat`` of a small file, or one metadata read from a Chroma
server) with the generation the workspace has open, and opens the new one when another process (or
this one) has written since. One request keeps the set of objects it started with, so a rebuild that
switches mid-request never mixes two builds in one answer. With no index yet, ``IndexUnavailable``
says so in Chinese.

``Workspace.within(kbs)`` is the same workspace narrowed to some knowledge bases (a reader's rights,
assistant/access.py): every store, searcher and answerer it hands out sees only their documents
(assistant/scope.py). It shares the encoder, the stores and the open generation with the whole one.
"""

from __future__ import annotations

import copy
import functools
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from langchain_core.language_models.chat_models import BaseChatModel

from assistant.access import AccessStore
from assistant.answering import Answerer
from assistant.audit import AuditLog
from assistant.llm import build_chat_model
from assistant.retrieval import HybridSearcher, LexicalIndex
from assistant.scope import ScopedLexicalStore, ScopedManifest
from assistant.settings import Settings
from assistant.signals.relevance import RankedSearcher
from assistant.units import UnitReader
from index.embedding import SentenceEmbeddings, build_embeddings
from index.generation import Generation
from index.lexical import LexicalStore
from index.lock import WaitNotice
from index.manifest import Manifest
from index.pipeline import ChunkingOptions, Indexer, IndexReport, ProgressCallback
from index.storage import IndexStorage, ReaderStores, StorageConfig
from index.store import VectorStore

if TYPE_CHECKING:
    from assistant.ledger import LedgerRow

logger = logging.getLogger(__name__)
T = TypeVar("T")


class IndexView:
    """One generation of the index, opened for reading: its stores and everything built on them."""

    def __init__(self, ws: Workspace, generation: Generation, stores: ReaderStores) -> None:
        self.generation = generation
        self.lexical: LexicalStore = stores.lexical
        self.manifest: Manifest = stores.manifest
        self._ws = ws
        self._scoped: dict[tuple[str, ...], IndexView] = {}
        self._scoped_lock = threading.Lock()

    @property
    def key(self) -> tuple[str, int]:
        return self.generation.build, self.generation.number

    def within(self, kbs: tuple[str, ...]) -> IndexView:
        """This generation as a reader of the knowledge bases ``kbs`` sees it (made once per set)."""
        with self._scoped_lock:
            view = self._scoped.get(kbs)
            if view is None:
                view = self._scoped[kbs] = ScopedView(self, kbs)
            return view

    @cached_property
    def vectors(self) -> VectorStore:
        return self._ws.storage.vectors(self.generation.build, self._ws.embeddings)

    @cached_property
    def chance_cosine(self) -> float:
        """The encoder's cosine for unrelated passages of this generation (read once: ~0.2 s)."""
        return self.vectors.chance_cosine()

    @cached_property
    def searcher(self) -> HybridSearcher:
        return HybridSearcher(LexicalIndex(self.lexical), self.vectors)

    @cached_property
    def ranked(self) -> RankedSearcher:
        """The hybrid pool reordered by the relevance model (assistant/signals/)."""
        return RankedSearcher.trained(self.searcher)

    @cached_property
    def units(self) -> UnitReader:
        return UnitReader(self.lexical.chunks_of, self.lexical.document_text, self.lexical.version)

    @cached_property
    def answerer(self) -> Answerer:
        ws = self._ws
        ranked = self.ranked
        chat_model = ws.chat_model
        if ws.settings.rerank:
            # Only answers are reranked: search, measure checks, study material and evaluation keep
            # the learned order (reranking calls the LLM once per question).
            from assistant.reranking import LLMReranker

            if chat_model is None:
                logger.warning("已设置 ZGT_RERANK，但没有配置大模型（ZGT_LLM_PROVIDER），不做重排序")
            else:
                ranked = replace(ranked, reranker=LLMReranker(chat_model), rerank_top_n=ws.settings.rerank_top_n)
        return Answerer(ranked, units=self.units, ledger=self.ledger_rows, chat_model=chat_model,
                        llm_timeout=ws.settings.llm_timeout_seconds)

    def ledger_rows(self) -> list[LedgerRow]:
        """Every measure row of this generation's reports and ledgers, read once (a generation never changes)."""
        return self._ledger_rows

    @cached_property
    def _ledger_rows(self) -> list[LedgerRow]:
        from assistant.ledger import ledger_from_chunks

        return ledger_from_chunks((e.chunk for e in self.lexical.entries()), load_text=self.lexical.document_text)


class ScopedView(IndexView):
    """A generation narrowed to some knowledge bases: its stores, searchers and answerer see only their
    documents; the encoder, the vectors and the BM25 arrays are the whole view's."""

    def __init__(self, base: IndexView, kbs: tuple[str, ...]) -> None:  # no super(): nothing is opened
        self.generation = base.generation
        self._ws = base._ws
        self._base = base
        self.kbs = kbs
        self.manifest = ScopedManifest(base.manifest, kbs)
        self.lexical = ScopedLexicalStore(base.lexical, {r.doc_id for r in self.manifest.records()}, kbs)

    def within(self, kbs: tuple[str, ...]) -> IndexView:
        return self._base.within(tuple(k for k in kbs if k in self.kbs))

    @cached_property
    def vectors(self) -> VectorStore:
        return self._base.vectors

    @cached_property
    def chance_cosine(self) -> float:
        return self._base.chance_cosine

    @cached_property
    def searcher(self) -> HybridSearcher:
        # A reader of every knowledge base this generation holds needs no filter (filtering costs a
        # Chroma metadata scan); the narrowed stores still hold only documents of his knowledge bases.
        present = {r.kb for r in self._base.manifest.records()}
        return replace(self._base.searcher, kbs=None if present <= set(self.kbs) else self.kbs)

    @cached_property
    def ranked(self) -> RankedSearcher:
        return replace(self._base.ranked, base=self.searcher)


def shared_with_whole(make: Callable[[Workspace], T]) -> cached_property[T]:
    """A cached property that a narrowed workspace takes from the whole one: one encoder, one storage,
    one access and audit database per index, however many readers narrow it."""

    def get(ws: Workspace) -> T:
        return getattr(ws._whole, make.__name__) if ws._whole is not ws else make(ws)

    functools.update_wrapper(get, make)
    return cached_property(get)


class Workspace:
    def __init__(self, settings: Settings, *, embeddings: SentenceEmbeddings | None = None) -> None:
        self.settings = settings
        if embeddings is not None:  # share an encoder already in memory (tests, benchmarks)
            self.__dict__["embeddings"] = embeddings
        self._view: IndexView | None = None
        self._view_lock = threading.Lock()
        self._pinned = threading.local()
        self.kbs: tuple[str, ...] | None = None  # the knowledge bases it reads; None: all
        self._whole = self

    def within(self, kbs: Sequence[str] | None) -> Workspace:
        """This workspace narrowed to the knowledge bases ``kbs`` (None: the whole index)."""
        whole = self._whole
        if kbs is None:
            return whole if self.kbs is None else self
        allowed = tuple(dict.fromkeys(k for k in kbs if self.kbs is None or k in self.kbs))
        narrowed = copy.copy(whole)  # shares settings, locks and whatever is already loaded
        narrowed.kbs = allowed
        narrowed._whole = whole
        return narrowed

    @property
    def index_dir(self) -> Path:
        return self.settings.index_dir

    @shared_with_whole
    def embeddings(self) -> SentenceEmbeddings:
        s = self.settings
        return build_embeddings(
            s.embedding_model, threads=s.embedding_threads, batch_size=s.embedding_batch_size, cache=s.embedding_cache
        )

    @shared_with_whole
    def storage(self) -> IndexStorage:
        s = self.settings
        return IndexStorage(StorageConfig(self.index_dir, s.chroma_collection, s.chroma_mode, s.chroma_host, s.chroma_port))

    @property
    def chunking(self) -> ChunkingOptions:
        s = self.settings
        return ChunkingOptions(s.chunk_max_chars, s.chunk_min_chars, s.chunk_overlap_chars)

    @shared_with_whole
    def indexer(self) -> Indexer:
        return Indexer(self.storage, self.embeddings, self.chunking)

    @shared_with_whole
    def access(self) -> AccessStore:
        """Knowledge bases, users and grants of this index (assistant/access.py)."""
        return AccessStore(self.index_dir)

    @shared_with_whole
    def audit(self) -> AuditLog:
        """The append-only record of who did what (assistant/audit.py)."""
        return AuditLog(self.index_dir)

    @shared_with_whole
    def chat_model(self) -> BaseChatModel | None:
        return build_chat_model(self.settings)

    # -- reading: the current generation ------------------------------------------------------------------
    def view(self) -> IndexView:
        """The index's current generation, opened (again) when the pointer moved since the last call;
        narrowed to this workspace's knowledge bases."""
        if self._whole is not self:
            assert self.kbs is not None
            return self._whole.view().within(self.kbs)
        pinned: IndexView | None = getattr(self._pinned, "view", None)
        if pinned is not None:
            return pinned
        generation = self.storage.require()
        view = self._view
        if view is not None and view.key == (generation.build, generation.number):
            return view
        with self._view_lock:
            if self._view is None or self._view.key != (generation.build, generation.number):
                self._view = self._open_view(generation)
            return self._view

    @contextmanager
    def pinned(self) -> Iterator[IndexView]:
        """Within the block, this thread reads one generation: a request that reads the index several
        times (a measure check, a study pack, the ledger) never mixes two generations."""
        if self._whole is not self:
            assert self.kbs is not None
            with self._whole.pinned() as whole:
                yield whole.within(self.kbs)
            return
        if getattr(self._pinned, "view", None) is not None:  # nested: keep the outer pin
            yield self._pinned.view
            return
        self._pinned.view = self.view()
        try:
            yield self._pinned.view
        finally:
            self._pinned.view = None

    def _open_view(self, generation: Generation) -> IndexView:
        try:
            return IndexView(self, generation, self.storage.reader(generation))
        except sqlite3.OperationalError:
            # The build was dropped between reading the pointer and opening it: the pointer has moved on.
            generation = self.storage.require()
            return IndexView(self, generation, self.storage.reader(generation))

    @property
    def generation(self) -> Generation:
        return self.view().generation

    @property
    def vectors(self) -> VectorStore:
        return self.view().vectors

    @property
    def chance_cosine(self) -> float:
        return self.view().chance_cosine

    @property
    def lexical(self) -> LexicalStore:
        return self.view().lexical

    @property
    def manifest(self) -> Manifest:
        return self.view().manifest

    @property
    def searcher(self) -> HybridSearcher:
        return self.view().searcher

    @property
    def ranked(self) -> RankedSearcher:
        return self.view().ranked

    @property
    def units(self) -> UnitReader:
        return self.view().units

    @property
    def answerer(self) -> Answerer:
        return self.view().answerer

    def warm_up(self) -> None:
        """Load what the first question needs (encoder, lexical index, vector store) ahead of it.

        The web app calls this in a background thread at start-up, so its page is served at once
        and the first answer does not pay for loading models.
        """
        self.embeddings.embed_array(["预热"])
        view = self.view()
        view.searcher.lexical.search("预热", 1)
        view.vectors.search("预热", 1)  # loads the HNSW graph

    def close(self) -> None:
        """Close the open generation's files (tests and evaluation runs that make many workspaces)."""
        if self._whole is not self:
            return
        for name in ("access", "audit"):
            if name in self.__dict__:
                self.__dict__.pop(name).close()
        with self._view_lock:
            if self._view is not None:
                if "vectors" in self._view.__dict__:  # opened on first use (a cached property)
                    self._view.vectors.close()
                self._view.lexical.close()
                self._view.manifest.close()
                self._view = None

    # -- writing ------------------------------------------------------------------------------------------
    def index(
        self,
        paths: list[Path] | None = None,
        *,
        rebuild: bool = False,
        progress: ProgressCallback | None = None,
        wait: bool = True,
        on_wait: WaitNotice | None = None,
        kb: str | None = None,
    ) -> IndexReport:
        return self.indexer.run(
            paths or [self.settings.docs_dir], rebuild=rebuild, progress=progress, wait=wait, on_wait=on_wait, kb=kb
        )

