"""`readiness init`: read a team's runbook and repository, write the config and check stubs."""
