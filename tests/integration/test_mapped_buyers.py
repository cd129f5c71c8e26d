"""A buyer with its own API (form-encoded ping, XML answers) in a One-to-One sale, end to end."""

from tests.support.system import System, bid_of


def test_a_mapped_buyer_bids_and_buys_through_its_own_api(sut: System) -> None:
    ping = sut.ping("1700")
    bids = {b["buyer_id"]: b for b in ping.json()["bids"]}
    assert set(bids) == {"xml", "beta"}
    assert bids["xml"]["bid_price"] == 36.9  # its XML <amount>41</amount>, less 10 %
    assert bids["xml"]["tcpa_entity_name"] == "Xml Leads LLC"
    (pinged,) = sut.received("xml", "ping")
    assert pinged == {"zip": "78701", "st": "TX", "ping": ping.json()["ping_id"]}  # form fields

    sold = sut.post(ping, [bid_of(ping, "xml")], campaign="1700").json()
    assert sold["code"] == 0
    assert sold["redirect_url"] == f"https://xml.example/thanks?lead={sold['lead_id']}"
    (posted,) = sut.posts_received("xml")
    assert posted["lead_id"] == sold["lead_id"]
    assert posted["phone"] == "5125550142"
    assert posted["price"] == "41.00"  # lp_price, inside a form body: text
    assert posted["bid"]  # its own token, from its own ping answer


def test_a_test_lead_skips_a_mapped_buyer_without_a_test_url(sut: System) -> None:
    ping = sut.ping("1700", lp_action="test")
    assert [b["buyer_id"] for b in ping.json()["bids"]] == ["beta"]
    assert sut.received("xml", "ping") == []
