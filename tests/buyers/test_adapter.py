"""The adapter: one door for native and mapped buyers – who is pinged, where calls go, what is
sent for test leads, and a ping answer carried into the post."""

from typing import Any

import pytest

from pickpost.buyers import adapter
from pickpost.buyers.answers import Accepted
from pickpost.buyers.wire import InboundResponse, PingOrder, PostOrder
from pickpost.domain.bids import RawBid
from pickpost.domain.workspace import BuyerConfig

NOW = 1_772_366_400.0
PING = {"url": "https://b.example/ping", "response": {"price": "bid.price", "token": "bid.id"}}
POST = {"url": "https://b.example/post/{{lp_lead_id}}", "response": {"accepted": {"status": 200}}}


def buyer(**fields: Any) -> BuyerConfig:
    return BuyerConfig.model_validate({"id": "acme", "tcpa_entity_name": "Acme", **fields})


NATIVE = buyer(ping_url="https://n.example/ping", post_url="https://n.example/post")
NATIVE_TESTED = buyer(
    ping_url="https://n.example/ping",
    post_url="https://n.example/post",
    test_ping_url="https://n.example/test/ping",
    test_post_url="https://n.example/test/post",
)
NATIVE_POST_ONLY = buyer(post_url="https://n.example/post", price={"static": 5})
MAPPED = buyer(mapping={"ping": PING, "post": POST})
MAPPED_TESTED = buyer(
    mapping={
        "ping": {**PING, "test_url": "https://b.example/test/ping"},
        "post": {**POST, "test_url": "https://b.example/test/post"},
    }
)
MAPPED_POST_ONLY = buyer(mapping={"post": POST}, price={"static": 5})


@pytest.mark.parametrize(
    ("config", "pings", "live", "test", "post_live", "post_test", "takes_tests"),
    [
        (NATIVE, True, "https://n.example/ping", "https://n.example/ping",
         "https://n.example/post", "https://n.example/post", True),
        (NATIVE_TESTED, True, "https://n.example/ping", "https://n.example/test/ping",
         "https://n.example/post", "https://n.example/test/post", True),
        (NATIVE_POST_ONLY, False, None, None,
         "https://n.example/post", "https://n.example/post", True),
        (MAPPED, True, "https://b.example/ping", "https://b.example/ping",
         "https://b.example/post/{{lp_lead_id}}", "https://b.example/post/{{lp_lead_id}}", False),
        (MAPPED_TESTED, True, "https://b.example/ping", "https://b.example/test/ping",
         "https://b.example/post/{{lp_lead_id}}", "https://b.example/test/post", True),
        (MAPPED_POST_ONLY, False, None, None,
         "https://b.example/post/{{lp_lead_id}}", "https://b.example/post/{{lp_lead_id}}", False),
    ],
)  # fmt: skip
def test_who_is_pinged_and_where_calls_are_recorded(
    config: BuyerConfig,
    pings: bool,
    live: str | None,
    test: str | None,
    post_live: str,
    post_test: str,
    takes_tests: bool,
) -> None:
    assert adapter.adapter_for(config).pings() is pings
    assert (
        adapter.adapter_for(config).ping_url(False),
        adapter.adapter_for(config).ping_url(True),
    ) == (live, test)
    assert (
        adapter.adapter_for(config).post_url(False),
        adapter.adapter_for(config).post_url(True),
    ) == (
        post_live,
        post_test,
    )
    assert adapter.adapter_for(config).takes_test_leads() is takes_tests


def build_ping(config: BuyerConfig, test: bool) -> Any:
    return adapter.adapter_for(config).build_ping(
        PingOrder(
            ping_id="p_1",
            campaign_id="101",
            supplier_id="7",
            test=test,
            tmax_ms=300,
            lead={"zip_code": "78701"},
            now=NOW,
        ),
    )


def build_post(config: BuyerConfig, test: bool, bid: RawBid | None = None) -> Any:
    return adapter.adapter_for(config).build_post(
        PostOrder(
            lead_id="l_1",
            ping_id="p_1",
            campaign_id="101",
            supplier_id="7",
            token=bid.token if bid else None,
            price_cents=500,
            test=test,
            lead={"zip_code": "78701"},
            consent={},
            ping_response=bid.ping_response if bid else None,
            now=NOW,
        ),
    )


def test_nothing_to_send() -> None:
    assert build_ping(NATIVE_POST_ONLY, False) is None
    assert build_ping(MAPPED_POST_ONLY, False) is None
    assert build_ping(MAPPED, True) is None
    assert build_post(MAPPED, True) is None
    assert build_post(MAPPED_POST_ONLY, True) is None


def test_test_leads_go_to_test_urls() -> None:
    assert build_ping(NATIVE_TESTED, True).url == "https://n.example/test/ping"
    assert build_ping(NATIVE, True).url == "https://n.example/ping"
    assert b'"test":true' in build_ping(NATIVE, True).body
    assert build_ping(MAPPED_TESTED, True).url == "https://b.example/test/ping"
    assert build_post(MAPPED_TESTED, True).url == "https://b.example/test/post"
    assert build_post(MAPPED_TESTED, False).url == "https://b.example/post/l_1"


def test_a_ping_answer_is_carried_into_the_post() -> None:
    config = buyer(
        mapping={
            "ping": PING,
            "post": {**POST, "body": {"t": "{{lp_bid_token}}", "q": "{{ping_response.bid.q}}"}},
        }
    )
    answer = InboundResponse(200, b'{"bid": {"price": 5, "id": "tk", "q": 3, "secret": "s"}}')
    bid = adapter.adapter_for(config).parse_ping(answer, latency_ms=3.0)
    assert isinstance(bid, RawBid)
    assert bid.ping_response == {"bid.q": 3}
    assert build_post(config, False, bid).body == b'{"t":"tk","q":3}'


def test_native_answers_go_through_the_native_protocol() -> None:
    bid = adapter.adapter_for(NATIVE).parse_ping(
        InboundResponse(200, b'{"bid": {"price": 2}}'), 1.0
    )
    assert isinstance(bid, RawBid)
    assert bid.price == 200
    accepted = adapter.parse_post(NATIVE, InboundResponse(200, b'{"accepted": true}'))
    assert accepted == Accepted()
