"""Vectors shipped with documents: the offline bundle carries the passage vectors of its sample documents,
and the repository the vectors of docs_src/ (``docs_src.vectors.sqlite``), so that a first index reads them
instead of spending minutes on the encoder.

A pack is an embedding cache file (index/embedding_cache.py) holding exactly the vectors of the given
documents' chunks, computed the way the indexer computes them (index/pipeline.py ``document_chunks``).
It holds no text, only hashes and vectors; it is merged into the machine's cache (``zgt index --vectors
FILE``, ``zgt merge-vectors FILE``). A pack made with another encoder or other chunk sizes simply never hits.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from index.chunking import DEFAULT_KB
from index.embedding import SentenceEmbeddings
from index.embedding_cache import EmbeddingCache, cache_key
from index.loaders import LoadError
from index.manifest import doc_id_for
from index.pipeline import ChunkingOptions, discover, document_chunks

PASSAGE_ROLE = "document"  # the role SentenceEmbeddings.embed_array caches passages under


def chunk_texts(paths: Sequence[Path], options: ChunkingOptions = ChunkingOptions()) -> tuple[list[str], list[str]]:
    """The texts the indexer embeds for the files under ``paths`` (each once, in order), and the files
    that could not be read (the index leaves them out too)."""
    texts: list[str] = []
    unreadable: list[str] = []
    for path in discover(paths):
        try:
            _, chunks = document_chunks(path, doc_id_for(str(path)), options, kb=DEFAULT_KB)
        except LoadError as exc:
            unreadable.append(f"{path.name}：{exc.reason}")
            continue
        texts.extend(c.embedding_text() for c in chunks)
    return list(dict.fromkeys(texts)), unreadable


def write_pack(texts: Sequence[str], embeddings: SentenceEmbeddings, out: Path) -> int:
    """Writes ``out`` (replacing it) with the passage vectors of ``texts``; the number of vectors."""
    texts = list(dict.fromkeys(texts))
    vectors = embeddings.embed_array(texts)  # from the machine's cache where it has them
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    for leftover in (partial, partial.with_name(partial.name + "-wal"), partial.with_name(partial.name + "-shm")):
        leftover.unlink(missing_ok=True)
    pack = EmbeddingCache(partial)
    pack.put({cache_key(embeddings.name, PASSAGE_ROLE, t): v for t, v in zip(texts, vectors, strict=True)})
    pack.checkpoint()
    partial.replace(out)
    return len(texts)


def pack_vectors(
    paths: Sequence[Path], embeddings: SentenceEmbeddings, out: Path, options: ChunkingOptions = ChunkingOptions()
) -> tuple[int, list[str]]:
    """Writes ``out`` (replacing it) with the vectors of every chunk of the files under ``paths``; returns
    the number of vectors and the files that could not be read (they are left out, as the index would)."""
    texts, unreadable = chunk_texts(paths, options)
    return write_pack(texts, embeddings, out), unreadable

