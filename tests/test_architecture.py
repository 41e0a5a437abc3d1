"""The shape of the house, checked from the code's own imports (read with ``ast``, nothing is run).

Data flows one way: ``index/`` (the way in) never imports ``assistant/`` (the way out), nothing in the
package imports the web entry ``app.py``, and no module imports itself round a cycle. Imports made
only for type checking (under ``if TYPE_CHECKING:``) are not edges: they do not run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from assistant.settings import PROJECT_ROOT

PACKAGES = ("index", "assistant")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def source_files() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((PROJECT_ROOT / package).rglob("*.py"))
    yield PROJECT_ROOT / "app.py"


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imported_names(path: Path) -> set[str]:
    """Every module name ``path`` imports that runs (type-checking-only imports left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    names: set[str] = set()
    for node in ast.walk(tree):
        if _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The project modules ``path`` imports (at module level or inside functions)."""
    return (imported_names(path) & known) - {module_name(path)}


def import_graph() -> dict[str, set[str]]:
    files = list(source_files())
    known = {module_name(p) for p in files}
    return {module_name(p): imports_of(p, known) for p in files}


GRAPH = import_graph()


def test_the_graph_reads_the_real_modules() -> None:
    assert "assistant.answering" in GRAPH and "index.pipeline" in GRAPH and "app" in GRAPH
    assert "index.chunking" in GRAPH["index.pipeline"]
    assert "assistant.web" in GRAPH["app"]


def test_index_never_imports_assistant() -> None:
    wrong = {m: sorted(t for t in targets if t.startswith("assistant")) for m, targets in GRAPH.items()
             if m.startswith("index")}
    assert not {m: t for m, t in wrong.items() if t}


EVAL_ONLY = ("langchain_chroma", "langchain_text_splitters", "rank_bm25")  # the [eval] extra


def test_only_the_evaluation_uses_the_eval_extra() -> None:
    users = {
        module_name(path): sorted(n for n in imported_names(path) if n.split(".")[0] in EVAL_ONLY)
        for path in source_files()
        if not module_name(path).startswith("assistant.evaluation")
    }
    assert not {m: names for m, names in users.items() if names}


def test_nothing_in_the_package_imports_the_web_entry() -> None:
    assert not [m for m, targets in GRAPH.items() if "app" in targets]


def cycle_from(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for target in graph.get(node, ()):
            if target == start:
                return [*path, start]
            if target not in seen:
                seen.add(target)
                stack.append((target, [*path, target]))
    return None


def test_a_cycle_is_found_when_there_is_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycle_from("a", graph) == ["a", "b", "c", "a"]
    assert cycle_from("d", graph) is None  # d leads into a cycle but is not on it


def test_no_module_imports_itself_round_a_cycle() -> None:
    cycles = [cycle for module in GRAPH if (cycle := cycle_from(module, GRAPH))]
    assert not cycles, " → ".join(cycles[0])
