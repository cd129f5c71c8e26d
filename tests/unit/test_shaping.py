"""One-to-One bid shaping (docs/supplier-api.md): min_bid, margin, dedupe by entity, order,
max_bids."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pickpost.domain.bids import OfferedBid, RawBid
from pickpost.domain.margin import NO_MARGIN, Margin
from pickpost.domain.shaping import ShapingRules, shape_bids
from tests.unit.factories import NO_DB, IdSequence, raw_bid

TEN_PERCENT = Margin(percent=Decimal(10))


def shape(
    raw: list[RawBid], rules: ShapingRules | None = None, margin: Margin = NO_MARGIN
) -> list[OfferedBid]:
    return shape_bids(raw, rules or ShapingRules(), lambda _: margin, IdSequence())


def summary(offered: list[OfferedBid]) -> list[tuple[str, int]]:
    return [(bid.buyer_id, bid.price) for bid in offered]


# --- tables -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    raw: list[RawBid]
    rules: ShapingRules
    margin: Margin
    expected: list[tuple[str, int]]  # (buyer_id, price after margin), in offer order


CASES = [
    Case("no bids", [], ShapingRules(), NO_MARGIN, []),
    Case(
        "sorted by price descending",
        [raw_bid("a", 1000, "A"), raw_bid("b", 3000, "B"), raw_bid("c", 2000, "C")],
        ShapingRules(),
        NO_MARGIN,
        [("b", 3000), ("c", 2000), ("a", 1000)],
    ),
    Case(
        "price tie: faster answer first",
        [
            raw_bid("slow", 2000, "S", latency_ms=300),
            raw_bid("fast", 2000, "F", latency_ms=20),
            raw_bid("mid", 2000, "M", latency_ms=150.5),
        ],
        ShapingRules(),
        NO_MARGIN,
        [("fast", 2000), ("mid", 2000), ("slow", 2000)],
    ),
    Case(
        "min_bid compares the raw price, before margin",
        [raw_bid("at", 500, "A"), raw_bid("under", 499, "U"), raw_bid("over", 900, "O")],
        ShapingRules(min_bid=500),
        TEN_PERCENT,
        [("over", 810), ("at", 450)],
    ),
    Case(
        "percent margin rounds half-up to cents",
        [raw_bid("a", 1005, "A"), raw_bid("b", 4500, "B")],
        ShapingRules(),
        TEN_PERCENT,
        [("b", 4050), ("a", 905)],
    ),
    Case(
        "amount margin subtracts; a bid left at zero or below is dropped",
        [raw_bid("a", 250, "A"), raw_bid("b", 251, "B"), raw_bid("c", 100, "C")],
        ShapingRules(),
        Margin(amount=250),
        [("b", 1)],
    ),
    Case(
        "percent margin rounding to zero drops the bid",
        [raw_bid("a", 1, "A"), raw_bid("b", 2, "B")],
        ShapingRules(),
        Margin(percent=Decimal(75)),
        [("b", 1)],
    ),
    Case(
        "dedupe keeps the entity's highest bid, case-insensitively",
        [
            raw_bid("sun-low", 2000, "SunCo Solar LLC"),
            raw_bid("sun-high", 3000, "SUNCO SOLAR LLC"),
            raw_bid("bright", 2500, "Brightside Energy Inc."),
            raw_bid("sun-mid", 2800, "sunco solar llc"),
        ],
        ShapingRules(dedupe_by_entity=True),
        NO_MARGIN,
        [("sun-high", 3000), ("bright", 2500)],
    ),
    Case(
        "dedupe on a price tie keeps the faster answer",
        [raw_bid("slow", 2000, "E", latency_ms=90), raw_bid("fast", 2000, "e", latency_ms=30)],
        ShapingRules(dedupe_by_entity=True),
        NO_MARGIN,
        [("fast", 2000)],
    ),
    Case(
        "without dedupe an entity may appear several times",
        [raw_bid("x", 2000, "E"), raw_bid("y", 3000, "e")],
        ShapingRules(dedupe_by_entity=False),
        NO_MARGIN,
        [("y", 3000), ("x", 2000)],
    ),
    Case(
        "max_bids cuts after dedupe, keeping the best",
        [
            raw_bid("a1", 5000, "A"),
            raw_bid("a2", 4000, "A"),
            raw_bid("b", 3000, "B"),
            raw_bid("c", 2000, "C"),
        ],
        ShapingRules(max_bids=2, dedupe_by_entity=True),
        NO_MARGIN,
        [("a1", 5000), ("b", 3000)],
    ),
    Case(
        "max_bids larger than the bids keeps all",
        [raw_bid("a", 100, "A"), raw_bid("b", 200, "B")],
        ShapingRules(max_bids=8),
        NO_MARGIN,
        [("b", 200), ("a", 100)],
    ),
    Case(
        "min_bid then margin then dedupe then order then cut",
        [
            raw_bid("a", 400, "A"),  # under min_bid
            raw_bid("b", 1000, "B", latency_ms=50),
            raw_bid("b2", 1200, "b"),  # B's best
            raw_bid("c", 1000, "C", latency_ms=10),
            raw_bid("d", 600, "D"),
        ],
        ShapingRules(min_bid=500, max_bids=2, dedupe_by_entity=True),
        Margin(amount=100),
        [("b2", 1100), ("c", 900)],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_shaping_table(case: Case) -> None:
    assert (
        summary(shape_bids(case.raw, case.rules, lambda _: case.margin, IdSequence()))
        == case.expected
    )


def test_offered_bid_carries_the_buyer_data_and_a_fresh_id() -> None:
    ids = IdSequence("b_")
    raw = raw_bid(
        "sunco",
        4500,
        "SunCo Solar LLC",
        token="buyer-token-123",
        additional_data={"display_name": "SunCo"},
    )
    [offered] = shape_bids([raw], ShapingRules(), lambda _: TEN_PERCENT, ids)
    assert offered == OfferedBid(
        bid_id="b_0",
        buyer_id="sunco",
        price=4050,
        buyer_price=4500,
        tcpa_entity_name="SunCo Solar LLC",
        token="buyer-token-123",
        additional_data={"display_name": "SunCo"},
    )
    assert ids.issued == ["b_0"]


def test_ids_are_issued_in_offer_order_and_only_for_offered_bids() -> None:
    ids = IdSequence("x")
    raw = [raw_bid("a", 100, "A"), raw_bid("b", 300, "B"), raw_bid("c", 1, "C")]
    offered = shape_bids(raw, ShapingRules(min_bid=50), lambda _: NO_MARGIN, ids)
    assert [(b.bid_id, b.buyer_id) for b in offered] == [("x0", "b"), ("x1", "a")]
    assert ids.issued == ["x0", "x1"]


def test_input_is_not_modified() -> None:
    raw = [raw_bid("a", 100, "A"), raw_bid("b", 300, "B")]
    before = list(raw)
    shape(raw, ShapingRules(max_bids=1, dedupe_by_entity=True), TEN_PERCENT)
    assert raw == before


# --- properties ---------------------------------------------------------------------------------

# Few entity spellings and prices, so dedupe, ties and cuts happen often.
ENTITIES = [
    "SunCo Solar LLC",
    "SUNCO SOLAR LLC",
    "sunco solar llc",
    "Brightside",
    "BRIGHTSIDE",
    "Z",
]
BUYERS = ["sunco", "bright", "zeta", "omega"]

margins = st.one_of(
    st.decimals(min_value=0, max_value=Decimal("99.99"), places=2).map(lambda p: Margin(percent=p)),
    st.integers(min_value=0, max_value=5000).map(lambda a: Margin(amount=a)),
)
rules_strategy = st.builds(
    ShapingRules,
    min_bid=st.integers(min_value=0, max_value=20_000),
    max_bids=st.none() | st.integers(min_value=1, max_value=10),
    dedupe_by_entity=st.booleans(),
)


@st.composite
def raw_bids(draw: st.DrawFn) -> list[RawBid]:
    """Bids with unique tokens (``t0``, ``t1``, …) so each offer maps back to its input."""
    size = draw(st.integers(min_value=0, max_value=15))
    return [
        RawBid(
            buyer_id=draw(st.sampled_from(BUYERS)),
            price=draw(st.integers(min_value=0, max_value=3000) | st.sampled_from([1000, 1005])),
            tcpa_entity_name=draw(st.sampled_from(ENTITIES)),
            token=f"t{i}",
            additional_data={"n": i},
            latency_ms=draw(st.sampled_from([0.0, 10.0, 10.0, 55.5, 200.0])),
        )
        for i in range(size)
    ]


def eligible(raw: list[RawBid], rules: ShapingRules, margin: Margin) -> list[RawBid]:
    return [b for b in raw if b.price >= rules.min_bid and margin.apply(b.price) > 0]


def source_of(offer: OfferedBid, raw: list[RawBid]) -> RawBid:
    [match] = [b for b in raw if b.token == offer.token]
    return match


@NO_DB
@given(raw=raw_bids(), rules=rules_strategy, margin=margins)
def test_shaping_properties(raw: list[RawBid], rules: ShapingRules, margin: Margin) -> None:
    ids = IdSequence()
    offered = shape_bids(raw, rules, lambda _: margin, ids)
    sources = [source_of(offer, raw) for offer in offered]

    # Each offer is a distinct input bid, carried over unchanged.
    assert len({offer.token for offer in offered}) == len(offered)
    for offer, source in zip(offered, sources, strict=True):
        assert offer.buyer_id == source.buyer_id
        assert offer.buyer_price == source.price
        assert offer.tcpa_entity_name == source.tcpa_entity_name
        assert offer.additional_data == source.additional_data

    # Price after margin, positive, from a raw price at or above min_bid.
    for offer in offered:
        assert offer.price == margin.apply(offer.buyer_price)
        assert offer.price > 0
        assert offer.buyer_price >= rules.min_bid

    # Price descending; on a tie the faster answer first.
    for (a, sa), (b, sb) in zip(
        zip(offered, sources, strict=True), zip(offered[1:], sources[1:], strict=True), strict=False
    ):
        assert (a.price, -sa.latency_ms) >= (b.price, -sb.latency_ms)

    if rules.max_bids is not None:
        assert len(offered) <= rules.max_bids

    # Ids come from the injected generator, one per offer, in order.
    assert [offer.bid_id for offer in offered] == ids.issued

    candidates = eligible(raw, rules, margin)
    if rules.dedupe_by_entity:
        entities = [offer.tcpa_entity_name.casefold() for offer in offered]
        assert len(set(entities)) == len(entities)
        for offer in offered:
            same_entity = [
                margin.apply(b.price)
                for b in candidates
                if b.tcpa_entity_name.casefold() == offer.tcpa_entity_name.casefold()
            ]
            assert offer.price == max(same_entity)

    # Nothing eligible is left out unless the cut or dedupe removed it.
    if rules.max_bids is None or len(offered) < rules.max_bids:
        tokens = {offer.token for offer in offered}
        kept_entities = {offer.tcpa_entity_name.casefold() for offer in offered}
        for bid in candidates:
            assert bid.token in tokens or (
                rules.dedupe_by_entity and bid.tcpa_entity_name.casefold() in kept_entities
            )
    else:
        # A cut only ever removes bids priced at or below the last one offered (bids that
        # dedupe removed, as another bid of an offered entity, may be priced anywhere).
        tokens = {offer.token for offer in offered}
        kept_entities = {offer.tcpa_entity_name.casefold() for offer in offered}
        for bid in candidates:
            deduped = rules.dedupe_by_entity and bid.tcpa_entity_name.casefold() in kept_entities
            if bid.token not in tokens and not deduped:
                assert margin.apply(bid.price) <= offered[-1].price


@NO_DB
@given(raw=raw_bids(), rules=rules_strategy, margin=margins)
def test_max_bids_is_a_prefix_of_the_uncut_offer(
    raw: list[RawBid], rules: ShapingRules, margin: Margin
) -> None:
    uncut = ShapingRules(min_bid=rules.min_bid, dedupe_by_entity=rules.dedupe_by_entity)
    full = shape(raw, uncut, margin)
    cut = shape(raw, rules, margin)
    limit = len(full) if rules.max_bids is None else rules.max_bids
    assert [b.token for b in cut] == [b.token for b in full[:limit]]
    assert [b.bid_id for b in cut] == [b.bid_id for b in full[:limit]]
