"""The web app's 管理 tab: users, roles, grants, knowledge bases and the audit log, for 管理员 only.

Every handler checks the caller's role itself (a reader calling these endpoints through the HTTP API
is refused like one clicking in the page) and leaves a row in the audit log. Without logins (loopback,
one user) the one user is the administrator.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from assistant import audit
from assistant.access import AccessError
from assistant.views import Table, users_table
from assistant.workspace import Workspace

AUDIT_SHOWN = 500  # the newest rows on screen; the export holds them all


class AdminError(Exception):
    """A refused or impossible administration request; the message is for the page, in Chinese."""


@dataclass
class AdminHandlers:
    ws: Workspace
    login: bool = False

    def _admin(self, user: str | None) -> str | None:
        if not self.login:
            return None
        try:
            return self.ws.access.require_admin(user or "").name
        except AccessError as exc:
            raise AdminError(str(exc)) from exc

    def _done(self, user: str | None, action: str, text: str, message: str) -> str:
        self.ws.audit.record(user, action, text=text)
        return message

    def users(self, user: str | None) -> Table:
        self._admin(user)
        return users_table(self.ws.access.users())

    def knowledge_bases(self, user: str | None) -> list[str]:
        self._admin(user)
        return self.ws.access.knowledge_bases()

    def add_user(self, user: str | None, name: str, password: str, role: str) -> str:
        admin = self._admin(user)
        try:  # the store checks the name, the role and the password
            added = self.ws.access.add_user(name, password, role)
        except AccessError as exc:
            raise AdminError(str(exc)) from exc
        return self._done(admin, audit.USERS, f"add {added.name} {role}", f"已添加用户：{added.name}（{role}）")

    def set_active(self, user: str | None, name: str, active: bool) -> str:
        admin = self._admin(user)
        if admin is not None and name == admin and not active:
            raise AdminError("不能停用自己的账号")
        try:
            self.ws.access.set_active(name, active)
        except AccessError as exc:
            raise AdminError(str(exc)) from exc
        word = "启用" if active else "停用"
        return self._done(admin, audit.USERS, f"{'enable' if active else 'disable'} {name}", f"已{word}用户：{name}")

    def grant(self, user: str | None, name: str, kbs: list[str], granted: bool) -> str:
        admin = self._admin(user)
        if not kbs:
            raise AdminError("请选择知识库")
        try:
            for kb in kbs:
                (self.ws.access.grant if granted else self.ws.access.revoke)(name, kb)
        except AccessError as exc:
            raise AdminError(str(exc)) from exc
        word = "授权" if granted else "收回"
        return self._done(admin, audit.USERS, f"{'grant' if granted else 'revoke'} {name} {'、'.join(kbs)}",
                          f"已{word}：{name} → {'、'.join(kbs)}")

    def create_kb(self, user: str | None, name: str) -> str:
        admin = self._admin(user)
        try:
            created = self.ws.access.create_kb(name)
        except AccessError as exc:
            raise AdminError(str(exc)) from exc
        return self._done(admin, audit.KBS, f"create {created}", f"已建立知识库：{created}")

    def audit_rows(self, user: str | None, who: str = "", action: str = "") -> tuple[Table, list[Path], str]:
        """The newest rows (filtered by user and action) on screen, all of them as .xlsx and .csv, and
        whether the hash chain holds."""
        self._admin(user)
        log = self.ws.audit
        rows = log.rows(user=(who or "").strip(), action=(action or "").strip(), limit=AUDIT_SHOWN)
        table = Table("审计日志", audit.HEADER[:7], [r.cells()[:7] for r in reversed(rows)], (6, 20, 12, 10, 60, 40, 24))
        folder = Path(tempfile.mkdtemp(prefix="zgt-audit-"))
        paths = [log.export(folder / "审计日志.xlsx"), log.export(folder / "审计日志.csv")]
        self.ws.audit.record(user if self.login else None, audit.AUDIT_EXPORT, file="、".join(p.name for p in paths))
        return table, paths, log.verify().summary()
