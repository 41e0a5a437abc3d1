"""Signed-in sessions end after an idle time and at once for a disabled user; only the product's own
events count as activity (the real app is driven in tests/test_app.py)."""

from __future__ import annotations

from assistant.sessions import SessionBook

COOKIE = "access-token-abc"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def book(clock: Clock, idle: float = 60.0, disabled: frozenset[str] = frozenset()) -> SessionBook:
    return SessionBook(idle, lambda name: name not in disabled, clock)


def test_a_session_idle_longer_than_the_limit_is_signed_out() -> None:
    clock = Clock()
    sessions = book(clock)
    sessions["t1"] = "张三"  # Gradio's login

    clock.now += 59
    assert sessions.get("t1") == "张三"  # a heartbeat, or a page load: not activity
    clock.now += 2
    assert sessions.get("t1") is None
    assert "t1" not in sessions
    assert sessions.get("t1", "nobody") == "nobody"


def test_each_event_starts_the_idle_time_again() -> None:
    clock = Clock()
    sessions = book(clock)
    sessions["t1"] = "张三"
    for _ in range(5):
        clock.now += 50
        sessions.touch({COOKIE: "t1", "other": "t1"})
    assert sessions.get("t1") == "张三"

    sessions.touch({COOKIE: "forged"})  # an unknown token is not signed in by being touched
    assert sessions.get("forged") is None


def test_zero_means_sessions_never_expire_by_idleness() -> None:
    clock = Clock()
    sessions = book(clock, idle=0)
    sessions["t1"] = "张三"
    clock.now += 365 * 86400
    assert sessions.get("t1") == "张三"


def test_a_disabled_user_is_signed_out_of_every_session() -> None:
    disabled: set[str] = set()
    sessions = SessionBook(60, lambda name: name not in disabled, Clock())
    sessions["t1"] = sessions["t2"] = "张三"
    sessions["t3"] = "李四"
    disabled.add("张三")
    assert [sessions.get(t) for t in ("t1", "t2", "t3")] == [None, None, "李四"]


def test_gradio_logout_can_walk_and_remove_the_tokens() -> None:
    sessions = book(Clock())
    sessions["t1"] = sessions["t2"] = "张三"
    for token in list(sessions.keys()):  # as gradio.routes logout(all_session=True)
        if sessions[token] == "张三":
            del sessions[token]
    assert sessions.get("t1") is None and not sessions
