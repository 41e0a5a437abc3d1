"""The bundled encoders: multilingual, offline, normalised, usable from sentence-transformers and LangChain;
E5 (the default) reads questions as queries and passages as documents."""

import platform
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from index.embedding import BUNDLED_USE, SentenceEmbeddings, build_embeddings


def test_encoder_is_a_langchain_embeddings_with_unit_vectors(embeddings: SentenceEmbeddings) -> None:
    assert isinstance(embeddings, Embeddings)
    vectors = embeddings.embed_array(["保密工作是怎么整改的？", "签订保密承诺书"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert np.allclose(np.linalg.norm(embeddings.embed_queries(["保密工作是怎么整改的？"]), axis=1), 1.0, atol=1e-4)


def test_chinese_meaning_drives_similarity(embeddings: SentenceEmbeddings) -> None:
    query = embeddings.embed_queries(["会计人员调岗离职办交接，由谁来监交？"])[0]
    passages = embeddings.embed_array([
        "一般会计人员办理交接手续，由会计机构负责人（会计主管人员）监交",
        "任何人不得在学校、幼儿园和其他未成年人集中活动的公共场所吸烟、饮酒",
        "全年国内生产总值增长百分之五",
    ])
    scores = passages @ query
    assert scores[0] > max(scores[1:]) + 0.05


def test_a_question_is_read_as_a_query_and_a_passage_as_a_document(embeddings: SentenceEmbeddings) -> None:
    as_query = embeddings.embed_queries(["巡视整改"])[0]
    as_passage = embeddings.embed_array(["巡视整改"])[0]
    assert not np.allclose(as_query, as_passage, atol=1e-3)  # E5's two prefixes give two readings
    assert np.allclose(np.array(embeddings.embed_query("巡视整改")), as_query, atol=1e-5)
    assert np.allclose(np.array(embeddings.embed_documents(["巡视整改"])[0]), as_passage, atol=1e-5)


def test_sentence_transformers_encode_matches_langchain_view(embeddings: SentenceEmbeddings) -> None:
    direct = embeddings.model.encode_query(["巡视整改"], normalize_embeddings=True)
    assert np.allclose(direct[0], embeddings.embed_query("巡视整改"), atol=1e-5)
    document = embeddings.model.encode_document(["巡视整改"], normalize_embeddings=True)
    assert np.allclose(document[0], embeddings.embed_array(["巡视整改"])[0], atol=1e-5)


@pytest.fixture(scope="module")
def use() -> SentenceEmbeddings:
    return build_embeddings(BUNDLED_USE)


def test_the_universal_sentence_encoder_stays_selectable_and_reads_both_alike(use: SentenceEmbeddings) -> None:
    assert use.dimension == 512
    assert np.allclose(use.embed_queries(["巡视整改"]), use.embed_array(["巡视整改"]), atol=1e-5)


def test_only_an_x86_processor_without_avx2_lacks_what_e5_needs(tmp_path: Path) -> None:
    from index.bundled_encoders import lacks_avx2

    old = tmp_path / "cpuinfo"
    old.write_text("processor\t: 0\nflags\t\t: fpu vme sse sse2 ssse3 sse4_1 sse4_2 avx\n")
    modern = tmp_path / "cpuinfo-modern"
    modern.write_text("processor\t: 0\nflags\t\t: fpu sse4_2 avx avx2 fma\n")
    assert lacks_avx2(old) is (platform.machine().lower() in ("x86_64", "amd64"))  # aarch64's engine needs none
    assert not lacks_avx2(modern)
    assert not lacks_avx2()  # this machine runs the tests with E5


def test_without_avx2_loading_e5_stops_with_the_setting_that_works(monkeypatch: pytest.MonkeyPatch) -> None:
    import index.bundled_encoders

    monkeypatch.setattr(index.bundled_encoders, "lacks_avx2", lambda: True)
    with pytest.raises(ValueError, match="AVX2.*ZGT_EMBEDDING_MODEL=use-multilingual"):
        build_embeddings()
