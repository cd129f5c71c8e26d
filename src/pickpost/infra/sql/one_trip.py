"""The lead ledger's writes on PostgreSQL, each in one statement: one round trip where the
generic path (``leads.py``) sends a BEGIN, several statements and a COMMIT.

Each statement chains its writes with data-modifying ``WITH`` clauses, so it is atomic on its
own and runs outside a transaction. The order of the writes is the generic path's: a clause
the statement reads from runs first (the sale's update before its buyer call and its lead's
heartbeat), and a constraint a clause breaks undoes the whole statement.
"""

from collections.abc import Iterable
from functools import cache
from typing import Any

import sqlalchemy as sa

from pickpost.domain.lead import LeadStatus, SaleStatus
from pickpost.infra.sql import schema

_LEAD_COLUMNS = (
    "id",
    "campaign_id",
    "supplier_id",
    "ping_id",
    "request_id",
    "created_at",
    "updated_at",
    "test",
    "status",
    "payout_cents",
    "fields",
)
_CONSENT_COLUMNS = (
    "lead_id",
    "ping_id",
    "consented_at",
    "bids_shown",
    "bids_picked",
    "evidence",
    "pick",
)
_LOOKUP_COLUMNS = ("lead_id", "field_name", "hash")
_ENTRY_COLUMNS = (
    "lead_id",
    "seq",
    "kind",
    "appended_at",
    "facts",
    "commitment",
    "nonce",
    "prev_hash",
    "entry_hash",
)
_CALL_COLUMNS = tuple(
    c.name for c in schema.buyer_calls.columns if c.name not in ("id", "lead_id", "purged_at")
)

_SALE_COLUMNS = (
    "buyer_id",
    "bid_id",
    "buyer_price_cents",
    "payout_cents",
    "status",
    "reason",
    "created_at",
    "updated_at",
)


def _binds(table: sa.Table, prefix: str, names: Iterable[str]) -> dict[str, Any]:
    return {name: sa.bindparam(prefix + name, type_=table.c[name].type) for name in names}


def _params(prefix: str, row: dict[str, Any]) -> dict[str, Any]:
    return {prefix + name: value for name, value in row.items()}


# One single-row insert per row: a statement with a multi-row VALUES has no cache key, and
# SQLAlchemy would compile it again for every lead.


def _claim_ctes(lookups: int) -> list[Any]:
    """The lead, its consent and its lookup hashes as ``WITH`` clauses."""
    ctes = [
        schema.leads.insert().values(_binds(schema.leads, "l_", _LEAD_COLUMNS)).cte("lead"),
        schema.consents.insert()
        .values(_binds(schema.consents, "c_", _CONSENT_COLUMNS))
        .cte("consent"),
    ]
    for i in range(lookups):
        row = _binds(schema.lead_lookups, f"k{i}_", _LOOKUP_COLUMNS)
        ctes.append(schema.lead_lookups.insert().values(row).cte(f"lookup{i}"))
    return ctes


def _entries(entries: int) -> list[sa.Insert]:
    """The claimed lead's first consent ledger entries, one insert each."""
    return [
        schema.consent_ledger.insert().values(
            _binds(schema.consent_ledger, f"e{i}_", _ENTRY_COLUMNS)
        )
        for i in range(entries)
    ]


@cache
def _claim(lookups: int, entries: int) -> sa.Insert:
    """The lead, its consent, its lookup hashes and its first ledger entries: one statement
    per number of lookups and entries, built once (the last entry's insert, the rest its
    ``WITH`` clauses)."""
    *first, last = _entries(entries)
    ctes = [entry.cte(f"entry{i}") for i, entry in enumerate(first)]
    return last.add_cte(*_claim_ctes(lookups), *ctes)


@cache
def _claim_and_start(lookups: int, entries: int) -> sa.Insert:
    """The claim and the lead's first sale, pending, returning the sale's id. No heartbeat:
    the lead's row is the one this statement inserts (its ``updated_at`` is its claim's)."""
    sales = schema.sales
    values = _binds(sales, "s_", _SALE_COLUMNS)
    values["lead_id"] = sa.bindparam("l_id", type_=sales.c.lead_id.type)
    ctes = [entry.cte(f"entry{i}") for i, entry in enumerate(_entries(entries))]
    return sales.insert().values(values).returning(sales.c.id).add_cte(*_claim_ctes(lookups), *ctes)


def _claim_params(
    lead: dict[str, Any],
    consent: dict[str, Any],
    lookups: list[dict[str, Any]],
    entries: list[dict[str, Any]],
) -> dict[str, Any]:
    params = _params("l_", lead) | _params("c_", consent)
    for i, row in enumerate(lookups):
        params |= _params(f"k{i}_", row)
    for i, row in enumerate(entries):
        params |= _params(f"e{i}_", row)
    return params


def claim(
    lead: dict[str, Any],
    consent: dict[str, Any],
    lookups: list[dict[str, Any]],
    entries: list[dict[str, Any]],
) -> tuple[sa.Insert, dict[str, Any]]:
    """The claim's statement and its parameters: ``IntegrityError`` when the ping's lead
    exists."""
    params = _claim_params(lead, consent, lookups, entries)
    return _claim(len(lookups), len(entries)), params


def claim_and_start(
    lead: dict[str, Any],
    consent: dict[str, Any],
    lookups: list[dict[str, Any]],
    entries: list[dict[str, Any]],
    sale: dict[str, Any],
) -> tuple[sa.Insert, dict[str, Any]]:
    """The claim with the lead's first sale's start, and its parameters: one row, the sale's
    id; ``IntegrityError`` when the ping's lead exists (nothing is written)."""
    params = _claim_params(lead, consent, lookups, entries) | _params("s_", sale)
    return _claim_and_start(len(lookups), len(entries)), params


def _moved() -> Any:
    """The selling lead's heartbeat, returning its id: no row when it is no longer selling."""
    leads = schema.leads
    return (
        leads.update()
        .where(leads.c.id == sa.bindparam("b_lead_id"), leads.c.status == LeadStatus.SELLING.value)
        .values(updated_at=sa.bindparam("b_moved_at", type_=leads.c.updated_at.type))
        .returning(leads.c.id)
        .cte("moved")
    )


def _start_sale() -> sa.Insert:
    moved = _moved()
    sales = schema.sales
    values = _binds(sales, "s_", _SALE_COLUMNS)
    return (
        sales.insert()
        .from_select(["lead_id", *_SALE_COLUMNS], sa.select(moved.c.id, *values.values()))
        .returning(sales.c.id)
    )


# The lead's heartbeat, then its sale row: no row returned when the lead is no longer selling,
# ``IntegrityError`` when the buyer's sale of the lead exists.
START_SALE = _start_sale()


def start_sale_params(lead_id: str, moved_at: object, sale: dict[str, Any]) -> dict[str, Any]:
    return {"b_lead_id": lead_id, "b_moved_at": moved_at} | _params("s_", sale)


def _finish_ctes(sold: bool, progress: bool) -> list[Any]:
    """The clauses that record a sale's answer: its status (first: the others read its lead
    from it), its buyer call, with ``progress`` its lead's heartbeat and, for a sale sold, the
    consent delivered (its entry computed after the lead's head as this process knows it:
    ``IntegrityError`` when another entry took that place, and nothing is written)."""
    sales, leads = schema.sales, schema.leads
    sale = (
        sales.update()
        .where(sales.c.id == sa.bindparam("f_sale_id"))
        .values(
            status=sa.bindparam("f_status"),
            reason=sa.bindparam("f_reason"),
            updated_at=sa.bindparam("f_updated_at", type_=sales.c.updated_at.type),
        )
        .returning(sales.c.lead_id)
        .cte("sale")
    )
    calls = _binds(schema.buyer_calls, "c_", _CALL_COLUMNS)
    ctes = [
        sale,
        schema.buyer_calls.insert()
        .from_select(["lead_id", *_CALL_COLUMNS], sa.select(sale.c.lead_id, *calls.values()))
        .cte("call"),
    ]
    if progress:
        ctes.append(
            leads.update()
            .where(
                leads.c.id == sa.select(sale.c.lead_id).scalar_subquery(),
                leads.c.status == LeadStatus.SELLING.value,
            )
            .values(updated_at=sa.bindparam("f_updated_at"))
            .cte("progress")
        )
    if sold:
        names = [n for n in _ENTRY_COLUMNS if n != "lead_id"]
        entry = _binds(schema.consent_ledger, "e_", names)
        ctes.append(
            schema.consent_ledger.insert()
            .from_select(["lead_id", *names], sa.select(sale.c.lead_id, *entry.values()))
            .cte("delivered")
        )
    return ctes


@cache
def finish_sale(sold: bool) -> sa.Select[Any]:
    """A sale's answer recorded (``_finish_ctes``), its lead's heartbeat with it."""
    sale, *rest = _finish_ctes(sold, progress=True)
    return sa.select(sale.c.lead_id).add_cte(*rest)


@cache
def finish_then_start(sold: bool) -> sa.Insert:
    """A sale's answer recorded and the lead's next sale started: ``START_SALE`` with the
    clauses of ``finish_sale`` but its heartbeat (the start moves the lead; PostgreSQL does not
    let one statement update a row twice). The answer is written even when the start finds
    the lead no longer selling; ``IntegrityError`` (the buyer's sale exists, or the delivered
    entry's place is taken) undoes both."""
    return _start_sale().add_cte(*_finish_ctes(sold, progress=False))


def finish_sale_params(
    sale_id: int, status: SaleStatus, reason: str, at: object, call: dict[str, Any]
) -> dict[str, Any]:
    params: dict[str, Any] = {"f_sale_id": sale_id, "f_status": status.value}
    params |= {"f_reason": reason, "f_updated_at": at}
    params |= _params("c_", {name: call[name] for name in _CALL_COLUMNS})
    return params


def entry_params(entry: dict[str, Any]) -> dict[str, Any]:
    return _params("e_", {name: v for name, v in entry.items() if name != "lead_id"})


@cache
def finish_lead(settling: bool, finished: bool | None = None) -> sa.Select[Any]:
    """The lead's outcome, if it is still selling (and, ``settling``, unchanged since the cut
    off), and its sales still pending marked unknown: cut off mid-call. One row when the
    outcome was stored. ``finished`` (whether that sale sold): the lead's last sale's answer
    recorded with it (``_finish_ctes``, the lead's update its heartbeat), whatever becomes of
    the outcome, and that sale is not cut off (one statement sees the rows as they were
    before it: the sale is still pending there)."""
    leads, sales = schema.leads, schema.sales
    finished_lead = (
        leads.update()
        .where(leads.c.id == sa.bindparam("b_lead_id"), leads.c.status == LeadStatus.SELLING.value)
        .values(
            status=sa.bindparam("b_status"),
            payout_cents=sa.bindparam("b_payout_cents"),
            outcome=sa.bindparam("b_outcome", type_=schema.Json),
            updated_at=sa.bindparam("b_updated_at", type_=leads.c.updated_at.type),
        )
        .returning(leads.c.id)
    )
    if settling:
        finished_lead = finished_lead.where(
            leads.c.updated_at < sa.bindparam("b_stale_before", type_=leads.c.updated_at.type)
        )
    done = finished_lead.cte("finished")
    pending = [
        sales.c.lead_id.in_(sa.select(done.c.id)),
        sales.c.status == SaleStatus.PENDING.value,
    ]
    answer: list[Any] = []
    if finished is not None:
        pending.append(sales.c.id != sa.bindparam("f_sale_id"))
        answer = _finish_ctes(finished, progress=False)
    cut = (
        sales.update()
        .where(*pending)
        .values(
            status=SaleStatus.UNKNOWN.value,
            reason="the sale was cut off; ask the buyer",
            updated_at=sa.bindparam("b_updated_at"),
        )
        .cte("cut_off")
    )
    return sa.select(done.c.id).add_cte(cut, *answer)
