"""The staff side: the triage desk at /admin and the JSON API at /api/v1."""
