"""The consumer's pick (docs/supplier-api.md): parsing ``lp_consent_bids`` and selecting offered
bids."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pickpost.domain.bids import OfferedBid
from pickpost.domain.consent import SelectionError, parse_bid_ids, select_consented
from tests.unit.factories import NO_DB, offered_bid

OFFERED = [offered_bid("b_a", "alpha"), offered_bid("b_b", "bravo"), offered_bid("b_c", "charlie")]


PARSED: list[tuple[object, list[str]]] = [
    (["b_1", "b_2"], ["b_1", "b_2"]),  # JSON body: an array
    (["b_2", "b_1"], ["b_2", "b_1"]),  # order kept
    ([" b_1 ", "b_2"], ["b_1", "b_2"]),
    ([], []),
    ("b_1", ["b_1"]),
    ("b_1,b_2", ["b_1", "b_2"]),
    ("b_1, b_2 ,  b_3", ["b_1", "b_2", "b_3"]),
    ("b_3,b_1", ["b_3", "b_1"]),
    ("b_1,,b_2,", ["b_1", "b_2"]),
    ("", []),
    ("  ", []),
    ('["b_1", "b_2"]', ["b_1", "b_2"]),  # form post: the JSON array as one string
    ('  ["b_2","b_1"]  ', ["b_2", "b_1"]),
    ("[]", []),
]


@pytest.mark.parametrize(("raw", "ids"), PARSED)
def test_parse_bid_ids(raw: object, ids: list[str]) -> None:
    assert parse_bid_ids(raw) == ids


@pytest.mark.parametrize(
    "raw",
    [
        {"b_1": True},
        {},
        42,
        4.5,
        True,
        None,
        [1, 2],
        ["b_1", 2],
        [["b_1"]],
        [None],
        "[1, 2]",
        '["b_1", 2]',
        "[b_1, b_2]",  # looks like an array but is not JSON
        '["b_1"',
    ],
)
def test_parse_bid_ids_refuses(raw: object) -> None:
    assert parse_bid_ids(raw) is None


@pytest.mark.parametrize("raw", ['{"b_a": 1}', '"b_a"', "b_a;b_b", "b_a b_b"])
def test_other_text_is_one_id_that_was_never_offered(raw: str) -> None:
    picked = parse_bid_ids(raw)
    assert picked is not None
    with pytest.raises(SelectionError, match="not offered"):
        select_consented(OFFERED, picked)


def test_selection_error_is_a_value_error() -> None:
    assert issubclass(SelectionError, ValueError)


@pytest.mark.parametrize(
    ("picked", "buyers"),
    [
        (["b_a"], ["alpha"]),
        (["b_c", "b_a"], ["charlie", "alpha"]),  # consumer order, not offer order
        (["b_b", "b_c", "b_a"], ["bravo", "charlie", "alpha"]),
        (["b_a", "b_b", "b_c"], ["alpha", "bravo", "charlie"]),
    ],
)
def test_select_consented_keeps_consumer_order(picked: list[str], buyers: list[str]) -> None:
    assert [b.buyer_id for b in select_consented(OFFERED, picked)] == buyers


@pytest.mark.parametrize(
    ("picked", "message"),
    [
        ([], "empty"),
        (["b_zzz"], "not offered"),
        (["b_a", "b_zzz"], "not offered"),
        (["b_a", "b_a"], "repeated"),
        (["b_a", "b_b", "b_a"], "repeated"),
        (["B_A"], "not offered"),  # ids are case-sensitive
    ],
)
def test_select_consented_refuses(picked: list[str], message: str) -> None:
    with pytest.raises(SelectionError, match=message):
        select_consented(OFFERED, picked)


def test_select_from_no_offers_refuses() -> None:
    with pytest.raises(SelectionError):
        select_consented([], ["b_a"])


def test_parse_then_select_from_a_form_post() -> None:
    picked = parse_bid_ids(' ["b_b", "b_a"] ')
    assert picked is not None
    chosen = select_consented(OFFERED, picked)
    assert [b.bid_id for b in chosen] == ["b_b", "b_a"]


ids = st.text(alphabet="abcdefghij0123456789_", min_size=1, max_size=8).map(lambda s: f"b_{s}")


@st.composite
def offers_and_pick(draw: st.DrawFn) -> tuple[list[OfferedBid], list[str]]:
    offered_ids = draw(st.lists(ids, min_size=1, max_size=10, unique=True))
    offered = [offered_bid(bid_id, f"buyer{i}", 100 * i) for i, bid_id in enumerate(offered_ids)]
    subset = draw(st.lists(st.sampled_from(offered_ids), min_size=1, unique=True))
    picked = draw(st.permutations(subset))
    return offered, list(picked)


@NO_DB
@given(case=offers_and_pick())
def test_any_ordered_subset_selects_exactly_those_bids(
    case: tuple[list[OfferedBid], list[str]],
) -> None:
    offered, picked = case
    chosen = select_consented(offered, picked)
    assert [bid.bid_id for bid in chosen] == picked
    by_id = {bid.bid_id: bid for bid in offered}
    assert chosen == [by_id[bid_id] for bid_id in picked]


@NO_DB
@given(case=offers_and_pick(), stranger=ids, position=st.integers(min_value=0, max_value=10))
def test_any_id_not_offered_is_refused(
    case: tuple[list[OfferedBid], list[str]], stranger: str, position: int
) -> None:
    offered, picked = case
    if stranger in {bid.bid_id for bid in offered}:
        stranger += "_other_ping"
    picked.insert(min(position, len(picked)), stranger)
    with pytest.raises(SelectionError):
        select_consented(offered, picked)


@NO_DB
@given(case=offers_and_pick(), position=st.integers(min_value=0, max_value=10))
def test_any_repeated_id_is_refused(
    case: tuple[list[OfferedBid], list[str]], position: int
) -> None:
    offered, picked = case
    picked.insert(min(position, len(picked)), picked[position % len(picked)])
    with pytest.raises(SelectionError, match="repeated"):
        select_consented(offered, picked)


@NO_DB
@given(picked=st.lists(ids, min_size=1, max_size=10))
def test_comma_string_and_json_array_parse_alike(picked: list[str]) -> None:
    as_json = "[" + ", ".join(f'"{bid_id}"' for bid_id in picked) + "]"
    assert parse_bid_ids(", ".join(picked)) == picked
    assert parse_bid_ids(as_json) == picked
    assert parse_bid_ids(picked) == picked
