"""load_document on real files in real formats, generated here, plus the shared corpus."""

from __future__ import annotations

import codecs
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from pypdf import PageObject, PdfReader, PdfWriter

import index.loaders.word as word
from index.loaders import LoadedDocument, load_document
from index.loaders.document import EMPTY_FILE, NOT_TEXT
from index.loaders.pdf import SCANNED_PDF, UNDECODABLE_PDF
from index.loaders.word import NO_LIBREOFFICE
from tests.index.documents import load_error, write, write_pdf, write_scanned_pdf

CHINESE = (
    "教育局党组关于巡察反馈问题整改情况的通报\n"
    "根据州委统一部署，*年*月*日至*月*日，州委第一巡察组对州教育局党组开展了常规巡察。\n"
    "（一）针对财务管理方面问题。修订完善《机关财务管理制度》，整改措施*条已全部落实。\n"
)
SHARED = Path(__file__).resolve().parents[3] / "shared"
CORPUS_DIRS = [SHARED / "corpus" / "reports", SHARED / "corpus" / "regulations"]
EVAL_FILES = [SHARED / "eval" / "dev_questions.jsonl", SHARED / "eval" / "dev_measures.jsonl"]




# ---------------------------------------------------------------- text encodings


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("gbk", b""),
        ("gb18030", b""),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-16-le", b""),  # BOM-less: found by the NUL high bytes of ASCII newlines
    ],
)
def test_txt_round_trip_in_each_encoding(tmp_path: Path, encoding: str, bom: bytes) -> None:
    path = write(tmp_path, "通报.txt", bom + CHINESE.replace("\n", "\r\n").encode(encoding))
    document = load_document(path)
    assert document.text == CHINESE.rstrip("\n")
    assert document.title == "教育局党组关于巡察反馈问题整改情况的通报"
    assert document.page_starts == ()
    assert document.page_at(10) is None


def test_gb18030_only_characters_survive(tmp_path: Path) -> None:
    text = "生僻字𠀀与欧元符号€同在一行，整改措施*条。"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    path = write(tmp_path, "生僻字.txt", text.encode("gb18030"))
    assert load_document(path).text == text


def test_txt_gets_no_markdown_cleaning(tmp_path: Path) -> None:
    raw = "# 不是标题\n**整改措施*条**\n[链接](http://a)\n<!--more-->\n"
    path = write(tmp_path, "纯文本.txt", raw.encode("utf-8"))
    assert load_document(path).text == raw.rstrip("\n")


def test_txt_normalizes_line_endings_zero_width_and_blank_runs(tmp_path: Path) -> None:
    raw = "\u200b\r\n\r\n政府工作报告\r\r\r\r——2024年3月5日  \r\n\u200b\r\n\r\n各位代表：\u200b现在"
    path = write(tmp_path, "2024年国务院政府工作报告.txt", raw.encode("utf-8"))
    document = load_document(path)
    assert document.text == "政府工作报告\n\n——2024年3月5日\n\n各位代表：现在"
    # "政府工作报告" is in the file name, which says more: several reports would share the title.
    assert document.title == "2024年国务院政府工作报告"


def test_markdown_is_cleaned_and_titled(tmp_path: Path) -> None:
    raw = (
        "---\ntitle: 南开大学->整改通报 | nankai.info\ndate: 2022-04-18\n---\n"
        "# 中共南开大学委员会关于巡视整改进展情况的通报\n\n"
        "**一、深入学习贯彻重要论述**\n\n"
        "作为党内监督\n<!--more-->\n的战略性制度安排，*月*日召开会议。\n"
    )
    path = write(tmp_path, "通报.md", raw.encode("utf-8-sig"))
    document = load_document(path)
    assert document.text == (
        "中共南开大学委员会关于巡视整改进展情况的通报\n\n"
        "一、深入学习贯彻重要论述\n\n"
        "作为党内监督的战略性制度安排，*月*日召开会议。"
    )
    assert document.title == "中共南开大学委员会关于巡视整改进展情况的通报"
    assert [(document.text[h.start : h.end], h.level) for h in document.headings] == [
        ("中共南开大学委员会关于巡视整改进展情况的通报", 1),
        ("一、深入学习贯彻重要论述", 0),
    ]


@pytest.mark.parametrize("content", [b"", b"  \r\n\t\n", codecs.BOM_UTF16_LE + " \n".encode("utf-16-le")])
def test_empty_or_whitespace_only_file(tmp_path: Path, content: bytes) -> None:
    assert load_error(write(tmp_path, "空.txt", content)).reason == EMPTY_FILE


def test_zero_width_only_markdown_is_empty(tmp_path: Path) -> None:
    assert load_error(write(tmp_path, "空.md", "\u200b\n\n\ufeff\n".encode())).reason == EMPTY_FILE


def test_markdown_with_only_front_matter_is_empty(tmp_path: Path) -> None:
    path = write(tmp_path, "空.md", b"---\ntitle: x\n---\n")
    assert load_error(path).reason == EMPTY_FILE


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
        bytes(x for x in random.Random(0).randbytes(4096) if x),  # no NUL bytes at all
        b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + b"\x02\x00\x3e\x00",
    ],
)
def test_binary_junk_named_txt_is_rejected(tmp_path: Path, content: bytes) -> None:
    assert load_error(write(tmp_path, "垃圾.txt", content)).reason == NOT_TEXT


# ---------------------------------------------------------------- docx


def make_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("教育局巡察整改报告", level=0)
    document.add_paragraph("根据州委统一部署，州委第一巡察组开展了常规巡察。")
    document.add_heading("一、整改措施落实情况", level=1)
    document.add_paragraph("修订完善《机关财务管理制度》，整改措施*条已全部落实。")
    table = document.add_table(rows=3, cols=3)
    for i, text in enumerate(["问题", "整改措施", "完成时限"]):
        table.cell(0, i).text = text
    for i, text in enumerate(["往来款挂账", "开展内部审计", "2023年6月"]):
        table.cell(1, i).text = text
    merged = table.cell(2, 0).merge(table.cell(2, 1))
    merged.text = "合并单元格说明"
    table.cell(2, 2).text = "长期坚持"
    document.add_paragraph("表格之后的段落。")
    chinese_heading = document.styles.add_style("标题 2", WD_STYLE_TYPE.PARAGRAPH)
    document.add_paragraph("（一）组织领导", style=chinese_heading)
    derived = document.styles.add_style("报告小节", WD_STYLE_TYPE.PARAGRAPH)
    derived.base_style = document.styles["Heading 3"]
    document.add_paragraph("1.压实责任", style=derived)
    document.add_paragraph("党组书记履行第一责任人职责。")
    document.save(str(path))
    return path


def test_docx_paragraphs_tables_and_headings_in_order(tmp_path: Path) -> None:
    document = load_document(make_docx(tmp_path / "报告.docx"))
    assert document.text == (
        "教育局巡察整改报告\n"
        "根据州委统一部署，州委第一巡察组开展了常规巡察。\n"
        "一、整改措施落实情况\n"
        "修订完善《机关财务管理制度》，整改措施*条已全部落实。\n"
        "\n"
        "问题 | 整改措施 | 完成时限\n"
        "往来款挂账 | 开展内部审计 | 2023年6月\n"
        "合并单元格说明 | 长期坚持\n"
        "\n"
        "表格之后的段落。\n"
        "（一）组织领导\n"
        "1.压实责任\n"
        "党组书记履行第一责任人职责。"
    )
    assert [(document.text[h.start : h.end], h.level) for h in document.headings] == [
        ("教育局巡察整改报告", 1),
        ("一、整改措施落实情况", 1),
        ("（一）组织领导", 2),
        ("1.压实责任", 3),
    ]
    assert document.title == "教育局巡察整改报告"


def test_truncated_docx_is_a_clear_error(tmp_path: Path) -> None:
    data = make_docx(tmp_path / "完整.docx").read_bytes()
    error = load_error(write(tmp_path, "截断.docx", data[: len(data) // 2]))
    assert error.reason.startswith("docx 文件损坏或格式不正确：")
    assert "截断" in error.reason


def test_docx_missing_main_part_is_a_clear_error(tmp_path: Path) -> None:
    import zipfile

    source = make_docx(tmp_path / "完整.docx")
    broken = tmp_path / "缺部件.docx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(broken, "w") as zout:
        for item in zin.infolist():
            if item.filename != "word/document.xml":
                zout.writestr(item, zin.read(item.filename))
    assert load_error(broken).reason.startswith("docx 文件损坏或格式不正确：")


def test_text_file_named_docx_is_a_clear_error(tmp_path: Path) -> None:
    error = load_error(write(tmp_path, "假的.docx", "这其实是一段纯文本。".encode()))
    assert error.reason.startswith("docx 文件损坏或格式不正确：")


# ---------------------------------------------------------------- pdf


PDF_PAGES = [
    [
        "关于巡察反馈问题整改情况的报告",
        "第一条 为了加强巡视整改工作，根据有关规定，结合实际，制",
        "定本办法。",
        "第二条 本办法适用于全体党员和各级党组织。",
    ],
    ["第二页：局党组先后召开专题会议研究整改工作。"],
    ["第三页：建立健全长效机制，巩固整改成果。"],
]


def test_multi_page_pdf_text_pages_and_wrapped_lines(tmp_path: Path) -> None:
    document = load_document(write_pdf(tmp_path / "报告.pdf", PDF_PAGES))
    assert document.text == (
        "关于巡察反馈问题整改情况的报告\n"
        "第一条 为了加强巡视整改工作，根据有关规定，结合实际，制定本办法。\n"
        "第二条 本办法适用于全体党员和各级党组织。\n"
        "第二页：局党组先后召开专题会议研究整改工作。\n"
        "第三页：建立健全长效机制，巩固整改成果。"
    )
    assert document.title == "关于巡察反馈问题整改情况的报告"
    assert len(document.page_starts) == 3
    assert document.page_at(document.text.index("制定本办法")) == 1
    assert document.page_at(document.text.index("第二页")) == 2
    assert document.page_at(document.text.index("第二页") - 1) == 1  # the "\n" joining pages 1 and 2
    assert document.page_at(document.text.index("巩固整改成果")) == 3
    for start, marker in zip(document.page_starts, ["关于", "第二页", "第三页"], strict=True):
        assert document.text.startswith(marker, start)


def test_pdf_without_text_layer_is_a_scan(tmp_path: Path) -> None:
    path = write_scanned_pdf(tmp_path / "扫描件.pdf")
    assert load_error(path).reason == SCANNED_PDF


def test_encrypted_pdf_is_rejected(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "加密.pdf", [["机密内容不应被读出。"]], encrypt="secret")
    assert PdfReader(str(path)).is_encrypted
    error = load_error(path)
    assert "加密" in error.reason
    assert "机密" not in error.reason


def test_pdf_encrypted_with_empty_user_password_opens(tmp_path: Path) -> None:
    plain = write_pdf(tmp_path / "原件.pdf", [["只限制编辑权限的文件可以正常读取。"]])
    writer = PdfWriter(clone_from=str(plain))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "限制编辑.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    assert PdfReader(str(path)).is_encrypted
    assert load_document(path).text == "只限制编辑权限的文件可以正常读取。"


def test_pdf_text_layer_of_control_codes_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What pypdf returns for fonts without a ToUnicode map; a real such font is hard to produce here.
    monkeypatch.setattr(PageObject, "extract_text", lambda self, *a, **k: "\x03\x11\x05\x1c\x02" * 20)
    path = write_pdf(tmp_path / "乱码.pdf", [["任意内容"]])
    assert load_error(path).reason == UNDECODABLE_PDF


def test_truncated_pdf_is_a_clear_error(tmp_path: Path) -> None:
    data = write_pdf(tmp_path / "完整.pdf", PDF_PAGES).read_bytes()
    error = load_error(write(tmp_path, "截断.pdf", data[: len(data) // 2]))
    assert error.reason.startswith("PDF 文件损坏")
    assert "截断" in error.reason


# ---------------------------------------------------------------- html


HTML = """<!DOCTYPE html>
<html><head><meta charset="gbk"><title>整改通报 - 某某网站</title>
<style>p { color: red; }</style><script>var tracking = "不应出现";</script></head>
<body>
<header>网站首页 | 新闻中心</header>
<nav><a href="/">首页</a> &gt; <a href="/news">新闻</a></nav>
<h1>关于巡察反馈问题
整改情况的通报</h1>
<!-- 编辑注释 -->
<p>根据州委统一部署，<b>州委第一巡察组</b>对州教育局党组
开展了常规巡察。</p>
<h2>一、强化履职担当</h2>
<div>第一行<br>第二行 English words</div>
<table><tr><th>问题</th><th>措施</th></tr><tr><td>往来款挂账</td><td>开展内部审计</td></tr></table>
<footer>版权所有 &copy; 某某网站</footer>
<script>document.write("也不应出现");</script>
</body></html>
"""


def test_html_keeps_blocks_and_headings_and_drops_chrome(tmp_path: Path) -> None:
    document = load_document(write(tmp_path, "通报.html", HTML.encode("gbk")))
    assert document.text == (
        "关于巡察反馈问题整改情况的通报\n"
        "根据州委统一部署，州委第一巡察组对州教育局党组开展了常规巡察。\n"
        "一、强化履职担当\n"
        "第一行\n"
        "第二行 English words\n"
        "问题 | 措施\n"
        "往来款挂账 | 开展内部审计"
    )
    assert [(document.text[h.start : h.end], h.level) for h in document.headings] == [
        ("关于巡察反馈问题整改情况的通报", 1),
        ("一、强化履职担当", 2),
    ]
    assert document.title == "关于巡察反馈问题整改情况的通报"


def test_html_without_heading_uses_page_title(tmp_path: Path) -> None:
    html = "<html><head><title>审计整改报告</title></head><body><p>根据审计报告，现将整改情况报告如下。</p></body></html>"
    document = load_document(write(tmp_path, "页面.htm", html.encode()))
    assert document.text == "根据审计报告，现将整改情况报告如下。"
    assert document.title == "审计整改报告"


def test_html_with_only_scripts_is_empty(tmp_path: Path) -> None:
    path = write(tmp_path, "空.html", b"<html><script>var a = 1;</script></html>")
    assert load_error(path).reason == EMPTY_FILE


def test_utf8_bom_before_gbk_text_is_read_as_gbk(tmp_path: Path) -> None:
    document = load_document(write(tmp_path, "bom.txt", codecs.BOM_UTF8 + CHINESE.encode("gbk")))
    assert document.text == CHINESE.rstrip("\n")


def test_lines_in_utf8_and_gbk_mixed_in_one_file_are_each_read(tmp_path: Path) -> None:
    lines = CHINESE.splitlines(keepends=True)
    data = lines[0].encode("utf-8") + lines[1].encode("gbk") + lines[2].encode("utf-8")
    assert load_document(write(tmp_path, "拼接.txt", data)).text == CHINESE.rstrip("\n")


# ---------------------------------------------------------------- .doc / .wps


def ole_file(tmp_path: Path, name: str) -> Path:
    return write(tmp_path, name, bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 504)


@pytest.mark.parametrize("name", ["旧格式.doc", "金山.wps", "改了扩展名的旧文档.docx"])
def test_legacy_word_without_libreoffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setattr(word.shutil, "which", lambda _name: None)
    assert load_error(ole_file(tmp_path, name)).reason == NO_LIBREOFFICE


def test_docx_content_named_doc_loads_without_conversion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(word.shutil, "which", lambda _name: None)
    source = make_docx(tmp_path / "源.docx")
    document = load_document(write(tmp_path, "其实是docx.doc", source.read_bytes()))
    assert "开展内部审计" in document.text


def fake_soffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> Path:
    """A stand-in `soffice` on PATH; ``body`` is Python run with ``args`` and ``outdir`` defined."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "soffice"
    script.write_text(
        f"#!{sys.executable}\n"
        "import pathlib, shutil, sys, time\n"
        "args = sys.argv[1:]\n"
        "outdir = pathlib.Path(args[args.index('--outdir') + 1])\n" + body,
        encoding="utf-8",
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return script


def test_doc_is_converted_with_libreoffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    converted = make_docx(tmp_path / "转换结果.docx")
    log = tmp_path / "args.json"
    fake_soffice(
        tmp_path,
        monkeypatch,
        "outdir.mkdir(parents=True, exist_ok=True)\n"
        f"shutil.copy({str(converted)!r}, outdir / (pathlib.Path(args[-1]).stem + '.docx'))\n"
        f"pathlib.Path({str(log)!r}).write_text(__import__('json').dumps(args))\n",
    )
    path = ole_file(tmp_path, "旧格式.doc")
    document = load_document(path)
    assert document.path == path
    assert document.title == "教育局巡察整改报告"
    assert "往来款挂账 | 开展内部审计 | 2023年6月" in document.text
    args = json.loads(log.read_text())
    assert "--headless" in args
    assert args[args.index("--convert-to") + 1] == "docx"
    assert any(arg.startswith("-env:UserInstallation=file://") for arg in args)


def test_failed_conversion_reports_libreoffice_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_soffice(tmp_path, monkeypatch, "print('Error: source file could not be loaded', file=sys.stderr)\n")
    error = load_error(ole_file(tmp_path, "坏文件.wps"))
    assert error.reason == "LibreOffice 转换失败：Error: source file could not be loaded"


def test_conversion_times_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_soffice(tmp_path, monkeypatch, "time.sleep(60)\n")
    monkeypatch.setattr(word, "CONVERSION_TIMEOUT_SECONDS", 1)
    began = time.monotonic()
    error = load_error(ole_file(tmp_path, "很慢.doc"))
    assert "超时" in error.reason
    assert time.monotonic() - began < 20


@pytest.mark.skipif(
    not (shutil.which("soffice") or shutil.which("libreoffice")), reason="LibreOffice not installed"
)
def test_real_libreoffice_round_trip(tmp_path: Path) -> None:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    assert office is not None
    source = make_docx(tmp_path / "源文件.docx")
    outdir = tmp_path / "doc"
    subprocess.run(
        [office, "--headless", "--convert-to", "doc", "--outdir", str(outdir), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    document = load_document(outdir / "源文件.doc")
    assert "修订完善《机关财务管理制度》，整改措施*条已全部落实。" in document.text


@pytest.mark.skipif(
    not (shutil.which("soffice") or shutil.which("libreoffice")), reason="LibreOffice not installed"
)
def test_two_conversions_at_once_both_succeed(tmp_path: Path) -> None:
    """Each conversion has its own LibreOffice profile: with a shared one the second soffice hands its
    file to the first and exits, converting nothing."""
    from concurrent.futures import ThreadPoolExecutor

    office = shutil.which("soffice") or shutil.which("libreoffice")
    assert office is not None
    sources = []
    for name, marker in (("甲", "甲单位开展内部审计"), ("乙", "乙单位清理闲置用房")):
        document = docx.Document()
        document.add_paragraph(f"{name}单位整改报告")
        document.add_paragraph(f"一是{marker}。")
        document.save(str(tmp_path / f"{name}.docx"))
        sources.append(tmp_path / f"{name}.docx")
    outdir = tmp_path / "doc"
    subprocess.run(
        [office, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--convert-to", "doc",
         "--outdir", str(outdir), *map(str, sources)],
        check=True, capture_output=True, timeout=120,
    )
    wps = outdir / "乙.wps"
    wps.write_bytes((outdir / "乙.doc").read_bytes())
    docs = [outdir / "甲.doc", outdir / "乙.doc", wps]  # three soffice processes at once
    with ThreadPoolExecutor(max_workers=3) as pool:
        texts = list(pool.map(lambda path: load_document(path).text, docs))
    assert "一是甲单位开展内部审计。" in texts[0]
    assert "一是乙单位清理闲置用房。" in texts[1] and texts[2] == texts[1]


# ---------------------------------------------------------------- other failures


@pytest.mark.parametrize("name", ["演示文稿.pptx", "无扩展名"])
def test_unsupported_suffix(tmp_path: Path, name: str) -> None:
    error = load_error(write(tmp_path, name, b"data"))
    assert error.reason.startswith("不支持的文件类型 ")
    assert (Path(name).suffix or "无扩展名") in error.reason


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert load_error(tmp_path / "不存在.txt").reason == "文件不存在"
    (tmp_path / "文件夹.md").mkdir()
    assert "不是普通文件" in load_error(tmp_path / "文件夹.md").reason


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path, "无权限.txt", "内容".encode())
    path.chmod(0)
    try:
        assert load_error(path).reason == "没有读取权限"
    finally:
        path.chmod(0o644)


# ---------------------------------------------------------------- the shared corpus


def corpus_files() -> list[Path]:
    return sorted(p for folder in CORPUS_DIRS if folder.is_dir() for p in folder.iterdir() if p.is_file())


needs_corpus = pytest.mark.skipif(not corpus_files(), reason="shared corpus not present")


@pytest.fixture(scope="module")
def corpus() -> dict[str, LoadedDocument]:
    return {path.name: load_document(path) for path in corpus_files()}


@needs_corpus
def test_every_gold_quote_is_in_the_cleaned_text(corpus: dict[str, LoadedDocument]) -> None:
    quotes = [
        (gold["doc"], gold["quote"])
        for eval_file in EVAL_FILES
        for line in eval_file.read_text(encoding="utf-8").splitlines()
        if line.strip()
        for gold in json.loads(line)["gold"]
    ]
    assert len(quotes) > 80
    missing = [(doc, quote) for doc, quote in quotes if quote not in corpus[doc].text]
    assert missing == []


@needs_corpus
def test_corpus_markup_free_sentences_survive_verbatim(corpus: dict[str, LoadedDocument]) -> None:
    markup = re.compile(r"[*#<>\[\]|_\u200b\ufeff]|^[-•]")
    checked = 0
    for path in corpus_files():
        text = corpus[path.name].text
        for line in path.read_text(encoding="utf-8").splitlines():
            for sentence in re.findall(r"[^。！？]+[。！？]", line):
                sentence = sentence.strip()
                if sentence and not markup.search(sentence):
                    checked += 1
                    assert sentence in text, (path.name, sentence)
    assert checked > 1000


@needs_corpus
def test_corpus_has_no_markup_left(corpus: dict[str, LoadedDocument]) -> None:
    for name, document in corpus.items():
        assert "<!--" not in document.text, name
        assert "](" not in document.text, name
        assert "\u200b" not in document.text, name
        assert "\n\n\n" not in document.text, name
        assert not re.search(r"^#+ ", document.text, re.M), name
        if name.endswith(".md"):
            assert "**" not in document.text, name
        for heading in document.headings:
            assert document.text[heading.start : heading.end].strip(), name


@needs_corpus
def test_corpus_redaction_marks_are_all_kept(corpus: dict[str, LoadedDocument]) -> None:
    name = "教育局党组关于巡察组巡察反馈问题整改情况的通报.txt"
    raw = (CORPUS_DIRS[0] / name).read_text(encoding="utf-8")
    assert corpus[name].text.count("*") == raw.count("*") > 50


@needs_corpus
def test_corpus_titles(corpus: dict[str, LoadedDocument]) -> None:
    assert corpus["中华人民共和国审计法.md"].title == "中华人民共和国审计法"
    assert corpus["中国共产党廉洁自律准则.md"].title == "中国共产党廉洁自律准则"
    assert corpus["中国共产党巡视工作条例.md"].title == "中国共产党巡视工作条例"  # starts with 第一章: stem
    assert (
        corpus["2025年国务院政府工作报告.txt"].title == "2025年国务院政府工作报告"
    )  # starts with 各位代表：
    nankai = "中共南开大学委员会关于十九届中央第七轮巡视整改进展情况的通报.md"
    assert "nankai.info" not in corpus[nankai].title
