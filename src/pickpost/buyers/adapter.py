"""The one door services use to talk to a buyer: native protocol or the buyer's own mapping.

Every function is pure (but for a log line when a parser fails); the services own the network,
the deadline and the records.
"""

import logging

from pickpost.buyers import mapped, native
from pickpost.buyers.answers import Invalid, PingAnswer, PostAnswer
from pickpost.buyers.wire import InboundResponse, OutboundRequest, PingOrder, PostOrder
from pickpost.domain.workspace import BuyerConfig

log = logging.getLogger(__name__)


def pings(buyer: BuyerConfig) -> bool:
    """Whether the buyer is pinged; one that is not bids its configured price."""
    if buyer.mapping is None:
        return buyer.ping_url is not None
    return buyer.mapping.ping is not None


def ping_url(buyer: BuyerConfig, test: bool) -> str | None:
    """The URL a ping call is recorded under (a mapped one unrendered); None without pings."""
    if buyer.mapping is None:
        return native.ping_url(buyer, test)
    step = buyer.mapping.ping
    return None if step is None else mapped.step_url(step, test)


def post_url(buyer: BuyerConfig, test: bool) -> str:
    """The URL a post call is recorded under (a mapped one unrendered)."""
    if buyer.mapping is None:
        return native.post_url(buyer, test)
    return mapped.step_url(buyer.mapping.post, test)


def build_ping(buyer: BuyerConfig, order: PingOrder) -> OutboundRequest | None:
    """The ping to send; None when there is nothing to send – the buyer takes no pings, or the
    lead is a test and the buyer's mapping has no test URL – which the caller records as
    skipped."""
    if not pings(buyer):
        return None
    if buyer.mapping is None:
        return native.build_ping(
            buyer, order.ping_id, order.campaign_id, order.test, order.tmax_ms, order.lead
        )
    return mapped.build_ping(buyer.mapping, order)


def parse_ping(buyer: BuyerConfig, response: InboundResponse, latency_ms: float) -> PingAnswer:
    """A bid, a no-bid or an invalid answer, whatever the buyer's protocol."""
    if buyer.mapping is None:
        return native.parse_ping(buyer, response, latency_ms)
    return mapped.parse_ping(buyer, buyer.mapping, response, latency_ms)


def build_post(buyer: BuyerConfig, order: PostOrder) -> OutboundRequest | None:
    """The post to send; None for a test lead when the buyer's mapping has no test URL."""
    if buyer.mapping is None:
        return native.build_post(
            buyer,
            lead_id=order.lead_id,
            ping_id=order.ping_id,
            token=order.token,
            price_cents=order.price_cents,
            test=order.test,
            lead=order.lead,
            consent=order.consent,
        )
    return mapped.build_post(buyer.mapping, order)


def parse_post(buyer: BuyerConfig, response: InboundResponse) -> PostAnswer:
    """Accepted, rejected (perhaps as a duplicate) or an invalid answer – never an exception:
    a parser that fails on what a buyer sent makes it an invalid answer, so the sale ends in a
    recorded error and the lead goes on to its next buyer."""
    try:
        if buyer.mapping is None:
            return native.parse_post(response)
        return mapped.parse_post(buyer.mapping, response)
    except Exception as error:
        # The type only: the message might quote the buyer's answer or the lead.
        log.error("reading the post answer of buyer %s failed: %s", buyer.id, type(error).__name__)
        return Invalid(f"internal error reading the answer ({type(error).__name__})")


def takes_test_leads(buyer: BuyerConfig) -> bool:
    """Whether test leads may go to the buyer: a native buyer always (to its test URLs, or
    marked ``"test": true``); a mapped one only with a ``test_url`` on each of its steps."""
    if buyer.mapping is None:
        return True
    steps = (buyer.mapping.ping, buyer.mapping.post)
    return all(step.test_url is not None for step in steps if step is not None)
