"""Plain text (.txt) and Markdown (.md)."""

from __future__ import annotations

from pathlib import Path

from index.cleaning import CleanedText, clean_markdown, normalize_plain_text
from index.loaders.decoding import decode_or_fail
from index.loaders.document import LoadedDocument, make_document


def load_plain_text(path: Path, data: bytes) -> LoadedDocument:
    return make_document(path, CleanedText(normalize_plain_text(decode_or_fail(path, data))))


def load_markdown(path: Path, data: bytes) -> LoadedDocument:
    return make_document(path, clean_markdown(decode_or_fail(path, data)))
