"""Write docs/probes.md from the probes' own docstrings and signatures.

Each probe module: what it checks (its docstring), its public functions with their
arguments and what fails them (their docstrings), and as an example the shipped check that
uses it. `tests/test_docs.py` fails when the page is not what this script writes, so the
reference cannot drift from the code.

Usage: python docs/make_probes_reference.py        (rewrites docs/probes.md)
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pytest_readiness.probes as probes  # noqa: E402

PAGE = ROOT / "docs" / "probes.md"
CHECKS = ROOT / "checks"

INTRO = """# Probes

Probes are the reusable logic behind the checks: plain values in (a client, a connection,
a path, thresholds), a `ProbeResult` out (`ok`, a one-line `reason`, `evidence`,
`warnings`). They import no pytest, so they run outside a test too. A check passes a result
to `evidence.expect(result)`, which records the evidence and warnings and fails the item
with the reason. Import them as `from pytest_readiness.probes import lint`.

This page is generated from the code by `python docs/make_probes_reference.py`; each
example is the shipped check in `checks/` that uses the probe.
"""


def probe_modules() -> list[ModuleType]:
    names = sorted(m.name for m in pkgutil.iter_modules(probes.__path__) if not m.ispkg)
    return [importlib.import_module(f"pytest_readiness.probes.{n}") for n in names if n[0] != "_"]


def public_members(module: ModuleType) -> list[tuple[str, object]]:
    members = []
    for name, value in vars(module).items():
        if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(value) or inspect.isclass(value):
            members.append((name, value))
    return sorted(members, key=lambda pair: _line(pair[1]))


def _line(value: object) -> int:
    try:
        return inspect.getsourcelines(value)[1]  # type: ignore[arg-type]
    except (OSError, TypeError):
        return 0


def example(module: ModuleType) -> str | None:
    """The first shipped check whose module imports this probe and whose body uses it."""
    short = module.__name__.rsplit(".", 1)[1]
    for path in sorted(CHECKS.glob("test_*.py")):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        if not _imports(tree, short):
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and f"{short}." in ast.get_source_segment(
                source, node
            ):
                segment = ast.get_source_segment(source, node) or ""
                decorators = "".join(
                    f"@{ast.get_source_segment(source, d)}\n" for d in node.decorator_list
                )
                return f"# {path.relative_to(ROOT)}\n{decorators}{segment}"
    return None


def _imports(tree: ast.Module, short: str) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == "pytest_readiness.probes"
        and any(alias.name == short for alias in node.names)
        for node in ast.walk(tree)
    )


def _signature(value: object) -> str:
    """`(text: str, max_serious: int = 4) -> ProbeResult`: annotations as written, unquoted."""
    try:
        signature = inspect.signature(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    unquoted = signature.replace(
        parameters=[
            p.replace(annotation=_Written(p.annotation)) if isinstance(p.annotation, str) else p
            for p in signature.parameters.values()
        ],
        return_annotation=_Written(signature.return_annotation)
        if isinstance(signature.return_annotation, str)
        else signature.return_annotation,
    )
    return str(unquoted)


class _Written:
    """An annotation shown as its source text (`from __future__ import annotations`)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def render() -> str:
    parts = [INTRO]
    for module in probe_modules():
        short = module.__name__.rsplit(".", 1)[1]
        parts.append(f"## `{short}`\n\n{inspect.cleandoc(module.__doc__ or '(no docstring)')}\n")
        for name, value in public_members(module):
            kind = "class" if inspect.isclass(value) else "def"
            signature = _signature(value)
            doc = inspect.cleandoc(inspect.getdoc(value) or "")
            first = doc.splitlines()[0] if doc else ""
            parts.append(f"- `{kind} {name}{signature}`" + (f": {first}" if first else ""))
        found = example(module)
        if found:
            parts.append(f"\nExample:\n\n```python\n{found}\n```")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    PAGE.write_text(render(), encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)}")
