"""The catalog refresher over a fake source: reload on change only, keep the old on failure."""

import asyncio

import pytest

from pickpost.domain.catalog import Catalog
from pickpost.services.catalog_refresh import CatalogRefresher
from tests.unit.factories import make_campaign, make_catalog


class Source:
    """Stored campaigns that a test changes by hand; counts the full loads."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.stamp = "v1"
        self.loads = 0
        self.failure: Exception | None = None
        self.loaded = asyncio.Event()

    async def version(self) -> str:
        if self.failure is not None:
            raise self.failure
        return self.stamp

    async def load(self) -> Catalog:
        self.loads += 1
        self.loaded.set()
        return self.catalog

    def store(self, catalog: Catalog, stamp: str) -> None:
        self.catalog, self.stamp = catalog, stamp


async def test_an_unchanged_source_is_not_reloaded() -> None:
    source = Source(make_catalog(make_campaign(id="100")))
    refresher = await CatalogRefresher.open(source, every_s=1)
    assert not await refresher.refresh()
    assert source.loads == 1
    assert set(refresher.holder.current.campaigns) == {"100"}


async def test_a_changed_source_replaces_the_catalog() -> None:
    source = Source(make_catalog(make_campaign(id="100")))
    refresher = await CatalogRefresher.open(source, every_s=1)
    holder = refresher.holder
    source.store(make_catalog(make_campaign(id="100"), make_campaign(id="200")), "v2")
    assert await refresher.refresh()
    assert set(holder.current.campaigns) == {"100", "200"}
    assert not await refresher.refresh()
    assert source.loads == 2


async def test_a_failed_refresh_is_logged_and_the_old_catalog_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = make_catalog(make_campaign(id="100"))
    source = Source(before)
    refresher = await CatalogRefresher.open(source, every_s=1)
    source.store(make_catalog(make_campaign(id="200")), "v2")
    source.failure = ConnectionError("database went away")
    await refresher.tick()
    assert refresher.holder.current is before
    assert "serving the previous catalog" in caplog.text
    source.failure = None
    await refresher.tick()
    assert set(refresher.holder.current.campaigns) == {"200"}


async def test_the_background_task_picks_up_a_change() -> None:
    source = Source(make_catalog(make_campaign(id="100")))
    refresher = await CatalogRefresher.open(source, every_s=0.001)
    source.loaded.clear()
    source.store(make_catalog(make_campaign(id="200")), "v2")
    refresher.start()
    try:
        await asyncio.wait_for(source.loaded.wait(), timeout=10)
    finally:
        await refresher.close()
    assert set(refresher.holder.current.campaigns) == {"200"}
