"""Workspaces in the database: apply a document, read back what nodes serve."""

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.catalog import Catalog
from pickpost.domain.workspace import CampaignConfig, Workspace
from pickpost.infra.sql import schema
from pickpost.infra.sql.campaigns import set_archived
from pickpost.infra.workspace_file import parse_workspace
from pickpost.services.ports import PausableKind


@dataclass(frozen=True, slots=True)
class ApplyReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # In the document, and archived: their configuration is stored, they stay archived.
    archived: list[str] = field(default_factory=list)
    # The document hash of each created or updated campaign, before (None: new) and after.
    hashes_before: dict[str, str | None] = field(default_factory=dict)
    hashes_after: dict[str, str] = field(default_factory=dict)


def stored_doc(campaign: CampaignConfig) -> dict[str, object]:
    """A campaign as stored: supplier keys hashed, defaults spelled out."""
    hashed = campaign.model_copy(
        update={"suppliers": tuple(s.hashed() for s in campaign.suppliers)}
    )
    return hashed.model_dump(mode="json", exclude_none=True)


def _digest(doc: dict[str, object]) -> str:
    return hashlib.sha256(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)).hexdigest()


async def apply_workspace(engine: AsyncEngine, workspace: Workspace) -> ApplyReport:
    """Create or update each campaign of the document; identical ones are left untouched.

    Campaigns in the database but not in the document are kept: leads refer to them. An
    archived campaign in the document has its configuration updated and stays archived (only
    ``pickpost campaigns restore`` serves it again): a file is not a decision to sell. The
    result is checked as a whole (a supplier has one key across campaigns) before anything is
    written, so a database is never left in a state ``serve`` would refuse.
    """
    report = ApplyReport()
    async with engine.begin() as conn:
        rows = await conn.execute(sa.select(schema.campaigns))
        stored = {row.id: row for row in rows}
        merged = {cid: row.doc for cid, row in stored.items()}
        merged.update({c.id: stored_doc(c) for c in workspace.campaigns})
        parse_workspace(
            {"campaigns": list(merged.values())}, "the workspace with the stored campaigns"
        )
        known = {cid: row.doc_hash for cid, row in stored.items()}
        for campaign in workspace.campaigns:
            doc = stored_doc(campaign)
            digest = _digest(doc)
            values = {"doc": doc, "doc_hash": digest, "updated_at": datetime.now(UTC)}
            if campaign.id not in known:
                await conn.execute(schema.campaigns.insert().values(id=campaign.id, **values))
                report.created.append(campaign.id)
                report.hashes_before[campaign.id] = None
                report.hashes_after[campaign.id] = digest
            elif known[campaign.id] != digest:
                await conn.execute(
                    schema.campaigns.update()
                    .where(schema.campaigns.c.id == campaign.id)
                    .values(**values)
                )
                report.updated.append(campaign.id)
                report.hashes_before[campaign.id] = known[campaign.id]
                report.hashes_after[campaign.id] = digest
            else:
                report.unchanged.append(campaign.id)
            if campaign.id in stored and stored[campaign.id].archived_at is not None:
                report.archived.append(campaign.id)
    return report


async def load_workspace(engine: AsyncEngine) -> Workspace:
    async with engine.connect() as conn:
        rows = await conn.execute(sa.select(schema.campaigns.c.doc).order_by(schema.campaigns.c.id))
        docs = [row.doc for row in rows]
    return Workspace.model_validate({"campaigns": docs})


class SqlCatalogSource:
    """The catalog as stored, for ``CatalogRefresher``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def version(self) -> str:
        # Ids, content hashes and archive marks only: a small read, exact whatever the nodes'
        # clocks say. Archiving or restoring changes it, so every node reloads.
        columns = schema.campaigns.c
        query = sa.select(columns.id, columns.doc_hash, columns.archived_at.is_not(None))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query.order_by(columns.id))).all()
        pairs = [f"{cid}:{digest}{':archived' if gone else ''}" for cid, digest, gone in rows]
        return hashlib.sha256("\n".join(pairs).encode()).hexdigest()

    async def load(self) -> Catalog:
        columns = schema.campaigns.c
        async with self._engine.connect() as conn:
            rows = await conn.execute(sa.select(columns.id).where(columns.archived_at.is_not(None)))
            archived = frozenset(row.id for row in rows)
        return Catalog.from_workspace(await load_workspace(self._engine), archived)


class SqlWorkspaceControl:
    """Operator switches on the stored workspace."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def set_paused(
        self, campaign_id: str, kind: PausableKind, item_id: str, paused: bool
    ) -> PausableKind | None:
        return await set_paused(self._engine, campaign_id, kind, item_id, paused)

    async def set_archived(self, campaign_id: str, archived: bool) -> bool:
        return await set_archived(self._engine, campaign_id, archived)


async def set_paused(
    engine: AsyncEngine, campaign_id: str, kind: PausableKind, item_id: str, paused: bool
) -> PausableKind | None:
    """Pause or resume a campaign, or one of its buyers or suppliers, in the stored workspace;
    what does not exist (the campaign, or its buyer or supplier), if anything. Every node
    serves the change at its next catalog refresh. (A later ``pickpost load`` of a file that
    says otherwise wins: the file is the source of truth.)"""
    table = schema.campaigns
    async with engine.begin() as conn:
        query = sa.select(table.c.doc).where(table.c.id == campaign_id)
        if engine.dialect.name == "postgresql":
            query = query.with_for_update()
        row = (await conn.execute(query)).first()
        if row is None:
            return "campaign"
        doc = dict(row.doc)
        if kind == "campaign":
            doc["paused"] = paused
        else:
            items = [dict(item) for item in doc.get(f"{kind}s", [])]
            found = [item for item in items if item.get("id") == item_id]
            if not found:
                return kind
            found[0]["paused"] = paused
            doc[f"{kind}s"] = items
        doc = stored_doc(CampaignConfig.model_validate(doc))
        await conn.execute(
            table.update()
            .where(table.c.id == campaign_id)
            .values(doc=doc, doc_hash=_digest(doc), updated_at=datetime.now(UTC))
        )
    return None
