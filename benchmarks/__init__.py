"""ARStudio's benchmark suite: `python -m benchmarks [--quick | --smoke]` (see docs/benchmarks.md)."""
