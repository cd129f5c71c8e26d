"""The simulated buyers' scripts and decisions, without any network."""

import json
import random
from decimal import Decimal
from importlib.resources import as_file
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from pickpost.demo import FILES as DEMO
from pickpost.simbuyers.script import (
    BuyerScript,
    FleetConfig,
    LatencyScript,
    PriceScript,
    decide_ping,
    decide_post,
    draw_delay,
    draw_price,
    ping_answer,
    post_answer,
)

SEEDS = range(200)


def buyer(**overrides: Any) -> BuyerScript:
    return BuyerScript.model_validate({"id": "b", "price": {"fixed": 42.5}, **overrides})


def has_at_most_two_decimals(price: float) -> bool:
    exponent = Decimal(str(price)).as_tuple().exponent
    return isinstance(exponent, int) and exponent >= -2


# --- config -----------------------------------------------------------------------------------


def test_defaults() -> None:
    script = buyer()
    assert script.port == 0
    assert script.latency_ms.bounds_ms() == (0, 0)
    assert script.post_latency_ms.bounds_ms() == (0, 0)
    assert (script.no_bid_rate, script.accept_rate, script.duplicate_rate) == (0, 1, 0)
    assert script.no_bid_style == "204"
    assert script.fault is None


def test_bare_number_means_fixed() -> None:
    script = buyer(price=30, latency_ms=15)
    assert script.price.fixed == 30
    assert script.latency_ms.fixed == 15


def test_unquoted_204_style_from_yaml_is_accepted() -> None:
    assert buyer(no_bid_style=204).no_bid_style == "204"


@pytest.mark.parametrize(
    "price",
    [
        {"fixed": 1, "min": 1, "max": 2},
        {"min": 1},
        {"max": 1},
        {},
        {"min": 5, "max": 4},
        {"min": 10.001, "max": 10.009},
        {"fixed": 0},
        {"fixed": 0.001},
        {"fixed": -1},
    ],
)
def test_invalid_prices_are_refused(price: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        PriceScript.model_validate(price)


@pytest.mark.parametrize(
    "latency", [{"fixed": -1}, {"min": 10}, {"min": 20, "max": 10}, {"fixed": 1, "max": 2}]
)
def test_invalid_latencies_are_refused(latency: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        LatencyScript.model_validate(latency)


@pytest.mark.parametrize(
    "overrides",
    [
        {"no_bid_rate": 1.5},
        {"accept_rate": -0.1},
        {"no_bid_style": "empty"},
        {"fault": {"mode": "explode"}},
        {"fault": {"mode": "hang", "step": "pong"}},
        {"port": 70000},
        {"id": ""},
        {"unknown": 1},
    ],
)
def test_invalid_buyers_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        buyer(**overrides)


def test_fleet_refuses_duplicate_ids_and_ports() -> None:
    with pytest.raises(ValidationError, match="ids"):
        FleetConfig.model_validate({"buyers": [{"id": "a", "price": 1}, {"id": "a", "price": 1}]})
    with pytest.raises(ValidationError, match="ports"):
        FleetConfig.model_validate(
            {
                "buyers": [
                    {"id": "a", "price": 1, "port": 9001},
                    {"id": "b", "price": 1, "port": 9001},
                ]
            }
        )
    two_ephemeral = {"buyers": [{"id": "a", "price": 1}, {"id": "b", "price": 1}]}
    assert len(FleetConfig.model_validate(two_ephemeral).buyers) == 2


def test_scripts_are_frozen() -> None:
    with pytest.raises(ValidationError):
        buyer().no_bid_rate = 0.5  # type: ignore[misc]


def test_from_file_reads_yaml_and_json(tmp_path: Path) -> None:
    data = {"buyers": [{"id": "a", "price": {"min": 10, "max": 20}, "latency_ms": {"fixed": 5}}]}
    as_json = tmp_path / "fleet.json"
    as_json.write_text(json.dumps(data))
    as_yaml = tmp_path / "fleet.yml"
    as_yaml.write_text(
        "buyers:\n  - id: a\n    price: {min: 10, max: 20}\n    latency_ms: {fixed: 5}\n"
    )
    assert FleetConfig.from_file(as_json) == FleetConfig.from_file(str(as_yaml))


def test_from_file_refuses_other_suffixes(tmp_path: Path) -> None:
    path = tmp_path / "fleet.toml"
    path.write_text("")
    with pytest.raises(ValueError, match="unsupported"):
        FleetConfig.from_file(path)


def test_demo_fleet_shows_every_behaviour() -> None:
    with as_file(DEMO / "simbuyers.yaml") as path:
        fleet = FleetConfig.from_file(path)
    by_id = {b.id: b for b in fleet.buyers}
    assert set(by_id) == {"sunco", "brightside", "voltwise", "greenleaf", "homepower", "slowpoke"}
    assert sorted(b.port for b in fleet.buyers) == list(range(9001, 9007))
    assert all(b.tcpa_entity_name for b in fleet.buyers)
    assert any(b.price.fixed is not None for b in fleet.buyers)
    assert any(b.price.fixed is None for b in fleet.buyers)
    assert any(b.no_bid_rate == 0.3 for b in fleet.buyers)
    assert any(b.accept_rate == 0.5 for b in fleet.buyers)
    assert any(b.redirect_url for b in fleet.buyers)
    hangs = [b.fault for b in fleet.buyers if b.fault is not None]
    assert [(f.mode, f.step) for f in hangs] == [("hang", "ping")]
    latencies = [bound for b in fleet.buyers for bound in b.latency_ms.bounds_ms()]
    assert min(latencies) >= 20
    assert max(latencies) <= 300


# --- draws ------------------------------------------------------------------------------------


@given(
    low=st.integers(min_value=1, max_value=1_000_000),
    width=st.integers(min_value=0, max_value=100_000),
    seed=st.integers(),
)
def test_range_price_is_whole_cents_within_range(low: int, width: int, seed: int) -> None:
    script = PriceScript(min=low / 100, max=(low + width) / 100)
    price = draw_price(script, random.Random(seed))
    assert low / 100 <= price <= (low + width) / 100
    assert has_at_most_two_decimals(price)


@given(low=st.floats(min_value=0.01, max_value=1e6), seed=st.integers())
def test_uneven_range_bounds_round_inwards(low: float, seed: int) -> None:
    script = PriceScript(min=low, max=low + 0.015)
    price = draw_price(script, random.Random(seed))
    assert low <= price <= low + 0.015
    assert has_at_most_two_decimals(price)


def test_fixed_price_rounds_to_cents() -> None:
    assert draw_price(PriceScript(fixed=42.5), random.Random(0)) == 42.5
    assert draw_price(PriceScript(fixed=19.999), random.Random(0)) == 20.0


@given(
    low=st.integers(min_value=0, max_value=5_000),
    width=st.integers(min_value=0, max_value=5_000),
    seed=st.integers(),
)
def test_delay_is_within_range(low: int, width: int, seed: int) -> None:
    delay = draw_delay(LatencyScript(min=low, max=low + width), random.Random(seed))
    assert low <= delay <= low + width


def test_range_price_spreads_over_the_range() -> None:
    rng = random.Random(7)
    prices = {draw_price(PriceScript(min=10, max=50), rng) for _ in range(500)}
    assert min(prices) < 15
    assert max(prices) > 45


# --- decisions --------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_rate_zero_and_one_are_exact(seed: int) -> None:
    rng = random.Random(seed)
    assert decide_ping(buyer(no_bid_rate=0), rng).price == 42.5
    assert decide_ping(buyer(no_bid_rate=1), rng).price is None
    assert decide_post(buyer(accept_rate=1), rng).outcome == "accepted"
    assert decide_post(buyer(accept_rate=0), rng).outcome == "rejected"
    assert decide_post(buyer(duplicate_rate=1, accept_rate=1), rng).outcome == "duplicate"
    assert decide_ping(buyer(fault={"mode": "500", "rate": 1}), rng).fault == "500"
    assert decide_ping(buyer(fault={"mode": "500", "rate": 0}), rng).fault is None


@pytest.mark.parametrize(
    ("step", "on_ping", "on_post"),
    [("ping", "reset", None), ("post", None, "reset"), ("both", "reset", "reset")],
)
def test_fault_applies_to_its_step(step: str, on_ping: str | None, on_post: str | None) -> None:
    script = buyer(fault={"mode": "reset", "step": step})
    rng = random.Random(1)
    assert decide_ping(script, rng).fault == on_ping
    assert decide_post(script, rng).fault == on_post


def test_fault_step_defaults_to_ping() -> None:
    script = buyer(fault={"mode": "hang"})
    assert script.fault is not None
    assert script.fault.step == "ping"
    assert script.fault.rate == 1.0


def test_partial_rates_mix_outcomes() -> None:
    rng = random.Random(3)
    script = buyer(no_bid_rate=0.3, accept_rate=0.5, fault={"mode": "500", "rate": 0.2})
    pings = [decide_ping(script, rng) for _ in range(1000)]
    posts = [decide_post(script, rng).outcome for _ in range(1000)]
    faults = sum(p.fault is not None for p in pings)
    no_bids = sum(p.fault is None and p.price is None for p in pings)
    assert 100 < faults < 300
    assert 150 < no_bids < 350
    assert 350 < posts.count("accepted") < 650


def test_decisions_are_reproducible_from_a_seed() -> None:
    script = buyer(price={"min": 1, "max": 99}, latency_ms={"min": 0, "max": 500}, no_bid_rate=0.5)
    first, second = random.Random(42), random.Random(42)
    assert [decide_ping(script, first) for _ in range(50)] == [
        decide_ping(script, second) for _ in range(50)
    ]


def test_post_delay_uses_post_latency() -> None:
    script = buyer(latency_ms={"fixed": 10}, post_latency_ms={"fixed": 99})
    rng = random.Random(0)
    assert decide_ping(script, rng).delay_ms == 10
    assert decide_post(script, rng).delay_ms == 99


# --- answers ----------------------------------------------------------------------------------


def test_bid_omits_unset_optional_keys() -> None:
    answer = ping_answer(buyer(), 42.5, "b-1")
    assert (answer.status, answer.body) == (200, {"bid": {"price": 42.5, "bid_id": "b-1"}})


def test_bid_echoes_entity_and_additional_data() -> None:
    script = buyer(tcpa_entity_name="SunCo Solar LLC", additional_data={"tier": "gold"})
    assert ping_answer(script, 10.0, "t").body == {
        "bid": {
            "price": 10.0,
            "bid_id": "t",
            "tcpa_entity_name": "SunCo Solar LLC",
            "additional_data": {"tier": "gold"},
        }
    }


def test_no_bid_styles() -> None:
    assert ping_answer(buyer(), None, "t") == ping_answer(buyer(no_bid_style="204"), None, "t")
    assert ping_answer(buyer(), None, "t").status == 204
    assert ping_answer(buyer(), None, "t").body is None
    null = ping_answer(buyer(no_bid_style="null"), None, "t")
    assert (null.status, null.body) == (200, {"bid": None, "reason": "no coverage"})


def test_post_answers() -> None:
    script = buyer(redirect_url="https://example.test/thanks?lead={lead_id}&again={lead_id}")
    assert post_answer(script, "accepted", "l_9").body == {
        "accepted": True,
        "fields": {"redirect_url": "https://example.test/thanks?lead=l_9&again=l_9"},
    }
    assert post_answer(buyer(), "accepted", "l_9").body == {"accepted": True, "fields": {}}
    assert post_answer(script, "rejected", "l_9").body == {
        "accepted": False,
        "reason": "rejected by simulation",
        "duplicate": False,
    }
    assert post_answer(script, "duplicate", "l_9").body == {
        "accepted": False,
        "reason": "duplicate",
        "duplicate": True,
    }
