"""A stand-in for axe-core: a few of its rules over static HTML, printed in axe's JSON shape.

It is not axe-core (no rendering, no computed styles); it exists so the reference app's
accessibility gate runs with Python alone. Usage: `python tools/a11y_scan.py site`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

RULES = {
    "image-alt": ("critical", "Images must have alternative text"),
    "html-has-lang": ("serious", "<html> element must have a lang attribute"),
    "document-title": ("serious", "Documents must have <title> element"),
    "button-name": ("critical", "Buttons must have discernible text"),
    "link-name": ("serious", "Links must have discernible text"),
    "label": ("critical", "Form elements must have labels"),
}


@dataclass
class PageScan(HTMLParser):
    """Walks one page and records offending elements per rule."""

    found: dict[str, list[str]] = field(default_factory=dict)
    labels: set[str] = field(default_factory=set)
    inputs: list[tuple[str, str]] = field(default_factory=list)
    has_title: bool = False
    open_text: list[list[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def flag(self, rule: str, html: str) -> None:
        self.found.setdefault(rule, []).append(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        rendered = "".join(f' {key}="{value}"' for key, value in values.items())
        html = f"<{tag}{rendered}>"
        if tag == "html" and not values.get("lang"):
            self.flag("html-has-lang", html)
        elif tag == "title":
            self.has_title = True
        elif tag == "img" and "alt" not in values:
            self.flag("image-alt", html)
        elif tag == "label" and values.get("for"):
            self.labels.add(values["for"])
        elif tag == "input" and values.get("type") not in ("hidden", "submit"):
            if not values.get("aria-label"):
                self.inputs.append((values.get("id", ""), html))
        elif tag in ("a", "button") and not values.get("aria-label"):
            self.open_text.append([tag, html])

    def handle_data(self, data: str) -> None:
        if self.open_text and data.strip():
            self.open_text[-1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if self.open_text and self.open_text[-1][0] == tag:
            name, html, *text = self.open_text.pop()
            if not "".join(text).strip():
                self.flag("button-name" if name == "button" else "link-name", html)

    def finish(self) -> dict[str, list[str]]:
        if not self.has_title:
            self.flag("document-title", "<html>")
        for ident, html in self.inputs:
            if ident not in self.labels:
                self.flag("label", html)
        return self.found


def scan(page: Path) -> dict[str, object]:
    parser = PageScan()
    parser.feed(page.read_text(encoding="utf-8"))
    found = parser.finish()
    violations = [
        {
            "id": rule,
            "impact": RULES[rule][0],
            "help": RULES[rule][1],
            "nodes": [{"html": html, "impact": RULES[rule][0], "target": [html]} for html in nodes],
        }
        for rule, nodes in sorted(found.items())
    ]
    return {
        "testEngine": {"name": "shopfront-a11y-standin"},
        "url": page.name,
        "violations": violations,
    }


def main(argv: list[str]) -> int:
    site = Path(argv[1] if len(argv) > 1 else "site")
    print(json.dumps([scan(page) for page in sorted(site.glob("*.html"))], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
