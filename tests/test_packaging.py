"""The wheel works where only `pip install` put it: no checkout, no PYTHONPATH.

One wheel is built from a copy of the sources and installed into one fresh virtualenv (no
system site-packages) for the whole session; the tests then read its metadata and run the
installed `readiness init` and `pytest --readiness` in a sample repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path

import pytest

WORKTREE = Path(__file__).resolve().parents[1]
RUNBOOK = Path(__file__).parent / "data" / "production-deployment-runbook.md"
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "pytest_readiness")

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Installed:
    """The built wheel and the virtualenv it was installed into."""

    wheel: Path
    venv: Path

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name


def clean_env() -> dict[str, str]:
    """The environment without anything that would find the package outside the venv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST", "VIRTUAL"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p)
    return env


def _run(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"
    source.mkdir()
    for name in SOURCES:
        origin = WORKTREE / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copyfile(origin, source / name)
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", "dist", str(source)], work
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (work / "dist").glob("pytest_readiness-*.whl")
    venv = work / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)], work)
    assert made.returncode == 0, made.stderr
    pip = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], work)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    yield Installed(wheel, venv)


def test_the_wheel_ships_the_type_marker_and_the_report_assets(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())

    for name in (
        "pytest_readiness/py.typed",
        "pytest_readiness/report/readiness.css",
        "pytest_readiness/report/readiness.js",
        "pytest_readiness/scaffold/templates.py",
    ):
        assert name in names


def test_the_wheel_metadata_is_ready_for_pypi(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        meta_name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(wheel.read(meta_name).decode("utf-8"))
        entry_points = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
        entries = wheel.read(entry_points).decode("utf-8")

    assert "Framework :: Pytest" in meta.get_all("Classifier", [])
    assert "Typing :: Typed" in meta.get_all("Classifier", [])
    assert meta["Requires-Python"] == ">=3.11"
    assert meta["License"] == "MIT"
    assert meta["Description-Content-Type"] == "text/markdown"
    assert meta.get_payload().startswith("# pytest-readiness")
    assert any(url.startswith("Issues, https://") for url in meta.get_all("Project-URL", []))
    assert "readiness = pytest_readiness.cli:main" in entries
    assert "readiness = pytest_readiness.plugin" in entries


def test_the_installed_package_is_the_wheel_not_the_checkout(installed: Installed) -> None:
    found = _run(
        [
            str(installed.bin("python")),
            "-c",
            "import pytest_readiness; print(pytest_readiness.__file__)",
        ],
        WORKTREE.parent,
    )

    assert found.returncode == 0, found.stderr
    assert Path(found.stdout.strip()).is_relative_to(installed.venv)


def test_init_then_pytest_readiness_work_from_the_installed_wheel(
    installed: Installed, tmp_path: Path
) -> None:
    repo = tmp_path / "sample"
    repo.mkdir()
    shutil.copyfile(RUNBOOK, repo / "RUNBOOK.md")
    (repo / "pyproject.toml").write_text('[project]\nname = "sample"\n', encoding="utf-8")

    init = _run([str(installed.bin("readiness")), "init", "RUNBOOK.md"], repo, timeout=120)

    assert init.returncode == 0, init.stdout + init.stderr
    assert "bound: 30 lines to checks; manual: 1 line" in init.stdout
    run = _run([str(installed.bin("pytest")), "--readiness", "-q"], repo, timeout=300)
    assert run.returncode == 1, run.stdout + run.stderr
    report = json.loads((repo / "reports" / "readiness-local.json").read_text(encoding="utf-8"))
    assert report["complete"] is True and report["verdict"] == "NO-GO"
    assert len(report["items"]) == 31
    assert (repo / "reports" / "readiness-local.html").is_file()
