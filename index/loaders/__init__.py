"""File → cleaned text a reader would see, with page offsets and heading hints; one module per format.

Contract (used by structure/chunking): ``LoadedDocument.text`` is the canonical document text. Every
chunk offset and every citation points into it, so it must read exactly like the document (markup
removed, words untouched). A file that cannot be read raises ``LoadError`` with a Chinese reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from index.cleaning import HeadingHint
from index.loaders import document as limits
from index.loaders.decoding import decode_text
from index.loaders.document import EMPTY_FILE, LoadedDocument, LoadError, PageProgress, read_bytes, wan
from index.loaders.html import load_html
from index.loaders.image import IMAGE_SUFFIXES, load_image
from index.loaders.ofd import load_ofd
from index.loaders.pdf import load_pdf
from index.loaders.plain import load_markdown, load_plain_text
from index.loaders.spreadsheet import load_csv, load_xlsx
from index.loaders.word import load_docx, load_legacy_word

__all__ = [
    "SUPPORTED_SUFFIXES",
    "HeadingHint",
    "LoadError",
    "LoadedDocument",
    "PageProgress",
    "decode_text",
    "load_document",
]

Reader = Callable[[Path, bytes], LoadedDocument]


class PagedReader(Protocol):
    """A reader that works page by page through slow pages (OCR) and can say how far it is."""

    def __call__(self, path: Path, data: bytes, progress: PageProgress | None = None) -> LoadedDocument: ...


_READERS: dict[str, Reader] = {
    ".txt": load_plain_text,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".docx": load_docx,
    ".pdf": load_pdf,
    ".html": load_html,
    ".htm": load_html,
    ".doc": load_legacy_word,
    ".wps": load_legacy_word,
    ".ofd": load_ofd,
    ".xlsx": load_xlsx,
    ".csv": load_csv,
    **dict.fromkeys(IMAGE_SUFFIXES, load_image),
}
_PAGED_READERS: dict[str, PagedReader] = {".pdf": load_pdf, **dict.fromkeys(IMAGE_SUFFIXES, load_image)}
SUPPORTED_SUFFIXES = tuple(_READERS)


def load_document(path: Path | str, *, progress: PageProgress | None = None) -> LoadedDocument:
    """Load and clean one file. Raises LoadError naming the file and the reason.

    ``progress`` is called with (pages done, pages in all) while pages go through OCR.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        shown = suffix or "（无扩展名）"
        raise LoadError(path, f"不支持的文件类型 {shown}（支持：{'、'.join(SUPPORTED_SUFFIXES)}）")
    data = read_bytes(path)
    if not data:
        raise LoadError(path, EMPTY_FILE)
    paged = _PAGED_READERS.get(suffix)
    document = paged(path, data, progress) if paged is not None else reader(path, data)
    if not document.text.strip():
        raise LoadError(path, EMPTY_FILE)
    if len(document.text) > limits.MAX_TEXT_CHARS:
        raise LoadError(
            path,
            f"文字过多（本文件约 {wan(len(document.text))} 万字，超过 {wan(limits.MAX_TEXT_CHARS)} 万字的上限），请拆分后再导入",
        )
    return document
