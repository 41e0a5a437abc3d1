"""`python -m assistant …`: the machine interface that scripts and the evaluation drive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
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
    code, out = run(["index", str(docs), "--json", "--quiet"], workspace, capsys)
    summary = json.loads(out)
    assert code == 0
    assert summary["counts"]["added"] == 1 and summary["counts"]["failed"] == 1
    assert summary["failed"][0]["file"].endswith("scan.pdf") and summary["failed"][0]["reason"]
