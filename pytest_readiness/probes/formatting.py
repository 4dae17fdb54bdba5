"""Read a format checker's verdict (prettier --check, ruff format --check, black --check)."""

from __future__ import annotations

import re

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes._text import first

# prettier: "[warn] src/a.ts"; black and older ruff: "would reformat a.py";
# ruff >= 0.9: "unformatted: File would be reformatted" then " --> a.py:3:1".
_NAMED_FILE = re.compile(
    r"^(?:\[warn\]\s+(?P<prettier>\S.*?)"
    r"|[Ww]ould reformat:?\s+(?P<other>\S.*?)"
    r"|\s*-->\s+(?P<arrow>\S+?)(?::\d+:\d+)?)\s*$",
    re.MULTILINE,
)
_NOT_FILES = ("Code style issues", "Run Prettier")


def unformatted_files(output: str) -> list[str]:
    """The files a format checker says it would change."""
    names: dict[str, None] = {}
    for match in _NAMED_FILE.finditer(output):
        name = match.group("prettier") or match.group("other") or match.group("arrow")
        if name and not name.startswith(_NOT_FILES):
            names[name] = None
    return list(names)


def from_format_check(returncode: int, output: str, command: str = "format check") -> ProbeResult:
    """Pass when the checker exits 0; otherwise name the files it listed."""
    files = unformatted_files(output)
    evidence = [Evidence("note", f"{len(files)} files need formatting", detail="\n".join(files))]
    if returncode == 0:
        return ProbeResult.passed()
    if files:
        return ProbeResult.failed(f"{len(files)} files not formatted: {first(files)}", evidence)
    return ProbeResult.failed(f"{command} exited {returncode}", evidence)
