"""Shared fixtures: the real encoder (loaded once), real Chroma stores in temp folders, real files."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT, Settings
from assistant.workspace import Workspace
from index.embedding import SentenceEmbeddings, build_embeddings

SHARED = Settings().shared_dir
DOCS_SRC = PROJECT_ROOT / "docs_src"
EVAL_DIR = SHARED / "eval"


@pytest.fixture(scope="session")
def embeddings() -> SentenceEmbeddings:
    # The machine's cache, as the app and the subprocesses the tests start use it: the corpus is embedded
    # once per machine, not once per test that indexes it.
    return build_embeddings(cache=Settings().embedding_cache)


def make_workspace(index_dir: Path, embeddings: SentenceEmbeddings, **overrides: object) -> Workspace:
    settings = Settings(index_dir=index_dir, **overrides)  # type: ignore[arg-type]
    return Workspace(settings, embeddings=embeddings)


@pytest.fixture
def workspace(tmp_path: Path, embeddings: SentenceEmbeddings) -> Workspace:
    return make_workspace(tmp_path / "index", embeddings)


@pytest.fixture(scope="session")
def corpus_workspace(tmp_path_factory: pytest.TempPathFactory, embeddings: SentenceEmbeddings) -> Iterator[Workspace]:
    """The whole default corpus (docs_src/) indexed once for the session."""
    root = tmp_path_factory.mktemp("corpus")
    docs = root / "docs"
    shutil.copytree(DOCS_SRC, docs)
    ws = make_workspace(root / "index", embeddings, docs_dir=docs)
    report = ws.index()
    assert report.counts()["failed"] == 0, report.summary()
    yield ws


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first: scripts/test.sh hands whole files to two workers in this order, and a long
    file started last (the bundle's install and upgrade, several minutes) would leave the other worker idle
    at the end. Then the files that check measures over the whole corpus; the order within a file is kept."""
    def weight(item: pytest.Item) -> int:
        if item.get_closest_marker("bundle"):
            return 0
        return 1 if "corpus_workspace" in getattr(item, "fixturenames", ()) else 2

    items.sort(key=weight)
