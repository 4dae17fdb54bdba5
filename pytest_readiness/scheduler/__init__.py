"""pytest-xdist scheduling strategies used by readiness runs under ``-n``."""
