"""Use cases, written against `ports` only."""
