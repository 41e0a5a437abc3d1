"""scripts/install_service.sh in its dry mode (``--root DIR``, DESTDIR-style): the files it would put
on a systemd machine, checked as systemd and the app will read them.

systemd does not run here, so the service is not started; ``systemd-analyze verify`` (when installed)
checks the unit's syntax, every directive and the executables it names. The prefix is a folder whose
``.venv`` is this test run's own virtualenv, which has the ``zgt`` and ``zgt-web`` entry points of the
editable install (scripts/setup.sh).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT, Settings

SCRIPT = PROJECT_ROOT / "scripts" / "install_service.sh"
USERS = "admin:甲乙 丙 pass,auditor:second-secret"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")

pytestmark = pytest.mark.skipif(
    not (Path(sys.prefix) / "bin" / "zgt-web").exists(),
    reason="this virtualenv has no zgt-web entry point (run bash scripts/setup.sh)",
)


@pytest.fixture
def prefix(tmp_path: Path) -> Path:
    folder = tmp_path / "opt" / "zhenggaitong"
    folder.mkdir(parents=True)
    (folder / ".venv").symlink_to(Path(sys.prefix))
    return folder


def install(root: Path, prefix: Path, *args: str, users: str | None = USERS) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ZGT_WEB_USERS"}
    if users is not None:
        env["ZGT_WEB_USERS"] = users
    return subprocess.run(["bash", str(SCRIPT), "--root", str(root), "--prefix", str(prefix), *args],
                          env=env, capture_output=True, text=True, check=False, timeout=120)


def directives(unit: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in unit.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_dry_install_writes_a_hardened_unit_settings_and_log_rotation(tmp_path: Path, prefix: Path) -> None:
    root = tmp_path / "root"
    proc = install(root, prefix, "--host", "0.0.0.0", "--port", "8123")
    assert proc.returncode == 0, proc.stderr
    assert "未创建用户，未启动服务" in proc.stdout

    unit = root / "etc" / "systemd" / "system" / "zhenggaitong.service"
    d = directives(unit)
    assert "@" not in unit.read_text(encoding="utf-8").replace("multi-user", "")  # every placeholder filled
    assert d["User"] == ["zhenggaitong"] and d["Group"] == ["zhenggaitong"]
    assert d["ExecStart"] == [f"{prefix}/.venv/bin/zgt-web"]
    assert d["ExecStartPre"][0].startswith(f"{prefix}/.venv/bin/zgt index")
    assert d["EnvironmentFile"] == ["/etc/zhenggaitong/zhenggaitong.env"]
    assert d["Restart"] == ["on-failure"]
    assert d["NoNewPrivileges"] == ["true"] and d["ProtectSystem"] == ["strict"] and d["PrivateTmp"] == ["true"]
    assert set(d["ReadWritePaths"][0].split()) == {"/var/lib/zhenggaitong", "/var/log/zhenggaitong",
                                                    "/var/cache/zhenggaitong"}
    assert d["StandardOutput"] == ["append:/var/log/zhenggaitong/zhenggaitong.log"]

    env_file = root / "etc" / "zhenggaitong" / "zhenggaitong.env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600  # it holds the login passwords
    # Read back exactly as the app reads its settings.
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.web_host == "0.0.0.0" and settings.web_port == 8123
    assert settings.web_users.get_secret_value() == USERS
    assert settings.index_dir == Path("/var/lib/zhenggaitong/index")
    assert settings.uploads_dir == Path("/var/lib/zhenggaitong/uploads")
    assert settings.docs_dir == prefix / "docs"

    rotate = (root / "etc" / "logrotate.d" / "zhenggaitong").read_text(encoding="utf-8")
    assert "/var/log/zhenggaitong/*.log" in rotate and "copytruncate" in rotate and "su zhenggaitong zhenggaitong" in rotate
    for folder in ("var/lib/zhenggaitong/index", "var/lib/zhenggaitong/uploads", "var/log/zhenggaitong"):
        assert (root / folder).is_dir(), folder


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
def test_the_unit_passes_systemd_analyze_and_a_broken_one_does_not(tmp_path: Path, prefix: Path) -> None:
    root = tmp_path / "root"
    assert install(root, prefix).returncode == 0
    unit = root / "etc" / "systemd" / "system" / "zhenggaitong.service"
    assert SYSTEMD_ANALYZE is not None
    good = subprocess.run([SYSTEMD_ANALYZE, "verify", str(unit)], capture_output=True, text=True, check=False)
    assert good.returncode == 0 and not good.stdout + good.stderr, good.stderr
    # A misspelt hardening directive is only a warning to systemd; the script must treat it as an error.
    template = PROJECT_ROOT / "deploy" / "zhenggaitong.service"
    broken_tree = tmp_path / "broken"
    shutil.copytree(PROJECT_ROOT / "scripts", broken_tree / "scripts")
    shutil.copytree(PROJECT_ROOT / "deploy", broken_tree / "deploy")
    (broken_tree / "deploy" / "zhenggaitong.service").write_text(
        template.read_text(encoding="utf-8").replace("ProtectSystem=strict", "ProtectSytem=strict"), encoding="utf-8")
    proc = subprocess.run(["bash", str(broken_tree / "scripts" / "install_service.sh"), "--root", str(tmp_path / "r2"),
                           "--prefix", str(prefix)], env={**os.environ, "ZGT_WEB_USERS": USERS},
                          capture_output=True, text=True, check=False)
    assert proc.returncode != 0 and "ProtectSytem" in proc.stderr and "verify 未通过" in proc.stderr


def test_no_login_users_no_service(tmp_path: Path, prefix: Path) -> None:
    root = tmp_path / "root"
    proc = install(root, prefix, users=None)
    assert proc.returncode == 1
    assert "必须开启登录" in proc.stderr and "ZGT_WEB_USERS" in proc.stderr
    assert not (root / "etc" / "systemd").exists()
    bad = install(root, prefix, users='admin:"quoted"')
    assert bad.returncode == 1 and not (root / "etc" / "systemd").exists()


def test_running_again_keeps_the_settings(tmp_path: Path, prefix: Path) -> None:
    root = tmp_path / "root"
    assert install(root, prefix).returncode == 0
    env_file = root / "etc" / "zhenggaitong" / "zhenggaitong.env"
    edited = env_file.read_text(encoding="utf-8") + "ZGT_RERANK=true\n"
    env_file.write_text(edited, encoding="utf-8")
    again = install(root, prefix, users=None)  # the users are in the kept file already
    assert again.returncode == 0, again.stderr
    assert "保留已有设置" in again.stdout
    assert env_file.read_text(encoding="utf-8") == edited


def test_a_prefix_without_an_install_or_under_home_is_refused(tmp_path: Path) -> None:
    proc = install(tmp_path / "root", tmp_path / "nothing-here")
    assert proc.returncode == 1 and "install.sh" in proc.stderr
    home_prefix = Path("/home/zgt-test-prefix")
    proc = install(tmp_path / "root", home_prefix)
    assert proc.returncode == 1 and "ProtectHome" in proc.stderr
    assert not (tmp_path / "root" / "etc").exists()


@pytest.mark.skipif(shutil.which("logrotate") is None, reason="logrotate is not installed")
def test_the_logrotate_file_rotates_a_log_in_place(tmp_path: Path, prefix: Path) -> None:
    """The written file, pointed at a temporary log folder and run as this user: copytruncate keeps
    the file systemd appends to, and moves its contents to .1."""
    import grp
    import pwd

    root = tmp_path / "root"
    assert install(root, prefix).returncode == 0
    logs = tmp_path / "logs"
    logs.mkdir()
    log = logs / "zhenggaitong.log"
    log.write_text("整改通已启动\n", encoding="utf-8")
    me, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    conf = (root / "etc" / "logrotate.d" / "zhenggaitong").read_text(encoding="utf-8")
    conf = conf.replace("/var/log/zhenggaitong", str(logs)).replace("su zhenggaitong zhenggaitong", f"su {me} {group}")
    (tmp_path / "rotate.conf").write_text(conf, encoding="utf-8")
    proc = subprocess.run(["logrotate", "--force", "--state", str(tmp_path / "state"), str(tmp_path / "rotate.conf")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert log.exists() and log.stat().st_size == 0
    assert (logs / "zhenggaitong.log.1").read_text(encoding="utf-8") == "整改通已启动\n"
