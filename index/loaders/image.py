"""Scanned pages as images (.png, .jpg, .tif; a multi-page TIFF is one page per frame), read by OCR."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from pathlib import Path

import index.loaders.ocr as ocr
from index.loaders.document import LoadedDocument, LoadError, PageProgress, paged_document

NO_TEXT_IN_IMAGE = "图片中没有识别到文字（可能是空白页、照片或图画）"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
_BROKEN_IMAGE = "图片文件损坏或格式不正确"


def load_image(path: Path, data: bytes, progress: PageProgress | None = None) -> LoadedDocument:
    from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # Pillow warns past ~89 million pixels (a 600 dpi A4 scan has ~35 million): refuse such files.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            frames = getattr(image, "n_frames", 1)
            if frames > ocr.MAX_OCR_PAGES:
                raise LoadError(path, ocr.too_many_pages(frames))

            def pages() -> Iterator[Image.Image]:
                for frame in ImageSequence.Iterator(image):
                    # A phone photo records how it was held; the pixels may lie on their side.
                    yield ImageOps.exif_transpose(frame) or frame

            texts = ocr.recognise_pages(pages(), frames, progress)
    except LoadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise LoadError(path, "图片像素过多（超过约 9000 万像素），请降低分辨率后再导入") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise LoadError(path, f"{_BROKEN_IMAGE}（可能被截断或并非图片）") from exc
    if not any(text.strip() for text in texts):
        raise LoadError(path, NO_TEXT_IN_IMAGE)
    return paged_document(path, texts, frozenset(range(1, len(texts) + 1)))
