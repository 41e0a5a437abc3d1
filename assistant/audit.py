"""The audit log: who asked, checked, exported, uploaded, deleted or changed rights, and when.

``<index folder>/audit.sqlite`` holds one table that no code path updates or deletes (SQLite triggers
refuse both). Each row carries the hash of the row before it, and its own hash covers that and all its
fields, so a changed, inserted or removed row breaks the chain: ``python -m assistant audit verify``
names the first row that does not fit. Rows hold the user, the action, the question or measure text,
the documents cited and the export file's name — never a password or an API key (login failures with
an unknown name do not even keep the name: people type their password there by mistake).

Retention (``ZGT_AUDIT_RETENTION_DAYS``, ``audit prune``) is the one path that deletes: it removes the rows
older than the limit and appends a checkpoint row naming the last removed row, its hash and how many
went, signed with an HMAC key kept beside the log (``audit.key``, readable by its owner only). ``verify``
then starts the chain at the checkpoint; rows removed any other way still break it. The key lives on
the same disk as the log, so the signature proves the product pruned — not that nobody with the
server's file rights did.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

# Actions, as the export shows them.
LOGIN_OK, LOGIN_FAILED = "登录成功", "登录失败"
ASK, CHECK, STUDY, LEDGER, SEARCH = "提问", "措施核查", "学习资料", "台账导出", "检索"
UPLOAD, DELETE, REINDEX, INDEX = "上传", "删除", "重新索引", "索引"
USERS, KBS, AUDIT_EXPORT, PRUNE = "用户管理", "知识库管理", "审计日志导出", "审计日志清理"
TEXT_MAX = 2000
GENESIS = "0" * 64
log = logging.getLogger(__name__)
_NO_CHANGE = ("CREATE TRIGGER IF NOT EXISTS audit_no_{name} BEFORE {verb} ON audit "
              "BEGIN SELECT RAISE(ABORT, '审计日志只能追加'); END")
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
    def __init__(self, index_dir: Path, clock: Callable[[], float] = time.time) -> None:
        index_dir.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self.path = index_dir / "audit.sqlite"
        self.key_path = index_dir / "audit.key"
        if self.key_path.exists():  # a restored or copied key is made private again
            with contextlib.suppress(OSError):
                self.key_path.chmod(0o600)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY, at REAL NOT NULL, user TEXT NOT NULL, "
            "action TEXT NOT NULL, text TEXT NOT NULL, docs TEXT NOT NULL, file TEXT NOT NULL, "
            "prev TEXT NOT NULL, hash TEXT NOT NULL)"
        )
        for verb in ("UPDATE", "DELETE"):
            self._db.execute(_NO_CHANGE.format(verb=verb, name=verb.lower()))

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """One write transaction, one writer at a time across processes: the chain must not fork."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def record(self, user: str | None, action: str, *, text: str = "", docs: Sequence[str] = (), file: str = "") -> None:
        """Append one row."""
        with self._writing():
            self._append(user, action, (text or "")[:TEXT_MAX], docs, file)

    def _append(self, user: str | None, action: str, text: str, docs: Sequence[str] = (), file: str = "") -> None:
        # A prune always keeps the newest row, so numbering goes on after it.
        last = self._db.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        row = AuditRow(
            id=(last[0] + 1) if last else 1, at=self._clock(), user=user or "（本机）", action=action,
            text=text, docs=tuple(dict.fromkeys(docs)), file=file, prev=last[1] if last else GENESIS, hash="",
        )
        self._db.execute(
            "INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row.id, row.at, row.user, row.action, row.text, json.dumps(list(row.docs), ensure_ascii=False),
             row.file, row.prev, row.expected_hash()),
        )

    def prune(self, days: float, user: str | None = None) -> int:
        """Removes the rows older than ``days`` and appends a signed checkpoint; returns how many went.
        One transaction: a crash leaves the log as it was."""
        if days <= 0:
            raise ValueError("days must be positive")
        cutoff = self._clock() - days * 86400
        key = self._key()
        with self._writing():
            found = self._db.execute(
                "SELECT id, hash FROM audit WHERE id = (SELECT MAX(id) FROM audit WHERE at < ?)", (cutoff,)
            ).fetchone()
            if found is None:
                return 0
            through, through_hash = int(found[0]), str(found[1])
            removed = int(self._db.execute("SELECT COUNT(*) FROM audit WHERE id <= ?", (through,)).fetchone()[0])
            last = self._db.execute("SELECT MAX(id) FROM audit").fetchone()[0]
            if last == through:
                # Every row is old: the newest stays, so the checkpoint has a row to follow.
                through, removed = through - 1, removed - 1
                through_hash = self._db.execute("SELECT prev FROM audit WHERE id = ?", (last,)).fetchone()[0]
            if removed > 0:
                self._db.execute("DROP TRIGGER audit_no_delete")
                self._db.execute("DELETE FROM audit WHERE id <= ?", (through,))
                self._db.execute(_NO_CHANGE.format(verb="DELETE", name="delete"))
                self._append(user, PRUNE, Checkpoint(through, through_hash, removed, cutoff).signed(key))
        return removed

    def _key(self) -> bytes:
        """The checkpoint signing key, made on first use, readable by the log's owner only."""
        path = self.key_path
        if not path.exists():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it meanwhile
                pass
            else:
                with os.fdopen(fd, "wb") as f:
                    f.write(secrets.token_bytes(32))
        return path.read_bytes()

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
            start = self._start()
            if start is not None:
                expected_id, prev = start
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

    def _start(self) -> tuple[int, str] | None:
        """Where the chain starts after a prune: the row after the newest checkpoint signed with this
        log's key (None: no prune, the chain starts at row 1)."""
        first = self._db.execute("SELECT MIN(id) FROM audit").fetchone()[0]
        if first is None or first == 1:
            return None
        key = self.key_path.read_bytes() if self.key_path.exists() else b""
        for (text,) in self._db.execute("SELECT text FROM audit WHERE action = ? ORDER BY id DESC", (PRUNE,)):
            if (checkpoint := Checkpoint.parse(str(text), key)) is not None:
                return checkpoint.through + 1, checkpoint.through_hash
        return None

    def export(self, path: Path) -> Path:
        """Every row, as .xlsx or .csv (written as every export is: text cells never become formulas)."""
        from assistant.exports import write_table
        from assistant.views import Table

        rows = [row.cells() for row in self.rows()]
        return write_table(Table("审计日志", HEADER, rows, (6, 20, 12, 10, 60, 40, 24, 20, 20)), path)


def keep_pruning(audit: AuditLog, days: float, every_seconds: float = 86400.0) -> threading.Thread:
    """Prunes now and then once a day, in a daemon thread: the web app runs for months."""

    def run() -> None:
        while True:
            try:
                removed = audit.prune(days, user="（保留期限）")
                if removed:
                    log.info("审计日志：已清理 %d 条超过 %s 天的记录", removed, days)
            except Exception:  # a locked or full disk: try again tomorrow, the app keeps serving
                log.warning("审计日志清理失败", exc_info=True)
            time.sleep(every_seconds)

    thread = threading.Thread(target=run, name="audit-retention", daemon=True)
    thread.start()
    return thread


@dataclass(frozen=True)
class Checkpoint:
    """What a prune removed: every row up to ``through`` (whose hash the next row's ``prev`` holds)."""

    through: int
    through_hash: str
    removed: int
    cutoff: float

    def _payload(self) -> str:
        return f"{self.through}:{self.through_hash}:{self.removed}:{self.cutoff:.6f}"

    def signed(self, key: bytes) -> str:
        """The checkpoint row's text: readable, then its signature."""
        before = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.cutoff))
        sig = hmac.new(key, self._payload().encode(), hashlib.sha256).hexdigest()
        return (f"已清理 {before} 之前的 {self.removed} 条记录（第 1–{self.through} 条）"
                f"\n{json.dumps({**self.__dict__, 'sig': sig})}")

    @classmethod
    def parse(cls, text: str, key: bytes) -> Checkpoint | None:
        """The checkpoint in a row's text, if its signature holds under ``key``."""
        try:
            data = json.loads(text.rsplit("\n", 1)[-1])
            found = cls(int(data["through"]), str(data["through_hash"]), int(data["removed"]), float(data["cutoff"]))
            sig = str(data["sig"])
        except (ValueError, KeyError, TypeError):
            return None
        expected = hmac.new(key, found._payload().encode(), hashlib.sha256).hexdigest()
        return found if key and hmac.compare_digest(sig, expected) else None


def _row(raw: tuple[object, ...]) -> AuditRow:
    rid, at, user, action, text, docs, file, prev, digest = raw
    return AuditRow(int(str(rid)), float(str(at)), str(user), str(action), str(text),
                    tuple(json.loads(str(docs))), str(file), str(prev), str(digest))
