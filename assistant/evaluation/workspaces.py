"""Workspaces for an evaluation run: the configured encoder and chunking, always an embedded Chroma folder
(an evaluation never writes into a shared Chroma server), temporary unless an index folder is named."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.settings import Settings, get_settings
from assistant.workspace import Workspace
from index.embedding import SentenceEmbeddings

WorkspaceFactory = Callable[[Path], Workspace]


def default_workspace_factory(
    settings: Settings | None = None, embeddings: SentenceEmbeddings | None = None
) -> WorkspaceFactory:
    """Workspaces on the configured encoder and chunking, always with an embedded Chroma folder, so an
    evaluation never writes into a shared Chroma server."""
    base = settings or get_settings()

    def make(index_dir: Path) -> Workspace:
        return Workspace(base.model_copy(update={"index_dir": index_dir, "chroma_mode": "embedded"}),
                         embeddings=embeddings)

    return make


def close_workspace(ws: Workspace) -> None:
    ws.close()


@contextmanager
def index_folder(index_dir: Path | None) -> Iterator[Path]:
    if index_dir is not None:
        yield index_dir
        return
    with tempfile.TemporaryDirectory(prefix="zgt-eval-") as tmp:
        yield Path(tmp)
