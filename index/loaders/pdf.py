"""PDF page by page, so citations keep their page numbers: the text layer (pypdf), or OCR for scanned pages."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pypdf import PdfReader
from pypdf.errors import DependencyError, PdfStreamError

import index.loaders.ocr as ocr
from index.cleaning import join_wrapped_lines, normalize_plain_text
from index.loaders.decoding import plausible_text
from index.loaders.document import LoadedDocument, LoadError, PageProgress, paged_document

if TYPE_CHECKING:
    from PIL.Image import Image

SCANNED_PDF = "扫描件，无文字层，文字识别（OCR）也没有识别到文字（可能是空白页或图画）"
UNDECODABLE_PDF = "PDF 文字层无法解码（字体缺少文字映射，提取出的是乱码），需先做 OCR"
NOT_PDF = "不是 PDF 文件（文件开头没有 %PDF 标记，可能是改了扩展名的其他文件）"
PDF_NEEDS_CRYPTOGRAPHY = "PDF 已加密（AES），本机缺少解密组件 cryptography，无法读取（安装 cryptography 或先解除加密）"
PDF_MAGIC = b"%PDF-"
PDF_HEADER_WITHIN = 1024  # readers accept a header after up to 1 KB of leading junk
_MIN_CHARS_PER_TEXT_PAGE = 5  # a page with fewer visible characters has no text layer: it goes to OCR
# Longest side of a rendered page: 200 dpi for A4 (2339 px); a poster-sized page is rendered smaller.
_MAX_RENDER_PIXELS = 2400


def load_pdf(path: Path, data: bytes, progress: PageProgress | None = None) -> LoadedDocument:
    """Text-layer pages as extracted; pages without a text layer (scans) through OCR."""
    page_texts = _pdf_page_texts(path, data)
    if not page_texts:
        raise LoadError(path, "PDF 没有任何页面")
    scanned = [i for i, text in enumerate(page_texts) if len("".join(text.split())) < _MIN_CHARS_PER_TEXT_PAGE]
    if plausible_text("\n".join(page_texts)) is None:
        raise LoadError(path, UNDECODABLE_PDF)
    ocr_pages: set[int] = set()
    if scanned:
        if len(scanned) > ocr.MAX_OCR_PAGES:
            raise LoadError(path, ocr.too_many_pages(len(scanned)))
        recognised = ocr.recognise_pages(_rendered_pages(path, data, scanned), len(scanned), progress)
        for index, text in zip(scanned, recognised, strict=True):
            if text:
                page_texts[index] = text
                ocr_pages.add(index + 1)
    if not any(text.strip() for text in page_texts):
        raise LoadError(path, SCANNED_PDF)
    return paged_document(path, page_texts, frozenset(ocr_pages))


def _rendered_pages(path: Path, data: bytes, indexes: list[int]) -> Iterator[Image]:
    """The given pages as images, one at a time (a rendered A4 page at 200 dpi is ~11 MB)."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise LoadError(path, f"PDF 页面无法渲染，不能做文字识别：{exc}") from exc
    try:
        for index in indexes:
            page = document[index]
            try:
                width, height = page.get_size()  # points
                scale = min(ocr.RENDER_DPI / 72, _MAX_RENDER_PIXELS / max(width, height, 1))
                yield page.render(scale=scale).to_pil()
            finally:
                page.close()
    finally:
        document.close()


def _pdf_page_texts(path: Path, data: bytes) -> list[str]:
    if PDF_MAGIC not in data[:PDF_HEADER_WITHIN]:
        raise LoadError(path, NOT_PDF)
    # pypdf raises many exception types on malformed input, hence the broad excepts.
    try:
        reader = PdfReader(io.BytesIO(data))
    except Exception as exc:
        raise LoadError(path, f"PDF 文件损坏或格式不正确：{_describe_pdf_error(exc)}") from exc
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except DependencyError as exc:
            raise LoadError(path, PDF_NEEDS_CRYPTOGRAPHY) from exc
        except Exception as exc:
            raise LoadError(path, f"PDF 已加密，无法解密：{exc}") from exc
        if not opened:
            raise LoadError(path, "PDF 已加密，需要密码才能打开（请先解除密码再导入）")
    try:
        raw_pages = [page.extract_text() or "" for page in reader.pages]
    except DependencyError as exc:  # AES content: decrypt("") succeeds, reading the text needs cryptography
        raise LoadError(path, PDF_NEEDS_CRYPTOGRAPHY) from exc
    except Exception as exc:
        raise LoadError(path, f"PDF 文件损坏，无法提取文字：{_describe_pdf_error(exc)}") from exc
    return [join_wrapped_lines(normalize_plain_text(text)) for text in raw_pages]


def _describe_pdf_error(exc: Exception) -> str:
    if isinstance(exc, PdfStreamError) or "EOF" in str(exc):
        return f"文件不完整，可能被截断（{exc}）"
    return f"{type(exc).__name__}: {exc}"


