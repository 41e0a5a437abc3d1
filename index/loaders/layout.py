"""Positioned pieces of text on a page (OCR boxes, OFD text codes) → paragraphs in reading order.

Official documents are set in one column with a two-character first-line indent; some pages have two
columns under a full-width title. The page is cut at a column gutter when there is one (left column
before right, full-width lines where they stand), pieces on one baseline become a line, and a line
that runs to the right margin continues into the next line unless that one is indented or starts a
numbered heading. Coordinates grow rightwards and downwards; only their ratios matter.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

# A gutter may be crossed by at most this share of the pieces (full-width titles and footers).
_MAX_CROSSING_SHARE = 0.2
_MIN_PIECES_PER_COLUMN = 3
# Most left-column lines run up to the gutter: this tells columns of text from a two-column table.
_MIN_FULL_SHARE = 0.5
_GUTTER_SEARCH = (0.25, 0.75)  # share of the text width where a gutter may lie
# In units of the median line height (about one character's width in Chinese text).
_FULL_LINE_SLACK = 1.5  # a line this close to the right margin is full
_INDENT = 0.8  # a line starting further than this from the left margin is indented
_BODY_START = 3  # body lines start within this of the left margin (indent included)
_PARAGRAPH_GAP = 1.2  # a wider gap between lines ends the paragraph
_WORD_GAP = 0.8  # pieces on one line further apart than this are separated by a space
_SAME_LINE_OVERLAP = 0.5  # share of the lower piece's height two pieces on one line overlap by
_STARTS_STRUCTURE = re.compile(
    r"^(?:第[一二三四五六七八九十百千零〇两\d]+[编章节条]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）])"
)


@dataclass(frozen=True)
class Piece:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def y_mid(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(frozen=True)
class _Line:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


def page_text(pieces: list[Piece]) -> str:
    """The page's text: one paragraph a line, in reading order."""
    pieces = [p for p in pieces if p.text.strip() and p.x1 > p.x0 and p.y1 > p.y0]
    if not pieces:
        return ""
    paragraphs: list[str] = []
    for block in _blocks(pieces):
        paragraphs.extend(_paragraphs(_lines(block)))
    return "\n".join(paragraphs)


def _blocks(pieces: list[Piece]) -> list[list[Piece]]:
    """Groups of pieces to read one after the other: the whole page, or, with a gutter, full-width
    pieces where they stand and between them the left column before the right one."""
    gutter = _find_gutter(pieces)
    if gutter is None:
        return [pieces]
    blocks: list[list[Piece]] = []
    left: list[Piece] = []
    right: list[Piece] = []
    for piece in sorted(pieces, key=lambda p: p.y0):
        if piece.x0 < gutter < piece.x1:
            blocks += [b for b in (left, right) if b]
            blocks.append([piece])
            left, right = [], []
        elif piece.x1 <= gutter:
            left.append(piece)
        else:
            right.append(piece)
    blocks += [b for b in (left, right) if b]
    return blocks


def _find_gutter(pieces: list[Piece]) -> float | None:
    if len(pieces) < 2 * _MIN_PIECES_PER_COLUMN:
        return None
    x_min = min(p.x0 for p in pieces)
    width = max(p.x1 for p in pieces) - x_min
    low, high = (x_min + share * width for share in _GUTTER_SEARCH)
    line_height = statistics.median(p.height for p in pieces)
    best: tuple[tuple[int, int], float] | None = None
    for x in sorted({p.x1 + 0.5 for p in pieces if low <= p.x1 <= high}):
        crossing = sum(1 for p in pieces if p.x0 < x < p.x1)
        left = [p for p in pieces if p.x1 <= x]
        right = [p for p in pieces if p.x0 >= x]
        if crossing > _MAX_CROSSING_SHARE * len(pieces) or min(len(left), len(right)) < _MIN_PIECES_PER_COLUMN:
            continue
        # Side by side, not one under the other (a signature block at the bottom right is no column).
        if min(p.y0 for p in right) > max(p.y1 for p in left) or min(p.y0 for p in left) > max(p.y1 for p in right):
            continue
        left_edge = max(p.x1 for p in left)
        full = sum(1 for p in left if p.x1 >= left_edge - _FULL_LINE_SLACK * line_height)
        if full < _MIN_FULL_SHARE * len(left):
            continue
        score = (min(len(left), len(right)), -crossing)
        if best is None or score > best[0]:
            best = (score, (left_edge + min(p.x0 for p in right)) / 2)  # the middle of the gutter
    return best[1] if best else None


def _lines(pieces: list[Piece]) -> list[_Line]:
    rows: list[list[Piece]] = []
    for piece in sorted(pieces, key=lambda p: p.y_mid):
        row = rows[-1] if rows else None
        if row is not None:
            top, bottom = min(p.y0 for p in row), max(p.y1 for p in row)
            overlap = min(bottom, piece.y1) - max(top, piece.y0)
            if overlap >= _SAME_LINE_OVERLAP * min(piece.height, bottom - top):
                row.append(piece)
                continue
        rows.append([piece])
    lines = []
    for row in rows:
        row.sort(key=lambda p: p.x0)
        text = row[0].text.strip()
        for before, piece in zip(row, row[1:], strict=False):
            gap = piece.x0 - before.x1
            text += (" " if gap > _WORD_GAP * piece.height else "") + piece.text.strip()
        lines.append(_Line(row[0].x0, min(p.y0 for p in row), max(p.x1 for p in row), max(p.y1 for p in row), text))
    return lines


def _paragraphs(lines: list[_Line]) -> list[str]:
    if not lines:
        return []
    height = statistics.median(line.y1 - line.y0 for line in lines)
    left = min(line.x0 for line in lines)
    # The right margin is where body lines end; a centred title or a signature may stick out past it.
    body = [line.x1 for line in lines if line.x0 <= left + _BODY_START * height]
    right = max(body or [line.x1 for line in lines])
    paragraphs = [lines[0].text]
    for previous, line in zip(lines, lines[1:], strict=False):
        continues = (
            previous.x1 >= right - _FULL_LINE_SLACK * height
            and line.x0 <= left + _INDENT * height
            and line.y0 - previous.y1 <= _PARAGRAPH_GAP * height
            and not _STARTS_STRUCTURE.match(line.text)
        )
        if continues:
            paragraphs[-1] = _join(paragraphs[-1], line.text)
        else:
            paragraphs.append(line.text)
    return paragraphs


def _join(left: str, right: str) -> str:
    """A wrapped line rejoined: nothing between Chinese characters, a space between two words."""
    if left[-1:].isascii() and left[-1:].isalnum() and right[:1].isascii() and right[:1].isalnum():
        return f"{left} {right}"
    return left + right
