"""The titles of the checks in a checklist folder, read from their markers, not imported.

Without a runbook, a sign-off or waiver names a check by the title of its category
marker (`@pytest.mark.gate("Build: PASSING")`). The `readiness` command line checks a
title against these before recording it, without collecting (and so importing) the
checks: only literal titles are seen, which is how checks are written.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

from pytest_readiness.runbook.lines import normalise


def titles(folder: Path, categories: Collection[str]) -> list[str]:
    """Every literal title of a category marker in the folder's test modules, once each.

    In the order of the modules' paths, then of the markers' lines.
    """
    found: dict[str, None] = {}
    for module in sorted(_modules(folder)):
        try:
            tree = ast.parse(module.read_text(encoding="utf-8"), str(module))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            continue  # the run reports a module that does not import; here it has no titles
        for title in _marker_titles(tree, categories):
            found.setdefault(title, None)
    return list(found)


def closest_title(title: str, candidates: Iterable[str]) -> str | None:
    """The candidate whose normalised text is most like `title`'s."""
    key = normalise(title)
    scored = [
        (difflib.SequenceMatcher(None, key, normalise(other)).ratio(), other)
        for other in candidates
    ]
    return max(scored)[1] if scored else None


def describe_closest_title(title: str, candidates: Iterable[str]) -> str:
    """`closest check title: 'Build: PASSING'`, for a reason that names a title wrongly."""
    near = closest_title(title, candidates)
    return f"closest check title: {near!r}" if near is not None else "no check has a title"


def _modules(folder: Path) -> Iterator[Path]:
    for pattern in ("test_*.py", "*_test.py"):
        yield from folder.rglob(pattern)


def _marker_titles(tree: ast.AST, categories: Collection[str]) -> Iterator[str]:
    """First string arguments of `pytest.mark.<category>(...)` / `mark.<category>(...)`."""
    for node in sorted(ast.walk(tree), key=_position):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value
        marks = (isinstance(owner, ast.Attribute) and owner.attr == "mark") or (
            isinstance(owner, ast.Name) and owner.id == "mark"
        )
        if not marks or node.func.attr not in categories or not node.args:
            continue
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            yield first.value


def _position(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
