"""The shape of kstarter, read from its source with ``ast`` (nothing is imported).

Imports flow one way: cli -> commands -> building blocks -> errors, with no cycle among
kstarter's modules, counting imports inside functions. The walker is tested on small fake
packages first, so a green run means "no cycle", not "the walker saw nothing".
"""

from __future__ import annotations

import ast
import functools
import sys
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "kstarter"

# Every top-level module or subpackage of kstarter, by layer. A module may import modules of its
# own layer or of a layer below it, never above (commands may use each other). ``checks`` is a
# building block: its findings are computed from the other blocks and shown by `kstarter check`
# (cli calls checks.check_project), at the end of `init`, and in every run's report.
CLI = {"cli", "__main__"}
COMMANDS = {"project", "train", "tuning", "submit", "blend", "auto", "kernel"}
BUILDING_BLOCKS = {
    "checks",
    "sources",
    "competition",
    "columns",
    "metrics",
    "prepare",
    "featurepack",
    "original",
    "models",
    "runs",
    "folds",
    "config",
    "spec",
    "paths",
    "atomic",
    "resources",
    "crossval",
    "cluster",
    "kaggle_client",
    "leaderboards",
    "render",
}
ERRORS = {"errors"}
LAYERS = {"cli": CLI, "commands": COMMANDS, "building blocks": BUILDING_BLOCKS, "errors": ERRORS}


# --- the walker ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edge:
    """``source`` runs ``target`` when imported: ``line`` holds the import statement."""

    source: str
    target: str
    line: int
    via_init: bool = False  # the package __init__ an import of one of its submodules runs


def find_modules(root: Path, package: str) -> dict[str, Path]:
    """Module name -> file for every .py file of ``root/package`` (a package is its __init__)."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Imports(ast.NodeVisitor):
    """Absolute names of every module imported anywhere in a file, functions included."""

    def __init__(self, module: str, is_package: bool, modules: Mapping[str, Path], typing: bool):
        self.package = module if is_package else module.rpartition(".")[0]
        self.modules = modules
        self.typing = typing  # also collect imports under `if TYPE_CHECKING:`
        self.found: list[tuple[str, int]] = []

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test) and not self.typing:
            for child in node.orelse:  # the body never runs
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.found += [(alias.name, node.lineno) for alias in node.names]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")[: len(self.package.split(".")) - node.level + 1]
            base_name = ".".join([*base, *([node.module] if node.module else [])])
        else:
            base_name = node.module or ""
        for alias in node.names:
            sub = f"{base_name}.{alias.name}"
            self.found.append((sub if sub in self.modules else base_name, node.lineno))


def imported_names(
    module: str, modules: Mapping[str, Path], *, typing: bool = False
) -> list[tuple[str, int]]:
    """(absolute module name, line) of each import in ``module``, in file order."""
    path = modules[module]
    collector = _Imports(module, path.name == "__init__.py", modules, typing)
    collector.visit(_parse(path))
    return collector.found


@functools.cache
def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _ancestors(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _existing(name: str, modules: Mapping[str, Path]) -> str | None:
    """``name`` or its longest prefix that is a module (``import pkg.mod.attr`` is rare)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


@functools.cache
def import_edges(root: Path, package: str) -> tuple[Edge, ...]:
    """What importing each module of ``package`` runs, inside the package.

    ``import pkg.a.b`` runs ``pkg/a/__init__.py`` before ``b``: that is an edge too, unless
    ``pkg.a`` is a package of the importing module itself (started before it ran)."""
    modules = find_modules(root, package)
    edges = []
    for module in modules:
        own = set(_ancestors(module))
        for name, line in imported_names(module, modules):
            target = _existing(name, modules)
            if target is None or target == module:
                continue
            edges.append(Edge(module, target, line))
            edges += [
                Edge(module, pkg, line, via_init=True)
                for pkg in _ancestors(target)
                if pkg not in own and pkg != module
            ]
    return tuple(edges)


def _graph(edges: tuple[Edge, ...]) -> dict[str, dict[str, Edge]]:
    graph: dict[str, dict[str, Edge]] = {}
    for edge in edges:
        graph.setdefault(edge.source, {}).setdefault(edge.target, edge)
        graph.setdefault(edge.target, {})
    return graph


def _components(graph: Mapping[str, Mapping[str, Edge]]) -> Iterator[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    members = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        members.append(member)
                        if member == node:
                            break
                    if len(members) > 1:
                        yield sorted(members)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])


def _shortest_cycle(graph: Mapping[str, Mapping[str, Edge]], members: list[str]) -> list[Edge]:
    """The shortest cycle through the first member, staying inside the component."""
    start, inside = members[0], set(members)
    came_from: dict[str, Edge] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target, edge in sorted(graph[node].items()):
            if target == start:
                path = [edge]
                while path[0].source != start:
                    path.insert(0, came_from[path[0].source])
                return path
            if target in inside and target not in came_from:
                came_from[target] = edge
                queue.append(target)
    raise AssertionError(f"no cycle through {start} in {members}")  # a component has one


def find_cycles(root: Path, package: str) -> list[str]:
    """One cycle per tangle of modules, as ``a.py:12 -> b/__init__.py (...) -> a.py``."""
    modules = find_modules(root, package)
    graph = _graph(import_edges(root, package))

    def file(module: str) -> str:
        return modules[module].relative_to(root).as_posix()

    cycles = []
    for members in _components(graph):
        steps = [
            f"{file(e.source)}:{e.line}" + (" (runs the package __init__)" if e.via_init else "")
            for e in _shortest_cycle(graph, members)
        ]
        cycles.append(" -> ".join([*steps, file(members[0])]))
    return cycles


# --- the walker on fake packages -------------------------------------------------------------


def _write_package(root: Path, files: Mapping[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_walker_finds_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    _write_package(
        tmp_path,
        {
            "fake/__init__.py": "",
            "fake/a.py": "import os\n\n\ndef f():\n    from fake import b\n    return b\n",
            "fake/b.py": "from . import a\n",
            "fake/c.py": "import fake.a\n",  # into the cycle, not part of it
        },
    )
    assert find_cycles(tmp_path, "fake") == ["fake/a.py:5 -> fake/b.py:1 -> fake/a.py"]


def test_walker_finds_a_cycle_through_a_package_init(tmp_path: Path) -> None:
    _write_package(
        tmp_path,
        {
            "fake/__init__.py": "",
            "fake/sub/__init__.py": "from fake.sub._x import X\n",
            "fake/sub/_x.py": "from fake.c import C\nX = 1\n",
            "fake/sub/_y.py": "from fake.sub._x import X\nY = 2\n",  # own package: no edge
            "fake/c.py": "C = 3\n\n\ndef g():\n    from fake.sub._y import Y\n    return Y\n",
        },
    )
    assert find_cycles(tmp_path, "fake") == [
        "fake/c.py:5 (runs the package __init__) -> fake/sub/__init__.py:1 "
        "-> fake/sub/_x.py:1 -> fake/c.py"
    ]


def test_walker_ignores_imports_under_type_checking(tmp_path: Path) -> None:
    _write_package(
        tmp_path,
        {
            "fake/__init__.py": "",
            "fake/d.py": (
                "from typing import TYPE_CHECKING\nimport typing\n\n"
                "if TYPE_CHECKING:\n    from fake.e import E\n"
                "if typing.TYPE_CHECKING:\n    import fake.e\nelse:\n    import json\n"
            ),
            "fake/e.py": "from fake.d import D\n",
        },
    )
    assert find_cycles(tmp_path, "fake") == []
    modules = find_modules(tmp_path, "fake")
    assert imported_names("fake.d", modules) == [("typing", 1), ("typing", 2), ("json", 9)]
    assert ("fake.e", 5) in imported_names("fake.d", modules, typing=True)


def test_walker_sees_the_real_package() -> None:
    edges = {(e.source, e.target) for e in import_edges(ROOT, PACKAGE)}
    assert ("kstarter.__main__", "kstarter.cli") in edges
    assert ("kstarter.cli", "kstarter.train") in edges
    assert len(edges) > 100


# --- kstarter's shape ------------------------------------------------------------------------


def _top(module: str) -> str:
    return module.split(".")[1] if module.count(".") else "__init__"


def test_no_import_cycle() -> None:
    cycles = find_cycles(ROOT, PACKAGE)
    assert not cycles, "import cycles (file:line of each import):\n" + "\n".join(cycles)


def test_no_module_shadows_the_standard_library() -> None:
    # run a script from inside a folder and its modules come first on sys.path: a `_csv.py`
    # there would replace the C module `import csv` needs
    names = {m.rpartition(".")[2]: m for m in find_modules(ROOT, PACKAGE)}
    shadows = sorted(m for name, m in names.items() if name in sys.stdlib_module_names)
    assert not shadows, f"modules named like the standard library: {shadows}"


def _collide(a: str, b: str) -> bool:
    """One name in two spellings: equal once leading underscores go (``x.py`` beside ``x/``),
    one name less its last letter begins the other (tune/tuning, submit/submission,
    worker/workers), or one is a word of the other (report/html_report)."""
    a, b = sorted((a.lstrip("_").lower(), b.lstrip("_").lower()), key=len)
    stem = a[:-1]
    return a == b or (len(stem) >= 3 and b.startswith(stem)) or a in b.split("_")


def test_collide_rule() -> None:
    assert _collide("tune", "tuning") and _collide("submission", "submit")
    assert _collide("_workers", "worker") and _collide("report", "html_report")
    assert _collide("_prepare", "prepare")
    assert not _collide("spec", "sources") and not _collide("cli", "columns")
    assert not _collide("train", "_tables") and not _collide("project", "prepare")


def test_no_two_neighbours_share_a_name() -> None:
    """Names side by side in one folder (modules and subpackages) are not one name twice."""
    folders: dict[Path, list[str]] = {}
    for path in (ROOT / PACKAGE).rglob("*"):
        if path.name.startswith("__") or "__pycache__" in path.parts:
            continue
        if path.suffix == ".py" or (path / "__init__.py").is_file():
            folders.setdefault(path.parent, []).append(path.stem)
    clashes = [
        f"{folder.relative_to(ROOT)}: {a} / {b}"
        for folder, names in sorted(folders.items())
        for i, a in enumerate(sorted(names))
        for b in sorted(names)[i + 1 :]
        if _collide(a, b)
    ]
    assert not clashes, f"names that collide: {clashes}"


def test_only_cli_imports_click() -> None:
    modules = find_modules(ROOT, PACKAGE)
    importers = sorted(
        m
        for m in modules
        if any(n.split(".")[0] == "click" for n, _ in imported_names(m, modules, typing=True))
    )
    assert importers == ["kstarter.cli"]


def test_only_main_imports_cli() -> None:
    importers = {e.source for e in import_edges(ROOT, PACKAGE) if e.target == "kstarter.cli"}
    assert importers == {"kstarter.__main__"}


def test_every_module_has_a_layer() -> None:
    tops = {_top(m) for m in find_modules(ROOT, PACKAGE)} - {"__init__"}
    placed = [name for layer in LAYERS.values() for name in layer]
    assert len(placed) == len(set(placed)), "a module in two layers"
    assert sorted(tops - set(placed)) == [], "put new modules in a layer of test_architecture.py"


def test_imports_flow_down_the_layers() -> None:
    rank = {name: i for i, layer in enumerate(LAYERS.values()) for name in layer}
    layer_name = {name: label for label, layer in LAYERS.items() for name in layer}
    upward = sorted(
        f"{e.source} ({layer_name[_top(e.source)]}) imports {e.target} "
        f"({layer_name[_top(e.target)]}) at line {e.line}"
        for e in import_edges(ROOT, PACKAGE)
        if _top(e.source) in rank
        and _top(e.target) in rank
        and rank[_top(e.target)] < rank[_top(e.source)]
    )
    assert not upward, "imports against the layers:\n" + "\n".join(upward)


@pytest.mark.parametrize("module", sorted(ERRORS))
def test_errors_import_nothing_of_kstarter(module: str) -> None:
    modules = find_modules(ROOT, PACKAGE)
    own = [n for n, _ in imported_names(f"{PACKAGE}.{module}", modules, typing=True)]
    assert [n for n in own if n.split(".")[0] == PACKAGE] == []
