"""The 管理 tab's handlers (assistant/admin.py): for 管理员 only, whoever calls them and however."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from assistant.access import ADMIN, MAINTAINER, READER
from assistant.admin import AdminError, AdminHandlers
from assistant.settings import Settings
from assistant.workspace import Workspace


@pytest.fixture
def admin(tmp_path: Path) -> AdminHandlers:
    ws = Workspace(Settings(index_dir=tmp_path / "index"))
    ws.access.add_user("admin", "admin-password-1", ADMIN)
    ws.access.add_user("李四", "reader-password-1", READER)
    ws.access.add_user("张三", "keeper-password-1", MAINTAINER)
    return AdminHandlers(ws, login=True)


def test_a_reader_or_maintainer_calling_admin_handlers_is_refused_and_nothing_changes(admin: AdminHandlers) -> None:
    before = admin.users("admin").rows
    for user in ("李四", "张三", None, "nobody"):
        with pytest.raises(AdminError, match="只有管理员"):
            admin.users(user)
        with pytest.raises(AdminError):
            admin.add_user(user, "王五", "new-password-1", ADMIN)
        with pytest.raises(AdminError):
            admin.grant(user, user or "李四", ["默认"], True)
        with pytest.raises(AdminError):
            admin.create_kb(user, "局机关")
        with pytest.raises(AdminError):
            admin.audit_rows(user)
    assert admin.users("admin").rows == before
    assert admin.knowledge_bases("admin") == ["默认"]


def test_an_admin_manages_users_grants_and_knowledge_bases_and_reads_the_audit_log(admin: AdminHandlers) -> None:
    assert "已建立" in admin.create_kb("admin", "州一中")
    with pytest.raises(AdminError, match="只能包含"):
        admin.create_kb("admin", "<b>州一中</b>")
    assert "已添加" in admin.add_user("admin", "王五", "new-password-1", READER)
    admin.grant("admin", "王五", ["州一中"], True)
    assert admin.ws.access.readable("王五") == ("州一中",)
    admin.grant("admin", "王五", ["州一中"], False)
    assert admin.ws.access.readable("王五") == ()
    with pytest.raises(AdminError, match="自己"):
        admin.set_active("admin", "admin", False)
    admin.set_active("admin", "王五", False)
    assert not admin.ws.access.verify("王五", "new-password-1")
    table, (xlsx, csv), verified = admin.audit_rows("admin", who="admin", action="用户管理")
    assert [row[4] for row in table.rows][:2] == ["disable 王五", "revoke 王五 州一中"]
    cells = [c for row in load_workbook(xlsx).active.iter_rows(values_only=True) for c in row]
    assert "add 王五 使用人员" in cells and not any("new-password-1" in str(c) for c in cells)
    assert "add 王五 使用人员" in csv.read_text(encoding="utf-8-sig") and csv.suffix == ".csv"
    assert "校验链完整" in verified
    assert admin.ws.audit.verify().ok
