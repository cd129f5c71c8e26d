"""The admin API through a real server, on both databases: every error in the envelope, and the
sales listing's filters and cursor (docs/supplier-api.md, "Admin API")."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.server import ADMIN_TOKEN
from tests.support.system import System

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _assert_envelope(response: httpx.Response, http_status: int, code: int) -> dict[str, Any]:
    assert response.status_code == http_status, response.text
    body: dict[str, Any] = response.json()
    assert "error" not in body
    assert (body["status"], body["code"], body["error_code"]) == ("ERROR", code, code)
    assert body["request_id"] is None
    return body


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/leads/l_x"),
        ("GET", "/api/v1/pings/p_x"),
        ("GET", "/api/v1/sales"),
        ("GET", "/api/v1/leads?field_name=phone&field_value=5125550142"),
        ("POST", "/api/v1/campaigns/1402/pause"),
        ("POST", "/api/v1/campaigns/1402/buyers/beta/pause"),
        ("POST", "/api/v1/campaigns/1402/suppliers/7/pause"),
    ],
)
def test_every_admin_route_refuses_without_the_token_in_the_envelope(
    sut: System, method: str, path: str
) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}):
        response = sut.http.request(method, path, headers=headers)
        body = _assert_envelope(response, 401, 1002)
        assert response.headers["www-authenticate"] == "Bearer"
        assert ADMIN_TOKEN not in response.text
        assert body["message"] == "a valid admin bearer token is required"


def test_unknown_things_are_404_in_the_envelope_and_named_once(sut: System) -> None:
    def admin(method: str, path: str) -> dict[str, Any]:
        return _assert_envelope(sut.http.request(method, path, headers=ADMIN), 404, 1030)

    assert admin("GET", "/api/v1/leads/l_nope")["message"] == "no lead l_nope"
    assert admin("GET", "/api/v1/pings/p_nope")["message"] == "no ping p_nope"
    assert admin("POST", "/api/v1/campaigns/999/pause")["message"] == "no campaign 999"
    assert admin("POST", "/api/v1/campaigns/999/buyers/beta/pause")["message"] == (
        "no campaign 999"
    )
    assert admin("POST", "/api/v1/campaigns/1402/buyers/nobody/pause")["message"] == (
        "no buyer nobody in campaign 1402"
    )
    assert admin("POST", "/api/v1/campaigns/1402/suppliers/77/resume")["message"] == (
        "no supplier 77 in campaign 1402"
    )


def test_malformed_admin_requests_are_400_and_name_the_parameter(sut: System) -> None:
    wrong = sut.http.get("/api/v1/sales", params={"status": "maybe"}, headers=ADMIN)
    body = _assert_envelope(wrong, 400, 1000)
    assert body["errors"] == [
        {"field": "status", "message": "must be one of pending, sold, rejected, error, unknown"}
    ]
    dates = sut.http.get(
        "/api/v1/sales",
        params={"since": "yesterday", "until": "2026-13-01", "cursor": "bogus"},
        headers=ADMIN,
    )
    body = _assert_envelope(dates, 400, 1000)
    assert [e["field"] for e in body["errors"]] == ["since", "until", "cursor"]
    limit = sut.http.get("/api/v1/sales", params={"limit": "0"}, headers=ADMIN)
    assert _assert_envelope(limit, 400, 1000)["errors"][0]["field"] == "limit"
    secret = "5125550142"
    search = sut.http.get("/api/v1/leads", params={"field_value": secret}, headers=ADMIN)
    body = _assert_envelope(search, 400, 1000)
    assert [e["field"] for e in body["errors"]] == ["field_name"]
    assert secret not in search.text
    action = sut.http.post("/api/v1/campaigns/1402/explode", headers=ADMIN)
    _assert_envelope(action, 400, 1000)
    _assert_envelope(sut.http.put("/api/v1/sales", headers=ADMIN), 405, 1000)


def _sales(sut: System, **params: str) -> dict[str, Any]:
    response = sut.http.get("/api/v1/sales", params=params, headers=ADMIN)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def _send_to_all(sut: System, leads: int) -> list[str]:
    """Leads of campaign 1202: each rejected by ``drej`` and sold to ``d1`` and ``d2``."""
    ids = []
    for _ in range(leads):
        body = sut.direct_post("1202").json()
        assert body["code"] == 0, body
        ids.append(body["lead_id"])
    return ids


def test_sales_default_to_every_status_and_filter_by_campaign_buyer_status_and_time(
    sut: System,
) -> None:
    started = datetime.now(UTC) - timedelta(milliseconds=1)
    since = started.isoformat()
    leads = set(_send_to_all(sut, 2))
    mine = _sales(sut, campaign="1202", since=since)
    assert mine["next_cursor"] is None
    assert {s["lead_id"] for s in mine["sales"]} == leads
    assert sorted((s["buyer_id"], s["status"]) for s in mine["sales"]) == sorted(
        [("drej", "rejected"), ("d1", "sold"), ("d2", "sold")] * 2
    )
    sold = _sales(sut, campaign="1202", since=since, status="sold")["sales"]
    assert sorted(s["buyer_id"] for s in sold) == ["d1", "d1", "d2", "d2"]
    by_buyer = _sales(sut, campaign="1202", since=since, buyer="drej")["sales"]
    assert [s["status"] for s in by_buyer] == ["rejected", "rejected"]
    assert _sales(sut, campaign="1201", since=since)["sales"] == []
    # ``until`` is exclusive; a bare date is a whole UTC day.
    assert _sales(sut, campaign="1202", since=since, until=since)["sales"] == []
    today, yesterday = started.date(), started.date() - timedelta(days=1)
    on_the_day = _sales(sut, campaign="1202", since=str(today), until=str(today))["sales"]
    assert leads <= {s["lead_id"] for s in on_the_day}
    assert _sales(sut, campaign="1202", since=since, until=str(yesterday))["sales"] == []
    # A time without a zone is UTC.
    naive = started.replace(tzinfo=None).isoformat()
    assert _sales(sut, campaign="1202", since=naive) == mine


def test_the_cursor_pages_through_every_sale_once_while_sales_are_added(sut: System) -> None:
    since = (datetime.now(UTC) - timedelta(milliseconds=1)).isoformat()
    _send_to_all(sut, 3)
    seen: list[dict[str, Any]] = []
    page = _sales(sut, campaign="1202", since=since, limit="2")
    added = False
    while True:
        seen.extend(page["sales"])
        assert len(page["sales"]) <= 2
        if not added:
            _send_to_all(sut, 2)  # recorded after the first page was read
            added = True
        if page["next_cursor"] is None:
            break
        page = _sales(sut, campaign="1202", since=since, limit="2", cursor=page["next_cursor"])
    everything = _sales(sut, campaign="1202", since=since, limit="1000")
    assert everything["next_cursor"] is None
    assert len(everything["sales"]) == 15
    assert seen == everything["sales"]
    started = [datetime.fromisoformat(s["created_at"]) for s in seen]
    assert started == sorted(started)
