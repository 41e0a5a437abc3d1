"""What a file's bytes are, by content only (never by extension): uploads and readers both ask."""

from __future__ import annotations

import io
import zipfile

from index.loaders.decoding import decode_text
from index.loaders.pdf import PDF_HEADER_WITHIN, PDF_MAGIC
from index.loaders.word import OLE_MAGIC, ZIP_MAGIC

_BINARY_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
    (b"II*\x00", "image"),
    (b"MM\x00*", "image"),
    (b"\x7fELF", "program"),
    (b"MZ", "program"),
    (b"Rar!", "archive"),
    (b"7z\xbc\xaf\x27\x1c", "archive"),
    (b"\x1f\x8b", "archive"),
)
CONTENT_LABELS = {
    "pdf": "PDF 文件",
    "docx": "Word 文档（.docx）",
    "ofd": "OFD 版式文件",
    "ole": "旧版 Office 文档（.doc/.wps/.xls 等）",
    "xlsx": "Excel 表格",
    "pptx": "PowerPoint 演示文稿",
    "zip": "压缩包",
    "archive": "压缩包",
    "image": "图片",
    "program": "可执行程序",
    "text": "纯文本",
    "binary": "无法识别的二进制数据",
}


def detect_content(data: bytes) -> str:
    """What the bytes are: one of the keys of ``CONTENT_LABELS``."""
    if PDF_MAGIC in data[:PDF_HEADER_WITHIN]:
        return "pdf"
    if data.startswith(OLE_MAGIC):
        return "ole"
    if data.startswith(ZIP_MAGIC):
        return _zip_content(data)
    for magic, kind in _BINARY_MAGIC:
        if data.startswith(magic):
            return kind
    return "text" if decode_text(data) is not None else "binary"


def _zip_content(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "zip"
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    if any(name.lstrip("/").lower() == "ofd.xml" for name in names):
        return "ofd"
    return "zip"
