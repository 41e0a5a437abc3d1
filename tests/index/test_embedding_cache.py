"""The embedding cache: a text is embedded once per machine and encoder; the cache never decides a vector."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from index.embedding import SentenceEmbeddings
from index.embedding_cache import EmbeddingCache


def cached(embeddings: SentenceEmbeddings, path: Path) -> SentenceEmbeddings:
    return SentenceEmbeddings(embeddings.model, name=embeddings.name, cache=EmbeddingCache(path))


def rows(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute("SELECT count(*) FROM vectors").fetchone()[0])


def test_a_text_is_embedded_once_and_read_back_the_same(embeddings: SentenceEmbeddings, tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    first = cached(embeddings, path)
    texts = ["组织干部职工签订保密承诺书", "修订机关财务管理制度", "组织干部职工签订保密承诺书"]
    vectors = first.embed_array(texts)
    assert rows(path) == 2  # the repeated text once
    assert np.allclose(vectors, embeddings.embed_array(texts), atol=1e-5)
    again = cached(embeddings, path)  # another process on the same machine
    assert np.allclose(again.embed_array(texts[:2]), vectors[:2], atol=1e-6)
    assert rows(path) == 2


def test_questions_are_not_written_to_the_cache_and_never_read_a_passages_vector(
    embeddings: SentenceEmbeddings, tmp_path: Path
) -> None:
    path = tmp_path / "cache.sqlite"
    store = cached(embeddings, path)
    as_passage = store.embed_array(["巡视整改"])[0]
    as_query = store.embed_queries(["巡视整改"])[0]
    assert not np.allclose(as_passage, as_query, atol=1e-3)
    assert np.allclose(as_query, embeddings.embed_queries(["巡视整改"])[0], atol=1e-5)
    assert rows(path) == 1  # the passage only


def test_an_unusable_cache_file_means_computing_again(embeddings: SentenceEmbeddings, tmp_path: Path) -> None:
    broken = tmp_path / "cache.sqlite"
    broken.write_bytes(b"not a database at all" * 100)
    vectors = cached(embeddings, broken).embed_array(["修订机关财务管理制度"])
    assert np.allclose(vectors, embeddings.embed_array(["修订机关财务管理制度"]), atol=1e-5)
