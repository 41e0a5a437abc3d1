"""Which build of the index is current, and its generation: the one record readers follow.

An index is a series of *builds* (a Chroma collection, a lexical store and its saved BM25, a
manifest, all named by the build id). The *pointer* names the current build and a generation number
that every write bumps when it ends: incremental runs write into the current build and then bump it;
``--rebuild`` writes a new build beside the current one and then points at it, in one atomic write.
Readers compare the pointer with what they have open before each query and reopen when it moved.

Embedded, the pointer is a small JSON file replaced with ``os.replace`` (checked with one ``stat``);
with a Chroma server it is the metadata of a small state collection on that server (one metadata
write; every replica reads it in about half a millisecond), so replicas on other machines follow it.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Protocol

# The builds before this layout: files at the index folder's root and the unsuffixed collection.
LEGACY_BUILD = "legacy"
POINTER_FILE = "current.json"
STATE_SUFFIX = "-state"


class IndexUnavailable(Exception):
    """There is no index to read yet (never built, or its first build is still running). Chinese message."""


class IndexReadOnly(Exception):
    """This machine does not keep the index (with a Chroma server, another replica's folder does). Chinese."""


@dataclass(frozen=True)
class Generation:
    build: str = ""  # the current build ("" before the first build finished)
    number: int = 0  # bumped at the end of every write
    previous: str = ""  # the build before the last switch, kept a while for readers still on it
    retired_at: float = 0.0  # when ``previous`` stopped being current
    next: str = ""  # a build being written (or left by a killed run): never read, dropped by the next writer
    writer: str = ""  # the id of the index folder whose writer keeps this index (index/storage.py)

    @property
    def ready(self) -> bool:
        return bool(self.build)

    def published(self, build: str, writer: str, now: float | None = None) -> Generation:
        """The pointer after a write into ``build`` ends: one generation later, ``build`` current."""
        if build == self.build:
            return replace(self, number=self.number + 1, next="", writer=writer)
        at = time.time() if now is None else now
        return Generation(build, self.number + 1, self.build, at if self.build else 0.0, "", writer)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Generation:
        return cls(
            build=str(data.get("build", "")),
            number=int(data.get("number", 0)),
            previous=str(data.get("previous", "")),
            retired_at=float(data.get("retired_at", 0.0)),
            next=str(data.get("next", "")),
            writer=str(data.get("writer", "")),
        )


class Pointer(Protocol):
    def read(self) -> Generation | None:
        """The pointer as stored (None when there is none), checked as cheaply as the medium allows."""
        ...

    def write(self, generation: Generation) -> None: ...


class FilePointer:
    """``<index folder>/current.json``, replaced atomically; unchanged files are recognised by ``stat``."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / POINTER_FILE
        self._seen: tuple[int, int, int] | None = None
        self._value: Generation | None = None

    def read(self) -> Generation | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._seen, self._value = None, None
            return None
        # os.replace gives every written pointer a new inode, so this key changes with every write.
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        if key != self._seen:
            value = Generation.from_json(json.loads(self.path.read_text(encoding="utf-8")))
            self._seen, self._value = key, value
        return self._value

    def write(self, generation: Generation) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".current-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(generation.to_json(), fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class ChromaPointer:
    """The metadata of the collection ``<base>-state`` on the Chroma server (replaced whole on write)."""

    def __init__(self, client: Any, base: str) -> None:
        self._client = client
        self.name = base + STATE_SUFFIX

    def read(self) -> Generation | None:
        from chromadb.errors import NotFoundError

        try:
            metadata = self._client.get_collection(self.name, embedding_function=None).metadata
        except NotFoundError:
            return None
        return Generation.from_json(dict(metadata or {})) if metadata else None

    def write(self, generation: Generation) -> None:
        # Chroma metadata holds no None and no empty dict: every field is always written.
        metadata = generation.to_json()
        collection = self._client.get_or_create_collection(self.name, embedding_function=None, metadata=metadata)
        collection.modify(metadata=metadata)
