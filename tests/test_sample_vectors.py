"""The passage vectors shipped with the repository (docs_src.vectors.sqlite) are those of the current
docs_src/: with the current chunking, every passage the index and the naive baseline embed has its
vector in the file, and the file holds nothing else. Otherwise regenerate it (the message says how)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from assistant.cli import main
from assistant.settings import PROJECT_ROOT, Settings
from index.embedding import SentenceEmbeddings
from index.embedding_cache import cache_key, stored_keys
from index.pipeline import ChunkingOptions
from index.vector_pack import PASSAGE_ROLE

REGENERATE = "请重新生成 · regenerate: .venv/bin/python scripts/pack_sample_vectors.py"


def load_generator() -> ModuleType:
    """The regeneration script itself: the file must be what it would write now."""
    path = PROJECT_ROOT / "scripts" / "pack_sample_vectors.py"
    spec = importlib.util.spec_from_file_location("pack_sample_vectors", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    return load_generator()


def needed_keys(generator: ModuleType, embeddings: SentenceEmbeddings, options: ChunkingOptions) -> set[str]:
    # Texts only: the encoder is never run here.
    return {cache_key(embeddings.name, PASSAGE_ROLE, t) for t in generator.sample_texts(embeddings, options)}


def test_the_shipped_vectors_are_exactly_those_of_docs_src_as_chunked_now(
    generator: ModuleType, embeddings: SentenceEmbeddings
) -> None:
    shipped = stored_keys(generator.SAMPLE_PACK)
    assert shipped is not None, f"{generator.SAMPLE_PACK} 不存在或无法读取；{REGENERATE}"
    needed = needed_keys(generator, embeddings, ChunkingOptions())
    missing, stray = needed - shipped, shipped - needed
    assert not missing and not stray, f"缺 {len(missing)} 个段落向量，多 {len(stray)} 个；{REGENERATE}"


def test_other_chunk_sizes_would_find_the_file_stale(generator: ModuleType, embeddings: SentenceEmbeddings) -> None:
    # The check above can fail: cut at 300 characters, the longer passages of docs_src (~400) have no
    # shipped vector.
    shipped = stored_keys(generator.SAMPLE_PACK)
    assert shipped is not None
    needed = needed_keys(generator, embeddings, ChunkingOptions(max_chars=300))
    assert len(needed - shipped) > 100


def test_merge_vectors_fills_the_configured_cache_once_and_never_fails_setup_hard(
    generator: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # What scripts/setup.sh runs: no encoder is loaded, the shipped file is only read.
    pack = generator.SAMPLE_PACK
    shipped = stored_keys(pack)
    assert shipped is not None
    before = pack.stat().st_mtime_ns
    cache = tmp_path / "new" / "cache.sqlite"
    settings = Settings(embedding_cache=cache, index_dir=tmp_path / "index")
    assert main(["merge-vectors", str(pack)], settings=settings) == 0
    assert stored_keys(cache) == shipped
    assert main(["merge-vectors", str(pack)], settings=settings) == 0  # again: nothing added
    assert f"读入随附向量 0 个（文件共 {len(shipped)} 个）" in capsys.readouterr().err
    assert pack.stat().st_mtime_ns == before

    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"not a database" * 100)
    assert main(["merge-vectors", str(broken)], settings=settings) == 1
    assert main(["merge-vectors", str(tmp_path / "missing.sqlite")], settings=settings) == 1
    err = capsys.readouterr().err
    assert "向量文件无法读取" in err and "向量文件不存在" in err
    assert stored_keys(cache) == shipped

    off = Settings(embedding_cache="", index_dir=tmp_path / "index")  # type: ignore[arg-type]
    assert off.embedding_cache is None
    assert main(["merge-vectors", str(pack)], settings=off) == 0
    assert "未启用向量缓存" in capsys.readouterr().err
