"""The one door services use to talk to a buyer: :func:`adapter_for` picks the buyer's
protocol – native, or the buyer's own mapping – and every call after that speaks through the
:class:`BuyerAdapter` interface, with no further branching on the kind of buyer.

Every method is pure (but for a log line when a parser fails); the services own the network,
the deadline and the records.
"""

import logging
from typing import Protocol

from pickpost.buyers import mapped, native
from pickpost.buyers.answers import Invalid, PingAnswer, PostAnswer
from pickpost.buyers.secrets import declared_secrets
from pickpost.buyers.wire import InboundResponse, OutboundRequest, PingOrder, PostOrder
from pickpost.domain.mapping import MappingConfig
from pickpost.domain.revocation import Revoked
from pickpost.domain.workspace import BuyerConfig

log = logging.getLogger(__name__)


class BuyerAdapter(Protocol):
    def pings(self) -> bool:
        """Whether the buyer is pinged; one that is not bids its configured price."""
        ...

    def takes_test_leads(self) -> bool:
        """Whether test leads may go to the buyer at all."""
        ...

    def ping_url(self, test: bool) -> str | None:
        """The URL a ping call is recorded under (unrendered); None without pings."""
        ...

    def post_url(self, test: bool) -> str:
        """The URL a post call is recorded under (unrendered)."""
        ...

    def build_ping(self, order: PingOrder) -> OutboundRequest | None:
        """The ping to send; None when there is nothing to send (no pings, or a test lead the
        buyer has no test URL for), which the caller records as skipped."""
        ...

    def parse_ping(self, response: InboundResponse, latency_ms: float) -> PingAnswer:
        """A bid, a no-bid or an invalid answer."""
        ...

    def build_post(self, order: PostOrder) -> OutboundRequest | None:
        """The post to send; None for a test lead the buyer has no test URL for."""
        ...

    def read_post(self, response: InboundResponse) -> PostAnswer:
        """Accepted, rejected (perhaps as a duplicate) or an invalid answer."""
        ...

    def build_revoke(self, revoked: Revoked) -> OutboundRequest | None:
        """The revocation call; None when the buyer has no revocation channel."""
        ...

    def secrets(self) -> tuple[str, ...]:
        """Values the buyer's configuration writes into its requests that are never recorded
        (its credentials headers are withheld by name besides)."""
        ...


class NativeAdapter:
    """The native protocol (docs/buyer-protocol.md): JSON in, JSON out, no mapping."""

    def __init__(self, buyer: BuyerConfig) -> None:
        self._buyer = buyer

    def pings(self) -> bool:
        return self._buyer.ping_url is not None

    def takes_test_leads(self) -> bool:
        # Always: to its test URLs, or marked ``"test": true``.
        return True

    def ping_url(self, test: bool) -> str | None:
        return native.ping_url(self._buyer, test)

    def post_url(self, test: bool) -> str:
        return native.post_url(self._buyer, test)

    def build_ping(self, order: PingOrder) -> OutboundRequest | None:
        if not self.pings():
            return None
        return native.build_ping(self._buyer, order)

    def parse_ping(self, response: InboundResponse, latency_ms: float) -> PingAnswer:
        return native.parse_ping(self._buyer, response, latency_ms)

    def build_post(self, order: PostOrder) -> OutboundRequest | None:
        return native.build_post(
            self._buyer,
            lead_id=order.lead_id,
            ping_id=order.ping_id,
            token=order.token,
            price_cents=order.price_cents,
            test=order.test,
            lead=order.lead,
            consent=order.consent,
        )

    def read_post(self, response: InboundResponse) -> PostAnswer:
        return native.parse_post(response)

    def build_revoke(self, revoked: Revoked) -> OutboundRequest | None:
        return native.build_revoke(self._buyer, revoked)

    def secrets(self) -> tuple[str, ...]:
        return ()  # the native protocol carries no credentials of the buyer's


class MappedAdapter:
    """A buyer with its own API (docs/buyers.md): templates out, response rules in."""

    def __init__(self, buyer: BuyerConfig, mapping: MappingConfig) -> None:
        self._buyer = buyer
        self._mapping = mapping

    def pings(self) -> bool:
        return self._mapping.ping is not None

    def takes_test_leads(self) -> bool:
        # Only with a ``test_url`` on each of its steps.
        steps = (self._mapping.ping, self._mapping.post)
        return all(step.test_url is not None for step in steps if step is not None)

    def ping_url(self, test: bool) -> str | None:
        step = self._mapping.ping
        return None if step is None else mapped.step_url(step, test)

    def post_url(self, test: bool) -> str:
        return mapped.step_url(self._mapping.post, test)

    def build_ping(self, order: PingOrder) -> OutboundRequest | None:
        if not self.pings():
            return None
        return mapped.build_ping(self._mapping, order)

    def parse_ping(self, response: InboundResponse, latency_ms: float) -> PingAnswer:
        return mapped.parse_ping(self._buyer, self._mapping, response, latency_ms)

    def build_post(self, order: PostOrder) -> OutboundRequest | None:
        return mapped.build_post(self._mapping, order)

    def read_post(self, response: InboundResponse) -> PostAnswer:
        return mapped.parse_post(self._mapping, response)

    def build_revoke(self, revoked: Revoked) -> OutboundRequest | None:
        return mapped.build_revoke(self._mapping, revoked)

    def secrets(self) -> tuple[str, ...]:
        return declared_secrets(self._mapping)


def adapter_for(buyer: BuyerConfig) -> BuyerAdapter:
    """The buyer's protocol, chosen here and nowhere else."""
    if buyer.mapping is None:
        return NativeAdapter(buyer)
    return MappedAdapter(buyer, buyer.mapping)


def parse_post(buyer: BuyerConfig, response: InboundResponse) -> PostAnswer:
    """The buyer's answer to a post – never an exception: a parser that fails on what a buyer
    sent makes it an invalid answer, so the sale ends in a recorded outcome and the lead goes
    on."""
    try:
        return adapter_for(buyer).read_post(response)
    except Exception as error:
        # The type only: the message might quote the buyer's answer or the lead.
        log.error("reading the post answer of buyer %s failed: %s", buyer.id, type(error).__name__)
        return Invalid(f"internal error reading the answer ({type(error).__name__})")
