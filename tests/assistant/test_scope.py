"""Access enforced where data is read: a user never sees a knowledge base he is not granted.

One index holds three knowledge bases: 法规库 (two regulations), 州一中 (a report) and 局机关 (the
education bureau's rectification report). 李四 (使用人员) may read 法规库 and 州一中 only. He asks,
checks, studies, exports the ledger and lists the library — through the web app's handlers and through
the CLI with ``--user`` — with questions that name 局机关's document and quote it: no title, file name,
quote or count of it may appear in anything he gets back, files included.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from assistant.access import ADMIN, MAINTAINER, READER
from assistant.cli import main
from assistant.ledger import build_ledger
from assistant.retrieval import HybridSearcher, LexicalIndex, SearchFilter
from assistant.web import UserError, WebHandlers
from assistant.workspace import Workspace
from index.chunking import Chunk
from index.embedding import SentenceEmbeddings
from tests.conftest import DOCS_SRC, make_workspace

SECRET_FILE = "教育局党组关于巡察组巡察反馈问题整改情况的通报.txt"
SECRET_TITLE = "教育局党组关于巡察组巡察反馈问题整改情况的通报"
ALLOWED = {
    "法规库": ["regulations/中国共产党巡视工作条例.md", "regulations/中华人民共和国审计法.md"],
    "州一中": ["reports/关于XX专项审计报告的整改报告（匿名化模板）.md",
            "reports/中共南开大学委员会关于十九届中央第七轮巡视整改进展情况的通报.md"],
}
# Questions and measures that name the secret document or quote it word for word.
QUESTIONS = [
    "教育局党组关于巡察组巡察反馈问题整改情况的通报里有哪些整改措施？",
    "州委第一巡察组对州教育局党组开展常规巡察后，局党组怎么整改的？",
    "边巡边改、立行立改的问题有多少条？",
    "巡察整改的问题清单、任务清单、责任清单是怎么建立的？",
    "财务管理方面整改了什么？",
]
MEASURES = ["认真做好边巡边改、立行立改问题整改落实", "建立问题清单、任务清单、责任清单", "组织干部职工签订保密承诺书"]
WINDOW = 14


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, embeddings: SentenceEmbeddings) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("kbs")
    ws = make_workspace(root / "index", embeddings, docs_dir=root / "docs", uploads_dir=root / "uploads",
                        trash_dir=root / "trash", history_dir=root / "history")
    for kb, files in {**ALLOWED, "局机关": [f"reports/{SECRET_FILE}"]}.items():
        folder = root / "docs" / kb
        folder.mkdir(parents=True)
        for name in files:
            shutil.copy(DOCS_SRC / name, folder / Path(name).name)
        if kb not in ws.access.knowledge_bases():
            ws.access.create_kb(kb)
        ws.index([folder], kb=kb)
    access = ws.access
    access.add_user("admin", "admin-password-1", ADMIN)
    access.add_user("李四", "reader-password-1", READER)
    access.add_user("张三", "keeper-password-1", MAINTAINER)
    for kb in ALLOWED:
        access.grant("李四", kb)
    access.grant("张三", "州一中")
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def secret(index: Workspace) -> set[str]:
    """Every run of WINDOW characters of the secret document that no readable document contains."""
    lexical = index.lexical
    texts = {r.name: lexical.document_text(r.doc_id) or "" for r in index.manifest.records()}
    allowed = "\n".join(t for name, t in texts.items() if name != SECRET_FILE)
    text = texts[SECRET_FILE]
    assert text
    return {w for i in range(len(text) - WINDOW) if "*" not in (w := text[i:i + WINDOW]) and w not in allowed}


def leaks(found: str, secret: set[str]) -> list[str]:
    """What of the secret document ``found`` shows: its name, its title, or a quote of it (the user's
    own question, which a refusal repeats, set aside)."""
    plain = found.replace("\\", "").replace("&quot;", '"')
    for asked in (*QUESTIONS, *MEASURES):
        plain = plain.replace(asked, "")
    named = [n for n in (SECRET_FILE, SECRET_TITLE, "局机关") if n in plain]
    quoted = [plain[i:i + WINDOW] for i in range(len(plain) - WINDOW) if plain[i:i + WINDOW] in secret]
    return named + quoted[:3]


def file_text(path: Path) -> str:
    if path.suffix == ".xlsx":
        book = load_workbook(path)
        return "\n".join(str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for c in row if c is not None)
    if path.suffix == ".docx":
        from docx import Document

        return "\n".join(p.text for p in Document(str(path)).paragraphs)
    if path.suffix in (".md", ".csv", ".txt", ".jsonl"):
        return path.read_text(encoding="utf-8-sig")
    return ""


def test_the_index_holds_the_secret_document_and_an_admin_reads_it(index: Workspace, secret: set[str]) -> None:
    assert {r.name: r.kb for r in index.manifest.records()}[SECRET_FILE] == "局机关"
    assert len(secret) > 1000  # the checks below have something to find
    handlers = WebHandlers(index, login=True)
    assert SECRET_FILE in handlers.document_choices("admin")
    turns = list(handlers.ask(QUESTIONS[1], [], [], [], [], False, user="admin"))
    assert leaks(turns[-1].sources + turns[-1].plain, secret)  # the check sees a leak when there is one


def test_searches_filter_by_knowledge_base_on_both_sides(index: Workspace) -> None:
    kbs = ("州一中", "法规库")
    where = SearchFilter(kbs=kbs)
    query = "州委第一巡察组巡察反馈问题整改清单"
    assert all(h.chunk.kb in kbs for h in index.vectors.search(query, 30, where.chroma_where()))
    lexical = index.searcher.lexical.search(query, 30, where)
    assert lexical and all(c.kb in kbs for c, _ in lexical)
    assert index.searcher.search(query, 10, SearchFilter(kbs=())) == []
    assert {p.chunk.kb for p in index.searcher.search(query, 10, SearchFilter(kbs=("局机关",)))} == {"局机关"}
    narrowed = index.within(["州一中"])
    assert {p.chunk.kb for p in narrowed.searcher.search(query, 20)} == {"州一中"}
    # A reader of every knowledge base the index holds searches unfiltered, and finds what the whole index does.
    everyone = index.within(["默认", "法规库", "州一中", "局机关"])
    assert everyone.searcher.kbs is None
    assert everyone.searcher.search(query, 10) == index.searcher.search(query, 10)
    # Narrowing further cannot widen: asking a narrowed searcher for another knowledge base finds nothing.
    assert narrowed.searcher.search(query, 10, SearchFilter(kbs=("局机关",))) == []


class RankThenFilter(LexicalIndex):
    """The lexical side as a clean filtered search: rank every chunk, keep the granted ones."""

    def search(self, query: str, k: int, where: SearchFilter = SearchFilter()) -> list[tuple[Chunk, float]]:
        everything = super().search(query, self.store.count())
        return [(c, s) for c, s in everything if where.accepts(c)][:k]


class ChromaWhere(HybridSearcher):
    """The dense side as a clean filtered search: Chroma's ``where`` on "kb"."""

    def _dense(self, query: str, where: SearchFilter) -> list[Any]:
        hits = self.vectors.search(query, self.candidates * (4 if where.section else 1), where.chroma_where())
        return [h for h in hits if where.accepts(h.chunk)][: self.candidates]


GRANTS = [("法规库",), ("州一中",), ("局机关",), ("法规库", "州一中"), ("州一中", "局机关"), ("局机关", "法规库")]
FILTERS = [SearchFilter(), SearchFilter(kinds=("regulation",)), SearchFilter(kinds=("report",), section="一、")]


def test_a_partial_grant_finds_exactly_what_a_clean_filtered_search_finds(index: Workspace) -> None:
    whole = index.searcher
    clean = ChromaWhere(RankThenFilter(whole.lexical.store), whole.vectors)
    questions = [*QUESTIONS, *MEASURES, "审计发现的问题如何整改", "巡视工作条例规定了哪些巡视方式"]
    compared = 0
    for grant in GRANTS:
        searcher = index.within(grant).searcher
        assert searcher.kbs == grant  # a partial grant: filtered, not the whole index's unfiltered search
        for where in FILTERS:
            for question in questions:
                found = searcher.search(question, 10, where)
                assert found == replace(clean, kbs=grant).search(question, 10, where), (grant, where, question)
                assert all(p.chunk.kb in grant for p in found)
                compared += bool(found)
    assert compared > 100  # most searches found something to compare


def test_no_store_hands_out_a_chunk_of_another_knowledge_base(index: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    query = "州委第一巡察组巡察反馈问题整改清单"
    grant = ("州一中", "法规库")
    secret_doc = next(r.doc_id for r in index.manifest.records() if r.name == SECRET_FILE)
    hidden = {c.id for c in index.lexical.chunks_of(secret_doc)}
    scope = index.searcher.lexical.scope(grant)
    assert scope.ids and not hidden & set(scope.ids)
    assert all(h.chunk.kb in grant for h in index.vectors.search(query, 1000, ids=scope.ids))
    # A narrowed store's map of knowledge bases holds its own chunks only.
    assert set(index.within(grant).lexical.chunk_kbs()[1].values()) == set(grant)
    # Even if the map of knowledge bases were wrong (read before a document moved), every chunk is checked
    # against the store as it is before it is returned.
    store = index.lexical
    version, kbs = store.chunk_kbs()
    monkeypatch.setattr(store, "chunk_kbs", lambda: (version, dict.fromkeys(kbs, "州一中")))
    misled = HybridSearcher(LexicalIndex(store), index.vectors, kbs=grant)
    assert hidden <= set(misled.lexical.scope(grant).ids)
    found = misled.search(query, 50) + misled.search(QUESTIONS[0], 50)
    assert found and all(p.chunk.kb in grant for p in found)


def test_a_reader_sees_nothing_of_a_knowledge_base_he_is_not_granted_through_the_web_handlers(
    index: Workspace, secret: set[str]
) -> None:
    handlers = WebHandlers(index, login=True)
    user = "李四"
    shown: list[str] = []
    files: list[Path] = []
    for question in QUESTIONS:
        for docs in ([], [SECRET_FILE]):
            turns = list(handlers.ask(question, [], [], [], docs, False, user=user))
            final = turns[-1]
            shown += [final.chat[-1]["content"], final.sources, final.plain]
    table, check_files, details = handlers.check("\n".join(MEASURES), None, user=user)
    shown += [json.dumps(table.rows, ensure_ascii=False), details]
    files += check_files
    draft = handlers.study("巡察整改与问题清单", [SECRET_FILE], user=user)
    shown += [draft.preview, json.dumps(draft.excerpts, ensure_ascii=False)]
    files += draft.files
    draft = handlers.study("巡察整改与审计", [], user=user)
    shown.append(draft.preview)
    files += draft.files
    for doc in (SECRET_FILE, None):
        ledger, ledger_file = handlers.ledger(doc, "", "", user=user)
        shown.append(json.dumps(ledger.rows, ensure_ascii=False))
        files.append(ledger_file)
    library = handlers.library(user)
    shown += [json.dumps(library.rows, ensure_ascii=False), *handlers.document_choices(user),
              *handlers.document_names(user), *handlers.kb_choices(user)]
    shown += [file_text(f) for f in files]

    found = {i: hit for i, text in enumerate(shown) if (hit := leaks(text, secret))}
    assert not found, found
    # Counts: what he gets is exactly what the index has of his knowledge bases, row for row.
    everything = build_ledger(index)
    assert len(ledger.rows) == len([r for r in everything if r.doc != SECRET_FILE]) > 0
    assert len(library.rows) == len(index.manifest.records()) - 1
    assert sorted(handlers.kb_choices(user)) == sorted(ALLOWED)
    # Naming the secret document in a filter gives what an unknown name gives: nothing.
    assert handlers.ledger(SECRET_FILE, "", "", user=user)[0].rows == handlers.ledger("没有的.txt", "", "", user=user)[0].rows


def test_a_reader_sees_nothing_of_it_through_the_cli_with_user(
    index: Workspace, secret: set[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = index.settings
    outputs: list[str] = []

    def run(*argv: str) -> None:
        assert main([*argv, "--user", "李四"], settings=settings) == 0, argv
        outputs.append(capsys.readouterr().out)

    for question in QUESTIONS[:3]:
        run("ask", question, "--json")
        run("search", question, "--json", "-k", "10")
        run("search", question, "--json", "--doc", SECRET_FILE)
    run("check", *MEASURES, "--json",
        "--out", str(tmp_path / "check.xlsx"))
    run("study", "巡察整改与问题清单", "--doc", SECRET_FILE, "--out", str(tmp_path / "study"))
    run("study", "巡察整改与审计", "--out", str(tmp_path / "study2"))
    run("ledger", "--out", str(tmp_path / "ledger.xlsx"))
    ledger_line = outputs[-1]
    run("ledger", "--doc", SECRET_FILE, "--out", str(tmp_path / "secret-ledger.xlsx"))
    assert "整改台账 0 条" in outputs[-1]  # the secret document named: as if it did not exist
    outputs += [file_text(p) for p in tmp_path.rglob("*") if p.is_file()]
    found = {i: hit for i, text in enumerate(outputs) if (hit := leaks(text, secret))}
    assert not found, found
    everything = build_ledger(index)
    assert f"整改台账 {len([r for r in everything if r.doc != SECRET_FILE])} 条" in ledger_line

    # What he asked is in the audit log under his name, with the export's file name.
    assert index.audit.rows(user="李四", action="提问") and index.audit.rows(user="李四", action="台账导出")
    assert "ledger.xlsx" in {r.file for r in index.audit.rows(user="李四")}

    # An unknown or disabled user reads nothing at all.
    assert main(["ask", QUESTIONS[0], "--user", "nobody"], settings=settings) == 7
    assert "没有这个用户" in capsys.readouterr().err


def test_a_grant_changing_while_he_works_applies_whole_requests_never_half_of_one(index: Workspace) -> None:
    """An administrator grants and revokes 局机关 over and over while 李四 exports the ledger: each
    ledger holds his old rights' rows or his new rights' rows, never a mix; and both happen."""
    import threading

    handlers = WebHandlers(index, login=True)
    everything = build_ledger(index)
    without = len([r for r in everything if r.doc != SECRET_FILE])
    stop = threading.Event()

    def toggle() -> None:
        # Each state is held a moment: flipped back at once, a grant could fall between two requests every
        # time (it did once in CI, 40 requests all without it).
        while not stop.is_set():
            index.access.grant("李四", "局机关")
            stop.wait(0.005)
            index.access.revoke("李四", "局机关")
            stop.wait(0.005)

    toggler = threading.Thread(target=toggle)
    toggler.start()
    counts: list[int] = []
    try:
        while len(counts) < 40 or (len(set(counts)) < 2 and len(counts) < 400):
            counts.append(len(handlers.ledger(None, "", "", user="李四")[0].rows))
    finally:
        stop.set()
        toggler.join()
    assert set(index.access.readable("李四")) == set(ALLOWED)
    assert set(counts) <= {without, len(everything)}, counts
    assert set(counts) == {without, len(everything)}, f"the toggling never showed in {len(counts)} requests"


def test_roles_upload_delete_and_reindex_only_where_granted(index: Workspace, tmp_path: Path) -> None:
    handlers = WebHandlers(index, login=True)
    upload = tmp_path / "州一中整改方案.txt"
    upload.write_text("一、加强档案管理\n（一）一是建立档案数字化台账，每季度开展一次档案安全检查。\n", encoding="utf-8")
    with pytest.raises(UserError, match="无权"):
        handlers.upload([str(upload)], user="李四")  # 使用人员
    with pytest.raises(UserError, match="无权"):
        handlers.upload([str(upload)], kb="局机关", user="张三")  # 维护人员, not granted there
    with pytest.raises(UserError, match="没有"):
        handlers.delete(SECRET_FILE, user="张三")  # as if it did not exist
    with pytest.raises(UserError, match="登录"):
        handlers.ask("问题", [], [], [], [], False, user=None).__next__()
    status = handlers.upload([str(upload)], user="张三")  # his one knowledge base
    assert "新增 1" in status
    records = {r.name: r for r in index.manifest.records()}
    assert records["州一中整改方案.txt"].kb == "州一中"
    assert Path(records["州一中整改方案.txt"].source).parent.name == "州一中"
    assert "州一中整改方案.txt" in handlers.document_choices("李四")
    assert "已删除" in handlers.delete("州一中整改方案.txt", user="张三")
    assert SECRET_FILE in handlers.document_choices("admin")

    # Disabled: signed in before, refused now.
    index.access.set_active("李四", False)
    try:
        with pytest.raises(UserError, match="停用"):
            handlers.ledger(None, "", "", user="李四")
        assert handlers.document_choices("李四") == []
    finally:
        index.access.set_active("李四", True)


def test_the_audit_log_records_requests_and_detects_a_tampered_row(
    index: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from assistant.login import LoginGuard

    handlers = WebHandlers(index, login=True)
    guard = LoginGuard(index.access, on_result=lambda name, ok: index.audit.record(
        name or "（未知用户名）", "登录成功" if ok else "登录失败"))
    assert guard("李四", "reader-password-1")
    assert not guard("李四", "wrong-password-9")
    assert not guard("reader-password-1", "x")  # a password typed into the name box is not kept
    list(handlers.ask(QUESTIONS[4], [], [], [], [], False, user="李四"))
    rows = index.audit.rows()
    actions = [(r.user, r.action) for r in rows]
    assert ("李四", "登录成功") in actions and ("李四", "登录失败") in actions and ("李四", "提问") in actions
    assert ("（未知用户名）", "登录失败") in actions
    raw = index.audit.path.read_bytes() + (index.audit.path.with_name("audit.sqlite-wal").read_bytes()
                                           if index.audit.path.with_name("audit.sqlite-wal").exists() else b"")
    assert b"password" not in raw
    assert main(["audit", "verify"], settings=index.settings) == 0
    assert "完好" in capsys.readouterr().out
    out = index.settings.index_dir.parent / "audit.csv"
    assert main(["audit", "export", str(out)], settings=index.settings) == 0
    assert "提问" in out.read_text(encoding="utf-8-sig")

    db = sqlite3.connect(index.audit.path)
    with pytest.raises(sqlite3.DatabaseError, match="只能追加"):
        db.execute("UPDATE audit SET text = 'x' WHERE id = 1")
    with pytest.raises(sqlite3.DatabaseError, match="只能追加"):
        db.execute("DELETE FROM audit WHERE id = 1")
    # Someone with the file drops the guard and edits a row: verify names it.
    victim = next(r for r in rows if r.action == "提问")
    db.execute("DROP TRIGGER audit_no_update")
    db.execute("UPDATE audit SET text = '改过的问题' WHERE id = ?", (victim.id,))
    db.commit()
    db.close()
    report = index.audit.verify()
    assert not report.ok and report.bad_row == victim.id
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["audit", "verify"], settings=index.settings) == 7
    assert f"第 {victim.id} 条" in capsys.readouterr().out
