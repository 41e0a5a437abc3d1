"""HTML: the text a browser shows, block by block, with h1–h6 as heading hints."""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

from index.cleaning import CleanedText, TextAssembler, guess_title, normalize_plain_text, remove_zero_width
from index.loaders.decoding import decode_or_fail
from index.loaders.document import LoadedDocument, choose_title

_HTML_DROPPED_TAGS = frozenset("script style nav header footer noscript template head svg iframe".split())
_HTML_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_HTML_BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details dialog div dl dt fieldset figcaption"
    " figure hr html li main ol p section summary table tbody tfoot thead ul".split()
)
_HTML_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
_CJK_CHAR = r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’]"
_HTML_WRAP_BETWEEN_CJK = re.compile(rf"(?<={_CJK_CHAR})[ \t]*\n[ \t\n\r\f]*(?={_CJK_CHAR})")


def load_html(path: Path, data: bytes) -> LoadedDocument:
    soup = BeautifulSoup(decode_or_fail(path, data), "html.parser")
    page_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    collector = _HtmlTextCollector()
    collector.walk(soup)
    cleaned = collector.finish()
    title = choose_title(path, guess_title(cleaned.text, cleaned.headings), page_title)
    return LoadedDocument(path, cleaned.text, title, (), cleaned.headings)


def _collapse_html_whitespace(text: str) -> str:
    """Source line wraps between Chinese characters vanish when rendered; other whitespace runs are one space."""
    text = remove_zero_width(_HTML_WRAP_BETWEEN_CJK.sub("", text))
    return _HTML_WHITESPACE.sub(" ", text).strip()


class _HtmlTextCollector:
    """Walks the parse tree; each block element and each <br> ends a line."""

    def __init__(self) -> None:
        self._assembler = TextAssembler()
        self._pending: list[str] = []

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, PreformattedString):  # comments, doctype, CDATA
                continue
            if isinstance(child, NavigableString):
                self._pending.append(str(child))
            elif isinstance(child, Tag):
                self._walk_tag(child)

    def finish(self) -> CleanedText:
        self._flush()
        return self._assembler.build()

    def _walk_tag(self, tag: Tag) -> None:
        name = tag.name.lower()
        if name in _HTML_DROPPED_TAGS:
            return
        if name in _HTML_HEADINGS:
            self._flush()
            self._assembler.add_line(_collapse_html_whitespace(tag.get_text()), _HTML_HEADINGS[name])
        elif name == "tr":
            self._flush()
            cells = [
                _collapse_html_whitespace(cell.get_text(" "))
                for cell in tag.find_all(["td", "th"], recursive=False)
            ]
            if any(cells):
                self._assembler.add_line(" | ".join(cells))
        elif name == "br":
            self._flush()
        elif name == "pre":
            self._flush()
            for line in normalize_plain_text(tag.get_text()).split("\n"):
                self._assembler.add_line(line)
        elif name in _HTML_BLOCK_TAGS:
            self._flush()
            self.walk(tag)
            self._flush()
        else:
            self.walk(tag)

    def _flush(self) -> None:
        line = _collapse_html_whitespace("".join(self._pending))
        self._pending.clear()
        if line:
            self._assembler.add_line(line)


