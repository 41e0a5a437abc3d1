"""What every reader returns (``LoadedDocument``) or raises (``LoadError``), and the limits every file obeys."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from index.cleaning import CleanedText, HeadingHint, guess_title


class LoadError(Exception):
    """A file that cannot be turned into text. The message is for the user, in Chinese."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


# Called with (pages done, pages in all) while a reader works through slow pages (OCR).
PageProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class UnitHint:
    """A unit the format itself delimits (a spreadsheet row): structure parsing takes it as it is."""

    start: int  # span in LoadedDocument.text
    end: int
    label: str  # "第3行", "序号5"
    headings: tuple[str, ...]  # enclosing headings, outermost first (the sheet)


@dataclass(frozen=True)
class LoadedDocument:
    path: Path
    text: str
    title: str
    # Offset in ``text`` where each page starts (PDF); empty when the format has no pages.
    page_starts: tuple[int, ...] = ()
    headings: tuple[HeadingHint, ...] = field(default_factory=tuple)
    # 1-based numbers of the pages whose text came from OCR (may contain recognition errors).
    ocr_pages: frozenset[int] = frozenset()
    # When set, the document's units, in order; structure parsing then does not look for markers.
    units: tuple[UnitHint, ...] = ()

    def pages_in(self, start: int, end: int) -> range:
        """1-based numbers of the pages that [start, end) touches; empty for page-less formats."""
        first, last = self.page_at(start), self.page_at(max(start, end - 1))
        return range(first, last + 1) if first is not None and last is not None else range(0)

    def from_ocr(self, start: int, end: int) -> bool:
        """Whether any character of [start, end) was recognised by OCR."""
        return any(page in self.ocr_pages for page in self.pages_in(start, end))

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


EMPTY_FILE = "文件为空"
NOT_TEXT = "不是文本文件（疑似二进制）"

# Limits that keep one oversized file from stalling a whole run. Read at call time, so they can be
# changed here (or patched) without touching anything else. Bytes guard memory (the file is read
# whole); characters bound the work: about 2,500–5,000 chunks per 1,000,000 characters, i.e. roughly a
# minute of embedding on 2 cores. A file over either limit fails with a reason saying so.
MAX_FILE_MB: float = 50
MAX_TEXT_CHARS = 1_000_000


def wan(chars: int) -> str:
    """A character count in 万 (10,000), as people say it: 100, 1.5, 0.2."""
    return f"{chars / 10_000:.1f}".removesuffix(".0")


def megabytes(size: float) -> str:
    return f"{size:.1f}".removesuffix(".0") if size >= 0.1 else f"{size:g}"


def read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise LoadError(path, "文件不存在")
    if not path.is_file():
        raise LoadError(path, "不是普通文件（可能是文件夹）")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_MB * 1024 * 1024:
            shown = megabytes(size / 1024 / 1024)
            raise LoadError(path, f"文件过大（超过 {megabytes(MAX_FILE_MB)} MB，本文件 {shown} MB），请拆分后再导入")
        return path.read_bytes()
    except PermissionError as exc:
        raise LoadError(path, "没有读取权限") from exc
    except OSError as exc:
        raise LoadError(path, f"无法读取文件：{exc.strerror or exc}") from exc


def make_document(
    path: Path, cleaned: CleanedText, page_starts: tuple[int, ...] = (), ocr_pages: frozenset[int] = frozenset()
) -> LoadedDocument:
    title = choose_title(path, guess_title(cleaned.text, cleaned.headings))
    return LoadedDocument(path, cleaned.text, title, page_starts, cleaned.headings, ocr_pages)


def paged_document(path: Path, page_texts: list[str], ocr_pages: frozenset[int] = frozenset()) -> LoadedDocument:
    """Pages joined with "\n", each page's start offset kept so citations know their page."""
    page_starts: list[int] = []
    offset = 0
    for text in page_texts:
        page_starts.append(offset)
        offset += len(text) + 1
    return make_document(path, CleanedText("\n".join(page_texts)), tuple(page_starts), ocr_pages)


def choose_title(path: Path, *candidates: str | None) -> str:
    """The first candidate, unless the file name says the same and more ("政府工作报告" in
    "2024年国务院政府工作报告"): several files would otherwise share one title."""
    title = next((c for c in candidates if c), None)
    if title is None or title in path.stem:
        return path.stem
    return title


