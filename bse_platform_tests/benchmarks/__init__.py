"""Benchmarks: `python -m bse_platform_tests.benchmarks NAME` prints its figures (no pass/fail)."""
