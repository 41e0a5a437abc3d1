"""The one core object: an index, its stores and the models that read and write them.

The CLI and the web app are thin shells over a ``Workspace`` built from ``Settings``; each part is
created on first use, so a command that only lists documents never loads the encoder.

Readers follow the index: every use of the stores, the searchers or the answerer first compares the
index's pointer (index/generation.py; a ``stat`` of a small file, or one metadata read from a Chroma
server) with the generation the workspace has open, and opens the new one when another process (or
this one) has written since. One request keeps the set of objects it started with, so a rebuild that
switches mid-request never mixes two builds in one answer. With no index yet, ``IndexUnavailable``
says so in Chinese.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.language_models.chat_models import BaseChatModel

from assistant.answering import Answerer
from assistant.llm import build_chat_model
from assistant.retrieval import HybridSearcher, LexicalIndex
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


class IndexView:
    """One generation of the index, opened for reading: its stores and everything built on them."""

    def __init__(self, ws: Workspace, generation: Generation, stores: ReaderStores) -> None:
        self.generation = generation
        self.lexical: LexicalStore = stores.lexical
        self.manifest: Manifest = stores.manifest
        self._ws = ws

    @property
    def key(self) -> tuple[str, int]:
        return self.generation.build, self.generation.number

    @cached_property
    def vectors(self) -> VectorStore:
        return self._ws.storage.vectors(self.generation.build, self._ws.embeddings)

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


class Workspace:
    def __init__(self, settings: Settings, *, embeddings: SentenceEmbeddings | None = None) -> None:
        self.settings = settings
        if embeddings is not None:  # share an encoder already in memory (tests, benchmarks)
            self.__dict__["embeddings"] = embeddings
        self._view: IndexView | None = None
        self._view_lock = threading.Lock()
        self._pinned = threading.local()

    @property
    def index_dir(self) -> Path:
        return self.settings.index_dir

    @cached_property
    def embeddings(self) -> SentenceEmbeddings:
        s = self.settings
        return build_embeddings(s.embedding_model, threads=s.embedding_threads, batch_size=s.embedding_batch_size)

    @cached_property
    def storage(self) -> IndexStorage:
        s = self.settings
        return IndexStorage(StorageConfig(self.index_dir, s.chroma_collection, s.chroma_mode, s.chroma_host, s.chroma_port))

    @cached_property
    def indexer(self) -> Indexer:
        s = self.settings
        options = ChunkingOptions(s.chunk_max_chars, s.chunk_min_chars, s.chunk_overlap_chars)
        return Indexer(self.storage, self.embeddings, options)

    @cached_property
    def chat_model(self) -> BaseChatModel | None:
        return build_chat_model(self.settings)

    # -- reading: the current generation ------------------------------------------------------------------
    def view(self) -> IndexView:
        """The index's current generation, opened (again) when the pointer moved since the last call."""
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
        with self._view_lock:
            if self._view is not None:
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
    ) -> IndexReport:
        return self.indexer.run(
            paths or [self.settings.docs_dir], rebuild=rebuild, progress=progress, wait=wait, on_wait=on_wait
        )

