"""The log tables: pings with their buyer calls, and supplier requests."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.lead import PingLog, RequestLog
from pickpost.domain.ping import PingRecord
from pickpost.infra.personal_data import PersonalData
from pickpost.infra.sql import schema
from pickpost.infra.sql.rows import at, call_row, ping_row


def sealed_ping_row(record: PingRecord, personal: PersonalData) -> dict[str, object]:
    """A ping's row with its personal values sealed."""
    row = ping_row(record)
    row["lead"] = personal.seal(record.campaign_id, record.lead)
    row["ping_values"] = personal.seal(record.campaign_id, record.ping_values)
    return row


def request_row(log: RequestLog, personal: PersonalData) -> dict[str, object]:
    """A supplier request's row. Refused requests too: what a supplier sent is personal until
    a campaign's fields say otherwise."""
    return {
        "id": log.request_id,
        "endpoint": log.endpoint,
        "received_at": at(log.received_at),
        "duration_ms": round(log.duration_ms, 3),
        "http_status": log.http_status,
        "code": log.code,
        "campaign_id": log.campaign_id,
        "supplier_id": log.supplier_id,
        "ping_id": log.ping_id,
        "lead_id": log.lead_id,
        "remote_addr": log.remote_addr,
        "request": personal.seal(log.campaign_id, log.request),
        "response": log.response,
    }


class SqlLogStore:
    """Writes the logs in batches, behind the responses: encrypting their personal values
    here keeps that cost off the PING and POST answers."""

    def __init__(self, engine: AsyncEngine, personal: PersonalData) -> None:
        self._engine = engine
        self._personal = personal

    async def write_logs(self, pings: Sequence[PingLog], requests: Sequence[RequestLog]) -> None:
        personal = self._personal
        async with self._engine.begin() as conn:
            if pings:
                await conn.execute(
                    schema.pings.insert(), [sealed_ping_row(p.record, personal) for p in pings]
                )
            calls = [
                call_row(c, p.record.ping_id, None, personal.seal_call)
                for p in pings
                for c in p.calls
            ]
            if calls:
                await conn.execute(schema.buyer_calls.insert(), calls)
            if requests:
                await conn.execute(
                    schema.requests.insert(), [request_row(r, personal) for r in requests]
                )
