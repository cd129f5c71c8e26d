"""Pickpost: an open-source, self-hostable lead exchange (Ping, Pick, Post)."""

__version__ = "0.1.0"
