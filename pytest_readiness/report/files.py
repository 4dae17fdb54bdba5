"""Write report files atomically: a temporary file in the same folder, then a rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class ReportWriteError(Exception):
    """A report could not be written; the message is one line naming the path and the cause."""


def atomic_write(path: Path, text: str) -> None:
    """Readers see the old file or the new one, never half of one.

    The text goes to a temporary file in the same folder, is flushed to disk, then renamed
    over `path`. Any failure (disk full, folder unwritable, a file where the folder should
    be) leaves `path` as it was and raises `ReportWriteError`.
    """
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError as exc:
        raise ReportWriteError(f"could not write {path}: {exc.strerror or exc}") from None
    finally:
        if temporary is not None and os.path.exists(temporary):
            Path(temporary).unlink(missing_ok=True)


def publish_file(written: Path, path: Path) -> None:
    """Move a finished file someone else wrote (pytest-html's page) into place atomically."""
    try:
        with written.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(written, path)
    except OSError as exc:
        written.unlink(missing_ok=True)
        raise ReportWriteError(f"could not write {path}: {exc.strerror or exc}") from None


def report_name(env: str, stage: str = "pre") -> str:
    """`staging` before the deploy, `staging-post` after it: each stage keeps its own files."""
    return env if stage == "pre" else f"{env}-{stage}"


def report_path(folder: Path, env: str, suffix: str, stage: str = "pre") -> Path:
    return folder / f"readiness-{report_name(env, stage)}.{suffix}"
