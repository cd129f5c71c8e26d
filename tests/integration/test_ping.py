"""PING through HTTP: shaping, what buyers receive, faults and the deadline."""

import time

from tests.support.server import ADMIN_TOKEN
from tests.support.system import System


def test_ping_returns_every_bid_shaped_and_sorted(sut: System) -> None:
    response = sut.ping()
    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["code"], data["message"]) == ("ACCEPTED", 0, "")
    assert data["request_id"].startswith("r_")
    assert data["ping_id"].startswith("p_")
    assert data["expires_at"].endswith("Z")
    # 10% margin; "cheap" (3.00) is under min_bid; "nobid" does not bid.
    assert [(b["buyer_id"], b["bid_price"]) for b in data["bids"]] == [
        ("alpha", 36.0),
        ("rejecter", 31.5),
        ("dupe", 29.7),
        ("beta", 27.0),
        ("gamma", 22.5),
    ]
    alpha = data["bids"][0]
    assert alpha["tcpa_entity_name"] == "Alpha Energy LLC"
    assert alpha["additional_data"] == {"display_name": "Alpha"}
    assert set(alpha) == {"bid_id", "buyer_id", "bid_price", "tcpa_entity_name", "additional_data"}
    ids = [b["bid_id"] for b in data["bids"]]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("b_") and len(i) >= 20 for i in ids)
    assert data["meta"]["buyers_pinged"] == 7
    assert data["meta"]["total_bids"] == 5
    assert data["meta"]["max_bid_price"] == 36.0
    assert isinstance(data["meta"]["execution_time_ms"], int)


def test_ping_forwards_only_ping_fields(sut: System) -> None:
    sut.ping(
        phone="5125550142",
        email="dana@example.com",
        first_name="Dana",
        secret_extra="keep me here",
        home_owner="Yes",
    )
    (received,) = [r for r in sut.fleet.received("beta") if r.step == "ping"]
    body = received.body
    assert isinstance(body, dict)
    assert body["lead"] == {"zip_code": "78701", "state": "TX", "home_owner": "yes"}
    assert body["campaign_id"] == "100"
    assert body["test"] is False
    tmax = int(received.headers["x-pickpost-tmax-ms"])
    assert body["tmax_ms"] == tmax
    assert 0 < tmax <= 1500


def test_ping_accepts_form_encoding_and_query_parameters(sut: System) -> None:
    response = sut.http.post(
        "/ping?lp_campaign_id=100&state=CA",
        data={"lp_supplier_id": "7", "lp_key": "test-supplier-key-not-secret",
              "zip_code": "78701", "state": "TX"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ACCEPTED"
    (received,) = [r for r in sut.fleet.received("alpha") if r.step == "ping"]
    assert received.body["lead"]["state"] == "TX"  # type: ignore[index]


def test_ping_names_every_invalid_field(sut: System) -> None:
    response = sut.ping(zip_code="7870", state="XX", home_owner="maybe")
    assert response.status_code == 400
    data = response.json()
    assert (data["status"], data["code"]) == ("ERROR", 1004)
    assert [e["field"] for e in data["errors"]] == ["zip_code", "state", "home_owner"]
    assert "zip_code" in data["message"]
    assert "home_owner" in data["message"]
    assert sut.fleet.received("alpha") == []


def test_missing_ping_field_is_required(sut: System) -> None:
    response = sut.http.post(
        "/ping",
        json={"lp_campaign_id": "100", "lp_supplier_id": "7",
              "lp_key": "test-supplier-key-not-secret", "zip_code": "78701"},
    )  # fmt: skip
    assert response.json()["errors"] == [{"field": "state", "message": "is required"}]


def test_buyer_faults_are_recorded_and_never_hold_the_ping(sut: System) -> None:
    started = time.monotonic()
    response = sut.ping(campaign="200")
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    data = response.json()
    assert [b["buyer_id"] for b in data["bids"]] == ["alpha"]
    assert data["meta"]["buyers_pinged"] == 5
    # The hanging buyer would hold the request for an hour and its own timeout is 2000 ms:
    # the campaign's 500 ms deadline is what ends the auction.
    assert data["meta"]["execution_time_ms"] < 1000
    assert elapsed < 2
    post = sut.post(response, [data["bids"][0]["bid_id"]], campaign="200").json()
    timeline = {c["buyer_id"]: c for c in sut.lead(post["lead_id"])["timeline"]
                if c["step"] == "ping"}  # fmt: skip
    assert timeline["alpha"]["outcome"] == "bid"
    assert timeline["hang"]["outcome"] == "timeout"
    assert (timeline["err500"]["outcome"], timeline["err500"]["status_code"]) == ("error", 500)
    assert timeline["err500"]["reason"] == "HTTP 500"
    assert timeline["garbage"]["outcome"] == "error"
    assert timeline["garbage"]["reason"] == "response is not JSON"
    assert timeline["reset"]["outcome"] == "error"
    assert "connection" in timeline["reset"]["reason"]


def test_each_buyer_is_cut_at_its_own_timeout(sut: System) -> None:
    ping = sut.ping(campaign="1000")
    data = ping.json()
    assert [b["buyer_id"] for b in data["bids"]] == ["alpha"]
    # The hanging buyer's 200 ms timeout ends the wait, long before the 1500 ms deadline.
    assert data["meta"]["execution_time_ms"] < 1000
    (hang,) = [r for r in sut.fleet.received("hang") if r.step == "ping"]
    assert hang.headers["x-pickpost-tmax-ms"] == "200"
    response = sut.http.get(
        f"/api/v1/pings/{data['ping_id']}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    calls = {c["buyer_id"]: c for c in response.json()["timeline"]}
    assert (calls["hang"]["outcome"], calls["hang"]["reason"]) == ("timeout", "no answer in 200 ms")


def test_no_bids_is_an_error_with_ping_id_and_meta(sut: System) -> None:
    response = sut.ping(campaign="800")
    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["code"]) == ("ERROR", 2001)
    assert data["ping_id"].startswith("p_")
    assert data["bids"] == []
    assert data["meta"]["buyers_pinged"] == 2
    assert data["meta"]["total_bids"] == 0
    assert data["meta"]["max_bid_price"] is None


def test_admin_ping_view_shows_this_auction_only(sut: System) -> None:
    sut.ping()  # another ping's calls must not show up below
    ping = sut.ping(secret_extra="kept")
    response = sut.http.get(
        f"/api/v1/pings/{ping.json()['ping_id']}",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert response.status_code == 200
    view = response.json()
    assert view["lead_id"] is None
    assert view["lead"]["secret_extra"] == "kept"
    assert "lp_key" not in view["lead"]
    assert [b["bid_id"] for b in view["bids"]] == [b["bid_id"] for b in ping.json()["bids"]]
    assert sorted(c["buyer_id"] for c in view["timeline"]) == sorted(
        ["alpha", "beta", "gamma", "cheap", "nobid", "rejecter", "dupe"]
    )
    assert [r["request_id"] for r in view["requests"]] == [ping.json()["request_id"]]
    missing = sut.http.get(
        "/api/v1/pings/p_nope", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert missing.status_code == 404
