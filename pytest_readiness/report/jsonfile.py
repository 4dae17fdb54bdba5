"""The machine-readable report: `readiness-<env>.json` (schema in DESIGN.md)."""

from __future__ import annotations

import json

from pytest_readiness.model import Report
from pytest_readiness.redact import Redactor


def render_json(report: Report, redact: Redactor) -> str:
    return json.dumps(redact.data(report.to_dict()), indent=2, ensure_ascii=False) + "\n"
