"""One-to-One bid shaping (API.md 1.1), in the contract's order."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pickpost.domain.bids import OfferedBid, RawBid
from pickpost.domain.margin import Margin
from pickpost.domain.money import Cents


@dataclass(frozen=True, slots=True)
class ShapingRules:
    min_bid: Cents = 0
    max_bids: int | None = None
    dedupe_by_entity: bool = False


def _rank(bid: RawBid, price: Cents) -> tuple[int, float]:
    # Highest price first; on a tie the faster answer wins.
    return (-price, bid.latency_ms)


def shape_bids(
    raw: Sequence[RawBid], rules: ShapingRules, margin: Margin, new_bid_id: Callable[[], str]
) -> list[OfferedBid]:
    """Drop bids under ``min_bid`` (raw price), apply margin, keep one bid per TCPA entity if
    asked, sort by price descending (ties: faster first) and cut to ``max_bids``.

    A bid the margin leaves at zero or below is worth nothing to the supplier and is dropped.
    """
    priced = [(bid, margin.apply(bid.price)) for bid in raw if bid.price >= rules.min_bid]
    priced = [(bid, price) for bid, price in priced if price > 0]
    priced.sort(key=lambda pair: _rank(*pair))
    if rules.dedupe_by_entity:
        seen: set[str] = set()
        kept = []
        for bid, price in priced:
            entity = bid.tcpa_entity_name.casefold()
            if entity not in seen:
                seen.add(entity)
                kept.append((bid, price))
        priced = kept
    if rules.max_bids is not None:
        priced = priced[: rules.max_bids]
    return [
        OfferedBid(
            bid_id=new_bid_id(),
            buyer_id=bid.buyer_id,
            price=price,
            buyer_price=bid.price,
            tcpa_entity_name=bid.tcpa_entity_name,
            token=bid.token,
            additional_data=bid.additional_data,
            ping_response=bid.ping_response,
        )
        for bid, price in priced
    ]
