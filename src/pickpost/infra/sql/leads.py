"""The lead ledger: leads, consent, sales and the buyer calls of POSTs."""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.lead import (
    ConsentRecord,
    InterruptedLead,
    LeadStatus,
    NewLead,
    SaleAttempt,
    SaleBlocked,
    SaleFinish,
    SaleRecord,
    SaleStatus,
    StoredOutcome,
)
from pickpost.domain.outcomes import BuyerCall
from pickpost.domain.pick import RecordedPick
from pickpost.domain.ping import PingRecord
from pickpost.infra.personal_data import PersonalData
from pickpost.infra.sql import one_trip, schema
from pickpost.infra.sql.consent_ledger import (
    append_claim,
    append_delivered,
    claim_entries,
    delivered_entry,
    head_columns,
)
from pickpost.infra.sql.one_hop import Transactions
from pickpost.infra.sql.picks import recorded_pick
from pickpost.infra.sql.rows import at, call_row, epoch, ping_record

# Statements of the POST path, built once: building one per call (``.values(**row)``) cost
# more CPU than executing it.
_INSERT_LEAD = schema.leads.insert()
_INSERT_CONSENT = schema.consents.insert()
_INSERT_LOOKUPS = schema.lead_lookups.insert()
_START_SALE = schema.sales.insert().returning(schema.sales.c.id)
_FINISH_SALE = (
    schema.sales.update()
    .where(schema.sales.c.id == sa.bindparam("b_sale_id"))
    .values(
        status=sa.bindparam("b_status"),
        reason=sa.bindparam("b_reason"),
        updated_at=sa.bindparam("b_updated_at"),
    )
    .returning(
        schema.sales.c.lead_id,
        schema.sales.c.buyer_id,
        schema.sales.c.bid_id,
        # The lead's consent chain head, for the consent_delivered entry of a sale sold.
        *head_columns("sales.lead_id"),
    )
)

# What this process knows of the leads it sells, to write a sale in one statement on
# PostgreSQL: a lead's consent chain head, and a started sale's lead, buyer and bid. Forgotten
# when the lead is finished; bounded, in case a sale never finishes (a failure midway): a
# forgotten fact only sends the write the generic way.
_KNOWN = 10_000

_FIND_OUTCOME = sa.select(
    schema.leads.c.id,
    schema.leads.c.campaign_id,
    schema.leads.c.supplier_id,
    schema.leads.c.status,
    schema.leads.c.outcome,
    schema.leads.c.updated_at,
).where(schema.leads.c.ping_id == sa.bindparam("b_ping_id"))
# The replay check and the pick lookup of a One-to-One POST in one read: one row whatever
# exists (each side outer-joined to a row of its own, NULLs where nothing is recorded).
_ONE_ROW = sa.select(sa.literal_column("1").label("one")).subquery("one")
_FIND_OUTCOME_AND_PICK = sa.select(
    *_FIND_OUTCOME.selected_columns,
    *(column.label(f"pick_{column.name}") for column in schema.picks.c),
).select_from(
    _ONE_ROW.outerjoin(schema.leads, schema.leads.c.ping_id == sa.bindparam("b_ping_id")).outerjoin(
        schema.picks, schema.picks.c.ping_id == sa.bindparam("b_ping_id")
    )
)
_PICK_PREFIX = "pick_"
_FINISH_LEAD = (
    schema.leads.update()
    .where(
        schema.leads.c.id == sa.bindparam("b_lead_id"),
        schema.leads.c.status == LeadStatus.SELLING.value,
    )
    .values(
        status=sa.bindparam("b_status"),
        payout_cents=sa.bindparam("b_payout_cents"),
        outcome=sa.bindparam("b_outcome", type_=schema.Json),
        updated_at=sa.bindparam("b_updated_at"),
    )
)
_SETTLE_LEAD = _FINISH_LEAD.where(schema.leads.c.updated_at < sa.bindparam("b_stale_before"))
# A live sale's heartbeat: every sale it starts or finishes moves its lead's ``updated_at``.
_PROGRESS = (
    schema.leads.update()
    .where(
        schema.leads.c.id == sa.bindparam("b_lead_id"),
        schema.leads.c.status == LeadStatus.SELLING.value,
    )
    .values(updated_at=sa.bindparam("b_updated_at"))
)
_CUT_OFF_SALES = (
    schema.sales.update()
    .where(
        schema.sales.c.lead_id == sa.bindparam("b_lead_id"),
        schema.sales.c.status == SaleStatus.PENDING.value,
    )
    .values(
        status=SaleStatus.UNKNOWN.value,
        reason="the sale was cut off; ask the buyer",
        updated_at=sa.bindparam("b_updated_at"),
    )
)


def lead_row(lead: NewLead, personal: PersonalData) -> dict[str, object]:
    """A lead's row as its POST claims it: selling, nothing paid yet, personal fields sealed."""
    created = at(lead.created_at)
    return {
        "id": lead.lead_id,
        "campaign_id": lead.campaign_id,
        "supplier_id": lead.supplier_id,
        "ping_id": lead.ping_id,
        "request_id": lead.request_id,
        "created_at": created,
        "updated_at": created,
        "test": lead.test,
        "status": LeadStatus.SELLING.value,
        "payout_cents": 0,
        "fields": personal.seal(lead.campaign_id, lead.fields),
    }


def consent_row(consent: ConsentRecord, lead: NewLead, personal: PersonalData) -> dict[str, object]:
    """A lead's consent record, its evidence sealed as the lead's personal fields are."""
    return {
        "lead_id": consent.lead_id,
        "ping_id": consent.ping_id,
        "consented_at": at(consent.consented_at),
        "bids_shown": consent.bids_shown,
        "bids_picked": consent.bids_picked,
        "evidence": personal.seal(lead.campaign_id, dict(consent.evidence)),
        "pick": consent.pick,
    }


# The generic path's steps: each one transaction (or one read) on a synchronous connection, so
# that on SQLite it runs whole in one hop to the ledger's thread (``one_hop.py``); elsewhere
# through the async engine's ``run_sync``.


def _first(conn: Connection, statement: sa.Executable, params: dict[str, Any]) -> Any:
    return conn.execute(statement, params).first()


def _claim(
    conn: Connection,
    lead: dict[str, object],
    consent_values: dict[str, object],
    lookups: list[dict[str, str]],
    consent: ConsentRecord,
) -> None:
    conn.execute(_INSERT_LEAD, lead)
    conn.execute(_INSERT_CONSENT, consent_values)
    if lookups:
        conn.execute(_INSERT_LOOKUPS, lookups)
    append_claim(conn, consent)


def _claim_and_start(
    conn: Connection,
    lead: dict[str, object],
    consent_values: dict[str, object],
    lookups: list[dict[str, str]],
    consent: ConsentRecord,
    sale: dict[str, object],
) -> int:
    """The claim, then the lead's first sale (no heartbeat: the claim just wrote the lead)."""
    _claim(conn, lead, consent_values, lookups, consent)
    return int(conn.execute(_START_SALE, {"lead_id": lead["id"], **sale}).scalar_one())


def _start_sale(conn: Connection, lead_id: str, sale: dict[str, object]) -> int | None:
    """The sale's row, pending; None when its lead is no longer selling."""
    # The lead's row first: a settler updating it waits for this transaction, or has already
    # taken the lead out of ``selling`` and no buyer is called.
    moved = conn.execute(_PROGRESS, {"b_lead_id": lead_id, "b_updated_at": datetime.now(UTC)})
    if moved.rowcount == 0:
        return None
    return int(conn.execute(_START_SALE, {"lead_id": lead_id, **sale}).scalar_one())


def _finish_sale(
    conn: Connection, sale_id: int, status: SaleStatus, call: dict[str, Any], progress: bool = True
) -> tuple[str, tuple[int, str] | None]:
    """The sale's status, its buyer call, with ``progress`` its lead's heartbeat (the lead's
    next write in the same transaction moves it anyway) and, sold, its consent delivered: the
    lead's id, and its chain's head after a delivery."""
    params = {"b_sale_id": sale_id, "b_status": status.value, "b_reason": call["reason"]}
    sale = conn.execute(_FINISH_SALE, params | {"b_updated_at": datetime.now(UTC)}).one()
    lead_id = sale.lead_id
    conn.execute(schema.buyer_calls.insert(), [call | {"lead_id": lead_id}])
    if progress:
        conn.execute(_PROGRESS, {"b_lead_id": lead_id, "b_updated_at": datetime.now(UTC)})
    if status is not SaleStatus.SOLD:
        return lead_id, None
    head = None if sale.head_seq is None else (sale.head_seq, sale.head_hash)
    return lead_id, append_delivered(conn, lead_id, head, sale_id, sale.buyer_id, sale.bid_id)


# A sale's answer as one statement takes it: its parameters, its lead, and the lead's consent
# head after it (a sale sold).
_Prepared = tuple[dict[str, Any], str, tuple[int, str] | None]
# A sale's answer as the generic steps take it: its id, status and buyer call row.
_Finish = tuple[int, SaleStatus, dict[str, Any]]


def _finish_then_start(
    conn: Connection, finished: _Finish, lead_id: str, sale: dict[str, object]
) -> int | None:
    """The previous sale's answer, then the next sale's start (which moves the lead)."""
    _finish_sale(conn, *finished, progress=False)
    return _start_sale(conn, lead_id, sale)


def _finish_lead(
    conn: Connection,
    statement: sa.Executable,
    values: dict[str, object],
    now: datetime,
    finished: _Finish | None = None,
) -> bool:
    if finished is not None:
        # Before the outcome: the sale is no longer pending when the rest are cut off. No
        # heartbeat: a settler's outcome is stored only if the lead has not moved.
        _finish_sale(conn, *finished, progress=False)
    if conn.execute(statement, values).rowcount == 0:
        return False
    # A sale still pending here was cut off mid-call: whether the buyer took the lead is
    # unknown, and saying so is what lets an operator reconcile it.
    conn.execute(_CUT_OFF_SALES, {"b_lead_id": values["b_lead_id"], "b_updated_at": now})
    return True


def _insert_calls(conn: Connection, rows: list[dict[str, Any]]) -> None:
    conn.execute(schema.buyer_calls.insert(), rows)


def _sale_row(attempt: SaleAttempt) -> dict[str, object]:
    """A sale's row as it starts: pending."""
    created = at(attempt.created_at)
    return {
        "buyer_id": attempt.buyer_id,
        "bid_id": attempt.bid_id,
        "buyer_price_cents": attempt.buyer_price,
        "payout_cents": attempt.payout,
        "status": SaleStatus.PENDING.value,
        "reason": "",
        "created_at": created,
        "updated_at": created,
    }


class AnswerNotRecorded(Exception):
    """A sale's answer could not be written (the ledger refused it)."""


class SqlLeadStore:
    def __init__(self, engine: AsyncEngine, personal: PersonalData, one_trip: bool = True) -> None:
        """``one_trip``: each step of a sale in one statement where the database allows it
        (PostgreSQL); False keeps the generic transactions (benches compare the two)."""
        self._engine = engine
        self._personal = personal
        # One statement needs no transaction around it: two round trips fewer.
        self._single = engine.execution_options(isolation_level="AUTOCOMMIT")
        # PostgreSQL writes each step of a sale in one statement (``one_trip.py``).
        self._one_trip = one_trip and engine.dialect.name == "postgresql"
        self._heads: dict[str, tuple[int, str]] = {}
        self._sales: dict[int, tuple[str, str, str]] = {}
        self._transactions = Transactions(engine)
        self._hop = self._transactions.hop

    async def find_outcome(self, ping_id: str) -> StoredOutcome | None:
        return _outcome(await self._read(_FIND_OUTCOME, ping_id))

    async def find_outcome_and_pick(
        self, ping_id: str
    ) -> tuple[StoredOutcome | None, RecordedPick | None]:
        row = await self._read(_FIND_OUTCOME_AND_PICK, ping_id)
        found = row._mapping
        if found[_PICK_PREFIX + "ping_id"] is None:
            return _outcome(row), None
        columns = {
            k[len(_PICK_PREFIX) :]: v for k, v in found.items() if k.startswith(_PICK_PREFIX)
        }
        return _outcome(row), await recorded_pick(columns, self._personal)

    async def _read(self, statement: sa.Select[Any], ping_id: str) -> Any:
        """The first row of a read by ping id, or None."""
        params = {"b_ping_id": ping_id}
        if self._hop is not None:
            return await self._hop.read(_first, statement, params)
        async with self._single.connect() as conn:
            return (await conn.execute(statement, params)).first()

    async def find_ping(self, ping_id: str) -> PingRecord | None:
        async with self._single.connect() as conn:
            row = (
                await conn.execute(sa.select(schema.pings).where(schema.pings.c.id == ping_id))
            ).first()
        if row is None:
            return None
        record = ping_record(row)
        return replace(
            record,
            lead=await self._personal.open(record.lead),
            ping_values=await self._personal.open(record.ping_values),
        )

    async def claim(self, lead: NewLead, consent: ConsentRecord) -> bool:
        try:
            await self._claim(lead, consent)
        except IntegrityError:
            return False
        return True

    async def claim_and_start(
        self, lead: NewLead, consent: ConsentRecord, attempt: SaleAttempt
    ) -> int | None:
        try:
            return await self._claim(lead, consent, attempt)
        except IntegrityError:
            return None

    async def _claim(
        self, lead: NewLead, consent: ConsentRecord, attempt: SaleAttempt | None = None
    ) -> int | None:
        """The claim, with ``attempt`` the lead's first sale started in the same transaction
        (one statement on PostgreSQL): that sale's id. ``IntegrityError`` when the ping's lead
        exists, and nothing is written."""
        personal = self._personal
        row, consent_values = lead_row(lead, personal), consent_row(consent, lead, personal)
        # Hashed from the values as given, before they are encrypted.
        lookups = [
            {"lead_id": lead.lead_id, **found}
            for found in personal.lookups(lead.campaign_id, lead.fields)
        ]
        sale = None if attempt is None else _sale_row(attempt)
        if not self._one_trip:
            if sale is None:
                await self._transactions.run(_claim, row, consent_values, lookups, consent)
                return None
            return await self._transactions.run(
                _claim_and_start, row, consent_values, lookups, consent, sale
            )
        entries, head = claim_entries(consent)
        if sale is None:
            statement, params = one_trip.claim(row, consent_values, lookups, entries)
        else:
            statement, params = one_trip.claim_and_start(
                row, consent_values, lookups, entries, sale
            )
        async with self._single.connect() as conn:
            result = await conn.execute(statement, params)
        _remember(self._heads, lead.lead_id, head)
        if attempt is None:
            return None
        sale_id = int(result.scalar_one())
        _remember(self._sales, sale_id, (lead.lead_id, attempt.buyer_id, attempt.bid_id))
        return sale_id

    async def start_sale(
        self, attempt: SaleAttempt, finished: SaleFinish | None = None
    ) -> int | SaleBlocked:
        sale = _sale_row(attempt)
        try:
            if finished is None:
                started = await self._start(attempt, sale)
            else:
                started = await self._finish_then_start(attempt, sale, finished)
        except IntegrityError:
            return SaleBlocked.TAKEN
        return SaleBlocked.SETTLED if started is None else started

    async def _finish_then_start(
        self, attempt: SaleAttempt, sale: dict[str, object], finished: SaleFinish
    ) -> int | None:
        """The previous sale's answer and the sale's start in one transaction (one statement
        on PostgreSQL where it can be); ``IntegrityError`` when the sale is taken, the answer
        written all the same."""
        prepared = self._prepare(finished) if self._one_trip else None
        if self._one_trip and prepared is None:
            await self._answer_first(finished)
            return await self._start(attempt, sale)
        try:
            if prepared is None:
                generic = self._generic(finished)
                return await self._transactions.run(
                    _finish_then_start, generic, attempt.lead_id, sale
                )
            return await self._start(attempt, sale, prepared, finished.status)
        except IntegrityError:
            # Whichever write broke undid both: the answer alone (which finds the lead's
            # consent head itself when another entry took its place), then the start alone.
            await self._answer_first(finished)
            return await self._start(attempt, sale)

    async def _answer_first(self, finished: SaleFinish) -> None:
        """A sale's answer alone before the next start: its failure is no ``IntegrityError``,
        which ``start_sale`` reads as the next sale taken."""
        try:
            await self._finish_alone(finished)
        except IntegrityError as error:
            raise AnswerNotRecorded(finished.sale_id) from error

    async def _start(
        self,
        attempt: SaleAttempt,
        sale: dict[str, object],
        prepared: "_Prepared | None" = None,
        finished: SaleStatus | None = None,
    ) -> int | None:
        """The sale's id, None when its lead is no longer selling; ``IntegrityError`` when it
        is taken. With ``prepared`` (PostgreSQL), the previous sale's answer, whose status is
        ``finished``, in the same statement."""
        if not self._one_trip:
            return await self._transactions.run(_start_sale, attempt.lead_id, sale)
        params = one_trip.start_sale_params(attempt.lead_id, datetime.now(UTC), sale)
        statement: sa.Executable = one_trip.START_SALE
        if prepared is not None:
            statement = one_trip.finish_then_start(finished is SaleStatus.SOLD)
            params |= prepared[0]
        async with self._single.connect() as conn:
            row = (await conn.execute(statement, params)).first()
        if prepared is not None and prepared[2] is not None:
            _remember(self._heads, prepared[1], prepared[2])
        if row is None:
            return None
        _remember(self._sales, int(row[0]), (attempt.lead_id, attempt.buyer_id, attempt.bid_id))
        return int(row[0])

    async def finish_sale(self, sale_id: int, status: SaleStatus, call: BuyerCall) -> None:
        """A sale's answer in a write of its own (the seller sends it with the lead's next
        write: ``start_sale``, ``finish_lead``)."""
        await self._finish_alone(SaleFinish(sale_id, status, call))

    async def _finish_alone(self, finished: SaleFinish) -> None:
        prepared = self._prepare(finished) if self._one_trip else None
        if prepared is not None:
            params, lead_id, after = prepared
            sold = finished.status is SaleStatus.SOLD
            try:
                async with self._single.connect() as conn:
                    (await conn.execute(one_trip.finish_sale(sold), params)).one()
            except IntegrityError:
                # Another entry (a revocation) took the delivered entry's place: nothing was
                # written; the generic way below reads the chain's head.
                if not sold:
                    raise
            else:
                if after is not None:
                    _remember(self._heads, lead_id, after)
                return
        lead_id, after = await self._transactions.run(_finish_sale, *self._generic(finished))
        if after is not None and self._one_trip:
            _remember(self._heads, lead_id, after)

    def _generic(self, finished: SaleFinish) -> _Finish:
        row = call_row(finished.call, None, None, self._personal.seal_call)
        return finished.sale_id, finished.status, row

    def _prepare(self, finished: SaleFinish) -> "_Prepared | None":
        """The parameters of a sale's answer in one statement, its lead, and its lead's
        consent head after it; None when it must go the generic way: the sale's lead, buyer
        and bid, or (sold) its lead's chain head, are not known here."""
        known = self._sales.pop(finished.sale_id, None)
        if known is None:
            return None
        lead_id, buyer_id, bid_id = known
        call = call_row(finished.call, None, lead_id, self._personal.seal_call)
        params = one_trip.finish_sale_params(
            finished.sale_id, finished.status, finished.call.reason, datetime.now(UTC), call
        )
        if finished.status is not SaleStatus.SOLD:
            return params, lead_id, None
        head = self._heads.get(lead_id)
        if head is None:
            return None
        entry, after = delivered_entry(lead_id, head, finished.sale_id, buyer_id, bid_id)
        return params | one_trip.entry_params(entry), lead_id, after

    async def finish_lead(
        self,
        outcome: StoredOutcome,
        payout: int,
        stale_before: float | None = None,
        finished: SaleFinish | None = None,
    ) -> bool:
        stored = {"code": outcome.code, "message": outcome.message, "body": outcome.body}
        now = datetime.now(UTC)
        values: dict[str, object] = {
            "b_lead_id": outcome.lead_id,
            "b_status": outcome.status.value,
            "b_payout_cents": payout,
            "b_outcome": stored,
            "b_updated_at": now,
        }
        if stale_before is not None:
            values["b_stale_before"] = at(stale_before)
        settling = stale_before is not None
        if not self._one_trip:
            statement = _SETTLE_LEAD if settling else _FINISH_LEAD
            held = None if finished is None else self._generic(finished)
            return await self._transactions.run(_finish_lead, statement, values, now, held)
        prepared = None if finished is None else self._prepare(finished)
        if finished is not None and prepared is None:
            await self._finish_alone(finished)
        self._heads.pop(outcome.lead_id, None)
        sold = None
        if finished is not None and prepared is not None:
            values |= prepared[0]
            sold = finished.status is SaleStatus.SOLD
        try:
            async with self._single.connect() as conn:
                done = await conn.execute(one_trip.finish_lead(settling, sold), values)
                return done.first() is not None
        except IntegrityError:
            # Only a delivered entry breaks (its place taken by a revocation), undoing both.
            # The answer alone, the generic way (the lead's head is forgotten), then the rest.
            if finished is None or prepared is None:
                raise
            await self._finish_alone(finished)
            return await self.finish_lead(outcome, payout, stale_before)

    async def interrupted(
        self, before: float, limit: int = 100, lead_id: str | None = None
    ) -> list[InterruptedLead]:
        leads, consents, sales = schema.leads.c, schema.consents.c, schema.sales.c
        query = (
            sa.select(
                leads.id,
                leads.campaign_id,
                leads.supplier_id,
                consents.bids_shown,
                consents.bids_picked,
            )
            .join(schema.consents, consents.lead_id == leads.id)
            .where(leads.status == LeadStatus.SELLING.value, leads.updated_at < at(before))
            .order_by(leads.updated_at)
            .limit(limit)
        )
        if lead_id is not None:
            query = query.where(leads.id == lead_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            sale_rows = (
                await conn.execute(
                    sa.select(
                        sales.lead_id,
                        sales.buyer_id,
                        sales.status,
                        sales.reason,
                        sales.payout_cents,
                    ).where(sales.lead_id.in_([row.id for row in rows]))
                )
            ).all()
        by_lead: dict[str, dict[str, SaleRecord]] = {row.id: {} for row in rows}
        for sale in sale_rows:
            by_lead[sale.lead_id][sale.buyer_id] = SaleRecord(
                SaleStatus(sale.status), sale.reason, sale.payout_cents
            )
        return [
            InterruptedLead(
                lead_id=row.id,
                campaign_id=row.campaign_id,
                supplier_id=row.supplier_id,
                bids_shown=row.bids_shown,
                bids_picked=row.bids_picked,
                sales=by_lead[row.id],
            )
            for row in rows
        ]

    async def record_calls(self, lead_id: str, calls: list[BuyerCall]) -> None:
        if not calls:
            return
        seal = self._personal.seal_call
        await self._transactions.run(
            _insert_calls, [call_row(c, None, lead_id, seal) for c in calls]
        )


def _outcome(row: Any) -> StoredOutcome | None:
    """A POST's stored outcome from the columns of ``_FIND_OUTCOME``; None without a lead."""
    if row is None or row.id is None:
        return None
    outcome = row.outcome or {}
    return StoredOutcome(
        lead_id=row.id,
        campaign_id=row.campaign_id,
        supplier_id=row.supplier_id,
        status=LeadStatus(row.status),
        code=int(outcome.get("code", 0)),
        message=str(outcome.get("message", "")),
        body=dict(outcome.get("body", {})),
        since=epoch(row.updated_at),
    )


def _remember(known: dict[Any, Any], key: object, value: object) -> None:
    known[key] = value
    if len(known) > _KNOWN:
        del known[next(iter(known))]
