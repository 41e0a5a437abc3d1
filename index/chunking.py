"""Structure units → chunks within size limits, each carrying where it sits in its document.

``Chunk`` is the one schema for a passage: the store writes it, retrieval reads it back, citations
quote it. ``Chunk.text`` is always ``document.text[start:end]``: a citation quotes real characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from index.loaders import LoadedDocument

SECTION_SEPARATOR = " › "
TITLES_SEPARATOR = "|"


@dataclass(frozen=True)
class Chunk:
    doc_id: str  # stable id of the source (derived from its path, not its content)
    doc: str  # source file name, e.g. "中国共产党巡视工作条例.md"
    title: str
    kind: str  # "report" | "regulation" | "other"
    section: str  # headings from the top down, then the chunk's own label, joined by SECTION_SEPARATOR
    label: str  # the unit's own label: "五是", "第二十七条", "3.", "（二）", or "" for plain paragraphs
    start: int  # character span in the document's cleaned text
    end: int
    text: str
    page: int | None
    titles: tuple[str, ...]  # 《…》 titles the text mentions, with the brackets
    ordinal: int  # position of the chunk in its document

    @property
    def id(self) -> str:
        return f"{self.doc_id}-{self.ordinal:05d}"

    def embedding_text(self) -> str:
        """What the dense encoder sees: the section path helps it, the document title did not."""
        return f"{self.section}\n{self.text}" if self.section else self.text

    def lexical_text(self) -> str:
        """What BM25 sees: title and section path carry the topic words the body often omits."""
        return f"{self.title} > {self.section}\n{self.text}"

    def to_metadata(self) -> dict[str, Any]:
        """Flat metadata for the vector store (scalars only)."""
        return {
            "doc_id": self.doc_id,
            "doc": self.doc,
            "title": self.title,
            "kind": self.kind,
            "section": self.section,
            "label": self.label,
            "start": self.start,
            "end": self.end,
            "page": self.page if self.page is not None else -1,
            "titles": TITLES_SEPARATOR.join(self.titles),
            "ordinal": self.ordinal,
        }

    @classmethod
    def from_metadata(cls, text: str, meta: dict[str, Any]) -> Chunk:
        page = int(meta.get("page", -1))
        titles = str(meta.get("titles") or "")
        return cls(
            doc_id=str(meta["doc_id"]),
            doc=str(meta["doc"]),
            title=str(meta["title"]),
            kind=str(meta["kind"]),
            section=str(meta.get("section") or ""),
            label=str(meta.get("label") or ""),
            start=int(meta["start"]),
            end=int(meta["end"]),
            text=text,
            page=page if page >= 0 else None,
            titles=tuple(t for t in titles.split(TITLES_SEPARATOR) if t),
            ordinal=int(meta["ordinal"]),
        )


def chunk_document(
    doc: LoadedDocument,
    *,
    doc_id: str,
    max_chars: int = 400,
    min_chars: int = 60,
    overlap_chars: int = 60,
) -> list[Chunk]:
    """Split a loaded document into structure-following chunks (see index/structure.py)."""
    raise NotImplementedError
