"""The campaigns a process serves, kept current while it runs: ``pickpost load`` needs no restart.

Each process polls a cheap fingerprint of the stored campaigns and rebuilds its ``Catalog``
only when the fingerprint moved. A request reads the catalog once, at admission, so it is
served by one version from start to end.
"""

import logging

from pickpost.domain.catalog import Campaign, Catalog
from pickpost.services.periodic import Periodic
from pickpost.services.ports import CatalogSource

log = logging.getLogger(__name__)


class CatalogHolder:
    """The current catalog; swapped whole, never changed in place."""

    def __init__(self, catalog: Catalog) -> None:
        self.current = catalog

    def campaign(self, campaign_id: str) -> Campaign | None:
        return self.current.campaigns.get(campaign_id)


class CatalogRefresher:
    """Polls ``source`` every ``every_s`` and puts a changed catalog into ``holder``."""

    def __init__(
        self, source: CatalogSource, holder: CatalogHolder, version: str, every_s: float
    ) -> None:
        self._source = source
        self._holder = holder
        self._version = version
        self._poll = Periodic("catalog-refresh", every_s, self.tick)

    @classmethod
    async def open(cls, source: CatalogSource, every_s: float) -> "CatalogRefresher":
        """A refresher whose holder starts with the catalog as stored now."""
        # The fingerprint first: a change landing between the two reads is seen next time.
        version = await source.version()
        return cls(source, CatalogHolder(await source.load()), version, every_s)

    @property
    def holder(self) -> CatalogHolder:
        return self._holder

    async def refresh(self) -> bool:
        """Reload if the stored campaigns changed; whether they had."""
        version = await self._source.version()
        if version == self._version:
            return False
        self._holder.current = await self._source.load()
        self._version = version
        log.info("campaigns changed: serving the new catalog (%s)", version[:12])
        return True

    async def tick(self) -> None:
        """One refresh; a failure is logged and the catalog in use stays."""
        try:
            await self.refresh()
        except Exception:
            log.exception("refreshing the campaigns failed; serving the previous catalog")

    def start(self) -> None:
        self._poll.start()

    async def close(self) -> None:
        await self._poll.close()
