"""The package layout: data flows one way and no module imports itself back, even lazily."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("solvers", "proofs", "verify")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Every project module -> the project modules it imports anywhere (top level or inside a
    function); ``from pkg import mod`` counts as importing ``pkg.mod``."""
    modules = {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state:
                found = visit(n)
                if found:
                    return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def test_no_import_cycle_anywhere():
    assert find_cycle(import_graph()) is None


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_solvers_import_neither_proofs_nor_verify():
    graph = import_graph()
    for mod, deps in graph.items():
        if mod.startswith("solvers"):
            assert not {d for d in deps if d.split(".")[0] in ("proofs", "verify")}, mod


def test_no_reference_to_files_outside_the_repository():
    # the developers' notes beside a checkout (when present) are not part of the project
    notes = ROOT.parent / "shared"
    names = {p.name for p in notes.rglob("*") if p.is_file()} if notes.is_dir() else set()
    for pkg in (*PACKAGES, "tests", "examples"):
        for path in (ROOT / pkg).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert not [n for n in names if n in text], path
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert not [n for n in names if n in readme]


#: Functions allowed beyond 80 lines: data tables, not logic.
DATA_TABLES = {("proofs/seed.py", "seed_claims")}


def test_no_function_over_80_lines():
    long = []
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            rel = str(path.relative_to(ROOT))
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    n = node.end_lineno - node.lineno + 1
                    if n > 80 and (rel, node.name) not in DATA_TABLES:
                        long.append(f"{rel}:{node.name} ({n} lines)")
    assert not long, long


def test_readme_layout_lists_every_module():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    missing = [str(p.relative_to(ROOT)) for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
               if p.name != "__init__.py" and str(p.relative_to(ROOT)) not in section]
    assert not missing, missing
