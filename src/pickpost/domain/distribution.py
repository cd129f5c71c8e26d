"""Direct Post distribution (docs/supplier-api.md): the order in which buyers are offered a lead.

::

    distribution: {method: waterfall}           # or highest_bidder, round_robin, weighted
    distribution: {method: send_to_all, sell_limit: 3}

Given the eligible buyers as :class:`Candidate` values and a rotation number (successive calls
of ``CounterStore.next_in_sequence(rotation_key(campaign))``), :func:`attempt_order` returns the
order to try them in. Lower ``priority`` goes first; ties are broken by buyer id so an order never
depends on how the buyers were listed.

- ``waterfall``: by priority. The lead is sold to the first buyer that accepts.
- ``highest_bidder``: by price, highest first (ties: priority, then id); buyers without a price
  go last, in priority order. Sold to the first that accepts.
- ``send_to_all``: by priority; every buyer is attempted until ``sell_limit`` sales (no limit by
  default).
- ``round_robin``: the priority order, rotated to start at ``rotation % n``: over n successive
  rotations each buyer goes first once.
- ``weighted``: the first buyer is the ``rotation % W``-th pick (W = sum of weights) of nginx's
  smooth weighted round robin over the priority order, so over W successive rotations each buyer
  goes first exactly ``weight`` times, spread evenly; the rest follow by weight, highest first
  (ties: priority, then id).

Pure: no I/O.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Self

from pydantic import Field, model_validator

from pickpost.domain.model import Model
from pickpost.domain.money import Cents


class DistributionMethod(StrEnum):
    WATERFALL = "waterfall"
    HIGHEST_BIDDER = "highest_bidder"
    SEND_TO_ALL = "send_to_all"
    ROUND_ROBIN = "round_robin"
    WEIGHTED = "weighted"


class DistributionConfig(Model):
    method: DistributionMethod = DistributionMethod.WATERFALL
    sell_limit: Annotated[int, Field(ge=1)] | None = None

    @model_validator(mode="after")
    def _sell_limit_for_send_to_all(self) -> Self:
        if self.sell_limit is not None and self.method is not DistributionMethod.SEND_TO_ALL:
            raise ValueError("sell_limit applies to send_to_all only")
        return self


@dataclass(frozen=True, slots=True)
class Candidate:
    """An eligible buyer: its priority (lower first), weight (≥ 1) and price, if it has one."""

    buyer_id: str
    priority: int = 0
    weight: int = 1
    price: Cents | None = None

    def __post_init__(self) -> None:
        if self.weight < 1:
            raise ValueError(f"weight of {self.buyer_id!r} must be at least 1")


def rotation_key(campaign_id: str) -> str:
    """The counter whose sequence numbers rotate a campaign's round robin and weighted order."""
    return f"rotation:{campaign_id}"


def _by_priority(candidate: Candidate) -> tuple[int, str]:
    return (candidate.priority, candidate.buyer_id)


def _by_price(candidate: Candidate) -> tuple[bool, int, int, str]:
    price = candidate.price
    return (price is None, -(price or 0), candidate.priority, candidate.buyer_id)


def _by_weight(candidate: Candidate) -> tuple[int, int, str]:
    return (-candidate.weight, candidate.priority, candidate.buyer_id)


@lru_cache(maxsize=256)
def smooth_sequence(weights: tuple[int, ...]) -> tuple[int, ...]:
    """nginx's smooth weighted round robin: one period of picks, as indexes into ``weights``.

    Each step adds every weight to its running score and picks the highest score (the first on
    a tie), which then loses the total. Common factors are divided out first (weights 50/30/20
    run as 5/3/2): with ``g`` their gcd, index i appears ``weights[i] / g`` times in a period of
    ``sum(weights) / g`` picks, so indexing by ``rotation % len(period)`` is the same as by
    ``rotation % sum(weights)`` in the repeated sequence. Computed once per weight list
    (``sum / g × n`` steps): keep weights small, like percentages.
    """
    divisor = math.gcd(*weights)
    reduced = [w // divisor for w in weights]
    total = sum(reduced)
    scores = [0] * len(reduced)
    picks = []
    for _ in range(total):
        for i, weight in enumerate(reduced):
            scores[i] += weight
        best = scores.index(max(scores))
        scores[best] -= total
        picks.append(best)
    return tuple(picks)


def attempt_order(
    method: DistributionMethod, candidates: Sequence[Candidate], rotation: int
) -> list[Candidate]:
    """The order in which to offer the lead to ``candidates`` (see the module docstring).

    ``rotation`` matters only to ``round_robin`` and ``weighted``.
    """
    ordered = sorted(candidates, key=_by_priority)
    if not ordered:
        return ordered
    if method is DistributionMethod.HIGHEST_BIDDER:
        return sorted(candidates, key=_by_price)
    if method is DistributionMethod.ROUND_ROBIN:
        start = rotation % len(ordered)
        return ordered[start:] + ordered[:start]
    if method is DistributionMethod.WEIGHTED:
        sequence = smooth_sequence(tuple(c.weight for c in ordered))
        first = ordered[sequence[rotation % len(sequence)]]
        return [first, *sorted((c for c in ordered if c is not first), key=_by_weight)]
    return ordered
