"""Code figures for the data-model work: string-keyed fact reads, `Any` density, module sizes.

    python benchmarks/code_figures.py [ROOT]

- string-keyed fact reads: in hsm_setup/ and screens/, every `x.facts[...]`, `x.facts.get(...)`,
  `ctx.fact(...)`, and `[...]` / `.get(...)` with a string key on a name bound from facts
  (`facts = result.facts`, `ic = facts("identity-center")`, `for name, member in facts[...]`...);
- `Any` per 1,000 lines: NAME tokens `Any` outside import statements, over the non-blank,
  non-comment lines of hsm_setup/, of screens/, and of both together (the target: under 10);
- the size of handoff/teardown.py, of the Identity Center helpers (before: steps/identity_center_api.py,
  after: the identity_center package) and of the resource declarations.
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from pathlib import Path

# `Any` per 1,000 lines, in the core and the front ends together, must stay under this.
ANY_TARGET = 10


def _is_facts(node: ast.AST, names: set[str]) -> bool:
    """`x.facts`, a name bound from facts, `facts(...)` (a helper returning a step's facts), or a read of those."""
    if isinstance(node, ast.Attribute) and node.attr == "facts":
        return True
    if isinstance(node, ast.Name) and node.id in names:
        return True
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id == "facts":
            return True
        if isinstance(func, ast.Attribute) and func.attr in ("get", "items", "values") and _is_facts(func.value, names):
            return True
    if isinstance(node, ast.Subscript):
        return _is_facts(node.value, names)
    return False


def _scope_nodes(scope: ast.AST) -> list[ast.AST]:
    """The nodes of one function (or the module), not those of functions defined inside it."""
    found: list[ast.AST] = []
    todo = list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        found.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return found


def fact_reads(path: Path) -> int:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    scopes = [
        tree,
        *[n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))],
    ]
    count = 0
    for scope in scopes:
        nodes = _scope_nodes(scope)
        names: set[str] = {"facts"}
        for (
            node
        ) in nodes:  # names bound from facts: `facts = result.facts`, `for name, member in facts["members"].items()`
            if isinstance(node, ast.Assign) and _is_facts(node.value, names):
                names.update(t.id for target in node.targets for t in ast.walk(target) if isinstance(t, ast.Name))
            elif isinstance(node, (ast.For, ast.comprehension)) and _is_facts(node.iter, names):
                names.update(t.id for t in ast.walk(node.target) if isinstance(t, ast.Name))
        for node in nodes:
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.ctx, ast.Load)
                and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, str)
            ):
                if _is_facts(node.value, names):
                    count += 1
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                keyed = (
                    bool(node.args) and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                )
                if (node.func.attr == "fact" and keyed) or (
                    node.func.attr == "get" and keyed and _is_facts(node.func.value, names)
                ):
                    count += 1
    return count


def any_density(folder: Path) -> tuple[int, int]:
    anys = lines = 0
    for path in sorted(folder.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines += sum(1 for line in source.splitlines() if line.strip() and not line.strip().startswith("#"))
        import_lines: set[int] = set()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                import_lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.NAME and token.string == "Any" and token.start[0] not in import_lines:
                anys += 1
    return anys, lines


def nonblank(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    files = [p for folder in ("hsm_setup", "screens") for p in sorted((root / folder).rglob("*.py"))]
    per_file = {p.relative_to(root): fact_reads(p) for p in files}
    total = sum(per_file.values())
    print(f"string-keyed fact reads (hsm_setup/ + screens/): {total}")
    for path, n in sorted(per_file.items(), key=lambda kv: -kv[1]):
        if n:
            print(f"  {n:4d}  {path}")
    figures = {folder: any_density(root / folder) for folder in ("hsm_setup", "screens")}
    figures["hsm_setup/ + screens/"] = (
        sum(anys for anys, _ in figures.values()),
        sum(lines for _, lines in figures.values()),
    )
    for name, (anys, lines) in figures.items():
        label = name if name.endswith("/") else f"{name}/"
        print(
            f"Any in {label} (imports aside): {anys} in {lines} non-blank non-comment lines = "
            f"{1000 * anys / lines:.1f} per 1,000 (target: under {ANY_TARGET})"
        )
    teardown = root / "hsm_setup" / "handoff" / "teardown.py"
    print(f"handoff/teardown.py: {len(teardown.read_text().splitlines())} lines")
    single = root / "hsm_setup" / "steps" / "identity_center_api.py"
    package = root / "hsm_setup" / "identity_center"
    if single.exists():
        print(f"steps/identity_center_api.py: {len(single.read_text().splitlines())} lines (one module)")
    if package.is_dir():
        for path in sorted(package.glob("*.py")):
            print(f"identity_center/{path.name}: {len(path.read_text().splitlines())} lines")
    resources = root / "hsm_setup" / "resources"
    if resources.is_dir():
        print(
            f"resources/: {sum(len(p.read_text().splitlines()) for p in resources.rglob('*.py'))} lines in {len(list(resources.rglob('*.py')))} modules"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
