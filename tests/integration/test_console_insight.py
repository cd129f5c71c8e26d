"""The console's dashboard, reports, campaign, buyer and supplier pages over real HTTP, on
SQLite and PostgreSQL, after real traffic: the pages show the numbers the data API answers,
the report's CSV is the API's, pause and resume are operators' (with the form's CSRF token)
and audited, and a supplier user sees its own numbers only."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.console import (
    add_user,
    close_browsers,
    csrf_of,
    post_form,
    signed_in,
    token_of,
)
from tests.support.fleet import ThreadedFleet
from tests.support.ledger import drive
from tests.support.server import ADMIN_TOKEN
from tests.support.system import KEY, System, running_system
from tests.support.waiting import eventually

_TILE = re.compile(r'data-metric="(\w+)" data-value="([^"]*)"')
_TOTAL = re.compile(r'data-total="(\w+)">([^<]*)<')


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def traffic(
    request: pytest.FixtureRequest, fleet: ThreadedFleet, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    """A fresh server that has served a day's mix of traffic."""
    directory: Path = tmp_path_factory.mktemp(f"console-{request.param}")
    with running_system(request.param, fleet, directory) as system:
        drive(system)
        yield system


@pytest.fixture(autouse=True)
def _browsers_closed() -> Iterator[None]:
    yield
    close_browsers()


def _api(sut: System, path: str, token: str, **params: str) -> dict[str, Any]:
    answer = sut.http.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _tiles(page: httpx.Response) -> dict[str, str]:
    assert page.status_code == 200, page.text
    return dict(_TILE.findall(page.text))


def _shown(value: object) -> str:
    return "" if value is None else str(value)


def _days_back(days: int) -> tuple[str, str]:
    today = datetime.now(UTC).date()  # the users here keep UTC, the default time zone
    return (today - timedelta(days=days - 1)).isoformat(), today.isoformat()


@pytest.mark.parametrize(("chosen", "days"), [("today", 1), ("7d", 7), ("30d", 30)])
def test_the_dashboard_shows_the_numbers_of_the_dashboard_api(
    traffic: System, chosen: str, days: int
) -> None:
    name = add_user(traffic, "analyst")
    client = signed_in(traffic, name)
    page = client.get("/console", params={"range": chosen})
    tiles = _tiles(page)
    start, end = _days_back(days)
    summary = _api(traffic, "/api/v1/dashboard", token_of(traffic, name), start_date=start,
                   end_date=end)["summary"]  # fmt: skip
    assert len(tiles) == 12
    assert tiles == {metric: _shown(summary[metric]) for metric in tiles}
    assert int(tiles["leads"]) > 0
    assert int(tiles["revenue_cents"]) > 0
    assert page.text.count('<svg class="chart"') == 2
    assert "Show as table" in page.text
    assert 'href="/console/campaigns/100"' in page.text  # a top campaign links to its page


def test_a_custom_range_is_the_apis_and_a_bad_one_is_named(traffic: System) -> None:
    name = add_user(traffic, "admin")
    client = signed_in(traffic, name)
    start, end = _days_back(3)
    tiles = _tiles(client.get("/console", params={"range": "custom", "from": start, "to": end}))
    summary = _api(traffic, "/api/v1/dashboard", ADMIN_TOKEN, start_date=start, end_date=end)
    assert tiles["profit_cents"] == str(summary["summary"]["profit_cents"])
    wrong = client.get("/console", params={"range": "custom", "from": end, "to": start})
    assert wrong.status_code == 400
    assert "end_date: must not be before start_date" in wrong.text


def test_a_supplier_user_sees_only_its_own_numbers(traffic: System) -> None:
    name = add_user(traffic, "supplier", scope="8")
    client = signed_in(traffic, name)
    page = client.get("/console", params={"range": "7d"})
    tiles = _tiles(page)
    start, end = _days_back(7)
    own = _api(traffic, "/api/v1/dashboard", ADMIN_TOKEN, start_date=start, end_date=end,
               supplier="8")["summary"]  # fmt: skip
    everyone = _api(traffic, "/api/v1/dashboard", ADMIN_TOKEN, start_date=start, end_date=end)
    assert tiles == {metric: _shown(own[metric]) for metric in tiles}
    assert 0 < int(tiles["leads"]) < everyone["summary"]["leads"]
    assert (
        'href="/console/campaigns/' not in page.text
    )  # its tops are not links to pages it may not open
    # Its reports are its own too, whatever it asks for.
    report = client.get("/console/reports", params={"group": "supplier", "supplier": "7"})
    assert report.status_code == 200
    assert dict(_TOTAL.findall(report.text))["leads"] == "0"
    assert client.get("/console/campaigns").status_code == 403
    assert client.get("/console/suppliers/8").status_code == 403
    # Over the API too: its payouts, never what buyers paid nor the margin.
    token = token_of(traffic, name)
    api = _api(traffic, "/api/v1/dashboard", token, start_date=start, end_date=end)["summary"]
    assert api["cost_cents"] == own["cost_cents"] > 0
    assert "revenue_cents" not in api
    assert "profit_cents" not in api
    csv_head = traffic.http.get(
        "/api/v1/reports",
        params={"start_date": start, "end_date": end, "format": "csv"},
        headers={"Authorization": f"Bearer {token}"},
    ).text.splitlines()[0]
    assert "cost_cents" in csv_head
    assert "revenue_cents" not in csv_head


def test_a_buyer_user_sees_what_it_was_offered_and_bought(traffic: System) -> None:
    client = signed_in(traffic, add_user(traffic, "buyer", scope="alpha"))
    page = client.get("/console", params={"range": "7d"})
    tiles = _tiles(page)
    start, end = _days_back(7)
    own = _api(traffic, "/api/v1/dashboard", ADMIN_TOKEN, start_date=start, end_date=end,
               buyer="alpha")["summary"]  # fmt: skip
    assert set(tiles) == {"buyer_pings", "bids", "average_bid_cents", "sales", "revenue_cents",
                          "returns", "net_revenue_cents"}  # fmt: skip
    assert tiles == {metric: _shown(own[metric]) for metric in tiles}
    assert int(tiles["sales"]) > 0
    # Not the exchange's margin: no cost or profit on its pages.
    report = client.get("/console/reports", params={"group": "campaign"})
    for shown in (page.text, report.text):
        assert "Profit" not in shown
        assert "Cost" not in shown


def test_a_report_groups_by_two_and_its_csv_is_the_apis(traffic: System) -> None:
    name = add_user(traffic, "analyst")
    client = signed_in(traffic, name)
    start, end = _days_back(2)
    params = {"group": "campaign", "then": "buyer", "from": start, "to": end, "test": "include"}
    page = client.get("/console/reports", params=params)
    assert page.status_code == 200, page.text
    api = _api(traffic, "/api/v1/reports", ADMIN_TOKEN, start_date=start, end_date=end,
               group_by="campaign,buyer", test="include")  # fmt: skip
    totals = dict(_TOTAL.findall(page.text))
    assert totals["leads"] == f"{api['totals']['leads']:,}"
    cents = api["totals"]["revenue_cents"]
    assert totals["revenue_cents"] == f"${cents // 100:,}.{cents % 100:02d}"
    assert page.text.count("<tr>") == len(api["rows"]) + 1  # a row per group, and the header
    link = re.search(r'href="(/console/reports\.csv\?[^"]+)"', page.text)
    assert link is not None
    download = client.get(link.group(1).replace("&amp;", "&"))
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    same = traffic.http.get(
        "/api/v1/reports",
        params={"start_date": start, "end_date": end, "group_by": "campaign,buyer",
                "test": "include", "format": "csv"},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )  # fmt: skip
    assert download.text == same.text
    assert download.text.splitlines()[0].startswith("campaign,buyer,pings,")
    # Without a session, the CSV is not served.
    assert traffic.http.get(link.group(1).replace("&amp;", "&")).status_code == 303


def _audited(sut: System, action: str, actor: str) -> list[tuple[Any, ...]]:
    return sut.query(
        "SELECT target, after FROM audit_log WHERE action = :a AND actor = :who ORDER BY id",
        a=action,
        who=actor,
    )


def _status_shown(client: httpx.Client, path: str, status: str) -> bool:
    """Whether the page's heading shows ``status``."""
    return f"status-{status}" in client.get(path).text.split("</h1>")[0]


def test_an_operator_pauses_and_resumes_a_campaign_from_its_page(traffic: System) -> None:
    name = add_user(traffic, "admin")
    client = signed_in(traffic, name)
    page = "/console/campaigns/1205"
    shown = client.get(page)
    assert "Pause campaign" in shown.text
    paused = post_form(client, page, f"{page}/pause")
    assert (paused.status_code, paused.headers["location"]) == (303, f"{page}?done=paused")
    assert eventually(lambda: _status_shown(client, page, "paused"))
    refused = traffic.direct_post("1205")
    assert refused.json()["message"] == "campaign is paused"
    assert _audited(traffic, "pause", name)[-1][0] == "campaign 1205"
    resumed = post_form(client, page, f"{page}/resume")
    assert resumed.status_code == 303
    assert eventually(lambda: _status_shown(client, page, "live"))
    assert _audited(traffic, "resume", name)[-1][0] == "campaign 1205"


def test_an_operator_pauses_a_buyer_in_one_campaign_from_the_buyers_page(traffic: System) -> None:
    name = add_user(traffic, "owner")
    client = signed_in(traffic, name)
    page = "/console/buyers/beta"
    assert client.get(page).status_code == 200
    action = "/console/campaigns/100/buyers/beta/pause"
    shown = client.get(page)
    assert f'action="{action}"' in shown.text
    answer = client.post(action, data={"csrf": csrf_of(shown), "back": "buyer"})
    assert (answer.status_code, answer.headers["location"]) == (303, f"{page}?done=paused")
    assert _audited(traffic, "pause", name)[-1][0] == "campaign 100/buyer beta"
    resume = "/console/campaigns/100/buyers/beta/resume"
    assert eventually(lambda: f'action="{resume}"' in client.get(page).text)
    again = post_form(client, page, resume, back="buyer")
    assert again.status_code == 303
    assert eventually(lambda: f'action="{action}"' in client.get(page).text)


def test_an_analyst_sees_no_switch_and_forged_posts_are_refused(traffic: System) -> None:
    analyst = signed_in(traffic, add_user(traffic, "analyst"))
    shown = analyst.get("/console/campaigns/100")
    assert shown.status_code == 200
    assert "Pause campaign" not in shown.text
    assert "/pause" not in shown.text
    as_analyst = analyst.post("/console/campaigns/100/pause", data={"csrf": csrf_of(shown)})
    assert as_analyst.status_code == 403
    admin = signed_in(traffic, add_user(traffic, "admin"))
    admin.get("/console/campaigns/100")
    without_token = admin.post("/console/campaigns/100/pause", data={})
    wrong_token = admin.post("/console/campaigns/100/pause", data={"csrf": "forged"})
    assert (without_token.status_code, wrong_token.status_code) == (403, 403)
    (doc,) = traffic.query("SELECT doc FROM campaigns WHERE id = '100'")[0]
    assert '"paused": true' not in str(doc).lower().replace("'", '"').replace("True", "true")
    assert traffic.ping("100").json()["code"] == 0  # still served


def test_the_campaign_buyer_and_supplier_pages_show_config_health_and_caps(
    traffic: System,
) -> None:
    client = signed_in(traffic, add_user(traffic, "analyst"))
    campaign = client.get("/console/campaigns/100")
    assert campaign.status_code == 200
    for text in ("Configuration", "Live health", "pickpost load", "alpha", "rejecter"):
        assert text in campaign.text
    assert KEY not in campaign.text
    assert "key_sha256: ••••" in campaign.text
    capped = client.get("/console/buyers/d1")  # capped at one lead in total in campaign 1600
    assert capped.status_code == 200
    assert "leads per total" in capped.text
    assert "Last hour" in capped.text
    buyer = client.get("/console/buyers/alpha")
    assert re.search(r"Last hour</th>\s*<td class=\"num\">[1-9]", buyer.text), buyer.text
    supplier = client.get("/console/suppliers/7")
    assert supplier.status_code == 200
    assert "/specs/7?key=" in supplier.text
    assert KEY not in supplier.text
    for listing in ("/console/campaigns", "/console/buyers", "/console/suppliers"):
        listed = client.get(listing)
        assert listed.status_code == 200
        assert "status-live" in listed.text
    assert client.get("/console/campaigns/nope").status_code == 404
    assert client.get("/console/buyers/nobody").status_code == 404
