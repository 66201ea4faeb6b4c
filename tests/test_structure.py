"""The package's structure, checked from its imports (read with ``ast``, nothing is run):

- no import loops between modules of ``src/trueneg`` (function-level imports count too);
- no private name (``_x``) imported from another module;
- layers: a module imports only from its own layer or those below it (``LAYERS``), so the
  stages never reach up into the CLI, the Python API, the audit or compare.
"""

from __future__ import annotations

import ast
import functools
import itertools
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "trueneg"

# Bottom to top. A module may import modules of its own layer and of the layers below.
LAYERS = [
    {
        "version",
        "errors",
        "hashing",
        "storage",
        "progress",
        "registry",
        "devices",
        "cgroup",
        "mapping",
    },
    {"data", "encode", "retrieve", "rescore", "select", "settings", "summary", "distributed"},
    {"export", "run"},
    {"pipeline"},
    {"api"},
    {"audit", "train", "evaluate"},
    {"compare"},
    {"cli", "__main__", "__init__"},
]


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in SRC.rglob("*.py")}


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """Every ``trueneg`` import in ``path``: (module, names taken from it)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.startswith("trueneg")]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            if base.startswith("trueneg"):
                found.append((base, [a.name for a in node.names]))
    return found


def resolve(target: str, names: list[str], known: dict[str, Path]) -> list[str]:
    """The modules an import reaches: ``from trueneg.x import y`` is module ``trueneg.x.y``
    when that is a module, else ``trueneg.x``."""
    reached = [f"{target}.{n}" for n in names if f"{target}.{n}" in known]
    if len(reached) < len(names) or not names:
        reached.append(target)
    return [r for r in reached if r in known]


@functools.cache
def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for target, names in imports(path):
            for reached in resolve(target, names, known):
                if reached != name:
                    edges[name].add(reached)
    return edges


def top_package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def layer_of(module: str) -> int:
    top = top_package(module)
    for index, layer in enumerate(LAYERS):
        if top in layer:
            return index
    raise AssertionError(f"{module} is in no layer: add its package to LAYERS")


def test_no_import_loops():
    edges = graph()
    # a package's __init__ re-exports its modules: an edge into it is an edge into them
    loops, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if nxt.endswith("__init__") or nxt == "trueneg":
                continue  # the top package only re-exports lazily
            if state.get(nxt) == 1:
                loops.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    loops = [loop for loop in loops if not _package_reexport(loop)]
    assert not loops, "\n".join(" -> ".join(loop) for loop in loops)


def _package_reexport(loop: list[str]) -> bool:
    """``pkg/__init__`` importing ``pkg.mod`` while ``pkg.mod`` imports ``pkg.other`` is a
    package re-exporting its modules, not a loop between modules."""
    return any(a.startswith(b + ".") or b.startswith(a + ".") for a, b in itertools.pairwise(loop))


def test_no_private_name_is_imported_from_another_module():
    offenders = []
    for name, path in modules().items():
        for target, names in imports(path):
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private and target != name:
                offenders.append(f"{name} imports {', '.join(private)} from {target}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("module", sorted(modules()))
def test_imports_only_run_down_the_layers(module):
    edges = graph()
    upward = [
        target
        for target in sorted(edges[module])
        if target != "trueneg" and layer_of(target) > layer_of(module)
    ]
    assert not upward, f"{module} (layer {layer_of(module)}) imports " + ", ".join(
        f"{t} (layer {layer_of(t)})" for t in upward
    )
