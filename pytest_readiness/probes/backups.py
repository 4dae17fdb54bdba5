"""Supabase backups: the Management API lists a completed backup younger than a maximum age.

`GET /v1/projects/{ref}/database/backups` answers
`{"region": ..., "walg_enabled": bool, "pitr_enabled": bool,
  "backups": [{"is_physical_backup": bool, "status": "COMPLETED", "inserted_at": ...}],
  "physical_backup_data": {...}}`; with PITR enabled, the latest recovery point counts too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes._text import counted
from pytest_readiness.probes.endpoint import EndpointError, get_json

COMPLETED = "COMPLETED"


def check_backups(
    client: httpx.Client,
    project_ref: str,
    max_age_hours: float = 24,
    now: datetime | None = None,
) -> ProbeResult:
    """Pass when the newest COMPLETED backup is younger than `max_age_hours`."""
    try:
        payload = get_json(client, f"/v1/projects/{project_ref}/database/backups")
    except EndpointError as exc:
        return ProbeResult.failed(str(exc))
    return judge_backups(payload, max_age_hours, now or datetime.now(UTC))


def judge_backups(payload: Any, max_age_hours: float, now: datetime) -> ProbeResult:
    """Decide from the API's JSON answer (see the module docstring for its shape)."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("backups"), list):
        return ProbeResult.failed("backups answer has no 'backups' list")
    backups = [b for b in payload["backups"] if isinstance(b, Mapping)]
    completed = sorted(
        (t for b in backups if b.get("status") == COMPLETED and (t := _when(b.get("inserted_at")))),
        reverse=True,
    )
    newest = completed[0] if completed else _pitr_point(payload)
    evidence = [
        Evidence(
            "note",
            f"{counted(len(backups), 'backup')} listed, {len(completed)} completed",
            detail=f"newest: {newest.isoformat() if newest else 'none'}",
            data={
                "backups": len(backups),
                "completed": len(completed),
                "newest": newest.isoformat() if newest else None,
                "pitr_enabled": bool(payload.get("pitr_enabled")),
            },
        )
    ]
    if newest is None:
        return ProbeResult.failed(f"no completed backup among {len(backups)} listed", evidence)
    age_hours = (now - newest).total_seconds() / 3600
    if age_hours > max_age_hours:
        return ProbeResult.failed(
            f"newest completed backup is {age_hours:.1f} h old ({newest:%Y-%m-%d %H:%M} UTC), "
            f"max {max_age_hours:g} h",
            evidence,
        )
    return ProbeResult.passed(evidence)


def _pitr_point(payload: Mapping[str, Any]) -> datetime | None:
    if not payload.get("pitr_enabled"):
        return None
    data = payload.get("physical_backup_data") or {}
    latest = data.get("latest_physical_backup_date_unix") if isinstance(data, Mapping) else None
    return datetime.fromtimestamp(latest, UTC) if isinstance(latest, int | float) else None


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
