"""A simulated buyer with its own API (``dialect: mapped_xml``), reached end to end through the
adapter and the real transport over loopback: form pings and posts out, XML answers back."""

from collections.abc import AsyncIterator

import pytest

from pickpost.buyers import adapter
from pickpost.buyers.answers import Accepted, Invalid, NoBid, Rejected
from pickpost.buyers.wire import OutboundRequest, PingOrder, PostOrder
from pickpost.domain.bids import RawBid
from pickpost.domain.workspace import BuyerConfig
from pickpost.infra.transport import HttpTransport
from pickpost.simbuyers import FleetConfig, SimFleet
from pickpost.simbuyers.server import DELAY_HEADER
from tests.support.mapped import mapping

NOW = 1_772_366_400.0  # 2026-03-01T12:00:00Z
LEAD = {"zip_code": "78701", "state": "tx", "phone": "+1 (512) 555-0142"}
XML = "mapped_xml"

CONFIG = FleetConfig.model_validate(
    {
        "buyers": [
            {
                "id": "xml",
                "dialect": XML,
                "price": 12.5,
                "latency_ms": 5,
                "redirect_url": "https://xml.example/thanks?lead={lead_id}&src=sim",
            },
            {"id": "nobid", "dialect": XML, "price": 1, "no_bid_rate": 1},
            {
                "id": "rejects",
                "dialect": XML,
                "price": 1,
                "accept_rate": 0,
                "reject_reason": "<no>",
            },
            {"id": "dupes", "dialect": XML, "price": 1, "duplicate_rate": 1},
            {"id": "broken", "dialect": XML, "price": 1, "fault": {"mode": "500", "step": "post"}},
            {"id": "garbage", "dialect": XML, "price": 1, "fault": {"mode": "garbage"}},
        ]
    }
)


@pytest.fixture
async def sim() -> AsyncIterator[SimFleet]:
    fleet = SimFleet(CONFIG, seed=1)
    await fleet.start()
    yield fleet
    await fleet.stop()


def buyer(sim: SimFleet, buyer_id: str, post_format: str = "form") -> BuyerConfig:
    return BuyerConfig.model_validate(
        {
            "id": buyer_id,
            "tcpa_entity_name": "XML Buyer LLC",
            "mapping": mapping(sim.base_urls[buyer_id], post_format),
        }
    )


def ping_request(config: BuyerConfig) -> OutboundRequest:
    request = adapter.adapter_for(config).build_ping(
        PingOrder(
            ping_id="p_1",
            campaign_id="101",
            supplier_id="7",
            test=False,
            tmax_ms=1000,
            lead=LEAD,
            now=NOW,
        ),
    )
    assert request is not None
    return request


def post_request(config: BuyerConfig, bid: RawBid | None = None) -> OutboundRequest:
    request = adapter.adapter_for(config).build_post(
        PostOrder(
            lead_id="l_42",
            ping_id="p_1",
            campaign_id="101",
            supplier_id="7",
            token=bid.token if bid else None,
            price_cents=bid.price if bid else 100,
            test=False,
            lead=LEAD,
            consent={},
            ping_response=bid.ping_response if bid else None,
            now=NOW,
        ),
    )
    assert request is not None
    return request


async def ping(transport: HttpTransport, config: BuyerConfig) -> object:
    delivery = await transport.send(ping_request(config), 2000)
    assert delivery.response is not None, delivery.reason
    return adapter.adapter_for(config).parse_ping(delivery.response, delivery.latency_ms)


async def post(transport: HttpTransport, config: BuyerConfig, bid: RawBid | None = None) -> object:
    delivery = await transport.send(post_request(config, bid), 2000)
    assert delivery.response is not None, delivery.reason
    return adapter.parse_post(config, delivery.response)


@pytest.mark.parametrize("post_format", ["form", "json"])
async def test_ping_then_post_carries_the_token(
    sim: SimFleet, transport: HttpTransport, post_format: str
) -> None:
    config = buyer(sim, "xml", post_format)
    delivery = await transport.send(ping_request(config), 2000)
    assert delivery.response is not None
    assert delivery.response.headers[DELAY_HEADER] == "5"
    assert delivery.response.headers["Content-Type"].startswith("application/xml")
    bid = adapter.adapter_for(config).parse_ping(delivery.response, delivery.latency_ms)
    assert isinstance(bid, RawBid)
    assert (bid.price, bid.token) == (1250, "xml-1")
    assert bid.ping_response == {"response.bid.id": "xml-1"}

    answer = await post(transport, config, bid)
    assert answer == Accepted({"redirect_url": "https://xml.example/thanks?lead=l_42&src=sim"})

    pinged, posted = sim.received["xml"]
    assert pinged.headers["content-type"] == "application/x-www-form-urlencoded"
    assert pinged.body == {"zip": "78701", "st": "TX", "ping": "p_1"}
    assert (
        posted.headers["content-type"]
        == f"application/{'json' if post_format == 'json' else 'x-www-form-urlencoded'}"
    )
    expected = {"lead_id": "l_42", "bid": "xml-1", "phone": "5125550142"}
    # JSON keeps the price a number; a form carries its text.
    assert posted.body == {**expected, "price": 12.5 if post_format == "json" else "12.50"}


async def test_no_bid(sim: SimFleet, transport: HttpTransport) -> None:
    assert await ping(transport, buyer(sim, "nobid")) == NoBid("no coverage")


async def test_rejected_with_the_scripted_reason(sim: SimFleet, transport: HttpTransport) -> None:
    assert await post(transport, buyer(sim, "rejects")) == Rejected("<no>")


async def test_duplicate(sim: SimFleet, transport: HttpTransport) -> None:
    answer = await post(transport, buyer(sim, "dupes"))
    assert answer == Rejected("duplicate lead", duplicate=True)


async def test_faults_are_errors(sim: SimFleet, transport: HttpTransport) -> None:
    assert await post(transport, buyer(sim, "broken")) == Invalid("HTTP 500")
    assert await ping(transport, buyer(sim, "garbage")) == Invalid("response is not XML")


async def test_a_body_that_is_neither_form_nor_json_is_refused(
    sim: SimFleet, transport: HttpTransport
) -> None:
    request = OutboundRequest("POST", f"{sim.base_urls['xml']}/ping", b"not a form")
    delivery = await transport.send(request, 2000)
    assert delivery.response is not None
    assert delivery.response.status == 400
    assert sim.received["xml"][0].body == "not a form"
