"""Web login: checks user names and passwords, and locks out after repeated failures.

Gradio (6.x) calls its ``auth`` callable with the user name and password only, never the request, so
failures cannot be counted per client address. They are counted per user name and, against guessing
one password across many names, over all names together. A locked-out attempt is refused even with
the right password. Logs name the user only, never a password.

The names and passwords are the index's users (assistant/access.py: bcrypt hashes, disabled users
refused); ``ZGT_WEB_USERS`` only seeds them while there is none yet (its first user becomes 管理员).
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from assistant.settings import Settings

log = logging.getLogger(__name__)

# Compared against when the user name is unknown, so that path costs the same as a known one.
_NO_PASSWORD = b"\x00" * 32


def parse_users(spec: str) -> list[tuple[str, str]]:
    """ "user:password" pairs, comma separated; items without both parts are dropped."""
    pairs = []
    for item in spec.split(","):
        user, _, password = item.strip().partition(":")
        if user and password:
            pairs.append((user, password))
    return pairs


@runtime_checkable
class Credentials(Protocol):
    """Checks a password (assistant/access.py ``AccessStore``)."""

    def verify(self, name: str, password: str) -> bool: ...

    def known(self, name: str) -> bool: ...


class PlainCredentials:
    """Name/password pairs held in memory (tests and scripts); compared in constant time."""

    def __init__(self, users: Iterable[tuple[str, str]]) -> None:
        self._passwords = {user: password.encode("utf-8") for user, password in users}

    def __len__(self) -> int:
        return len(self._passwords)

    def verify(self, name: str, password: str) -> bool:
        expected = self._passwords.get(name)
        # Constant time for known and unknown names alike; bytes, as compare_digest takes only ASCII str.
        matches = hmac.compare_digest(password.encode("utf-8"), expected or _NO_PASSWORD)
        return matches and expected is not None

    def known(self, name: str) -> bool:
        return name in self._passwords


# Told of each login decided by a password (not of those refused by a lockout): (user name or None
# when the name is unknown, succeeded).
LoginListener = Callable[[str | None, bool], None]


@dataclass(frozen=True)
class LoginLimits:
    max_failures: int = 5  # per user name within the window
    window_seconds: float = 300.0
    lockout_seconds: float = 300.0
    global_max_failures: int = 50  # all user names together within the window

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginLimits:
        return cls(
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_window_seconds,
            lockout_seconds=settings.login_lockout_seconds,
            global_max_failures=settings.login_global_max_failures,
        )


@dataclass
class _Record:
    failures: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0


class LoginGuard:
    """The ``auth`` callable for Gradio: ``guard(username, password) -> bool``. Thread-safe."""

    def __init__(self, users: Iterable[tuple[str, str]] | Credentials, limits: LoginLimits | None = None,
                 clock: Callable[[], float] = time.monotonic, on_result: LoginListener | None = None) -> None:
        self._credentials = users if isinstance(users, Credentials) else PlainCredentials(users)
        self._on_result = on_result
        self.limits = limits or LoginLimits()
        self._clock = clock
        self._lock = threading.Lock()
        self._records: dict[str, _Record] = {}
        self._all_failures: deque[float] = deque()
        self._all_locked_until = 0.0

    def __repr__(self) -> str:
        return f"LoginGuard(credentials={type(self._credentials).__name__}, limits={self.limits})"

    def __call__(self, username: str, password: str) -> bool:
        now = self._clock()
        shown = self._shown_name(username)
        with self._lock:
            self._forget_expired(now)
            record = self._records.get(username)
            if now < self._all_locked_until:
                log.warning("登录被拒绝：失败次数过多，全部账号暂时锁定（用户 %s）", shown)
                return False
            if record is not None and now < record.locked_until:
                log.warning("登录被拒绝：用户 %s 已锁定，%.0f 秒后解除", shown, record.locked_until - now)
                return False
        # Outside the lock: a password hash takes a while, other logins need not wait for it.
        matches = self._credentials.verify(username, password or "")
        known = self._credentials.known(username)
        with self._lock:
            if matches:
                self._records.pop(username, None)
                log.info("登录成功：用户 %s", shown)
            else:
                self._record_failure(username, shown, now)
        if self._on_result is not None:
            self._on_result(username if known else None, matches)
        return matches

    def locked(self, username: str) -> bool:
        now = self._clock()
        with self._lock:
            record = self._records.get(username)
            return now < self._all_locked_until or (record is not None and now < record.locked_until)

    def _shown_name(self, username: str) -> str:
        # An unknown name is not echoed: people type their password into the name box by mistake.
        return repr(username) if self._credentials.known(username) else "（未知用户名）"

    def _record_failure(self, username: str, shown: str, now: float) -> None:
        limits = self.limits
        record = self._records.setdefault(username, _Record())
        record.failures.append(now)
        self._all_failures.append(now)
        log.warning("登录失败：用户 %s（%.0f 秒内第 %d 次）", shown, limits.window_seconds, len(record.failures))
        if len(record.failures) >= limits.max_failures:
            record.failures.clear()
            record.locked_until = now + limits.lockout_seconds
            log.warning("用户 %s 在 %.0f 秒内登录失败 %d 次，锁定 %.0f 秒", shown, limits.window_seconds,
                        limits.max_failures, limits.lockout_seconds)
        if len(self._all_failures) >= limits.global_max_failures:
            self._all_failures.clear()
            self._all_locked_until = now + limits.lockout_seconds
            log.warning("登录失败总数达到 %d 次，全部账号锁定 %.0f 秒", limits.global_max_failures,
                        limits.lockout_seconds)

    def _forget_expired(self, now: float) -> None:
        # Keeps memory bounded however many user names are tried.
        horizon = now - self.limits.window_seconds
        while self._all_failures and self._all_failures[0] <= horizon:
            self._all_failures.popleft()
        for name in list(self._records):
            record = self._records[name]
            while record.failures and record.failures[0] <= horizon:
                record.failures.popleft()
            if not record.failures and now >= record.locked_until:
                del self._records[name]
