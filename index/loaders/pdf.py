"""PDF with a text layer (pypdf), page by page, so citations keep their page numbers."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import DependencyError, PdfStreamError

from index.cleaning import CleanedText, join_wrapped_lines, normalize_plain_text
from index.loaders.decoding import plausible_text
from index.loaders.document import LoadedDocument, LoadError, make_document

SCANNED_PDF = "扫描件，无文字层，无法提取文字（需先做 OCR）"
UNDECODABLE_PDF = "PDF 文字层无法解码（字体缺少文字映射，提取出的是乱码），需先做 OCR"
NOT_PDF = "不是 PDF 文件（文件开头没有 %PDF 标记，可能是改了扩展名的其他文件）"
PDF_NEEDS_CRYPTOGRAPHY = "PDF 已加密（AES），本机缺少解密组件 cryptography，无法读取（安装 cryptography 或先解除加密）"
PDF_MAGIC = b"%PDF-"
PDF_HEADER_WITHIN = 1024  # readers accept a header after up to 1 KB of leading junk
_MIN_CHARS_PER_TEXT_PAGE = 5


def load_pdf(path: Path, data: bytes) -> LoadedDocument:
    page_texts = _pdf_page_texts(path, data)
    if not page_texts:
        raise LoadError(path, "PDF 没有任何页面")
    visible_chars = sum(len("".join(text.split())) for text in page_texts)
    if visible_chars < _MIN_CHARS_PER_TEXT_PAGE * len(page_texts):
        raise LoadError(path, SCANNED_PDF)
    if plausible_text("\n".join(page_texts)) is None:
        raise LoadError(path, UNDECODABLE_PDF)
    page_starts: list[int] = []
    offset = 0
    for text in page_texts:
        page_starts.append(offset)
        offset += len(text) + 1  # pages are joined with "\n"
    cleaned = CleanedText("\n".join(page_texts))
    return make_document(path, cleaned, tuple(page_starts))


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


