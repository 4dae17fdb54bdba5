"""Reusable checks: plain values in, a ProbeResult with evidence out; no pytest here."""
