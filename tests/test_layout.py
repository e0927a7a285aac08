"""Package layout rules: one import name (``aidenum``) and no import cycle between modules."""
from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGES = ("catalogue", "commands", "drafting", "matcher", "spiders", "watch", "web")
OLD_TOP_LEVEL = {*PACKAGES, "cli", "plans"}


def _modules() -> dict[str, Path]:
    found = {"aidenum.cli": ROOT / "cli.py"}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(("aidenum", *parts))] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """aidenum modules that ``name`` imports when it is itself imported (module-level statements;
    imports deferred inside functions are start-up choices, reported in the README as known lazy
    back-references rather than counted here)."""
    is_package = path.name == "__init__.py"
    targets = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom, ast.If, ast.Try))]
    for node in (inner for statement in top_level for inner in ast.walk(statement)):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            candidates = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        targets |= {candidate for candidate in candidates if candidate in modules and candidate != name}
    return targets


def test_every_import_goes_through_the_aidenum_name():
    offenders = []
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                heads = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                heads = [(node.module or "").split(".")[0]]
            else:
                continue
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno} {head}" for head in heads if head in OLD_TOP_LEVEL]
    assert offenders == []
def test_no_import_cycle_between_modules():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    # a package importing its own submodules (re-exports) is not a cycle between modules
    graph = {name: {t for t in targets if not t.startswith(name + ".")} for name, targets in graph.items()}
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target, stack + [target])
        state[node] = "done"
    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []
