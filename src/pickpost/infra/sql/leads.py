"""The lead ledger: leads, consent, sales, buyer calls and request logs."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pickpost.domain.lead import (
    ConsentRecord,
    LeadStatus,
    NewLead,
    PingLog,
    RequestLog,
    SaleAttempt,
    SaleStatus,
    StoredOutcome,
)
from pickpost.domain.outcomes import BuyerCall
from pickpost.infra.sql import schema


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _call_row(call: BuyerCall, ping_id: str | None, lead_id: str | None) -> dict[str, Any]:
    return {
        "ping_id": ping_id,
        "lead_id": lead_id,
        "buyer_id": call.buyer_id,
        "step": call.step.value,
        "url": call.url,
        "outcome": call.outcome.value,
        "reason": call.reason,
        "status_code": call.status_code,
        "latency_ms": round(call.latency_ms, 3),
        "price_cents": call.price_cents,
        "started_at": _at(call.started_at),
    }


class SqlLeadStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def find_outcome(self, ping_id: str) -> StoredOutcome | None:
        query = sa.select(
            schema.leads.c.id,
            schema.leads.c.campaign_id,
            schema.leads.c.supplier_id,
            schema.leads.c.status,
            schema.leads.c.outcome,
        ).where(schema.leads.c.ping_id == ping_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        outcome = row.outcome or {}
        return StoredOutcome(
            lead_id=row.id,
            campaign_id=row.campaign_id,
            supplier_id=row.supplier_id,
            status=LeadStatus(row.status),
            code=int(outcome.get("code", 0)),
            message=str(outcome.get("message", "")),
            body=dict(outcome.get("body", {})),
        )

    async def ping_owner(self, ping_id: str) -> tuple[str, str, float] | None:
        query = sa.select(
            schema.pings.c.campaign_id, schema.pings.c.supplier_id, schema.pings.c.expires_at
        ).where(schema.pings.c.id == ping_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        expires = row.expires_at
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        return row.campaign_id, row.supplier_id, expires.timestamp()

    async def claim(self, lead: NewLead, consent: ConsentRecord) -> bool:
        at = _at(lead.created_at)
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    schema.leads.insert().values(
                        id=lead.lead_id,
                        campaign_id=lead.campaign_id,
                        supplier_id=lead.supplier_id,
                        ping_id=lead.ping_id,
                        request_id=lead.request_id,
                        created_at=at,
                        updated_at=at,
                        test=lead.test,
                        status=LeadStatus.SELLING.value,
                        payout_cents=0,
                        fields=lead.fields,
                    )
                )
                await conn.execute(
                    schema.consents.insert().values(
                        lead_id=consent.lead_id,
                        ping_id=consent.ping_id,
                        consented_at=_at(consent.consented_at),
                        bids_shown=consent.bids_shown,
                        bids_picked=consent.bids_picked,
                        evidence=consent.evidence,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def start_sale(self, attempt: SaleAttempt) -> int | None:
        at = _at(attempt.created_at)
        try:
            async with self._engine.begin() as conn:
                result = await conn.execute(
                    schema.sales.insert()
                    .values(
                        lead_id=attempt.lead_id,
                        buyer_id=attempt.buyer_id,
                        bid_id=attempt.bid_id,
                        buyer_price_cents=attempt.buyer_price,
                        payout_cents=attempt.payout,
                        status=SaleStatus.PENDING.value,
                        reason="",
                        created_at=at,
                        updated_at=at,
                    )
                    .returning(schema.sales.c.id)
                )
                return int(result.scalar_one())
        except IntegrityError:
            return None

    async def finish_sale(self, sale_id: int, status: SaleStatus, call: BuyerCall) -> None:
        async with self._engine.begin() as conn:
            lead_id = (
                await conn.execute(
                    schema.sales.update()
                    .where(schema.sales.c.id == sale_id)
                    .values(status=status.value, reason=call.reason, updated_at=datetime.now(UTC))
                    .returning(schema.sales.c.lead_id)
                )
            ).scalar_one()
            await conn.execute(schema.buyer_calls.insert(), [_call_row(call, None, lead_id)])

    async def finish_lead(self, outcome: StoredOutcome, payout: int) -> None:
        stored = {"code": outcome.code, "message": outcome.message, "body": outcome.body}
        async with self._engine.begin() as conn:
            await conn.execute(
                schema.leads.update()
                .where(schema.leads.c.id == outcome.lead_id)
                .values(
                    status=outcome.status.value,
                    payout_cents=payout,
                    outcome=stored,
                    updated_at=datetime.now(UTC),
                )
            )

    async def record_calls(self, lead_id: str, calls: list[BuyerCall]) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                schema.buyer_calls.insert(), [_call_row(c, None, lead_id) for c in calls]
            )

    async def write_logs(self, pings: Sequence[PingLog], requests: Sequence[RequestLog]) -> None:
        async with self._engine.begin() as conn:
            await _insert_pings(conn, pings)
            if requests:
                await conn.execute(
                    schema.requests.insert(),
                    [
                        {
                            "id": r.request_id,
                            "endpoint": r.endpoint,
                            "received_at": _at(r.received_at),
                            "duration_ms": round(r.duration_ms, 3),
                            "http_status": r.http_status,
                            "code": r.code,
                            "campaign_id": r.campaign_id,
                            "supplier_id": r.supplier_id,
                            "ping_id": r.ping_id,
                            "lead_id": r.lead_id,
                            "remote_addr": r.remote_addr,
                            "request": r.request,
                            "response": r.response,
                        }
                        for r in requests
                    ],
                )


async def _insert_pings(conn: AsyncConnection, pings: Sequence[PingLog]) -> None:
    if not pings:
        return
    await conn.execute(
        schema.pings.insert(),
        [
            {
                "id": p.ping_id,
                "campaign_id": p.campaign_id,
                "supplier_id": p.supplier_id,
                "request_id": p.request_id,
                "created_at": _at(p.created_at),
                "expires_at": _at(p.expires_at),
                "test": p.test,
                "lead": p.lead,
                "bids": p.bids,
            }
            for p in pings
        ],
    )
    calls = [_call_row(c, p.ping_id, None) for p in pings for c in p.calls]
    if calls:
        await conn.execute(schema.buyer_calls.insert(), calls)
