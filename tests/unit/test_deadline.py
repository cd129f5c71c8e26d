"""Deadline arithmetic with explicit clock readings (no real time is read)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pickpost.domain.deadline import Deadline
from tests.unit.factories import NO_DB

# Clock readings in the tables are binary fractions, so the float arithmetic is exact.
START = 1024.0
AT = 1025.5


def test_after_adds_the_budget_in_seconds() -> None:
    assert Deadline.after(START, 1500) == Deadline(AT)


@pytest.mark.parametrize(
    ("now", "remaining"),
    [
        (START, 1500),
        (START + 0.5, 1000),
        (AT - 2**-11, 0),  # 0.49 ms left: whole milliseconds only
        (AT - 2**-9, 1),  # 1.95 ms
        (AT, 0),
        (AT + 0.5, 0),  # past the deadline: never negative
        (AT + 5000, 0),
        (START - 1, 2500),  # a reading before the start just means more time
    ],
)
def test_remaining_ms(now: float, remaining: int) -> None:
    assert Deadline(AT).remaining_ms(now) == remaining


@pytest.mark.parametrize(
    ("now", "timeout", "reserve", "min_useful", "budget"),
    [
        (START, 800, 5, 10, 800),  # buyer's own timeout is the smaller
        (START, 2000, 5, 10, 1495),  # time left less the reserve is the smaller
        (START + 1, 800, 5, 10, 495),
        (AT - 2**-6, 800, 5, 10, 10),  # 15.6 ms left: exactly min_useful is still useful
        (AT - 7 * 2**-9, 800, 5, 10, None),  # 13.7 ms left: 8 ms is not useful
        (AT, 800, 5, 10, None),
        (AT + 1, 800, 5, 10, None),  # past the deadline
        (START, 5, 0, 10, None),  # the buyer's own timeout under min_useful
        (START, 800, 1500, 0, 0),  # nothing left after the reserve, and 0 is "useful"
        (START, 800, 1600, 0, None),
    ],
)
def test_buyer_budget_ms(
    now: float, timeout: int, reserve: int, min_useful: int, budget: int | None
) -> None:
    deadline = Deadline.after(START, 1500)
    assert deadline.buyer_budget_ms(now, timeout, reserve, min_useful) == budget


def test_budget_shrinks_as_time_passes() -> None:
    deadline = Deadline.after(START, 1500)
    budgets = [deadline.buyer_budget_ms(START + s, 5000, 5, 10) for s in (0.0, 0.5, 1.0, 1.375)]
    assert budgets == [1495, 995, 495, 120]


clock = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
budgets_ms = st.integers(min_value=0, max_value=120_000)
offsets_s = st.floats(min_value=-10, max_value=200, allow_nan=False, allow_infinity=False)


@NO_DB
@given(start=clock, budget=budgets_ms, offset=offsets_s)
def test_remaining_never_negative_nor_above_the_budget(
    start: float, budget: int, offset: float
) -> None:
    deadline = Deadline.after(start, budget)
    remaining = deadline.remaining_ms(start + offset)
    assert remaining >= 0
    if offset >= 0:
        assert remaining <= budget


@NO_DB
@given(start=clock, budget=budgets_ms, elapsed=st.integers(min_value=0, max_value=200_000))
def test_remaining_is_within_a_millisecond_of_the_exact_value(
    start: float, budget: int, elapsed: int
) -> None:
    deadline = Deadline.after(start, budget)
    exact = max(0, budget - elapsed)
    assert exact - 1 <= deadline.remaining_ms(start + elapsed / 1000) <= exact


@NO_DB
@given(
    start=clock,
    budget=budgets_ms,
    offset=offsets_s,
    timeout=st.integers(min_value=0, max_value=60_000),
    reserve=st.integers(min_value=0, max_value=1000),
    min_useful=st.integers(min_value=1, max_value=500),
)
def test_buyer_budget_never_exceeds_what_is_left(
    start: float,
    budget: int,
    offset: float,
    timeout: int,
    reserve: int,
    min_useful: int,
) -> None:
    deadline = Deadline.after(start, budget)
    now = start + offset
    remaining = deadline.remaining_ms(now)
    given_ms = deadline.buyer_budget_ms(now, timeout, reserve, min_useful)
    if given_ms is None:
        assert min(timeout, remaining - reserve) < min_useful
    else:
        assert given_ms == min(timeout, remaining - reserve)
        assert given_ms <= remaining - reserve
        assert given_ms <= timeout
        assert given_ms >= min_useful > 0
