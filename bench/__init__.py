"""Benchmarks at world scale: a synthetic bundle generator and timings against plain-sqlite3 limits."""
