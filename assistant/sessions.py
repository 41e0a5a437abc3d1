"""Signed-in web sessions: they end after an idle time, and at once for a disabled or removed user.

Gradio (6.x) keeps its sessions in ``App.tokens`` (cookie token → user name) and never ends one. It looks
a token up with ``tokens.get`` on every request — page load, login check, every event and the page's
heartbeat — so a ``SessionBook`` installed there decides each of them: a session idle too long, or whose
user is no longer active, is dropped and the request is treated as signed out (the page shows the login
form again on reload; an event is refused). Only the product's own events count as activity
(``touch``): the heartbeat an open tab sends every few seconds is not somebody working.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any


class SessionBook(dict[str, str]):
    """``App.tokens`` with idle expiry and disabled users logged out. Thread-safe."""

    def __init__(self, idle_seconds: float, is_active: Callable[[str], bool],
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.idle_seconds = idle_seconds  # 0: sessions never expire by idleness
        self._is_active = is_active
        self._clock = clock
        self._last: dict[str, float] = {}
        self._lock = threading.RLock()

    # -- what Gradio calls ------------------------------------------------------------------------
    def __setitem__(self, token: str, user: str) -> None:  # a login
        with self._lock:
            super().__setitem__(token, user)
            self._last[token] = self._clock()

    def __delitem__(self, token: str) -> None:  # a logout
        with self._lock:
            super().__delitem__(token)
            self._last.pop(token, None)

    def get(self, token: Any, default: Any = None) -> Any:
        with self._lock:
            user = super().get(token)
            if user is None:
                return default
            if self._expired(token) or not self._is_active(user):
                self._drop(token)
                return default
            return user

    def __contains__(self, token: object) -> bool:
        return self.get(token) is not None

    # ``tokens[t]`` stays the plain lookup: Gradio's logout walks the keys with it to end a user's sessions.

    # -- what the product calls -------------------------------------------------------------------
    def touch(self, cookies: Mapping[str, str]) -> None:
        """The session behind these request cookies did something: its idle time starts again."""
        with self._lock:
            for name, token in cookies.items():
                if name.startswith("access-token") and super().get(token) is not None:
                    self._last[token] = self._clock()

    def _expired(self, token: str) -> bool:
        if self.idle_seconds <= 0:
            return False
        return self._clock() - self._last.get(token, 0.0) > self.idle_seconds

    def _drop(self, token: str) -> None:
        super().pop(token, None)
        self._last.pop(token, None)
