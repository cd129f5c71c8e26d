"""Purging personal data past its retention (``pickpost purge``, and on a schedule in serve).

A purge blanks values, it never deletes records: a lead keeps its status, payout, sales and
consent structure (bids shown and picked, times), so totals and payouts read the same after.
What goes, per kind of record (docs/security.md):

- raw supplier requests: the request and response bodies (``{}``); with them (the same
  retention) the headers and bodies of buyer calls (null);
- lead fields, and the ping records the leads came from: personal values become ``[purged]``,
  and the lead's lookup hashes are deleted (a hash of a phone number is personal data too);
- consent evidence: personal values become ``[purged]`` (those of recorded picks too), and the
  consent ledger's nonces that open commitments to them are cleared; its own, usually longer,
  retention.

Work goes in batches of ``batch_size`` rows, one short transaction each, so a big table is
never locked for long (on an SQLite file each runs whole in one hop to the writer thread,
``one_hop.py``). Each purged row gets ``purged_at``, which is what makes a second run a
no-op (and what the next run's scan skips, through the ``ix_*_purge`` indexes).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.infra.personal_data import PersonalData
from pickpost.infra.sql import schema
from pickpost.infra.sql.one_hop import Transactions
from pickpost.infra.sql.rows import at

_DAY_S = 86_400


@dataclass(frozen=True, slots=True)
class Retention:
    """Days each kind of record keeps its personal values; None keeps them forever."""

    requests_days: float | None = None
    lead_fields_days: float | None = None
    consent_days: float | None = None

    @property
    def purges(self) -> bool:
        return any(
            d is not None for d in (self.requests_days, self.lead_fields_days, self.consent_days)
        )


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """Rows purged by one run, per kind."""

    requests: int = 0
    pings: int = 0
    leads: int = 0
    lookups: int = 0
    consents: int = 0
    buyer_calls: int = 0

    def __str__(self) -> str:
        return (
            f"requests: {self.requests}, buyer calls: {self.buyer_calls}, pings: {self.pings}, "
            f"leads: {self.leads}, lookup hashes: {self.lookups}, consents: {self.consents}"
        )


# One batch in one transaction: (rows purged, lookup hashes deleted with them).
Batch = Callable[[Connection, datetime, datetime], tuple[int, int]]


class SqlPurger:
    def __init__(self, engine: AsyncEngine, personal: PersonalData, batch_size: int = 500) -> None:
        self._transactions = Transactions(engine)
        self._personal = personal
        self._batch_size = batch_size

    async def purge(self, retention: Retention, now: float) -> PurgeReport:
        """Purge what ``retention`` no longer keeps at ``now`` (epoch seconds)."""
        requests = calls = pings = leads = lookups = consents = 0
        if retention.requests_days is not None:
            requests, _ = await self._run(self._requests, retention.requests_days, now)
            calls, _ = await self._run(self._buyer_calls, retention.requests_days, now)
        if retention.lead_fields_days is not None:
            pings, _ = await self._run(self._pings, retention.lead_fields_days, now)
            leads, lookups = await self._run(self._leads, retention.lead_fields_days, now)
        if retention.consent_days is not None:
            consents, _ = await self._run(self._consents, retention.consent_days, now)
            # Recorded picks are consent evidence too, counted with the consent records.
            picks, _ = await self._run(self._picks, retention.consent_days, now)
            consents += picks
        return PurgeReport(requests, pings, leads, lookups, consents, calls)

    async def _run(self, batch: Batch, days: float, now: float) -> tuple[int, int]:
        cutoff, stamp = at(now - days * _DAY_S), at(now)
        rows = hashes = 0
        while True:
            purged, deleted = await self._transactions.run(batch, cutoff, stamp)
            rows, hashes = rows + purged, hashes + deleted
            if purged < self._batch_size:
                return rows, hashes

    def _due(
        self, conn: Connection, table: sa.Table, since: str, cutoff: datetime, *cols: Any
    ) -> list[sa.Row[Any]]:
        """The next batch of rows not purged yet and older than ``cutoff``."""
        query = (
            sa.select(*cols)
            .where(table.c.purged_at.is_(None), table.c[since] < cutoff)
            .order_by(table.c[since])
            .limit(self._batch_size)
        )
        return list((conn.execute(query)).all())

    def _requests(self, conn: Connection, cutoff: datetime, now: datetime) -> tuple[int, int]:
        c = schema.requests.c
        ids = [r.id for r in self._due(conn, schema.requests, "received_at", cutoff, c.id)]
        if not ids:
            return 0, 0
        conn.execute(
            schema.requests.update()
            .where(c.id.in_(ids), c.purged_at.is_(None))
            .values(request={}, response={}, purged_at=now)
        )
        return len(ids), 0

    def _buyer_calls(self, conn: Connection, cutoff: datetime, now: datetime) -> tuple[int, int]:
        c = schema.buyer_calls.c
        ids = [r.id for r in self._due(conn, schema.buyer_calls, "started_at", cutoff, c.id)]
        if not ids:
            return 0, 0
        conn.execute(
            schema.buyer_calls.update()
            .where(c.id.in_(ids), c.purged_at.is_(None))
            .values(
                request_headers=None,
                request_body=None,
                response_headers=None,
                response_body=None,
                purged_at=now,
            )
        )
        return len(ids), 0

    def _pings(self, conn: Connection, cutoff: datetime, now: datetime) -> tuple[int, int]:
        c = schema.pings.c
        rows = self._due(
            conn, schema.pings, "created_at", cutoff, c.id, c.campaign_id, c.lead, c.ping_values
        )
        blank = self._personal.blank
        updates = [
            {
                "b_id": r.id,
                "b_lead": blank(r.campaign_id, r.lead),
                "b_ping_values": blank(r.campaign_id, r.ping_values),
                "b_now": now,
            }
            for r in rows
        ]
        if updates:
            conn.execute(
                schema.pings.update()
                .where(c.id == sa.bindparam("b_id"), c.purged_at.is_(None))
                .values(
                    lead=sa.bindparam("b_lead", type_=schema.Json),
                    ping_values=sa.bindparam("b_ping_values", type_=schema.Json),
                    purged_at=sa.bindparam("b_now"),
                ),
                updates,
            )
        return len(rows), 0

    def _leads(self, conn: Connection, cutoff: datetime, now: datetime) -> tuple[int, int]:
        c = schema.leads.c
        rows = self._due(conn, schema.leads, "created_at", cutoff, c.id, c.campaign_id, c.fields)
        if not rows:
            return 0, 0
        conn.execute(
            schema.leads.update()
            .where(c.id == sa.bindparam("b_id"), c.purged_at.is_(None))
            .values(
                fields=sa.bindparam("b_fields", type_=schema.Json), purged_at=sa.bindparam("b_now")
            ),
            [
                {
                    "b_id": r.id,
                    "b_fields": self._personal.blank(r.campaign_id, r.fields),
                    "b_now": now,
                }
                for r in rows
            ],
        )
        deleted = conn.execute(
            schema.lead_lookups.delete().where(
                schema.lead_lookups.c.lead_id.in_([r.id for r in rows])
            )
        )
        return len(rows), deleted.rowcount

    def _picks(self, conn: Connection, cutoff: datetime, now: datetime) -> tuple[int, int]:
        c = schema.picks.c
        rows = self._due(
            conn, schema.picks, "recorded_at", cutoff, c.ping_id, c.campaign_id, c.personal
        )
        if not rows:
            return 0, 0
        conn.execute(
            schema.picks.update()
            .where(c.ping_id == sa.bindparam("b_id"), c.purged_at.is_(None))
            .values(
                personal=sa.bindparam("b_personal", type_=schema.Json),
                purged_at=sa.bindparam("b_now"),
            ),
            [
                {
                    "b_id": r.ping_id,
                    "b_personal": self._personal.blank(r.campaign_id, r.personal),
                    "b_now": now,
                }
                for r in rows
            ],
        )
        return len(rows), 0

    def _consents(self, conn: Connection, cutoff: datetime, now: datetime) -> tuple[int, int]:
        c, leads = schema.consents.c, schema.leads.c
        query = (
            sa.select(c.lead_id, leads.campaign_id, c.evidence)
            .join(schema.leads, leads.id == c.lead_id)
            .where(c.purged_at.is_(None), c.consented_at < cutoff)
            .order_by(c.consented_at)
            .limit(self._batch_size)
        )
        rows = (conn.execute(query)).all()
        if not rows:
            return 0, 0
        conn.execute(
            schema.consents.update()
            .where(c.lead_id == sa.bindparam("b_id"), c.purged_at.is_(None))
            .values(
                evidence=sa.bindparam("b_evidence", type_=schema.Json),
                purged_at=sa.bindparam("b_now"),
            ),
            [
                {
                    "b_id": r.lead_id,
                    "b_evidence": self._personal.blank(r.campaign_id, r.evidence),
                    "b_now": now,
                }
                for r in rows
            ],
        )
        # The nonce opens the consent ledger's commitment to this evidence: it goes with it
        # (docs/consent.md), the ledger's hashes stay and still verify.
        ledger = schema.consent_ledger.c
        conn.execute(
            schema.consent_ledger.update()
            .where(ledger.lead_id.in_([r.lead_id for r in rows]), ledger.nonce.is_not(None))
            .values(nonce=None)
        )
        return len(rows), 0
