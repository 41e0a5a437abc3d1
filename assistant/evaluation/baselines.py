"""The baselines of ``shared/eval/BASELINES.md``, rebuilt in the same run: the naive LangChain pipeline
(500/50 recursive splits, Chroma) and BM25 over 300-character chunks. Their packages are the ``[eval]``
extra (langchain-chroma, langchain-text-splitters, rank-bm25), imported only here."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import jieba
import numpy as np

from assistant.evaluation.data import Retrieved
from assistant.evaluation.retrieval import TOP_K, Retriever
from index.embedding import SentenceEmbeddings

BASELINE_SYSTEMS = ("naive_langchain", "bm25_300")

# Figures from shared/eval/BASELINES.md, printed next to ours for reference.
REFERENCE_DEV: dict[str, dict[str, float]] = {
    "naive LangChain 500/50 + USE + Chroma": {"recall@5": 0.593, "recall@10": 0.775, "all@10": 0.741, "mrr@10": 0.480},
    "BM25 jieba, 300-char chunks": {"recall@5": 0.846, "recall@10": 0.892, "all@10": 0.778, "mrr@10": 0.821},
    "dense USE, 300-char chunks": {"recall@5": 0.688, "recall@10": 0.821, "all@10": 0.704, "mrr@10": 0.653},
    "equal-weight RRF of the two": {"recall@5": 0.855, "recall@10": 0.935, "all@10": 0.815, "mrr@10": 0.804},
}
REFERENCE_LECOQA: dict[str, dict[str, float]] = {
    "BM25 (jieba)": {"hit@5": 0.764, "hit@10": 0.816, "recall@5": 0.634, "recall@10": 0.711, "mrr@10": 0.641},
    "dense USE": {"hit@5": 0.780, "hit@10": 0.861, "recall@5": 0.637, "recall@10": 0.741, "mrr@10": 0.620},
    "equal-weight RRF": {"hit@5": 0.803, "hit@10": 0.864, "recall@5": 0.674, "recall@10": 0.755, "mrr@10": 0.657},
}


def naive_langchain_retriever(
    texts: Mapping[str, str], embeddings: SentenceEmbeddings, persist_dir: Path, k: int = TOP_K
) -> Retriever:
    """The usual LangChain tutorial: 500/50 recursive splits, embedded into Chroma, similarity search."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
    names = list(texts)
    documents = splitter.create_documents([texts[n] for n in names], metadatas=[{"doc": n} for n in names])
    client = chromadb.PersistentClient(path=str(persist_dir), settings=ChromaSettings(anonymized_telemetry=False))
    # langchain_chroma creates the collection with embedding_function=None and embeds itself, so
    # Chroma's default (downloading) embedding function is never attached.
    store = Chroma(collection_name="naive_langchain", embedding_function=embeddings, client=client)
    if store._collection._embedding_function is not None:  # noqa: SLF001 - the offline guarantee
        raise RuntimeError("naive baseline collection carries an embedding function of its own")
    store.add_documents(documents)

    def retrieve(question: str) -> list[Retrieved]:
        return [(str(d.metadata["doc"]), d.page_content) for d in store.similarity_search(question, k=k)]

    return retrieve


def bm25_300_retriever(texts: Mapping[str, str], k: int = TOP_K) -> Retriever:
    """~300-character Chinese-aware splits, BM25Okapi over plain ``jieba.lcut`` tokens."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=300, chunk_overlap=0, separators=["\n\n", "\n", "。", "；", "！", "？", "，", ""]
    )
    passages = [(name, piece) for name, text in texts.items() for piece in splitter.split_text(text)]
    from rank_bm25 import BM25Okapi

    bm25 = BM25Okapi([jieba.lcut(text) for _, text in passages])

    def retrieve(question: str) -> list[Retrieved]:
        scores = bm25.get_scores(jieba.lcut(question))
        return [passages[i] for i in np.argsort(-scores, kind="stable")[:k]]

    return retrieve
