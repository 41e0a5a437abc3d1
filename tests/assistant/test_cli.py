"""`python -m assistant …`: the machine interface that scripts and the evaluation drive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.signals.model import load_model
from assistant.workspace import Workspace


def run(argv: list[str], ws: Workspace, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv, settings=ws.settings)
    return code, capsys.readouterr().out


def test_search_jsonl_writes_one_line_per_question(
    corpus_workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        "\n".join(json.dumps({"id": i, "question": q}, ensure_ascii=False)
                  for i, q in [("a", "巡视反馈后多久报送整改情况"), ("b", "保密承诺书")]) + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    code, _ = run(["search", "--jsonl", str(questions), "-k", "3", "--out", str(out)], corpus_workspace, capsys)
    assert code == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"]
    passage = rows[0]["passages"][0]
    assert set(passage) >= {"doc", "title", "section", "label", "start", "end", "score", "text"}
    assert len(rows[0]["passages"]) == 3
    assert any("保密承诺书" in p["text"] for p in rows[1]["passages"])
    # The text is exactly the cited span of the cleaned document.
    from index.loaders import load_document

    source = next(corpus_workspace.settings.docs_dir.rglob(passage["doc"]))
    assert load_document(source).text[passage["start"]:passage["end"]] == passage["text"]


def test_search_filters_by_kind(corpus_workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(["search", "保密", "--kind", "regulation", "--json", "-k", "5"], corpus_workspace, capsys)
    assert code == 0
    docs = {p["doc"] for p in json.loads(out)}
    assert docs and all(d.startswith(("中华人民共和国", "中国共产党", "党", "被巡视", "行政", "中央八项")) for d in docs)


def test_ask_json_has_exact_quotes(corpus_workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(["ask", "巡视组反馈后多久要报送整改情况？", "--json"], corpus_workspace, capsys)
    answer = json.loads(out)
    assert code == 0 and answer["found"] is True
    assert any("2个月内" in c["quote"] for c in answer["citations"])
    for c in answer["citations"]:
        assert f"[{c['n']}]" in answer["answer"]


def test_ask_refuses_what_the_documents_do_not_say(
    corpus_workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(["ask", "州委第一巡察组的组长是谁？", "--json"], corpus_workspace, capsys)
    answer = json.loads(out)
    assert answer["found"] is False and answer["citations"] == []
    assert answer["answer"].startswith("资料中未找到")


def test_index_reports_counts_as_json(workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("一、一是建立台账。二是定期督查。\n", encoding="utf-8")
    (docs / "scan.pdf").write_bytes(b"%PDF-1.4 broken")
    (docs / "z-copy").mkdir()
    (docs / "z-copy" / "a.txt").write_bytes((docs / "a.txt").read_bytes())
    code, out = run(["index", str(docs), "--json", "--quiet"], workspace, capsys)
    summary = json.loads(out)
    assert code == 0
    assert summary["counts"]["added"] == 1 and summary["counts"]["failed"] == 1
    assert summary["failed"][0]["file"].endswith("scan.pdf") and summary["failed"][0]["reason"]
    assert summary["counts"]["duplicate"] == 1 and summary["duplicates"][0]["file"].endswith("z-copy/a.txt")
    assert "与已索引的 a.txt 内容相同" in summary["duplicates"][0]["reason"]


def test_check_a_whole_list_from_a_spreadsheet_into_a_workbook(
    corpus_workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import openpyxl

    checklist = tmp_path / "整改清单.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["序号", "整改措施"])
    sheet.append([1, "组织干部职工签订保密承诺书"])
    sheet.append([2, "给学校纪委增配2名副处级纪检员"])
    book.save(checklist)
    result = tmp_path / "核查结果.xlsx"
    code, out = run(["check", "--file", str(checklist), "--out", str(result)], corpus_workspace, capsys)
    assert code == 0 and "已有" in out
    rows = list(openpyxl.load_workbook(result).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["组织干部职工签订保密承诺书", "给学校纪委增配2名副处级纪检员"]
    assert rows[0][-2:] == ("相似度", "判定依据")


def test_check_names_a_list_it_cannot_read(
    corpus_workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "清单.pdf"
    bad.write_bytes(b"%PDF-1.4")
    code = main(["check", "--file", str(bad)], settings=corpus_workspace.settings)
    assert code == 2 and "清单.pdf" in capsys.readouterr().err


def test_study_writes_the_pack_to_a_folder(
    corpus_workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(["study", "内部审计", "--out", str(tmp_path)], corpus_workspace, capsys)
    assert code == 0 and out.startswith("第一部分　内部审计：法规依据")
    written = {Path(line).suffix for line in out.splitlines()[1:]}
    assert written >= {".docx", ".md"}
    assert "第三十二条" in (tmp_path / "内部审计学习资料.md").read_text(encoding="utf-8")


def test_ledger_exports_the_filtered_rows(
    corpus_workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import openpyxl

    path = tmp_path / "台账.xlsx"
    code, out = run(["ledger", "--keyword", "内部审计", "--out", str(path)], corpus_workspace, capsys)
    assert code == 0 and str(path) in out
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == "总览" and len(book.sheetnames) >= 2
    cells = [c for sheet in book.worksheets[1:] for row in sheet.iter_rows(values_only=True) for c in row]
    assert any("内部审计" in str(c) for c in cells)


def test_ask_json_says_how_sure_the_answerability_model_is(
    corpus_workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    answered = json.loads(run(["ask", "巡视组反馈后多久要报送整改情况？", "--json"], corpus_workspace, capsys)[1])
    refused = json.loads(run(["ask", "州委第一巡察组的组长是谁？", "--json"], corpus_workspace, capsys)[1])
    threshold = load_model("answerable").threshold
    assert answered["confidence"] >= threshold > refused["confidence"] >= 0.0
