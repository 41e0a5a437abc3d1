"""Collects the wheels of a lock file for the offline bundle (called by scripts/bundle.sh).

    python scripts/wheelhouse.py --lock locks/runtime.txt --platform x86_64 \
        --wheelhouse ~/.cache/zhenggaitong/wheelhouse --dest STAGE/wheels \
        --requirements STAGE/requirements.txt --report STAGE/wheels-report.txt --env-out STAGE/sizes.env

Every file comes through pip with the lock's hashes checked (``--require-hashes``), into a wheelhouse
folder that is kept between runs, so a second bundle downloads nothing. A package published only as
an sdist (jieba; llama-cpp-python) is built into a wheel here from its hash-checked sdist (pip's wheel
cache is used, so the llama.cpp build of scripts/setup_llm.sh is reused). The bundle's own
requirements file names each shipped file by its sha256, so the target installs exactly these bytes.

Wheels are chosen for glibc 2.28 (``pip download --platform manylinux_2_28_<arch> --only-binary=:all:``),
not for this build machine's newer glibc. ``--platform aarch64`` resolves the same versions for manylinux
aarch64; torch is then PyPI's ``torch==2.13.0`` for aarch64 (a CPU build there), whose hash the x86_64
lock cannot carry (bundle.sh asks for 2.9.1: PyPI's aarch64 2.13.0 is a CUDA build). Packages without a wheel for the target are built here when the result is pure
Python (or the target is this processor), otherwise listed as needing a build on the target processor.

Standard library only, and ``packaging`` (or pip's own copy of it) for the dependency check.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MANYLINUX_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


@dataclass
class Entry:
    name: str
    version: str
    hashes: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        return normalize(self.name)

    def requirement(self, *, with_hashes: bool = True) -> str:
        pins = "".join(f" --hash=sha256:{h}" for h in sorted(self.hashes)) if with_hashes else ""
        return f"{self.name}=={self.version}{pins}"


@dataclass
class Shipped:
    entry: Entry
    path: Path
    how: str  # "locked" | "built from the locked sdist" | "platform build, not in the lock"


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_lock(path: Path) -> list[Entry]:
    entries: list[Entry] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip().rstrip("\\").strip()
        if not line:
            continue
        if line.startswith("--hash="):
            entries[-1].hashes.add(line.split(":", 1)[1])
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
        if not match:
            raise SystemExit(f"{path}: 无法解析的行：{raw}")
        entries.append(Entry(match.group(1), match.group(2)))
    return entries


def dist_of(filename: str) -> tuple[str, str] | None:
    """(normalized name, version) of a wheel or sdist file name."""
    if filename.endswith(".whl"):
        parts = filename[:-4].split("-")
        return (normalize(parts[0]), parts[1]) if len(parts) >= 5 else None
    for ext in (".tar.gz", ".zip", ".tar.bz2"):
        if filename.endswith(ext):
            name, _, version = filename[: -len(ext)].rpartition("-")
            return (normalize(name), version) if name else None
    return None


@functools.cache  # files are checked more than once; none changes during a run
def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def find(folder: Path, entry: Entry, *, wheel_only: bool = False) -> list[Path]:
    if not folder.is_dir():
        return []
    found = []
    for p in sorted(folder.iterdir()):
        dist = dist_of(p.name)
        if dist and dist[0] == entry.key and dist[1] == entry.version and (p.suffix == ".whl" or not wheel_only):
            found.append(p)
    return found


def run_pip(pip: list[str], args: list[str], *, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*pip, *args], capture_output=True, text=True, env=env, check=False)


def write_requirements(path: Path, entries: list[Entry], *, with_hashes: bool = True) -> None:
    path.write_text("".join(e.requirement(with_hashes=with_hashes) + "\n" for e in entries), encoding="utf-8")


def fail(message: str, proc: subprocess.CompletedProcess[str] | None = None) -> None:
    if proc is not None:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
    raise SystemExit(message)


def build_wheels(pip: list[str], entries: list[Entry], out: Path, tmp: Path) -> None:
    """Wheels from the locked sdists, through pip's wheel cache (a llama.cpp build is reused)."""
    todo = [e for e in entries if not find(out, e, wheel_only=True)]
    if not todo:
        return
    req = tmp / "sdists.txt"
    write_requirements(req, todo)
    env = dict(os.environ)
    # A portable llama.cpp build (no -march=native), as scripts/setup_llm.sh builds it.
    env["CMAKE_ARGS"] = ("-DGGML_NATIVE=OFF " + env.get("CMAKE_ARGS", "")).strip()
    print(f"由源码包构建 wheel：{', '.join(e.name for e in todo)}", file=sys.stderr)
    proc = run_pip(pip, ["wheel", "--no-deps", "--require-hashes", "-r", str(req), "-w", str(out)], env=env)
    if proc.returncode != 0:
        fail("构建 wheel 失败", proc)


def missing_from_pip_error(text: str, pending: list[Entry]) -> Entry | None:
    for e in pending:
        pattern = rf"(No matching distribution found for|satisfies the requirement) {re.escape(e.name)}=="
        if re.search(pattern, text, flags=re.IGNORECASE):
            return e
    return None


def target_options(arch: str) -> list[str]:
    """pip's options for wheels that run on any glibc >= 2.28 of ``arch`` (torch itself needs 2.28).

    Without them pip prefers the newest tags this build machine accepts (e.g. bcrypt's and
    cryptography's manylinux_2_34 wheels), which a Kylin V10 or UOS 20 (glibc 2.28) could not install.
    """
    options = ["--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311"]
    for plat in (f"manylinux_2_28_{arch}", f"manylinux_2_17_{arch}", f"manylinux2014_{arch}"):
        options += ["--platform", plat]
    return options


def collect(pip: list[str], entries: list[Entry], arch: str, house: Path, tmp: Path,
            torch_version: str) -> tuple[list[Shipped], list[str]]:
    downloads, built = house / f"downloads-{arch}", house / "built"
    downloads.mkdir(parents=True, exist_ok=True)
    host = arch == os.uname().machine
    # On another processor torch is PyPI's CPU build for it (torch_version): the lock's x86_64 CPU
    # build (2.13.0+cpu, from this machine's disk) has no counterpart there to pin by hash, and PyPI's
    # aarch64 torch 2.13.0 is a CUDA 13 build that pulls in several GB of nvidia-* packages.
    swapped = [] if host else [e for e in entries if e.key == "torch"]
    pending = [e for e in entries if e not in swapped]

    def usable_build(e: Entry) -> bool:
        return any(host or p.name.endswith("-none-any.whl") for p in find(built, e, wheel_only=True))

    # What an earlier run fetched for this target (every file there was picked by pip for it) is reused
    # after its hash is checked: a second bundle asks no index at all.
    to_fetch = [e for e in pending
                if not any(sha256(p) in e.hashes for p in find(downloads, e, wheel_only=True)) and not usable_build(e)]
    no_wheel: list[Entry] = [e for e in pending if usable_build(e) and e not in to_fetch
                             and not any(sha256(p) in e.hashes for p in find(downloads, e, wheel_only=True))]
    # pip stops at the first package without a matching wheel: note it and ask again without it.
    for _ in range(len(to_fetch) + 1):
        if not to_fetch:
            break
        req = tmp / "wheels.txt"
        write_requirements(req, to_fetch)
        proc = run_pip(pip, ["download", "--no-deps", "--require-hashes", *target_options(arch),
                             "-r", str(req), "-d", str(downloads)])
        if proc.returncode == 0:
            break
        culprit = missing_from_pip_error(proc.stdout + proc.stderr, to_fetch)
        if culprit is None:
            fail(f"pip download（{arch}）失败", proc)
        assert culprit is not None
        to_fetch.remove(culprit)
        no_wheel.append(culprit)
    shipped = []
    for e in pending:
        if e in no_wheel:
            continue
        wheels = [p for p in find(downloads, e, wheel_only=True) if sha256(p) in e.hashes]
        if not wheels:
            fail(f"没有找到与锁定哈希一致的 wheel：{e.name}=={e.version}")
        shipped.append(Shipped(e, wheels[0], "locked"))
    notes: list[str] = []
    for e in swapped:
        public = Entry(e.name, torch_version or e.version.split("+")[0])
        if not find(downloads, public, wheel_only=True):
            proc = run_pip(pip, ["download", "--no-deps", *target_options(arch), public.requirement(),
                                 "-d", str(downloads)])
            if proc.returncode != 0:
                fail(f"下载 {arch} 版 {public.name} 失败", proc)
        wheel = find(downloads, public, wheel_only=True)[0]
        shipped.append(Shipped(public, wheel, "platform build, not in the lock"))
        notes.append(f"{e.name}：锁文件中是 {e.version}（x86_64 CPU 版）；{arch} 使用 PyPI 的 {public.version}（CPU 版），"
                     f"其哈希不在锁文件中，按下载的文件记录（sha256 {sha256(wheel)}）")
    # No wheel for the target: built here from the locked sdist. On another processor only a
    # pure-Python result (py3-none-any) can be used; anything else needs a build on that processor.
    if no_wheel:
        build_wheels(pip, no_wheel, built, tmp)
        for e in no_wheel:
            wheels = [p for p in find(built, e, wheel_only=True) if host or p.name.endswith("-none-any.whl")]
            if wheels:
                shipped.append(Shipped(e, wheels[0], "built here from the locked sdist"))
            else:
                notes.append(f"需要在 {arch} 机器上编译：{e.name}=={e.version}（没有 {arch} 的 wheel，且含本机代码）")
    return shipped, notes


def min_glibc(wheel: Path) -> tuple[int, int] | None:
    """The oldest glibc a wheel accepts (None: no glibc requirement, e.g. pure Python)."""
    tags = wheel.name[:-4].split("-")[-1].split(".")
    found = []
    for tag in tags:
        m = re.match(r"manylinux_(\d+)_(\d+)_", tag)
        if m:
            found.append((int(m.group(1)), int(m.group(2))))
        elif (legacy := tag.split("_")[0]) in MANYLINUX_LEGACY:
            found.append(MANYLINUX_LEGACY[legacy])
        elif tag.startswith("linux_"):
            found.append(referenced_glibc(wheel))  # built here: what its shared objects ask for
    return min(found) if found else None


def referenced_glibc(wheel: Path) -> tuple[int, int]:
    """The newest GLIBC_2.x symbol version any shared object in the wheel references."""
    newest = (2, 17)
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if ".so" in name.rsplit("/", 1)[-1]:
                for minor in re.findall(rb"GLIBC_2\.(\d+)", zf.read(name)):
                    newest = max(newest, (2, int(minor)))
    return newest


def installed_bytes(wheel: Path) -> int:
    with zipfile.ZipFile(wheel) as zf:
        return sum(info.file_size for info in zf.infolist())


def unmet_dependencies(shipped: list[Shipped], machine: str) -> list[str]:
    """Requirements of the shipped wheels (markers evaluated for the target) that nothing ships, and
    wheels that some Python 3.11 patch release could not install."""
    try:
        from packaging.markers import default_environment
        from packaging.requirements import Requirement
        from packaging.specifiers import SpecifierSet
    except ImportError:  # a bare Python: pip, which runs the downloads, carries its own copy
        from pip._vendor.packaging.markers import default_environment  # type: ignore[no-redef]
        from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef]
        from pip._vendor.packaging.specifiers import SpecifierSet  # type: ignore[no-redef]
    env = {**default_environment(), "platform_machine": machine, "python_version": "3.11",
           "python_full_version": "3.11.0", "sys_platform": "linux", "platform_system": "Linux", "extra": ""}
    names = {s.entry.key for s in shipped} | {"zhenggaitong"}
    unmet = []
    for s in shipped:
        with zipfile.ZipFile(s.path) as zf:
            meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
            text = zf.read(meta).decode("utf-8", "replace")
        # Every Python 3.11 patch release is a target (Debian 12 ships 3.11.2).
        requires = re.search(r"^Requires-Python:(.*)$", text, flags=re.MULTILINE)
        if requires and not SpecifierSet(requires.group(1).strip()).contains("3.11.0", prereleases=True):
            unmet.append(f"{s.entry.name}=={s.entry.version} 要求 Python {requires.group(1).strip()}，"
                         "不能装在所有 3.11.x 上：请在 locks/constraints.in 中限制它的版本")
        for line in text.splitlines():
            if not line.startswith("Requires-Dist:"):
                continue
            req = Requirement(line.split(":", 1)[1].strip())
            if req.marker is not None and not req.marker.evaluate(env):  # type: ignore[arg-type]
                continue
            if normalize(req.name) not in names:
                unmet.append(f"{s.entry.name} 需要 {req}，但未随包提供")
    return unmet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lock", type=Path, required=True)
    parser.add_argument("--platform", choices=["x86_64", "aarch64"], required=True)
    parser.add_argument("--wheelhouse", type=Path, required=True)
    parser.add_argument("--dest", type=Path, required=True)
    parser.add_argument("--requirements", type=Path, required=True)
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--env-out", type=Path, required=True)
    parser.add_argument("--torch-version", default="", help="torch from PyPI for another processor (default: the lock's)")
    args = parser.parse_args(argv)

    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    entries = parse_lock(args.lock)
    house = args.wheelhouse
    with tempfile.TemporaryDirectory(prefix="zgt-wheelhouse.") as tmpdir:
        tmp = Path(tmpdir)
        shipped, notes = collect(pip, entries, args.platform, house, tmp, args.torch_version)

    unmet = unmet_dependencies(shipped, args.platform)
    args.dest.mkdir(parents=True, exist_ok=True)
    lines = []
    for s in sorted(shipped, key=lambda s: s.entry.key):
        target = args.dest / s.path.name
        if not target.exists():
            try:
                os.link(s.path, target)  # the wheelhouse and dist/ are usually on one file system
            except OSError:
                shutil.copy2(s.path, target)
        lines.append(f"{s.entry.name}=={s.entry.version} --hash=sha256:{sha256(target)}")
    args.requirements.write_text("\n".join(lines) + "\n", encoding="utf-8")

    glibc = max((g for s in shipped if (g := min_glibc(s.path))), default=(2, 17))
    size = sum(s.path.stat().st_size for s in shipped)
    unpacked = sum(installed_bytes(s.path) for s in shipped)
    report = [f"平台：linux {args.platform}，Python 3.11；锁文件：{args.lock}", f"wheel：{len(shipped)} 个，{size / 1e6:.0f} MB",
              f"最低 glibc：{glibc[0]}.{glibc[1]}", ""]
    report += [f"{s.entry.name}=={s.entry.version}\t{s.how}\t{s.path.name}" for s in sorted(shipped, key=lambda s: s.entry.key)]
    if notes or unmet:
        report += ["", *notes, *unmet]
    args.report.write_text("\n".join(report) + "\n", encoding="utf-8")
    args.env_out.write_text(
        f"WHEEL_COUNT={len(shipped)}\nWHEEL_MB={size // 1_000_000}\nUNPACKED_MB={unpacked // 1_000_000}\n"
        f"GLIBC_MIN={glibc[0]}.{glibc[1]}\nINCOMPLETE={1 if any(n.startswith('需要') for n in notes) or unmet else 0}\n",
        encoding="utf-8",
    )
    print(json.dumps({"wheels": len(shipped), "bytes": size, "missing": [n for n in notes if n.startswith("需要")],
                      "unmet": unmet}, ensure_ascii=False), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
