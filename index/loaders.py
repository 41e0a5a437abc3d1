"""File → cleaned text a reader would see, with page offsets and heading hints.

Contract (used by structure/chunking): ``LoadedDocument.text`` is the canonical document text. Every
chunk offset and every citation points into it, so it must read exactly like the document (markup
removed, words untouched).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class LoadError(Exception):
    """A file that cannot be turned into text. The message is for the user, in Chinese."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


@dataclass(frozen=True)
class HeadingHint:
    """A line the source marked up as a heading (markdown ``#`` or a bold-only line)."""

    start: int  # offsets into LoadedDocument.text, covering the heading line without markup
    end: int
    level: int  # 1..6 for markdown '#' levels; 0 for a bold-only line (level unknown)


@dataclass(frozen=True)
class LoadedDocument:
    path: Path
    text: str
    title: str
    # Offset in ``text`` where each page starts (PDF); empty when the format has no pages.
    page_starts: tuple[int, ...] = ()
    headings: tuple[HeadingHint, ...] = field(default_factory=tuple)

    def page_at(self, offset: int) -> int | None:
        """1-based page number holding ``offset``, or None for page-less formats."""
        if not self.page_starts:
            return None
        page = 0
        for i, start in enumerate(self.page_starts):
            if start <= offset:
                page = i
            else:
                break
        return page + 1


SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".docx", ".pdf", ".html", ".htm", ".doc", ".wps")


def load_document(path: Path) -> LoadedDocument:
    """Load and clean one file. Raises LoadError naming the file and the reason."""
    raise NotImplementedError
