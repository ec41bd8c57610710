"""The embedded default: files and SQLite on one machine, no cloud account."""
