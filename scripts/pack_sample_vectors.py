"""Writes docs_src.vectors.sqlite: the passage vectors of the sample documents in docs_src/, shipped in the
repository so that a fresh checkout's first index (scripts/start.sh) and the test suite read them instead
of running the encoder over ~1,900 chunks (minutes on two cores). scripts/setup.sh merges the file into
the machine's embedding cache (``zgt merge-vectors``).

    .venv/bin/python scripts/pack_sample_vectors.py

Run it after changing docs_src/, the chunking or the default encoder: tests/test_sample_vectors.py fails
while the file is stale. It holds the vectors of the index's chunks (what ``zgt pack-vectors docs_src``
writes, default settings) and of the naive LangChain baseline's 500/50 splits, which the evaluation
(``zgt eval``, the retrieval test) embeds with the same encoder. Hashes and vectors only, no text; the
file sits beside docs_src/, not in it, so that the indexer never reads it as a document.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.evaluation.baselines import naive_langchain_retriever
from assistant.evaluation.data import read_raw_texts
from assistant.settings import PROJECT_ROOT, Settings, enforce_offline_environment
from index.embedding import SentenceEmbeddings, build_embeddings
from index.pipeline import ChunkingOptions
from index.vector_pack import chunk_texts, write_pack

DOCS_SRC = PROJECT_ROOT / "docs_src"
SAMPLE_PACK = PROJECT_ROOT / "docs_src.vectors.sqlite"


class TextRecorder(SentenceEmbeddings):
    """Notes the passages a pipeline embeds and returns placeholders: nothing is computed here."""

    def __init__(self, embeddings: SentenceEmbeddings) -> None:
        super().__init__(embeddings.model, name=embeddings.name)
        self.texts: list[str] = []

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return np.ones((len(texts), self.dimension), dtype=np.float32)


def baseline_texts(embeddings: SentenceEmbeddings) -> list[str]:
    """The passages the naive LangChain baseline embeds for docs_src/, from its own code."""
    recorder = TextRecorder(embeddings)
    with tempfile.TemporaryDirectory() as tmp:
        naive_langchain_retriever(read_raw_texts(DOCS_SRC), recorder, Path(tmp))
    return recorder.texts


def sample_texts(embeddings: SentenceEmbeddings, options: ChunkingOptions = ChunkingOptions()) -> list[str]:
    """Every passage of docs_src/ the index (with ``options``) and the naive baseline embed, each once."""
    texts, unreadable = chunk_texts([DOCS_SRC], options)
    if unreadable:  # a sample document the index cannot read is a broken checkout, not a smaller pack
        raise RuntimeError("未能读取：" + "；".join(unreadable))
    return list(dict.fromkeys(texts + baseline_texts(embeddings)))


def main() -> int:
    enforce_offline_environment()
    # Default encoder and chunking, whatever this machine's .env says: the file is for a fresh checkout.
    embeddings = build_embeddings(cache=Settings().embedding_cache)
    count = write_pack(sample_texts(embeddings), embeddings, SAMPLE_PACK)
    print(f"已写入 {count} 个段落向量：{SAMPLE_PACK.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
