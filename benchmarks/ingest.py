"""Benchmark: Amazon Connect call-record ingest, contacts311 vs pandas vs DuckDB.

Placeholder while the generator is being developed.
"""
