"""The load bench: an open-loop generator against a real server, a simulated fleet and a bare
aiohttp fan-out as the baseline (``pickpost bench``; method in docs/benchmarks.md)."""

EXTRA = frozenset({"psutil", "matplotlib"})
"""What the ``pickpost[bench]`` extra installs for the bench and nothing else in Pickpost uses."""
