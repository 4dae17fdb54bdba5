"""Wrap the long lines of generated checks as Black and `ruff format` would, at 88 columns.

A team's format gate runs over the whole repository, `checks/` included: the code init
writes must already be formatted, or its own format check fails on day one. Only the shapes
init writes are handled: a line ending in a call whose arguments are split off the line,
onto one line if they fit, else one per line with a trailing comma.
"""

from __future__ import annotations

import io
import itertools
import tokenize

LINE_LENGTH = 88


def wrap(source: str) -> str:
    """`source` with every over-long line ending in a call split inside its brackets."""
    return "".join(_wrap_line(line) for line in source.splitlines(keepends=True))


def _wrap_line(line: str) -> str:
    body = line.rstrip("\n")
    if len(body) <= LINE_LENGTH or body.lstrip().startswith("#"):
        return line
    span = _trailing_call(body)
    if span is None:
        return line
    start, end, arguments = span
    indent = " " * (len(body) - len(body.lstrip()))
    head, inner, tail = body[: start + 1], body[start + 1 : end].strip(), body[end:]
    one_line = f"{indent}    {inner}"
    if len(one_line) <= LINE_LENGTH or len(arguments) == 1:
        return f"{head}\n{one_line}\n{indent}{tail}\n"
    listed = "".join(f"{indent}    {argument},\n" for argument in arguments)
    return f"{head}\n{listed}{indent}{tail}\n"


def _trailing_call(body: str) -> tuple[int, int, list[str]] | None:
    """Where the bracket closing at the line's end (before a `:`) opens and closes, and
    its top-level arguments."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(body + "\n").readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    depth, opened = 0, -1
    commas: list[int] = []
    for token in tokens:
        if token.type != tokenize.OP:
            continue
        if token.string in "([{":
            if depth == 0:
                opened, commas = token.start[1], []
            depth += 1
        elif token.string in ")]}":
            depth -= 1
        elif token.string == "," and depth == 1:
            commas.append(token.start[1])
    end = len(body) - (2 if body.endswith("):") else 1)
    if opened < 0 or body[end] != ")" or depth != 0:
        return None
    edges = [opened, *commas, end]
    arguments = [body[a + 1 : b].strip() for a, b in itertools.pairwise(edges)]
    return opened, end, [argument for argument in arguments if argument]
