"""Personal data handling for tests that drive a store directly, without a server."""

from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.catalog import Catalog
from pickpost.domain.workspace import Workspace
from pickpost.infra.personal_data import PersonalData
from pickpost.infra.sql.keys import Masters, SqlKeyring


def in_clear(engine: AsyncEngine, catalog: Catalog | None = None) -> PersonalData:
    """Values stored as given (no master key), classified by ``catalog`` (default: empty)."""
    known = catalog or Catalog.from_workspace(Workspace())
    return PersonalData(lambda: known, SqlKeyring(engine, Masters(None)))
