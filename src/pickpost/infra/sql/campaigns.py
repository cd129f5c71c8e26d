"""The stored campaigns as an operator sees them, and archiving: nothing deletes a campaign,
since leads, sales and pings refer to it; archived, it refuses traffic and keeps its history."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.infra.sql import schema

CampaignStatus = Literal["live", "paused", "archived"]


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    id: str
    name: str
    type: str
    status: CampaignStatus
    buyers: int
    suppliers: int
    updated: datetime  # UTC


async def list_campaigns(engine: AsyncEngine) -> list[CampaignSummary]:
    columns = schema.campaigns.c
    query = sa.select(columns.id, columns.doc, columns.updated_at, columns.archived_at)
    async with engine.connect() as conn:
        rows = (await conn.execute(query.order_by(columns.id))).all()
    return [
        CampaignSummary(
            id=row.id,
            name=str(row.doc.get("name", "")),
            type=str(row.doc.get("type", "")),
            status=(
                "archived"
                if row.archived_at is not None
                else "paused"
                if row.doc.get("paused")
                else "live"
            ),
            buyers=len(row.doc.get("buyers", ())),
            suppliers=len(row.doc.get("suppliers", ())),
            # SQLite gives back a naive UTC time; PostgreSQL one in its session's zone.
            updated=row.updated_at.astimezone(UTC) if row.updated_at.tzinfo else row.updated_at,
        )
        for row in rows
    ]


async def set_archived(engine: AsyncEngine, campaign_id: str, archived: bool) -> bool:
    """Archive or restore a campaign; False when there is no such campaign. Every node serves
    the change at its next catalog refresh (the catalog's version covers the mark). Archiving
    an archived campaign keeps the time it was first archived."""
    table = schema.campaigns
    now = datetime.now(UTC)
    mark = sa.func.coalesce(table.c.archived_at, now) if archived else None
    async with engine.begin() as conn:
        result = await conn.execute(
            table.update().where(table.c.id == campaign_id).values(archived_at=mark, updated_at=now)
        )
    return bool(result.rowcount)
