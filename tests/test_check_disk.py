"""scripts/check_disk.sh: the test command's first step says how much disk is free, and stops at once, naming
the folder, when there is too little (a full disk otherwise fails one test deep into the run, as tar's
"Wrote only 2048 of 10240 bytes")."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "check_disk.sh"


def check_disk(min_mb: int, warn_mb: int, *folders: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), str(min_mb), str(warn_mb), *map(str, folders)],
                          capture_output=True, text=True, check=False, timeout=60)


def free_mb(folder: Path) -> int:
    return shutil.disk_usage(folder).free // (1024 * 1024)


def test_enough_disk_is_reported_and_passes(tmp_path: Path) -> None:
    run = check_disk(0, 0, tmp_path)
    assert run.returncode == 0, run.stderr
    reported = int(run.stdout.split()[-2])
    assert run.stdout.startswith(f"磁盘可用：{tmp_path.resolve()} ")
    assert abs(reported - free_mb(tmp_path)) < 512  # the same figure, give or take what other processes write
    assert run.stderr == ""


def test_too_little_disk_stops_naming_the_folder(tmp_path: Path) -> None:
    need = free_mb(tmp_path) + 10_000_000  # more than this disk has
    run = check_disk(need, need, tmp_path)
    assert run.returncode == 1
    assert f"磁盘空间不足：{tmp_path.resolve()} 只剩" in run.stderr
    assert f"至少需要 {need} MB" in run.stderr


def test_a_short_disk_warns_and_goes_on(tmp_path: Path) -> None:
    run = check_disk(0, free_mb(tmp_path) + 10_000_000, tmp_path)
    assert run.returncode == 0
    assert f"提示：{tmp_path.resolve()} 可用空间少于" in run.stderr


def test_every_folder_is_checked(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    run = check_disk(0, 0, first, second)
    assert [line.split()[0] for line in run.stdout.splitlines()] == [f"磁盘可用：{first}", f"磁盘可用：{second}"]
