"""The consumer's withdrawal of consent and its delivery to every buyer that bought the lead
(docs/consent.md, "The receipt and withdrawal").

A withdrawal is recorded once (the ledger entry and a durable outbox row per sold sale); a
worker in every ``serve`` process leases due rows, calls each buyer's revocation channel
through the buyers' transport and rules, and records the acknowledgement (any 2xx), or counts
the failure and tries again after a backoff. Everything it knows is in the database: a restart
picks up where the last process left.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from pickpost.buyers import adapter
from pickpost.domain.catalog import Catalog
from pickpost.domain.ids import new_id
from pickpost.domain.revocation import Backoff, Revoked, Withdrawal
from pickpost.services.ports import SYSTEM_CLOCK, BuyerTransport, Clock

log = logging.getLogger(__name__)


class RevocationStore(Protocol):
    async def withdraw(self, lead_id: str, now: float) -> Withdrawal: ...

    async def states(self, lead_id: str) -> list[dict[str, object]]: ...

    async def lease_due(
        self, owner: str, now: float, lease_s: float, limit: int
    ) -> list[Revoked]: ...

    async def delivered(self, revoked: Revoked, owner: str, now: float) -> bool: ...

    async def failed(self, revoked: Revoked, owner: str, next_at: float, error: str) -> None: ...

    async def no_channel(self, revoked: Revoked, owner: str) -> None: ...


@dataclass(frozen=True, slots=True)
class DeliveryTiming:
    backoff: Backoff = field(default_factory=Backoff)
    timeout_ms: int = 10_000  # each call's deadline
    batch: int = 50  # rows leased at once
    # A leased row is no other worker's for this long: past every call of a batch.
    lease_s: float = 300.0


class Withdrawals:
    """The consumer's side: withdraw, and see where each buyer's revocation stands."""

    def __init__(self, store: RevocationStore, clock: Clock = SYSTEM_CLOCK) -> None:
        self._store = store
        self._clock = clock

    async def withdraw(self, lead_id: str) -> bool:
        """Record the withdrawal (once); False when there is no such lead."""
        return await self._store.withdraw(lead_id, self._clock.now()) is not Withdrawal.NO_LEAD

    async def states(self, lead_id: str) -> list[dict[str, object]]:
        """Each sold sale's revocation: ``sale_id``, ``buyer_id``, ``bid_id``, ``state``,
        ``attempts``, ``requested_at``, ``delivered_at``, ``next_attempt_at``, ``last_error``."""
        return await self._store.states(lead_id)


class RevocationWorker:
    """Delivers due revocations, one round per :meth:`run_once`."""

    def __init__(
        self,
        store: RevocationStore,
        transport: BuyerTransport,
        catalog: Callable[[], Catalog],
        clock: Clock = SYSTEM_CLOCK,
        timing: DeliveryTiming = DeliveryTiming(),
    ) -> None:
        self._store = store
        self._transport = transport
        self._catalog = catalog
        self._clock = clock
        self._timing = timing
        self.owner = new_id("w")

    async def run_once(self) -> int:
        """Deliver what is due now; how many buyers acknowledged."""
        timing = self._timing
        leased = await self._store.lease_due(
            self.owner, self._clock.now(), timing.lease_s, timing.batch
        )
        acknowledged = 0
        for revoked in leased:
            acknowledged += await self._deliver(revoked)
        return acknowledged

    async def _deliver(self, revoked: Revoked) -> bool:
        campaign = self._catalog().campaigns.get(revoked.campaign_id)
        buyer = None if campaign is None else campaign.buyers.get(revoked.buyer_id)
        request = None if buyer is None else adapter.adapter_for(buyer).build_revoke(revoked)
        if request is None:
            await self._store.no_channel(revoked, self.owner)
            return False
        delivery = await self._transport.send(request, self._timing.timeout_ms)
        answer = delivery.response
        if answer is not None and 200 <= answer.status < 300:
            return await self._store.delivered(revoked, self.owner, self._clock.now())
        # The status or the transport's reason only: never what the buyer answered.
        error = f"HTTP {answer.status}" if answer is not None else delivery.reason
        next_at = self._clock.now() + self._timing.backoff.delay_s(revoked.attempts + 1)
        log.info("revocation of sale %s to %s not acknowledged", revoked.sale_id, revoked.buyer_id)
        await self._store.failed(revoked, self.owner, next_at, error)
        return False
