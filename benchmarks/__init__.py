"""Benchmarks against raw boto3 and the alternatives: ``python -m benchmarks`` (see README.md)."""
