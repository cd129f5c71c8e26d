"""Direct Post (docs/supplier-api.md) end to end: every distribution method, configured and live
prices, the supplier's payout, and a mapped buyer priced by its own ping."""

from collections import Counter

from tests.support.system import System


def sold_to(sut: System, lead_id: str) -> list[str]:
    return [s["buyer_id"] for s in sut.lead(lead_id)["sales"] if s["status"] == "sold"]


def test_waterfall_tries_buyers_by_priority_until_one_buys(sut: System) -> None:
    response = sut.direct_post("1200")
    body = response.json()
    assert (response.status_code, body["status"], body["code"]) == (200, "ACCEPTED", 0)
    assert body["payout"] == 27.0  # d3's 30 less 10 %
    assert body["thank_you_page"] == "https://supplier.example/thanks"
    lead = sut.lead(body["lead_id"])
    assert [(s["buyer_id"], s["status"]) for s in lead["sales"]] == [
        ("drej", "rejected"),
        ("d3", "sold"),
    ]
    assert sut.posts_received("d1") == []  # never reached
    received = sut.posts_received("d3")[0]
    assert (received["lead"]["phone"], received["price"]) == (lead["fields"]["phone"], 30.0)


def test_highest_bidder_puts_configured_conditional_and_live_prices_on_one_scale(
    sut: System,
) -> None:
    texas = sut.direct_post("1201", state="TX").json()  # d2's Texas rule: 45
    assert (texas["code"], sold_to(sut, texas["lead_id"])) == (0, ["d2"])
    assert texas["payout"] == 40.5
    # Elsewhere d2 falls to its default of 10; alpha's live bid of 40 is the best.
    florida = sut.direct_post("1201", state="FL", zip_code="33101").json()
    assert (florida["code"], sold_to(sut, florida["lead_id"])) == (0, ["alpha"])
    assert florida["payout"] == 36.0
    pinged = sut.received("alpha", "ping")
    assert len(pinged) == 2
    assert "first_name" not in pinged[0]["lead"]  # the ping carries ping fields only


def test_send_to_all_sells_up_to_the_sell_limit(sut: System) -> None:
    body = sut.direct_post("1202").json()
    assert body["code"] == 0
    assert sold_to(sut, body["lead_id"]) == ["d1", "d2"]
    assert body["payout"] == 18.0 + 22.5
    assert sut.posts_received("d3") == []  # the limit of two was reached first


def test_round_robin_gives_each_buyer_its_turn(sut: System) -> None:
    firsts = [sold_to(sut, sut.direct_post("1203").json()["lead_id"])[0] for _ in range(6)]
    assert Counter(firsts) == {"d1": 2, "d2": 2, "d3": 2}
    assert firsts[:3] != firsts[1:4]  # it rotates rather than repeating one buyer


def test_weighted_shares_leads_by_weight(sut: System) -> None:
    firsts = [sold_to(sut, sut.direct_post("1204").json()["lead_id"])[0] for _ in range(6)]
    assert Counter(firsts) == {"d1": 4, "d2": 2}


def test_a_mapped_buyer_is_priced_by_its_own_ping_and_sold_over_its_api(sut: System) -> None:
    body = sut.direct_post("1701", phone="(512) 555-0199").json()
    assert (body["code"], sold_to(sut, body["lead_id"])) == (0, ["xml"])
    assert body["payout"] == 36.9  # 41 less 10 %
    assert body["redirect_url"] == f"https://xml.example/thanks?lead={body['lead_id']}"
    (post,) = sut.posts_received("xml")
    assert post["phone"] == "5125550199"  # the mapping's phone10 transformer
    assert post["bid"]  # its ping token, carried from its own ping answer


def test_no_eligible_buyer_is_2001_and_the_lead_is_kept(sut: System) -> None:
    body = sut.direct_post("1206", state="TX").json()  # d1 takes California only
    assert (body["status"], body["code"], body["payout"]) == ("ERROR", 2001, 0)
    lead = sut.lead(body["lead_id"])
    assert lead["status"] == "not_sold"
    assert [(c["buyer_id"], c["outcome"]) for c in lead["timeline"] if c.get("buyer_id")] == [
        ("d1", "skipped")
    ]


def test_every_buyer_rejecting_is_2002_with_the_lead(sut: System) -> None:
    body = sut.direct_post("1205").json()
    assert (body["status"], body["code"]) == ("ERROR", 2002)
    assert sut.lead(body["lead_id"])["sales"][0]["status"] == "rejected"


def test_direct_post_is_refused_on_ping_post_campaigns_and_vice_versa(sut: System) -> None:
    wrong = sut.direct_post("100")
    assert (wrong.status_code, wrong.json()["code"]) == (400, 1020)
    ping = sut.call("/ping", "1200", zip_code="78701", state="TX")
    assert (ping.status_code, ping.json()["code"]) == (400, 1020)
