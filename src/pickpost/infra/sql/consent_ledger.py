"""The consent ledger in SQL: appending entries inside the lead ledger's own transactions,
sealing closed days, verifying chains and roots, and the evidence bundle of a lead.

Appending needs no lock of its own: a lead's entries are written by the transactions that
already own the lead (its claim, then its sales one after another), and the primary key
(lead_id, seq) refuses a second entry at the same place, so a chain can never fork. Days are
sealed after the fact, by whichever node gets there first (the day is the primary key).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pickpost.domain.consent_ledger import (
    GENESIS,
    Attested,
    DayRoot,
    Entry,
    Problem,
    Tamper,
    append,
    claim_drafts,
    day_of,
    day_start,
    delivered_draft,
    included,
    inclusion_path,
    new_nonce,
    now_ms,
    seal_day,
    sealable_through,
    stamp,
    verify_attested,
    verify_chain,
    verify_day,
)
from pickpost.domain.lead import ConsentRecord, SaleStatus
from pickpost.domain.revocation import DeliveryState
from pickpost.infra.crypto import token_parts
from pickpost.infra.personal_data import PersonalData
from pickpost.infra.sql import schema
from pickpost.infra.sql.rows import epoch, utc

_INSERT_ENTRIES = schema.consent_ledger.insert()
_ledger = schema.consent_ledger.c
_DAY = timedelta(days=1)
_PAGE = 500


def _rows(entries: Iterable[Entry], nonce: str | None = None) -> list[dict[str, Any]]:
    return [
        {
            "lead_id": e.lead_id,
            "seq": e.seq,
            "kind": e.kind,
            "appended_at": e.at,
            "facts": dict(e.facts),
            "commitment": e.commitment,
            "nonce": nonce if e.commitment is not None else None,
            "prev_hash": e.prev_hash,
            "entry_hash": e.entry_hash,
        }
        for e in entries
    ]


def claim_entries(consent: ConsentRecord) -> tuple[list[dict[str, Any]], tuple[int, str]]:
    """The rows of a claimed lead's bids shown and pick, and the chain's head after them."""
    nonce = new_nonce()
    entries = append(consent.lead_id, None, claim_drafts(consent, now_ms(), nonce))
    return _rows(entries, nonce), (entries[-1].seq, entries[-1].entry_hash)


def delivered_entry(
    lead_id: str, head: tuple[int, str] | None, sale_id: int, buyer_id: str, bid_id: str
) -> tuple[dict[str, Any], tuple[int, str]]:
    """The row of the consent delivered with a sale confirmed sold, appended after ``head``,
    and the chain's head after it."""
    [entry] = append(lead_id, head, [delivered_draft(sale_id, buyer_id, bid_id, now_ms())])
    return _rows([entry])[0], (entry.seq, entry.entry_hash)


def append_claim(conn: Connection, consent: ConsentRecord) -> tuple[int, str]:
    """Append a claimed lead's bids shown and pick, in the claim's transaction; the head.
    Synchronous: the ledger's transactions run whole on one side of a thread hop
    (``leads.py``)."""
    rows, head = claim_entries(consent)
    conn.execute(_INSERT_ENTRIES, rows)
    return head


async def insert_entries(conn: AsyncConnection, entries: Sequence[Entry]) -> None:
    """Insert appended entries that commit to no personal value, in the caller's transaction."""
    await conn.execute(_INSERT_ENTRIES, _rows(entries))


def head_columns(lead_id_column: str) -> list[Any]:
    """The seq and hash of a lead's last entry as scalar subqueries, to read with the
    statement a transaction already runs (a RETURNING) rather than in a round trip of its own.
    ``lead_id_column`` is the outer statement's column, qualified (``sales.lead_id``): SQLite
    renders RETURNING columns unqualified, which would make the correlation ambiguous."""
    head = schema.consent_ledger.alias("consent_head")
    outer: sa.ColumnElement[str] = sa.literal_column(lead_id_column)

    def last(column: sa.ColumnElement[Any], name: str) -> Any:
        query = sa.select(column).where(head.c.lead_id == outer)
        return query.order_by(head.c.seq.desc()).limit(1).scalar_subquery().label(name)

    return [last(head.c.seq, "head_seq"), last(head.c.entry_hash, "head_hash")]


def append_delivered(
    conn: Connection,
    lead_id: str,
    head: tuple[int, str] | None,
    sale_id: int,
    buyer_id: str,
    bid_id: str,
) -> tuple[int, str]:
    """Append the consent delivered with a sale confirmed sold, in the transaction that
    records it sold (``head``: the lead's last entry, read in that transaction); the head
    after it."""
    row, after = delivered_entry(lead_id, head, sale_id, buyer_id, bid_id)
    conn.execute(_INSERT_ENTRIES, [row])
    return after


def _entry(row: Any) -> Entry:
    return Entry(
        lead_id=row.lead_id,
        seq=row.seq,
        kind=row.kind,
        at=utc(row.appended_at),
        facts=row.facts,
        commitment=row.commitment,
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )


def _root(row: Any) -> DayRoot:
    day = row.day if isinstance(row.day, date) else date.fromisoformat(str(row.day))
    return DayRoot(day, int(row.entries), row.merkle_root, row.prev_root, row.root)


@dataclass
class VerifyReport:
    """What ``consent verify`` checked and found."""

    leads: int = 0
    entries: int = 0
    days: int = 0  # sealed days whose roots were recomputed
    predating: int = 0  # leads claimed before the ledger's first entry (before migration 0007)
    unopened: int = 0  # evidence not checked: purged, or sealed under a key not given
    problems: list[Problem] = field(default_factory=list)


class SqlConsentLedger:
    def __init__(self, engine: AsyncEngine, personal: PersonalData) -> None:
        self._engine = engine
        self._personal = personal

    # --- daily roots -----------------------------------------------------------------------

    async def seal(self, now: datetime) -> list[DayRoot]:
        """Seal every closed day (past the grace) that has entries and no root yet, in order."""
        through = sealable_through(now)
        sealed: list[DayRoot] = []
        async with self._engine.connect() as conn:
            last = (
                await conn.execute(
                    sa.select(schema.consent_roots).order_by(schema.consent_roots.c.day.desc())
                )
            ).first()
        prev = GENESIS if last is None else last.root
        start = None if last is None else _root(last).day + _DAY
        while True:
            async with self._engine.connect() as conn:
                day = await self._next_day(conn, start, through)
                if day is None:
                    return sealed
                root = seal_day(day, await self._day_hashes(conn, day), prev)
            try:
                async with self._engine.begin() as conn:
                    await conn.execute(
                        schema.consent_roots.insert(),
                        {
                            "day": day,
                            "entries": root.entries,
                            "merkle_root": root.merkle_root,
                            "prev_root": root.prev_root,
                            "root": root.root,
                            "sealed_at": datetime.now(UTC),
                        },
                    )
                sealed.append(root)
            except IntegrityError:  # another node sealed it: go on from its root
                async with self._engine.connect() as conn:
                    stored = await conn.execute(
                        sa.select(schema.consent_roots).where(schema.consent_roots.c.day == day)
                    )
                    root = _root(stored.one())
            prev, start = root.root, day + _DAY

    async def _next_day(
        self, conn: AsyncConnection, start: date | None, through: date
    ) -> date | None:
        query = sa.select(sa.func.min(_ledger.appended_at)).where(
            _ledger.appended_at < day_start(through + _DAY)
        )
        if start is not None:
            query = query.where(_ledger.appended_at >= day_start(start))
        first = (await conn.execute(query)).scalar()
        return None if first is None else day_of(utc(first))

    async def _day_hashes(self, conn: AsyncConnection, day: date) -> list[str]:
        query = sa.select(_ledger.entry_hash).where(
            _ledger.appended_at >= day_start(day), _ledger.appended_at < day_start(day + _DAY)
        )
        return list((await conn.execute(query)).scalars())

    async def roots(self, since: date | None = None) -> list[DayRoot]:
        query = sa.select(schema.consent_roots).order_by(schema.consent_roots.c.day)
        if since is not None:
            query = query.where(schema.consent_roots.c.day >= since)
        async with self._engine.connect() as conn:
            return [_root(row) for row in (await conn.execute(query)).all()]

    # --- verification ----------------------------------------------------------------------

    async def verify(self, lead_id: str | None = None, since: date | None = None) -> VerifyReport:
        """Recompute the chains of the leads in scope (one lead, those appended to or claimed
        since a day, or all), check them against the records they attest, and recompute the
        sealed days' roots (for one lead: the days its entries were appended on)."""
        report = VerifyReport()
        async with self._engine.connect() as conn:
            started = (await conn.execute(sa.select(sa.func.min(_ledger.appended_at)))).scalar()
            roots = await self._roots(conn)
            entry_days: set[date] = set()
            after = ""
            while True:
                page = await self._lead_page(conn, lead_id, since, after)
                if not page:
                    break
                for found_lead, entries, records in await self._read(conn, page):
                    if not entries:
                        if records.consent is None:
                            continue  # no such lead (--lead)
                        if started is None or records.consent.consented_at < epoch(started):
                            report.predating += 1
                            continue
                    report.leads += 1
                    report.entries += len(entries)
                    entry_days |= {e.day for e in entries}
                    if records.consent is not None and records.opening is None:
                        report.unopened += 1
                    report.problems += verify_chain(found_lead, entries)
                    report.problems += verify_attested(found_lead, records, entries)
                if lead_id is not None:
                    break
                after = page[-1]
            checked = [
                (root, prev)
                for root, prev in roots
                if (since is None or root.day >= since)
                and (lead_id is None or root.day in entry_days)
            ]
            report.days = len(checked)
            sealed = {root.day for root, _ in roots}
            report.problems += await self._verify_days(conn, checked, sealed, entry_days)
        return report

    async def _roots(self, conn: AsyncConnection) -> list[tuple[DayRoot, str]]:
        """Every sealed day, oldest first, each with the root of the sealed day before it."""
        query = sa.select(schema.consent_roots).order_by(schema.consent_roots.c.day)
        linked = []
        prev = GENESIS
        for row in (await conn.execute(query)).all():
            root = _root(row)
            linked.append((root, prev))
            prev = root.root
        return linked

    async def _verify_days(
        self,
        conn: AsyncConnection,
        checked: list[tuple[DayRoot, str]],
        sealed: set[date],
        entry_days: set[date],
    ) -> list[Problem]:
        """The ``checked`` days recomputed; and days entries are dated on that have no root
        though a later day is sealed."""
        problems: list[Problem] = []
        for root, prev in checked:
            problems += verify_day(root, prev, await self._day_hashes(conn, root.day))
        last = max(sealed, default=None)
        for day in sorted(d for d in entry_days if last is not None and d <= last):
            if day not in sealed:
                problems.append(
                    Problem(
                        Tamper.ROOT,
                        "entries are dated on it but it has no root (deleted, or entries "
                        "inserted after it was sealed)",
                        day=day,
                    )
                )
        return problems

    async def _lead_page(
        self, conn: AsyncConnection, lead_id: str | None, since: date | None, after: str
    ) -> list[str]:
        if lead_id is not None:
            return [lead_id]
        consents = schema.consents.c
        from_ledger = sa.select(_ledger.lead_id.label("id")).where(_ledger.lead_id > after)
        from_consents = sa.select(consents.lead_id.label("id")).where(consents.lead_id > after)
        if since is not None:
            from_ledger = from_ledger.where(_ledger.appended_at >= day_start(since))
            from_consents = from_consents.where(consents.consented_at >= day_start(since))
        both = sa.union(from_ledger, from_consents).subquery()
        query = sa.select(both.c.id).order_by(both.c.id).limit(_PAGE)
        return list((await conn.execute(query)).scalars())

    async def _read(
        self, conn: AsyncConnection, lead_ids: Sequence[str]
    ) -> list[tuple[str, list[Entry], Attested]]:
        consents, sales, leads = schema.consents.c, schema.sales.c, schema.leads.c
        entry_rows = (
            await conn.execute(
                sa.select(schema.consent_ledger).where(_ledger.lead_id.in_(lead_ids))
            )
        ).all()
        consent_rows = (
            await conn.execute(
                sa.select(schema.consents, leads.campaign_id)
                .join(schema.leads, leads.id == consents.lead_id)
                .where(consents.lead_id.in_(lead_ids))
            )
        ).all()
        sold_rows = (
            await conn.execute(
                sa.select(sales.id, sales.lead_id, sales.buyer_id, sales.bid_id).where(
                    sales.lead_id.in_(lead_ids), sales.status == SaleStatus.SOLD.value
                )
            )
        ).all()
        revocations = schema.revocations.c
        revoked_rows = (
            await conn.execute(
                sa.select(
                    revocations.sale_id,
                    revocations.lead_id,
                    revocations.buyer_id,
                    revocations.bid_id,
                    revocations.state,
                ).where(revocations.lead_id.in_(lead_ids))
            )
        ).all()
        revoked: dict[str, dict[int, tuple[str, str, bool]]] = {lead: {} for lead in lead_ids}
        for outboxed in revoked_rows:
            delivered = outboxed.state == DeliveryState.DELIVERED.value
            sale = int(outboxed.sale_id)
            revoked[outboxed.lead_id][sale] = (outboxed.buyer_id, outboxed.bid_id, delivered)
        entries: dict[str, list[Entry]] = {lead: [] for lead in lead_ids}
        nonces: dict[str, str] = {}
        for row in entry_rows:
            entries[row.lead_id].append(_entry(row))
            if row.nonce is not None and row.commitment is not None:
                nonces[row.lead_id] = row.nonce
        sold: dict[str, dict[int, tuple[str, str]]] = {lead: {} for lead in lead_ids}
        for row in sold_rows:
            sold[row.lead_id][int(row.id)] = (row.buyer_id, row.bid_id)
        consent_of: dict[str, tuple[ConsentRecord | None, dict[str, object] | None]] = {}
        for row in consent_rows:
            evidence = await self._personal.open(row.evidence)
            record = ConsentRecord(
                lead_id=row.lead_id,
                ping_id=row.ping_id,
                consented_at=epoch(row.consented_at),
                bids_shown=row.bids_shown,
                bids_picked=row.bids_picked,
                evidence={k: v for k, v in evidence.items() if isinstance(v, str)},
                pick=row.pick,
            )
            opened = row.purged_at is None and not any(map(token_parts, evidence.values()))
            consent_of[row.lead_id] = (record, evidence if opened else None)
        found = []
        for lead in lead_ids:
            consent, clear = consent_of.get(lead) or (None, None)
            nonce = nonces.get(lead)
            opening = None if clear is None or nonce is None else (clear, nonce)
            attested = Attested(consent, sold[lead], opening, revoked[lead])
            found.append((lead, entries[lead], attested))
        return found

    # --- the evidence bundle ---------------------------------------------------------------

    async def bundle(self, lead_id: str) -> dict[str, object] | None:
        """A lead's consent record, its ledger entries and the proof: the chain, and for each
        day its entries were appended on, the day's root and each entry's inclusion path."""
        async with self._engine.connect() as conn:
            [(_, entries, records)] = await self._read(conn, [lead_id])
            if not entries and records.consent is None:
                return None
            nonce_rows = await conn.execute(
                sa.select(_ledger.seq, _ledger.nonce).where(_ledger.lead_id == lead_id)
            )
            nonces = {row.seq: row.nonce for row in nonce_rows}
            days = []
            for day in sorted({e.day for e in entries}):
                stored = (
                    await conn.execute(
                        sa.select(schema.consent_roots).where(schema.consent_roots.c.day == day)
                    )
                ).first()
                days.append(await self._day_proof(conn, day, stored, entries))
        report = await self.verify(lead_id=lead_id)
        consent = records.consent
        return {
            "lead_id": lead_id,
            "consent": None
            if consent is None
            else {
                "ping_id": consent.ping_id,
                "consented_at": stamp(now_ms(datetime.fromtimestamp(consent.consented_at, UTC))),
                "bids_shown": consent.bids_shown,
                "bids_picked": consent.bids_picked,
                "evidence": consent.evidence,
                "pick": consent.pick,
            },
            "entries": [
                {
                    "seq": e.seq,
                    "kind": e.kind,
                    "at": stamp(e.at),
                    "facts": e.facts,
                    "commitment": e.commitment,
                    "nonce": nonces.get(e.seq),
                    "prev_hash": e.prev_hash,
                    "entry_hash": e.entry_hash,
                }
                for e in sorted(entries, key=lambda e: e.seq)
            ],
            "proof": {"format": 1, "genesis": GENESIS, "days": days},
            "verified": not report.problems,
            "problems": [str(p) for p in report.problems],
        }

    async def _day_proof(
        self, conn: AsyncConnection, day: date, stored: Any, entries: Sequence[Entry]
    ) -> dict[str, object]:
        if stored is None:
            return {"day": day.isoformat(), "sealed": False}
        root = _root(stored)
        hashes = await self._day_hashes(conn, day)
        inclusions = []
        for entry in entries:
            if entry.day != day or entry.entry_hash not in hashes:
                continue
            index, path = inclusion_path(hashes, entry.entry_hash)
            proven = included(entry.entry_hash, index, len(hashes), path, root.merkle_root)
            inclusions.append(
                {"entry_hash": entry.entry_hash, "index": index, "path": path, "proven": proven}
            )
        return {"sealed": True, **root.as_json(), "inclusions": inclusions}
