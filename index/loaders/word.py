"""Word: .docx through python-docx (paragraphs and tables in order), .doc/.wps through LibreOffice."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import tempfile
import zipfile
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.opc.exceptions import PackageNotFoundError
from docx.styles.style import ParagraphStyle
from docx.table import Table
from docx.text.paragraph import Paragraph

from index.cleaning import CleanedText, TextAssembler
from index.loaders.document import LoadedDocument, LoadError, make_document

NO_LIBREOFFICE = "无法读取 .doc/.wps：本机未安装 LibreOffice（安装后即可自动转换，或另存为 .docx）"
CONVERSION_TIMEOUT_SECONDS = 120
NO_DOCX_BODY = "压缩包中没有 Word 正文（word/document.xml），不是 Word 文档"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc/.wps container
ZIP_MAGIC = b"PK\x03\x04"
_DOCX_MAIN_PART = "word/document.xml"
_DOCX_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)
_DOCX_TITLE_STYLES = {"title", "标题"}
_STYLE_INHERITANCE_DEPTH = 4


def load_docx(path: Path, data: bytes) -> LoadedDocument:
    if data.startswith(OLE_MAGIC):  # a legacy .doc saved with a .docx name
        return load_legacy_word(path, data)
    if data.startswith(ZIP_MAGIC) and not _zip_has(data, _DOCX_MAIN_PART):
        raise LoadError(path, f"docx 文件损坏或格式不正确：{NO_DOCX_BODY}")
    try:
        return make_document(path, _docx_text(docx.Document(io.BytesIO(data))))
    except LoadError:
        raise
    except Exception as exc:  # python-docx/lxml raise many exception types on malformed input
        raise LoadError(path, f"docx 文件损坏或格式不正确：{_describe_docx_error(exc)}") from exc


def _zip_has(data: bytes, name: str) -> bool:
    """Whether a zip archive lists ``name``; False for a damaged archive (its reader says why)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return name in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return True  # let python-docx report the damage


def _describe_docx_error(exc: Exception) -> str:
    if isinstance(exc, zipfile.BadZipFile | PackageNotFoundError):
        return "不是完整的 docx 压缩包（文件可能被截断或并非 Word 文档）"
    if isinstance(exc, KeyError):
        return f"缺少必需的文档部件 {exc}"
    return f"{type(exc).__name__}: {exc}"


def _docx_text(document: DocxDocument) -> CleanedText:
    assembler = TextAssembler()
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            _add_docx_paragraph(assembler, block)
        else:
            _add_docx_table(assembler, block)
    return assembler.build()


def _add_docx_paragraph(assembler: TextAssembler, paragraph: Paragraph) -> None:
    level = _docx_heading_level(paragraph.style)
    if level is not None:
        assembler.add_line(" ".join(paragraph.text.split("\n")), level)
        return
    for line in paragraph.text.split("\n"):
        assembler.add_line(line)


def _docx_heading_level(style: ParagraphStyle | None) -> int | None:
    """Heading level from the style or the style it is based on ("Heading 2", "标题 2", "Title")."""
    for _ in range(_STYLE_INHERITANCE_DEPTH):
        if style is None:
            return None
        name = (style.name or "").strip()
        match = _DOCX_HEADING_STYLE.match(name)
        if match:
            return max(1, int(match.group(1)))
        if name.lower() in _DOCX_TITLE_STYLES:
            return 1
        style = style.base_style
    return None


def _add_docx_table(assembler: TextAssembler, table: Table) -> None:
    assembler.add_blank()
    for row in table.rows:
        cells: list[str] = []
        seen: list[object] = []
        for cell in row.cells:
            # A merged cell is returned once per grid column it spans; keep it once.
            if any(cell._tc is other for other in seen):
                continue
            seen.append(cell._tc)
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            assembler.add_line(" | ".join(cells))
    assembler.add_blank()




def load_legacy_word(path: Path, data: bytes) -> LoadedDocument:
    if data.startswith(ZIP_MAGIC):  # a .docx saved with a .doc/.wps name
        return load_docx(path, data)
    with tempfile.TemporaryDirectory(prefix="zgt-convert-") as tmp:
        # A plain ASCII copy: avoids quoting trouble with odd file names and works for a .doc named .docx.
        source = Path(tmp) / "source.doc"
        source.write_bytes(data)
        converted = libreoffice_convert(source, "docx", Path(tmp) / "out", shown=path)
        return load_docx(path, converted.read_bytes())


def libreoffice_convert(source: Path, target: str, outdir: Path, *, shown: Path | None = None) -> Path:
    """``source`` converted by headless LibreOffice to ``target`` ("docx", "pdf") in ``outdir``.
    Raises LoadError naming ``shown`` (the user's file) when LibreOffice is missing or fails."""
    shown = shown or source
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        raise LoadError(shown, NO_LIBREOFFICE)
    with tempfile.TemporaryDirectory(prefix="zgt-office-") as profile:
        command = [
            office,
            # Own profile: with the user's LibreOffice already open, or two conversions at once, a
            # shared profile makes headless conversion silently do nothing.
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            str(source),
        ]
        error_output = _run_conversion(shown, command)
    converted = outdir / f"{source.stem}.{target}"
    if not converted.is_file():
        detail = error_output.strip()[-300:] or f"未生成 {target} 文件"
        raise LoadError(shown, f"LibreOffice 转换失败：{detail}")
    return converted


def _run_conversion(path: Path, command: list[str]) -> str:
    """Run the converter with a timeout; returns its stderr. Kills the whole process group on timeout,
    because soffice is a launcher that leaves soffice.bin running if only the launcher is killed."""
    try:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise LoadError(path, f"无法启动 LibreOffice：{exc}") from exc
    try:
        _, stderr = process.communicate(timeout=CONVERSION_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired as exc:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise LoadError(path, f"LibreOffice 转换超时（超过 {CONVERSION_TIMEOUT_SECONDS} 秒）") from exc
    return stderr.decode("utf-8", errors="replace")


