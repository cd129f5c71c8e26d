"""The revocation outbox in SQL: a withdrawal appends its ``revocation_requested`` entry and one
outbox row per sold sale in one transaction; workers on any node lease due rows, and an
acknowledged row appends its ``revocation_delivered`` entry in the transaction that marks it.

A row is delivered by one worker at a time: a worker takes it with a conditional update (only a
row whose lease has run out), which a second worker racing for it finds already taken.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pickpost.domain.consent_ledger import Draft, EntryKind, append
from pickpost.domain.lead import SaleStatus
from pickpost.domain.revocation import (
    DeliveryState,
    Revoked,
    Withdrawal,
    delivered_draft,
    idempotency_key,
    requested_draft,
)
from pickpost.infra.sql import schema
from pickpost.infra.sql.consent_ledger import insert_entries
from pickpost.infra.sql.rows import utc

_rev, _ledger, _sales = schema.revocations.c, schema.consent_ledger.c, schema.sales.c
_RETRIES = 5  # appends that lose a race for the chain's next place (another entry took it)


def _moment(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)


async def _head(conn: AsyncConnection, lead_id: str) -> tuple[int, str] | None:
    query = (
        sa.select(_ledger.seq, _ledger.entry_hash)
        .where(_ledger.lead_id == lead_id)
        .order_by(_ledger.seq.desc())
        .limit(1)
    )
    row = (await conn.execute(query)).first()
    return None if row is None else (int(row.seq), str(row.entry_hash))


async def _append(conn: AsyncConnection, lead_id: str, draft: Draft) -> None:
    await insert_entries(conn, append(lead_id, await _head(conn, lead_id), [draft]))


def _revoked(row: Any) -> Revoked:
    return Revoked(
        lead_id=row.lead_id,
        campaign_id=row.campaign_id,
        sale_id=int(row.sale_id),
        buyer_id=row.buyer_id,
        bid_id=row.bid_id,
        revoked_at=utc(row.requested_at),
        idempotency_key=row.idempotency_key,
        attempts=int(row.attempts),
    )


class SqlRevocations:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def withdraw(self, lead_id: str, now: float) -> Withdrawal:
        """Record the consumer's withdrawal once: the ledger entry and an outbox row for each
        sold sale of the lead. A second withdrawal (or one racing it) records nothing."""
        for _ in range(_RETRIES):
            try:
                async with self._engine.begin() as conn:
                    return await self._withdraw(conn, lead_id, _moment(now))
            except IntegrityError:  # another entry took the chain's next place: look again
                continue
        return Withdrawal.ALREADY

    async def _withdraw(self, conn: AsyncConnection, lead_id: str, now: datetime) -> Withdrawal:
        head = await _head(conn, lead_id)
        if head is None:  # no such lead, or one claimed before the ledger: no receipt of it
            return Withdrawal.NO_LEAD
        before = sa.select(_ledger.seq).where(
            _ledger.lead_id == lead_id, _ledger.kind == EntryKind.REVOCATION_REQUESTED.value
        )
        if (await conn.execute(before)).first() is not None:
            return Withdrawal.ALREADY
        sold_query = (
            sa.select(_sales.id, _sales.buyer_id, _sales.bid_id)
            .where(_sales.lead_id == lead_id, _sales.status == SaleStatus.SOLD.value)
            .order_by(_sales.id)
        )
        sold = [(int(r.id), r.buyer_id, r.bid_id) for r in await conn.execute(sold_query)]
        await insert_entries(conn, append(lead_id, head, [requested_draft(sold, now)]))
        if sold:
            await conn.execute(
                schema.revocations.insert(),
                [
                    {
                        "sale_id": sale_id,
                        "lead_id": lead_id,
                        "buyer_id": buyer_id,
                        "bid_id": bid_id,
                        "idempotency_key": idempotency_key(lead_id, sale_id),
                        "requested_at": now,
                        "state": DeliveryState.PENDING.value,
                        "attempts": 0,
                        "next_at": now,
                        "last_error": "",
                    }
                    for sale_id, buyer_id, bid_id in sold
                ],
            )
        return Withdrawal.RECORDED

    async def lease_due(self, owner: str, now: float, lease_s: float, limit: int) -> list[Revoked]:
        """Up to ``limit`` pending rows due at ``now``, each leased to ``owner`` for
        ``lease_s``: no other worker takes them until the lease runs out."""
        moment = _moment(now)
        free = sa.or_(_rev.lease_until.is_(None), _rev.lease_until <= moment)
        pending = _rev.state == DeliveryState.PENDING.value
        candidates = (
            sa.select(_rev.sale_id)
            .where(pending, _rev.next_at <= moment, free)
            .order_by(_rev.next_at, _rev.sale_id)
            .limit(limit)
        )
        taken: list[Revoked] = []
        async with self._engine.connect() as conn:
            ids = list((await conn.execute(candidates)).scalars())
        for sale_id in ids:
            async with self._engine.begin() as conn:
                claim = (
                    schema.revocations.update()
                    .where(_rev.sale_id == sale_id, pending, free)
                    .values(lease_owner=owner, lease_until=moment + timedelta(seconds=lease_s))
                )
                if (await conn.execute(claim)).rowcount != 1:
                    continue  # another worker took it first
                leads = schema.leads
                query = (
                    sa.select(schema.revocations, leads.c.campaign_id)
                    .join(leads, leads.c.id == _rev.lead_id)
                    .where(_rev.sale_id == sale_id)
                )
                row = (await conn.execute(query)).one()
                taken.append(_revoked(row))
        return taken

    def _leased(self, revoked: Revoked, owner: str) -> sa.ColumnElement[bool]:
        return sa.and_(
            _rev.sale_id == revoked.sale_id,
            _rev.lease_owner == owner,
            _rev.state == DeliveryState.PENDING.value,
        )

    async def delivered(self, revoked: Revoked, owner: str, now: float) -> bool:
        """Mark the row acknowledged and append its ``revocation_delivered`` entry, together
        (False: the lease was lost, and the worker that holds it now records it)."""
        moment = _moment(now)
        for _ in range(_RETRIES):
            try:
                async with self._engine.begin() as conn:
                    done = await conn.execute(
                        schema.revocations.update()
                        .where(self._leased(revoked, owner))
                        .values(
                            state=DeliveryState.DELIVERED.value,
                            delivered_at=moment,
                            attempts=_rev.attempts + 1,
                            lease_owner=None,
                            lease_until=None,
                            last_error="",
                        )
                    )
                    if done.rowcount != 1:
                        return False
                    await _append(conn, revoked.lead_id, delivered_draft(revoked, moment))
                    return True
            except IntegrityError:  # another entry of the lead took the place: again
                continue
        return False

    async def failed(self, revoked: Revoked, owner: str, next_at: float, error: str) -> None:
        """Count a failed attempt and free the row until ``next_at``."""
        async with self._engine.begin() as conn:
            await conn.execute(
                schema.revocations.update()
                .where(self._leased(revoked, owner))
                .values(
                    attempts=_rev.attempts + 1,
                    next_at=_moment(next_at),
                    lease_owner=None,
                    lease_until=None,
                    last_error=error[:300],
                )
            )

    async def no_channel(self, revoked: Revoked, owner: str) -> None:
        """The buyer has no way to receive revocations: the row stops here."""
        async with self._engine.begin() as conn:
            await conn.execute(
                schema.revocations.update()
                .where(self._leased(revoked, owner))
                .values(
                    state=DeliveryState.NO_CHANNEL.value,
                    lease_owner=None,
                    lease_until=None,
                    last_error="the buyer has no revocation channel",
                )
            )

    async def states(self, lead_id: str) -> list[dict[str, object]]:
        """Where each buyer's revocation of a lead stands, by sale."""
        query = sa.select(schema.revocations).where(_rev.lead_id == lead_id).order_by(_rev.sale_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_state(row) for row in rows]


def _state(row: Any) -> dict[str, object]:
    delivered = None if row.delivered_at is None else utc(row.delivered_at).isoformat()
    return {
        "sale_id": int(row.sale_id),
        "buyer_id": row.buyer_id,
        "bid_id": row.bid_id,
        "state": row.state,
        "attempts": int(row.attempts),
        "requested_at": utc(row.requested_at).isoformat(),
        "delivered_at": delivered,
        "next_attempt_at": utc(row.next_at).isoformat()
        if row.state == DeliveryState.PENDING.value
        else None,
        "last_error": row.last_error,
    }
