"""Eligibility and protection end to end: filters, schedules, caps under concurrency,
duplicate checks and test mode, on both databases."""

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.support.server import ADMIN_TOKEN
from tests.support.system import System, bid_of
from tests.support.waiting import eventually


def ping_view(sut: System, ping_id: str) -> dict[str, object]:
    response = sut.http.get(
        f"/api/v1/pings/{ping_id}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert response.status_code == 200, response.text
    data: dict[str, object] = response.json()
    return data


def skipped(view: dict[str, object]) -> dict[str, str]:
    timeline = view["timeline"]
    assert isinstance(timeline, list)
    return {c["buyer_id"]: c["reason"] for c in timeline if c["outcome"] == "skipped"}


def sold_to(sut: System, lead_id: str) -> list[str]:
    return [s["buyer_id"] for s in sut.lead(lead_id)["sales"] if s["status"] == "sold"]


def concurrently(count: int, call: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(call, range(count)))


# --- filters ------------------------------------------------------------------------------------


def test_campaign_filter_refuses_with_1005_naming_the_field(sut: System) -> None:
    response = sut.ping("1400", state="NY")
    body = response.json()
    assert (response.status_code, body["status"], body["code"]) == (200, "ERROR", 1005)
    assert "state" in body["message"]
    assert [e["field"] for e in body["errors"]] == ["state"]
    assert sut.fleet.received("alpha") == []  # no buyer was asked


def test_supplier_filter_refuses_with_1005(sut: System) -> None:
    body = sut.ping("1400", home_owner="no").json()
    assert (body["code"], [e["field"] for e in body["errors"]]) == (1005, ["home_owner"])
    assert sut.ping("1400", supplier="8", home_owner="no").json()["code"] == 0  # 8 has none


def test_buyer_filters_leave_only_that_buyer_out(sut: System) -> None:
    ping = sut.ping("1400", zip_code="90210", state="CA", roof_age=12)
    assert [b["buyer_id"] for b in ping.json()["bids"]] == ["alpha"]
    assert skipped(ping_view(sut, ping.json()["ping_id"])) == {"beta": "filtered: zip_code"}
    old_roof = sut.ping("1400", zip_code="78701", state="TX", roof_age=35)
    assert [b["buyer_id"] for b in old_roof.json()["bids"]] == ["beta"]


def test_a_filter_on_a_field_not_sent_at_the_ping_waits_for_the_post(sut: System) -> None:
    # alpha's roof_age filter: the ping has no roof_age, so alpha bids.
    ping = sut.ping("1400", zip_code="78701", state="TX")
    assert {b["buyer_id"] for b in ping.json()["bids"]} == {"alpha", "beta"}


# --- schedules ----------------------------------------------------------------------------------


def test_a_closed_buyer_is_not_pinged(sut: System) -> None:
    ping = sut.ping("1401")
    assert [b["buyer_id"] for b in ping.json()["bids"]] == ["beta"]
    assert skipped(ping_view(sut, ping.json()["ping_id"])) == {
        "alpha": "outside the buyer's schedule"
    }
    assert sut.received("alpha", "ping") == []


def test_operators_pause_and_resume_a_buyer_without_a_restart(sut: System) -> None:
    def switch(action: str) -> httpx.Response:
        return sut.http.post(
            f"/api/v1/campaigns/1402/buyers/beta/{action}",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )

    def bidders() -> set[str]:
        return {b["buyer_id"] for b in sut.ping("1402").json()["bids"]}

    assert bidders() == {"alpha", "beta"}
    paused = switch("pause")
    assert (paused.status_code, paused.json()) == (
        200,
        {"campaign_id": "1402", "buyer": "beta", "paused": True},
    )
    assert eventually(lambda: bidders() == {"alpha"})
    assert switch("resume").json()["paused"] is False
    assert eventually(lambda: bidders() == {"alpha", "beta"})
    missing = sut.http.post(
        "/api/v1/campaigns/1402/buyers/nobody/pause",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert missing.status_code == 404
    assert sut.http.post("/api/v1/campaigns/1402/buyers/beta/pause").status_code == 401


# --- caps ---------------------------------------------------------------------------------------


def test_a_buyer_lead_cap_holds_under_concurrent_direct_posts(sut: System) -> None:
    before = sut.query(
        "SELECT count(*) FROM sales WHERE buyer_id = 'd1' AND status = 'sold' "
        "AND lead_id IN (SELECT id FROM leads WHERE campaign_id = '1300')"
    )[0][0]
    assert before == 0
    replies = concurrently(8, lambda _: sut.direct_post("1300"))
    codes = Counter(r.json()["code"] for r in replies)
    assert codes[0] == 3  # d1's daily cap
    assert codes[0] + codes[2001] + codes[2002] == 8
    sold = sut.query(
        "SELECT count(*) FROM sales s JOIN leads l ON l.id = s.lead_id "
        "WHERE l.campaign_id = '1300' AND s.status = 'sold'"
    )[0][0]
    assert sold == 3
    assert len(sut.posts_received("d1")) == 3


def test_a_buyer_budget_cap_moves_leads_to_the_next_buyer(sut: System) -> None:
    # d1 pays 20 with a daily budget of 50: two leads fit, the third goes to d2.
    firsts = [sold_to(sut, sut.direct_post("1303").json()["lead_id"]) for _ in range(3)]
    assert firsts == [["d1"], ["d1"], ["d2"]]


def test_a_supplier_lead_cap_answers_429_with_retry_after(sut: System) -> None:
    replies = concurrently(5, lambda _: sut.direct_post("1301"))
    accepted = [r for r in replies if r.json()["code"] == 0]
    capped = [r for r in replies if r.json()["code"] == 1006]
    assert (len(accepted), len(capped)) == (2, 3)
    for response in capped:
        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) > 0
        assert "supplier cap reached: leads per day" in response.json()["message"]
    # Another supplier of the campaign has no cap.
    assert sut.direct_post("1301", supplier="8").json()["code"] == 0


def test_a_supplier_ping_cap_answers_429(sut: System) -> None:
    codes = [sut.ping("1302").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


# --- duplicates ---------------------------------------------------------------------------------


def test_the_same_direct_post_twice_within_the_window_is_a_duplicate(sut: System) -> None:
    first = sut.direct_post("1206", state="CA", phone="5125550111", email="x@example.com")
    again = sut.direct_post("1206", state="CA", phone="5125550111", email="x@example.com")
    assert first.json()["code"] == 0
    body = again.json()
    assert (again.status_code, body["status"], body["code"]) == (200, "DUPLICATED", 1008)
    assert len(sut.posts_received("d1")) == 1


def test_campaign_dupe_check_refuses_a_known_consumer_and_keeps_the_lead(sut: System) -> None:
    first = sut.direct_post("1500", phone="(512) 555-0177").json()
    assert first["code"] == 0
    again = sut.direct_post("1500", phone="512-555-0177", first_name="Dee").json()
    assert (again["status"], again["code"]) == ("DUPLICATED", 1008)
    assert sut.lead(again["lead_id"])["status"] == "not_sold"
    assert len(sut.posts_received("d1")) == 1


def test_buyer_dupe_check_skips_only_the_buyer_that_has_the_consumer(sut: System) -> None:
    first = sut.direct_post("1501", phone="5125550188").json()
    assert sold_to(sut, first["lead_id"]) == ["d1"]
    # Same phone (match any): d1 already bought this consumer, so d2 gets it.
    again = sut.direct_post("1501", phone="5125550188", email="new@example.com").json()
    assert sold_to(sut, again["lead_id"]) == ["d2"]
    reasons = [c["reason"] for c in sut.lead(again["lead_id"])["timeline"] if c["buyer_id"] == "d1"]
    assert reasons == ["duplicate for this buyer: bought in the last 30 days"]


def test_a_buyer_duplicate_answer_is_recorded_as_such(sut: System) -> None:
    ping = sut.ping()
    body = sut.post(ping, [bid_of(ping, "dupe")]).json()
    assert body["code"] == 2002
    assert body["rejected_bids"][0]["reason"] == "rejected by buyer: duplicate"


# --- test mode ----------------------------------------------------------------------------------


def test_test_leads_use_test_urls_count_against_no_cap_and_are_flagged(sut: System) -> None:
    for supplier, extra in (("8", {}), ("7", {"lp_action": "test"})):
        body = sut.direct_post("1600", supplier=supplier, **extra).json()
        assert body["code"] == 0, body
        lead = sut.lead(body["lead_id"])
        assert lead["test"] is True
    # Both went to d1's test URL (the d2 simulator here), marked as tests.
    assert [p["test"] for p in sut.posts_received("d2")] == [True, True]
    assert sut.posts_received("d1") == []
    # d1's total cap of one is still free for a live lead, then spent.
    assert sut.direct_post("1600").json()["code"] == 0
    assert sut.direct_post("1600").json()["code"] == 2001
    assert len(sut.posts_received("d1")) == 1
