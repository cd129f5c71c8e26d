"""The load bench: an open-loop generator against a real server, a simulated fleet and a bare
aiohttp fan-out as the baseline (``pickpost bench``; method in docs/benchmarks.md)."""
