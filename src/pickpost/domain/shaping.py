"""Bid shaping (docs/supplier-api.md, One-to-One and Exchange), in the contract's order."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from pickpost.domain.bids import OfferedBid, RawBid
from pickpost.domain.margin import Margin
from pickpost.domain.money import Cents


@dataclass(frozen=True, slots=True)
class ShapingRules:
    min_bid: Cents = 0
    max_bids: int | None = None
    dedupe_by_entity: bool = False


def no_penalty(_buyer_id: str) -> Decimal:
    return Decimal(0)


def ranking_price(price: Cents, penalty_percent: Decimal) -> Decimal | Cents:
    """What a bid ranks at: its price after margin, less the buyer's bid penalty (percent).

    The penalty only orders bids (a buyer that often returns leads ranks lower); it never
    changes what anyone is paid. Without a penalty (most buyers) that is the price itself:
    the number the Decimal arithmetic would give, without it.
    """
    if not penalty_percent:
        return price
    return Decimal(price) * (Decimal(100) - penalty_percent) / Decimal(100)


def shape_bids(
    raw: Sequence[RawBid],
    rules: ShapingRules,
    margin_of: Callable[[str], Margin],
    new_bid_id: Callable[[], str],
    penalty_of: Callable[[str], Decimal] = no_penalty,
) -> list[OfferedBid]:
    """Drop bids under ``min_bid`` (raw price), apply each buyer's margin, keep one bid per
    TCPA entity if asked, rank by price after margin and penalty (ties: faster first) and cut
    to ``max_bids``.

    A bid the margin leaves at zero or below is worth nothing to the supplier and is dropped.
    """
    priced = [
        (bid, margin_of(bid.buyer_id).apply(bid.price)) for bid in raw if bid.price >= rules.min_bid
    ]
    priced = [(bid, price) for bid, price in priced if price > 0]
    priced.sort(
        key=lambda pair: (-ranking_price(pair[1], penalty_of(pair[0].buyer_id)), pair[0].latency_ms)
    )
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
