from __future__ import annotations

from shopfront.page import render


def test_the_page_shows_the_escaped_greeting() -> None:
    html = render("Hello <world>")
    assert "Hello &lt;world&gt;" in html
    assert '<html lang="en">' in html
