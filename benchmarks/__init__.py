"""Benchmarks of issue 6: ``python -m benchmarks`` prints the table; ``python -m benchmarks.generate`` writes data."""
