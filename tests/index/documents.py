"""Test documents built here: in-memory loaded documents, small numbered reports, real PDF and docx files."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from index.loaders import HeadingHint, LoadedDocument, LoadError, load_document

PDF_FONT = "STSong-Light"  # a CID font every PDF reader knows: no font file needed


# ---------------------------------------------------------------------------------------------
# Files on disk and what loading them refuses
# ---------------------------------------------------------------------------------------------
def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def load_error(path: Path) -> LoadError:
    """The error loading ``path`` raises; it always names the file first."""
    with pytest.raises(LoadError) as info:
        load_document(path)
    assert str(info.value).startswith(f"{path.name}: ")
    return info.value


# ---------------------------------------------------------------------------------------------
# Loaded documents, as a loader would return them
# ---------------------------------------------------------------------------------------------
def loaded_text(
    text: str, *, name: str = "t.txt", title: str = "标题", page_starts: tuple[int, ...] = (),
    headings: tuple[HeadingHint, ...] = (),
) -> LoadedDocument:
    """``text`` as a loader would return it for a file called ``name``."""
    return LoadedDocument(path=Path("/x") / name, text=text, title=title, page_starts=page_starts,
                          headings=headings)


def loaded_markdown_lines(lines: list[str], *, name: str = "t.md", title: str = "t") -> LoadedDocument:
    """Doc from lines; '# '…'###### ' and '**…**' lines become heading hints with the markup removed."""
    out: list[str] = []
    hints: list[HeadingHint] = []
    offset = 0
    for line in lines:
        level: int | None = None
        if line.startswith("#"):
            marks, _, line = line.partition(" ")
            level = len(marks)
        elif line.startswith("**") and line.endswith("**"):
            line, level = line[2:-2], 0
        if level is not None:
            hints.append(HeadingHint(offset, offset + len(line), level))
        out.append(line)
        offset += len(line) + 1
    return loaded_text("\n".join(out), name=name, title=title, headings=tuple(hints))


# ---------------------------------------------------------------------------------------------
# Numbered reports: a folder of small rectification reports for index runs
# ---------------------------------------------------------------------------------------------
def numbered_report(i: int, revised: bool = False) -> str:
    """Six chunks; the revised version has five (a stale sixth chunk would be an orphan)."""
    audit = "" if revised else f"三是每季度开展一次第{i}号内部审计。"
    return (
        f"第{i}号整改报告{'（修订）' if revised else ''}\n"
        f"一、加强财务管理\n（一）制度建设。一是修订第{i}号机关财务管理制度，规范报账审批程序。"
        f"二是清理第{i}号往来款项挂账。{audit}\n"
        f"二、加强保密管理\n（一）保密教育。一是组织第{i}批干部职工签订保密承诺书。二是开展第{i}轮保密自查。\n"
    )


def write_numbered_reports(folder: Path, count: int = 6) -> Path:
    """报告00.txt … in ``folder`` (created), each ``numbered_report(i)``."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"报告{i:02d}.txt").write_text(numbered_report(i), encoding="utf-8")
    return folder


# ---------------------------------------------------------------------------------------------
# Real PDF and docx files
# ---------------------------------------------------------------------------------------------
def pdf_bytes(pages: list[list[str]], encrypt: str | None = None) -> bytes:
    """A PDF with a real Chinese text layer: one line of text a list item, one page a list."""
    pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, encrypt=encrypt)
    for lines in pages:
        pdf.setFont(PDF_FONT, 12)
        y = 780.0
        for line in lines:
            pdf.drawString(60, y, line)
            y -= 20
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def write_pdf(path: Path, pages: list[list[str]], encrypt: str | None = None) -> Path:
    path.write_bytes(pdf_bytes(pages, encrypt=encrypt))
    return path


def write_scanned_pdf(path: Path) -> Path:
    """Pages with only shapes (what a scan without OCR looks like to a text extractor)."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.rect(50, 50, 300, 400, fill=1)
    pdf.showPage()
    pdf.rect(80, 80, 100, 100, fill=0)
    pdf.showPage()
    pdf.save()
    return path


def docx_bytes(paragraphs: list[str]) -> bytes:
    """A Word document of plain paragraphs."""
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
