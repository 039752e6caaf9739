"""Benchmarks (`make bench`): ratios measured side by side in one run, printed with their targets."""
