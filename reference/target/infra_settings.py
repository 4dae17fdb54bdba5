"""The `[tool.readiness.envs.local]` settings the infra and feature checks need for the stand-ins.

The same values belong in pyproject.toml; the end-to-end tests read them from here. URLs come
from the variables `server.start()` exports (`LocalServices.urls`), listed in `PUBLIC` so the
redactor leaves them readable.
"""

from __future__ import annotations

from reference.target.server import CHATWOOT_ACCOUNT_ID, CHATWOOT_INBOX

PUBLIC: list[str] = [
    "READINESS_LOCAL_URL",
    "READINESS_LOCAL_GITHUB_API",
    "READINESS_LOCAL_PROMETHEUS",
    "READINESS_LOCAL_ALERTMANAGER",
    "READINESS_LOCAL_CHATWOOT",
]

TOP_LEVEL: dict[str, object] = {
    "base_url": "${READINESS_LOCAL_URL}",
    "allow_writes": True,
    "health_paths": ["/health", "/api/health"],
}

# The stand-ins accept any token; real ones come from ${GITHUB_TOKEN} / ${CHATWOOT_TOKEN}.
VARS: dict[str, object] = {
    "github_api": "${READINESS_LOCAL_GITHUB_API}",
    "github_repo": "shopfront/app",
    "github_token": "local-stand-in-token",
    "prometheus_url": "${READINESS_LOCAL_PROMETHEUS}",
    "alertmanager_url": "${READINESS_LOCAL_ALERTMANAGER}",
    "chatwoot_url": "${READINESS_LOCAL_CHATWOOT}",
    "chatwoot_token": "local-stand-in-token",
    "chatwoot_account_id": CHATWOOT_ACCOUNT_ID,
    "chatwoot_inbox": CHATWOOT_INBOX,
}

# Below the stand-in's slow-health delay (server.SLOW_HEALTH_S = 5 s), so that fault fails fast.
THRESHOLDS: dict[str, float] = {"health_timeout_s": 2}
