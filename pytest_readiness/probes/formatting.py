"""Read a format checker's verdict (prettier --check, ruff format --check, black --check).

A checker that matched no file checked nothing: that fails like a formatting problem.
"""

from __future__ import annotations

import re

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes import tool_errors
from pytest_readiness.probes._text import counted, first
from pytest_readiness.probes.command import CommandResult

# prettier: "[warn] src/a.ts"; black and older ruff: "would reformat a.py";
# ruff >= 0.9: "unformatted: File would be reformatted" then " --> a.py:3:1".
_NAMED_FILE = re.compile(
    r"^(?:\[warn\]\s+(?P<prettier>\S.*?)"
    r"|[Ww]ould reformat:?\s+(?P<other>\S.*?)"
    r"|\s*-->\s+(?P<arrow>\S+?)(?::\d+:\d+)?)\s*$",
    re.MULTILINE,
)
_NOT_FILES = ("Code style issues", "Run Prettier")
_CRASHED = re.compile(r"^\[error\] \S+: \w*Error\b", re.MULTILINE)  # prettier could not parse
# ruff, black and prettier saying no file matched: nothing was checked, whatever the exit code.
_NOTHING_CHECKED = re.compile(
    r"^.*(?:No Python files found|No Python files are present|No files matching the pattern)"
    r".*$",
    re.MULTILINE,
)


def unformatted_files(output: str) -> list[str]:
    """The files a format checker says it would change."""
    names: dict[str, None] = {}
    for match in _NAMED_FILE.finditer(output):
        name = match.group("prettier") or match.group("other") or match.group("arrow")
        if name and not name.startswith(_NOT_FILES):
            names[name] = None
    return list(names)


def from_format_check(
    returncode: int, output: str, command: str = "format check", *, allow_empty: bool = False
) -> ProbeResult:
    """Pass when the checker exits 0 having checked files; otherwise name the files it listed.

    A checker that says no file matched fails, unless `allow_empty`. One that fails without
    listing files fails with its own error line (Prettier's `[error] file: SyntaxError ...`).
    """
    return from_format_run(CommandResult(command, returncode, output, 0.0), allow_empty=allow_empty)


def from_format_run(result: CommandResult, *, allow_empty: bool = False) -> ProbeResult:
    """`from_format_check` on a command's result: a timeout or a missing script names it."""
    command, returncode, output = result.command, result.returncode, result.output
    if not command.strip():
        return ProbeResult.failed("no command to run: the format command is empty")
    files = unformatted_files(output)
    needing = f"{counted(len(files), 'file')} need{'s' if len(files) == 1 else ''} formatting"
    evidence = [Evidence("note", needing, detail="\n".join(files))]
    nothing = _NOTHING_CHECKED.search(output)
    if nothing and not files:
        empty = f"no files checked for formatting: {nothing.group(0).strip()}"
        if not allow_empty:
            return ProbeResult.failed(empty, evidence)
        if returncode == 0:
            return ProbeResult.passed(warnings=[empty])
    if result.ok:
        return ProbeResult.passed()
    if files and not result.timed_out:
        not_formatted = f"{counted(len(files), 'file')} not formatted: {first(files)}"
        if _CRASHED.search(output):  # prettier also failed to parse a file: say which
            not_formatted += f"; {tool_errors.why_failed(output)}"
        return ProbeResult.failed(not_formatted, evidence)
    return ProbeResult.failed(result.failure(), evidence)
