"""The returns use cases over in-memory stores (services/returns.py): scoped principals, the
audit log, and bulk CSV returns' mapping and matching, row by row."""

import csv
import io
from collections.abc import Iterator

import pytest

from pickpost.domain.errors import Code, Refusal
from pickpost.domain.people import BOOTSTRAP_OWNER, Principal, Role
from pickpost.domain.return_csv import BulkReport, CsvMapping, RowOutcome
from pickpost.domain.returns import DAY_S, KeyKind, LeadSales, ReturnRecord, ReturnsQuery
from pickpost.services.returns import MAX_ROWS, ReturnsService
from tests.unit.factories import make_campaign, make_catalog, sold_sale
from tests.unit.fakes import FakeClock, MemoryAuditLog, MemoryReturns, StoredLead

NOW = 1_790_000_000.0
ADMIN = Principal("ada", Role.ADMIN, user_id=1)
SUNCO = Principal("sam", Role.BUYER, scope_id="sunco", user_id=3)
ACME_BUYER = Principal("al", Role.BUYER, scope_id="acme", user_id=5)
SUPPLIER = Principal("sue", Role.SUPPLIER, scope_id="7", user_id=4)


def code_of(result: object) -> Code | None:
    return result.code if isinstance(result, Refusal) else None


class Rows:
    """A CSV file as the service reads it: rows, as many times as asked."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.reads = 0

    def rows(self) -> Iterator[list[str]]:
        self.reads += 1
        return csv.reader(io.StringIO(self.text))


class Unreadable:
    def rows(self) -> Iterator[list[str]]:
        yield ["lead"]
        raise ValueError("bad bytes")


def stored(lead_id: str, *buyers: str, phone: str = "") -> StoredLead:
    sales = tuple(sold_sale(b, NOW - DAY_S, bid_id=f"b_{lead_id}_{b}") for b in buyers)
    fields = {"phone": phone} if phone else {}
    return StoredLead(LeadSales(lead_id, "101", "7", sales), f"p_{lead_id}", fields)


class World:
    def __init__(self, *leads: StoredLead, charge_back: bool = True) -> None:
        campaign = make_campaign(
            returns={"window_days": 3, "reasons": ["Wrong number", "Fraud"],
                     "charge_back_supplier": charge_back}
        )  # fmt: skip
        catalog = make_catalog(campaign)
        self.store = MemoryReturns(*leads)
        self.audit = MemoryAuditLog()
        self.clock = FakeClock(NOW)
        self.service = ReturnsService(self.store, lambda: catalog, self.audit, self.clock)

    async def opened(self, lead_id: str, principal: Principal = ADMIN, **more: str) -> int:
        record = await self.service.open(principal, lead_id, "Fraud", **more)
        assert isinstance(record, ReturnRecord), record
        return record.return_id


async def test_a_buyer_opens_returns_of_its_own_purchases_only() -> None:
    world = World(stored("l_1", "sunco", "acme"), stored("l_2", "acme"))
    record = await world.service.open(SUNCO, "l_1", "wrong number", "no answer")
    assert isinstance(record, ReturnRecord)
    assert (record.buyer_id, record.reason, record.opened_by) == ("sunco", "Wrong number", "sam")
    other = await world.service.open(SUNCO, "l_1", "Fraud", buyer_id="acme")
    assert code_of(other) is Code.FORBIDDEN
    hidden = await world.service.open(SUNCO, "l_2", "Fraud")
    assert isinstance(hidden, Refusal)
    assert (hidden.code, hidden.message) == (Code.NOT_FOUND, "no lead l_2")
    supplier = await world.service.open(SUPPLIER, "l_2", "Fraud")
    assert code_of(supplier) is Code.FORBIDDEN


async def test_a_buyer_sees_its_own_returns_and_decides_none() -> None:
    world = World(stored("l_1", "sunco", "acme"))
    mine = await world.opened("l_1", SUNCO)
    theirs = await world.opened("l_1", ACME_BUYER)
    assert isinstance(await world.service.get(SUNCO, mine), ReturnRecord)
    unseen = await world.service.get(SUNCO, theirs)
    assert code_of(unseen) is Code.NOT_FOUND
    listed = await world.service.listing(SUNCO, ReturnsQuery(buyer_id="acme"))
    assert [r.return_id for r in listed.returns] == [mine]
    by_supplier = await world.service.listing(SUPPLIER, ReturnsQuery())
    assert sorted(r.return_id for r in by_supplier.returns) == [mine, theirs]
    refused = await world.service.approve(SUNCO, mine)
    assert code_of(refused) is Code.FORBIDDEN
    hidden = await world.service.approve(SUNCO, theirs)
    assert code_of(hidden) is Code.NOT_FOUND
    assert [e.action for e in world.audit.entries] == ["return_open", "return_open"]


@pytest.mark.parametrize(("charge_back", "chargeback"), [(True, 3645), (False, 0)])
async def test_an_approval_is_audited_with_before_and_after(
    charge_back: bool, chargeback: int
) -> None:
    world = World(stored("l_1", "sunco"), charge_back=charge_back)
    return_id = await world.opened("l_1")
    world.clock.advance(60)
    decided = await world.service.approve(ADMIN, return_id, "ok", remote_addr="10.0.0.9")
    assert isinstance(decided, ReturnRecord)
    assert (decided.credit_cents, decided.chargeback_cents) == (4050, chargeback)
    assert (decided.decided_by, decided.decided_at, decided.decision_note) == (
        "ada",
        NOW + 60,
        "ok",
    )
    assert world.store.leads["l_1"].updated_at == NOW + 60
    entry = world.audit.entries[-1]
    assert (entry.actor, entry.action, entry.at, entry.remote_addr) == (
        "ada",
        "return_approve",
        NOW + 60,
        "10.0.0.9",
    )
    assert entry.target == f"return {return_id} (lead l_1, buyer sunco)"
    assert entry.before == {"status": "open", "reason": "Fraud", "credit_cents": 0,
                            "chargeback_cents": 0}  # fmt: skip
    assert entry.after == {"status": "approved", "reason": "Fraud", "credit_cents": 4050,
                           "chargeback_cents": chargeback}  # fmt: skip
    again = await world.service.reject(ADMIN, return_id)
    assert code_of(again) is Code.ALREADY_DECIDED
    assert len(world.audit.entries) == 2


async def test_a_rejection_gives_nothing_back() -> None:
    world = World(stored("l_1", "sunco"))
    decided = await world.service.reject(BOOTSTRAP_OWNER, await world.opened("l_1"))
    assert isinstance(decided, ReturnRecord)
    assert (decided.status.value, decided.credit_cents, decided.chargeback_cents) == (
        "rejected",
        0,
        0,
    )
    assert world.audit.entries[-1].action == "return_reject"


async def test_a_return_past_the_window_is_refused_by_the_clock() -> None:
    world = World(stored("l_1", "sunco"))
    world.clock.advance(2 * DAY_S + 1)  # sold a day before NOW; the window is 3 days
    refused = await world.service.open(ADMIN, "l_1", "Fraud")
    assert code_of(refused) is Code.RETURN_WINDOW_CLOSED
    assert world.store.returns == {}


PHONES = "Phone,Why,Buyer\n"


def by_phone(buyer_column: str | None = None) -> CsvMapping:
    return CsvMapping(
        "Phone", KeyKind.FIELD, key_field="phone", reason_column="Why", buyer_column=buyer_column
    )


def outcomes(report: BulkReport | Refusal) -> list[tuple[int, str, str | None]]:
    assert isinstance(report, BulkReport), report
    return [(r.row, r.outcome.value, r.problem) for r in report.rows]


async def test_bulk_rows_are_matched_not_matched_or_failed_each_on_its_own() -> None:
    world = World(
        stored("l_1", "sunco", phone="5125550001"),
        stored("l_2", "sunco", phone="5125550002"),
        stored("l_3", "sunco", phone="5125550002"),
        stored("l_4", "sunco", "acme", phone="5125550004"),
        stored("l_5", "acme", phone="5125550005"),
    )
    table = Rows(
        PHONES + "5125550001,fraud,\n"  # matched
        "5125550009,Fraud,\n"  # no such lead
        "5125550002,Fraud,\n"  # two leads
        " ,Fraud,\n"  # blank key
        "5125550005,,\n"  # blank reason
        "5125550004,Fraud,\n"  # sold to two buyers, none named
        "5125550004,Fraud,acme\n"  # named: matched
        ",,\n"  # an empty row: skipped
        "5125550001,Fraud\n"  # returned already (a short row)
        "5125550005,Nope,\n"  # unknown reason
        "5125550005,Fraud,ac\x00me\n"  # no database holds a NUL
    )
    report = await world.service.bulk(ADMIN, table, by_phone(buyer_column="Buyer"))
    assert outcomes(report) == [
        (2, "matched", None),
        (3, "not_matched", "no_lead"),
        (4, "failed", "ambiguous"),
        (5, "failed", "blank_key"),
        (6, "failed", "blank_reason"),
        (7, "failed", "several_buyers"),
        (8, "matched", None),
        (10, "failed", "already_returned"),
        (11, "failed", "unknown_reason"),
        (12, "failed", "nul"),
    ]
    assert isinstance(report, BulkReport)
    counts = [report.count(o) for o in RowOutcome]
    assert counts == [2, 1, 7]
    assert {(r.lead_id, r.buyer_id) for r in world.store.returns.values()} == {
        ("l_1", "sunco"),
        ("l_4", "acme"),
    }
    assert table.reads == 2  # checked whole first, then opened row by row
    for row in report.rows:
        assert "51255500" not in row.message


async def test_a_buyer_bulk_file_matches_only_its_own_leads() -> None:
    world = World(
        stored("l_1", "sunco", phone="5125550001"),
        stored("l_2", "acme", phone="5125550001"),  # another buyer's, same consumer
        stored("l_3", "acme", phone="5125550003"),
    )
    table = Rows(PHONES + "5125550001,Fraud,\n5125550003,Fraud,\n5125550001,Fraud,acme\n")
    report = await world.service.bulk(SUNCO, table, by_phone(buyer_column="Buyer"))
    assert outcomes(report) == [
        (2, "matched", None),
        (3, "not_matched", "no_lead"),
        (4, "failed", "not_permitted"),
    ]
    refused = await world.service.bulk(SUPPLIER, table, by_phone())
    assert code_of(refused) is Code.FORBIDDEN


async def test_bulk_keys_by_lead_ping_and_bid_id() -> None:
    world = World(stored("l_1", "sunco"), stored("l_2", "sunco", "acme"), stored("l_3", "sunco"))
    fixed = {"reason": "Wrong number"}
    by_lead = CsvMapping("id", KeyKind.LEAD_ID, **fixed)
    assert outcomes(await world.service.bulk(ADMIN, Rows("id\nl_1\n"), by_lead)) == [
        (2, "matched", None)
    ]
    by_bid = CsvMapping("bid", KeyKind.BID_ID, **fixed)
    assert outcomes(await world.service.bulk(ADMIN, Rows("bid\nb_l_2_acme\n"), by_bid)) == [
        (2, "matched", None)
    ]
    assert ("l_2", "acme") in {(r.lead_id, r.buyer_id) for r in world.store.returns.values()}
    by_ping = CsvMapping("ping", KeyKind.PING_ID, **fixed)
    assert outcomes(await world.service.bulk(ADMIN, Rows("ping\np_l_3\n"), by_ping)) == [
        (2, "matched", None)
    ]


@pytest.mark.parametrize(
    ("text", "mapping", "code", "fields"),
    [
        ("", CsvMapping("id", KeyKind.LEAD_ID, reason="Fraud"), Code.MALFORMED, []),
        ("lead\nl_1\n", CsvMapping("id", KeyKind.LEAD_ID, reason="Fraud"), Code.VALIDATION,
         ["key_column"]),
        ("id,id\nl_1,l_1\n", CsvMapping("id", KeyKind.LEAD_ID, reason="Fraud"), Code.VALIDATION,
         ["key_column"]),
        ("id\nl_1\n", CsvMapping("id", KeyKind.LEAD_ID), Code.VALIDATION, ["reason_column"]),
        ("id\nl_1\n", CsvMapping("id", KeyKind.FIELD, reason="Fraud"), Code.VALIDATION,
         ["key_field"]),
        ("id\nl_1\n", CsvMapping("id", KeyKind.LEAD_ID, key_field="phone", reason="Fraud"),
         Code.VALIDATION, ["key_field"]),
        ("id\n1\n", CsvMapping("id", KeyKind.FIELD, key_field="zip_code", reason="Fraud"),
         Code.VALIDATION, ["key_field"]),  # not a personal field: no lookups to match
        ("id\n" + "l_1\n" * (MAX_ROWS + 1), CsvMapping("id", KeyKind.LEAD_ID, reason="Fraud"),
         Code.TOO_LARGE, []),
    ],
)  # fmt: skip
async def test_a_file_that_does_not_fit_is_refused_before_any_return(
    text: str, mapping: CsvMapping, code: Code, fields: list[str]
) -> None:
    world = World(stored("l_1", "sunco"))
    refused = await world.service.bulk(ADMIN, Rows(text), mapping)
    assert isinstance(refused, Refusal), refused
    assert (refused.code, [e.field for e in refused.errors]) == (code, fields)
    assert world.store.returns == {}


async def test_the_row_limit_counts_data_rows() -> None:
    world = World(*(stored(f"l_{i}", "sunco") for i in range(3)))
    text = "id\n" + "l_0\n" * MAX_ROWS
    report = await world.service.bulk(ADMIN, Rows(text), CsvMapping("id", KeyKind.LEAD_ID,
                                                                     reason="Fraud"))  # fmt: skip
    assert isinstance(report, BulkReport)
    assert report.count(RowOutcome.MATCHED) == 1
    assert report.count(RowOutcome.FAILED) == MAX_ROWS - 1


async def test_an_unreadable_file_is_refused_whole() -> None:
    world = World(stored("l_1", "sunco"))
    refused = await world.service.bulk(
        ADMIN, Unreadable(), CsvMapping("lead", KeyKind.LEAD_ID, reason="Fraud")
    )
    assert isinstance(refused, Refusal)
    assert (refused.code, refused.message) == (
        Code.MALFORMED,
        "the file is not CSV text in UTF-8 (at row 2)",
    )
