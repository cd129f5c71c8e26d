"""The log tables: pings with their buyer calls, and supplier requests."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.lead import PingLog, RequestLog
from pickpost.infra.sql import schema
from pickpost.infra.sql.rows import at, call_row, ping_row


class SqlLogStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def write_logs(self, pings: Sequence[PingLog], requests: Sequence[RequestLog]) -> None:
        async with self._engine.begin() as conn:
            if pings:
                await conn.execute(schema.pings.insert(), [ping_row(p.record) for p in pings])
            calls = [call_row(c, p.record.ping_id, None) for p in pings for c in p.calls]
            if calls:
                await conn.execute(schema.buyer_calls.insert(), calls)
            if requests:
                await conn.execute(
                    schema.requests.insert(),
                    [
                        {
                            "id": r.request_id,
                            "endpoint": r.endpoint,
                            "received_at": at(r.received_at),
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
