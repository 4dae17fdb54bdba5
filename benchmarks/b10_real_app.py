"""B10: the shipped gate checks on a real public Vite + React + TypeScript app, -n 4 vs -n 0.

Usage: python benchmarks/b10_real_app.py [repeats] [app-git-dir]  (or B10_APP_GIT=...).

The app is alan2207/bulletproof-react's `apps/react-vite` (a discussions/teams app built
to show how a React codebase is laid out: 128 TypeScript source files, 12 vitest files with
21 tests against an msw mock API, ESLint 8 with typescript-eslint, import, jsx-a11y, prettier
and tailwind plugins, `tsc && vite build`) at the pinned commit `APP_COMMIT`. None of its
code is in this repository: the script reads it from a git directory (default
`DEFAULT_APP_GIT`, a mirror of the GitHub repository), exports the commit into a temporary
folder and installs its packages once from the npm registry into
/tmp/b10-node-modules/<commit>, pinned by the app's own yarn.lock (npm follows a yarn.lock
when there is no package-lock; the lock's `resolved` hosts are pointed at the configured
npm registry, since one of them is a mirror that is not reachable here). Install scripts
are skipped: the app's `prepare` installs husky git hooks, which a benchmark needs not.

What is added around the app, and why:

* `.env`, a copy of the app's `.env.example` (its README's first step: the app's env
  module throws without `VITE_APP_API_URL`, so the unit tests need it).
* `a11y/pages.a11y.test.tsx`: the app has no accessibility scan of its own (only the
  jsx-a11y lint rules and storybook's addon). This vitest file renders the landing, login
  and register routes with the app's own `renderApp` test utility in jsdom, runs axe-core
  (in the app's packages) on each and writes `reports/a11y.json`. It sits outside `src`,
  so the app's tsc and ESLint do not see it and the unit run (`vitest run src/`) skips it.
* `pyproject.toml` with a `[tool.readiness]` table whose `vars` run the app's own tools
  where it has no script the gate's default expects (`test:unit` with JUnit, `fmt`,
  `test:a11y`): `vitest run src/` with the JUnit reporter, `prettier --check` over the
  TypeScript files the app's ESLint prettier rule covers (its `src/index.css` is not
  prettier-formatted: the app never checks it), and the a11y file above. The build is the
  app's `npm run build`; lint is its `npm run lint` with ESLint's JSON written to a file
  (`vars.lint_report`): its JSON on stdout, 35 kB for 128 files, is longer than the output
  tail a command result keeps, so the default `--format json` on stdout fails as "not JSON".
* `checks/test_gates.py`, a copy of the shipped gate checks; then `git init` and one
  commit (the secrets gate scans tracked files), with `reports/` in `.git/info/exclude`.

The integration and E2E items need services (the app's E2E run is Playwright against its
mock server): they are deselected, so each run is partial, a NO-GO by design; only times
are compared. The secrets gate fails on the app as it is: detect-secrets takes the
`INTEGRITY_CHECKSUM` in msw's generated `public/mockServiceWorker.js` for a hex secret (a
false positive that a `.secrets.baseline` would settle); it is left as found.

Runs a warm-up `-n 0` (vite's and ESLint's first run in a fresh folder; `-n auto` learns
from it), then `-n 0`, `-n 4` and `-n auto`, interleaved, and prints each mode's wall time
(median and runs), the 1-minute load before and after each run, each gate item's start
(after the run's first item), duration and CPU in the mode's last run, the ratio of the run
to its slowest item and to the slowest item of `-n 0` (that item alone), and `-n 4 / -n 0`.
Asserts nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
APP_REPO = "alan2207/bulletproof-react"
APP_COMMIT = "9506629ed003a561c6627735480cce4994244bb4"  # 2026-05-14, main
APP_DIR = "apps/react-vite"
DEFAULT_APP_GIT = "/work/.mirror/alan2207+bulletproof-react/repo"
CACHE = Path("/tmp/b10-node-modules") / APP_COMMIT[:12]
QUIET = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark", "-q"]
SKIPPED = "not integration_tests and not e2e_tests"

VARS = {
    "unit_test_command": "npx vitest run src/ --reporter=junit --outputFile=reports/junit/unit.xml",
    "format_command": "npx prettier --check 'src/**/*.{ts,tsx}'",
    "lint_command": "npm run lint -- --format json --output-file reports/eslint.json",
    "lint_report": "reports/eslint.json",
    "a11y_command": "npx vitest run a11y/",
    "a11y_report": "reports/a11y.json",
}

A11Y_TEST = """// Added by pytest-readiness's benchmarks/b10_real_app.py, not the app's: axe-core
// on the public pages, rendered by the app's own test utility in vitest's jsdom.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

import axe from 'axe-core';

import LoginRoute from '../src/app/routes/auth/login';
import RegisterRoute from '../src/app/routes/auth/register';
import LandingRoute from '../src/app/routes/landing';
import { renderApp } from '../src/testing/test-utils';

const pages: unknown[] = [];
// jsdom's document is not index.html: give it the page's language, as the browser would.
const lang = /<html[^>]*\\blang="([^"]+)"/.exec(readFileSync('index.html', 'utf8'))?.[1];

afterAll(() => {
  mkdirSync('reports', { recursive: true });
  writeFileSync('reports/a11y.json', JSON.stringify(pages));
});

test.each([
  ['/', LandingRoute],
  ['/auth/login', LoginRoute],
  ['/auth/register', RegisterRoute],
])('axe-core on %s', async (url, Route) => {
  if (lang) document.documentElement.lang = lang;
  const { unmount } = await renderApp(<Route />, { user: null, url, path: url });
  pages.push({ ...(await axe.run(document)), url });
  unmount();
});
"""


def app_git() -> str:
    args = [a for a in sys.argv[1:] if not a.isdigit()]
    return args[0] if args else os.environ.get("B10_APP_GIT", DEFAULT_APP_GIT)


def git(git_dir: str, *args: str, **kw: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], check=False, **kw)


def has_commit(git_dir: str) -> bool:
    found = git(git_dir, "cat-file", "-e", f"{APP_COMMIT}^{{commit}}", capture_output=True)
    return Path(git_dir).is_dir() and found.returncode == 0


def install_node_modules(git_dir: str) -> None:
    """Install the app's packages once into the cache, as its yarn.lock pins them."""
    if (CACHE / "node_modules" / ".package-lock.json").exists():
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "yarn.lock"):
        text = git(git_dir, "show", f"{APP_COMMIT}:{APP_DIR}/{name}", capture_output=True)
        (CACHE / name).write_bytes(text.stdout)
    registry = subprocess.run(
        ["npm", "config", "get", "registry"], capture_output=True, text=True, check=True
    ).stdout.strip()
    lock = CACHE / "yarn.lock"
    lock.write_text(
        re.sub(r'(resolved ")https?://[^/"]+/', rf"\g<1>{registry.rstrip('/')}/", lock.read_text())
    )
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=CACHE, check=True
    )


def make_app(git_dir: str, root: Path) -> None:
    root.mkdir(parents=True)
    archive = git(git_dir, "archive", APP_COMMIT, APP_DIR, stdout=subprocess.PIPE)
    subprocess.run(
        ["tar", "-x", "--strip-components", str(APP_DIR.count("/") + 1)],
        input=archive.stdout,
        cwd=root,
        check=True,
    )
    (root / "node_modules").symlink_to(CACHE / "node_modules")
    shutil.copy(root / ".env.example", root / ".env")
    (root / "a11y").mkdir()
    (root / "a11y" / "pages.a11y.test.tsx").write_text(A11Y_TEST)
    (root / "checks").mkdir()
    shutil.copy(ROOT / "checks" / "test_gates.py", root / "checks" / "test_gates.py")
    table = ", ".join(f"{key} = {json.dumps(value)}" for key, value in VARS.items())
    (root / "pyproject.toml").write_text(
        '[tool.readiness]\nchecklist = "checks"\n\n[tool.readiness.envs.local]\n'
        f"timeout = 300\nvars = {{ {table} }}\n"
    )
    user = ["git", "-c", "user.email=b10@example.com", "-c", "user.name=b10"]
    subprocess.run([*user, "init", "-q"], cwd=root, check=True)
    (root / ".git" / "info" / "exclude").write_text("reports/\n")
    subprocess.run([*user, "add", "-A"], cwd=root, check=True)
    subprocess.run([*user, "commit", "-qm", "app"], cwd=root, check=True)


def run(root: Path, workers: int | str) -> tuple[float, dict[str, Any], str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    args = [sys.executable, "-m", "pytest", "--readiness", *QUIET, "-n", str(workers)]
    args += ["-k", SKIPPED]
    launched, started = time.time(), time.perf_counter()
    done = subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    report = json.loads((root / "reports" / "readiness-local.json").read_text())
    report["launched"], report["exited"] = launched, time.time()  # for start-up and exit
    return elapsed, report, done.stdout


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def main() -> None:
    numbers = [int(a) for a in sys.argv[1:] if a.isdigit()]
    repeats = numbers[0] if numbers else 3
    git_dir = app_git()
    if not has_commit(git_dir):
        print(
            f"B10 skipped: no git directory with {APP_REPO} at {APP_COMMIT[:12]} in {git_dir};"
            f" clone https://github.com/{APP_REPO} and pass its .git (or set B10_APP_GIT)"
        )
        return
    install_node_modules(git_dir)
    modes: tuple[int | str, ...] = (0, 4, "auto")
    times: dict[int | str, list[float]] = {mode: [] for mode in modes}
    loads: dict[int | str, list[str]] = {mode: [] for mode in modes}
    last: dict[int | str, dict[str, Any]] = {}
    chose = ""
    with tempfile.TemporaryDirectory(prefix="b10-") as tmp:
        root = Path(tmp, "app")
        make_app(git_dir, root)
        run(root, 0)  # warm-up: vite's and ESLint's first-run work; -n auto learns from it
        for _ in range(repeats):
            for workers in modes:
                before = os.getloadavg()[0]
                elapsed, report, output = run(root, workers)
                times[workers].append(elapsed)
                loads[workers].append(f"{before:.1f}->{os.getloadavg()[0]:.1f}")
                last[workers] = report
                chose = next((x for x in output.splitlines() if "-n auto:" in x), chose)
    print(
        f"B10 gate phase of {APP_REPO} {APP_DIR} at {APP_COMMIT[:12]}, repeats={repeats},"
        f" {os.cpu_count()} cores; packages from its yarn.lock in {CACHE}"
    )
    print(f"  added: .env from .env.example, a11y/pages.a11y.test.tsx, vars {sorted(VARS)}")
    alone = max(i["duration_s"] for i in last[0]["items"])  # the slowest item on its own
    for workers, runs in times.items():
        items = [i for i in last[workers]["items"] if i["outcome"] != "not-selected"]
        slowest = max(i["duration_s"] for i in items)
        median = statistics.median(runs)
        first = min(_seconds(i["started_at"]) for i in items)
        end = max(_seconds(i["finished_at"]) for i in items)
        print(
            f"  -n {workers}: median {median:.1f} s (runs: {', '.join(f'{x:.1f}' for x in runs)};"
            f" load {', '.join(loads[workers])}), slowest item {slowest:.1f} s,"
            f" ratio to it {median / slowest:.2f}x, to the slowest item of -n 0"
            f" ({alone:.1f} s) {median / alone:.2f}x"
        )
        print(
            f"    last run: first item started {first - last[workers]['launched']:.1f} s after"
            f" launch; exit {last[workers]['exited'] - end:.1f} s after the last item ended"
        )
        for item in items:
            cpu = item.get("cpu_s", 0.0)
            start = _seconds(item["started_at"]) - first
            print(
                f"    {item['title'][:36]:<36} {item['outcome']:<7} +{start:5.1f} s"
                f" {item['duration_s']:5.1f} s (cpu {cpu:5.1f} s) {item['reason'][:45]}"
            )
    for mode in (4, "auto"):
        ratio = statistics.median(times[mode]) / statistics.median(times[0])
        print(f"  -n {mode} / -n 0: {ratio:.2f}x the time")
    print(f"  {chose}")


if __name__ == "__main__":
    main()
