"""The line of a tool's output that says why it failed, in the tool's own words.

A command's last line is often a log path or a help URL (npm, ESLint). The reason a reader
needs is the line the tool wrote about the problem: npm's `Missing script`, Prettier's
`[error] file: SyntaxError ... (line:col)`, the message after ESLint's "Oops!", Vite's
`Failed to resolve import`, tsc's first `file(line,col): error TS...`, Python's exception
line. That line is found by shape, known
tools first, then any `Error:` line, then the last line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

MAX_LINE = 200

# The script a package manager could not find, by the manager's own wording.
_MISSING_SCRIPT = re.compile(
    r'(?:npm (?:ERR!|error) Missing script: "(?P<npm>[^"]+)"'
    r"|npm ERR! missing script: (?P<npm6>\S+)"
    r"|ERR_PNPM_NO_SCRIPT\s+Missing script:\s+(?P<pnpm>\S+)"
    r'|Couldn\'t find a script named "(?P<berry>[^"]+)"'
    r'|error Command "(?P<yarn>[^"]+)" not found)'
)
# Known tools' error lines, most telling first; each matches one whole line.
_TOOL_LINES = (
    re.compile(r"^.*Missing script:.*$", re.MULTILINE | re.IGNORECASE),  # npm, pnpm
    re.compile(r"^\[error\] (?!\s*[>|\d])\S.*$", re.MULTILINE),  # prettier: file and message
    re.compile(r"^.*Failed to (?:resolve|load) (?:import|url).*$", re.MULTILINE),  # vite
    re.compile(r"^\S+\(\d+,\d+\): error TS\d+:.*$", re.MULTILINE),  # tsc: the first error
    re.compile(r"^.*(?:command not found|: not found)\s*$", re.MULTILINE),  # sh
    re.compile(r"^.*\bCannot find (?:module|package)\b.*$", re.MULTILINE),  # node
)
_ESLINT_OOPS = re.compile(r"Oops! Something went wrong!.*\n(?:\s*\n|ESLint: \S+\n)*(?P<why>.+)")
_ERROR_LINE = re.compile(r"^\s*(?:\w+(?:Error|Exception)|Error|error|ERROR|FATAL)\b:?\s+\S.*$")
_NOISE = re.compile(r"^(?:npm (?:ERR!|error) (?:A complete log|\s*npm run|To see a list))")
# What a shell prints about a child it saw killed: our own kill, when the command timed out.
_KILL_NOTICE = re.compile(r"^(?:.*\s)?(?:Killed|Terminated)\b.*$")


def why_failed(output: str, *, killed: bool = False) -> str:
    """The output's line that best says why the command failed ("" for no output).

    With `killed` (the command timed out and was killed), the shell's notice of that kill
    is left out: the line wanted is the last thing the command itself said.
    """
    if killed:
        output = _without_kill_notices(output)
    for pattern in _TOOL_LINES:
        found = pattern.search(output)
        if found:
            return _trim(found.group(0))
    oops = _ESLINT_OOPS.search(output)
    if oops:
        return _trim(oops.group("why"))
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [
        i for i, line in enumerate(lines) if _ERROR_LINE.match(line) and not _NOISE.match(line)
    ]
    if errors:
        return _trim(_with_detail(lines, errors[-1] if _python_traceback(lines) else errors[0]))
    return _trim(lines[-1]) if lines else ""


def _with_detail(lines: list[str], index: int) -> str:
    """The line, and the next one when it ends in a colon ("Build failed with 1 error:")."""
    line = lines[index]
    if line.endswith(":") and index + 1 < len(lines):
        return f"{line} {lines[index + 1]}"
    return line


def _without_kill_notices(output: str) -> str:
    lines = output.splitlines()
    while lines and (not lines[-1].strip() or _KILL_NOTICE.match(lines[-1].strip())):
        lines.pop()
    return "\n".join(lines)


def missing_script(output: str, cwd: Path | None) -> str:
    """`package.json has no script "x" (scripts: a, b)` when a package manager said so, else ""."""
    found = _MISSING_SCRIPT.search(output)
    if found is None:
        return ""
    name = next(value for value in found.groups() if value)
    scripts = _scripts(cwd / "package.json") if cwd is not None else None
    if scripts is None:
        return f'package.json has no script "{name}"'
    listed = ", ".join(sorted(scripts)) or "none"
    return f'package.json has no script "{name}" (scripts: {listed})'


def _scripts(package_json: Path) -> list[str] | None:
    """The script names in `package_json`, or None when it cannot be read."""
    try:
        loaded = json.loads(package_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    scripts = loaded.get("scripts") if isinstance(loaded, dict) else None
    return [str(name) for name in scripts] if isinstance(scripts, dict) else []


def _python_traceback(lines: list[str]) -> bool:
    """Python prints the exception last; other tools print the first error first."""
    return any(line.startswith("Traceback (most recent call last)") for line in lines)


def _trim(line: str) -> str:
    line = line.strip()
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 3] + "..."
