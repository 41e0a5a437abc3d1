"""Who may do what: knowledge bases, users, their roles and grants, kept beside the index.

``<index folder>/access.sqlite`` holds the knowledge bases, the users (passwords as bcrypt hashes, never
the password itself) and each user's grants. Roles: 管理员 reads and maintains every knowledge base and
manages users and knowledge bases; 维护人员 reads, uploads, deletes and re-indexes in the knowledge bases
granted to him; 使用人员 reads (asks, checks, studies, exports the ledger) in his granted ones.

``AccessStore.readable`` is the one place a user becomes the knowledge bases he may read; every read
path narrows the index to them (assistant/workspace.py ``Workspace.within``). Rights are read once per
request, so a grant or revoke while a question runs applies to the next question, never half of one.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import bcrypt

from index.chunking import DEFAULT_KB

ADMIN, MAINTAINER, READER = "管理员", "维护人员", "使用人员"
ROLES = (ADMIN, MAINTAINER, READER)
NAME_MAX = 64
PASSWORD_MIN = 8
PASSWORD_MAX_BYTES = 72  # bcrypt reads no further
# Names are shown on the page, stored in folders' names and in logs: letters (any script), digits and
# a few joiners; nothing that is a path, markup or a quote.
_NAME = re.compile(r"^[\w\u00b7\-]+(?:[ .][\w\u00b7\-]+)*$")


@lru_cache(maxsize=1)
def _dummy_hash() -> bytes:
    """Compared against when the user is unknown, so that path costs the same as a known one."""
    return bcrypt.hashpw(b"not a password", bcrypt.gensalt())


def has_users(index_dir: Path) -> bool:
    """The index folder holds at least one user (read without creating anything)."""
    path = index_dir / "access.sqlite"
    if not path.exists():
        return False
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return bool(db.execute("SELECT COUNT(*) FROM users").fetchone()[0])
    except sqlite3.OperationalError:
        return False
    finally:
        db.close()


class AccessError(Exception):
    """A refused or impossible access request; the message is for the user, in Chinese."""


def check_name(name: str, what: str) -> str:
    """``name`` stripped, or ``AccessError`` when it cannot name a user or a knowledge base."""
    name = unicodedata.normalize("NFC", (name or "").strip())
    if not name:
        raise AccessError(f"{what}不能为空")
    if len(name) > NAME_MAX:
        raise AccessError(f"{what}过长（最多 {NAME_MAX} 个字符）")
    if ".." in name or not _NAME.match(name):
        raise AccessError(f"{what}只能包含文字、数字、空格、“-”“_”“.”“·”：{name[:NAME_MAX]!r}")
    return name


def _check_password(password: str) -> bytes:
    data = (password or "").encode("utf-8")
    if len(password or "") < PASSWORD_MIN:
        raise AccessError(f"密码至少 {PASSWORD_MIN} 个字符")
    if len(data) > PASSWORD_MAX_BYTES:
        raise AccessError(f"密码过长（最多 {PASSWORD_MAX_BYTES} 字节）")
    return data


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccessError(f"角色只能是：{'、'.join(ROLES)}")


@dataclass(frozen=True)
class User:
    name: str
    role: str
    active: bool
    kbs: tuple[str, ...]  # granted knowledge bases (a 管理员 has every one, granted or not)

    @property
    def admin(self) -> bool:
        return self.role == ADMIN


class AccessStore:
    """The access database of one index folder. Thread-safe; several processes may share it (SQLite)."""

    def __init__(self, index_dir: Path) -> None:
        self.path = index_dir / "access.sqlite"
        index_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        with self._db:
            self._db.execute("CREATE TABLE IF NOT EXISTS kbs (name TEXT PRIMARY KEY, created_at REAL NOT NULL)")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, role TEXT NOT NULL, "
                "password_hash BLOB NOT NULL, active INTEGER NOT NULL DEFAULT 1, created_at REAL NOT NULL)"
            )
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS grants (user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE, "
                "kb TEXT NOT NULL REFERENCES kbs(name) ON DELETE CASCADE, PRIMARY KEY (user, kb))"
            )
            self._db.execute("INSERT OR IGNORE INTO kbs VALUES (?, ?)", (DEFAULT_KB, time.time()))

    def close(self) -> None:
        self._db.close()

    # -- knowledge bases --------------------------------------------------------------------------------
    def knowledge_bases(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT name FROM kbs ORDER BY created_at, name")]

    def has_kb(self, name: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM kbs WHERE name = ?", (name,)).fetchone() is not None

    def require_kb(self, name: str) -> str:
        name = check_name(name, "知识库名称")
        if not self.has_kb(name):
            raise AccessError(f"没有这个知识库：{name}（先用 python -m assistant kb create 建立）")
        return name

    def create_kb(self, name: str) -> str:
        name = check_name(name, "知识库名称")
        with self._lock, self._db:
            if self._db.execute("SELECT 1 FROM kbs WHERE name = ?", (name,)).fetchone():
                raise AccessError(f"知识库已存在：{name}")
            self._db.execute("INSERT INTO kbs VALUES (?, ?)", (name, time.time()))
        return name

    def delete_kb(self, name: str) -> None:
        """Forget a knowledge base and its grants (its documents must already be out of the index)."""
        name = self.require_kb(name)
        if name == DEFAULT_KB:
            raise AccessError(f"默认知识库“{DEFAULT_KB}”不能删除")
        with self._lock, self._db:
            self._db.execute("DELETE FROM kbs WHERE name = ?", (name,))

    # -- users --------------------------------------------------------------------------------------------
    def users(self) -> list[User]:
        with self._lock:
            rows = self._db.execute("SELECT name, role, active FROM users ORDER BY name").fetchall()
            return [User(n, r, bool(a), self._grants(n)) for n, r, a in rows]

    def user(self, name: str) -> User | None:
        with self._lock:
            row = self._db.execute("SELECT name, role, active FROM users WHERE name = ?", (name,)).fetchone()
            return User(row[0], row[1], bool(row[2]), self._grants(row[0])) if row else None

    def require_user(self, name: str) -> User:
        user = self.user((name or "").strip())
        if user is None:
            raise AccessError(f"没有这个用户：{(name or '')[:NAME_MAX]}")
        return user

    def _grants(self, name: str) -> tuple[str, ...]:
        return tuple(r[0] for r in self._db.execute("SELECT kb FROM grants WHERE user = ? ORDER BY kb", (name,)))

    def empty(self) -> bool:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0

    def add_user(self, name: str, password: str, role: str = READER) -> User:
        name = check_name(name, "用户名")
        _check_role(role)
        hashed = bcrypt.hashpw(_check_password(password), bcrypt.gensalt())
        with self._lock, self._db:
            if self._db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise AccessError(f"用户已存在：{name}")
            self._db.execute("INSERT INTO users VALUES (?, ?, ?, 1, ?)", (name, role, hashed, time.time()))
        return self.require_user(name)

    def set_password(self, name: str, password: str) -> None:
        user = self.require_user(name)
        hashed = bcrypt.hashpw(_check_password(password), bcrypt.gensalt())
        with self._lock, self._db:
            self._db.execute("UPDATE users SET password_hash = ? WHERE name = ?", (hashed, user.name))

    def set_role(self, name: str, role: str) -> None:
        user = self.require_user(name)
        _check_role(role)
        with self._lock, self._db:
            self._db.execute("UPDATE users SET role = ? WHERE name = ?", (role, user.name))

    def set_active(self, name: str, active: bool) -> None:
        user = self.require_user(name)
        with self._lock, self._db:
            self._db.execute("UPDATE users SET active = ? WHERE name = ?", (int(active), user.name))

    def grant(self, name: str, kb: str) -> None:
        user, kb = self.require_user(name), self.require_kb(kb)
        with self._lock, self._db:
            self._db.execute("INSERT OR IGNORE INTO grants VALUES (?, ?)", (user.name, kb))

    def revoke(self, name: str, kb: str) -> None:
        user = self.require_user(name)
        with self._lock, self._db:
            self._db.execute("DELETE FROM grants WHERE user = ? AND kb = ?", (user.name, (kb or "").strip()))

    def seed(self, pairs: list[tuple[str, str]]) -> list[str]:
        """The users of ``ZGT_WEB_USERS`` when there is no user yet, so an existing deployment keeps its
        logins: the first becomes 管理员, the others 使用人员 of the default knowledge base (which held
        every document before knowledge bases existed). Once there is a user the list is ignored."""
        if not pairs or not self.empty():
            return []
        for n, (name, password) in enumerate(pairs):
            self.add_user(name, password, ADMIN if n == 0 else READER)
            if n:
                self.grant(name, DEFAULT_KB)
        return [name for name, _ in pairs]

    def verify(self, name: str, password: str) -> bool:
        """The password is this active user's. Costs one bcrypt check whether or not the user exists."""
        with self._lock:
            row = self._db.execute("SELECT password_hash, active FROM users WHERE name = ?", (name,)).fetchone()
        data = (password or "").encode("utf-8")[:PASSWORD_MAX_BYTES]
        ok = bcrypt.checkpw(data, bytes(row[0]) if row else _dummy_hash())
        return ok and row is not None and bool(row[1])

    def known(self, name: str) -> bool:
        return self.user(name) is not None

    # -- rights: the one place a user becomes knowledge bases -----------------------------------------
    def readable(self, name: str) -> tuple[str, ...]:
        """The knowledge bases ``name`` may read: every one for an active 管理员, his grants for an
        active 维护人员 or 使用人员, none for a disabled or unknown user."""
        with self._lock:
            user = self.user(name)
            if user is None or not user.active:
                return ()
            if user.admin:
                return tuple(self.knowledge_bases())
            return tuple(kb for kb in user.kbs if self.has_kb(kb))

    def maintainable(self, name: str) -> tuple[str, ...]:
        """The knowledge bases ``name`` may upload to, delete from and re-index."""
        user = self.user(name)
        if user is None or not user.active or user.role == READER:
            return ()
        return self.readable(name)

    def require_admin(self, name: str) -> User:
        user = self.user(name)
        if user is None or not user.active or not user.admin:
            raise AccessError("只有管理员可以管理用户和知识库")
        return user
