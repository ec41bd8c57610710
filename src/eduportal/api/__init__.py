"""The HTTP service: image origin, health, metrics (and, later, the REST API)."""
