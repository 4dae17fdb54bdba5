"""Text from a run (titles, reasons, what a target answered) made inert inside Markdown.

GitHub renders the step summary and a pasted report with cmark-gfm: raw HTML, links,
images, `<url>` autolinks and bare `http://` / `www.` autolinks would all become live.
Backslash escapes and character references keep such text showing exactly as written.
E-mail addresses are still linked (cmark-gfm links them whatever their escapes); a
`mailto:` link shows the address it opens, so it cannot pose as something else.
"""

from __future__ import annotations

import re

# Backslash first, so the escapes added after it are not themselves escaped.
_CHARACTERS = str.maketrans(
    {
        "\\": "\\\\",
        "`": "\\`",
        "[": "\\[",
        "]": "\\]",
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "\r": " ",
        "\n": " ",
    }
)
_BARE_LINK = re.compile(r"(?i)(?P<lead>\bwww)\.|(?P<scheme>[a-z][a-z0-9+.-]*):(?=//)")


def inline(text: str) -> str:
    """`text` on one line of Markdown: no HTML, no link, no image, no code span of its own."""
    escaped = text.translate(_CHARACTERS)
    return _BARE_LINK.sub(_break_link, escaped)


def table_cell(text: str) -> str:
    """`text` inside a GFM table cell: inline, with its pipes kept out of the column split."""
    return inline(text).replace("|", "\\|")


def _break_link(match: re.Match[str]) -> str:
    if match.group("lead"):
        return f"{match.group('lead')}\\."
    return f"{match.group('scheme')}\\:"
