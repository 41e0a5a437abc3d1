"""OFD (GB/T 33190, the national fixed-layout format of e-government documents): a zip of XML files.

OFD.xml names each document's root (DocBody/DocRoot → Document.xml); Document.xml lists the pages
(Pages/Page@BaseLoc → Content.xml, plus template pages they draw on); a page's text sits in
TextObject elements (Boundary "x y w h" in millimetres) holding TextCode runs (X, Y of the baseline
relative to the Boundary, DeltaX the advances between characters). Runs are put back into lines and
paragraphs by position, page by page, so citations keep their page numbers.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree

from index.loaders.document import LoadedDocument, LoadError, choose_title, paged_document
from index.loaders.layout import Piece, page_text

OFD_ROOT = "OFD.xml"
NOT_OFD = "不是 OFD 文件（压缩包中没有 OFD.xml，可能是改了扩展名的其他压缩包）"
DAMAGED_OFD = "OFD 文件损坏"
ENCRYPTED_OFD = "OFD 文件已加密，无法读取（请用版式阅读器解除加密或另存为不加密的文件后再导入）"
NO_TEXT_OFD = "OFD 文件中没有文字（可能全是扫描图片；请另存为 PDF 或图片后再导入以做文字识别）"
_MAX_PAGES = 5000
# Uncompressed bytes read from the archive at most: guards against zip bombs.
_MAX_UNPACKED_BYTES = 200 * 1024 * 1024
_DEFAULT_SIZE = 3.5  # mm; a TextObject without Size or height


def load_ofd(path: Path, data: bytes) -> LoadedDocument:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise LoadError(path, f"{DAMAGED_OFD}：不是完整的压缩包（文件可能被截断）") from exc
    with archive:
        package = _Package(path, archive)
        root = package.xml(OFD_ROOT, missing=NOT_OFD)
        if _find_all(root, "Encryptions") or package.has("Encryptions.xml"):
            raise LoadError(path, ENCRYPTED_OFD)
        doc_roots = [(e.text or "").strip() for e in _find_all(root, "DocRoot") if (e.text or "").strip()]
        if not doc_roots:
            raise LoadError(path, f"{DAMAGED_OFD}：OFD.xml 中没有 DocRoot（文档入口）")
        title = next((t.text.strip() for t in _find_all(root, "Title") if t.text and t.text.strip()), "")
        page_texts: list[str] = []
        for doc_root in doc_roots:  # a package may hold several documents: read them one after another
            page_texts.extend(_document_pages(package, _resolve("", doc_root)))
    if not any(text.strip() for text in page_texts):
        raise LoadError(path, NO_TEXT_OFD)
    document = paged_document(path, page_texts)
    if title and document.title == path.stem:  # the text gave no title: take the one in DocInfo
        document = replace(document, title=choose_title(path, title))
    return document


class _Package:
    def __init__(self, path: Path, archive: zipfile.ZipFile) -> None:
        self.path = path
        self.archive = archive
        # Names are matched without a leading "/" and case-insensitively: producers differ on both.
        self.names = {name.lstrip("/").lower(): name for name in archive.namelist()}
        self.unpacked = 0

    def has(self, name: str) -> bool:
        return name.lstrip("/").lower() in self.names

    def xml(self, name: str, *, missing: str | None = None) -> ElementTree.Element:
        stored = self.names.get(name.lstrip("/").lower())
        if stored is None:
            raise LoadError(self.path, missing or f"{DAMAGED_OFD}：缺少 {name}")
        try:
            info = self.archive.getinfo(stored)
            self.unpacked += info.file_size
            if self.unpacked > _MAX_UNPACKED_BYTES:
                raise LoadError(self.path, f"{DAMAGED_OFD}：解压后内容过大（超过 200 MB）")
            raw = self.archive.read(stored)
        except LoadError:
            raise
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise LoadError(self.path, f"{DAMAGED_OFD}：{name} 无法解压（文件可能被截断）") from exc
        try:
            return ElementTree.fromstring(raw)
        except ElementTree.ParseError as exc:
            raise LoadError(self.path, f"{DAMAGED_OFD}：{name} 不是有效的 XML（{exc}）") from exc


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find_all(element: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    """Descendants named ``name`` in any namespace (the standard's is http://www.ofdspec.org/2016)."""
    return [e for e in element.iter() if _local(e.tag) == name]


def _resolve(base_dir: str, location: str) -> str:
    """A location as the standard writes it: absolute from the package root, or relative to the file."""
    location = location.strip().replace("\\", "/")
    joined = location.lstrip("/") if location.startswith("/") else posixpath.join(base_dir, location)
    return posixpath.normpath(joined).lstrip("/")


def _document_pages(package: _Package, document_path: str) -> list[str]:
    document = package.xml(document_path)
    base = posixpath.dirname(document_path)
    templates = {
        e.get("ID", ""): _resolve(base, e.get("BaseLoc", ""))
        for e in _find_all(document, "TemplatePage")
        if e.get("BaseLoc")
    }
    pages = [e for e in _find_all(document, "Page") if e.get("BaseLoc")]
    if len(pages) > _MAX_PAGES:
        raise LoadError(package.path, f"OFD 页数过多（{len(pages)} 页，上限 {_MAX_PAGES} 页），请拆分后再导入")
    texts = []
    for page in pages:
        content = package.xml(_resolve(base, page.get("BaseLoc", "")))
        pieces = []
        # Template pages (a letterhead, a footer) are drawn under the page's own content.
        for template in _find_all(content, "Template"):
            location = templates.get(template.get("TemplateID", ""))
            if location and package.has(location):
                pieces += _text_pieces(package.xml(location))
        pieces += _text_pieces(content)
        texts.append(page_text(pieces))
    return texts


def _text_pieces(content: ElementTree.Element) -> list[Piece]:
    pieces = []
    for text_object in _find_all(content, "TextObject"):
        boundary = _numbers(text_object.get("Boundary", ""))
        if len(boundary) < 4:
            continue
        left, top = boundary[0], boundary[1]
        # Some producers write "size"; without either, the box's height is the best guess.
        size = _float(text_object.get("Size") or text_object.get("size"), boundary[3] or _DEFAULT_SIZE)
        for code in _find_all(text_object, "TextCode"):
            text = code.text or ""
            if not text.strip():
                continue
            x = left + _float(code.get("X"), 0.0)
            baseline = top + _float(code.get("Y"), size)
            advances = _advances(code.get("DeltaX", ""))
            width = sum(advances[: len(text) - 1]) + size if advances else size * len(text)
            pieces.append(Piece(x, baseline - size, x + width, baseline + 0.2 * size, text))
    return pieces


def _advances(delta_x: str) -> list[float]:
    """DeltaX with its "g N value" shorthand (N advances of the same value) expanded."""
    tokens = delta_x.split()
    values: list[float] = []
    i = 0
    while i < len(tokens):
        if tokens[i] == "g" and i + 2 < len(tokens):
            values += [_float(tokens[i + 2], 0.0)] * int(_float(tokens[i + 1], 0.0))
            i += 3
        else:
            values.append(_float(tokens[i], 0.0))
            i += 1
    return values


def _numbers(text: str) -> list[float]:
    return [_float(token, 0.0) for token in text.split()]


def _float(text: str | None, default: float) -> float:
    try:
        return float(text) if text is not None else default
    except ValueError:
        return default
