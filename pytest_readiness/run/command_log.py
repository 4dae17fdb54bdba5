"""A command's full output in the reports folder, redacted line by line as it streams in."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

# A line longer than this is written in pieces: only then could a secret be cut in two.
MAX_LINE_BYTES = 1024 * 1024
_UNSAFE = re.compile(r"[^\w.-]+")


def log_path(folder: Path, nodeid: str, index: int) -> Path:
    """`commands/checks_test_gates.py_test_build-1.log` under the reports folder."""
    return folder / "commands" / f"{_UNSAFE.sub('_', nodeid).strip('_')}-{index}.log"


class CommandLog:
    """Writes what a command prints to `path`, each complete line through `redact`.

    Nothing is written while the output is at most `shown_bytes` (the evidence shows it
    all). A line waits for its end before it is redacted, so a secret that arrives in two
    reads from the pipe is still masked whole.
    """

    def __init__(self, path: Path, redact: Callable[[str], str], shown_bytes: int = 0) -> None:
        self.path = path
        self.total_bytes = 0
        self._redact = redact
        self._shown_bytes = shown_bytes
        self._pending = bytearray()
        self._handle: BinaryIO | None = None

    def write(self, chunk: bytes) -> None:
        self.total_bytes += len(chunk)
        self._pending += chunk
        if self.total_bytes <= self._shown_bytes:
            return
        cut = self._pending.rfind(b"\n") + 1
        if cut == 0 and len(self._pending) < MAX_LINE_BYTES:
            return
        cut = cut or len(self._pending)
        self._emit(bytes(self._pending[:cut]))
        del self._pending[:cut]

    def close(self) -> Path | None:
        """Finish the file; its path, or None when the output was short enough to show."""
        if self._handle is None and self.total_bytes <= self._shown_bytes:
            return None
        if self._pending:
            self._emit(bytes(self._pending))
            self._pending.clear()
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        return self.path

    def _emit(self, data: bytes) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("wb")
        text = data.decode("utf-8", errors="replace")
        self._handle.write(self._redact(text).encode("utf-8"))
