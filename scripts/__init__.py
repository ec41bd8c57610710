"""Deploy tooling, run from a checkout as `python -m scripts.NAME` (the Makefile's targets do).

Not part of the `eduportal` package: these tools read the repository itself (pyproject.toml,
src/), which an installed portal does not have, and the portal never needs them at run time.
"""
