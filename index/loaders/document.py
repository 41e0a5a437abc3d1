"""What every reader returns (``LoadedDocument``) or raises (``LoadError``), and the limits every file obeys."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from index.cleaning import CleanedText, HeadingHint, guess_title


class LoadError(Exception):
    """A file that cannot be turned into text. The message is for the user, in Chinese."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


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


def make_document(path: Path, cleaned: CleanedText, page_starts: tuple[int, ...] = ()) -> LoadedDocument:
    title = choose_title(path, guess_title(cleaned.text, cleaned.headings))
    return LoadedDocument(path, cleaned.text, title, page_starts, cleaned.headings)


def choose_title(path: Path, *candidates: str | None) -> str:
    """The first candidate, unless the file name says the same and more ("政府工作报告" in
    "2024年国务院政府工作报告"): several files would otherwise share one title."""
    title = next((c for c in candidates if c), None)
    if title is None or title in path.stem:
        return path.stem
    return title


