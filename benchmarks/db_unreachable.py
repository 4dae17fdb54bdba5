"""Wall time of 10 `db` items against a closed port: the first failure is cached, so it is fast.

Usage: python benchmarks/db_unreachable.py [items]
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "pyproject.toml").write_text(
            "[tool.readiness.envs.local]\n"
            f'database_url = "postgresql://postgres@127.0.0.1:{port}/x"\n'
        )
        (root / "checks").mkdir()
        (root / "checks" / "test_db.py").write_text(
            "import pytest\n"
            + "".join(f'@pytest.mark.db("Item {i}")\ndef test_{i}(db): pass\n' for i in range(n))
        )
        args = [sys.executable, "-m", "pytest", "--readiness", "-q", "-p", "no:cacheprovider"]
        started = time.perf_counter()
        done = subprocess.run(args, cwd=root, capture_output=True, text=True, check=False)
        total = time.perf_counter() - started
        report = (root / "reports" / "readiness-local.json").read_text()
    durations = [float(x) for x in _durations(report)]
    print(f"db items against a closed port: {n}, exit {done.returncode}")
    print(f"  whole pytest process: {total:.2f} s")
    print(f"  sum of item durations: {sum(durations):.3f} s (max {max(durations):.3f} s)")


def _durations(report: str) -> list[str]:
    import json

    return [item["duration_s"] for item in json.loads(report)["items"]]


if __name__ == "__main__":
    main()
