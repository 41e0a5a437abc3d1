from collections.abc import Callable

import pytest

from index.loaders import LoadedDocument
from tests.index.real_corpus import load_corpus_document


@pytest.fixture(scope="session")
def load() -> Callable[[str], LoadedDocument]:
    """The real loader over the real corpus (cached: each document is loaded once per session)."""
    return load_corpus_document
