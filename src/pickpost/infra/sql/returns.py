"""The returns table. Every write also marks its lead changed (``leads.updated_at``), in the
same transaction, which is how the rollups learn to recount it; the unique (lead, buyer)
constraint and the ``WHERE status = 'open'`` of a decision are what settle races."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pickpost.domain.lead import SaleStatus
from pickpost.domain.returns import (
    KeyKind,
    LeadKey,
    LeadSales,
    ReturnDecision,
    ReturnOpening,
    ReturnPosition,
    ReturnRecord,
    ReturnsPage,
    ReturnsQuery,
    ReturnStatus,
    SaleOfLead,
)
from pickpost.infra.personal_data import PersonalData
from pickpost.infra.sql import schema
from pickpost.infra.sql.rows import at, epoch, utc

_returns, _leads, _sales = schema.returns.c, schema.leads.c, schema.sales.c

_RECORD = sa.select(schema.returns, _leads.campaign_id, _leads.supplier_id).join(
    schema.leads, _leads.id == _returns.lead_id
)


class SqlReturns:
    def __init__(self, engine: AsyncEngine, personal: PersonalData) -> None:
        self._engine = engine
        self._personal = personal

    async def find_leads(
        self, key: LeadKey, buyer_id: str | None = None, limit: int = 10
    ) -> list[LeadSales]:
        """The leads ``key`` names (at most ``limit``), each with all its sales; with
        ``buyer_id``, only leads that buyer was offered."""
        matching = self._matching(key)
        if buyer_id is not None:
            offered = sa.select(_sales.lead_id).where(_sales.buyer_id == buyer_id)
            matching = matching.where(_leads.id.in_(offered))
        async with self._engine.connect() as conn:
            leads = (
                await conn.execute(
                    matching.order_by(_leads.created_at.desc(), _leads.id).limit(limit)
                )
            ).all()
            if not leads:
                return []
            sales = (
                await conn.execute(
                    sa.select(schema.sales, _returns.id.label("return_id"))
                    .outerjoin(
                        schema.returns,
                        sa.and_(
                            _returns.lead_id == _sales.lead_id,
                            _returns.buyer_id == _sales.buyer_id,
                        ),
                    )
                    .where(_sales.lead_id.in_([lead.id for lead in leads]))
                    .order_by(_sales.id)
                )
            ).all()
        return [
            LeadSales(
                lead.id,
                lead.campaign_id,
                lead.supplier_id,
                tuple(_sale(s) for s in sales if s.lead_id == lead.id),
            )
            for lead in leads
        ]

    def _matching(self, key: LeadKey) -> sa.Select[Any]:
        chosen = sa.select(_leads.id, _leads.campaign_id, _leads.supplier_id)
        if key.kind is KeyKind.LEAD_ID:
            return chosen.where(_leads.id == key.value)
        if key.kind is KeyKind.PING_ID:
            return chosen.where(_leads.ping_id == key.value)
        if key.kind is KeyKind.BID_ID:
            return chosen.where(
                _leads.id.in_(sa.select(_sales.lead_id).where(_sales.bid_id == key.value))
            )
        lookups = schema.lead_lookups.c
        hashes = self._personal.search_hashes(key.field or "", key.value)
        return chosen.where(
            _leads.id.in_(
                sa.select(lookups.lead_id).where(
                    lookups.field_name == key.field, lookups.hash.in_(hashes)
                )
            )
        )

    async def open(self, opening: ReturnOpening) -> ReturnRecord | None:
        """The return opened, or None when the sale has one already."""
        try:
            async with self._engine.begin() as conn:
                return_id = (
                    await conn.execute(
                        schema.returns.insert()
                        .values(
                            lead_id=opening.lead_id,
                            buyer_id=opening.buyer_id,
                            reason=opening.reason,
                            note=opening.note,
                            status=ReturnStatus.OPEN.value,
                            opened_by=opening.opened_by,
                            opened_at=at(opening.opened_at),
                        )
                        .returning(_returns.id)
                    )
                ).scalar_one()
                await _touch(conn, opening.lead_id, opening.opened_at)
                return await _record(conn, return_id)
        except IntegrityError:
            return None

    async def decide(self, decision: ReturnDecision) -> ReturnRecord | None:
        """The return decided, or None when it was not open (any more)."""
        async with self._engine.begin() as conn:
            lead_id = (
                await conn.execute(
                    schema.returns.update()
                    .where(
                        _returns.id == decision.return_id,
                        _returns.status == ReturnStatus.OPEN.value,
                    )
                    .values(
                        status=decision.status.value,
                        decided_by=decision.decided_by,
                        decided_at=at(decision.decided_at),
                        decision_note=decision.note,
                        credit_cents=decision.credit_cents,
                        chargeback_cents=decision.chargeback_cents,
                    )
                    .returning(_returns.lead_id)
                )
            ).scalar()
            if lead_id is None:
                return None
            await _touch(conn, lead_id, decision.decided_at)
            return await _record(conn, decision.return_id)

    async def get(self, return_id: int) -> ReturnRecord | None:
        async with self._engine.connect() as conn:
            return await _record(conn, return_id)

    async def listing(self, query: ReturnsQuery) -> ReturnsPage:
        """Returns matching ``query``, newest opened first."""
        conditions: list[sa.ColumnElement[bool]] = []
        if query.status is not None:
            conditions.append(_returns.status == query.status.value)
        if query.campaign_id is not None:
            conditions.append(_leads.campaign_id == query.campaign_id)
        if query.buyer_id is not None:
            conditions.append(_returns.buyer_id == query.buyer_id)
        if query.supplier_id is not None:
            conditions.append(_leads.supplier_id == query.supplier_id)
        if query.lead_id is not None:
            conditions.append(_returns.lead_id == query.lead_id)
        if query.since is not None:
            conditions.append(_returns.opened_at >= query.since)
        if query.until is not None:
            conditions.append(_returns.opened_at < query.until)
        if query.after is not None:
            moment, return_id = query.after.opened_at, query.after.return_id
            conditions.append(
                sa.or_(
                    _returns.opened_at < moment,
                    sa.and_(_returns.opened_at == moment, _returns.id < return_id),
                )
            )
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    _RECORD.where(sa.and_(sa.true(), *conditions))
                    .order_by(_returns.opened_at.desc(), _returns.id.desc())
                    # One more than asked: whether a next page exists.
                    .limit(query.limit + 1)
                )
            ).all()
        page, more = rows[: query.limit], len(rows) > query.limit
        last = page[-1] if more else None
        return ReturnsPage(
            [_to_record(r) for r in page],
            None if last is None else ReturnPosition(utc(last.opened_at), last.id),
        )


async def _touch(conn: AsyncConnection, lead_id: str, when: float) -> None:
    """Mark the lead changed: the rollups recount the leads whose ``updated_at`` moved."""
    await conn.execute(
        schema.leads.update().where(_leads.id == lead_id).values(updated_at=at(when))
    )


async def _record(conn: AsyncConnection, return_id: int) -> ReturnRecord | None:
    row = (await conn.execute(_RECORD.where(_returns.id == return_id))).first()
    return None if row is None else _to_record(row)


def _to_record(row: Any) -> ReturnRecord:
    return ReturnRecord(
        return_id=row.id,
        lead_id=row.lead_id,
        buyer_id=row.buyer_id,
        campaign_id=row.campaign_id,
        supplier_id=row.supplier_id,
        reason=row.reason,
        note=row.note,
        status=ReturnStatus(row.status),
        opened_by=row.opened_by,
        opened_at=epoch(row.opened_at),
        decided_by=row.decided_by,
        decided_at=None if row.decided_at is None else epoch(row.decided_at),
        decision_note=row.decision_note,
        credit_cents=row.credit_cents,
        chargeback_cents=row.chargeback_cents,
    )


def _sale(row: Any) -> SaleOfLead:
    return SaleOfLead(
        buyer_id=row.buyer_id,
        bid_id=row.bid_id,
        status=SaleStatus(row.status),
        sold_at=epoch(row.created_at),
        buyer_price_cents=row.buyer_price_cents,
        payout_cents=row.payout_cents,
        returned=row.return_id is not None,
    )
