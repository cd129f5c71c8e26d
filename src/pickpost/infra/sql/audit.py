"""The audit log table: appended to, never changed."""

from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.audit import AuditEntry
from pickpost.infra.sql import schema
from pickpost.infra.sql.rows import at


class SqlAuditLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def record(self, entry: AuditEntry) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                schema.audit_log.insert().values(
                    at=at(entry.at),
                    actor=entry.actor,
                    action=entry.action,
                    target=entry.target,
                    before=entry.before,
                    after=entry.after,
                    remote_addr=entry.remote_addr,
                )
            )
