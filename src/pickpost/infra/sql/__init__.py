"""SQL storage (SQLite embedded, PostgreSQL in cluster mode) through SQLAlchemy Core."""
