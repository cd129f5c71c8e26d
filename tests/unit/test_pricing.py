"""Configured prices: static, conditional rules in order, default, no price."""

from typing import Any

import pytest
from pydantic import ValidationError

from pickpost.domain.pricing import PriceConfig, price_for

CONDITIONAL = PriceConfig.model_validate(
    {
        "conditional": [
            {"when": [{"field": "state", "allow": ["CA"]}], "price": 35},
            {
                "when": [
                    {"field": "credit_score", "min": 700},
                    {"field": "home_owner", "allow": ["yes"]},
                ],
                "price": "28.50",
            },
            {"when": [{"field": "state", "allow": ["CA", "TX"]}], "price": 20},
        ],
        "default": 15,
    }
)


def test_static_price_is_in_cents() -> None:
    config = PriceConfig.model_validate({"static": 20})
    assert price_for(config, {}) == 2000
    assert price_for(PriceConfig.model_validate({"static": "12.34"}), {"x": 1}) == 1234


@pytest.mark.parametrize(
    ("lead", "expected"),
    [
        ({"state": "CA", "credit_score": 800, "home_owner": "yes"}, 3500),  # first match wins
        ({"state": "TX", "credit_score": 800, "home_owner": "yes"}, 2850),
        ({"state": "TX", "credit_score": 800, "home_owner": "no"}, 2000),  # all of when
        ({"state": "TX", "credit_score": 600, "home_owner": "yes"}, 2000),
        ({"state": "NY", "credit_score": 800}, 1500),  # absent home_owner: no match, default
        ({}, 1500),
    ],
)
def test_conditional_rules_in_order_then_default(lead: dict[str, object], expected: int) -> None:
    assert price_for(CONDITIONAL, lead) == expected


def test_no_match_without_default_is_no_price() -> None:
    config = PriceConfig.model_validate(
        {"conditional": [{"when": [{"field": "state", "allow": ["CA"]}], "price": 35}]}
    )
    assert price_for(config, {"state": "CA"}) == 3500
    assert price_for(config, {"state": "TX"}) is None


def test_a_zero_default_is_a_price() -> None:
    config = PriceConfig.model_validate(
        {"conditional": [{"when": [{"field": "s", "allow": ["x"]}], "price": 1}], "default": 0}
    )
    assert price_for(config, {}) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "exactly one of static or conditional"),
        ({"static": 20, "conditional": [{"when": [{"field": "s", "allow": ["x"]}], "price": 1}]},
         "exactly one of static or conditional"),
        ({"static": 20, "default": 5}, "default goes with conditional"),
        ({"default": 5}, "exactly one of static or conditional"),
        ({"conditional": []}, "at least 1 item"),
        ({"conditional": [{"when": [], "price": 1}]}, "at least 1 item"),
        ({"conditional": [{"when": [{"field": "s"}], "price": 1}]}, "exactly one condition"),
        ({"static": -1}, "greater than or equal to 0"),
        ({"static": "1.234"}, "decimal places"),
        ({"static": 1, "extra": 2}, "Extra inputs"),
    ],
)  # fmt: skip
def test_invalid_prices_are_refused(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PriceConfig.model_validate(data)
