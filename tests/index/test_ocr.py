"""Scans through the real OCR engine: page images and image-only PDFs rendered here with Noto Sans CJK.

Pages are small (A5, 150 dpi, a few paragraphs): each takes one to three seconds on 2 cores.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import index.loaders.ocr as ocr
from index.chunking import chunk_document
from index.loaders import LoadedDocument, LoadError, load_document
from index.loaders.image import NO_TEXT_IN_IMAGE
from index.loaders.layout import Piece, page_text
from index.loaders.pdf import SCANNED_PDF
from index.structure import MEASURE, analyze
from tests.index.documents import pdf_bytes
from tests.index.scans import (
    blank_page,
    image_bytes,
    image_pdf_bytes,
    render_page,
    stamp_seal,
    turned,
)

TITLE = "关于巡察反馈问题整改情况的通报"
REPORT = [
    "一、强化整改落实",
    "（一）完善财务制度。一是修订机关财务管理制度，规范报账审批程序。二是清理往来款项挂账，逐笔核对销号。",
    "（二）加强保密管理。一是组织干部职工签订保密承诺书。二是开展保密自查。",
]
EXPECTED = "\n".join([TITLE, *REPORT])
RULES = ["第一条　为了规范巡察整改工作，制定本办法。", "第二条　本办法适用于全县各单位。", "第三条　各单位党组织承担整改主体责任。"]
# The recogniser reads the full-width space after 第X条 as nothing (it does not output spaces within a line).
RULES_READ = [rule.replace("\u3000", "") for rule in RULES]


def load(tmp_path: Path, name: str, data: bytes) -> LoadedDocument:
    path = tmp_path / name
    path.write_bytes(data)
    return load_document(path)


def measures(document: LoadedDocument) -> list[tuple[str, str]]:
    """(label, innermost heading) of each measure unit: what structure parsing made of the text."""
    return [(u.label, u.headings[-1]) for u in analyze(document).units if u.kind == MEASURE]


EXPECTED_MEASURES = [("一是", "（一）完善财务制度"), ("二是", "（一）完善财务制度"),
                     ("一是", "（二）加强保密管理"), ("二是", "（二）加强保密管理")]


@pytest.fixture(scope="module")
def page() -> bytes:
    return image_bytes(render_page(REPORT, title=TITLE))


def test_image_is_read_into_paragraphs_that_structure_parsing_understands(tmp_path: Path, page: bytes) -> None:
    document = load(tmp_path, "通报扫描件.png", page)
    assert document.text == EXPECTED
    assert document.title == TITLE
    assert document.page_starts == (0,) and document.ocr_pages == frozenset({1})
    assert measures(document) == EXPECTED_MEASURES
    chunks = chunk_document(document, doc_id="scan")
    assert chunks and all(c.ocr and c.page == 1 for c in chunks)
    assert all(c.text == document.text[c.start : c.end] for c in chunks)


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_a_page_scanned_on_its_side_or_upside_down_is_turned_upright(tmp_path: Path, degrees: int) -> None:
    rotated = turned(render_page(REPORT, title=TITLE), degrees)
    document = load(tmp_path, f"旋转{degrees}.jpg", image_bytes(rotated, "JPEG"))
    assert document.text == EXPECTED


def test_a_red_seal_over_the_text_neither_scrambles_it_nor_adds_its_own_words(tmp_path: Path) -> None:
    clean = render_page(REPORT, title=TITLE)
    # Over the end of the first measure's lines, as a seal sits over a signature and date.
    stamped = stamp_seal(clean, centre=(480, 330), radius=120, text="某某县教育局党组")
    document = load(tmp_path, "盖章.png", image_bytes(stamped))
    assert document.text == EXPECTED
    assert not any(word in document.text for word in ("某某县", "教育局党组"))


def test_two_columns_are_read_left_column_first(tmp_path: Path) -> None:
    left = REPORT[:2]
    right = ["二、深化以案促改", "（一）开展警示教育。一是召开警示教育大会，通报典型案例。二是组织旁听庭审。"]
    two_columns = render_page(left, right_column=right, title="两栏排版的通报", font_pt=10)
    document = load(tmp_path, "两栏.png", image_bytes(two_columns))
    assert document.text == "\n".join(["两栏排版的通报", *left, *right])
    assert [u.headings[0] for u in analyze(document).units if u.kind == MEASURE] == ["一、强化整改落实"] * 2 + [
        "二、深化以案促改"
    ] * 2


def test_multi_page_tiff_is_one_page_per_frame(tmp_path: Path) -> None:
    first, second = render_page(REPORT[:2], title=TITLE), render_page(RULES)
    buffer_path = tmp_path / "两页.tif"
    first.save(buffer_path, format="TIFF", save_all=True, append_images=[second])
    document = load_document(buffer_path)
    assert document.text == "\n".join([TITLE, *REPORT[:2], *RULES_READ])
    assert document.page_at(document.text.index("第二条")) == 2
    assert document.ocr_pages == frozenset({1, 2})


def test_transparent_png_is_read_on_white(tmp_path: Path) -> None:
    """A page cut out of its background: transparent paper with black ink."""
    from PIL import Image

    page = render_page(RULES[:1], size_mm=(148, 40)).convert("L")
    ink = Image.new("RGBA", page.size, (0, 0, 0, 0))
    ink.putalpha(page.point(lambda value: 255 - value))
    assert load(tmp_path, "透明.png", image_bytes(ink)).text == RULES_READ[0]


def test_blank_image_fails_with_its_reason(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as info:
        load(tmp_path, "空白页.png", image_bytes(blank_page()))
    assert info.value.reason == NO_TEXT_IN_IMAGE
    assert info.value.reason.startswith("图片中没有识别到文字")


def test_broken_image_fails_with_its_reason(tmp_path: Path, page: bytes) -> None:
    with pytest.raises(LoadError) as info:
        load(tmp_path, "截断.png", page[: len(page) // 3])
    assert info.value.reason.startswith("图片文件损坏")


# ---------------------------------------------------------------- PDFs


def test_scanned_pdf_pages_are_recognised_and_numbered(tmp_path: Path) -> None:
    pages = [render_page(REPORT, title=TITLE), blank_page(), render_page(RULES)]
    done: list[tuple[int, int]] = []
    path = tmp_path / "扫描件.pdf"
    path.write_bytes(image_pdf_bytes(pages))
    document = load_document(path, progress=lambda page, total: done.append((page, total)))
    assert done == [(1, 3), (2, 3), (3, 3)]
    assert document.text == "\n".join([EXPECTED, "", *RULES_READ])  # the blank page stays a page, empty
    assert document.page_at(document.text.index("第一条")) == 3
    assert document.ocr_pages == frozenset({1, 3})  # the blank page gave no text


def test_mixed_pdf_keeps_its_text_layer_and_recognises_only_the_scanned_page(tmp_path: Path) -> None:
    import io

    from pypdf import PdfReader, PdfWriter

    text_layer = ["整改报告", "一是建立文字层台账，按月更新台账内容。"]
    writer = PdfWriter()
    for data in (pdf_bytes([text_layer]), image_pdf_bytes([render_page(RULES)])):
        writer.add_page(PdfReader(io.BytesIO(data)).pages[0])
    path = tmp_path / "混合.pdf"
    with path.open("wb") as out:
        writer.write(out)
    done: list[tuple[int, int]] = []
    document = load_document(path, progress=lambda page, total: done.append((page, total)))
    assert done == [(1, 1)]  # one page went through OCR
    assert document.text == "\n".join([*text_layer, *RULES_READ])
    assert document.ocr_pages == frozenset({2})
    chunks = chunk_document(document, doc_id="mixed")
    from_text_layer = [c for c in chunks if "文字层台账" in c.text]
    from_scan = [c for c in chunks if "第二条" in c.text]
    assert from_text_layer and not any(c.ocr for c in from_text_layer)
    assert from_scan and all(c.ocr and c.page == 2 for c in from_scan)
    assert [u.label for u in analyze(document).units if u.label.startswith("第")] == ["第一条", "第二条", "第三条"]


def test_scanned_pdf_without_any_text_fails_with_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "空白扫描件.pdf"
    path.write_bytes(image_pdf_bytes([blank_page(dpi=50), blank_page(dpi=50)]))
    with pytest.raises(LoadError) as info:
        load_document(path)
    assert info.value.reason == SCANNED_PDF


def test_page_limit_is_checked_before_any_page_is_recognised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "MAX_OCR_PAGES", 2)
    done: list[tuple[int, int]] = []
    path = tmp_path / "三页扫描件.pdf"
    path.write_bytes(image_pdf_bytes([blank_page(dpi=50)] * 3))
    with pytest.raises(LoadError) as info:
        load_document(path, progress=lambda page, total: done.append((page, total)))
    assert info.value.reason.startswith("扫描页过多：3 页需要文字识别，超过 2 页的上限（每页约 ")
    assert done == []
    at_limit = tmp_path / "两页扫描件.pdf"
    at_limit.write_bytes(image_pdf_bytes([render_page(RULES[:1], size_mm=(148, 40)), blank_page(dpi=50)]))
    assert load_document(at_limit).text.startswith("第一条")


# ---------------------------------------------------------------- engine and layout


def test_importing_the_loaders_does_not_load_the_ocr_engine() -> None:
    code = (
        "import sys, index.loaders, index.pipeline\n"
        "loaded = [m for m in ('rapidocr_onnxruntime', 'cv2', 'pypdfium2') if m in sys.modules]\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == ""


def test_layout_joins_wrapped_lines_but_not_indented_or_numbered_ones() -> None:
    h = 10.0

    def line(x0: float, y: float, x1: float, text: str) -> Piece:
        return Piece(x0, y, x1, y + h, text)

    pieces = [
        line(120, 0, 180, "通　报"),  # centred title, past the right margin of nothing
        line(20, 20, 200, "（一）完善制度。一是修订"),  # indented first line, full
        line(0, 35, 200, "财务制度。二是清理挂账"),  # continues
        line(0, 50, 90, "逐笔销号。"),  # continues, short: paragraph ends
        line(0, 65, 200, "第二条　本办法适用于全县"),  # a numbered line never continues the previous
        line(0, 80, 60, "各单位。"),
        line(140, 95, 200, "二〇二四年三月"),  # right-aligned date: its own paragraph
    ]
    assert page_text(pieces).split("\n") == [
        "通　报",
        "（一）完善制度。一是修订财务制度。二是清理挂账逐笔销号。",
        "第二条　本办法适用于全县各单位。",
        "二〇二四年三月",
    ]


def test_layout_keeps_words_apart_and_far_pieces_spaced() -> None:
    pieces = [Piece(0, 0, 200, 10, "Rectification report of"), Piece(0, 15, 80, 25, "2024"),
              Piece(100, 15, 150, 25, "财务科")]
    assert page_text(pieces) == "Rectification report of 2024 财务科"
