"""Benchmarks that print ratios measured side by side in one run.

Run all with ``python -m bench`` or one with ``python -m bench.<name>``. Each module
has a ``main()`` that prints its figures; none asserts timing thresholds, since this
machine is shared and noisy: the ratios of two paths measured in the same run are what
we compare against the goals.
"""
