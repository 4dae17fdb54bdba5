"""The package's layout is its architecture: no import cycles, and lower layers never climb.

Every `import` and `from ... import` of `pytest_readiness` counts, at module level or inside
a function (a lazy import is still a dependency); `if TYPE_CHECKING:` imports count too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pytest_readiness"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> Iterator[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from package import submodule` needs the submodule; any other name, the module.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of ours it imports."""
    modules = _modules()
    known = set(modules)
    return {name: set(_imports(name, path, known)) for name, path in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def _ours(graph: dict[str, set[str]], module: str) -> set[str]:
    """What `module` imports, leaving out package `__init__` modules it passes through."""
    return {target for target in graph[module] if target != "pytest_readiness"}


def test_the_package_has_no_import_cycle() -> None:
    cycles = find_cycles(import_graph())
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_the_model_imports_nothing_of_ours() -> None:
    assert _ours(import_graph(), "pytest_readiness.model") == set()


def test_probes_import_only_the_model_and_their_own_helpers() -> None:
    graph = import_graph()
    allowed = {"pytest_readiness.model", "pytest_readiness.probes"}
    for module in graph:
        if module.startswith("pytest_readiness.probes"):
            climbing = {
                t
                for t in _ours(graph, module)
                if t not in allowed and not t.startswith("pytest_readiness.probes.")
            }
            assert climbing == set(), f"{module} imports {sorted(climbing)}"


# Each layer may import only layers below it (and itself): the model at the bottom, the
# entry points (plugin, cli, the public API) at the top. report renders what the run built.
LAYERS = (
    ("model",),
    ("probes",),
    ("config", "redact", "hooks"),
    ("runbook",),
    ("run",),
    ("report",),
    ("scaffold",),  # `readiness init`: reads a runbook, writes config and checks
    ("plugin", "cli", ""),
)


def _layer(module: str) -> int:
    top = module.removeprefix("pytest_readiness").lstrip(".").split(".")[0]
    return next(n for n, names in enumerate(LAYERS) if top in names)


def test_no_module_imports_a_higher_layer() -> None:
    graph = import_graph()
    climbing = [
        f"{module} -> {target}"
        for module, targets in sorted(graph.items())
        for target in sorted(targets)
        if _layer(target) > _layer(module)
    ]
    assert climbing == []


def test_every_module_belongs_to_a_layer() -> None:
    for module in import_graph():
        assert _layer(module) >= 0
