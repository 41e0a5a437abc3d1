"""Export files: tables (measure check, ledger) as .xlsx or .csv, study packs as .docx/.md/.pdf.

Every table is written from the same ``views.Table`` the screen shows, so an export never says
something the screen does not; the CLI and the web app write their files through the functions here.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.views import Table, check_table, ledger_overview, ledger_table, study_markdown

if TYPE_CHECKING:
    from assistant.ledger import LedgerRow
    from assistant.measures import MeasureResult
    from assistant.study import StudyPack


def write_table(table: Table, path: Path | str) -> Path:
    """``table`` as .xlsx (a formatted sheet) or .csv (UTF-8 with a BOM, so Excel opens it)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    if suffix == ".csv":
        out.write_text(table_csv(table), encoding="utf-8-sig", newline="")
        return out
    if suffix != ".xlsx":
        raise ValueError(f"不支持的导出格式：{out.suffix}（支持 .xlsx .csv）")
    _write_xlsx(table, out)
    return out


def write_workbook(tables: list[Table], path: Path | str) -> Path:
    """Several tables as the sheets of one .xlsx (the ledger: an overview, then one sheet per document)."""
    from openpyxl import Workbook

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    used: set[str] = set()
    for table in tables:
        name = _sheet_name(table.title, used)
        used.add(name)
        _fill_sheet(book.create_sheet(name), table)
    book.save(out)
    return out


def write_check_results(results: Sequence[MeasureResult], path: Path | str) -> Path:
    """The measure check as the screen shows it, plus the similarity and the signals behind each verdict."""
    return write_table(check_table(results, scores=True), path)


def write_ledger(rows: Sequence[LedgerRow], path: Path | str) -> Path:
    """The ledger as a workbook: an overview, then one sheet per source document."""
    by_document: dict[str, list[LedgerRow]] = {}
    for row in rows:
        by_document.setdefault(row.title, []).append(row)
    return write_workbook([ledger_overview(rows), *(ledger_table(group, title) for title, group in by_document.items())],
                          path)


def write_study_pack(pack: StudyPack, folder: Path | str) -> list[Path]:
    """The pack as .docx and .md in ``folder``, and as .pdf when LibreOffice is installed (the .docx
    prints as well without it)."""
    from assistant.uploads import safe_upload_name
    from index.loaders import LoadError

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    name = safe_upload_name(pack.theme) or "专题"
    md_path = out / f"{name}学习资料.md"
    md_path.write_text(study_markdown(pack), encoding="utf-8")
    docx_path = study_docx(pack, out / f"{name}学习资料.docx")
    files = [docx_path, md_path]
    with contextlib.suppress(LoadError):
        files.append(study_pdf(docx_path))
    return files


_SHEET_FORBIDDEN = re.compile(r"[\\/*?:\[\]《》]")


def _sheet_name(title: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of \\ / * ? : [ ], unique in the book."""
    base = _SHEET_FORBIDDEN.sub("", title)[:28] or "表"
    name, n = base, 2
    while name in used:
        name, n = f"{base[:26]}({n})", n + 1
    return name


def table_csv(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.header)
    writer.writerows(table.rows)
    return buffer.getvalue()


def _write_xlsx(table: Table, out: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _sheet_name(table.title, set())
    _fill_sheet(sheet, table)
    book.save(out)


def _fill_sheet(sheet: Any, table: Table) -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, values in enumerate([list(table.header), *table.rows], start=1):
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=c)
            if r > 1 and isinstance(value, int | float):
                cell.value = value
            else:
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", str(value))
                cell.data_type = "s"  # never a formula, even if a measure starts with "="
            cell.alignment = wrap
            cell.border = border
            if r == 1:
                cell.font = Font(name="黑体", bold=True)
                cell.fill = PatternFill("solid", fgColor="D9D9D9")
                cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for c, width in enumerate(table.widths, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.header))}{max(1, len(table.rows) + 1)}"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"


# .docx: the layout of an official study pack (GB/T 9704 page, 方正小标宋 title, 黑体/楷体 headings,
# 仿宋_GB2312 三号 body with fixed 28 pt lines, page number "— 1 —" in the footer).
FONT_TITLE = "方正小标宋简体"
FONT_HEADING_1 = "黑体"
FONT_HEADING_2 = "楷体_GB2312"
FONT_BODY = "仿宋_GB2312"
FONT_LATIN = "Times New Roman"
SIZE_TITLE = 22  # 二号
SIZE_BODY = 16  # 三号
SIZE_SOURCE = 14  # 四号
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def study_docx(pack: StudyPack, path: Path | str) -> Path:
    """The pack as a printable .docx laid out like an official study pack."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Mm, Pt

    from assistant.study import parts

    document = Document()
    document.core_properties.title = pack.title
    document.core_properties.subject = pack.theme
    for page in document.sections:
        page.page_width, page.page_height = Mm(210), Mm(297)
        page.top_margin, page.bottom_margin = Mm(37), Mm(35)
        page.left_margin, page.right_margin = Mm(28), Mm(26)
        page.footer_distance = Mm(28)

    normal = document.styles["Normal"]
    _style_font(normal, FONT_BODY, SIZE_BODY)
    normal_format = normal.paragraph_format
    normal_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal_format.line_spacing = Pt(28)
    normal_format.space_before = normal_format.space_after = Pt(0)
    for name, font in (("Heading 1", FONT_HEADING_1), ("Heading 2", FONT_HEADING_2)):
        style = document.styles[name]
        _style_font(style, font, SIZE_BODY, bold=False)
        fmt = style.paragraph_format
        fmt.space_before, fmt.space_after = Pt(12), Pt(6)
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(28)

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    title.paragraph_format.space_after = Pt(12)
    _run(title, pack.title, FONT_TITLE, SIZE_TITLE)
    when = document.add_paragraph()
    when.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(when, f"（{pack.generated_text}）", FONT_HEADING_2, SIZE_BODY)
    if pack.note:  # 编者按: the editor's paragraph, set apart before the contents
        note = document.add_paragraph()
        note.paragraph_format.space_before = Pt(12)
        _run(note, "编者按：", FONT_HEADING_1, SIZE_BODY)
        _run(note, pack.note, FONT_HEADING_2, SIZE_BODY)

    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.space_before = Pt(12)
    _run(heading, "目　录", FONT_HEADING_1, SIZE_BODY)
    for line in pack.contents:
        entry = document.add_paragraph()
        indent = len(line) - len(line.lstrip("　"))
        entry.paragraph_format.left_indent = Pt(SIZE_BODY * indent)
        _run(entry, line.lstrip("　"), FONT_BODY, SIZE_BODY)

    for number, section in enumerate(pack.sections):
        topic_heading = document.add_heading(section.heading, level=1)
        topic_heading.paragraph_format.page_break_before = number == 0  # the contents page stands alone
        for part, excerpts, empty in parts(section):
            document.add_heading(part, level=2)
            if not excerpts:
                _body(document.add_paragraph(), empty)
                continue
            for n, excerpt in enumerate(excerpts, start=1):
                paragraph = document.add_paragraph()
                _run(paragraph, f"{n}. ", FONT_HEADING_1, SIZE_BODY)
                _body(paragraph, excerpt.text)
                _source(document.add_paragraph(), f"——{excerpt.source}")
                if excerpt.basis:
                    _source(document.add_paragraph(), f"对应法规依据：{'、'.join(excerpt.basis)}")

    _page_number_footer(document)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(out))
    return out


def _east_asian(element: Any, east_asia: str, latin: str = FONT_LATIN) -> None:
    """Set explicit fonts on an rPr owner, dropping the theme fonts that would override them."""
    from docx.oxml.ns import qn

    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)


def _style_font(style: Any, font: str, size: int, *, bold: bool | None = None) -> None:
    from docx.shared import Pt, RGBColor

    style.font.size = Pt(size)
    style.font.color.rgb = RGBColor(0, 0, 0)
    if bold is not None:
        style.font.bold = bold
    _east_asian(style.element, font)


def _run(paragraph: Any, text: str, font: str, size: int) -> Any:
    from docx.shared import Pt

    run = paragraph.add_run(_XML_ILLEGAL.sub("", text))
    run.font.size = Pt(size)
    _east_asian(run._element, font)
    return run


def _body(paragraph: Any, text: str) -> None:
    from docx.shared import Pt

    paragraph.paragraph_format.first_line_indent = Pt(SIZE_BODY * 2)
    _run(paragraph, text, FONT_BODY, SIZE_BODY)


def _source(paragraph: Any, text: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    paragraph.paragraph_format.line_spacing = Pt(22)
    _run(paragraph, text, FONT_HEADING_2, SIZE_SOURCE)


def _page_number_footer(document: Any) -> None:
    """'— n —' centred in every footer, n a PAGE field (fldChar begin / instrText / separate / end)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for section in document.sections:
        paragraph = section.footer.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(paragraph, "— ", "宋体", SIZE_SOURCE)
        for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
            run = _run(paragraph, "", "宋体", SIZE_SOURCE)
            if kind is not None:
                field_char = OxmlElement("w:fldChar")
                field_char.set(qn("w:fldCharType"), kind)
                run._element.append(field_char)
            elif text == " PAGE ":
                instruction = OxmlElement("w:instrText")
                instruction.set(qn("xml:space"), "preserve")
                instruction.text = text
                run._element.append(instruction)
            else:
                run.text = text or ""
        _run(paragraph, " —", "宋体", SIZE_SOURCE)


def study_pdf(docx_path: Path) -> Path:
    """The .docx as a .pdf beside it, through headless LibreOffice (index/loaders/word.py); raises
    LoadError with a Chinese reason when LibreOffice is missing or fails."""
    from index.loaders.word import libreoffice_convert

    return libreoffice_convert(docx_path, "pdf", docx_path.parent)
