"""The locked dependency sets (locks/*.txt, written by scripts/lock.sh) agree with pyproject.toml.

Cheap and offline: both files are parsed, nothing is resolved. A dependency pinned in pyproject but
changed without running ``bash scripts/lock.sh`` fails here, before any install would silently use the
old version.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from assistant.settings import PROJECT_ROOT

PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCKS = {
    "runtime": (PROJECT_ROOT / "locks" / "runtime.txt", []),
    "dev": (PROJECT_ROOT / "locks" / "dev.txt", ["dev", "eval"]),
    "llm": (PROJECT_ROOT / "locks" / "llm.txt", ["llm"]),
}


def parse_lock(path: Path) -> dict[str, tuple[Version, list[str]]]:
    """name → (version, sha256 hashes) of a pip-compile file."""
    pins: dict[str, tuple[Version, list[str]]] = {}
    current = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip().rstrip("\\").strip()
        if not line:
            continue
        if line.startswith("--hash="):
            assert current, f"{path}: a hash before any package: {raw}"
            algorithm, _, digest = line.removeprefix("--hash=").partition(":")
            assert algorithm == "sha256" and re.fullmatch(r"[0-9a-f]{64}", digest), raw
            pins[current][1].append(digest)
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
        assert match, f"{path}: not an exact pin: {raw}"
        current = canonicalize_name(match.group(1))
        assert current not in pins, f"{path}: {current} pinned twice"
        pins[current] = (Version(match.group(2)), [])
    return pins


def wanted(extras: list[str]) -> list[Requirement]:
    project = PYPROJECT["project"]
    specs = list(project["dependencies"])
    for extra in extras:
        specs += project["optional-dependencies"][extra]
    return [Requirement(s) for s in specs]


@pytest.mark.parametrize("kind", sorted(LOCKS))
def test_lock_satisfies_every_dependency_of_pyproject(kind: str) -> None:
    path, extras = LOCKS[kind]
    pins = parse_lock(path)
    wrong = []
    for req in wanted(extras):
        name = canonicalize_name(req.name)
        if name not in pins:
            wrong.append(f"{req} is not in {path.name}")
            continue
        version = pins[name][0]
        # torch==2.13.0 is locked as the CPU build 2.13.0+cpu, which "==2.13.0" admits (PEP 440).
        if not req.specifier.contains(version, prereleases=True):
            wrong.append(f"{req} but {path.name} has {name}=={version}")
    assert not wrong, "pyproject.toml and the lock disagree; run bash scripts/lock.sh:\n" + "\n".join(wrong)


@pytest.mark.parametrize("kind", sorted(LOCKS))
def test_every_locked_package_has_an_exact_version_and_a_hash(kind: str) -> None:
    path, _ = LOCKS[kind]
    pins = parse_lock(path)
    assert len(pins) > 100, f"{path} looks truncated: {len(pins)} packages"
    unhashed = [name for name, (_, hashes) in pins.items() if not hashes]
    assert not unhashed, f"{path}: no sha256 for {unhashed}"


@pytest.mark.parametrize("kind", sorted(LOCKS))
def test_torch_is_the_cpu_build_and_nothing_of_cuda_is_locked(kind: str) -> None:
    pins = parse_lock(LOCKS[kind][0])
    torch_version = pins["torch"][0]
    assert torch_version.public == "2.13.0" and torch_version.local == "cpu", torch_version
    assert not [name for name in pins if name.startswith(("nvidia-", "triton"))]


@pytest.mark.parametrize("kind", ["dev", "llm"])
def test_extra_locks_agree_with_the_runtime_lock(kind: str) -> None:
    runtime = parse_lock(LOCKS["runtime"][0])
    other = parse_lock(LOCKS[kind][0])
    differ = {name: (v, other.get(name, (None,))[0]) for name, (v, _) in runtime.items()
              if other.get(name, (None,))[0] != v}
    assert not differ, f"locks/{kind}.txt and locks/runtime.txt pin different versions: {differ}"


def test_lock_parser_rejects_what_pip_would_not_install_exactly(tmp_path: Path) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text("requests>=2\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="not an exact pin"):
        parse_lock(lock)
    lock.write_text("requests==2.34.2 \\\n    --hash=md5:0123\n", encoding="utf-8")
    with pytest.raises(AssertionError):
        parse_lock(lock)


def test_a_changed_pin_in_pyproject_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check itself: pyproject asking for another gradio than the lock has must fail."""
    project = dict(PYPROJECT["project"])
    project["dependencies"] = [d if not d.startswith("gradio==") else "gradio==6.30.0" for d in project["dependencies"]]
    monkeypatch.setitem(PYPROJECT, "project", project)
    with pytest.raises(AssertionError, match="gradio==6.30.0"):
        test_lock_satisfies_every_dependency_of_pyproject("runtime")


def test_every_package_of_the_source_tree_is_in_the_wheel() -> None:
    """setuptools ships only the packages pyproject names: a new subpackage must be added there."""
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(PROJECT_ROOT).parts)
        for top in ("assistant", "index")
        for init in (PROJECT_ROOT / top).rglob("__init__.py")
    }
    assert found <= listed, f"packages missing from [tool.setuptools] packages: {sorted(found - listed)}"
    assert (PROJECT_ROOT / "prompts").is_dir() and "prompts" in listed
