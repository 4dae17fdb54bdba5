"""A runbook line's Markdown as safe HTML: its links as links, everything else escaped.

markdown-it parses the line; only what it parsed as a link (to http, https, mailto or a
relative target), inline code, emphasis and strong emphasis become tags, all of them
written here. Raw HTML in the line (tags, comments, `<script>`) is dropped, not passed on.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

_SAFE_SCHEMES = ("http://", "https://", "mailto:")
_TAGS = {
    "strong_open": "<strong>",
    "strong_close": "</strong>",
    "em_open": "<em>",
    "em_close": "</em>",
    "softbreak": " ",
    "hardbreak": " ",
}


def inline_html(markdown: str) -> str:
    """The line as HTML: links, code and emphasis rendered, all text escaped."""
    tokens = _markdown().parseInline(markdown)
    return _render(tokens[0].children or ()) if tokens else escape(markdown)


def has_link(markdown: str) -> bool:
    """True when the line holds a link that `inline_html` renders as one."""
    tokens = _markdown().parseInline(markdown)
    children = tokens[0].children or () if tokens else ()
    return any(child.type == "link_open" and _safe(child) for child in children)


@functools.cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt  # only pages with a runbook pay for the parser

    return MarkdownIt("commonmark")


def _render(children: Sequence[Token]) -> str:
    parts: list[str] = []
    links: list[bool] = []  # per open link: whether it became an <a>
    for child in children:
        if child.type in ("text", "text_special"):
            parts.append(escape(child.content))
        elif child.type == "code_inline":
            parts.append(f"<code>{escape(child.content)}</code>")
        elif child.type == "link_open":
            links.append(_safe(child))
            if links[-1]:
                parts.append(f'<a href="{escape(str(child.attrGet("href")))}">')
        elif child.type == "link_close":
            parts.append("</a>" if links and links.pop() else "")
        elif child.type == "image":
            parts.append(escape(child.content))
        else:
            parts.append(_TAGS.get(child.type, ""))
    return "".join(parts)


def _safe(link: Token) -> bool:
    href = str(link.attrGet("href") or "")
    return href.startswith(_SAFE_SCHEMES) or ":" not in href.split("/", 1)[0]
