"""Reusable check helpers: each takes plain values and returns a `ProbeResult`."""
