"""HTTP entry points: the supplier API (the hot path) and the admin API."""
