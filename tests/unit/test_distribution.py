"""Direct Post distribution: orders per method, and fairness of the rotations."""

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from pickpost.domain.distribution import (
    Candidate,
    DistributionConfig,
    DistributionMethod,
    attempt_order,
    smooth_sequence,
)
from tests.unit.factories import NO_DB

M = DistributionMethod
BUYERS = [
    Candidate("delta", priority=2, weight=1, price=3000),
    Candidate("alpha", priority=1, weight=3, price=2000),
    Candidate("charlie", priority=2, weight=1, price=None),
    Candidate("bravo", priority=1, weight=5, price=3000),
]


def ids(order: list[Candidate]) -> list[str]:
    return [c.buyer_id for c in order]


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        (M.WATERFALL, ["alpha", "bravo", "charlie", "delta"]),  # priority, then id
        (M.SEND_TO_ALL, ["alpha", "bravo", "charlie", "delta"]),
        (M.HIGHEST_BIDDER, ["bravo", "delta", "alpha", "charlie"]),  # price; tie by priority
        (M.ROUND_ROBIN, ["alpha", "bravo", "charlie", "delta"]),  # rotation 0
    ],
)
def test_orders(method: DistributionMethod, expected: list[str]) -> None:
    assert ids(attempt_order(method, BUYERS, 0)) == expected


def test_highest_bidder_ties_on_price_and_priority_go_by_id() -> None:
    tied = [Candidate("b", 1, price=100), Candidate("a", 1, price=100), Candidate("c", 0)]
    assert ids(attempt_order(M.HIGHEST_BIDDER, tied, 0)) == ["a", "b", "c"]


def test_round_robin_rotates_the_priority_order() -> None:
    orders = [ids(attempt_order(M.ROUND_ROBIN, BUYERS, r)) for r in range(5)]
    assert orders == [
        ["alpha", "bravo", "charlie", "delta"],
        ["bravo", "charlie", "delta", "alpha"],
        ["charlie", "delta", "alpha", "bravo"],
        ["delta", "alpha", "bravo", "charlie"],
        ["alpha", "bravo", "charlie", "delta"],
    ]


def test_weighted_puts_the_smooth_pick_first_and_the_rest_by_weight() -> None:
    # Priority order: alpha (3), bravo (5), charlie (1), delta (1); W = 10.
    assert ids(attempt_order(M.WEIGHTED, BUYERS, 0)) == ["bravo", "alpha", "charlie", "delta"]
    assert ids(attempt_order(M.WEIGHTED, BUYERS, 1)) == ["alpha", "bravo", "charlie", "delta"]
    firsts = [attempt_order(M.WEIGHTED, BUYERS, r)[0].buyer_id for r in range(10)]
    assert Counter(firsts) == {"bravo": 5, "alpha": 3, "charlie": 1, "delta": 1}


def test_smooth_sequence_matches_nginx() -> None:
    # The example of nginx's commit introducing smooth weighted round robin (a=5, b=1, c=1):
    # the light buyers are interleaved, not left to the end of the period.
    assert smooth_sequence((5, 1, 1)) == (0, 0, 1, 0, 2, 0, 0)


def test_smooth_sequence_divides_out_common_factors() -> None:
    assert smooth_sequence((50, 30, 20)) == smooth_sequence((5, 3, 2))
    assert len(smooth_sequence((1000, 1000))) == 2


def test_no_candidates_no_order() -> None:
    for method in M:
        assert attempt_order(method, [], 7) == []


def test_the_input_order_does_not_matter() -> None:
    for method in M:
        for rotation in range(4):
            assert attempt_order(method, BUYERS, rotation) == attempt_order(
                method, list(reversed(BUYERS)), rotation
            )


def test_weight_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Candidate("x", weight=0)


def test_config() -> None:
    assert DistributionConfig().method is M.WATERFALL
    config = DistributionConfig.model_validate({"method": "send_to_all", "sell_limit": 3})
    assert config.sell_limit == 3
    with pytest.raises(ValidationError, match="send_to_all only"):
        DistributionConfig.model_validate({"method": "waterfall", "sell_limit": 3})
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        DistributionConfig.model_validate({"method": "send_to_all", "sell_limit": 0})
    with pytest.raises(ValidationError, match="waterfall"):
        DistributionConfig.model_validate({"method": "random"})


# --- fairness ---


@st.composite
def candidates(draw: st.DrawFn) -> list[Candidate]:
    names = draw(
        st.lists(st.text("abcdef", min_size=1, max_size=3), min_size=1, max_size=6, unique=True)
    )
    return [
        Candidate(
            name,
            priority=draw(st.integers(0, 3)),
            weight=draw(st.integers(1, 12)),
            price=draw(st.none() | st.integers(0, 5000)),
        )
        for name in names
    ]


@NO_DB
@given(buyers=candidates(), rounds=st.integers(1, 3), start=st.integers(0, 10**6))
def test_weighted_is_exactly_fair(buyers: list[Candidate], rounds: int, start: int) -> None:
    total = sum(c.weight for c in buyers)
    firsts = Counter(
        attempt_order(M.WEIGHTED, buyers, r)[0].buyer_id
        for r in range(start, start + total * rounds)
    )
    assert firsts == {c.buyer_id: c.weight * rounds for c in buyers}


@NO_DB
@given(buyers=candidates(), rounds=st.integers(1, 3), start=st.integers(0, 10**6))
def test_round_robin_puts_each_buyer_first_equally_often(
    buyers: list[Candidate], rounds: int, start: int
) -> None:
    n = len(buyers)
    firsts = Counter(
        attempt_order(M.ROUND_ROBIN, buyers, r)[0].buyer_id
        for r in range(start, start + n * rounds)
    )
    assert firsts == {c.buyer_id: rounds for c in buyers}


@NO_DB
@given(buyers=candidates(), rotation=st.integers(0, 10**6), method=st.sampled_from(list(M)))
def test_every_method_orders_each_candidate_once(
    buyers: list[Candidate], rotation: int, method: DistributionMethod
) -> None:
    order = attempt_order(method, buyers, rotation)
    assert sorted(ids(order)) == sorted(ids(buyers))
    if method is M.HIGHEST_BIDDER:
        prices = [c.price for c in order]
        priced = [p for p in prices if p is not None]
        assert priced == sorted(priced, reverse=True)
        assert prices == priced + [None] * (len(prices) - len(priced))
    if method in (M.WATERFALL, M.SEND_TO_ALL):
        assert [c.priority for c in order] == sorted(c.priority for c in buyers)
