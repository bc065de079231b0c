"""Figures of the code's shape: the App class, untyped widgets, import cycles, the layout.

    python benchmarks/layout_figures.py [ROOT]     (ROOT: a checkout, default this one)

- HsmSetupApp's lines and methods (target: at most 300 lines);
- `app: Any` parameters and `type: ignore[attr-defined]` comments in hsm_setup/ and screens/ (target: none);
- imports inside functions (most are deliberate: the first frame does not wait for them);
- import cycles between modules at run time (typing-only imports aside), found with grimp over the
  installed packages (run it in the project's virtual environment; target: none);
- the modules at the top of hsm_setup/ (the rest are grouped in packages by job).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

UNTYPED_APP = re.compile(r"\bapp: Any\b")


def app_class(front: Path) -> tuple[int, int]:
    tree = ast.parse((front / "app.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "HsmSetupApp":
            methods = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
            return (node.end_lineno or node.lineno) - node.lineno + 1, len(methods)
    raise SystemExit("no HsmSetupApp in screens/app.py")


def in_function_imports(path: Path) -> int:
    count = 0
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            count += sum(isinstance(inner, (ast.Import, ast.ImportFrom)) for inner in ast.walk(node))
    return count


def import_cycles(*packages: str) -> list[list[str]]:
    """Strongly connected groups of modules (Tarjan), over run-time imports."""
    import grimp

    graph = grimp.build_graph(*packages, exclude_type_checking_imports=True)
    modules = set(graph.modules)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) & modules for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in edges[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return cycles


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
    core, front = root / "hsm_setup", root / "screens"
    files = [p for folder in (core, front) for p in folder.rglob("*.py")]
    lines, methods = app_class(front)
    print(f"HsmSetupApp: {lines} lines, {methods} methods (target: at most 300 lines)")
    untyped_app = sum(len(UNTYPED_APP.findall(p.read_text(encoding="utf-8"))) for p in files)
    print(f"'app: Any' parameters: {untyped_app}")
    print(f"type: ignore[attr-defined]: {sum(p.read_text().count('type: ignore[attr-defined]') for p in files)}")
    print(f"imports inside functions: {sum(in_function_imports(p) for p in files)}")
    cycles = import_cycles("hsm_setup", "hsm_setup_screens")
    print(f"import cycles at run time: {len(cycles)}")
    for group in cycles:
        print("  " + " <-> ".join(group))
    top = sorted(p.name for p in core.glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    print(f"modules at the top of hsm_setup/: {len(top)} ({', '.join(top)})")
    packages = sorted(p.name for p in core.iterdir() if (p / "__init__.py").exists())
    print(f"packages of hsm_setup/: {len(packages)} ({', '.join(packages)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
