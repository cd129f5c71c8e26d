"""A whole exchange over fakes for use-case tests: scripted buyers, the PING, POST and Direct
Post services, and counters read back through the store's own protocol. No sockets, no sleeps.
"""

from decimal import Decimal
from typing import Any

from pickpost.buyers.wire import InboundResponse, OutboundRequest
from pickpost.domain.caps import Charge
from pickpost.domain.lead import StoredOutcome
from pickpost.domain.outcomes import BuyerCall, Outcome
from pickpost.infra.counters import MemoryCounters
from pickpost.services.auction import Auction
from pickpost.services.direct import DirectPostService
from pickpost.services.gate import Gate
from pickpost.services.intake import Admitted, SupplierRequest, admit
from pickpost.services.marks import DuplicateMarks
from pickpost.services.ping import PingService
from pickpost.services.ports import SYSTEM_CLOCK, Clock, CounterStore
from pickpost.services.post import PostService, ReplayWait
from pickpost.services.quotas import Caps
from pickpost.services.replies import Reply
from pickpost.services.selling import Seller
from pickpost.services.settle import Settler
from tests.unit.factories import auth, make_campaign, make_catalog
from tests.unit.fakes import (
    FakeLeadStore,
    FakePingStore,
    FakeRecorder,
    FakeTransport,
    Unreachable,
    answer,
)

AT = 1_700_000_000.0
"""A fixed moment: Tuesday 2023-11-14 22:13:20 UTC, 20 s into its minute."""

LEAD = {"zip_code": "78701", "state": "TX", "phone": "5125550142"}


def pinged_buyer(buyer_id: str, **overrides: Any) -> dict[str, Any]:
    """A native buyer priced by its own ping answer."""
    return {
        "id": buyer_id,
        "tcpa_entity_name": f"{buyer_id.title()} LLC",
        "ping_url": f"http://{buyer_id}.test/ping",
        "post_url": f"http://{buyer_id}.test/post",
        **overrides,
    }


def priced_buyer(buyer_id: str, price: str, **overrides: Any) -> dict[str, Any]:
    """A native buyer that takes no pings and pays its configured price."""
    return {
        "id": buyer_id,
        "tcpa_entity_name": f"{buyer_id.title()} LLC",
        "post_url": f"http://{buyer_id}.test/post",
        "price": {"static": price},
        **overrides,
    }


class Buyers:
    """Scripted buyers, told apart by host (``http://ann.test/…`` is ``ann``): each bids its
    price in ``bids`` (no entry: no bid) and accepts every post unless listed in ``rejecting``
    (answers ``accepted: false``), ``failing`` (answers HTTP 500), ``silent`` (never answers
    the post), ``unreadable`` (accepts in JSON no parser here reads: a number out of range) or
    ``unreachable`` (no connection: the post never leaves)."""

    def __init__(self, bids: dict[str, str] | None = None) -> None:
        self.bids = dict(bids or {})
        self.rejecting: set[str] = set()
        self.failing: set[str] = set()
        self.silent: set[str] = set()
        self.unreadable: set[str] = set()
        self.unreachable: set[str] = set()

    async def __call__(self, request: OutboundRequest, timeout_ms: int) -> InboundResponse | None:
        buyer = host(request)
        if request.url.endswith("/ping"):
            price = self.bids.get(buyer)
            if price is None:
                return answer(204)
            return answer(200, {"bid": {"price": float(Decimal(price)), "bid_id": f"t-{buyer}"}})
        if buyer in self.unreachable:
            raise Unreachable(buyer)
        if buyer in self.silent:
            return None
        if buyer in self.unreadable:
            return InboundResponse(200, b'{"accepted": true, "fields": {"n": 1e400}}')
        if buyer in self.failing:
            return answer(500)
        if buyer in self.rejecting:
            return answer(200, {"accepted": False, "reason": "not today"})
        return answer(200, {"accepted": True, "fields": {"redirect_url": f"https://{buyer}/"}})


def host(request: OutboundRequest) -> str:
    return request.url.split("//")[1].split(".")[0]


async def counter_value(counters: CounterStore, key: str, bound: int = 10**9) -> int:
    """A counter's value through the public protocol: the least limit a zero charge stays
    within (a negative value, from refunding more than was charged, is found too)."""
    low, high = -bound, bound
    while low < high:
        middle = (low + high) // 2
        if await counters.exceeded([Charge(key, middle, 0, None)]) is None:
            high = middle
        else:
            low = middle + 1
    return low


class World:
    """One campaign served over fakes to the ``script``'s buyers; ``campaign`` overrides
    :func:`make_campaign`'s data."""

    def __init__(self, script: Buyers | None = None, **campaign: Any) -> None:
        self.script = script or Buyers()
        self.transport = FakeTransport(self.script)
        self.pings = FakePingStore()
        self.leads = FakeLeadStore()
        self.recorder = FakeRecorder()
        self.catalog = make_catalog(make_campaign(**{"margin": None, **campaign}))
        self.counters: CounterStore = MemoryCounters(clock=lambda: 0.0)  # nothing expires
        self.wire()
        self._requests = 0

    def wire(self, clock: Clock = SYSTEM_CLOCK, wait: ReplayWait | None = None) -> None:
        """Build the use cases over this world's parts: again after a test swaps one (a ledger
        that fails, counters that fail, a fake clock)."""
        self.clock = clock
        caps, marks = Caps(self.counters), DuplicateMarks(self.counters)
        self.gate = Gate(caps, marks)
        auction = Auction(self.transport, clock=clock)
        seller = Seller(self.transport, self.leads, self.gate, caps, marks, clock)
        settler = Settler(self.leads, self.catalog.campaigns.get, clock=clock)
        self.ping_service = PingService(auction, self.gate, self.pings, self.recorder, clock)
        self.post_service = PostService(
            seller,
            self.gate,
            self.pings,
            self.leads,
            settler,
            wait or ReplayWait(),
            clock,
        )
        self.direct_service = DirectPostService(
            auction, self.gate, seller, self.leads, self.counters, clock
        )

    def request(
        self, endpoint: str, at: float | None, data: dict[str, Any]
    ) -> tuple[SupplierRequest, Admitted]:
        """A request of the campaign's supplier; each body differs (a request number in
        ``lp_subid6``) so the same-payload check never mistakes two leads for one."""
        self._requests += 1
        body = {**auth(), **LEAD, "lp_subid6": f"req-{self._requests}", **data}
        received_at = self.clock.now() if at is None else at
        # The arrival on the clock the use cases read: a request on the real monotonic clock
        # against a fake one would find its deadline long past, or far away, by machine uptime.
        request = SupplierRequest(
            f"r_{self._requests}", endpoint, self.clock.monotonic(), received_at, body
        )
        admitted = admit(self.catalog, request)
        assert isinstance(admitted, Admitted), admitted
        return request, admitted

    async def ping(self, at: float | None = None, **data: Any) -> Reply:
        return await self.ping_service.ping(*self.request("/ping", at, data))

    async def post(self, ping_id: object, at: float | None = None, **data: Any) -> Reply:
        return await self.post_service.post(
            *self.request("/post", at, {"lp_ping_id": ping_id, **data})
        )

    async def direct(self, at: float | None = None, **data: Any) -> Reply:
        return await self.direct_service.direct_post(*self.request("/direct_post", at, data))

    def sent(self, step: str) -> list[str]:
        """The buyers called at ``step`` (``ping`` or ``post``), in the order they were called."""
        return [host(r) for r, _ in self.transport.sent if r.url.endswith(f"/{step}")]

    def outcome(self, lead_id: object) -> StoredOutcome:
        """The answer stored with a lead: what a replay returns."""
        ping_id = self.leads.leads[str(lead_id)].ping_id
        assert ping_id is not None
        return self.leads.by_ping[ping_id]

    def skipped(self) -> dict[str, str]:
        """Buyers left out of the last ping or of any sale, with the reason."""
        calls: list[BuyerCall] = [*self.leads.calls]
        if self.recorder.pings:
            calls += self.recorder.pings[-1].calls
        return {c.buyer_id: c.reason for c in calls if c.outcome is Outcome.SKIPPED}

    async def counter(self, key: str) -> int:
        return await counter_value(self.counters, key)


def bid_ids(reply: Reply, *buyers: str) -> list[str]:
    """The bid ids a ping offered for ``buyers``, in that order."""
    offered = reply.body["bids"]
    assert isinstance(offered, list)
    by_buyer = {bid["buyer_id"]: bid["bid_id"] for bid in offered}
    return [by_buyer[b] for b in buyers]


def prices(reply: Reply) -> dict[str, float]:
    """What a ping offered, by buyer: the supplier's price after margin, in dollars."""
    offered = reply.body["bids"]
    assert isinstance(offered, list)
    return {bid["buyer_id"]: bid["bid_price"] for bid in offered}
