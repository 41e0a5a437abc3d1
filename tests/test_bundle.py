"""The offline bundle, end to end: built here, installed where there is no network at all.

``scripts/bundle.sh`` builds the bundle from the local wheelhouse (the registry only fills it on a
machine that has never built one). Everything after that runs inside a network namespace that has
only loopback (``unshare --net``): install.sh, indexing, a question, a measure check and the web page,
so any attempt to reach a registry or a model hub fails the test instead of quietly succeeding. The
install folder is a tmpfs in a private mount namespace, which makes the disk sizes real: a too-small
disk is refused up front, a disk that fills up during an upgrade leaves the running version as it was.

Then an upgrade to a bundle of version N+1 (the source tree copied and its version bumped, wheels
reused from the wheelhouse) keeps the index, an uploaded document and the settings, and a rollback
returns to N; both answer. Timings go to artifacts/bundle_timings.json (README, 内网部署).

Needs root (namespaces, mount) and util-linux's unshare/nsenter; skipped with the reason otherwise.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import PROJECT_ROOT, Settings
from tests.servers import stop_process

QUESTION = "保密工作是怎么整改的？"
MEASURE = "组织干部职工签订保密承诺书"
UPLOAD_NAME = "市测绘院门禁系统整改情况的报告.txt"
UPLOAD_TEXT = """市测绘院关于门禁系统安全问题整改情况的报告

一、整改落实情况
（一）针对门禁系统口令长期未更换的问题
一是于2026年3月15日前完成全部门禁终端的出厂口令更换，口令每九十天更换一次。
二是建立门禁系统访问日志每周核查制度，由办公室指定专人负责核查并登记。
"""
UPLOAD_QUESTION = "门禁系统访问日志多久核查一次？"
UPLOAD_QUOTE = "每周核查"
SETTINGS_MARK = "ZGT_LOGIN_MAX_FAILURES=7  # kept across upgrades (test mark)"
TIMINGS = PROJECT_ROOT / "artifacts" / "bundle_timings.json"
STEP_TIMEOUT = 1200


def why_no_sandbox() -> str | None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root: a network namespace (unshare --net) and a tmpfs mount"
    for tool in ("unshare", "nsenter", "ip", "mount", "tar", "sha256sum"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    probe = subprocess.run(["unshare", "--net", "--mount", "true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return f"namespaces are not permitted here: {probe.stderr.strip()}"
    return None


SKIP_REASON = why_no_sandbox()
pytestmark = [pytest.mark.bundle, pytest.mark.skipif(SKIP_REASON is not None, reason=SKIP_REASON or "")]


def target_environment(home: Path) -> dict[str, str]:
    """This machine's environment as a target machine would have it: none of the product's settings
    and none of the offline switches the test scripts export (the product must set those itself)."""
    dropped = ("ZGT_", "HF_", "TRANSFORMERS_", "GRADIO_", "ANONYMIZED_", "LANGSMITH_", "LANGCHAIN_", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.update(HOME=str(home), LANG="C.UTF-8", PYTHONDONTWRITEBYTECODE="")
    env.pop("PYTHONDONTWRITEBYTECODE")
    return env


def shown(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"


@dataclass
class Sandbox:
    """A network namespace with only loopback and a mount namespace with a tmpfs at ``target``,
    held open by one ``sleep``; every command enters both with nsenter. Killing the holder takes
    the namespaces and the tmpfs with it."""

    target: Path
    env: dict[str, str]
    holder: subprocess.Popen[str] = field(init=False)

    def open(self, size_mb: int) -> Sandbox:
        self.target.mkdir(parents=True)
        script = (f"ip link set lo up && mount -t tmpfs -o size={size_mb}m zgt-bundle-test '{self.target}' "
                  "&& echo ready && exec sleep 86400")
        self.holder = subprocess.Popen(["unshare", "--net", "--mount", "--propagation", "private", "--", "sh", "-c",
                                        script], stdout=subprocess.PIPE, text=True)
        assert self.holder.stdout is not None
        assert self.holder.stdout.readline().strip() == "ready", "the namespace holder did not start"
        return self

    def command(self, *cmd: str | Path) -> list[str]:
        return ["nsenter", "-t", str(self.holder.pid), "--net", "--mount", "--", *map(str, cmd)]

    def run(self, *cmd: str | Path, env: dict[str, str] | None = None, check: bool = True,
            timeout: float = STEP_TIMEOUT) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(self.command(*cmd), capture_output=True, text=True, env=env or self.env,
                              timeout=timeout, check=False)
        if check:
            assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed: {shown(proc)}"
        return proc

    def seen(self, path: Path) -> Path:
        """``path`` as the test process sees it: through the holder's mount namespace."""
        return Path(f"/proc/{self.holder.pid}/root") / path.relative_to("/")

    def resize(self, size_mb: int) -> None:
        self.run("mount", "-o", f"remount,size={size_mb}m", self.target)

    def close(self) -> None:
        self.holder.kill()
        self.holder.wait(timeout=30)


@dataclass
class Bundle:
    archive: Path
    folder: Path
    version: str
    seconds: float


def machine_cache() -> dict[str, str]:
    """The machine's embedding cache for bundle.sh's vectors, also when it builds from a copy of the tree
    (which has no data/ of its own): the sample documents are embedded once per machine."""
    cache = Settings().embedding_cache
    return {"ZGT_EMBEDDING_CACHE": str(cache)} if cache is not None else {}


def require_free_disk(folder: Path, need_bytes: int, what: str) -> None:
    """A clear failure instead of tar's "Wrote only 2048 of 10240 bytes" when the test's own disk is short."""
    free = shutil.disk_usage(folder).free
    if free < need_bytes:
        pytest.fail(f"{what} needs about {need_bytes // 1_000_000} MB free under {folder}, "
                    f"only {free // 1_000_000} MB are: free the disk (old test folders, clones) and rerun")


def build_bundle(source: Path, out: Path, extract_to: Path, *, expected_bytes: int) -> Bundle:
    # The archive and its unpacked copy, side by side (the staged wheels are hard links to the wheelhouse).
    out.mkdir(parents=True, exist_ok=True)
    require_free_disk(out, 2 * expected_bytes + 200_000_000, f"building {source.name}'s bundle")
    started = time.perf_counter()
    proc = subprocess.run(["bash", str(source / "scripts" / "bundle.sh"), "--out", str(out)], cwd=source,
                          env={**os.environ, "PYTHON": sys.executable, **machine_cache()}, capture_output=True, text=True,
                          timeout=STEP_TIMEOUT, check=False)
    assert proc.returncode == 0, f"bundle.sh failed: {shown(proc)}"
    seconds = time.perf_counter() - started
    archive = Path(re.search(r"安装包：(\S+\.tar)", proc.stdout).group(1))  # type: ignore[union-attr]
    checksum = archive.with_name(archive.name + ".sha256").read_text(encoding="utf-8").split()[0]
    assert checksum in proc.stdout, "bundle.sh prints the archive's sha256"
    assert re.search(r"大小：\d+ MB", proc.stdout), proc.stdout
    extract_to.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-xf", str(archive), "-C", str(extract_to)], check=True)
    folder = extract_to / archive.name.removesuffix(".tar")
    version = re.search(r"^ZGT_BUNDLE_VERSION=(\S+)$", (folder / "bundle.env").read_text(encoding="utf-8"),
                        re.MULTILINE).group(1)  # type: ignore[union-attr]
    return Bundle(archive, folder, version, seconds)


def record(**figures: Any) -> None:
    TIMINGS.parent.mkdir(exist_ok=True)
    data = json.loads(TIMINGS.read_text(encoding="utf-8")) if TIMINGS.exists() else {}
    data.update(figures)
    TIMINGS.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Fixtures: one bundle, one sandbox, one install for the whole module
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bundle")


def wheelhouse_bytes() -> int:
    """What the wheels of the last bundle built on this machine weigh (0 before the first one)."""
    house = Path(os.environ.get("ZGT_WHEELHOUSE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                 / "zhenggaitong" / "wheelhouse")
    return sum(p.stat().st_size for p in house.glob("*.whl")) if house.is_dir() else 0


@pytest.fixture(scope="module")
def bundle(work: Path) -> Bundle:
    built = build_bundle(PROJECT_ROOT, work / "dist", work / "unpacked", expected_bytes=wheelhouse_bytes())
    record(bundle_mb=round(built.archive.stat().st_size / 1e6), bundle_build_seconds=round(built.seconds, 1))
    return built


@pytest.fixture(scope="module")
def sandbox(work: Path) -> Iterator[Sandbox]:
    (work / "home").mkdir()
    box = Sandbox(work / "target", target_environment(work / "home")).open(size_mb=64)
    try:
        yield box
    finally:
        box.close()


@dataclass
class Install:
    dir: Path
    seconds: float
    output: str


@pytest.fixture(scope="module")
def installed(bundle: Bundle, sandbox: Sandbox) -> Install:
    install_dir = sandbox.target / "zhenggaitong"
    # First on a 64 MB disk: refused before anything is written, with the space it needs.
    small = sandbox.run("bash", bundle.folder / "install.sh", install_dir, check=False)
    assert small.returncode == 5, shown(small)
    need = int(re.search(r"需要约 (\d+) MB", small.stderr).group(1))  # type: ignore[union-attr]
    assert "磁盘空间不足" in small.stderr and not sandbox.seen(install_dir).exists()
    # Then on a disk with room for this version and not for a second one (see the upgrade test).
    sandbox.resize(need + 150)
    started = time.perf_counter()
    proc = sandbox.run("bash", bundle.folder / "install.sh", install_dir)
    seconds = time.perf_counter() - started
    output = proc.stdout + proc.stderr
    record(install_seconds_in_namespace=round(seconds, 1), install_output=output.splitlines())
    return Install(install_dir, seconds, output)


def zgt(sandbox: Sandbox, install: Install, *args: str) -> Any:
    proc = sandbox.run(install.dir / ".venv" / "bin" / "zgt", *args, "--json", timeout=300)
    return json.loads(proc.stdout)


def installed_version(sandbox: Sandbox, install: Install) -> str:
    python = install.dir / ".venv" / "bin" / "python"
    return sandbox.run(python, "-c", "import importlib.metadata as m; print(m.version('zhenggaitong'))").stdout.strip()


def assert_answers(sandbox: Sandbox, install: Install, question: str, quote: str) -> None:
    answer = zgt(sandbox, install, "ask", question)
    assert answer["found"], answer
    quotes = [c["quote"] for c in answer["citations"]]
    assert any(quote in q for q in quotes), f"no citation quoting {quote!r}: {quotes}"


# ---------------------------------------------------------------------------------------------
# Bad bundles and machines: refused before anything is touched (no install needed)
# ---------------------------------------------------------------------------------------------
def linked_copy(folder: Path, dest: Path) -> Path:
    """A copy of an unpacked bundle made of hard links (cheap); replace a file before changing it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-al", str(folder), str(dest)], check=True)
    return dest


def test_a_corrupt_bundle_is_refused_before_anything_is_touched(bundle: Bundle, work: Path) -> None:
    copy = linked_copy(bundle.folder, work / "corrupt" / bundle.folder.name)
    wheel = min((copy / "wheels").glob("*.whl"), key=lambda p: p.stat().st_size)
    data = bytearray(wheel.read_bytes())
    data[len(data) // 2] ^= 0xFF
    wheel.unlink()  # break the hard link: the original bundle stays intact
    wheel.write_bytes(bytes(data))
    target = work / "corrupt-target"
    proc = subprocess.run(["bash", str(copy / "install.sh"), str(target)], capture_output=True, text=True, check=False)
    assert proc.returncode == 3, shown(proc)
    assert "校验失败" in proc.stderr and wheel.name in proc.stderr
    assert not target.exists()


def test_a_truncated_archive_is_refused_before_anything_is_touched(bundle: Bundle, work: Path) -> None:
    folder = work / "truncated"
    folder.mkdir()
    archive = folder / bundle.archive.name
    with bundle.archive.open("rb") as src, archive.open("wb") as dst:
        dst.write(src.read(20_000_000))  # the first 20 MB: install.sh and a few wheels
    shutil.copy(bundle.archive.with_name(bundle.archive.name + ".sha256"), folder)
    untar = subprocess.run(["tar", "-xf", archive.name], cwd=folder, capture_output=True, check=False)
    assert untar.returncode != 0, "tar should notice the truncation"
    target = work / "truncated-target"
    proc = subprocess.run(["bash", str(folder / bundle.folder.name / "install.sh"), str(target)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 3, shown(proc)
    assert "不符" in proc.stderr and "未做任何改动" in proc.stderr
    assert not target.exists()
    # Without the archive beside it, the unpacked remains are still refused: files are missing.
    archive.unlink()
    proc = subprocess.run(["bash", str(folder / bundle.folder.name / "install.sh"), str(target)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 3 and "校验失败" in proc.stderr, shown(proc)
    assert not target.exists()


def tools_without_python(folder: Path) -> Path:
    """A PATH folder with what install.sh uses before its Python check, and no Python at all."""
    folder.mkdir()
    for tool in ("bash", "sh", "sha256sum", "tar", "df", "cut", "uname", "getconf", "awk", "sort", "head",
                 "dirname", "basename", "cat", "grep", "sed"):
        found = shutil.which(tool)
        if found:
            (folder / tool).symlink_to(found)
    return folder


def test_a_machine_without_python_311_is_told_what_to_install(bundle: Bundle, work: Path) -> None:
    target = work / "nopython-target"
    bare = {"PATH": str(tools_without_python(work / "bare-bin")), "LANG": "C.UTF-8", "HOME": str(work)}
    proc = subprocess.run([bare["PATH"] + "/bash", str(bundle.folder / "install.sh"), str(target)], env=bare,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 4, shown(proc)
    assert "需要 Python 3.11" in proc.stderr and "没有找到任何 python3" in proc.stderr
    assert "python3.11-venv" in proc.stderr  # says what to install, not only what is missing
    assert not target.exists()


def other_pythons() -> Iterator[str]:
    """Pythons that run and are not 3.11 (pyenv's shims are skipped: they may run another version)."""
    candidates = [shutil.which(n) for n in ("python3.12", "python3.10", "python3.13")]
    candidates += [str(p) for p in sorted(Path("/root/.pyenv/versions").glob("3.1[02]*/bin/python3"))]
    for c in candidates:
        if c and "shims" not in c:
            ver = subprocess.run([c, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True,
                                 text=True, check=False).stdout.strip()
            if ver and ver != "(3, 11)":
                yield c


def test_another_python_version_is_named_and_refused(bundle: Bundle, work: Path) -> None:
    other = next((p for p in other_pythons() if p), None)
    if other is None:
        pytest.skip("no Python other than 3.11 on this machine")
    target = work / "otherpython-target"
    proc = subprocess.run(["bash", str(bundle.folder / "install.sh"), str(target)],
                          env={**os.environ, "PYTHON": other}, capture_output=True, text=True, check=False)
    assert proc.returncode == 4, shown(proc)
    assert re.search(r"是 Python 3\.1[02]", proc.stderr), proc.stderr
    assert not target.exists()


# ---------------------------------------------------------------------------------------------
# The install, with no network
# ---------------------------------------------------------------------------------------------
def test_installs_indexes_answers_checks_and_serves_with_no_network(sandbox: Sandbox, installed: Install) -> None:
    # Really no way out: not even a name lookup or a route.
    probe = sandbox.run(sys.executable, "-c", "import socket; socket.create_connection(('1.1.1.1', 443), timeout=3)",
                        check=False)
    assert probe.returncode != 0 and "unreachable" in probe.stderr.lower(), shown(probe)
    assert "索引完成：新增 30" in installed.output, installed.output
    # The first index read the bundle's vectors instead of running the encoder: the machine's cache (in
    # data/, kept across upgrades) holds exactly the shipped vectors, one per chunk written.
    shipped = re.search(r"读入随附向量 (\d+) 个", installed.output)
    written = re.search(r"写入 (\d+) 个片段", installed.output)
    assert shipped and written and shipped.group(1) == written.group(1), installed.output
    count = ("import sqlite3, sys\n"
             "print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM vectors').fetchone()[0])")
    cache = installed.dir / "data" / "embedding_cache.sqlite"
    assert sandbox.run(installed.dir / ".venv" / "bin" / "python", "-c", count, cache).stdout.strip() == written.group(1)
    assert "zgt-web" in installed.output and "zgt ask" in installed.output  # the start commands

    assert_answers(sandbox, installed, QUESTION, "保密")
    check = zgt(sandbox, installed, "check", MEASURE)
    assert check["verdict"] == "exists", check

    # The web app on loopback inside the namespace, fetched from inside it.
    server = subprocess.Popen(sandbox.command(installed.dir / ".venv" / "bin" / "zgt-web", "--port", "7860"),
                              env=sandbox.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    fetch = ("import sys, time, urllib.request\n"
             "for _ in range(180):\n"
             "    try:\n"
             "        page = urllib.request.urlopen('http://127.0.0.1:7860/', timeout=5).read().decode()\n"
             "        print(page); sys.exit(0)\n"
             "    except OSError:\n"
             "        time.sleep(1)\n"
             "sys.exit('no page')\n")
    try:
        page = sandbox.run(sys.executable, "-c", fetch, timeout=240).stdout
    finally:
        stop_process(server)
    assert "整改通" in page and "<html" in page.lower()


# ---------------------------------------------------------------------------------------------
# Upgrade to N+1 (a full disk first), rollback to N, forward again
# ---------------------------------------------------------------------------------------------
def bumped(version: str) -> str:
    major, minor, patch = (int(p) for p in version.split(".")[:3])
    return f"{major}.{minor}.{patch + 1}"


def source_copy(dest: Path, version: str) -> Path:
    skip = shutil.ignore_patterns(".git", ".venv", "data", "dist", "build", "artifacts", "*.egg-info", "__pycache__",
                                  ".*_cache")
    shutil.copytree(PROJECT_ROOT, dest, ignore=skip)
    pyproject = dest / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    new = re.sub(r'^version = "[^"]+"', f'version = "{version}"', text, count=1, flags=re.MULTILINE)
    assert new != text
    pyproject.write_text(new, encoding="utf-8")
    return dest


def test_upgrade_keeps_data_survives_a_full_disk_and_rolls_back(
    bundle: Bundle, sandbox: Sandbox, installed: Install, work: Path
) -> None:
    home = installed.dir
    # An upload as the web app stores it, indexed; a setting of the user's own.
    upload = home / "data" / "uploads" / UPLOAD_NAME
    sandbox.seen(upload).write_text(UPLOAD_TEXT, encoding="utf-8")
    report = zgt(sandbox, installed, "index", str(upload))
    assert report["counts"]["added"] == 1, report
    with sandbox.seen(home / "zhenggaitong.env").open("a", encoding="utf-8") as fh:
        fh.write(SETTINGS_MARK + "\n")
    version_n = installed_version(sandbox, installed)
    current_n = os.readlink(sandbox.seen(home / "current"))

    # Version N is installed, and the tests that read its archive and folder come before this one: they
    # go, so that the disk holds one bundle at a time (N+1's archive goes once it is unpacked, too).
    expected = bundle.archive.stat().st_size
    bundle.archive.unlink()
    shutil.rmtree(bundle.folder)
    started = time.perf_counter()
    newer = build_bundle(source_copy(work / "source-next", bumped(bundle.version)), work / "dist-next", work / "unpacked-next",
                         expected_bytes=expected)
    newer.archive.unlink()
    assert newer.version == bumped(bundle.version) != version_n
    record(second_bundle_build_seconds=round(newer.seconds, 1))

    # 1. Not enough room for a second version beside the first: refused, nothing changed.
    proc = sandbox.run("bash", newer.folder / "install.sh", home, check=False)
    assert proc.returncode == 5 and "磁盘空间不足" in proc.stderr, shown(proc)
    assert os.listdir(sandbox.seen(home / "versions")) == [current_n.split("/")[-1]]

    # 2. The check skipped: the disk fills up during pip. A clean failure; version N untouched.
    full = sandbox.run("bash", newer.folder / "install.sh", home, check=False,
                       env={**sandbox.env, "ZGT_INSTALL_SKIP_SPACE_CHECK": "1"})
    assert full.returncode != 0, shown(full)
    assert "No space left on device" in full.stdout + full.stderr and "正在使用的版本没有改动" in full.stderr, shown(full)
    assert os.listdir(sandbox.seen(home / "versions")) == [current_n.split("/")[-1]]
    assert os.readlink(sandbox.seen(home / "current")) == current_n
    assert installed_version(sandbox, installed) == version_n

    # 3. Room made: the upgrade goes through and keeps the index, the upload and the settings.
    sandbox.resize(2 * (sandbox_size_mb(sandbox) + 200))
    upgrade = sandbox.run("bash", newer.folder / "install.sh", home)
    assert installed_version(sandbox, installed) == newer.version
    assert os.readlink(sandbox.seen(home / "previous")) == current_n
    assert "新增 0" in upgrade.stdout and "删除 0" in upgrade.stdout, upgrade.stdout  # the index was kept
    assert SETTINGS_MARK in sandbox.seen(home / "zhenggaitong.env").read_text(encoding="utf-8")
    assert_answers(sandbox, installed, UPLOAD_QUESTION, UPLOAD_QUOTE)

    # 4. Rollback to N: still answers, from the same index.
    back = sandbox.run("bash", home / "rollback.sh")
    assert installed_version(sandbox, installed) == version_n, back.stdout
    assert_answers(sandbox, installed, QUESTION, "保密")

    # 5. Forward again by running N+1's installer once more: nothing is reinstalled.
    again = sandbox.run("bash", newer.folder / "install.sh", home)
    assert "已安装" in again.stdout and "跳过" in again.stdout, again.stdout
    assert installed_version(sandbox, installed) == newer.version
    record(upgrade_test_seconds=round(time.perf_counter() - started, 1))


def sandbox_size_mb(sandbox: Sandbox) -> int:
    out = sandbox.run("df", "-Pm", sandbox.target).stdout.splitlines()[-1].split()
    return int(out[1])
