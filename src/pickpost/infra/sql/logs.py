"""The log tables: pings with their buyer calls, and supplier requests."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.lead import PingLog, RequestLog
from pickpost.domain.ping import PingRecord
from pickpost.infra.personal_data import PersonalData
from pickpost.infra.sql import schema
from pickpost.infra.sql.rows import at, call_row, ping_row


class SqlLogStore:
    """Writes the logs in batches, behind the responses: encrypting their personal values
    here keeps that cost off the PING and POST answers."""

    def __init__(self, engine: AsyncEngine, personal: PersonalData) -> None:
        self._engine = engine
        self._personal = personal

    def _ping_row(self, record: PingRecord) -> dict[str, object]:
        seal = self._personal.seal
        row = ping_row(record)
        row["lead"] = seal(record.campaign_id, record.lead)
        row["ping_values"] = seal(record.campaign_id, record.ping_values)
        return row

    async def write_logs(self, pings: Sequence[PingLog], requests: Sequence[RequestLog]) -> None:
        seal = self._personal.seal
        async with self._engine.begin() as conn:
            if pings:
                await conn.execute(schema.pings.insert(), [self._ping_row(p.record) for p in pings])
            calls = [
                call_row(c, p.record.ping_id, None, self._personal.seal_call)
                for p in pings
                for c in p.calls
            ]
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
                            # Refused requests too: what a supplier sent is personal until a
                            # campaign's fields say otherwise.
                            "request": seal(r.campaign_id, r.request),
                            "response": r.response,
                        }
                        for r in requests
                    ],
                )
