"""`GET /metrics` over HTTP: the samples move with the traffic."""

from tests.support.metrics import key, scrape
from tests.support.system import System, bid_of


def test_a_ping_and_its_post_move_the_counts(sut: System) -> None:
    requests = key("pickpost_supplier_request_duration_seconds_count", endpoint="/ping", code="0")
    posts = key("pickpost_supplier_request_duration_seconds_count", endpoint="/post", code="0")
    overhead = key("pickpost_ping_overhead_seconds_count")
    alpha_bid = key("pickpost_buyer_calls_total", buyer_id="alpha", step="ping", outcome="bid")
    alpha_ping = key("pickpost_buyer_call_duration_seconds_count", buyer_id="alpha", step="ping")
    alpha_any = key(
        "pickpost_buyer_call_duration_seconds_bucket", buyer_id="alpha", step="ping", le="+Inf"
    )
    alpha_sold = key(
        "pickpost_buyer_calls_total", buyer_id="alpha", step="post", outcome="accepted"
    )
    before = scrape(sut)

    ping = sut.ping()
    assert ping.json()["status"] == "ACCEPTED"
    after_ping = scrape(sut)
    for sample in (requests, overhead, alpha_bid, alpha_ping, alpha_any):
        assert after_ping[sample] == before.get(sample, 0) + 1, sample

    assert sut.post(ping, [bid_of(ping, "alpha")]).json()["code"] == 0
    after_post = scrape(sut)
    assert after_post[posts] == before.get(posts, 0) + 1
    assert after_post[alpha_sold] == before.get(alpha_sold, 0) + 1
    # The catalog was loaded at start.
    assert after_post[key("pickpost_catalog_refreshes_total", result="loaded")] >= 1
