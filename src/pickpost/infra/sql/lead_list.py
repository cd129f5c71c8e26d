"""The lead list: leads matching a :class:`LeadQuery`, newest first, a page at a time or all
of them as a stream (fetched in pages, so any number in constant memory)."""

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.lead_query import LeadPage, LeadPosition, LeadQuery
from pickpost.domain.reports import NOBODY, LeadTestFilter
from pickpost.infra.personal_data import PersonalData
from pickpost.infra.sql import schema
from pickpost.infra.sql.rows import utc

leads, sales, lookups = schema.leads.c, schema.sales.c, schema.lead_lookups.c
returns = schema.returns.c
STREAM_PAGE = 500


class SqlLeadList:
    def __init__(self, engine: AsyncEngine, personal: PersonalData) -> None:
        self._engine = engine
        self._personal = personal

    async def page(self, query: LeadQuery) -> LeadPage:
        """One page; ``next`` is where the following one starts."""
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(
                        leads.id,
                        leads.ping_id,
                        leads.created_at,
                        leads.campaign_id,
                        leads.supplier_id,
                        leads.status,
                        leads.test,
                        leads.payout_cents,
                    )
                    .where(*self._conditions(query))
                    .order_by(leads.created_at.desc(), leads.id.desc())
                    # One more than asked: whether a next page exists.
                    .limit(query.limit + 1)
                )
            ).all()
            page, more = rows[: query.limit], len(rows) > query.limit
            sold = await conn.execute(
                sa.select(sales.lead_id, sales.buyer_id, sales.status, sales.buyer_price_cents)
                .where(sales.lead_id.in_([r.id for r in page]))
                .order_by(sales.id)
            )
            by_lead: dict[str, list[Any]] = {r.id: [] for r in page}
            for sale in sold:
                by_lead[sale.lead_id].append(sale)
        last = page[-1] if more else None
        return LeadPage(
            [_lead(row, by_lead[row.id]) for row in page],
            None if last is None else LeadPosition(utc(last.created_at), last.id),
        )

    async def stream(self, query: LeadQuery) -> AsyncIterator[dict[str, object]]:
        """Every matching lead, page by page."""
        query = replace(query, limit=STREAM_PAGE, after=query.after)
        while True:
            found = await self.page(query)
            for lead in found.leads:
                yield lead
            if found.next is None:
                return
            query = replace(query, after=found.next)

    async def details(self, lead_ids: list[str]) -> dict[str, dict[str, object]]:
        """For each lead found: its fields (opened), the answer its supplier got (code and
        message), its sales with their reasons and the reasons of its approved returns."""
        if not lead_ids:
            return {}
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(leads.id, leads.fields, leads.outcome).where(leads.id.in_(lead_ids))
                )
            ).all()
            sold = (
                await conn.execute(
                    sa.select(
                        sales.lead_id,
                        sales.buyer_id,
                        sales.status,
                        sales.reason,
                        sales.buyer_price_cents,
                    )
                    .where(sales.lead_id.in_(lead_ids))
                    .order_by(sales.id)
                )
            ).all()
            returned = (
                await conn.execute(
                    sa.select(returns.lead_id, returns.buyer_id, returns.reason)
                    .where(returns.lead_id.in_(lead_ids), returns.status == "approved")
                    .order_by(returns.id)
                )
            ).all()
        found: dict[str, dict[str, object]] = {}
        for row in rows:
            outcome = row.outcome or {}
            found[row.id] = {
                "fields": await self._personal.open(row.fields),
                "code": int(outcome.get("code", 0)),
                "message": str(outcome.get("message", "")),
                "sales": [
                    {
                        "buyer_id": s.buyer_id,
                        "status": s.status,
                        "reason": s.reason,
                        "price_cents": s.buyer_price_cents,
                    }
                    for s in sold
                    if s.lead_id == row.id
                ],
                "returns": [
                    {"buyer_id": r.buyer_id, "reason": r.reason}
                    for r in returned
                    if r.lead_id == row.id
                ],
            }
        return found

    def _conditions(self, query: LeadQuery) -> list[sa.ColumnElement[bool]]:
        found: list[sa.ColumnElement[bool]] = []
        if query.lead_id is not None:
            found.append(leads.id == query.lead_id)
        if query.ping_id is not None:
            found.append(leads.ping_id == query.ping_id)
        for name, value in query.fields:
            hashes = self._personal.search_hashes(name, value)
            found.append(
                leads.id.in_(
                    sa.select(lookups.lead_id).where(
                        lookups.field_name == name, lookups.hash.in_(hashes)
                    )
                )
            )
        if query.campaigns:
            found.append(leads.campaign_id.in_(sorted(query.campaigns)))
        if query.suppliers:
            found.append(leads.supplier_id.in_(_real(query.suppliers)))
        if query.buyers:
            found.append(
                leads.id.in_(
                    sa.select(sales.lead_id).where(sales.buyer_id.in_(_real(query.buyers)))
                )
            )
        if query.statuses:
            found.append(leads.status.in_(sorted(query.statuses)))
        if query.test is not LeadTestFilter.INCLUDE:
            found.append(leads.test == (query.test is LeadTestFilter.ONLY))
        if query.since is not None:
            found.append(leads.created_at >= query.since)
        if query.until is not None:
            found.append(leads.created_at < query.until)
        if query.after is not None:
            at, lead_id = query.after.created_at, query.after.lead_id
            # The first condition bounds the index range, so a deep page starts where the last
            # one ended instead of scanning every newer lead again.
            found.append(leads.created_at <= at)
            found.append(sa.or_(leads.created_at < at, leads.id < lead_id))
        return found


def _real(ids: frozenset[str]) -> list[str]:
    """The ids as a filter: ``NOBODY`` (a scoped user asking for another's) matches nothing,
    and is never sent, since PostgreSQL refuses NUL in text."""
    return sorted(ids - {NOBODY})


def _lead(row: Any, sales: list[Any]) -> dict[str, object]:
    sold = [s for s in sales if s.status == "sold"]
    return {
        "lead_id": row.id,
        "ping_id": row.ping_id,
        "created_at": utc(row.created_at).isoformat().replace("+00:00", "Z"),
        "campaign_id": row.campaign_id,
        "supplier_id": row.supplier_id,
        "status": row.status,
        "test": bool(row.test),
        "revenue_cents": sum(s.buyer_price_cents for s in sold),
        "cost_cents": row.payout_cents,
        "sold_to": [s.buyer_id for s in sold],
        "sales": [
            {"buyer_id": s.buyer_id, "status": s.status, "price_cents": s.buyer_price_cents}
            for s in sales
        ],
    }
