"""The house: the runtime package imports nothing of the tools package, and its modules import
each other without a cycle (parsed with ast: every import, module level or inside a function)."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "workflow" / "myoclamp"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Absolute names of the modules ``path`` imports (``from a.b import c`` -> a.b and a.b.c)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {m for m in imports_of(path) if m in modules and m != name}
        for name, path in modules.items()
    }


def test_the_runtime_package_never_imports_the_tools():
    offenders = {
        module_name(p): sorted(m for m in imports_of(p) if m.split(".")[0] == "myoclamp_tools")
        for p in PACKAGE.rglob("*.py")
    }
    assert not {k: v for k, v in offenders.items() if v}


def find_cycle(edges: dict[str, set[str]]) -> list[str]:
    """One import cycle (its modules in order), or an empty list."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_the_runtime_package_has_no_import_cycle():
    edges = graph()
    assert len(edges) > 40  # the whole package was read
    assert find_cycle(edges) == []


def test_the_cycle_check_can_fail(tmp_path, monkeypatch):
    """A planted cycle is found (so the test above is not vacuous)."""
    pkg = tmp_path / "myoclamp"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from myoclamp.b import x\n")
    (pkg / "b.py").write_text("def f():\n    from myoclamp.a import y\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", pkg)
    assert find_cycle(graph()) == ["myoclamp.a", "myoclamp.b"]
