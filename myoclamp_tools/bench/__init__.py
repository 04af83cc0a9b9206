"""Benchmark support (``scripts/benchmark.py``): resampled cohorts, process measurements, tables."""
