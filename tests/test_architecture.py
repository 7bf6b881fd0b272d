"""The shape of the code, checked: layers, cycles, sizes, private imports.

The import graph is read from the source (every ``import`` statement, at module level and
inside functions alike, since a deferred import is still a dependency), so a cycle hidden
behind a function-level import fails here too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "prima_cli"
#: the size a module may reach before it is split by job
MAX_LINES = 500
#: the one module allowed to reach into Typer's vendored Click
TYPER_SHIM = "prima_cli.cli.typer_compat"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path, name: str) -> Iterator[tuple[str, int]]:
    """(imported module, line) of every import in the file, relative ones resolved."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield module, node.lineno
            for alias in node.names:  # `from prima_cli.core import bookings` names a module
                yield f"{module}.{alias.name}", node.lineno


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target, _line in _imports(path, name):
            if target in modules and target != name:
                graph[name].add(target)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, or None (iterative depth-first search)."""
    state: dict[str, int] = {}
    for start in sorted(graph):
        if state.get(start):
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            if state.get(child) == 1:
                return [*path[path.index(child) :], child]
            if not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph[child]))))
    return None


def _is_package_init(name: str) -> bool:
    return _modules()[name].name == "__init__.py"


def test_no_import_cycle_in_prima_cli() -> None:
    graph = _graph()
    # a package's __init__ that re-exports its submodules is not a cycle with them
    for name in graph:
        if _is_package_init(name):
            graph[name] = {t for t in graph[name] if not t.startswith(name + ".")}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_no_module_is_over_the_size_limit() -> None:
    big = {name: n for name, path in _modules().items()
           if (n := len(path.read_text().splitlines())) > MAX_LINES}  # fmt: skip
    assert not big, f"split by job: {big}"


def test_only_the_shim_imports_typers_private_modules() -> None:
    offenders = [
        f"{name}:{line} {target}"
        for name, path in _modules().items()
        for target, line in _imports(path, name)
        if target.startswith("typer._") and name != TYPER_SHIM
    ]
    assert not offenders, offenders


def test_the_core_imports_no_specific_platform() -> None:
    specific = ("prima_cli.platforms.covermanager", "prima_cli.platforms.restoo")
    offenders = [
        f"{name}:{line} {target}"
        for name, path in _modules().items()
        if name.startswith("prima_cli.core")
        for target, line in _imports(path, name)
        if target.startswith(specific)
    ]
    assert not offenders, offenders


def test_layers_point_down() -> None:
    """core and platforms never import the command line; platforms never import core."""
    offenders = []
    for name, path in _modules().items():
        for target, line in _imports(path, name):
            upward = (name.startswith(("prima_cli.core", "prima_cli.platforms",
                                       "prima_cli.store")) and target.startswith("prima_cli.cli")
                      ) or (name.startswith("prima_cli.platforms")
                            and target.startswith("prima_cli.core"))  # fmt: skip
            if upward:
                offenders.append(f"{name}:{line} {target}")
    assert not offenders, offenders


def test_no_test_imports_a_private_name_of_prima() -> None:
    offenders = []
    for path in (ROOT / "tests").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("prima_cli"):
                private = [a.name for a in node.names
                           if a.name.startswith("_") and not a.name.endswith("__")]  # fmt: skip
                if private or any(p.startswith("_") and p != "__init__"
                                  for p in (node.module or "").split(".")):  # fmt: skip
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.module}")
    assert not offenders, offenders
