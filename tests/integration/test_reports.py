"""Reports add up: real traffic through a running server – pings with and without bids, posts
sold and rejected, Direct Posts, test leads, refused requests, returns, leads moved across
midnight – and every report total, by every grouping and by day in several time zones, equals
a count of the ledger made here with plain SQL (tests/support/ledger.py)."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.fleet import ThreadedFleet
from tests.support.ledger import (
    assert_reports_equal_the_ledger,
    drive,
    move_across_midnight,
    report,
    return_two_sales,
)
from tests.support.server import ADMIN_TOKEN
from tests.support.system import System, bid_of, running_system


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def traffic(
    request: pytest.FixtureRequest, fleet: ThreadedFleet, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    """A fresh server that has served a day's mix of traffic."""
    directory: Path = tmp_path_factory.mktemp(f"reports-{request.param}")
    with running_system(request.param, fleet, directory) as system:
        drive(system)
        yield system


def test_every_report_equals_a_count_of_the_ledger(traffic: System) -> None:
    assert_reports_equal_the_ledger(traffic)


def test_returns_and_leads_moved_across_midnight_show_in_the_reports(traffic: System) -> None:
    before = report(traffic.http, ADMIN_TOKEN, test="include")["totals"]
    return_two_sales(traffic)
    move_across_midnight(traffic)
    assert_reports_equal_the_ledger(traffic)
    after = report(traffic.http, ADMIN_TOKEN, test="include", start_date=_yesterday())["totals"]
    assert after["returns"] == before["returns"] + 1
    assert after["net_revenue_cents"] < after["revenue_cents"]


def _yesterday() -> str:
    return (datetime.now(UTC).date() - timedelta(days=1)).isoformat()


def test_bad_parameters_are_named_in_the_envelope(traffic: System) -> None:
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    for params, name in (
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"start_date": "2026-11-27", "end_date": "2026-11-01"}, "end_date"),
        ({"group_by": "planet"}, "group_by"),
        ({"test": "maybe"}, "test"),
        ({"format": "xlsx"}, "format"),
    ):
        response = traffic.http.get("/api/v1/reports", params=params, headers=auth)
        assert response.status_code == 400, (params, response.text)
        body: dict[str, Any] = response.json()
        assert [e["field"] for e in body["errors"]] == [name]
    assert traffic.http.get("/api/v1/reports").status_code == 401
    assert traffic.http.get("/api/v1/dashboard").status_code == 401


def test_the_csv_report_is_the_json_report(traffic: System) -> None:
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    params = {"group_by": "campaign", "start_date": _yesterday()}
    as_json = traffic.http.get("/api/v1/reports", params=params, headers=auth).json()
    response = traffic.http.get("/api/v1/reports", params={**params, "format": "csv"}, headers=auth)
    assert response.headers["content-type"].startswith("text/csv")
    lines = [line.split(",") for line in response.text.strip().splitlines()]
    header, *rows, total = lines
    assert header[:2] == ["campaign", "pings"]
    assert [r[0] for r in rows] == [r["campaign"] for r in as_json["rows"]]
    assert int(total[header.index("revenue_cents")]) == as_json["totals"]["revenue_cents"]


def test_the_dashboard_sums_to_its_series(traffic: System) -> None:
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    day = traffic.http.get("/api/v1/dashboard", headers=auth).json()
    assert day["series"]["step"] == "hour"
    week = traffic.http.get(
        "/api/v1/dashboard", params={"start_date": _yesterday()}, headers=auth
    ).json()
    assert week["series"]["step"] == "day"
    points = week["series"]["points"]
    assert sum(p["leads"] for p in points) == week["summary"]["leads"] > 0
    assert sum(p["revenue_cents"] for p in points) == week["summary"]["revenue_cents"]
    assert week["top"]["campaigns"][0]["revenue_cents"] == max(
        p["revenue_cents"] for p in week["top"]["campaigns"]
    )


def test_a_lead_record_shows_each_buyer_call_as_sent_and_answered(traffic: System) -> None:
    ping = traffic.ping("1000")  # alpha bids, hang times out
    sold = traffic.post(ping, [bid_of(ping, "alpha")], campaign="1000", phone="5125550177")
    timeline = traffic.lead(sold.json()["lead_id"])["timeline"]
    calls = {(c["step"], c["buyer_id"]): c for c in timeline}
    post = calls[("post", "alpha")]
    sent = json.loads(post["request"]["body"]["text"])
    assert sent["lead"]["phone"] == "5125550177"
    assert post["request"]["headers"]["Content-Type"] == "application/json"
    assert post["request"]["body"]["truncated"] is False
    assert json.loads(post["response"]["body"]["text"])["accepted"] is True
    assert post["response"]["headers"]
    bid = calls[("ping", "alpha")]
    assert json.loads(bid["response"]["body"]["text"])["bid"]["price"] == 40
    # The call cut off by the deadline: what was sent, and no answer.
    cut = calls[("ping", "hang")]
    assert cut["outcome"] == "timeout"
    assert json.loads(cut["request"]["body"]["text"])["ping_id"] == ping.json()["ping_id"]
    assert cut["response"] == {"headers": None, "body": None}


def _leads(system: System, **params: Any) -> httpx.Response:
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    return system.http.get("/api/v1/leads", params=params, headers=auth)


def test_the_lead_list_pages_through_every_lead_newest_first(traffic: System) -> None:
    want = [
        lead_id
        for (lead_id,) in traffic.query("SELECT id FROM leads ORDER BY created_at DESC, id DESC")
    ]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = _leads(traffic, **params).json()
        seen += [lead["lead_id"] for lead in page["leads"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == want
    exported = _leads(traffic, format="csv").text.strip().splitlines()
    assert exported[0].startswith("lead_id,ping_id,created_at")
    assert [line.split(",")[0] for line in exported[1:]] == want


def test_the_lead_list_filters_as_the_ledger_says(traffic: System) -> None:
    def ids(**params: Any) -> set[str]:
        response = _leads(traffic, limit=1000, **params)
        assert response.status_code == 200, response.text
        return {lead["lead_id"] for lead in response.json()["leads"]}

    def sql(statement: str, **params: Any) -> set[str]:
        return {row[0] for row in traffic.query(statement, **params)}

    assert ids(supplier="8") == sql("SELECT id FROM leads WHERE supplier_id = '8'")
    assert ids(campaign="100,1200") == sql(
        "SELECT id FROM leads WHERE campaign_id IN ('100', '1200')"
    )
    assert ids(buyer="alpha") == sql("SELECT lead_id FROM sales WHERE buyer_id = 'alpha'")
    assert ids(status="sold") == sql("SELECT id FROM leads WHERE status = 'sold'")
    assert ids(test="only") == sql("SELECT id FROM leads WHERE test = :yes", yes=True)
    assert ids(test="exclude", status="sold", supplier="7") == sql(
        "SELECT id FROM leads WHERE test = :no AND status = 'sold' AND supplier_id = '7'", no=False
    )
    ((lead_id, ping_id),) = traffic.query(
        "SELECT id, ping_id FROM leads WHERE ping_id IS NOT NULL ORDER BY id LIMIT 1"
    )
    assert ids(lead_id=lead_id) == ids(ping_id=ping_id) == {lead_id}
    dupes = sql("SELECT id FROM leads WHERE campaign_id = '1500'")
    assert len(dupes) == 2
    assert ids(phone="(512) 555-0199") == dupes
    assert ids(field_name="phone", field_value="512.555.0199") == dupes
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    assert ids(start_date=tomorrow, timezone="UTC") == set()
    bad = _leads(traffic, status="lost", cursor="nope", limit=0)
    assert bad.status_code == 400
    assert [e["field"] for e in bad.json()["errors"]] == ["status", "cursor", "limit"]


def test_traffic_after_a_zone_is_kept_lands_in_its_days(traffic: System) -> None:
    """The first report read in a zone fills that zone's own day rows; pings, leads and sales
    after it are added to them as to the finer tiers."""
    assert_reports_equal_the_ledger(traffic)
    kept = {row[0] for row in traffic.query("SELECT zone FROM report_zones")}
    assert kept == {"America/New_York", "Asia/Kolkata", "Asia/Kathmandu"}  # not UTC: its days
    drive(traffic)
    assert_reports_equal_the_ledger(traffic)
