"""The shipped `local` settings the infrastructure and feature checks read (see settings.py).

URLs come from the variables `server.start()` exports (`LocalServices.urls`); they are in
`PUBLIC`, so the redactor leaves them readable.
"""

from __future__ import annotations

from typing import Any

from reference.target.settings import LOCAL, PUBLIC, THRESHOLDS, VARS

TOP_LEVEL: dict[str, Any] = {
    key: LOCAL[key] for key in ("base_url", "allow_writes", "health_paths")
}

__all__ = ["PUBLIC", "THRESHOLDS", "TOP_LEVEL", "VARS"]
