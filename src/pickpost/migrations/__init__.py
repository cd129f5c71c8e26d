"""Alembic migrations; run them with ``pickpost migrate``."""
