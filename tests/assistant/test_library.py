"""The document library: uploads, revised versions that replace the old one, duplicates, removal.

Real files, the real encoder and a real Chroma store in a temp folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.library import add_files, base_name, remove_document, revised_document, versions
from assistant.views import LIBRARY_HEADER, library_table
from assistant.workspace import Workspace
from index.embedding import SentenceEmbeddings
from index.manifest import FileRecord
from tests.conftest import make_workspace

PLAN_V1 = "一、加强档案管理\n（一）一是建立档案数字化台账，每季度开展一次档案安全检查。\n"
PLAN_V2 = "一、加强档案管理\n（一）一是建立档案数字化台账，每月开展一次档案安全检查，由办公室负责。\n"


@pytest.fixture
def library(tmp_path: Path, embeddings: SentenceEmbeddings) -> Workspace:
    docs = tmp_path / "docs"
    docs.mkdir()
    return make_workspace(tmp_path / "index", embeddings, docs_dir=docs, uploads_dir=tmp_path / "uploads",
                          trash_dir=tmp_path / "trash", history_dir=tmp_path / "history")


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def answer_text(ws: Workspace, question: str) -> str:
    return ws.answerer.answer(question).text


def record(name: str, title: str = "") -> FileRecord:
    return FileRecord(source=f"/x/{name}", doc_id=name, content_hash="", status="ok", title=title, kind="report",
                      chunks=1, error="", indexed_at=0.0)


def test_a_revision_is_recognised_by_its_name_without_revision_marks() -> None:
    assert base_name("整改方案（修订稿）.docx") == "整改方案"
    assert base_name("整改方案(第二稿).docx") == "整改方案"
    assert base_name("整改方案_修订版.pdf") == "整改方案"
    assert base_name("整改方案 (2).txt") == "整改方案"
    assert base_name("整改方案v3.txt") == "整改方案"
    assert base_name("整改方案.txt") == "整改方案"
    records = [record("整改方案.txt", "教育局整改方案"), record("巡察报告.txt", "关于巡察情况的报告")]
    assert revised_document(records, "整改方案.txt") is records[0]
    assert revised_document(records, "整改方案（修订稿）.docx") is records[0]
    assert revised_document(records, "关于巡察情况的报告.pdf") is records[1]  # the 《title》, not the file name
    assert revised_document(records, "整改方案汇编.txt") is None


def test_a_revised_upload_replaces_the_old_version_and_only_the_new_one_answers(
    library: Workspace, tmp_path: Path
) -> None:
    first = add_files(library, [write(tmp_path / "in1", "档案整改方案.txt", PLAN_V1)])
    assert first.report is not None and first.report.counts()["added"] == 1
    assert "每季度" in answer_text(library, "档案安全检查多久开展一次？")

    second = add_files(library, [write(tmp_path / "in2", "档案整改方案.txt", PLAN_V2)], replace=True)
    assert "已替换旧版本" in second.summary() and "第 2 版" in second.summary()
    text = answer_text(library, "档案安全检查多久开展一次？")
    assert "每月" in text and "每季度" not in text
    # One document in the library, at version 2; the old file is kept in the history folder.
    assert [r.name for r in library.manifest.records()] == ["档案整改方案.txt"]
    assert versions(library.manifest.records(), library.settings) == {"档案整改方案.txt": 2}
    kept = list((library.settings.history_dir / "档案整改方案.txt").iterdir())
    assert [p.read_text(encoding="utf-8") for p in kept] == [PLAN_V1]
    row = library_table(library.manifest.records(), versions(library.manifest.records(), library.settings)).rows[0]
    assert row[LIBRARY_HEADER.index("版本")] == "第 2 版"


def test_a_revision_under_another_name_retires_the_old_document(library: Workspace, tmp_path: Path) -> None:
    add_files(library, [write(tmp_path / "in1", "档案整改方案.txt", PLAN_V1)])
    result = add_files(library, [write(tmp_path / "in2", "档案整改方案（修订稿）.txt", PLAN_V2)], replace=True)
    assert "已替换旧版本：档案整改方案.txt" in result.summary()
    assert [r.name for r in library.manifest.records()] == ["档案整改方案（修订稿）.txt"]
    assert not (library.settings.uploads_dir / "档案整改方案.txt").exists()
    text = answer_text(library, "档案安全检查多久开展一次？")
    assert "每月" in text and "每季度" not in text


def test_without_replace_the_upload_is_kept_beside_the_old_one_and_the_note_says_how_to_replace(
    library: Workspace, tmp_path: Path
) -> None:
    add_files(library, [write(tmp_path / "in1", "档案整改方案.txt", PLAN_V1)])
    result = add_files(library, [write(tmp_path / "in2", "档案整改方案.txt", PLAN_V2)])
    assert "已另存为 档案整改方案 (2).txt" in result.summary() and "替换旧版本" in result.summary()
    assert sorted(r.name for r in library.manifest.records()) == ["档案整改方案 (2).txt", "档案整改方案.txt"]


def test_the_same_content_is_not_added_twice_even_under_another_name(library: Workspace, tmp_path: Path) -> None:
    write(library.settings.docs_dir, "档案整改方案.txt", PLAN_V1)
    library.index()
    result = add_files(library, [write(tmp_path / "in", "副本.txt", PLAN_V1)], replace=True)
    assert result.report is None and "已在资料库中：副本.txt" in result.summary()
    assert [r.name for r in library.manifest.records()] == ["档案整改方案.txt"]


def test_a_bad_file_is_refused_with_its_name_and_the_others_are_added(library: Workspace, tmp_path: Path) -> None:
    good = write(tmp_path / "in", "档案整改方案.txt", PLAN_V1)
    bad = tmp_path / "in" / "台账.xlsx"
    bad.write_bytes(b"not a workbook")
    result = add_files(library, [bad, good], replace=True)
    assert "不接受：台账.xlsx：" in result.summary()
    assert [r.name for r in library.manifest.records()] == ["档案整改方案.txt"]


def test_a_removed_document_goes_to_the_trash_and_stops_answering(library: Workspace, tmp_path: Path) -> None:
    add_files(library, [write(tmp_path / "in", "档案整改方案.txt", PLAN_V1)])
    assert remove_document(library, "档案整改方案.txt").startswith("已删除")
    assert library.manifest.records() == []
    assert [p.name.split("_", 1)[1] for p in library.settings.trash_dir.iterdir()] == ["档案整改方案.txt"]
    assert "每季度" not in answer_text(library, "档案安全检查多久开展一次？")


def test_a_scanned_report_answers_with_its_page_and_says_the_text_was_recognised(
    library: Workspace, tmp_path: Path
) -> None:
    from assistant.views import citation_line
    from assistant.web import source_cards
    from tests.index.scans import image_pdf_bytes, render_page

    scan = tmp_path / "in" / "保密整改通报（扫描件）.pdf"
    scan.parent.mkdir(parents=True)
    scan.write_bytes(image_pdf_bytes([render_page(
        ["一、加强保密管理", "（一）一是组织干部职工签订保密承诺书。二是每半年开展一次保密自查。"],
        title="关于保密管理问题整改情况的通报")]))
    result = add_files(library, [scan])
    assert result.report is not None and result.report.counts()["added"] == 1, result.summary()
    answer = library.answerer.answer("多久开展一次保密自查？")
    assert answer.found and answer.citations, [p.chunk.text for p in answer.related]
    assert "第1页（扫描件识别）" in citation_line(answer.citations[0])
    assert "第1页（扫描件识别）" in source_cards(answer)


def test_the_cli_adds_replaces_and_removes_as_the_web_library_does(
    library: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant import cli

    settings = library.settings
    assert cli.main(["add", str(write(tmp_path / "in1", "档案整改方案.txt", PLAN_V1))], settings=settings) == 0
    assert "索引完成：新增 1" in capsys.readouterr().out
    assert cli.main(["add", "--replace", str(write(tmp_path / "in2", "档案整改方案.txt", PLAN_V2))],
                    settings=settings) == 0
    assert "已替换旧版本" in capsys.readouterr().out
    assert cli.main(["ask", "档案安全检查多久开展一次？"], settings=settings) == 0
    answer = capsys.readouterr().out
    assert "每月" in answer and "每季度" not in answer
    assert [p.read_text(encoding="utf-8") for p in (settings.history_dir / "档案整改方案.txt").iterdir()] == [PLAN_V1]

    assert cli.main(["add", str(tmp_path / "没有这个文件.txt")], settings=settings) == 1
    assert "没有这个文件.txt" in capsys.readouterr().out
    assert cli.main(["remove", "没有的.txt"], settings=settings) == cli.EXIT_LIBRARY
    assert "没有的.txt" in capsys.readouterr().err
    assert cli.main(["remove", "档案整改方案.txt"], settings=settings) == 0
    assert cli.main(["audit", "export", str(tmp_path / "audit.csv")], settings=settings) == 0
    log = (tmp_path / "audit.csv").read_text(encoding="utf-8-sig")
    assert "上传" in log and "删除" in log and "档案整改方案.txt" in log
