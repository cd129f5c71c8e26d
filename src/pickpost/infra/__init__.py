"""Implementations of the ports: HTTP to buyers, SQL, ping stores, the log writer."""
