"""The bundled encoder: multilingual, offline, normalised, usable from sentence-transformers and LangChain."""

import numpy as np
from langchain_core.embeddings import Embeddings

from index.embedding import SentenceEmbeddings


def test_encoder_is_a_langchain_embeddings_with_unit_vectors(embeddings: SentenceEmbeddings) -> None:
    assert isinstance(embeddings, Embeddings)
    vectors = embeddings.embed_array(["保密工作是怎么整改的？", "签订保密承诺书"])
    assert vectors.shape == (2, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_chinese_meaning_drives_similarity(embeddings: SentenceEmbeddings) -> None:
    query = embeddings.embed_query("保密工作是怎么整改的？")
    related = embeddings.embed_query("组织干部职工签订保密承诺书，落实保密管理措施")
    unrelated = embeddings.embed_query("全年国内生产总值增长百分之五")
    assert np.dot(query, related) > np.dot(query, unrelated) + 0.1


def test_sentence_transformers_encode_matches_langchain_view(embeddings: SentenceEmbeddings) -> None:
    direct = embeddings.model.encode(["巡视整改"], normalize_embeddings=True)
    assert np.allclose(direct[0], embeddings.embed_query("巡视整改"), atol=1e-5)
