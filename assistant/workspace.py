"""The one core object: an index folder, its stores and the models that read and write them.

The CLI and the web app are thin shells over a ``Workspace`` built from ``Settings``; each part is
created on first use, so a command that only lists documents never loads the encoder.
"""

from __future__ import annotations

import logging
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
from index.lexical import LexicalStore
from index.manifest import Manifest
from index.pipeline import ChunkingOptions, Indexer, IndexReport, ProgressCallback
from index.store import VectorStore, open_client

if TYPE_CHECKING:
    from assistant.ledger import LedgerRow

logger = logging.getLogger(__name__)


class Workspace:
    def __init__(self, settings: Settings, *, embeddings: SentenceEmbeddings | None = None) -> None:
        self.settings = settings
        if embeddings is not None:  # share an encoder already in memory (tests, benchmarks)
            self.__dict__["embeddings"] = embeddings

    @property
    def index_dir(self) -> Path:
        return self.settings.index_dir

    @cached_property
    def embeddings(self) -> SentenceEmbeddings:
        s = self.settings
        return build_embeddings(s.embedding_model, threads=s.embedding_threads, batch_size=s.embedding_batch_size)

    @cached_property
    def vectors(self) -> VectorStore:
        s = self.settings
        client = open_client(s.chroma_mode, path=self.index_dir / "chroma", host=s.chroma_host, port=s.chroma_port)
        return VectorStore(client, s.chroma_collection, self.embeddings)

    @cached_property
    def lexical(self) -> LexicalStore:
        return LexicalStore(self.index_dir / "lexical.sqlite")

    @cached_property
    def manifest(self) -> Manifest:
        return Manifest(self.index_dir / "manifest.sqlite")

    @cached_property
    def indexer(self) -> Indexer:
        s = self.settings
        options = ChunkingOptions(s.chunk_max_chars, s.chunk_min_chars, s.chunk_overlap_chars)
        return Indexer(vectors=self.vectors, lexical=self.lexical, manifest=self.manifest, options=options)

    @cached_property
    def searcher(self) -> HybridSearcher:
        return HybridSearcher(LexicalIndex(self.lexical), self.vectors)

    @cached_property
    def chat_model(self) -> BaseChatModel | None:
        return build_chat_model(self.settings)

    @cached_property
    def ranked(self) -> RankedSearcher:
        """The hybrid pool reordered by the relevance model (assistant/signals/)."""
        return RankedSearcher.trained(self.searcher)

    @cached_property
    def units(self) -> UnitReader:
        return UnitReader(self.lexical.chunks_of, self.lexical.document_text, self.lexical.version)

    @cached_property
    def answerer(self) -> Answerer:
        ranked = self.ranked
        chat_model = self.chat_model
        if self.settings.rerank:
            # Only answers are reranked: search, measure checks, study material and evaluation keep
            # the learned order (reranking calls the LLM once per question).
            from assistant.reranking import LLMReranker

            if chat_model is None:
                logger.warning("已设置 ZGT_RERANK，但没有配置大模型（ZGT_LLM_PROVIDER），不做重排序")
            else:
                ranked = replace(ranked, reranker=LLMReranker(chat_model), rerank_top_n=self.settings.rerank_top_n)
        return Answerer(ranked, units=self.units, ledger=self.ledger_rows, chat_model=chat_model,
                        llm_timeout=self.settings.llm_timeout_seconds)

    def ledger_rows(self) -> list[LedgerRow]:
        """Every measure row of the indexed reports and ledgers, read again only when the store changed."""
        from assistant.ledger import build_ledger

        version = self.lexical.version()
        cached = self.__dict__.get("_ledger")
        if cached is None or cached[0] != version:
            cached = self.__dict__["_ledger"] = (version, build_ledger(self))
        rows: list[LedgerRow] = cached[1]
        return rows

    def warm_up(self) -> None:
        """Load what the first question needs (encoder, lexical index, vector store) ahead of it.

        The web app calls this in a background thread at start-up, so its page is served at once
        and the first answer does not pay for loading models.
        """
        self.embeddings.embed_array(["预热"])
        self.searcher.lexical.search("预热", 1)
        self.vectors.count()

    def index(
        self, paths: list[Path] | None = None, *, rebuild: bool = False, progress: ProgressCallback | None = None
    ) -> IndexReport:
        return self.indexer.run(paths or [self.settings.docs_dir], rebuild=rebuild, progress=progress)
