"""Uploads: accepted by content (not by name), size-limited, stored under safe names, never overwriting."""

from __future__ import annotations

import io
import re
import threading
import zipfile
from pathlib import Path

import docx
import pytest
from reportlab.pdfgen import canvas

from assistant.uploads import UploadRejected, safe_upload_name, store_upload
from index.loaders import load_document
from index.loaders.content_type import detect_content
from tests.index.ofd_files import OfdPage, ofd_bytes
from tests.index.scans import blank_page, image_bytes
from tests.index.spreadsheets import encrypted_xlsx_bytes, xlsx_bytes

MB = 1024 * 1024
REPORT = "一、加强档案管理\n（一）完善制度。一是建立档案数字化台账。二是每季度开展一次档案安全检查。\n"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


def pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(60, 780, "Rectification report 2024")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def docx_bytes() -> bytes:
    document = docx.Document()
    for line in REPORT.splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_bytes(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


def source(tmp_path: Path, name: str, data: bytes) -> Path:
    folder = tmp_path / "incoming"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def rejected(tmp_path: Path, name: str, data: bytes, max_bytes: int = MB) -> UploadRejected:
    with pytest.raises(UploadRejected) as info:
        store_upload(source(tmp_path, "upload.bin", data), tmp_path / "uploads", max_bytes, name=name)
    error = info.value
    assert re.search(r"[\u4e00-\u9fff]", error.reason), "reasons are for the user, in Chinese"
    assert str(error).startswith(f"{name}：")
    assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").iterdir()), "nothing stored"
    return error


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("整改方案.pdf", pdf_bytes()),
        ("整改方案.docx", docx_bytes()),
        ("旧版方案.doc", OLE),
        ("旧版方案.wps", OLE),
        ("其实是docx.doc", docx_bytes()),
        ("UTF-8.txt", REPORT.encode()),
        ("GBK.txt", REPORT.encode("gbk")),
        ("UTF-16.txt", b"\xff\xfe" + REPORT.encode("utf-16-le")),
        ("笔记.md", ("# 标题\n\n" + REPORT).encode()),
        ("网页.html", f"<html><body><p>{REPORT}</p></body></html>".encode("gb18030")),
        ("网页.HTM", b"<p>hello</p>"),
        ("版式文件.ofd", ofd_bytes([OfdPage(paragraphs=REPORT.splitlines())])),
        ("台账.xlsx", xlsx_bytes([["序号", "整改措施"], [1, "建立档案数字化台账"]])),
        ("加密台账.xlsx", encrypted_xlsx_bytes()),  # accepted: the loader says why it cannot read it
        ("台账.csv", "序号,整改措施\n1,建立档案数字化台账\n".encode("gbk")),
        ("扫描件.png", image_bytes(blank_page(dpi=20))),
        ("扫描件.JPG", image_bytes(blank_page(dpi=20), "JPEG")),
        ("扫描件.jpeg", image_bytes(blank_page(dpi=20), "JPEG")),
        ("扫描件.tif", image_bytes(blank_page(dpi=20), "TIFF")),
        ("扫描件.tiff", image_bytes(blank_page(dpi=20), "TIFF")),
    ],
)
def test_accepted_by_content(tmp_path: Path, name: str, data: bytes) -> None:
    stored = store_upload(source(tmp_path, name, data), tmp_path / "uploads", MB)
    assert stored.parent == (tmp_path / "uploads").resolve()
    assert stored.name == safe_upload_name(name)
    assert stored.read_bytes() == data


def test_stored_files_load(tmp_path: Path) -> None:
    for name, data in [
        ("方案.docx", docx_bytes()),
        ("方案.txt", REPORT.encode("gb18030")),
        ("方案.ofd", ofd_bytes([OfdPage(paragraphs=REPORT.splitlines())])),
        ("台账.xlsx", xlsx_bytes([["序号", "整改措施"], [1, "建立档案数字化台账"]])),
        ("台账.csv", "序号,整改措施\n1,建立档案数字化台账\n".encode("gbk")),
    ]:
        stored = store_upload(source(tmp_path, name, data), tmp_path / "uploads", MB)
        assert "档案数字化台账" in load_document(stored).text


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("程序.exe", b"MZ\x90\x00", "不支持的文件类型 .exe"),
        ("演示.pptx", zip_bytes("ppt/presentation.xml"), "不支持的文件类型 .pptx"),
        ("没有扩展名", REPORT.encode(), "不支持的文件类型 （无扩展名）"),
        ("空.txt", b"", "文件为空"),
        ("PDF改名.txt", pdf_bytes(), "内容是PDF 文件"),
        ("图片改名.pdf", b"\x89PNG\r\n\x1a\n" + bytes(100), "内容是图片"),
        ("文本改名.pdf", REPORT.encode(), "内容是纯文本"),
        ("文本改名.docx", REPORT.encode(), "内容是纯文本"),
        ("压缩包改名.docx", zip_bytes("a.txt"), "不是 Word 文档"),
        ("表格改名.docx", zip_bytes("xl/workbook.xml"), "内容是Excel 表格"),
        ("程序改名.doc", b"\x7fELF\x02\x01\x01" + bytes(64), "内容是可执行程序"),
        ("PDF改名.doc", pdf_bytes(), "内容是PDF 文件"),
        ("二进制.txt", bytes(range(256)) * 4, "不是文本文件"),
        ("二进制.md", b"\x00\x01\x02\x03" * 100, "不是文本文件"),
        ("二进制.csv", bytes(range(256)) * 4, "不是文本文件"),
        ("压缩包改名.ofd", zip_bytes("a.txt"), "不是 OFD 文件"),
        ("截断的.ofd", ofd_bytes([OfdPage(paragraphs=["截断"] * 50)])[:200], "不是 OFD 文件"),
        ("Word改名.ofd", docx_bytes(), "内容是Word 文档"),
        ("Word改名.xlsx", docx_bytes(), "内容是Word 文档"),
        ("OFD改名.xlsx", ofd_bytes([OfdPage(paragraphs=["台账"])]), "内容是OFD 版式文件"),
        ("文本改名.csv.png", REPORT.encode(), "内容是纯文本"),
        ("PDF改名.jpg", pdf_bytes(), "内容是PDF 文件"),
        ("程序改名.tif", b"MZ\x90\x00" + bytes(64), "内容是可执行程序"),
    ],
)
def test_rejected_with_a_reason(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    assert reason in rejected(tmp_path, name, data).reason


def test_size_limit_both_sides(tmp_path: Path) -> None:
    limit = 2048
    exactly = (REPORT.encode() * 40)[:limit - 1] + b"\n"
    assert len(exactly) == limit
    stored = store_upload(source(tmp_path, "刚好.txt", exactly), tmp_path / "uploads", limit)
    assert stored.stat().st_size == limit
    (tmp_path / "uploads" / "刚好.txt").unlink()
    error = rejected(tmp_path, "超出.txt", exactly + b"x", max_bytes=limit)
    assert error.reason.startswith("文件过大（超过 ")


def test_missing_source(tmp_path: Path) -> None:
    with pytest.raises(UploadRejected, match="文件不存在"):
        store_upload(tmp_path / "nope.txt", tmp_path / "uploads", MB)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\整改 方案（定稿）.DOCX", "整改 方案（定稿）.docx"),
        ("/abs/path/报告.md", "报告.md"),
        (".hidden.txt", "hidden.txt"),
        ("...txt.txt", "txt.txt"),
        ("整改 方案 📄 2024（定稿）.txt", "整改 方案 📄 2024（定稿）.txt"),
        ("a:b*c?d\"e<f>g|h.txt", "a_b_c_d_e_f_g_h.txt"),
        ("right\u202eto\u200bleft.txt", "righttoleft.txt"),
        (" 报告.PDF. ", "报告.pdf"),
        ("..", "文件"),
    ],
)
def test_safe_names(given: str, stored: str) -> None:
    assert safe_upload_name(given) == stored


def test_long_names_fit_the_file_system(tmp_path: Path) -> None:
    name = safe_upload_name("长" * 300 + ".txt")
    assert len(name) <= 84 and len(name.encode()) <= 255 - len(" (999)")
    assert store_upload(source(tmp_path, "x.txt", REPORT.encode()), tmp_path / "uploads", MB, name="长" * 300 + ".txt")


def test_path_escape_stays_inside(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    stored = store_upload(source(tmp_path, "a.txt", REPORT.encode()), uploads, MB, name="../../../escape.txt")
    assert stored == uploads.resolve() / "escape.txt"
    assert not (tmp_path / "escape.txt").exists()


def test_same_name_never_overwrites(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    first = store_upload(source(tmp_path, "方案.txt", REPORT.encode()), uploads, MB)
    second = store_upload(source(tmp_path, "方案.txt", (REPORT + "三是新增。").encode()), uploads, MB)
    third = store_upload(source(tmp_path, "方案.txt", (REPORT + "四是再增。").encode()), uploads, MB)
    assert [p.name for p in (first, second, third)] == ["方案.txt", "方案 (2).txt", "方案 (3).txt"]
    assert first.read_bytes() == REPORT.encode()
    # The very same file again: the stored copy, not a fourth file.
    again = store_upload(source(tmp_path, "方案.txt", (REPORT + "三是新增。").encode()), uploads, MB)
    assert again == second
    assert len(list(uploads.iterdir())) == 3


def test_concurrent_uploads_of_one_name_keep_every_file(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    sources = [source(tmp_path, f"s{i}.txt", f"{REPORT}第{i}份。".encode()) for i in range(12)]
    stored: list[Path] = []
    errors: list[BaseException] = []

    def upload(src: Path) -> None:
        try:
            stored.append(store_upload(src, uploads, MB, name="同名.txt"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(s,)) for s in sources]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(stored)) == 12
    assert {p.read_bytes() for p in stored} == {s.read_bytes() for s in sources}


def test_content_is_detected_from_the_bytes_not_the_name() -> None:
    assert detect_content(b"junk before header %PDF-1.7") == "pdf"
    assert detect_content(docx_bytes()) == "docx"
    assert detect_content(OLE) == "ole"
    assert detect_content(zip_bytes("ppt/presentation.xml")) == "pptx"
    assert detect_content(ofd_bytes([OfdPage(paragraphs=["通报"])])) == "ofd"
    assert detect_content(zip_bytes("ofd.xml")) == "ofd"  # producers differ on the case of names
    assert detect_content(b"PK\x03\x04 truncated") == "zip"
    assert detect_content("整改".encode("gbk")) == "text"
    assert detect_content(b"\xff\xd8\xff\xe0") == "image"
