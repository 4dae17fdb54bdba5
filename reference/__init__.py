"""The local reference target: a small workspace, its database and API stand-ins."""
