"""Ping/Post Exchange (docs/supplier-api.md) end to end: exclusive with and without fallback,
shared, ranking by margin overrides and bid penalty, the supplier's min_buyer_bid."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.support.system import System

LEAD = {"first_name": "Dana", "phone": "(512) 555-0142", "zip_code": "78701", "state": "TX"}


def post(sut: System, campaign: str, ping: httpx.Response, **extra: Any) -> httpx.Response:
    return sut.call("/post", campaign, lp_ping_id=ping.json()["ping_id"], **LEAD, **extra)


def test_exclusive_ping_quotes_one_payout_and_the_post_sells_to_that_buyer(sut: System) -> None:
    ping = sut.call("/ping", "1100", zip_code="78701", state="TX")
    body = ping.json()
    assert (ping.status_code, body["status"], body["code"]) == (200, "ACCEPTED", 0)
    assert body["payout"] == 36.0  # alpha's 40 less the campaign's 10 %
    assert "bids" not in body
    sold = post(sut, "1100", ping)
    assert (sold.json()["code"], sold.json()["payout"]) == (0, 36.0)
    assert len(sut.posts_received("alpha")) == 1
    assert sut.posts_received("beta") == []
    lead = sut.lead(sold.json()["lead_id"])
    assert [(s["buyer_id"], s["status"]) for s in lead["sales"]] == [("alpha", "sold")]


def test_exclusive_without_fallback_stops_at_the_first_rejection(sut: System) -> None:
    ping = sut.call("/ping", "1104", zip_code="78701", state="TX")
    assert ping.json()["payout"] == 31.5
    body = post(sut, "1104", ping).json()
    assert (body["code"], body["payout"]) == (2002, 0)
    assert len(sut.posts_received("rejecter")) == 1
    assert sut.posts_received("beta") == []


def test_exclusive_with_fallback_pays_the_fallback_bid_never_more_than_quoted(
    sut: System,
) -> None:
    ping = sut.call("/ping", "1101", zip_code="78701", state="TX")
    assert ping.json()["payout"] == 31.5  # rejecter's 35 less 10 %
    sold = post(sut, "1101", ping)
    body = sold.json()
    # The rejecter said no; the fallback bid (beta, 27.00) sold, paying less than quoted.
    assert (body["code"], body["payout"]) == (0, 27.0)
    assert len(sut.posts_received("rejecter")) == 1
    assert len(sut.posts_received("beta")) == 1
    assert body["meta"]["attempts"] == 2


def test_an_exclusive_post_is_idempotent(sut: System) -> None:
    ping = sut.call("/ping", "1100", zip_code="78701", state="TX")
    first = post(sut, "1100", ping)
    again = post(sut, "1100", ping)
    assert again.headers.get("Idempotent-Replay") == "true"
    assert again.json()["lead_id"] == first.json()["lead_id"]
    assert len(sut.posts_received("alpha")) == 1


def test_shared_ping_lists_bids_and_the_post_sells_to_the_chosen_ones(sut: System) -> None:
    ping = sut.call("/ping", "1102", zip_code="78701", state="TX")
    bids = {b["buyer_id"]: b for b in ping.json()["bids"]}
    # d1 takes no pings: offered at its configured price, no request made.
    assert set(bids) == {"alpha", "beta", "rejecter", "d1"}
    assert bids["d1"]["bid_price"] == 10.8
    assert [r for r in sut.fleet.received("d1") if r.step == "ping"] == []
    chosen = [bids["rejecter"]["bid_id"], bids["d1"]["bid_id"], bids["beta"]["bid_id"]]
    sold = post(sut, "1102", ping, lp_bid_ids=chosen).json()
    assert sold["code"] == 0
    assert [b["buyer_id"] for b in sold["sold_bids"]] == ["d1", "beta"]
    assert [b["buyer_id"] for b in sold["rejected_bids"]] == ["rejecter"]
    assert sold["payout"] == 37.8  # 10.80 + 27.00
    assert sold["meta"]["chosen_bids"] == 3
    assert sut.posts_received("alpha") == []  # not chosen, never posted
    assert len(sut.posts_received("d1")) == 1


def test_shared_post_needs_lp_bid_ids(sut: System) -> None:
    ping = sut.call("/ping", "1102", zip_code="78701", state="TX")
    missing = post(sut, "1102", ping)
    assert (missing.status_code, missing.json()["code"]) == (400, 1001)
    assert "lp_bid_ids" in missing.json()["message"]
    unknown = post(sut, "1102", ping, lp_bid_ids=["b_nope"])
    assert (unknown.status_code, unknown.json()["code"]) == (400, 1013)


def test_supplier_margin_wins_and_the_bid_penalty_reorders(sut: System) -> None:
    # Supplier 7 has a 20 % margin override: beta 30 → 24.00; alpha 40 → 32.00, but alpha's
    # 50 % bid penalty ranks it at 16.00, below beta.
    ping = sut.call("/ping", "1103", zip_code="78701", state="TX")
    assert ping.json()["payout"] == 24.0
    sold = post(sut, "1103", ping).json()
    assert (sold["code"], sold["payout"]) == (0, 24.0)
    assert len(sut.posts_received("beta")) == 1


def test_min_buyer_bid_turns_away_pings_whose_best_bid_is_lower(sut: System) -> None:
    ping = sut.call("/ping", "1103", supplier="8", zip_code="78701", state="TX")
    body = ping.json()
    assert (ping.status_code, body["code"], body["payout"]) == (200, 2001, 0)
    no_bids = post(sut, "1103", ping, supplier="8")
    assert no_bids.json()["code"] == 2001


def test_consent_ids_mean_nothing_to_an_exchange(sut: System) -> None:
    ping = sut.call("/ping", "1102", zip_code="78701", state="TX")
    ids = [b["bid_id"] for b in ping.json()["bids"]]
    response = post(sut, "1102", ping, lp_consent_bids=ids)
    assert (response.status_code, response.json()["code"]) == (400, 1001)


def test_racing_shared_posts_of_one_ping_sell_once(sut: System) -> None:
    ping = sut.call("/ping", "1102", zip_code="78701", state="TX")
    bids = {b["buyer_id"]: b["bid_id"] for b in ping.json()["bids"]}
    chosen = [bids["alpha"], bids["beta"]]
    with ThreadPoolExecutor(max_workers=10) as pool:
        replies = list(pool.map(lambda _: post(sut, "1102", ping, lp_bid_ids=chosen), range(10)))
    assert {r.json()["code"] for r in replies} == {0}
    assert len({r.json()["lead_id"] for r in replies}) == 1
    assert sum(r.headers.get("Idempotent-Replay") == "true" for r in replies) == 9
    assert len(sut.posts_received("alpha")) == 1
    assert len(sut.posts_received("beta")) == 1
