"""Shopfront: the reference app that the local readiness target checks."""
