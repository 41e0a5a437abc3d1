"""The BM25 index over the lexical store's tokens, built with bm25s and kept on disk per store version.

Building BM25 means reading every chunk's tokens: seconds at 100k chunks, so it is done once per
version of the lexical store (its id and generation) and saved next to it; the indexer saves it at
the end of a run and any later reader loads the saved arrays (memory-mapped) instead of rebuilding.
bm25s scores from sparse matrices, so a query costs milliseconds even at 100k chunks.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from index.lexical import LexicalStore

# rank_bm25's Okapi IDF floor for terms in more than half the chunks: the answerability signal and
# the measure check were calibrated with these term weights, so idf() keeps them.
_IDF_FLOOR_EPSILON = 0.25
_IDS_FILE = "ids.json"


def never_used(idf: Callable[[str], float]) -> Callable[[str], bool]:
    """Whether a term is one the corpus never uses, told by ``idf`` alone: every such term gets the same, rarest
    weight, the weight of a token no tokenizer emits."""
    unseen = idf("\x00")
    return lambda term: idf(term) >= unseen - 1e-9


@dataclass(frozen=True)
class BM25Index:
    version: str  # "<store id>-<generation>": which state of the lexical store this was built from
    ids: tuple[str, ...]  # chunk ids, in the order of the score vector
    retriever: bm25s.BM25 | None  # None for an empty store
    _idf: dict[str, float]
    _unseen_idf: float

    def __len__(self) -> int:
        return len(self.ids)

    def scores(self, tokens: list[str]) -> np.ndarray:
        """A BM25 score per chunk (Lucene variant); tokens the corpus never uses add nothing."""
        if self.retriever is None or not tokens:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self.retriever.get_scores(tokens), dtype=np.float32)

    def idf(self, term: str) -> float:
        """Inverse document frequency; a term the corpus never uses counts as the rarest."""
        return self._idf.get(term, self._unseen_idf)

    @classmethod
    def build(cls, version: str, ids: list[str], tokens: list[list[str]]) -> BM25Index:
        if not ids:
            return cls(version, (), None, {}, 0.0)
        retriever = bm25s.BM25(method="lucene")
        retriever.index(tokens, show_progress=False)
        return cls._with_idf(version, tuple(ids), retriever)

    @classmethod
    def _with_idf(cls, version: str, ids: tuple[str, ...], retriever: bm25s.BM25) -> BM25Index:
        n = len(ids)
        vocab: dict[str, int] = retriever.vocab_dict
        indptr = np.asarray(retriever.scores["indptr"])
        document_frequency = np.diff(indptr)  # the score matrix is column-compressed: one column per term
        terms = [t for t, col in vocab.items() if col < len(document_frequency)]
        df = np.array([document_frequency[vocab[t]] for t in terms], dtype=np.float64)
        idf = np.log(n - df + 0.5) - np.log(df + 0.5)
        floor = _IDF_FLOOR_EPSILON * float(idf.mean()) if len(idf) else 0.0
        idf[idf < 0] = floor
        return cls(version, ids, retriever, dict(zip(terms, idf.tolist(), strict=True)), math.log(n + 1.0))

    def save(self, folder: Path) -> None:
        """Write to ``folder`` atomically (a temporary folder renamed into place)."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".bm25-", dir=folder.parent))
        try:
            if self.retriever is not None:
                self.retriever.save(str(tmp), show_progress=False)
            (tmp / _IDS_FILE).write_text(json.dumps({"version": self.version, "ids": list(self.ids)}))
            os.replace(tmp, folder)  # fails if another process saved the same version first: fine
        except OSError:
            pass
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        saved = json.loads((folder / _IDS_FILE).read_text())
        ids = tuple(saved["ids"])
        if not ids:
            return cls(saved["version"], (), None, {}, 0.0)
        retriever = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
        return cls._with_idf(saved["version"], ids, retriever)


def index_folder(store: LexicalStore) -> Path:
    return store.path.parent / "bm25"


def build_from_store(store: LexicalStore) -> BM25Index:
    version, rows = store.token_snapshot()
    return BM25Index.build(version, [chunk_id for chunk_id, _ in rows], [tokens for _, tokens in rows])


def load_or_build(store: LexicalStore, *, save: bool = True) -> BM25Index:
    """The saved index of the store's current version, or a fresh build (saved for the next reader)."""
    folder = index_folder(store) / store.version()
    if (folder / _IDS_FILE).exists():
        try:
            return BM25Index.load(folder)
        except Exception:  # a damaged save (disk full, hand-edited): drop it and rebuild below
            shutil.rmtree(folder, ignore_errors=True)
    index = build_from_store(store)
    if save:
        save_index(store, index)
    return index


def save_index(store: LexicalStore, index: BM25Index) -> None:
    root = index_folder(store)
    index.save(root / index.version)
    for old in root.glob("*"):  # earlier versions are never read again
        if old.name != index.version and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)


def refresh_saved_index(store: LexicalStore) -> None:
    """Save the index of the store's current version unless it is saved already."""
    if not (index_folder(store) / store.version() / _IDS_FILE).exists():
        save_index(store, build_from_store(store))
