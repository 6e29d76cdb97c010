"""Helpers for tests and benchmarks: central databases, a PostgreSQL server, a reference slice."""
