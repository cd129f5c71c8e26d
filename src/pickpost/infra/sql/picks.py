"""Picks recorded by the pick widget and page: one row per ping, its primary key what makes a
pick token single use; the consumer's IP, user agent and page URL sealed as consent evidence
is (docs/consent.md, "The pick widget")."""

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.pick import RecordedPick
from pickpost.infra.personal_data import PersonalData
from pickpost.infra.sql import schema
from pickpost.infra.sql.one_hop import Transactions
from pickpost.infra.sql.rows import at, epoch

_INSERT = schema.picks.insert()
_FIND = sa.select(schema.picks).where(schema.picks.c.ping_id == sa.bindparam("b_ping_id"))


def _find(conn: Connection, ping_id: str) -> Any:
    return conn.execute(_FIND, {"b_ping_id": ping_id}).first()


def _record(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(_INSERT, row)


class SqlPickStore:
    def __init__(self, engine: AsyncEngine, personal: PersonalData) -> None:
        self._personal = personal
        # A POST's lookup of its pick is one statement: no transaction around it (on
        # PostgreSQL a BEGIN and a ROLLBACK fewer).
        self._single = engine.execution_options(isolation_level="AUTOCOMMIT")
        # On SQLite, one hop to the ledger's threads instead of aiosqlite's four.
        self._transactions = Transactions(engine)
        self._hop = self._transactions.hop

    async def record(self, pick: RecordedPick) -> bool:
        row = {
            "ping_id": pick.ping_id,
            "campaign_id": pick.campaign_id,
            "recorded_at": at(pick.recorded_at),
            "disclosure": pick.disclosure,
            "shown": list(pick.shown),
            "picked": list(pick.picked),
            "rendered_sha256": pick.rendered_sha256,
            "personal": self._personal.seal(pick.campaign_id, dict(pick.personal)),
        }
        try:
            await self._transactions.run(_record, row)
        except IntegrityError:
            return False
        return True

    async def find(self, ping_id: str) -> RecordedPick | None:
        row: Any  # a picks row, or None
        if self._hop is not None:
            row = await self._hop.read(_find, ping_id)
        else:
            async with self._single.connect() as conn:
                row = (await conn.execute(_FIND, {"b_ping_id": ping_id})).first()
        return None if row is None else await recorded_pick(row._mapping, self._personal)


async def recorded_pick(row: Mapping[str, Any], personal: PersonalData) -> RecordedPick:
    """A picks row (its columns by name) as a pick, its personal values opened."""
    opened = await personal.open(row["personal"])
    return RecordedPick(
        ping_id=row["ping_id"],
        campaign_id=row["campaign_id"],
        recorded_at=epoch(row["recorded_at"]),
        disclosure=row["disclosure"],
        shown=tuple(row["shown"]),
        picked=tuple(row["picked"]),
        rendered_sha256=row["rendered_sha256"],
        personal={k: v for k, v in opened.items() if isinstance(v, str)},
    )
