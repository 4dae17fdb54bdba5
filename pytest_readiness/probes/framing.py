"""Frame embedding: the page may be framed by the required ancestors and nothing forbids it.

Reads `Content-Security-Policy: frame-ancestors ...` (every CSP header must allow it) and
`X-Frame-Options` (`DENY` or `SAMEORIGIN` forbid framing by another origin).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from pytest_readiness.model import ProbeResult
from pytest_readiness.probes.endpoint import EndpointError, failed, note, send

FORBIDDING_XFO = ("deny", "sameorigin")


@dataclass(frozen=True)
class Source:
    """One CSP source expression: optional scheme, host (maybe `*.`-prefixed), optional port."""

    scheme: str | None
    host: str
    port: str | None

    @classmethod
    def parse(cls, text: str) -> Source:
        rest = text.strip().lower()
        if rest.endswith(":") and "://" not in rest:
            return cls(None, rest, None)
        scheme = None
        if "://" in rest:
            scheme, rest = rest.split("://", 1)
        rest = rest.split("/", 1)[0]
        host, _, port = rest.partition(":")
        return cls(scheme, host, port or None)

    def covers(self, other: Source) -> bool:
        """Would a policy listing `self` let `other` (a required ancestor) frame the page?"""
        if self.host == "*":
            return True
        if self.host.endswith(":") and not self.scheme:
            return other.scheme in (None, self.host[:-1])
        if self.scheme and other.scheme and self.scheme != other.scheme:
            return False
        if self.port and other.port and self.port != other.port:
            return False
        if self.host.startswith("*."):
            suffix = self.host[1:]
            return other.host.endswith(suffix)
        return self.host == other.host


def frame_ancestors(policy: str) -> list[str] | None:
    """The sources of the `frame-ancestors` directive of one CSP header, or None if absent."""
    for directive in policy.split(";"):
        parts = directive.split()
        if parts and parts[0].lower() == "frame-ancestors":
            return parts[1:]
    return None


def disallowed(sources: Sequence[str], required: Sequence[str]) -> list[str]:
    """The required ancestors that the listed sources do not allow."""
    lowered = [s.lower() for s in sources]
    if "'none'" in lowered:
        return list(required)
    allowed = [Source.parse(s) for s in lowered if not s.startswith("'")]
    return [r for r in required if not any(a.covers(Source.parse(r)) for a in allowed)]


def embedding_allowed(client: httpx.Client, path: str, required: Sequence[str]) -> ProbeResult:
    """GET `path`; every CSP header's frame-ancestors allows each of `required`; no XFO forbids.

    An empty `required` would pass any policy that merely exists: it fails instead.
    """
    if not required:
        return ProbeResult.failed("no frame ancestors to check: the required list is empty")
    try:
        response = send(client, "GET", path)
    except EndpointError as exc:
        return failed(exc)
    policies = response.headers.get_list("content-security-policy")
    xfo = response.headers.get("x-frame-options", "")
    row = note(
        f"GET {path}: frame-ancestors and X-Frame-Options",
        "\n".join(policies),
        content_security_policy=policies,
        x_frame_options=xfo or None,
    )
    if xfo.strip().lower() in FORBIDDING_XFO:
        return ProbeResult.failed(f"{path} sends X-Frame-Options: {xfo.strip()}", [row])
    directives = [d for d in (frame_ancestors(p) for p in policies) if d is not None]
    if not directives:
        return ProbeResult.failed(
            f"{path} sends no Content-Security-Policy frame-ancestors directive", [row]
        )
    blocked = sorted({r for d in directives for r in disallowed(d, required)})
    if blocked:
        return ProbeResult.failed(
            f"{path} frame-ancestors does not allow {', '.join(blocked)}", [row]
        )
    return ProbeResult.passed([row])
