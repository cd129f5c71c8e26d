"""What the admin API shows: a lead or a ping with everything recorded about it (personal
values decrypted for the operator), and the sales matching a query, page by page (the lead
list is ``lead_list.py``)."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pickpost.domain.sales_query import SalePosition, SalesPage, SalesQuery
from pickpost.infra.personal_data import PersonalData
from pickpost.infra.sql import schema
from pickpost.infra.sql.rows import utc


def _iso(value: datetime | None) -> str | None:
    return None if value is None else utc(value).isoformat().replace("+00:00", "Z")


def _cents(value: int | None) -> float | None:
    return None if value is None else value / 100


class SqlViews:
    def __init__(self, engine: AsyncEngine, personal: PersonalData) -> None:
        self._engine = engine
        self._personal = personal

    async def lead(self, lead_id: str) -> dict[str, object] | None:
        """The lead with its consent record, sales, requests and every buyer call."""
        async with self._engine.connect() as conn:
            lead = (
                await conn.execute(sa.select(schema.leads).where(schema.leads.c.id == lead_id))
            ).first()
            if lead is None:
                return None
            consent = (
                await conn.execute(
                    sa.select(schema.consents).where(schema.consents.c.lead_id == lead_id)
                )
            ).first()
            sales = (
                await conn.execute(
                    sa.select(schema.sales)
                    .where(schema.sales.c.lead_id == lead_id)
                    .order_by(schema.sales.c.id)
                )
            ).all()
            requests = await _requests(conn, lead.ping_id, lead_id, self._personal)
            timeline = await _timeline(conn, lead.ping_id, lead_id, self._personal)
        open_ = self._personal.open
        return {
            "lead_id": lead.id,
            "campaign_id": lead.campaign_id,
            "supplier_id": lead.supplier_id,
            "ping_id": lead.ping_id,
            "request_id": lead.request_id,
            "created_at": _iso(lead.created_at),
            "test": lead.test,
            "status": lead.status,
            "payout": _cents(lead.payout_cents),
            "payout_cents": lead.payout_cents,
            "fields": await open_(lead.fields),
            "consent": None
            if consent is None
            else {
                "consented_at": _iso(consent.consented_at),
                "bids_shown": consent.bids_shown,
                "bids_picked": consent.bids_picked,
                **await open_(consent.evidence),
                # A pick Pickpost recorded itself (docs/consent.md, "The pick widget").
                **({} if consent.pick is None else {"pick": consent.pick}),
            },
            "sales": [
                {
                    "buyer_id": s.buyer_id,
                    "bid_id": s.bid_id,
                    "status": s.status,
                    "reason": s.reason,
                    "buyer_price": _cents(s.buyer_price_cents),
                    "payout": _cents(s.payout_cents),
                    "buyer_price_cents": s.buyer_price_cents,
                    "payout_cents": s.payout_cents,
                    "created_at": _iso(s.created_at),
                }
                for s in sales
            ],
            "requests": requests,
            "timeline": timeline,
        }

    async def sales(self, query: SalesQuery) -> SalesPage:
        """The sales matching ``query`` in the order they were started, ``(created_at, id)``:
        ``unknown`` ones are for an operator to settle."""
        sales, leads = schema.sales.c, schema.leads.c
        conditions: list[sa.ColumnElement[bool]] = []
        if query.status is not None:
            conditions.append(sales.status == query.status.value)
        if query.campaign_id is not None:
            conditions.append(leads.campaign_id == query.campaign_id)
        if query.buyer_id is not None:
            conditions.append(sales.buyer_id == query.buyer_id)
        if query.since is not None:
            conditions.append(sales.created_at >= query.since)
        if query.until is not None:
            conditions.append(sales.created_at < query.until)
        if query.after is not None:
            at, sale_id = query.after.created_at, query.after.sale_id
            conditions.append(
                sa.or_(sales.created_at > at, sa.and_(sales.created_at == at, sales.id > sale_id))
            )
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(schema.sales, leads.campaign_id, leads.supplier_id)
                    .join(schema.leads, leads.id == sales.lead_id)
                    .where(sa.and_(sa.true(), *conditions))
                    .order_by(sales.created_at, sales.id)
                    # One more than asked: whether a next page exists.
                    .limit(query.limit + 1)
                )
            ).all()
        page, more = rows[: query.limit], len(rows) > query.limit
        last = page[-1] if more else None
        return SalesPage(
            [
                {
                    "lead_id": r.lead_id,
                    "campaign_id": r.campaign_id,
                    "supplier_id": r.supplier_id,
                    "buyer_id": r.buyer_id,
                    "bid_id": r.bid_id,
                    "status": r.status,
                    "reason": r.reason,
                    "buyer_price": _cents(r.buyer_price_cents),
                    "payout": _cents(r.payout_cents),
                    "created_at": _iso(r.created_at),
                    "updated_at": _iso(r.updated_at),
                }
                for r in page
            ],
            None if last is None else SalePosition(utc(last.created_at), last.id),
        )

    async def ping(self, ping_id: str) -> dict[str, object] | None:
        """The ping as received, the bids offered, its buyer calls and its POSTs, if any."""
        async with self._engine.connect() as conn:
            ping = (
                await conn.execute(sa.select(schema.pings).where(schema.pings.c.id == ping_id))
            ).first()
            if ping is None:
                return None
            lead_id = (
                await conn.execute(
                    sa.select(schema.leads.c.id).where(schema.leads.c.ping_id == ping_id)
                )
            ).scalar()
            requests = await _requests(conn, ping_id, None, self._personal)
            timeline = await _timeline(conn, ping_id, None, self._personal)
        return {
            "ping_id": ping.id,
            "campaign_id": ping.campaign_id,
            "supplier_id": ping.supplier_id,
            "request_id": ping.request_id,
            "created_at": _iso(ping.created_at),
            "expires_at": _iso(ping.expires_at),
            "test": ping.test,
            "lead": await self._personal.open(ping.lead),
            "bids": [
                {
                    "bid_id": b["bid_id"],
                    "buyer_id": b["buyer_id"],
                    "bid_price": _cents(b["price"]),
                    "buyer_price": _cents(b["buyer_price"]),
                    "tcpa_entity_name": b["tcpa_entity_name"],
                    "buyer_token": b["token"],
                    "additional_data": b["additional_data"],
                }
                for b in ping.bids
            ],
            "buyers_pinged": ping.buyers_pinged,
            "lead_id": lead_id,
            "requests": requests,
            "timeline": timeline,
        }


def _about(columns: Any, ping_id: str | None, lead_id: str | None) -> sa.ColumnElement[bool]:
    """Rows of this ping or this lead. (``== None`` would mean IS NULL: every other row.)"""
    conditions = [columns.ping_id == ping_id] if ping_id is not None else []
    if lead_id is not None:
        conditions.append(columns.lead_id == lead_id)
    return sa.or_(sa.false(), *conditions)


async def _requests(
    conn: AsyncConnection, ping_id: str | None, lead_id: str | None, personal: PersonalData
) -> list[dict[str, Any]]:
    """The supplier's requests: what it sent (``lp_key`` left out, personal values opened)
    and what it was answered; both empty after the requests' retention purged them."""
    requests = schema.requests.c
    rows = await conn.execute(
        sa.select(schema.requests)
        .where(_about(requests, ping_id, lead_id))
        .order_by(requests.received_at)
    )
    return [
        {
            "request_id": r.id,
            "endpoint": r.endpoint,
            "received_at": _iso(r.received_at),
            "duration_ms": r.duration_ms,
            "http_status": r.http_status,
            "code": r.code,
            "request": await personal.open(r.request),
            "response": r.response,
        }
        for r in rows
    ]


async def _timeline(
    conn: AsyncConnection, ping_id: str | None, lead_id: str | None, personal: PersonalData
) -> list[dict[str, Any]]:
    """Every buyer call, with what went over the wire as recorded (opened for the operator;
    null when nothing was sent, or after the requests' retention purged it)."""
    calls = schema.buyer_calls.c
    rows = await conn.execute(
        sa.select(schema.buyer_calls)
        .where(_about(calls, ping_id, lead_id))
        .order_by(calls.started_at, calls.id)
    )

    async def opened(recorded: dict[str, object] | None) -> dict[str, object] | None:
        return None if recorded is None else await personal.open(recorded)

    return [
        {
            "step": c.step,
            "buyer_id": c.buyer_id,
            "url": c.url,
            "outcome": c.outcome,
            "reason": c.reason,
            "status_code": c.status_code,
            "latency_ms": c.latency_ms,
            "price": _cents(c.price_cents),
            "price_cents": c.price_cents,
            "started_at": _iso(c.started_at),
            "request": {
                "headers": await opened(c.request_headers),
                "body": await opened(c.request_body),
            },
            "response": {
                "headers": await opened(c.response_headers),
                "body": await opened(c.response_body),
            },
        }
        for c in rows
    ]
