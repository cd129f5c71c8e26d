"""Returns through a real server, on both databases (docs/returns.md): opening within the
campaign's window for one of its reasons, once per sale; approving credits the buyer and,
per campaign, charges the supplier back; concurrent decisions; the listing; bulk CSV returns.
Campaigns 1900–1903 of tests/support/system.py are theirs."""

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from pickpost.infra.sql import schema
from pickpost.infra.sql.engine import make_engine
from pickpost.infra.sql.rows import utc
from tests.support.server import ADMIN_TOKEN
from tests.support.system import System, bid_of

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def _phones(count: int) -> list[str]:
    """Phone numbers no other test sends (469-555-xxxx), distinct from each other."""
    start = random.randrange(0, 10_000 - count)
    return [f"469555{n:04d}" for n in range(start, start + count)]


def _sold(sut: System, campaign: str, **lead: Any) -> str:
    body = sut.direct_post(campaign, **lead).json()
    assert body["code"] == 0, body
    return str(body["lead_id"])


def _open(sut: System, lead_id: str, reason: str = "Wrong number", **more: Any) -> httpx.Response:
    return sut.http.post(
        "/api/v1/returns", json={"lead_id": lead_id, "reason": reason, **more}, headers=ADMIN
    )


def _opened(sut: System, lead_id: str, reason: str = "Wrong number", **more: Any) -> int:
    response = _open(sut, lead_id, reason, **more)
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


def _decide(sut: System, return_id: int, action: str, note: str = "") -> httpx.Response:
    return sut.http.post(
        f"/api/v1/returns/{return_id}/{action}", json={"note": note}, headers=ADMIN
    )


def _refused(response: httpx.Response, http_status: int, code: int) -> dict[str, Any]:
    assert response.status_code == http_status, response.text
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"], body["request_id"]) == ("ERROR", code, None)
    return body


def _database(sut: System, statement: Any) -> list[Any]:
    """Run a statement straight on the database, bypassing Pickpost (committed)."""

    async def run() -> list[Any]:
        engine = make_engine(sut.database_url)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(statement)
                return list(result.all()) if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _updated_at(sut: System, lead_id: str) -> datetime:
    leads = schema.leads.c
    rows = _database(sut, sa.select(leads.updated_at).where(leads.id == lead_id))
    return utc(rows[0][0])


def _age_lead(sut: System, lead_id: str) -> None:
    leads = schema.leads.c
    _database(sut, schema.leads.update().where(leads.id == lead_id).values(updated_at=LONG_AGO))


def _age_sales(sut: System, lead_id: str, days: float) -> None:
    sales = schema.sales.c
    sold_at = datetime.now(UTC) - timedelta(days=days)
    _database(sut, schema.sales.update().where(sales.lead_id == lead_id).values(created_at=sold_at))


def _audit(sut: System, return_id: int) -> list[str]:
    audit = schema.audit_log.c
    rows = _database(
        sut,
        sa.select(audit.action)
        .where(audit.target.startswith(f"return {return_id} "))
        .order_by(audit.id),
    )
    return [row[0] for row in rows]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/returns"),
        ("GET", "/api/v1/returns"),
        ("GET", "/api/v1/returns/1"),
        ("POST", "/api/v1/returns/1/approve"),
        ("POST", "/api/v1/returns/1/reject"),
        ("POST", "/api/v1/returns/bulk"),
    ],
)
def test_every_returns_route_refuses_without_a_token(sut: System, method: str, path: str) -> None:
    json = {"lead_id": "l_x", "reason": "Fraud"} if path == "/api/v1/returns" else None
    files = {"file": ("r.csv", b"lead\nl_x\n")} if path.endswith("bulk") else None
    data = {"key_column": "lead", "key_kind": "lead_id", "reason": "Fraud"} if files else None
    response = sut.http.request(
        method, path, json=json, files=files, data=data, headers={"Authorization": "Bearer no"}
    )
    _refused(response, 401, 1002)


def test_an_approved_return_credits_the_buyer_and_charges_the_supplier_back(sut: System) -> None:
    lead_id = _sold(sut, "1900")
    _age_lead(sut, lead_id)
    opened = _open(sut, lead_id, "  wrong NUMBER ", note="never picks up")
    assert opened.status_code == 200, opened.text
    record = opened.json()
    assert record["status"] == "open"
    assert (record["buyer_id"], record["campaign_id"], record["supplier_id"]) == ("d1", "1900", "7")
    assert record["reason"] == "Wrong number"  # the campaign's spelling
    assert (record["note"], record["opened_by"]) == ("never picks up", "bootstrap token")
    assert (record["credit"], record["chargeback"]) == (0, 0)
    assert _updated_at(sut, lead_id) > LONG_AGO

    _age_lead(sut, lead_id)
    approved = _decide(sut, record["id"], "approve", "checked the call log")
    assert approved.status_code == 200, approved.text
    decided = approved.json()
    assert decided["status"] == "approved"
    assert (decided["decided_by"], decided["decision_note"]) == (
        "bootstrap token",
        "checked the call log",
    )
    sale = sut.lead(lead_id)["sales"][0]
    assert (decided["credit"], decided["chargeback"]) == (sale["buyer_price"], sale["payout"])
    assert (decided["credit"], decided["chargeback"]) == (20.0, 18.0)  # 10 % margin
    assert _updated_at(sut, lead_id) > LONG_AGO
    assert sut.http.get(f"/api/v1/returns/{record['id']}", headers=ADMIN).json() == decided
    assert _audit(sut, record["id"]) == ["return_open", "return_approve"]
    returns = schema.returns.c
    stored = _database(
        sut,
        sa.select(returns.credit_cents, returns.chargeback_cents).where(returns.id == record["id"]),
    )
    assert [tuple(r) for r in stored] == [(2000, 1800)]


def test_without_charge_back_the_supplier_keeps_its_payout(sut: System) -> None:
    lead_id = _sold(sut, "1901")  # sold to d1 and d2
    several = _refused(_open(sut, lead_id), 400, 1001)
    assert "buyer_id" in several["message"]
    return_id = _opened(sut, lead_id, "bad data", buyer_id="d2")
    decided = _decide(sut, return_id, "approve").json()
    assert (decided["buyer_id"], decided["reason"]) == ("d2", "Bad data")
    assert (decided["credit"], decided["chargeback"]) == (25.0, 0)
    rejected = _decide(sut, _opened(sut, lead_id, buyer_id="d1"), "reject").json()
    assert (rejected["status"], rejected["credit"], rejected["chargeback"]) == ("rejected", 0, 0)


def test_returns_are_refused_with_a_code_saying_why(sut: System) -> None:
    lead_id = _sold(sut, "1900")
    assert _refused(_open(sut, lead_id, "Too expensive"), 400, 1042)["reason"] == "unknown_reason"
    _age_sales(sut, lead_id, days=3.1)  # the campaign's window is 3 days
    assert _refused(_open(sut, lead_id), 409, 1041)["reason"] == "window_closed"
    _age_sales(sut, lead_id, days=2.9)
    return_id = _opened(sut, lead_id)
    assert _refused(_open(sut, lead_id), 409, 1043)["reason"] == "already_returned"
    assert _decide(sut, return_id, "reject").status_code == 200
    assert _refused(_decide(sut, return_id, "approve"), 409, 1044)["reason"] == "already_decided"
    assert _refused(_open(sut, lead_id), 409, 1043)["reason"] == "already_returned"

    no_returns = _sold(sut, "1902")
    assert _refused(_open(sut, no_returns), 409, 1041)["reason"] == "not_accepted"
    unsold = sut.direct_post("1205").json()["lead_id"]  # its only buyer rejects
    assert _refused(_open(sut, unsold), 409, 1040)["reason"] == "not_sold"
    assert _refused(_open(sut, lead_id, buyer_id="d2"), 409, 1040)["reason"] == "no_sale"
    assert _refused(_open(sut, "l_nope"), 404, 1030)["message"] == "no lead l_nope"
    assert _refused(_decide(sut, 999_999, "approve"), 404, 1030)["message"] == "no return 999999"
    _refused(sut.http.post("/api/v1/returns", json={"lead_id": lead_id}, headers=ADMIN), 400, 1000)
    _refused(_decide(sut, return_id, "explode"), 400, 1000)
    _refused(sut.http.get("/api/v1/returns/abc", headers=ADMIN), 400, 1000)


def test_text_no_database_stores_and_ids_past_64_bits_are_refused_not_crashed(
    sut: System,
) -> None:
    lead_id = _sold(sut, "1900")
    for body in (  # as sent: JSON escapes of what no database stores
        f'{{"lead_id": "{lead_id}", "reason": "Fraud", "note": "a\\u0000b"}}',
        '{"lead_id": "l_\\ud800", "reason": "Fraud"}',
        f'{{"lead_id": "{lead_id}", "reason": "Fraud", "buyer_id": "d\\u00001"}}',
    ):
        sent = sut.http.post(
            "/api/v1/returns",
            content=body,
            headers={**ADMIN, "Content-Type": "application/json"},
        )
        _refused(sent, 400, 1000)
    for path in ("/api/v1/returns/99999999999999999999", "/api/v1/returns/0"):
        _refused(sut.http.get(path, headers=ADMIN), 400, 1000)
        _refused(sut.http.post(f"{path}/approve", headers=ADMIN), 400, 1000)
    for name in ("campaign", "buyer", "supplier"):
        listed = sut.http.get("/api/v1/returns", params={name: "x\u0000"}, headers=ADMIN)
        _refused(listed, 400, 1000)
    return_id = _opened(sut, lead_id)
    _refused(_decide(sut, return_id, "approve", "\u0000"), 400, 1000)
    mapping = {"key_column": "lead", "key_kind": "lead_id", "reason": "Fraud"}
    nul_note = _refused(_bulk(sut, "lead\nl_1\n", **mapping, note="x\u0000"), 400, 1000)
    assert [e["field"] for e in nul_note["errors"]] == ["note"]
    report = _bulk(sut, f"lead\nl_\u0000\n{lead_id}\u0000\n", **mapping).json()
    assert [(r["outcome"], r["problem"]) for r in report["rows"]] == [("failed", "nul")] * 2
    assert sut.http.get(f"/api/v1/returns/{return_id}", headers=ADMIN).json()["status"] == "open"


def test_concurrent_decisions_on_one_return_have_exactly_one_winner(sut: System) -> None:
    lead_id = _sold(sut, "1900")
    return_id = _opened(sut, lead_id)

    async def race() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=sut.http.base_url, headers=ADMIN) as client:
            return await asyncio.gather(
                *(
                    client.post(f"/api/v1/returns/{return_id}/{action}")
                    for action in ["approve", "reject"] * 4
                )
            )

    answers = asyncio.run(race())
    winners = [a for a in answers if a.status_code == 200]
    assert len(winners) == 1, [a.text for a in answers]
    for loser in answers:
        if loser is not winners[0]:
            _refused(loser, 409, 1044)
    final = sut.http.get(f"/api/v1/returns/{return_id}", headers=ADMIN).json()
    assert final == winners[0].json()
    action = {"approved": "return_approve", "rejected": "return_reject"}[final["status"]]
    assert _audit(sut, return_id) == ["return_open", action]


def test_concurrent_openings_of_one_sale_open_one_return(sut: System) -> None:
    lead_id = _sold(sut, "1900")

    async def race() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=sut.http.base_url, headers=ADMIN) as client:
            body = {"lead_id": lead_id, "reason": "Fraud"}
            return await asyncio.gather(
                *(client.post("/api/v1/returns", json=body) for _ in range(6))
            )

    answers = asyncio.run(race())
    assert [a.status_code for a in answers].count(200) == 1, [a.text for a in answers]
    for answer in answers:
        if answer.status_code != 200:
            _refused(answer, 409, 1043)
    returns = schema.returns.c
    rows = _database(sut, sa.select(returns.id).where(returns.lead_id == lead_id))
    assert len(rows) == 1


def test_the_listing_filters_and_pages_newest_first(sut: System) -> None:
    since = (datetime.now(UTC) - timedelta(milliseconds=1)).isoformat()
    ids = [_opened(sut, _sold(sut, "1900")) for _ in range(3)]
    _decide(sut, ids[0], "approve")

    def page(**params: Any) -> dict[str, Any]:
        response = sut.http.get("/api/v1/returns", params=params, headers=ADMIN)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    seen, cursor = [], None
    while True:
        found = page(
            campaign="1900", since=since, limit=2, **({"cursor": cursor} if cursor else {})
        )
        seen += [r["id"] for r in found["returns"]]
        cursor = found["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    approved = page(campaign="1900", since=since, status="approved")["returns"]
    assert [r["id"] for r in approved] == [ids[0]]
    assert page(campaign="1900", since=since, buyer="d2")["returns"] == []
    body = _refused(
        sut.http.get("/api/v1/returns", params={"status": "maybe", "cursor": "x"}, headers=ADMIN),
        400,
        1000,
    )
    assert [e["field"] for e in body["errors"]] == ["status", "cursor"]


def _bulk(sut: System, csv: str | bytes, **mapping: str) -> httpx.Response:
    content = csv.encode() if isinstance(csv, str) else csv
    return sut.http.post(
        "/api/v1/returns/bulk",
        files={"file": ("returns.csv", content, "text/csv")},
        data=mapping,
        headers=ADMIN,
    )


def test_bulk_returns_by_phone_report_each_row(sut: System) -> None:
    one, twice, other, unknown = _phones(4)
    matched = _sold(sut, "1900", phone=one)
    _sold(sut, "1900", phone=twice)
    _sold(sut, "1900", phone=twice, first_name="Robin")  # the same consumer again
    refused = _sold(sut, "1900", phone=other)
    _age_lead(sut, matched)
    csv = (
        "Phone,Why\n"
        f"({one[:3]}) {one[3:6]}-{one[6:]},disconnected\n"
        f"{unknown},Fraud\n"
        f"{twice},Fraud\n"
        ",Fraud\n"
        "\n"
        f"{other},Because\n"
        f"{one},Fraud\n"
    )
    response = _bulk(sut, csv, key_column="Phone", key_kind="field", key_field="phone",
                     reason_column="Why")  # fmt: skip
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["matched"], report["not_matched"], report["failed"]) == (1, 1, 4)
    rows = {r["row"]: r for r in report["rows"]}
    assert [(n, rows[n]["outcome"], rows[n]["problem"]) for n in sorted(rows)] == [
        (2, "matched", None),
        (3, "not_matched", "no_lead"),
        (4, "failed", "ambiguous"),
        (5, "failed", "blank_key"),
        (7, "failed", "unknown_reason"),
        (8, "failed", "already_returned"),
    ]
    assert (rows[2]["lead_id"], rows[7]["lead_id"]) == (matched, refused)
    for phone in (one, twice, other, unknown):
        assert phone[3:] not in response.text
    record = sut.http.get(f"/api/v1/returns/{rows[2]['return_id']}", headers=ADMIN).json()
    assert (record["lead_id"], record["reason"], record["status"]) == (
        matched,
        "Disconnected",
        "open",
    )
    assert _updated_at(sut, matched) > LONG_AGO


def test_bulk_returns_by_lead_ping_and_bid_id_with_a_buyer_column(sut: System) -> None:
    shared = _sold(sut, "1901")  # sold to d1 and d2
    bid_of_d1 = next(s["bid_id"] for s in sut.lead(shared)["sales"] if s["buyer_id"] == "d1")
    csv = f"lead,buyer\n{shared},d2\n{shared},\n"
    by_lead = _bulk(sut, csv, key_column="lead", key_kind="lead_id", buyer_column="buyer",
                    reason="Wrong number").json()  # fmt: skip
    assert [(r["outcome"], r["problem"]) for r in by_lead["rows"]] == [
        ("matched", None),
        ("failed", "several_buyers"),
    ]
    by_bid = _bulk(sut, f"bid\n{bid_of_d1}\n", key_column="bid", key_kind="bid_id",
                   reason="Bad data").json()  # fmt: skip
    assert by_bid["matched"] == 1
    returned = sut.http.get("/api/v1/returns/" + str(by_bid["rows"][0]["return_id"]), headers=ADMIN)
    assert (returned.json()["buyer_id"], returned.json()["reason"]) == ("d1", "Bad data")

    ping = sut.ping("1903")
    post = sut.post(ping, [bid_of(ping, "alpha")], campaign="1903").json()
    assert post["code"] == 0, post
    by_ping = _bulk(sut, f"ping\n{ping.json()['ping_id']}\n", key_column="ping",
                    key_kind="ping_id", reason="Fraud").json()  # fmt: skip
    assert (by_ping["matched"], by_ping["rows"][0]["lead_id"]) == (1, post["lead_id"])


def test_bulk_files_that_do_not_fit_are_refused_whole(sut: System) -> None:
    lead_id = _sold(sut, "1900")
    mapping = {"key_column": "lead", "key_kind": "lead_id", "reason": "Fraud"}
    missing = _refused(_bulk(sut, f"id\n{lead_id}\n", **mapping), 400, 1004)
    assert [e["field"] for e in missing["errors"]] == ["key_column"]
    both = _refused(_bulk(sut, "lead\n", **mapping, reason_column="lead"), 400, 1004)
    assert [e["field"] for e in both["errors"]] == ["reason_column"]
    hidden = {"key_column": "lead", "key_kind": "field", "key_field": "zip_code", "reason": "Fraud"}
    _refused(_bulk(sut, "lead\n78701\n", **hidden), 400, 1004)
    unmapped = sut.http.post("/api/v1/returns/bulk", data={"key_kind": "nope"}, headers=ADMIN)
    body = _refused(unmapped, 400, 1000)
    assert [e["field"] for e in body["errors"]] == ["file", "key_kind", "key_column"]
    _refused(_bulk(sut, b"lead\n\xff\xfe\x00l\n", **mapping), 400, 1000)
    _refused(_bulk(sut, b"", **mapping), 400, 1000)
    _refused(_bulk(sut, "lead\n" + "l_x\n" * 10_001, **mapping), 413, 1045)
    _refused(_bulk(sut, "lead\n" + "x" * (5 * 1024 * 1024), **mapping), 413, 1045)
    listed = sut.http.get("/api/v1/returns", params={"campaign": "1900"}, headers=ADMIN).json()
    assert lead_id not in {r["lead_id"] for r in listed["returns"]}
