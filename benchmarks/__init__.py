"""Benchmarks for `make bench`: each case times the engine and a baseline in the same run."""
