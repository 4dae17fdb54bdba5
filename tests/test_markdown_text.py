"""Escaping for Markdown, checked against GitHub's own renderer (cmark-gfm)."""

from __future__ import annotations

import cmarkgfm
import pytest
from cmarkgfm import Options

from pytest_readiness.report.markdown_text import inline, table_cell


def paragraph(markdown: str) -> str:
    html = str(
        cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    )
    return html.removeprefix("<p>").removesuffix("</p>\n")


@pytest.mark.parametrize(
    "text",
    [
        "[click](http://evil)",
        "![x](http://evil/img)",
        "<http://evil>",
        "see https://evil.example/path and www.evil.example",
        "<b onmouseover=alert(1)>hover</b>",
        "[ref][1]\n\n[1]: http://evil",
        "`code` and a \\` backtick",
    ],
)
def test_inline_text_renders_as_the_same_text_and_nothing_else(text: str) -> None:
    html = paragraph(inline(text))
    assert "<a " not in html and "<img" not in html and "<b " not in html and "<code" not in html
    expected = (
        text.replace("\n", " ").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    )
    assert html == expected


def test_a_pipe_stays_inside_its_table_cell() -> None:
    cells = " | ".join(table_cell(text) for text in ("x | y", "ends in \\"))
    html = str(cmarkgfm.github_flavored_markdown_to_html(f"| a | b |\n| --- | --- |\n| {cells} |"))
    assert "<td>x | y</td>" in html
    assert "<td>ends in \\</td>" in html
