"""Vectors shipped with documents: a pack holds exactly what the indexer would compute for them, and an
index fed the pack computes nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from index.embedding import SentenceEmbeddings
from index.embedding_cache import EmbeddingCache
from index.vector_pack import pack_vectors
from tests.conftest import make_workspace

REPORT_A = "一、加强财务管理\n（一）制度建设。一是修订机关财务管理制度，规范报账审批程序。二是清理往来款项挂账。\n"
REPORT_B = "一、加强保密管理\n（一）保密教育。一是组织干部职工签订保密承诺书。二是开展保密自查。\n"


def cached(embeddings: SentenceEmbeddings, path: Path) -> SentenceEmbeddings:
    return SentenceEmbeddings(embeddings.model, name=embeddings.name, cache=EmbeddingCache(path))


def rows(path: Path) -> dict[str, bytes]:
    with sqlite3.connect(path) as connection:
        return dict(connection.execute("SELECT key, vector FROM vectors"))


def sample_docs(folder: Path) -> Path:
    folder.mkdir()
    (folder / "a.txt").write_text(REPORT_A, encoding="utf-8")
    (folder / "b.txt").write_text(REPORT_B, encoding="utf-8")
    (folder / "坏文件.docx").write_bytes(b"not a zip file")
    return folder


def test_an_index_fed_the_pack_embeds_nothing_and_stores_the_packed_vectors(
    embeddings: SentenceEmbeddings, tmp_path: Path
) -> None:
    docs = sample_docs(tmp_path / "docs")
    pack = tmp_path / "bundle" / "vectors.sqlite"
    count, unreadable = pack_vectors([docs], embeddings, pack)
    assert len(unreadable) == 1 and unreadable[0].startswith("坏文件.docx：")
    packed = rows(pack)
    assert count == len(packed) > 0
    assert not list(pack.parent.glob("*-wal")) and not list(pack.parent.glob("*.partial"))  # one complete file

    # The installing machine: an empty cache, the pack merged into it, then the first index.
    machine = tmp_path / "machine-cache.sqlite"
    assert EmbeddingCache(machine).merge(pack) == count
    ws = make_workspace(tmp_path / "index", cached(embeddings, machine))
    report = ws.index([docs])
    assert report.counts()["added"] == 2 and report.counts()["failed"] == 1
    assert report.chunks_written == count
    assert rows(machine) == packed  # every chunk's vector came from the pack: nothing was computed or added

    stored = np.asarray(ws.vectors.collection.get(include=["embeddings"])["embeddings"], dtype=np.float32)
    packed_vectors = np.stack([np.frombuffer(v, dtype=np.float32) for v in packed.values()])
    assert stored.shape == packed_vectors.shape
    assert np.allclose((stored @ packed_vectors.T).max(axis=1), 1.0, atol=1e-5)  # each stored vector is a packed one


def test_merging_keeps_what_the_machine_has_and_shrugs_off_a_missing_or_broken_pack(
    embeddings: SentenceEmbeddings, tmp_path: Path
) -> None:
    machine = tmp_path / "cache.sqlite"
    cached(embeddings, machine).embed_array(["修订机关财务管理制度"])
    before = rows(machine)
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"not a database" * 100)
    assert EmbeddingCache(machine).merge(tmp_path / "missing.sqlite") == 0
    assert EmbeddingCache(machine).merge(broken) == 0
    pack = tmp_path / "pack.sqlite"
    pack_vectors([sample_docs(tmp_path / "docs")], embeddings, pack)
    added = EmbeddingCache(machine).merge(pack)
    assert added == len(rows(pack)) and EmbeddingCache(machine).merge(pack) == 0  # merged once
    after = rows(machine)
    assert len(after) == len(before) + added and all(after[k] == v for k, v in before.items())
