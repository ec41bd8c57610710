"""Benchmarks run by `make bench`, kept out of the test suite because they take minutes."""
