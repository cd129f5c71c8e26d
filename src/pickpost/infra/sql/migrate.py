"""Bring a database to the newest schema."""

from pathlib import Path

from alembic import command
from alembic.config import Config

_SCRIPTS = Path(__file__).resolve().parents[2] / "migrations"


def upgrade(database_url: str, revision: str = "head") -> None:
    """Run pending migrations (up to ``revision``: tests of a migration start before it).
    Synchronous: call it before the server's event loop starts."""
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.attributes["database_url"] = database_url
    command.upgrade(config, revision)
