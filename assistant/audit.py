"""The audit log: who asked, checked, exported, uploaded, deleted or changed rights, and when.

``<index folder>/audit.sqlite`` holds one table that no code path updates or deletes (SQLite triggers
refuse both). Each row carries the hash of the row before it, and its own hash covers that and all its
fields, so a changed, inserted or removed row breaks the chain: ``python -m assistant audit verify``
names the first row that does not fit. Rows hold the user, the action, the question or measure text,
the documents cited and the export file's name — never a password or an API key (login failures with
an unknown name do not even keep the name: people type their password there by mistake).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# Actions, as the export shows them.
LOGIN_OK, LOGIN_FAILED = "登录成功", "登录失败"
ASK, CHECK, STUDY, LEDGER, SEARCH = "提问", "措施核查", "学习资料", "台账导出", "检索"
UPLOAD, DELETE, REINDEX, INDEX = "上传", "删除", "重新索引", "索引"
USERS, KBS, AUDIT_EXPORT = "用户管理", "知识库管理", "审计日志导出"
TEXT_MAX = 2000
GENESIS = "0" * 64
HEADER = ("序号", "时间", "用户", "操作", "内容", "涉及文件", "导出文件", "前一行校验值", "校验值")


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: float
    user: str
    action: str
    text: str
    docs: tuple[str, ...]
    file: str
    prev: str
    hash: str

    def expected_hash(self) -> str:
        fields = [str(self.id), f"{self.at:.6f}", self.user, self.action, self.text,
                  json.dumps(list(self.docs), ensure_ascii=False), self.file, self.prev]
        return hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()

    def cells(self) -> list[str]:
        return [str(self.id), time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.at)), self.user, self.action,
                self.text, "、".join(self.docs), self.file, self.prev, self.hash]


@dataclass(frozen=True)
class Verification:
    rows: int
    bad_row: int | None  # the first row that does not fit the chain
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.bad_row is None

    def summary(self) -> str:
        if self.ok:
            return f"审计日志完好：共 {self.rows} 条，校验链完整"
        return f"审计日志被改动：第 {self.bad_row} 条{self.reason}（共 {self.rows} 条）"


class AuditLog:
    def __init__(self, index_dir: Path) -> None:
        index_dir.mkdir(parents=True, exist_ok=True)
        self.path = index_dir / "audit.sqlite"
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY, at REAL NOT NULL, user TEXT NOT NULL, "
            "action TEXT NOT NULL, text TEXT NOT NULL, docs TEXT NOT NULL, file TEXT NOT NULL, "
            "prev TEXT NOT NULL, hash TEXT NOT NULL)"
        )
        for verb in ("UPDATE", "DELETE"):
            self._db.execute(
                f"CREATE TRIGGER IF NOT EXISTS audit_no_{verb.lower()} BEFORE {verb} ON audit "
                "BEGIN SELECT RAISE(ABORT, '审计日志只能追加'); END"
            )

    def close(self) -> None:
        self._db.close()

    def record(self, user: str | None, action: str, *, text: str = "", docs: Sequence[str] = (), file: str = "") -> None:
        """Append one row (one writer at a time across processes: the chain must not fork)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                last = self._db.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
                row = AuditRow(
                    id=(last[0] + 1) if last else 1, at=time.time(), user=user or "（本机）", action=action,
                    text=(text or "")[:TEXT_MAX], docs=tuple(dict.fromkeys(docs)), file=file,
                    prev=last[1] if last else GENESIS, hash="",
                )
                self._db.execute(
                    "INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (row.id, row.at, row.user, row.action, row.text, json.dumps(list(row.docs), ensure_ascii=False),
                     row.file, row.prev, row.expected_hash()),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def rows(self, *, user: str = "", action: str = "", limit: int | None = None) -> list[AuditRow]:
        """Rows in order (the newest ``limit`` when given), filtered by user and action."""
        query, params = "SELECT * FROM audit WHERE 1=1", list[str]()
        if user:
            query, params = query + " AND user = ?", [*params, user]
        if action:
            query, params = query + " AND action = ?", [*params, action]
        if limit:
            query = f"SELECT * FROM ({query} ORDER BY id DESC LIMIT {int(limit)})"
        with self._lock:
            found = self._db.execute(query + " ORDER BY id", params).fetchall()
        return [_row(r) for r in found]

    def verify(self) -> Verification:
        prev, expected_id, count = GENESIS, 1, 0
        with self._lock:
            cursor = self._db.execute("SELECT * FROM audit ORDER BY id")
            for raw in cursor:
                count += 1
                row = _row(raw)
                if row.id != expected_id:
                    return Verification(count, expected_id, "缺失（被删除）")
                if row.prev != prev:
                    return Verification(count, row.id, "与前一行的校验值不符（前一行被改动或删除）")
                if row.hash != row.expected_hash():
                    return Verification(count, row.id, "内容与校验值不符（被改动）")
                prev, expected_id = row.hash, expected_id + 1
        return Verification(count, None)

    def export(self, path: Path) -> Path:
        """Every row, as .xlsx or .csv (written as every export is: text cells never become formulas)."""
        from assistant.exports import write_table
        from assistant.views import Table

        rows = [row.cells() for row in self.rows()]
        return write_table(Table("审计日志", HEADER, rows, (6, 20, 12, 10, 60, 40, 24, 20, 20)), path)


def _row(raw: tuple[object, ...]) -> AuditRow:
    rid, at, user, action, text, docs, file, prev, digest = raw
    return AuditRow(int(str(rid)), float(str(at)), str(user), str(action), str(text),
                    tuple(json.loads(str(docs))), str(file), str(prev), str(digest))
