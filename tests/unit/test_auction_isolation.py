"""One buyer's failure stays that buyer's: whatever goes wrong building its ping, sending it or
reading its answer, the auction records an error for it and keeps every other bid."""

import time
from dataclasses import replace
from typing import Any

import pytest

from pickpost.buyers import adapter
from pickpost.buyers.wire import Delivery, InboundResponse, OutboundRequest
from pickpost.domain.deadline import Deadline
from pickpost.domain.outcomes import Outcome
from pickpost.services.auction import Auction, AuctionRequest
from tests.unit.factories import make_buyer
from tests.unit.fakes import FakeTransport, answer

GOOD = make_buyer(id="good", ping_url="http://good.test/ping")
BAD = make_buyer(id="bad", ping_url="http://bad.test/ping")


async def both_bid(request: OutboundRequest, timeout_ms: int) -> InboundResponse:
    return answer(200, {"bid": {"price": 12, "bid_id": "t"}})


def auction_request() -> AuctionRequest:
    return AuctionRequest(
        campaign_id="101",
        supplier_id="7",
        ping_id="p_1",
        test=False,
        lead={"zip_code": "78701"},
        deadline=Deadline.after(time.monotonic(), 500),
        buyers=[GOOD, BAD],
    )


def failing_for_bad(real: Any) -> Any:
    """The native adapter's method ``real``, except that for the bad buyer it fails the way an
    unforeseen bug would, with a message that quotes the lead."""

    def call(native: adapter.NativeAdapter, *args: Any) -> Any:
        if native.ping_url(False) == "http://bad.test/ping":
            raise ValueError("zip 78701 broke me")
        return real(native, *args)

    return call


async def outcomes(transport: Any) -> dict[str, tuple[Outcome, str]]:
    result = await Auction(transport).run(auction_request())
    assert [bid.buyer_id for bid in result.bids] == ["good"]
    return {call.buyer_id: (call.outcome, call.reason) for call in result.calls}


async def test_an_adapter_failing_on_an_answer_costs_that_buyers_bid_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        adapter.NativeAdapter, "parse_ping", failing_for_bad(adapter.NativeAdapter.parse_ping)
    )
    calls = await outcomes(FakeTransport(both_bid))
    assert calls["bad"] == (Outcome.ERROR, "internal error reading the answer (ValueError)")
    assert calls["good"][0] is Outcome.BID


async def test_an_adapter_failing_to_build_a_ping_costs_that_buyers_bid_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        adapter.NativeAdapter, "build_ping", failing_for_bad(adapter.NativeAdapter.build_ping)
    )
    transport = FakeTransport(both_bid)
    calls = await outcomes(transport)
    assert calls["bad"] == (Outcome.ERROR, "internal error building the ping (ValueError)")
    assert [request.url for request, _ in transport.sent] == ["http://good.test/ping"]


async def test_a_transport_that_raises_costs_the_pings_calls_not_the_ping() -> None:
    """The transport sends a ping's calls together, so its bug fails them together: each is
    recorded as an error, and the buyers that take no pings still bid."""

    class Raising(FakeTransport):
        async def send(self, request: OutboundRequest, timeout_ms: int) -> Delivery:
            if "bad" in request.url:
                raise RuntimeError("78701")
            return await super().send(request, timeout_ms)

    offering = make_buyer(id="offering", ping_url=None, price={"static": "3.00"})
    request = replace(auction_request(), buyers=[GOOD, BAD, offering], offers={"offering": 300})
    result = await Auction(Raising(both_bid)).run(request)
    assert [bid.buyer_id for bid in result.bids] == ["offering"]
    reason = "internal error sending the ping (RuntimeError)"
    assert {call.buyer_id: (call.outcome, call.reason) for call in result.calls} == {
        "good": (Outcome.ERROR, reason),
        "bad": (Outcome.ERROR, reason),
    }


async def test_the_failure_is_logged_without_its_message(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(
        adapter.NativeAdapter, "parse_ping", failing_for_bad(adapter.NativeAdapter.parse_ping)
    )
    await outcomes(FakeTransport(both_bid))
    assert "reading the answer for buyer bad failed: ValueError" in caplog.text
    assert "78701" not in caplog.text
