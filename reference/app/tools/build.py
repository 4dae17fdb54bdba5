"""Build the app: byte-compile `src/` and bundle `site/` into `dist/`, checking every asset."""

from __future__ import annotations

import compileall
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class AssetLinks(HTMLParser):
    """Collects local `src` and stylesheet `href` references."""

    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        ref = values.get("src") or (values.get("href") if tag == "link" else None)
        if ref and "://" not in ref and not ref.startswith("#"):
            self.assets.append(ref)


def missing_assets(site: Path) -> list[str]:
    missing = []
    for page in sorted(site.glob("*.html")):
        parser = AssetLinks()
        parser.feed(page.read_text(encoding="utf-8"))
        missing += [f"{page.name} -> {ref}" for ref in parser.assets if not (site / ref).is_file()]
    return missing


def main() -> int:
    if not compileall.compile_dir(ROOT / "src", quiet=1):
        print("build failed: src/ does not compile", file=sys.stderr)
        return 1
    missing = missing_assets(ROOT / "site")
    if missing:
        print(f"build failed: missing asset {', '.join(missing)}", file=sys.stderr)
        return 1
    shutil.rmtree(ROOT / "dist", ignore_errors=True)
    shutil.copytree(ROOT / "site", ROOT / "dist")
    print(f"built dist/ from {len(list((ROOT / 'site').iterdir()))} site files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
