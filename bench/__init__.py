"""Benchmarks of the event store, each figure measured beside a same-run anchor (run: python -m bench)."""
