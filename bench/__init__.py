"""Benchmarks: bridge side by side with an established tool in the same run (`python -m bench`)."""
