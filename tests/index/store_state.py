"""What an index holds, read back from its stores, to compare two indexes (or two clients of one)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.workspace import Workspace


@dataclass(frozen=True)
class StoreState:
    lexical: list[tuple[str, str]]  # (chunk id, text)
    vectors: list[tuple[str, str]]  # (vector id, stored document text)
    vector_count: int
    lexical_count: int
    manifest: list[tuple[str, str, int]]  # (file name, status, chunks)


def store_state(ws: Workspace) -> StoreState:
    got = ws.vectors.collection.get(include=["documents"])
    return StoreState(
        lexical=sorted((e.chunk.id, e.chunk.text) for e in ws.lexical.entries()),
        vectors=sorted(zip(got["ids"], got["documents"] or [], strict=True)),
        vector_count=ws.vectors.count(),
        lexical_count=ws.lexical.count(),
        manifest=sorted((Path(r.source).name, r.status, r.chunks) for r in ws.manifest.records()),
    )
