"""OFD files built by the standard's structure (tests/index/ofd_files.py), read by index/loaders/ofd.py."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from index.chunking import chunk_document
from index.loaders import load_document
from index.loaders.ofd import ENCRYPTED_OFD, NO_TEXT_OFD, NOT_OFD
from index.structure import ARTICLE, MEASURE, analyze
from tests.index.documents import load_error, write
from tests.index.ofd_files import SIZE, OfdPage, ofd_bytes

TITLE = "关于巡察反馈问题整改情况的通报"
# The second paragraph wraps over three typeset lines (44 characters a line): they must join again.
MEASURES = (
    "（一）完善财务制度。一是修订机关财务管理制度，规范报账审批程序，明确审批权限和流程，"
    "做到每一笔支出都有据可查。二是清理往来款项挂账，逐笔核对销号，对长期挂账的款项查明原因、限期清理。"
)
RULES = ["第一条　为了规范巡察整改工作，制定本办法。", "第二条　本办法适用于全县各单位。", "第三条　各单位党组织承担整改主体责任。"]




@pytest.mark.parametrize("absolute", [False, True], ids=["relative-locations", "absolute-locations"])
def test_pages_in_reading_order_with_page_numbers(tmp_path: Path, absolute: bool) -> None:
    second = ["二、深化以案促改", "（一）开展警示教育。一是召开警示教育大会。二是组织旁听庭审。"]
    pages = [OfdPage(title=TITLE, paragraphs=["一、强化整改落实", MEASURES]), OfdPage(paragraphs=second)]
    document = load_document(write(tmp_path, "通报.ofd", ofd_bytes(pages, absolute_locations=absolute)))
    assert document.text == "\n".join([TITLE, "一、强化整改落实", MEASURES, *second])
    assert document.title == TITLE
    assert document.page_starts == (0, document.text.index("二、深化"))
    assert document.page_at(document.text.index("二是清理")) == 1
    measures = [(u.label, u.headings) for u in analyze(document).units if u.kind == MEASURE]
    assert measures == [
        ("一是", ("一、强化整改落实", "（一）完善财务制度")), ("二是", ("一、强化整改落实", "（一）完善财务制度")),
        ("一是", ("二、深化以案促改", "（一）开展警示教育")), ("二是", ("二、深化以案促改", "（一）开展警示教育")),
    ]
    chunks = chunk_document(document, doc_id="ofd")
    assert all(c.text == document.text[c.start : c.end] and not c.ocr for c in chunks)
    assert {c.page for c in chunks if "旁听庭审" in c.text} == {2}


def test_regulation_articles(tmp_path: Path) -> None:
    document = load_document(write(tmp_path, "办法.ofd", ofd_bytes([OfdPage(title="巡察整改工作办法", paragraphs=RULES)])))
    assert [u.label for u in analyze(document).units if u.kind == ARTICLE] == ["第一条", "第二条", "第三条"]
    assert document.text == "\n".join(["巡察整改工作办法", *RULES])  # the full-width space after 第X条 is kept


def test_objects_written_out_of_order_are_read_by_position(tmp_path: Path) -> None:
    """Producers write text objects in any order (here the second line first, a later column before
    an earlier one); DeltaX may use the standard's "g" shorthand."""
    codes = [
        (30.0, 60.0, "第二行：整改完成率达到百分之百。", f"g 15 {SIZE}"),
        (30.0, 50.0, "第一行：全面完成整改任务", ""),
        (30.0 + 12 * SIZE + 20, 50.0, "（附件）", ""),  # same baseline, far to the right: a gap
    ]
    document = load_document(write(tmp_path, "乱序.ofd", ofd_bytes([OfdPage(raw_codes=codes)])))
    assert document.text == "第一行：全面完成整改任务 （附件）\n第二行：整改完成率达到百分之百。"


def test_template_page_text_is_read_with_its_page(tmp_path: Path) -> None:
    pages = [OfdPage(title=TITLE, template=True, paragraphs=["一是建立红头模板台账。"]), OfdPage(paragraphs=RULES)]
    document = load_document(write(tmp_path, "红头.ofd", ofd_bytes(pages, template_text="某某县教育局文件")))
    assert document.text.split("\n")[:3] == ["某某县教育局文件", TITLE, "一是建立红头模板台账。"]
    assert "某某县教育局文件" not in document.text[document.page_starts[1] :]  # page 2 does not use it


def test_title_from_docinfo_when_the_text_has_none(tmp_path: Path) -> None:
    page = OfdPage(paragraphs=["各单位要认真落实整改主体责任，按期报送整改进展。"])
    document = load_document(write(tmp_path, "x.ofd", ofd_bytes([page], doc_title="整改进展报送通知")))
    assert document.title == "整改进展报送通知"


def test_truncated_ofd(tmp_path: Path) -> None:
    data = ofd_bytes([OfdPage(paragraphs=RULES)] * 3)
    reason = load_error(write(tmp_path, "截断.ofd", data[: len(data) // 2])).reason
    assert reason.startswith("OFD 文件损坏") and "截断" in reason


def test_zip_of_something_else(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "不是 OFD")
    assert load_error(write(tmp_path, "压缩包.ofd", buffer.getvalue())).reason == NOT_OFD


def test_encrypted_ofd(tmp_path: Path) -> None:
    data = ofd_bytes([OfdPage(paragraphs=RULES)], encrypted=True)
    assert load_error(write(tmp_path, "加密.ofd", data)).reason == ENCRYPTED_OFD


def test_damaged_page_xml(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(ofd_bytes([OfdPage(paragraphs=RULES)]))) as source, \
            zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, data[:40] if item.filename.endswith("Page_0/Content.xml") else data)
    reason = load_error(write(tmp_path, "坏页.ofd", buffer.getvalue())).reason
    assert reason.startswith("OFD 文件损坏：Doc_0/Pages/Page_0/Content.xml 不是有效的 XML")


def test_missing_document_xml(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("OFD.xml", '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody>'
                                    "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
    assert load_error(write(tmp_path, "缺文档.ofd", buffer.getvalue())).reason == "OFD 文件损坏：缺少 Doc_0/Document.xml"


def test_ofd_of_images_only(tmp_path: Path) -> None:
    assert load_error(write(tmp_path, "图片.ofd", ofd_bytes([OfdPage()]))).reason == NO_TEXT_OFD


def test_file_made_by_another_producer() -> None:
    """tests/index/data/easyofd-pdf2ofd.ofd was written by easyofd 20260427 (Apache-2.0, PyPI), converting
    a two-page reportlab PDF of the lines below with ``OFD().pdf2ofd(pdf, optional_text=True)``. It departs
    from the standard as producers do: its own namespace URI, "size" in lower case, DeltaX in "g" form."""
    document = load_document(Path(__file__).parent / "data" / "easyofd-pdf2ofd.ofd")
    assert document.text == (
        "关于巡察反馈问题整改情况的通报\n一、强化整改落实\n"
        # Lines drawn flush left, the longest first: read as one wrapped paragraph (its measures still part).
        "（一）完善财务制度。一是修订机关财务管理制度。二是清理往来款项挂账，逐笔核对销号。\n"
        "第二页：二、深化以案促改"
    )
    assert document.page_at(document.text.index("第二页")) == 2
    assert [u.label for u in analyze(document).units if u.kind == MEASURE] == ["一是", "二是"]
