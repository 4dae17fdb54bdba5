"""Render the storefront page from the static template."""

from __future__ import annotations

from html import escape
from pathlib import Path

SITE = Path(__file__).resolve().parents[2] / "site"


def render(greeting: str) -> str:
    """The index page with the greeting inserted (escaped)."""
    template = (SITE / "index.html").read_text(encoding="utf-8")
    return template.replace("{{ greeting }}", escape(greeting))
