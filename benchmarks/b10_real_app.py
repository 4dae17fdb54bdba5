"""B10: the shipped gate checks on a small real Vite + React + TypeScript app, -n 4 vs -n 0.

Usage: python benchmarks/b10_real_app.py [repeats]. Writes the app (a product dashboard:
components, a data module, unit tests with vitest, ESLint with typescript-eslint, Prettier,
an axe-core scan of the built page in jsdom) into a temporary git repository, links its
node_modules from /tmp/b10-node-modules (installed there from the npm registry on the first
run), copies the shipped `checks/test_gates.py`, and runs the gate phase with `-n 0`,
`-n 4` and `-n auto` (which learns from the run before it), interleaved. The integration
and E2E items need services this app does not have: they are deselected (so each run is
partial, a NO-GO by design; only times are compared). The a11y scan is of the built
page's HTML with a static main fragment (jsdom runs no ES modules), not the rendered app.
Prints each mode's wall time, the gate items' durations and the ratio of the run to its
slowest item. Asserts nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path("/tmp/b10-node-modules")
QUIET = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark", "-q"]
SKIPPED = "not integration_tests and not e2e_tests"

PACKAGE = {
    "name": "b10-shop-dashboard",
    "private": True,
    "version": "0.1.0",
    "type": "module",
    "scripts": {
        "build": "tsc --noEmit && vite build",
        "test:unit": "vitest run --reporter=junit --outputFile=reports/junit/unit.xml",
        "lint": "eslint src",
        "fmt": "prettier --check src",
        "test:a11y": "vite build --outDir dist-a11y --logLevel silent && node scripts/a11y.mjs",
    },
    "dependencies": {"react": "^19.0.0", "react-dom": "^19.0.0"},
    "devDependencies": {
        "@eslint/js": "^9.0.0",
        "@testing-library/react": "^16.0.0",
        "@types/react": "^19.0.0",
        "@types/react-dom": "^19.0.0",
        "@vitejs/plugin-react": "^5.0.0",
        "axe-core": "^4.0.0",
        "eslint": "^9.0.0",
        "jsdom": "^26.0.0",
        "prettier": "^3.0.0",
        "typescript": "^5.6.0",
        "typescript-eslint": "^8.0.0",
        "vite": "^7.0.0",
        "vitest": "^3.0.0",
    },
}

FILES = {
    "index.html": """<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <title>Shop dashboard</title>
  </head>
  <body>
    <div id="root"></div>
    <script type="module" src="/src/main.tsx"></script>
  </body>
</html>
""",
    "tsconfig.json": json.dumps(
        {
            "compilerOptions": {
                "target": "ES2022",
                "module": "ESNext",
                "moduleResolution": "bundler",
                "jsx": "react-jsx",
                "strict": True,
                "skipLibCheck": True,
                "noEmit": True,
                "types": ["vitest/globals"],
            },
            "include": ["src"],
        },
        indent=2,
    ),
    "vite.config.ts": """import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  test: { environment: "jsdom", globals: true },
});
""",
    "eslint.config.js": """import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(js.configs.recommended, ...tseslint.configs.recommended);
""",
    ".gitignore": "node_modules\ndist\ndist-a11y\nreports\n",
    "src/inventory.ts": """export interface Product {
  sku: string;
  name: string;
  onHand: number;
  dailySales: number;
  leadTimeDays: number;
}

/** Reorder point: what sells during the lead time, plus a week of safety stock. */
export function reorderPoint(product: Product): number {
  return Math.ceil(product.dailySales * (product.leadTimeDays + 7));
}

export function needsReorder(product: Product): boolean {
  return product.onHand <= reorderPoint(product);
}

export const PRODUCTS: Product[] = [
  { sku: "TEE-01", name: "Cotton tee", onHand: 120, dailySales: 4, leadTimeDays: 14 },
  { sku: "MUG-02", name: "Enamel mug", onHand: 30, dailySales: 3, leadTimeDays: 10 },
  { sku: "CAP-03", name: "Wool cap", onHand: 300, dailySales: 2, leadTimeDays: 21 },
];
""",
    "src/Inventory.tsx": """import { needsReorder, reorderPoint, type Product } from "./inventory";

export function Inventory({ products }: { products: Product[] }) {
  return (
    <table>
      <caption>Inventory</caption>
      <thead>
        <tr>
          <th scope="col">Product</th>
          <th scope="col">On hand</th>
          <th scope="col">Reorder point</th>
        </tr>
      </thead>
      <tbody>
        {products.map((product) => (
          <tr key={product.sku}>
            <td>{product.name}</td>
            <td>{product.onHand}</td>
            <td>{needsReorder(product) ? `reorder (${reorderPoint(product)})` : "ok"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
""",
    "src/App.tsx": """import { Inventory } from "./Inventory";
import { PRODUCTS } from "./inventory";

export function App() {
  return (
    <main>
      <h1>Shop dashboard</h1>
      <Inventory products={PRODUCTS} />
    </main>
  );
}
""",
    "src/main.tsx": """import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
""",
    "src/inventory.test.ts": """import { needsReorder, reorderPoint, PRODUCTS } from "./inventory";

test("the reorder point covers the lead time and a week", () => {
  expect(reorderPoint(PRODUCTS[0])).toBe(84);
});

test("a product below its reorder point needs one", () => {
  expect(needsReorder(PRODUCTS[1])).toBe(true);
  expect(needsReorder(PRODUCTS[2])).toBe(false);
});
""",
    "src/App.test.tsx": """import { render, screen } from "@testing-library/react";
import { App } from "./App";

test("the dashboard lists every product", () => {
  render(<App />);
  expect(screen.getByRole("heading", { name: "Shop dashboard" })).toBeTruthy();
  expect(screen.getAllByRole("row")).toHaveLength(4);
});
""",
    "scripts/a11y.mjs": """// axe-core on the built page in jsdom; writes the results as JSON.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { JSDOM, VirtualConsole } from "jsdom";

const html = readFileSync("dist-a11y/index.html", "utf8");
const dom = new JSDOM(html, {
  runScripts: "outside-only",
  url: "http://localhost/",
  virtualConsole: new VirtualConsole(), // jsdom's "not implemented" notes are not results
});
const script = readFileSync(new URL("../node_modules/axe-core/axe.min.js", import.meta.url));
const { window } = dom;
window.eval(script.toString());
window.document.getElementById("root").innerHTML =
  "<main><h1>Shop dashboard</h1><p>Inventory</p></main>";
const results = await window.axe.run(window.document);
mkdirSync("reports", { recursive: true });
writeFileSync("reports/a11y.json", JSON.stringify({ url: "dist-a11y/index.html", ...results }));
""",
}


def install_node_modules() -> None:
    """Install the app's packages once into the cache, from the npm registry."""
    if (CACHE / "node_modules" / ".package-lock.json").exists():
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / "package.json").write_text(json.dumps(PACKAGE, indent=2))
    subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=CACHE, check=True)


def make_app(root: Path) -> None:
    root.mkdir(parents=True)
    (root / "package.json").write_text(json.dumps(PACKAGE, indent=2) + "\n")
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "node_modules").symlink_to(CACHE / "node_modules")
    subprocess.run(
        ["node_modules/.bin/prettier", "--write", "src"], cwd=root, check=True, capture_output=True
    )
    (root / "checks").mkdir()
    shutil.copy(ROOT / "checks" / "test_gates.py", root / "checks" / "test_gates.py")
    (root / "pyproject.toml").write_text(
        '[tool.readiness]\nchecklist = "checks"\n\n[tool.readiness.envs.local]\ntimeout = 300\n'
        'vars = { a11y_report = "reports/a11y.json" }\n'
    )
    git = ["git", "-c", "user.email=b10@example.com", "-c", "user.name=b10"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "app"], cwd=root, check=True)


def run(root: Path, workers: int | str) -> tuple[float, dict[str, Any], str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    args = [sys.executable, "-m", "pytest", "--readiness", *QUIET, "-n", str(workers)]
    args += ["-k", SKIPPED]
    started = time.perf_counter()
    done = subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    report = json.loads((root / "reports" / "readiness-local.json").read_text())
    return elapsed, report, done.stdout


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    install_node_modules()
    modes: tuple[int | str, ...] = (0, 4, "auto")
    times: dict[int | str, list[float]] = {mode: [] for mode in modes}
    last: dict[int | str, dict[str, Any]] = {}
    chose = ""
    with tempfile.TemporaryDirectory(prefix="b10-") as tmp:
        root = Path(tmp, "app")
        make_app(root)
        for _ in range(repeats):
            for workers in modes:
                elapsed, report, output = run(root, workers)
                times[workers].append(elapsed)
                last[workers] = report
                chose = next((x for x in output.splitlines() if "-n auto:" in x), chose)
    versions = {p: v for p, v in PACKAGE["devDependencies"].items()}  # type: ignore[union-attr]
    print(f"B10 gate phase of a Vite + React + TypeScript app, repeats={repeats}")
    print(f"  packages (ranges; installed versions in {CACHE}/node_modules): {versions}")
    for workers, runs in times.items():
        items = [i for i in last[workers]["items"] if i["outcome"] != "not-selected"]
        slowest = max(i["duration_s"] for i in items)
        median = statistics.median(runs)
        print(
            f"  -n {workers}: median {median:.1f} s (runs: {', '.join(f'{x:.1f}' for x in runs)}),"
            f" slowest item {slowest:.1f} s, ratio to it {median / slowest:.2f}x"
        )
        for item in items:
            cpu = item.get("cpu_s", 0.0)
            print(
                f"    {item['title'][:40]:<40} {item['outcome']:<7} "
                f"{item['duration_s']:5.1f} s (cpu {cpu:.1f} s) {item['reason'][:60]}"
            )
    for mode in (4, "auto"):
        ratio = statistics.median(times[mode]) / statistics.median(times[0])
        print(f"  -n {mode} / -n 0: {ratio:.2f}x the time")
    print(f"  {chose}")


if __name__ == "__main__":
    main()
