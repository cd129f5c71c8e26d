"""A realistic history of traffic for a database whose workspace is loaded (``pickpost seed``):
generated here without I/O, day by day, and written by ``infra/sql/seeding.py``."""
