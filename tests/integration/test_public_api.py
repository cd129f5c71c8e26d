"""Lead Prosper's public API as Pickpost serves it (docs/data-api.md), over real HTTP on SQLite
and PostgreSQL after real traffic, with personal values encrypted at rest: stats equal the
reports and the ledger, paging walks every lead once, field search, campaigns, pause/resume,
returns, debug logs, scopes and errors."""

import base64
import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.console import add_user, token_of
from tests.support.databases import deployment_urls
from tests.support.fleet import ThreadedFleet
from tests.support.server import ADMIN_TOKEN, ServerProcess
from tests.support.system import System, bid_of, workspace

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
DATA_KEY = base64.b64encode(os.urandom(32)).decode()


def _range() -> dict[str, str]:
    today = datetime.now(UTC).date()
    return {
        "start_date": str(today - timedelta(days=1)),
        "end_date": str(today + timedelta(days=1)),
        "timezone": "UTC",
    }


def _sold(sut: System, campaign: str, supplier: str = "7", **lead: Any) -> str:
    body = sut.direct_post(campaign, supplier, **lead).json()
    assert body["code"] == 0, body
    return str(body["lead_id"])


class Exchange:
    """A running server after known traffic, and the lead ids it made."""

    def __init__(self, sut: System) -> None:
        self.sut = sut
        self.leads: dict[str, str] = {}
        self.all_leads: list[str] = []

    def bearer(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def get(self, path: str, token: str = ADMIN_TOKEN, **params: str) -> httpx.Response:
        return self.sut.http.get(path, params=params, headers=self.bearer(token))

    def post(self, path: str, body: object, token: str = ADMIN_TOKEN) -> httpx.Response:
        return self.sut.http.post(path, json=body, headers=self.bearer(token))


def _traffic(ex: Exchange) -> None:
    sut = ex.sut
    ping = sut.ping("100", home_owner="yes")
    post = sut.post(ping, [bid_of(ping, "alpha")], "100", email="Pia@Example.com",
                    phone="(512) 555-0177")  # fmt: skip
    assert post.json()["code"] == 0, post.text
    ex.leads["ping_post"] = post.json()["lead_id"]
    ex.leads["two_buyers"] = _sold(sut, "1901")
    ex.leads["returnable"] = _sold(sut, "1900")
    ex.leads["other_supplier"] = _sold(sut, "1900", "8")
    rejected = sut.direct_post("1205").json()
    assert rejected["status"] == "ERROR", rejected
    ex.leads["rejected"] = rejected["lead_id"]
    first = _sold(sut, "1500", phone="5125550166")
    again = sut.direct_post("1500", phone="5125550166").json()
    assert again["status"] == "DUPLICATED", again
    ex.leads["duplicate_original"] = first
    for _ in range(104):  # past one page of 100
        _sold(sut, "1203")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def ex(
    request: pytest.FixtureRequest, fleet: ThreadedFleet, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Exchange]:
    directory = tmp_path_factory.mktemp(f"public-{request.param}")
    path = directory / "workspace.json"
    path.write_text(json.dumps(workspace(fleet.base_urls)))
    with deployment_urls(request.param, directory) as (database_url, redis_url):
        server = ServerProcess(
            path,
            database_url,
            directory / "server.log",
            redis_url,
            env={"PICKPOST_DATA_KEY": DATA_KEY},
        )
        with server, httpx.Client(base_url=server.base_url, timeout=30) as http:
            exchange = Exchange(System(server, fleet, database_url, http))
            _traffic(exchange)
            ids = exchange.sut.query("SELECT id FROM leads")
            exchange.all_leads = [str(row[0]) for row in ids]
            yield exchange


def test_without_a_token_every_endpoint_answers_401(ex: Exchange) -> None:
    for path in ("/public/stats", "/public/leads", "/public/campaigns", "/public/lead/x"):
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            answer = ex.sut.http.get(path, headers=headers)
            assert answer.status_code == 401, path
            assert answer.json()["status"] == "error"
    assert ex.sut.http.post("/public/lead/return", json={}).status_code == 401


def test_stats_equal_the_reports_and_the_ledger(ex: Exchange) -> None:
    stats = ex.get("/public/stats", **_range())
    assert stats.status_code == 200, stats.text
    campaigns = stats.json()
    assert isinstance(campaigns, list)
    reports = ex.get("/api/v1/reports", **_range(), group_by="campaign").json()
    by_id = {row["campaign"]: row for row in reports["rows"]}
    for campaign in campaigns:
        row = by_id.get(campaign["id"])
        if row is None:
            assert campaign["leads_total"] == 0
            assert campaign["total_sell"] == 0
            continue
        assert campaign["leads_total"] == row["leads"]
        assert campaign["leads_accepted"] == row["sold"]
        assert campaign["leads_failed"] == row["leads"] - row["sold"]
        assert round(campaign["total_sell"] * 100) == row["revenue_cents"]
        assert round(campaign["total_buy"] * 100) == row["cost_cents"]
        assert round(campaign["profit"] * 100) == row["profit_cents"]
    # Straight from the ledger: live leads, sold leads, sold sales' money.
    leads, sold = ex.sut.query(
        "SELECT count(*), sum(CASE WHEN status = 'sold' THEN 1 ELSE 0 END) FROM leads"
        " WHERE NOT test"
    )[0]
    revenue, cost = ex.sut.query(
        "SELECT sum(s.buyer_price_cents), sum(s.payout_cents) FROM sales s"
        " JOIN leads l ON l.id = s.lead_id WHERE s.status = 'sold' AND NOT l.test"
    )[0]
    assert sum(c["leads_total"] for c in campaigns) == leads
    assert sum(c["leads_accepted"] for c in campaigns) == sold
    assert sum(round(c["total_sell"] * 100) for c in campaigns) == revenue
    assert sum(round(c["total_buy"] * 100) for c in campaigns) == cost
    dupes = next(c for c in campaigns if c["id"] == "1500")
    assert dupes["leads_duplicated"] == 1
    two = next(c for c in campaigns if c["id"] == "1901")
    assert {b["id"] for b in two["buyers"]} == {"d1", "d2"}
    for buyer in two["buyers"]:
        assert buyer["leads_accepted"] == 1
        assert buyer["prepings_total"] == 0
    one_to_one = next(c for c in campaigns if c["id"] == "100")
    (acme,) = one_to_one["suppliers"]
    assert (acme["id"], acme["name"], acme["pings_total"]) == ("7", "Acme", 1)
    assert acme["pings_accepted"] == 1
    assert acme["pings_avg_bid"] > 0
    per_supplier = ex.get("/public/stats/supplier", **_range()).json()
    assert sum(s["leads_total"] for s in per_supplier) == leads


def test_paging_with_search_after_walks_every_lead_exactly_once(ex: Exchange) -> None:
    seen: list[str] = []
    after = ""
    pages = 0
    while True:
        page = ex.get("/public/leads", **({"search_after": after} if after else {}))
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["leads"]) <= 100
        seen += [lead["id"] for lead in body["leads"]]
        pages += 1
        after = body["search_after"]
        if not after:
            break
    assert pages >= 2
    assert sorted(seen) == sorted(ex.all_leads)
    assert len(seen) == len(set(seen))


def test_a_personal_field_encrypted_at_rest_is_found_by_its_value(ex: Exchange) -> None:
    stored = ex.sut.query("SELECT fields FROM leads WHERE id = :id", id=ex.leads["ping_post"])
    assert "pia@example.com" not in str(stored).lower()  # encrypted at rest
    found = ex.get("/public/leads", field_name="email", field_value="pia@example.com").json()
    assert [lead["id"] for lead in found["leads"]] == [ex.leads["ping_post"]]
    assert found["leads"][0]["lead_data"]["email"].lower() == "pia@example.com"
    by_phone = ex.get("/public/leads", field_name="phone", field_value="5125550177").json()
    assert [lead["id"] for lead in by_phone["leads"]] == [ex.leads["ping_post"]]


def test_a_lead_shows_its_buyers_money_and_status(ex: Exchange) -> None:
    lead = ex.get(f"/public/lead/{ex.leads['ping_post']}").json()
    assert lead["status"] == "ACCEPTED"
    assert lead["campaign_id"] == "100"
    assert lead["supplier"] == {"id": "7", "name": "Acme"}
    (alpha,) = [b for b in lead["buyers"] if b["status"] == "ACCEPTED"]
    assert alpha["id"] == "alpha"
    assert lead["revenue"] == alpha["sell_price"] > lead["cost"] > 0
    assert isinstance(lead["lead_date_ms"], int)
    assert lead["returned"] is False
    rejected = ex.get(f"/public/lead/{ex.leads['rejected']}").json()
    assert rejected["status"] == "ERROR"
    assert rejected["error_code"] == 2002
    assert [b["status"] for b in rejected["buyers"]] == ["REJECTED"]
    missing = ex.get("/public/lead/no-such-lead")
    assert missing.status_code == 404
    assert missing.json()["status"] == "error"


def test_campaigns_are_a_bare_array(ex: Exchange) -> None:
    campaigns = ex.get("/public/campaigns").json()
    assert isinstance(campaigns, list)
    one = next(c for c in campaigns if c["id"] == "100")
    assert {"id", "name", "status", "suppliers", "buyers"} <= one.keys()
    assert one == ex.get("/public/campaigns/100").json()
    assert ex.get("/public/campaigns/nope").status_code == 404


def _buyer_status(ex: Exchange, campaign: str, buyer: str) -> str:
    found = ex.get(f"/public/campaigns/{campaign}").json()
    return str(next(b["status"] for b in found["buyers"] if b["id"] == buyer))


def test_pause_and_resume_a_buyer_are_audited_and_refused_to_an_analyst(ex: Exchange) -> None:
    analyst = token_of(ex.sut, add_user(ex.sut, "analyst"))
    refused = ex.get("/public/campaigns/1402/pause_buyer/beta", analyst)
    assert refused.status_code == 403
    paused = ex.get("/public/campaigns/1402/pause_buyer/beta")
    assert paused.status_code == 200
    assert paused.json()["paused"] is True
    assert _eventually(lambda: _buyer_status(ex, "1402", "beta") == "paused")
    assert ex.get("/public/campaigns/1402/resume_buyer/beta").status_code == 200
    assert _eventually(lambda: _buyer_status(ex, "1402", "beta") == "active")
    audit = ex.sut.query(
        "SELECT action FROM audit_log WHERE target = 'campaign 1402/buyer beta' ORDER BY id"
    )
    assert [row[0] for row in audit] == ["pause", "resume"]
    assert ex.get("/public/campaigns/1402/pause_buyer/nobody").status_code == 404


def _eventually(check: Any, tries: int = 100) -> bool:
    for _ in range(tries):
        if check():
            return True
        time.sleep(0.1)
    return False


def test_a_return_opens_through_the_public_api(ex: Exchange) -> None:
    opened = ex.post(
        "/public/lead/return", {"lead_id": ex.leads["returnable"], "reason": "Wrong number"}
    )
    assert opened.status_code == 200, opened.text
    assert opened.json()["return_status"] == "open"
    assert opened.json()["buyer_id"] == "d1"
    several = ex.post(
        "/public/lead/return", {"lead_id": ex.leads["two_buyers"], "reason": "Wrong number"}
    )
    assert several.status_code == 400
    assert "buyer_id" in several.json()["message"]
    return_id = opened.json()["return_id"]
    approved = ex.sut.http.post(f"/api/v1/returns/{return_id}/approve", json={}, headers=ADMIN)
    assert approved.status_code == 200, approved.text
    lead = ex.get(f"/public/lead/{ex.leads['returnable']}").json()
    assert (lead["returned"], lead["return_reason"]) == (True, "Wrong number")
    (campaign,) = ex.get("/public/stats", campaign="1900", **_range()).json()
    (d1,) = campaign["buyers"]
    assert d1["leads_returned"] == 1
    assert d1["net_revenue"] == d1["gross_revenue"] - d1["returned_revenue"]
    bad = ex.post("/public/lead/return", {"lead_id": 7.5})
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"lead_id", "reason"}


def test_debug_gives_the_buyer_calls_of_at_most_five_leads(ex: Exchange) -> None:
    ids = [ex.leads["ping_post"], ex.leads["rejected"]]
    found = ex.post("/public/leads/debug", {"lead_ids": ids})
    assert found.status_code == 200, found.text
    leads = {lead["lead_id"]: lead["calls"] for lead in found.json()["leads"]}
    assert leads.keys() == set(ids)
    post = next(c for c in leads[ex.leads["ping_post"]] if c["step"] == "post")
    assert post["request"]["body"]["text"]
    assert post["response"]["body"] is not None
    six = ex.post("/public/leads/debug", {"lead_ids": [f"l{i}" for i in range(6)]})
    assert six.status_code == 400
    assert six.json()["errors"][0]["field"] == "lead_ids"


def test_a_scoped_supplier_never_gets_another_suppliers_lead(ex: Exchange) -> None:
    token = token_of(ex.sut, add_user(ex.sut, "supplier", scope="7"))
    other = ex.leads["other_supplier"]
    assert ex.get(f"/public/lead/{other}", token).status_code == 404
    listed = ex.get("/public/leads", token, supplier="8").json()
    assert listed["leads"] == []
    everything = ex.get("/public/leads", token).json()["leads"]
    assert everything
    assert {lead["supplier"]["id"] for lead in everything} == {"7"}
    debug = ex.post("/public/leads/debug", {"lead_ids": [other]}, token).json()
    assert debug["leads"] == []
    assert "8" not in {s["id"] for s in ex.get("/public/stats/supplier", token).json()}
    asked_other = ex.get("/public/stats/supplier", token, supplier="8", **_range())
    assert asked_other.status_code == 200
    assert asked_other.json() == []
    other_stats = ex.get("/public/stats", token, supplier="8", **_range()).json()
    assert all(c["leads_total"] == 0 and c["suppliers"] == [] for c in other_stats)
    own = ex.get(f"/public/lead/{ex.leads['returnable']}", token).json()
    assert own["revenue"] is None
    assert own["cost"] is not None


def test_bad_input_is_a_clear_400_without_the_value(ex: Exchange) -> None:
    secret = "5125550177"
    for params in (
        {"start_date": "tomorrow"},
        {"timezone": "Mars/Olympus"},
        {"status": "SOLDISH"},
        {"search_after": "not-a-cursor"},
        {"field_name": "phone"},
        {"field_name": "phone" * 20, "field_value": secret * 200},
    ):
        answer = ex.get("/public/leads", **params)
        assert answer.status_code == 400, params
        assert answer.json()["status"] == "error"
        assert secret not in answer.text
    assert ex.get("/public/stats", end_date="2000-01-01").status_code == 400
    raw = ex.sut.http.post("/public/leads/debug", content=b"{nope", headers=ADMIN)
    assert raw.status_code == 400


def test_a_buyer_sees_its_own_sale_and_returns_it(ex: Exchange) -> None:
    token = token_of(ex.sut, add_user(ex.sut, "buyer", scope="d2"))
    lead = ex.get(f"/public/lead/{ex.leads['two_buyers']}", token).json()
    assert [b["id"] for b in lead["buyers"]] == ["d2"]
    assert lead["cost"] is None
    assert lead["revenue"] == lead["buyers"][0]["sell_price"]
    assert ex.get(f"/public/lead/{ex.leads['returnable']}", token).status_code == 404
    opened = ex.post(
        "/public/lead/return", {"lead_id": ex.leads["two_buyers"], "reason": "Bad data"}, token
    )
    assert opened.status_code == 200, opened.text
    assert opened.json()["buyer_id"] == "d2"
    assert ex.get("/public/campaigns/1402/pause_buyer/beta", token).status_code == 403
