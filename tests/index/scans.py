"""Scanned pages made here: text rendered with the Debian Noto CJK font into page images (one or two
columns, an optional red seal stamped over the text, any quarter turn), image-only PDFs of them.

Used by the loader tests, the bad-input table and bench/ocr_benchmark.py. Sizes are small by default
(A5 at 150 dpi): OCR takes seconds per page on 2 cores.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

NOTO_SANS_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
_SC_INDEX = 2  # "Noto Sans CJK SC" inside the collection (JP, KR, SC, TC, HK)
INDENT = "\u3000\u3000"  # official documents indent each paragraph by two characters
A4_MM = (210, 297)
A5_MM = (148, 210)


def font(pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(NOTO_SANS_CJK), pixels, index=_SC_INDEX)


def _mm(mm: float, dpi: int) -> int:
    return round(mm / 25.4 * dpi)


def _wrap(draw: ImageDraw.ImageDraw, paragraph: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Lines of at most ``width`` pixels; the first carries the paragraph indent."""
    lines: list[str] = []
    rest = INDENT + paragraph
    while rest:
        count = len(rest)
        while count > 1 and draw.textlength(rest[:count], font=face) > width:
            count -= 1
        lines.append(rest[:count])
        rest = rest[count:]
    return lines


def render_page(
    paragraphs: Sequence[str],
    *,
    dpi: int = 150,
    size_mm: tuple[float, float] = A5_MM,
    font_pt: float = 12,
    margin_mm: float = 15,
    title: str | None = None,
    right_column: Sequence[str] = (),
) -> Image.Image:
    """One page: an optional centred title, then the paragraphs; with ``right_column`` two columns side
    by side under the title. Lines that do not fit are left out: keep texts short."""
    width, height = _mm(size_mm[0], dpi), _mm(size_mm[1], dpi)
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)
    face = font(round(font_pt / 72 * dpi))
    line_height = round(face.size * 1.7)
    margin = _mm(margin_mm, dpi)
    y = margin
    if title:
        title_width = draw.textlength(title, font=face)
        draw.text(((width - title_width) / 2, y), title, font=face, fill="black")
        y += 2 * line_height
    columns = [paragraphs, right_column] if right_column else [paragraphs]
    gutter = int(face.size * 2)
    column_width = (width - 2 * margin - (len(columns) - 1) * gutter) // len(columns)
    for column, texts in enumerate(columns):
        x, line_y = margin + column * (column_width + gutter), y
        for line in (line for text in texts for line in _wrap(draw, text, face, column_width)):
            if line_y + line_height > height - margin:
                break
            draw.text((x, line_y), line, font=face, fill="black")
            line_y += line_height
    return page


def render_pages(
    paragraphs: Sequence[str],
    *,
    dpi: int = 150,
    size_mm: tuple[float, float] = A4_MM,
    font_pt: float = 12,
    margin_mm: float = 25,
) -> list[tuple[Image.Image, list[str]]]:
    """The paragraphs flowed over as many pages as they need; each page with the lines drawn on it."""
    width, height = _mm(size_mm[0], dpi), _mm(size_mm[1], dpi)
    face = font(round(font_pt / 72 * dpi))
    line_height = round(face.size * 1.7)
    margin = _mm(margin_mm, dpi)
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    lines = [line for paragraph in paragraphs for line in _wrap(measure, paragraph, face, width - 2 * margin)]
    per_page = (height - 2 * margin) // line_height
    pages = []
    for first in range(0, len(lines), per_page):
        page = Image.new("RGB", (width, height), "white")
        draw = ImageDraw.Draw(page)
        drawn = lines[first : first + per_page]
        for i, line in enumerate(drawn):
            draw.text((margin, margin + i * line_height), line, font=face, fill="black")
        pages.append((page, drawn))
    return pages


def stamp_seal(page: Image.Image, centre: tuple[int, int], radius: int, text: str = "某某县教育局") -> Image.Image:
    """A red round seal (ring, star, text around the top) pressed over the page: red ink multiplies
    with what is printed, so black text under it stays black, as on a real stamped document."""
    seal = Image.new("RGB", page.size, "white")
    draw = ImageDraw.Draw(seal)
    red = (220, 30, 30)
    x, y = centre
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), outline=red, width=max(3, radius // 18))
    star = [
        (x + radius * 0.28 * math.cos(math.pi / 2 + k * 4 * math.pi / 5),
         y - radius * 0.28 * math.sin(math.pi / 2 + k * 4 * math.pi / 5))
        for k in range(5)
    ]
    draw.polygon(star, fill=red)
    face = font(max(10, radius // 4))
    for i, char in enumerate(text):  # characters along the upper arc, each turned to face outwards
        angle = math.pi * (0.85 - 0.7 * i / max(1, len(text) - 1))
        glyph = Image.new("RGBA", (int(face.size * 2), int(face.size * 2)), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((face.size // 2, face.size // 2), char, font=face, fill=red)
        glyph = glyph.rotate(math.degrees(angle) - 90, expand=False)
        gx = x + (radius * 0.72) * math.cos(angle) - face.size
        gy = y - (radius * 0.72) * math.sin(angle) - face.size
        seal.paste(glyph, (round(gx), round(gy)), glyph)
    return ImageChops.multiply(page, seal)


def turned(page: Image.Image, degrees: int) -> Image.Image:
    """The page as scanned lying at ``degrees`` (counter-clockwise)."""
    return page.rotate(degrees, expand=True) if degrees % 360 else page


def blank_page(dpi: int = 150, size_mm: tuple[float, float] = A5_MM) -> Image.Image:
    return Image.new("RGB", (_mm(size_mm[0], dpi), _mm(size_mm[1], dpi)), "white")


def image_bytes(page: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    page.save(buffer, format=fmt)
    return buffer.getvalue()


def image_pdf_bytes(pages: Sequence[Image.Image], dpi: int = 150) -> bytes:
    """An image-only PDF: what a scanner writes, no text layer at all."""
    buffer = io.BytesIO()
    first, *rest = [page.convert("RGB") for page in pages]
    first.save(buffer, format="PDF", save_all=True, append_images=rest, resolution=dpi)
    return buffer.getvalue()


def write_image_pdf(path: Path, pages: Sequence[Image.Image], dpi: int = 150) -> Path:
    path.write_bytes(image_pdf_bytes(pages, dpi))
    return path
