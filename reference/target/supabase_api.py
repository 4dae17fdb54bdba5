"""A loopback stand-in for the Supabase Management API's backups endpoint.

`GET /v1/projects/{ref}/database/backups` answers in the documented shape (region,
walg_enabled, pitr_enabled, backups[{is_physical_backup, status, inserted_at}],
physical_backup_data). Requests without `Authorization: Bearer ...` get 401.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS: frozenset[str] = frozenset({"stale-backup"})
_PATH = re.compile(r"^/v1/projects/(?P<ref>[^/]+)/database/backups/?$")


def backups_payload(
    faults: frozenset[str] = frozenset(), now: datetime | None = None
) -> dict[str, Any]:
    """The answer for one project: daily backups, the newest 3 h old (3 days with a fault)."""
    now = now or datetime.now(UTC)
    newest_age = timedelta(days=3) if "stale-backup" in faults else timedelta(hours=3)
    backups = [
        {
            "is_physical_backup": True,
            "status": "COMPLETED",
            "inserted_at": (now - newest_age - timedelta(days=day)).isoformat(),
        }
        for day in range(3)
    ]
    return {
        "region": "local",
        "walg_enabled": True,
        "pitr_enabled": False,
        "backups": backups,
        "physical_backup_data": {},
    }


class BackupsServer:
    """A threaded HTTP server on 127.0.0.1; use as a context manager, read `.url`."""

    def __init__(self, faults: frozenset[str] = frozenset()) -> None:
        handler = type("Handler", (_Handler,), {"faults": faults})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> BackupsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> BackupsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    faults: frozenset[str] = frozenset()

    def do_GET(self) -> None:
        if not _PATH.match(self.path):
            self._answer(404, {"message": "not found"})
        elif not self.headers.get("Authorization", "").startswith("Bearer "):
            self._answer(401, {"message": "missing bearer token"})
        else:
            self._answer(200, backups_payload(self.faults))

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return
