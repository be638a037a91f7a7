"""The layer rule and the import graph, enforced: arrows point down and never form a cycle.

grammars <- completion <- ranking <- bench <- lsp_server; training stands beside them. Only
lsp_server speaks LSP (pygls, lsprotocol). Read from the source with ast, so nothing is imported
and the test sees imports inside functions too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("grammars", "completion", "ranking", "bench", "lsp_server", "training")
# What each package may import from the project (besides itself).
ALLOWED: dict[str, set[str]] = {
    "grammars": set(),
    "completion": {"grammars"},
    "ranking": {"grammars", "completion"},
    "bench": {"grammars", "completion", "ranking"},
    "lsp_server": {"grammars", "completion", "ranking", "bench"},
    "training": {"grammars", "completion"},
}
LSP_LIBRARIES = ("pygls", "lsprotocol")


def modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            out[".".join(parts)] = path
    return out


def imports_of(name: str, path: Path) -> set[str]:
    """Absolute names of everything ``name`` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            found.add(stem)
            # `from . import x` and `from .pkg import mod` may name submodules.
            found.update(f"{stem}.{a.name}" for a in node.names)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    mods = modules()
    return {
        name: {i for i in imports_of(name, path) if i in mods and i != name}
        for name, path in mods.items()
    }


@pytest.mark.parametrize("package", PACKAGES)
def test_packages_import_only_the_layers_below(package: str) -> None:
    bad = []
    for name, path in modules().items():
        if name.split(".")[0] != package:
            continue
        for imp in imports_of(name, path):
            top = imp.split(".")[0]
            if top in PACKAGES and top != package and top not in ALLOWED[package]:
                bad.append(f"{name} imports {imp}")
            if top in LSP_LIBRARIES and package != "lsp_server":
                bad.append(f"{name} imports {imp} (only lsp_server speaks LSP)")
    assert not bad, "\n".join(bad)


def test_no_import_cycles(graph: dict[str, set[str]]) -> None:
    # A package's __init__ re-exporting its own modules is not a cycle worth the name.
    edges = {
        m: {d for d in deps if not (m == d.rpartition(".")[0] and m in PACKAGES)}
        for m, deps in graph.items()
    }
    edges = {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in edges.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for dep in sorted(edges.get(node, ())):
            if state.get(dep) == 1:
                cycles.append(stack[stack.index(dep) :] + [dep])
            elif dep not in state:
                visit(dep, [*stack, dep])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_feature_modules_do_not_import_each_other(graph: dict[str, set[str]]) -> None:
    features = {m for m in graph if m.startswith("lsp_server.features.")}
    bad = [f"{m} imports {d}" for m in sorted(features) for d in graph[m] & features]
    assert not bad, "\n".join(bad)
