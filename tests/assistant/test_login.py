"""Web login: failed attempts locked out, passwords compared in constant time, no secret in any log.

Unit tests drive ``LoginGuard`` with a fake clock. The last test starts the real app (``python app.py``)
on a free loopback port with users configured, logs in over HTTP (Gradio's /login form) and reads
everything the process wrote.
"""

from __future__ import annotations

import hmac
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from assistant import login
from assistant.login import LoginGuard, LoginLimits, parse_users
from assistant.settings import PROJECT_ROOT, Settings
from tests.servers import free_port, stop_process

USERS = [("张三", "正确的口令-甲1"), ("li", "pw-li-2")]
LIMITS = LoginLimits(max_failures=3, window_seconds=60, lockout_seconds=120, global_max_failures=100)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_guard(limits: LoginLimits = LIMITS) -> tuple[LoginGuard, FakeClock]:
    clock = FakeClock()
    return LoginGuard(USERS, limits, clock=clock), clock


# ---------------------------------------------------------------------------------------------
# LoginGuard with a fake clock
# ---------------------------------------------------------------------------------------------
def test_right_password_accepted_and_wrong_ones_refused() -> None:
    guard, _ = make_guard()
    assert guard("张三", "正确的口令-甲1")
    assert guard("li", "pw-li-2")
    assert not guard("张三", "pw-li-2")  # another user's password
    assert not guard("张三", "正确的口令-甲")  # a prefix
    assert not guard("nobody", "正确的口令-甲1")
    assert not guard("张三", "")


def test_wrong_passwords_lock_out_and_the_right_password_is_then_refused() -> None:
    guard, clock = make_guard()
    for _ in range(LIMITS.max_failures - 1):
        assert not guard("张三", "猜测")
        clock.advance(1)
    assert not guard.locked("张三")
    assert not guard("张三", "猜测")  # the last allowed failure locks
    assert guard.locked("张三")
    clock.advance(LIMITS.lockout_seconds - 10)
    assert not guard("张三", "正确的口令-甲1")  # right password, still locked
    assert guard.locked("张三")


def test_lockout_expires() -> None:
    guard, clock = make_guard()
    for _ in range(LIMITS.max_failures):
        guard("张三", "猜测")
    clock.advance(LIMITS.lockout_seconds - 0.5)
    assert not guard("张三", "正确的口令-甲1")
    clock.advance(1)
    assert not guard.locked("张三")
    assert guard("张三", "正确的口令-甲1")


def test_failures_older_than_the_window_are_forgotten() -> None:
    guard, clock = make_guard()
    for _ in range(LIMITS.max_failures - 1):
        guard("张三", "猜测")
    clock.advance(LIMITS.window_seconds + 1)
    assert not guard("张三", "猜测")  # counts as the first failure of a new window
    assert not guard.locked("张三")
    assert guard("张三", "正确的口令-甲1")


def test_success_clears_earlier_failures() -> None:
    guard, _ = make_guard()
    for _ in range(LIMITS.max_failures - 1):
        guard("张三", "猜测")
    assert guard("张三", "正确的口令-甲1")
    for _ in range(LIMITS.max_failures - 1):
        guard("张三", "猜测")
    assert not guard.locked("张三")


def test_other_users_are_unaffected_by_a_lockout() -> None:
    guard, _ = make_guard()
    for _ in range(LIMITS.max_failures):
        guard("张三", "猜测")
    assert guard.locked("张三")
    assert not guard.locked("li")
    assert guard("li", "pw-li-2")


def test_failures_across_many_names_lock_every_name() -> None:
    limits = LoginLimits(max_failures=3, window_seconds=60, lockout_seconds=120, global_max_failures=5)
    guard, clock = make_guard(limits)
    for i in range(limits.global_max_failures):  # one guess per name: no single name reaches its limit
        assert not guard(f"user{i}", "123456")
    assert not guard("li", "pw-li-2")  # the right password of a name never tried
    clock.advance(limits.lockout_seconds + 1)
    assert guard("li", "pw-li-2")


def test_passwords_are_compared_with_hmac_compare_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(login.hmac, "compare_digest", spy)
    guard, _ = make_guard()
    assert guard("张三", "正确的口令-甲1")
    assert not guard("张三", "错")
    assert not guard("nobody", "x")  # an unknown name is compared too, against a placeholder
    assert calls[0] == ("正确的口令-甲1".encode(), "正确的口令-甲1".encode())
    assert calls[1] == ("错".encode(), "正确的口令-甲1".encode())
    assert len(calls) == 3 and calls[2][0] == b"x" and calls[2][1] not in {p.encode() for _, p in USERS}


def test_concurrent_failures_are_all_counted() -> None:
    limits = LoginLimits(max_failures=200, window_seconds=60, lockout_seconds=120, global_max_failures=1000)
    guard, _ = make_guard(limits)
    barrier = threading.Barrier(4)

    def attack() -> None:
        barrier.wait()
        for _ in range(49):
            guard("张三", "猜测")

    threads = [threading.Thread(target=attack) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not guard.locked("张三")  # 196 failures
    for _ in range(3):
        guard("张三", "猜测")
    assert not guard.locked("张三")  # 199
    guard("张三", "猜测")
    assert guard.locked("张三")  # 200 exactly


def test_logs_name_the_user_never_a_password(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="assistant.login")
    guard, _ = make_guard()
    guard("张三", "正确的口令-甲1")
    for i in range(LIMITS.max_failures):
        guard("张三", f"猜测{i}")
    guard("张三", "正确的口令-甲1")  # refused while locked
    guard("正确的口令-甲1", "x")  # a password typed into the name box
    text = caplog.text
    assert "已锁定" in text and "'张三'" in text
    assert "（未知用户名）" in text
    for secret in ["正确的口令-甲1", "pw-li-2", *(f"猜测{i}" for i in range(LIMITS.max_failures))]:
        assert secret not in text
    refused = [r for r in caplog.records if "已锁定" in r.getMessage()]
    assert len(refused) == 1 and refused[0].levelno == logging.WARNING
    assert "正确的口令" not in repr(guard)


def test_parse_users() -> None:
    assert parse_users("张三:pw1, li:pw:with:colons,bad,:nouser") == [("张三", "pw1"), ("li", "pw:with:colons")]


# ---------------------------------------------------------------------------------------------
# Settings: limits from ZGT_ variables, secrets never shown
# ---------------------------------------------------------------------------------------------
def test_limits_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZGT_LOGIN_MAX_FAILURES", "7")
    monkeypatch.setenv("ZGT_LOGIN_WINDOW_SECONDS", "90")
    monkeypatch.setenv("ZGT_LOGIN_LOCKOUT_SECONDS", "600")
    monkeypatch.setenv("ZGT_LOGIN_GLOBAL_MAX_FAILURES", "40")
    assert LoginLimits.from_settings(Settings(_env_file=None)) == LoginLimits(7, 90, 600, 40)  # type: ignore[call-arg]
    monkeypatch.setenv("ZGT_LOGIN_MAX_FAILURES", "0")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_settings_never_show_passwords_or_the_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZGT_WEB_USERS", "张三:口令-XYZ-987")
    monkeypatch.setenv("ZGT_LLM_API_KEY", "sk-secret-abc-123")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.web_users.get_secret_value() == "张三:口令-XYZ-987"
    assert settings.llm_api_key.get_secret_value() == "sk-secret-abc-123"
    shown = [repr(settings), str(settings), settings.model_dump_json(), str(settings.model_dump())]
    monkeypatch.setenv("ZGT_WEB_PORT", "not-a-port")  # a validation error lists the settings' input
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None)  # type: ignore[call-arg]
    shown.append(str(error.value))
    for text in shown:
        assert "口令-XYZ-987" not in text and "sk-secret-abc-123" not in text


# ---------------------------------------------------------------------------------------------
# The real app over HTTP
# ---------------------------------------------------------------------------------------------
START_TIMEOUT_SECONDS = 180
MAX_FAILURES = 3


def test_real_app_locks_out_failed_logins_and_logs_no_secret(tmp_path: Path) -> None:
    password, other_password = "马-电池-订书钉-Correct9", "li-口令-Other4"
    api_key = "sk-zgt-test-密钥-4f1c9e77"
    wrong = [f"错误口令-{i}-q7x" for i in range(MAX_FAILURES)]
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "通报.txt").write_text("一、加强保密管理\n（一）组织干部职工签订保密承诺书。\n", encoding="utf-8")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZGT_", "GRADIO_SERVER"))} | {
        "HF_HUB_OFFLINE": "1",
        "ZGT_DOCS_DIR": str(docs),
        "ZGT_INDEX_DIR": str(tmp_path / "index"),
        "ZGT_UPLOADS_DIR": str(tmp_path / "uploads"),
        "ZGT_TRASH_DIR": str(tmp_path / "trash"),
        "ZGT_HISTORY_DIR": str(tmp_path / "history"),
        "ZGT_WEB_USERS": f"张三:{password},li:{other_password}",
        "ZGT_LOGIN_MAX_FAILURES": str(MAX_FAILURES),
        "ZGT_LOGIN_WINDOW_SECONDS": "600",
        "ZGT_LOGIN_LOCKOUT_SECONDS": "600",
        # An LLM configured (never reached: no question is asked), so its key is live configuration.
        "ZGT_LLM_PROVIDER": "openai",
        "ZGT_LLM_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
        "ZGT_LLM_API_KEY": api_key,
    }
    log = tmp_path / "app.log"
    command = [sys.executable, str(PROJECT_ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as sink:  # cwd: a folder without a .env file
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=30) as http:
            started = time.monotonic()
            while True:
                if process.poll() is not None:
                    pytest.fail(f"app exited ({process.returncode}):\n{log.read_text()[-3000:]}")
                if time.monotonic() - started > START_TIMEOUT_SECONDS:
                    pytest.fail(f"app not ready in {START_TIMEOUT_SECONDS} s:\n{log.read_text()[-3000:]}")
                try:
                    http.get("/")
                    break
                except httpx.TransportError:
                    time.sleep(0.5)

            def attempt(user: str, secret: str) -> int:
                return http.post("/login", data={"username": user, "password": secret}).status_code

            assert attempt("张三", password) == 200  # the right password works before any failure
            assert http.cookies  # and a session cookie was issued
            for secret in wrong:
                assert attempt("张三", secret) == 400
            assert attempt("张三", password) == 400  # locked out: the right password is refused
            assert attempt("li", other_password) == 200  # another user is not
    finally:
        stop_process(process)
    output = log.read_text(encoding="utf-8")
    assert "'张三' 已锁定" in output  # the refused attempt was logged, by name
    for secret in [password, other_password, api_key, *wrong]:
        assert secret not in output, f"a secret appears in the app's output: {secret!r}"
