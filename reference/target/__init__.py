"""Build the `local` readiness target (workspace, database, API stand-ins) with named faults."""
