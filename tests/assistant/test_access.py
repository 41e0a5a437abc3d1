"""Knowledge bases, users, roles and grants (assistant/access.py), through ``python -m assistant``."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from assistant.access import ADMIN, MAINTAINER, READER, AccessError, AccessStore
from assistant.cli import EXIT_ACCESS, main
from assistant.settings import Settings


def cli(argv: list[str], settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv, settings=settings)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_knowledge_bases_are_created_listed_and_deleted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    assert cli(["kb", "create", "州一中"], settings, capsys, monkeypatch)[0] == 0
    code, out, _ = cli(["kb", "list"], settings, capsys, monkeypatch)
    assert code == 0 and out.splitlines() == ["默认\t0 个文件", "州一中\t0 个文件"]
    code, _, err = cli(["kb", "create", "州一中"], settings, capsys, monkeypatch)
    assert code == EXIT_ACCESS and "已存在" in err
    for bad in ["../etc", "<script>", "a'; DROP TABLE kbs;--", "x" * 65, ""]:
        code, _, err = cli(["kb", "create", bad], settings, capsys, monkeypatch)
        assert code == EXIT_ACCESS and err.strip(), bad
    assert cli(["kb", "delete", "默认"], settings, capsys, monkeypatch)[0] == EXIT_ACCESS
    assert cli(["kb", "delete", "州一中"], settings, capsys, monkeypatch)[0] == 0
    assert AccessStore(settings.index_dir).knowledge_bases() == ["默认"]


def test_index_into_an_unknown_knowledge_base_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    code, _, err = cli(["index", "--kb", "没有", str(tmp_path)], settings, capsys, monkeypatch)
    assert code == EXIT_ACCESS and "没有这个知识库" in err
    assert not (tmp_path / "index" / "current.json").exists()


def test_users_are_added_granted_and_disabled_and_passwords_are_stored_hashed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    cli(["kb", "create", "州一中"], settings, capsys, monkeypatch)
    assert cli(["users", "add", "张三", "--role", MAINTAINER], settings, capsys, monkeypatch, "口令-secret-1\n")[0] == 0
    assert cli(["users", "add", "李四"], settings, capsys, monkeypatch, "口令-secret-2\n")[0] == 0
    assert cli(["users", "grant", "张三", "--kb", "州一中"], settings, capsys, monkeypatch)[0] == 0
    code, out, _ = cli(["users", "list"], settings, capsys, monkeypatch)
    assert "张三\t维护人员\t启用\t州一中" in out and "李四\t使用人员\t启用\t（无）" in out
    code, _, err = cli(["users", "add", "王五"], settings, capsys, monkeypatch, "short\n")
    assert code == EXIT_ACCESS and "至少" in err

    store = AccessStore(settings.index_dir)
    assert store.verify("张三", "口令-secret-1") and not store.verify("张三", "口令-secret-2")
    assert not store.verify("nobody", "口令-secret-1")
    assert store.readable("张三") == ("州一中",) and store.maintainable("张三") == ("州一中",)
    assert store.readable("李四") == () and store.maintainable("李四") == ()
    # Never the password itself, in any form the database holds.
    raw = (settings.index_dir / "access.sqlite").read_bytes()
    wal = settings.index_dir / "access.sqlite-wal"
    raw += wal.read_bytes() if wal.exists() else b""
    assert "口令-secret-1".encode() not in raw and b"secret" not in raw
    hashes = [bytes(r[0]) for r in sqlite3.connect(store.path).execute("SELECT password_hash FROM users")]
    assert all(h.startswith(b"$2b$") for h in hashes)

    assert cli(["users", "passwd", "张三"], settings, capsys, monkeypatch, "新口令-secret-3\n")[0] == 0
    assert store.verify("张三", "新口令-secret-3") and not store.verify("张三", "口令-secret-1")
    assert cli(["users", "disable", "张三"], settings, capsys, monkeypatch)[0] == 0
    assert not store.verify("张三", "新口令-secret-3") and store.readable("张三") == ()
    assert cli(["users", "revoke", "张三", "--kb", "州一中"], settings, capsys, monkeypatch)[0] == 0
    assert store.require_user("张三").kbs == ()


def test_an_admin_reads_every_knowledge_base_and_the_first_one_is_seeded_only_once(tmp_path: Path) -> None:
    store = AccessStore(tmp_path)
    assert store.seed([("admin", "first-password"), ("li", "li-password")]) == ["admin", "li"]
    assert store.seed([("other", "second-password")]) == []
    assert store.require_user("li").role == READER and store.readable("li") == ("默认",)
    store.create_kb("局机关")
    assert store.require_user("admin").role == ADMIN
    assert store.readable("admin") == ("默认", "局机关")
    store.add_user("reader", "reader-password", READER)
    with pytest.raises(AccessError):
        store.require_admin("reader")
    with pytest.raises(AccessError):
        store.add_user("reader", "reader-password", "超级用户")
