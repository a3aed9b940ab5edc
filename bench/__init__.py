"""Benchmarks of issue 3 ("Figures"): see bench/README.md for what each measures and how to run it."""
