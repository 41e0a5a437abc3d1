"""The saved BM25 index: built once per store version, loaded by later readers, never out of step."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from assistant.retrieval import LexicalIndex
from assistant.workspace import Workspace
from index import bm25
from index.bm25 import BM25Index, build_from_store, index_folder, load_or_build
from index.chunking import Chunk
from index.lexical import LexicalStore

REPORT = (
    "一、加强财务管理\n（一）制度建设。一是修订机关财务管理制度，规范报账审批程序。二是清理往来款项挂账。\n"
    "二、加强保密管理\n（一）保密教育。一是组织干部职工签订保密承诺书。二是开展保密自查。\n"
)


def chunk(doc_id: str, ordinal: int, text: str) -> Chunk:
    return Chunk(doc_id=doc_id, doc=f"{doc_id}.txt", title=doc_id, kind="report", section="一、", label="",
                 start=0, end=len(text), text=text, page=None, titles=(), ordinal=ordinal)


@pytest.fixture
def store(tmp_path: Path) -> LexicalStore:
    store = LexicalStore(tmp_path / "index" / "lexical.sqlite")
    store.replace_document("a", [chunk("a", 0, "修订财务管理制度，规范报账审批"), chunk("a", 1, "清理往来款项挂账")], "")
    store.replace_document("b", [chunk("b", 0, "签订保密承诺书，开展保密自查"), chunk("b", 1, "财务人员保密培训")], "")
    return store


def test_the_version_changes_with_every_write_and_differs_between_stores(store: LexicalStore, tmp_path: Path) -> None:
    before = store.version()
    store.delete_document("b")
    assert store.version() != before
    other = LexicalStore(tmp_path / "other" / "lexical.sqlite")
    assert other.version().split("-")[0] != store.version().split("-")[0]


def test_a_saved_index_loads_with_the_same_scores_and_idf(store: LexicalStore) -> None:
    built = build_from_store(store)
    bm25.save_index(store, built)
    loaded = BM25Index.load(index_folder(store) / store.version())
    assert loaded.ids == built.ids and loaded.version == built.version == store.version()
    tokens = ["财务", "保密", "从未出现的词"]
    assert np.allclose(loaded.scores(tokens), built.scores(tokens))
    assert loaded.idf("财务") == built.idf("财务")


def test_idf_keeps_the_okapi_weights_the_signals_were_calibrated_with(store: LexicalStore) -> None:
    _, rows = store.token_snapshot()
    okapi = BM25Okapi([tokens for _, tokens in rows])
    index = build_from_store(store)
    for term in okapi.idf:
        assert index.idf(term) == pytest.approx(okapi.idf[term])
    assert index.idf("从未出现的词") == pytest.approx(math.log(len(rows) + 1.0))


def test_scores_rank_the_chunk_that_uses_the_words(store: LexicalStore) -> None:
    index = build_from_store(store)
    scores = index.scores(["往来", "款项"])
    assert index.ids[int(np.argmax(scores))] == chunk("a", 1, "").id
    assert not index.scores([]).any()


def test_a_reader_loads_the_saved_index_instead_of_rebuilding(
    store: LexicalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    bm25.refresh_saved_index(store)

    def no_rebuild(_: LexicalStore) -> BM25Index:
        raise AssertionError("rebuilt although a saved index matches the store")

    monkeypatch.setattr(bm25, "build_from_store", no_rebuild)
    hits = LexicalIndex(store).search("往来款项", 3)
    assert hits and "往来款项" in hits[0][0].text


def test_a_write_makes_readers_rebuild_and_drops_older_saves(store: LexicalStore) -> None:
    lexical = LexicalIndex(store)
    assert lexical.search("往来款项", 3)
    first = store.version()
    assert (index_folder(store) / first).is_dir()
    store.delete_document("a")
    assert lexical.search("往来款项", 3) == []  # the deleted chunks are gone at once
    assert lexical.search("保密", 3)
    assert not (index_folder(store) / first).exists()


def test_an_empty_store_has_an_empty_index(tmp_path: Path) -> None:
    store = LexicalStore(tmp_path / "lexical.sqlite")
    index = load_or_build(store)
    assert len(index) == 0 and LexicalIndex(store).search("财务", 5) == []


def test_a_damaged_save_is_rebuilt(store: LexicalStore) -> None:
    bm25.refresh_saved_index(store)
    folder = index_folder(store) / store.version()
    for npy in folder.glob("*.npy"):
        npy.write_bytes(b"not numpy")
    assert LexicalIndex(store).search("往来款项", 3)


def test_indexing_saves_the_index_for_the_next_reader(workspace: Workspace, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "report.txt").write_text(REPORT, encoding="utf-8")
    workspace.index([docs])
    assert (index_folder(workspace.lexical) / workspace.lexical.version() / "ids.json").exists()


def test_a_term_no_chunk_uses_is_told_by_its_weight_alone() -> None:
    """Every term the corpus never uses gets the same, rarest weight; a term it uses, however rare, weighs less."""
    index = BM25Index.build("v", ["a", "b", "c"], [["保密", "审计"], ["审计"], ["财务"]])
    unseen = bm25.never_used(index.idf)
    assert unseen("食堂") and unseen("\x00")
    assert not unseen("保密") and not unseen("审计")
