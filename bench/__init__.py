"""Benchmarks: ``python bench/run.py NAME [--quick]`` (see bench/run.py)."""
