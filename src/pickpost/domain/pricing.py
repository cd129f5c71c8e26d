"""Configured prices: a buyer's Direct Post price and a supplier's Direct Post payout.

One shape serves both (``price:`` on a buyer, ``payout:`` on a supplier)::

    price: {static: 20}

    price:
      conditional:
        - {when: [{field: state, allow: [CA]}], price: 35}
        - {when: [{field: credit_score, min: 700}, {field: home_owner, allow: ["yes"]}], price: 28}
      default: 15

Conditional rules are tried in order and the first whose ``when`` filters all pass gives the
price (filters follow :mod:`pickpost.domain.filters`, absent fields included). When no rule
matches, ``default`` applies; without a default there is no price, and a buyer without a price
is not eligible for the lead. Amounts are dollars with at most two decimals.
"""

from collections.abc import Mapping
from typing import Annotated, Self

from pydantic import Field, model_validator

from pickpost.domain.filters import FilterRule
from pickpost.domain.model import Model, Money
from pickpost.domain.money import Cents, to_cents


class PriceRule(Model):
    """``price`` applies when every filter in ``when`` passes."""

    when: Annotated[tuple[FilterRule, ...], Field(min_length=1)]
    price: Money


class PriceConfig(Model):
    """Either ``static`` or ``conditional`` (with an optional ``default``)."""

    static: Money | None = None
    conditional: Annotated[tuple[PriceRule, ...], Field(min_length=1)] | None = None
    default: Money | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if (self.static is None) == (self.conditional is None):
            raise ValueError("give exactly one of static or conditional")
        if self.static is not None and self.default is not None:
            raise ValueError("default goes with conditional prices only")
        return self


def price_for(config: PriceConfig, lead: Mapping[str, object]) -> Cents | None:
    """The price in cents for ``lead``, or None when no rule matches and there is no default."""
    if config.static is not None:
        return to_cents(config.static)
    for rule in config.conditional or ():
        if all(condition.passes(lead) for condition in rule.when):
            return to_cents(rule.price)
    return None if config.default is None else to_cents(config.default)
