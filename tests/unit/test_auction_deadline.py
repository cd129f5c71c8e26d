"""The auction's deadline cuts every call still running, whatever the transport does: the
answers already in stand, each call cut is a timeout of its own."""

import asyncio
import time

from pickpost.buyers.wire import Delivery, InboundResponse, OutboundRequest
from pickpost.domain.deadline import Deadline
from pickpost.domain.outcomes import Outcome
from pickpost.services.auction import Auction, AuctionRequest
from tests.unit.factories import make_buyer
from tests.unit.fakes import FakeTransport, answer

BUYERS = [make_buyer(id=name, ping_url=f"http://{name}.test/ping") for name in ("a", "b", "c")]


class Overrunning(FakeTransport):
    """A transport that ignores the timeouts of the buyers whose name is not "a"."""

    async def send(self, request: OutboundRequest, timeout_ms: int) -> Delivery:
        if "//a." not in request.url:
            await asyncio.Event().wait()
        return await super().send(request, timeout_ms)


async def bid(request: OutboundRequest, timeout_ms: int) -> InboundResponse:
    return answer(200, {"bid": {"price": 12, "bid_id": "t"}})


async def test_the_deadline_cuts_every_call_still_running() -> None:
    request = AuctionRequest(
        campaign_id="101",
        supplier_id="7",
        ping_id="p_1",
        test=False,
        lead={"zip_code": "78701"},
        deadline=Deadline.after(time.monotonic(), 100),
        buyers=BUYERS,
    )
    result = await Auction(Overrunning(bid)).run(request)
    assert [bid.buyer_id for bid in result.bids] == ["a"]
    cut = (Outcome.TIMEOUT, "no answer before the auction deadline")
    assert {call.buyer_id: (call.outcome, call.reason) for call in result.calls} == {
        "a": (Outcome.BID, ""),
        "b": cut,
        "c": cut,
    }
    assert all(call.exchange is not None for call in result.calls)
