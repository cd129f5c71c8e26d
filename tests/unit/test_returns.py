"""The rules of returns (domain/returns.py) and the campaign's returns settings: who may open
a return of which sale, when, for which reason; who decides; what an approval gives back."""

from typing import Any

import pytest
from pydantic import ValidationError

from pickpost.domain.errors import Code
from pickpost.domain.lead import SaleStatus
from pickpost.domain.people import BOOTSTRAP_OWNER, Principal, Role
from pickpost.domain.returns import (
    DAY_S,
    LeadSales,
    Problem,
    ReturnStatus,
    SaleOfLead,
    amounts,
    check_decision,
    check_opening,
    choose_sale,
    note_problem,
    refusal,
)
from pickpost.domain.workspace import DEFAULT_RETURN_REASONS, ReturnsConfig
from tests.unit.factories import make_campaign, sold_sale

NOW = 1_790_000_000.0
ADMIN = Principal("ada", Role.ADMIN, user_id=1)
ANALYST = Principal("ann", Role.ANALYST, user_id=2)
SUNCO = Principal("sam", Role.BUYER, scope_id="sunco", user_id=3)
ACME = Principal("sue", Role.SUPPLIER, scope_id="7", user_id=4)


def sale(buyer_id: str = "sunco", **overrides: Any) -> SaleOfLead:
    return sold_sale(buyer_id, overrides.pop("sold_at", NOW - DAY_S), **overrides)


def lead(*sales: SaleOfLead) -> LeadSales:
    return LeadSales("l_1", "101", "7", sales or (sale(),))


def test_the_default_settings_accept_returns_for_a_week_without_charge_back() -> None:
    settings = make_campaign().returns
    assert settings == ReturnsConfig(
        window_days=7, reasons=DEFAULT_RETURN_REASONS, charge_back_supplier=False
    )
    stated = make_campaign(
        returns={"window_days": 3, "reasons": ["Bad data"], "charge_back_supplier": True}
    ).returns
    assert (stated.window_days, stated.reasons, stated.charge_back_supplier) == (
        3,
        ("Bad data",),
        True,
    )


@pytest.mark.parametrize(
    ("returns", "words"),
    [
        ({"window_days": -1}, "greater than or equal to 0"),
        ({"window_days": 366}, "less than or equal to 365"),
        ({"reasons": []}, "window_days: 0 to accept no returns"),
        ({"reasons": ["Fraud", "fraud"]}, "duplicate reason(s), ignoring case: Fraud, fraud"),
        ({"reasons": [" Fraud"]}, "may not start or end with a space"),
        ({"reasons": [""]}, "at least 1 character"),
        ({"window": 3}, "Extra inputs are not permitted"),
    ],
)
def test_returns_settings_refused(returns: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError, match="returns") as error:
        make_campaign(returns=returns)
    assert words in str(error.value)


def test_a_campaign_may_accept_no_returns_and_then_needs_no_reasons() -> None:
    assert make_campaign(returns={"window_days": 0, "reasons": []}).returns.reasons == ()


def test_an_operator_returns_the_only_sold_sale_or_names_the_buyer() -> None:
    one = lead(sale("sunco"), sale("acme", status=SaleStatus.REJECTED))
    assert choose_sale(ADMIN, one, None) == one.sales[0]
    assert choose_sale(ADMIN, one, "acme") == one.sales[1]  # then refused as not sold
    assert choose_sale(BOOTSTRAP_OWNER, one, "nobody") is Problem.NO_SALE
    two = lead(sale("sunco"), sale("acme"))
    assert choose_sale(ADMIN, two, None) is Problem.SEVERAL_BUYERS
    assert choose_sale(ADMIN, two, "acme") == two.sales[1]
    unsold = lead(sale("sunco", status=SaleStatus.REJECTED))
    assert choose_sale(ADMIN, unsold, None) is Problem.NOT_SOLD


def test_a_buyer_returns_only_its_own_purchases_and_sees_no_other_lead() -> None:
    two = lead(sale("sunco"), sale("acme"))
    assert choose_sale(SUNCO, two, None) == two.sales[0]  # its own, though sold to several
    assert choose_sale(SUNCO, two, "sunco") == two.sales[0]
    assert choose_sale(SUNCO, two, "acme") is Problem.NOT_PERMITTED
    assert choose_sale(SUNCO, lead(sale("acme")), None) is Problem.NO_LEAD
    assert choose_sale(SUNCO, lead(sale("acme")), "acme") is Problem.NO_LEAD


def test_suppliers_and_analysts_open_no_returns() -> None:
    assert choose_sale(ACME, lead(), None) is Problem.NOT_PERMITTED
    other = LeadSales("l_2", "101", "8", (sale(),))
    assert choose_sale(ACME, other, None) is Problem.NO_LEAD
    assert choose_sale(ANALYST, lead(), None) is Problem.NOT_PERMITTED


def test_a_sale_is_returnable_within_the_window_for_one_of_the_reasons() -> None:
    settings = ReturnsConfig(window_days=3, reasons=("Wrong number", "Fraud"))
    fresh = sale(sold_at=NOW - 3 * DAY_S)  # the window's last moment
    assert check_opening(fresh, settings, " wrong NUMBER ", NOW) == "Wrong number"
    assert check_opening(fresh, settings, "Too pricey", NOW) is Problem.UNKNOWN_REASON
    late = sale(sold_at=NOW - 3 * DAY_S - 1)
    assert check_opening(late, settings, "Fraud", NOW) is Problem.WINDOW_CLOSED
    assert check_opening(sale(returned=True), settings, "Fraud", NOW) is Problem.ALREADY_RETURNED
    unsold = sale(status=SaleStatus.UNKNOWN)
    assert check_opening(unsold, settings, "Fraud", NOW) is Problem.NOT_SOLD
    closed = ReturnsConfig(window_days=0)
    assert check_opening(sale(), closed, "Fraud", NOW) is Problem.NOT_ACCEPTED
    assert check_opening(sale(), None, "Fraud", NOW) is Problem.NOT_ACCEPTED  # campaign gone


def test_only_operators_decide_and_only_open_returns() -> None:
    assert check_decision(ADMIN, ReturnStatus.OPEN) is None
    assert check_decision(BOOTSTRAP_OWNER, ReturnStatus.OPEN) is None
    for principal in (ANALYST, SUNCO, ACME):
        assert check_decision(principal, ReturnStatus.OPEN) is Problem.NOT_OPERATOR
    for status in (ReturnStatus.APPROVED, ReturnStatus.REJECTED):
        assert check_decision(ADMIN, status) is Problem.ALREADY_DECIDED


def test_an_approval_credits_the_price_and_charges_back_only_when_the_campaign_does() -> None:
    assert amounts(sale(), ReturnsConfig(charge_back_supplier=True)) == (4050, 3645)
    assert amounts(sale(), ReturnsConfig(charge_back_supplier=False)) == (4050, 0)
    assert amounts(sale(), None) == (4050, 0)


@pytest.mark.parametrize(
    ("problem", "code", "status"),
    [
        (Problem.NO_LEAD, Code.NOT_FOUND, 404),
        (Problem.NOT_SOLD, Code.NOT_RETURNABLE, 409),
        (Problem.SEVERAL_BUYERS, Code.MISSING_PARAMETER, 400),
        (Problem.NOT_PERMITTED, Code.FORBIDDEN, 403),
        (Problem.WINDOW_CLOSED, Code.RETURN_WINDOW_CLOSED, 409),
        (Problem.UNKNOWN_REASON, Code.RETURN_REASON, 400),
        (Problem.ALREADY_RETURNED, Code.ALREADY_RETURNED, 409),
        (Problem.NOT_OPERATOR, Code.FORBIDDEN, 403),
        (Problem.ALREADY_DECIDED, Code.ALREADY_DECIDED, 409),
    ],
)
def test_each_problem_is_answered_with_its_code(problem: Problem, code: Code, status: int) -> None:
    answer = refusal(problem, "l_1")
    assert (answer.code, answer.code.http_status) == (code, status)
    assert answer.extra == {"reason": problem.value}


def test_every_problem_has_an_answer() -> None:
    for problem in Problem:
        assert refusal(problem, "x").message


@pytest.mark.parametrize(
    ("note", "problem"),
    [
        ("checked the call log", None),
        ("x" * 2000, None),
        ("x" * 2001, "is longer than 2000 characters"),
        ("a\x00b", "may not contain NUL characters"),
        ("a\ud800b", "must be valid Unicode (no lone surrogates)"),
    ],
)
def test_a_note_is_text_every_database_stores(note: str, problem: str | None) -> None:
    assert note_problem(note) == problem
