"""Page images → text with the local OCR engine (RapidOCR, PP-OCRv4 models inside its wheel).

The engine is loaded on first use, once per process: commands that never OCR do not pay for
importing it. Each page: red seals are whitened, the page is turned upright (a scan may lie at 90°,
180° or 270°), lines are recognised, unsure short pieces dropped, and the rest rejoined into
paragraphs in reading order (index/loaders/layout.py).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from index.loaders.document import PageProgress
from index.loaders.layout import Piece, page_text

if TYPE_CHECKING:
    from PIL.Image import Image

# Pages one file may send through OCR. bench/ocr_benchmark.py measured 10–13 s for a full A4 page
# (~900 characters, 200 dpi) on 2 shared cores, so the limit bounds one file to about 50 minutes.
MAX_OCR_PAGES = 300
SECONDS_PER_PAGE = 10
# Pages are rasterised at this resolution; the engine works on at most 2000 pixels a side anyway.
RENDER_DPI = 200
# A piece this short and this unsure is a speck, a seal fragment or a signature, not text.
_SPECK_MAX_CHARS = 3
_SPECK_MIN_SCORE = 0.8
# Orientation: read this many stretches of the longest lines with the direction classifier.
_ORIENTATION_SAMPLES = 5
_TALL = 1.5  # a box this much taller than wide is a line of text lying on its side
# A seal: a red blob at least this share of the page's shorter side, about as wide as high.
_SEAL_MIN_SHARE = 0.06
_SEAL_ASPECT = (0.6, 1.6)

_engine_lock = threading.Lock()
# onnxruntime (1.32) sends telemetry to mobile.events.data.microsoft.com once it runs a model, and looks
# the host up even offline: nothing may leave this machine. Set before onnxruntime is first used.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"


def too_many_pages(count: int) -> str:
    seconds = count * SECONDS_PER_PAGE
    duration = f"{seconds} 秒" if seconds < 120 else f"{round(seconds / 60)} 分钟"
    return (
        f"扫描页过多：{count} 页需要文字识别，超过 {MAX_OCR_PAGES} 页的上限"
        f"（每页约 {SECONDS_PER_PAGE} 秒，全部识别约需 {duration}），请拆分后再导入"
    )


@functools.cache
def _engine() -> Any:
    # Imported here: onnxruntime and OpenCV take a second to import and most commands never OCR.
    import onnxruntime
    from rapidocr_onnxruntime import RapidOCR

    onnxruntime.disable_telemetry_events()  # and its events off too, besides ORT_DISABLE_TELEMETRY above
    return RapidOCR()


def recognise_pages(
    images: Iterable[Image], total: int, progress: PageProgress | None = None
) -> list[str]:
    """The text of each page image, one paragraph a line ("" for a page without text)."""
    texts = []
    for done, image in enumerate(images, start=1):
        texts.append(recognise(image))
        if progress:
            progress(done, total)
    return texts


def recognise(image: Image) -> str:
    """The text of one page image, one paragraph a line; "" when it holds no text."""
    bgr = np.ascontiguousarray(np.asarray(_on_white(image))[:, :, ::-1])
    bgr = _remove_seals(bgr)
    with _engine_lock:  # one engine per process; its calls keep state between steps
        engine = _engine()
        boxes, _ = engine(bgr, use_det=True, use_cls=False, use_rec=False)
        if not boxes:
            return ""
        turns = _upright_turns(engine, bgr, boxes)
        if turns:
            bgr = np.ascontiguousarray(np.rot90(bgr, turns))
        result, _ = engine(bgr, use_cls=False)
    return page_text([piece for piece in map(_piece, result or []) if piece is not None])


def _on_white(image: Image) -> Image:
    """RGB pixels; transparent ones (a PNG cut-out of a page) become white paper, not black."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        from PIL import Image as PILImage

        rgba = image.convert("RGBA")
        paper = PILImage.new("RGB", rgba.size, "white")
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper
    return image.convert("RGB")


def _piece(item: list[Any]) -> Piece | None:
    box, text, score = item
    text = str(text).strip()
    if not text or (len(text) <= _SPECK_MAX_CHARS and float(score) < _SPECK_MIN_SCORE):
        return None
    xs = [float(point[0]) for point in box]
    ys = [float(point[1]) for point in box]
    return Piece(min(xs), min(ys), max(xs), max(ys), text)


def _upright_turns(engine: Any, bgr: np.ndarray, boxes: list[Any]) -> int:
    """Quarter turns (counter-clockwise, as np.rot90 counts) that make the page upright.

    Lines lying on their side give tall boxes: the page is at 90° or 270°. The engine's direction
    classifier (0° or 180°) then reads stretches of the longest lines, turned to lie flat.
    """
    rects = [_bounds(box) for box in boxes]
    tall = sum(1 for x0, y0, x1, y1 in rects if y1 - y0 > _TALL * (x1 - x0))
    wide = sum(1 for x0, y0, x1, y1 in rects if x1 - x0 > _TALL * (y1 - y0))
    sideways = tall > wide
    longest = sorted(rects, key=lambda r: max(r[2] - r[0], r[3] - r[1]), reverse=True)[:_ORIENTATION_SAMPLES]
    flipped = 0.0
    for x0, y0, x1, y1 in longest:
        crop = bgr[int(y0) : int(y1) + 1, int(x0) : int(x1) + 1]
        if sideways:
            crop = np.rot90(crop, 1)
        height, width = crop.shape[:2]
        middle = width // 2
        stretch = np.ascontiguousarray(crop[:, max(0, middle - 2 * height) : middle + 2 * height])
        if stretch.size == 0:
            continue
        result, _ = engine(stretch, use_det=False, use_cls=True, use_rec=False)
        label, score = result[0]
        flipped += float(score) if "180" in str(label) else -float(score)
    if sideways:
        return 3 if flipped > 0 else 1
    return 2 if flipped > 0 else 0


def _bounds(box: Any) -> tuple[float, float, float, float]:
    points = np.asarray(box, dtype=float)
    return points[:, 0].min(), points[:, 1].min(), points[:, 0].max(), points[:, 1].max()


def _remove_seals(bgr: np.ndarray) -> np.ndarray:
    """Whiten red seals (round or square red blobs): stamped over the text they scramble its lines and
    add fragments of their own ring text. Black text under the red stays; a red letterhead or a red
    rule is wide, not square, and stays too."""
    import cv2

    blue, green, red = (bgr[:, :, i].astype(np.int16) for i in range(3))
    mask = ((red > 120) & (red - green > 60) & (red - blue > 60)).astype(np.uint8)
    if not mask.any():
        return bgr
    side = min(bgr.shape[:2])
    grown = cv2.dilate(mask, np.ones((15, 15), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(grown)
    cleaned = bgr.copy()
    for label in range(1, count):
        x, y, w, h = stats[label, :4]
        if min(w, h) >= _SEAL_MIN_SHARE * side and _SEAL_ASPECT[0] <= w / h <= _SEAL_ASPECT[1]:
            # Every red pixel inside the ring is the seal's: its name, its star, its number.
            cleaned[y : y + h, x : x + w][mask[y : y + h, x : x + w] > 0] = 255
    return cleaned
