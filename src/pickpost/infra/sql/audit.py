"""The audit log table: appended to, never changed; read newest first."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.audit import AuditEntry, AuditPage, AuditQuery
from pickpost.infra.sql import schema
from pickpost.infra.sql.rows import at, epoch

_log = schema.audit_log


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        actor=row.actor,
        action=row.action,
        target=row.target,
        at=epoch(row.at),
        before=row.before,
        after=row.after,
        remote_addr=row.remote_addr,
    )


class SqlAuditLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def record(self, entry: AuditEntry) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                _log.insert().values(
                    at=at(entry.at),
                    actor=entry.actor,
                    action=entry.action,
                    target=entry.target,
                    before=entry.before,
                    after=entry.after,
                    remote_addr=entry.remote_addr,
                )
            )

    async def read(self, query: AuditQuery) -> AuditPage:
        """The entries matching ``query``, newest first, ``query.limit`` at most per page."""
        conditions: list[sa.ColumnElement[bool]] = []
        if query.actor:
            conditions.append(_log.c.actor == query.actor)
        if query.action:
            conditions.append(_log.c.action == query.action)
        if query.since is not None:
            conditions.append(_log.c.at >= at(query.since))
        if query.until is not None:
            conditions.append(_log.c.at < at(query.until))
        if query.before_id is not None:
            conditions.append(_log.c.id < query.before_id)
        select = sa.select(_log).where(*conditions).order_by(_log.c.id.desc())
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select.limit(query.limit + 1))).all()
        page = rows[: query.limit]
        more = len(rows) > query.limit
        return AuditPage(
            entries=tuple((row.id, _entry(row)) for row in page),
            next_before_id=page[-1].id if more else None,
        )
