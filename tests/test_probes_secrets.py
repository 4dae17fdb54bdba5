"""The stand-in scan (kept only until the gate's scanner merges) finds, names and memoises."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pytest_readiness.probes.secrets import scan_tracked_files


def test_a_tracked_private_key_is_found_by_file_and_type_without_its_value(tmp_path: Path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n"
    (tmp_path / "key.pem").write_text(key)
    (tmp_path / "ok.txt").write_text("hello\n")
    subprocess.run(["git", "add", "."], cwd=tmp_path, check=True)
    result = scan_tracked_files(tmp_path)
    assert not result.ok
    assert "key.pem:1: Private Key" in result.reason
    assert "MIIEowIBAAKCAQEA" not in repr(result)
    assert scan_tracked_files(tmp_path) is result
