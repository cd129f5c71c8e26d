"""POST through HTTP: consent, order, exactly-once selling, replays, expiry and the record."""

import asyncio
import json
import time
from typing import Any

import httpx
import pytest

from tests.support.system import KEY, System, bid_of


def test_post_sells_only_to_picked_bids_in_the_consumers_order(sut: System) -> None:
    ping = sut.ping()
    picked = [bid_of(ping, "beta"), bid_of(ping, "alpha")]
    response = sut.post(ping, picked, email="dana@example.com", unknown_key="kept")
    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["code"]) == ("ACCEPTED", 0)
    assert [b["buyer_id"] for b in data["sold_bids"]] == ["beta", "alpha"]
    assert data["payout"] == 63.0
    assert data["rejected_bids"] == []
    alpha = data["sold_bids"][1]
    assert alpha["bid_price"] == 36.0
    assert alpha["tcpa_entity_name"] == "Alpha Energy LLC"
    redirect = f"https://alpha.example/welcome?lead={data['lead_id']}"
    assert alpha["fields"] == {"redirect_url": redirect}
    # response_fields: from the first sold bid (beta has none) and a static value.
    assert "redirect_url" not in data
    assert data["thank_you_page"] == "https://supplier.example/thanks"
    assert data["meta"] == {
        "total_bids": 5,
        "consented_bids": 2,
        "sold_count": 2,
        "unknown_count": 0,
        "max_bid_price": 36.0,
        "execution_time_ms": data["meta"]["execution_time_ms"],
    }
    beta_post = sut.fleet.received("beta")[-1]
    alpha_post = sut.fleet.received("alpha")[-1]
    assert (beta_post.step, alpha_post.step) == ("post", "post")
    assert beta_post.received_at <= alpha_post.received_at
    for buyer in ("gamma", "rejecter", "dupe", "nobid", "cheap"):
        assert sut.posts_received(buyer) == []


def test_buyer_gets_native_post_with_its_own_consent(sut: System) -> None:
    ping = sut.ping()
    consent = {
        "tcpa_text": "I agree to be contacted by the companies I selected.",
        "ip_address": "203.0.113.7",
        "landing_page_url": "https://supplier.example/solar",
    }
    data = sut.post(ping, [bid_of(ping, "alpha")], **consent).json()
    (body,) = sut.posts_received("alpha")
    assert body["lead_id"] == data["lead_id"]
    assert body["ping_id"] == ping.json()["ping_id"]
    assert body["price"] == 40.0  # the buyer's own bid, not the supplier's price
    assert body["bid_id"] != bid_of(ping, "alpha")  # the buyer's token comes back to it
    assert body["bid_id"] not in ping.text
    assert body["lead"]["phone"] == "5125550142"
    assert "lp_key" not in body["lead"]
    block = body["consent"]
    assert block["tcpa_entity_name"] == "Alpha Energy LLC"
    assert block["consented_at"].endswith("Z")
    for key, value in consent.items():
        assert block[key] == value
    assert block["trustedform_cert_url"] is None


def test_consent_and_timeline_are_recorded(sut: System) -> None:
    ping = sut.ping()
    picked = [bid_of(ping, "rejecter"), bid_of(ping, "alpha")]
    data = sut.post(ping, picked, tcpa_text="Yes, contact me.", ip_address="198.51.100.4").json()
    lead = sut.lead(data["lead_id"])
    assert lead["status"] == "sold"
    assert lead["payout"] == 36.0
    consent = lead["consent"]
    assert [b["bid_id"] for b in consent["bids_picked"]] == picked
    assert [b["tcpa_entity_name"] for b in consent["bids_picked"]] == [
        "Rejecter LLC",
        "Alpha Energy LLC",
    ]
    assert len(consent["bids_shown"]) == 5
    assert consent["tcpa_text"] == "Yes, contact me."
    assert consent["ip_address"] == "198.51.100.4"
    assert [(s["buyer_id"], s["status"]) for s in lead["sales"]] == [
        ("rejecter", "rejected"),
        ("alpha", "sold"),
    ]
    steps = [(c["step"], c["buyer_id"], c["outcome"]) for c in lead["timeline"]]
    assert ("ping", "nobid", "no_bid") in steps
    assert steps[-2:] == [("post", "rejecter", "rejected"), ("post", "alpha", "accepted")]


def test_buyers_get_the_post_steps_validated_fields_only(sut: System) -> None:
    # roof_age is a ping-only field: not sent at the post step, and its raw re-send at POST
    # does not replace the ping's validated value on the lead. email is post-only: sent raw
    # at PING and absent at POST, it is never forwarded.
    ping = sut.ping(roof_age="12", email="not-validated")
    data = sut.post(ping, [bid_of(ping, "alpha")], roof_age="garbage").json()
    (body,) = sut.posts_received("alpha")
    assert set(body["lead"]) == {"zip_code", "state", "first_name", "phone"}
    fields = sut.lead(data["lead_id"])["fields"]
    assert fields["roof_age"] == 12
    assert fields["email"] == "not-validated"


def test_consent_evidence_must_be_text(sut: System) -> None:
    ping = sut.ping()
    response = sut.post(
        ping, [bid_of(ping, "alpha")], tcpa_text=["a", "b"], jornaya_leadid="x" * 201
    )
    assert response.status_code == 400
    errors = {e["field"] for e in response.json()["errors"]}
    assert errors == {"tcpa_text", "jornaya_leadid"}
    assert sut.posts_received("alpha") == []


def test_every_request_is_logged_without_the_key(sut: System) -> None:
    ping = sut.ping()
    retry = sut.post(ping, ["b_unknown"])
    post = sut.post(ping, [bid_of(ping, "alpha")])
    lead = sut.lead(post.json()["lead_id"])
    logged = [(r["endpoint"], r["code"], r["http_status"]) for r in lead["requests"]]
    assert logged == [("/ping", 0, 200), ("/post", 1013, 400), ("/post", 0, 200)]
    assert [r["request_id"] for r in lead["requests"]] == [
        ping.json()["request_id"],
        retry.json()["request_id"],
        post.json()["request_id"],
    ]
    assert all(r["duration_ms"] > 0 for r in lead["requests"])
    rows = sut.query(
        "SELECT request, response FROM requests WHERE id = :id", id=post.json()["request_id"]
    )
    request, response = rows[0]
    if isinstance(request, str):  # SQLite hands JSON back as text through a raw query
        request, response = json.loads(request), json.loads(response)
    assert "lp_key" not in request
    assert request["lp_ping_id"] == ping.json()["ping_id"]
    assert response["lead_id"] == post.json()["lead_id"]


def test_unknown_keys_stay_with_the_lead(sut: System) -> None:
    ping = sut.ping(utm_source="spring-campaign")
    data = sut.post(ping, [bid_of(ping, "alpha")], unknown_key="kept").json()
    fields = sut.lead(data["lead_id"])["fields"]
    assert fields["utm_source"] == "spring-campaign"
    assert fields["unknown_key"] == "kept"
    assert "lp_key" not in fields


def test_comma_separated_consent(sut: System) -> None:
    ping = sut.ping()
    picked = f"{bid_of(ping, 'gamma')}, {bid_of(ping, 'beta')}"
    data = sut.post(ping, picked).json()
    assert [b["buyer_id"] for b in data["sold_bids"]] == ["gamma", "beta"]


def test_form_encoded_post(sut: System) -> None:
    ping = sut.ping()
    form = {
        "lp_campaign_id": "100",
        "lp_supplier_id": "7",
        "lp_key": KEY,
        "lp_ping_id": ping.json()["ping_id"],
        "lp_consent_bids": bid_of(ping, "beta"),
        "zip_code": "78701",
        "state": "TX",
        "first_name": "Dana",
        "phone": "512-555-0142",
    }
    data = sut.http.post("/post", data=form).json()
    assert [b["buyer_id"] for b in data["sold_bids"]] == ["beta"]


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        ([], "empty"),
        ("", "empty"),
        (["b_not_offered"], "not offered"),
        ("repeat", "repeated"),
        ("other_ping", "not offered"),
    ],
)
def test_invalid_selection_calls_no_buyer_and_keeps_the_ping(
    sut: System, selection: Any, message: str
) -> None:
    ping = sut.ping()
    alpha = bid_of(ping, "alpha")
    if selection == "repeat":
        selection = [alpha, bid_of(ping, "beta"), alpha]
    elif selection == "other_ping":
        selection = [bid_of(sut.ping(), "alpha")]
    response = sut.post(ping, selection)
    assert response.status_code == 400
    data = response.json()
    assert (data["status"], data["code"]) == ("ERROR", 1013)
    assert message in data["message"]
    assert sut.posts_received("alpha") == []
    retry = sut.post(ping, [alpha])
    assert retry.json()["code"] == 0


def test_post_field_errors_come_before_any_sale(sut: System) -> None:
    ping = sut.ping()
    response = sut.post(ping, [bid_of(ping, "alpha")], phone="12", first_name="", state="ZZ")
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == 1004
    assert [e["field"] for e in data["errors"]] == ["state", "first_name", "phone"]
    assert sut.posts_received("alpha") == []
    assert sut.post(ping, [bid_of(ping, "alpha")]).json()["code"] == 0


def test_missing_post_parameters(sut: System) -> None:
    ping = sut.ping()
    body = {"lp_campaign_id": "100", "lp_supplier_id": "7", "lp_key": KEY}
    no_ping = sut.http.post("/post", json=body)
    assert (no_ping.status_code, no_ping.json()["code"]) == (400, 1001)
    assert "lp_ping_id" in no_ping.json()["message"]
    no_bids = sut.http.post("/post", json={**body, "lp_ping_id": ping.json()["ping_id"]})
    assert (no_bids.status_code, no_bids.json()["code"]) == (400, 1001)
    assert "lp_consent_bids" in no_bids.json()["message"]


def test_rejections_duplicates_and_nothing_sold(sut: System) -> None:
    ping = sut.ping()
    response = sut.post(ping, [bid_of(ping, "rejecter"), bid_of(ping, "dupe")])
    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["code"]) == ("ERROR", 2002)
    assert data["sold_bids"] == []
    assert data["payout"] == 0.0
    assert [(b["buyer_id"], b["reason"]) for b in data["rejected_bids"]] == [
        ("rejecter", "rejected by buyer: rejected by simulation"),
        ("dupe", "rejected by buyer: duplicate"),
    ]
    assert data["meta"]["sold_count"] == 0
    assert sut.lead(data["lead_id"])["status"] == "not_sold"


def test_post_faults_are_unknown_or_rejected_with_reasons(sut: System) -> None:
    ping = sut.ping(campaign="500")
    picked = [b["bid_id"] for b in ping.json()["bids"]]
    assert [b["buyer_id"] for b in ping.json()["bids"]] == [
        "posthang",
        "postreset",
        "post500",
        "alpha",
    ]
    started = time.monotonic()
    data = sut.post(ping, picked, campaign="500").json()
    assert time.monotonic() - started < 10  # the hanging buyer is cut at its post timeout
    assert [b["buyer_id"] for b in data["sold_bids"]] == ["alpha"]
    # A hang or a reset may have reached the buyer: unknown, never rejected. A 500 is an answer.
    unknown = {b["buyer_id"]: b["reason"] for b in data["unknown_bids"]}
    assert unknown == {
        "posthang": "unknown: buyer timeout: no answer in 400 ms",
        "postreset": "unknown: buyer error: connection reset by buyer",
    }
    reasons = {b["buyer_id"]: b["reason"] for b in data["rejected_bids"]}
    assert reasons == {"post500": "buyer error: HTTP 500"}
    sales = {s["buyer_id"]: s["status"] for s in sut.lead(data["lead_id"])["sales"]}
    assert sales == {
        "posthang": "unknown",
        "postreset": "unknown",
        "post500": "error",
        "alpha": "sold",
    }


def test_max_sales_dedupe_and_max_bids(sut: System) -> None:
    ping = sut.ping(campaign="300")
    bids = ping.json()["bids"]
    # gamma shares alpha's entity (case-insensitively) and bids less: deduped; cut to 3.
    assert [b["buyer_id"] for b in bids] == ["alpha", "rejecter", "dupe"]
    picked = [bid_of(ping, "rejecter"), bid_of(ping, "alpha"), bid_of(ping, "dupe")]
    data = sut.post(ping, picked, campaign="300").json()
    assert [b["buyer_id"] for b in data["sold_bids"]] == ["alpha"]
    assert [(b["buyer_id"], b["reason"]) for b in data["rejected_bids"]] == [
        ("rejecter", "rejected by buyer: rejected by simulation"),
        ("dupe", "max_sales reached"),
    ]
    assert sut.posts_received("dupe") == []


def test_replayed_post_returns_the_stored_outcome_and_calls_no_buyer(sut: System) -> None:
    ping = sut.ping()
    picked = [bid_of(ping, "alpha")]
    first = sut.post(ping, picked)
    assert "idempotent-replay" not in first.headers
    again = sut.post(ping, [bid_of(ping, "beta")])
    assert again.headers["idempotent-replay"] == "true"
    a, b = first.json(), again.json()
    assert b["lead_id"] == a["lead_id"]
    assert b["sold_bids"] == a["sold_bids"]
    assert b["payout"] == a["payout"]
    assert len(sut.posts_received("alpha")) == 1
    assert sut.posts_received("beta") == []


def test_expired_and_unknown_pings(sut: System) -> None:
    ping = sut.ping(campaign="400")
    assert ping.json()["code"] == 0
    time.sleep(1.5)  # the campaign's ping_ttl_s is 1
    expired = sut.post(ping, [bid_of(ping, "alpha")], campaign="400")
    assert (expired.status_code, expired.json()["code"]) == (410, 1011)
    unknown = sut.post("p_doesnotexist", ["b_x"], campaign="400")
    assert (unknown.status_code, unknown.json()["code"]) == (404, 1010)
    assert sut.posts_received("alpha") == []


def test_ping_of_another_supplier_is_unknown(sut: System) -> None:
    ping = sut.ping(supplier="8")
    response = sut.post(ping, [bid_of(ping, "alpha")], supplier="7")
    assert (response.status_code, response.json()["code"]) == (404, 1010)
    assert sut.post(ping, [bid_of(ping, "alpha")], supplier="8").json()["code"] == 0
    replay_by_other = sut.post(ping, [bid_of(ping, "alpha")], supplier="7")
    assert replay_by_other.json()["code"] == 1010


def test_test_mode_reaches_buyers_and_marks_the_lead(sut: System) -> None:
    ping = sut.ping(lp_action="test")
    data = sut.post(ping, [bid_of(ping, "alpha")]).json()
    (ping_request,) = [r for r in sut.fleet.received("alpha") if r.step == "ping"]
    assert ping_request.body["test"] is True  # type: ignore[index]
    assert sut.posts_received("alpha")[0]["test"] is True
    assert sut.lead(data["lead_id"])["test"] is True


def test_concurrent_posts_sell_once(sut: System) -> None:
    ping = sut.ping()
    picked = [bid_of(ping, "alpha"), bid_of(ping, "beta"), bid_of(ping, "gamma")]
    body = {
        "lp_campaign_id": "100",
        "lp_supplier_id": "7",
        "lp_key": KEY,
        "lp_ping_id": ping.json()["ping_id"],
        "lp_consent_bids": picked,
        "zip_code": "78701",
        "state": "TX",
        "first_name": "Dana",
        "phone": "5125550142",
    }

    async def race() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=sut.server.base_url, timeout=60) as client:
            return await asyncio.gather(*(client.post("/post", json=body) for _ in range(12)))

    responses = asyncio.run(race())
    assert {r.status_code for r in responses} == {200}
    lead_ids = {r.json()["lead_id"] for r in responses}
    assert len(lead_ids) == 1
    assert sum(1 for r in responses if "idempotent-replay" not in r.headers) == 1
    assert all(len(r.json()["sold_bids"]) == 3 for r in responses)
    for buyer in ("alpha", "beta", "gamma"):
        assert len(sut.posts_received(buyer)) == 1
    rows = sut.query(
        "SELECT buyer_id, COUNT(*) FROM sales WHERE lead_id = :lead GROUP BY buyer_id",
        lead=lead_ids.pop(),
    )
    assert sorted((r[0], r[1]) for r in rows) == [("alpha", 1), ("beta", 1), ("gamma", 1)]
    leads = sut.query("SELECT COUNT(*) FROM leads WHERE ping_id = :p", p=ping.json()["ping_id"])
    assert leads[0][0] == 1


def test_admin_api_needs_the_token(sut: System) -> None:
    assert sut.http.get("/api/v1/leads/l_x").status_code == 401
    wrong = sut.http.get("/api/v1/leads/l_x", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    missing = sut.http.get(
        "/api/v1/leads/l_x", headers={"Authorization": "Bearer test-admin-token-not-a-secret"}
    )
    assert missing.status_code == 404


def test_buyer_text_no_database_stores_is_cleaned(sut: System) -> None:
    ping = sut.ping(campaign="900")
    assert ping.status_code == 200
    bids = {b["buyer_id"]: b for b in ping.json()["bids"]}
    assert bids["nulreject"]["tcpa_entity_name"] == "Nul Reject LLC"
    assert bids["nulfields"]["additional_data"]["display_name"] == "NulFields"
    response = sut.post(ping, [bids["nulreject"]["bid_id"], bids["nulfields"]["bid_id"]],
                        campaign="900")  # fmt: skip
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["rejected_bids"][0]["reason"] == "rejected by buyer: duplicate"
    redirect = data["sold_bids"][0]["fields"]["redirect_url"]
    assert redirect == f"https://nul.example/{data['lead_id']}"
    lead = sut.lead(data["lead_id"])
    assert [s["status"] for s in lead["sales"]] == ["rejected", "sold"]
