"""Benchmarks that print their figures (``depthlm bench ...``); targets live here, not in tests."""
