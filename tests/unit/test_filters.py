"""Lead filters: one condition per rule, absent fields, list formats, failing field names."""

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from pickpost.domain.filters import FilterRule, failed_fields
from tests.unit.factories import NO_DB


def rule(**data: Any) -> FilterRule:
    return FilterRule.model_validate(data)


# (rule, lead value, passes)
CASES = [
    # allow / block: trimmed, case-insensitive equality
    ({"field": "state", "allow": ["TX", "CA"]}, "TX", True),
    ({"field": "state", "allow": ["TX", "CA"]}, " ca ", True),
    ({"field": "state", "allow": ["TX", "CA"]}, "NY", False),
    ({"field": "state", "allow": ["TX", "CA"]}, "TXX", False),
    ({"field": "state", "block": ["NY", "NJ"]}, "nj", False),
    ({"field": "state", "block": ["NY", "NJ"]}, "TX", True),
    ({"field": "city", "allow": ["Straße"]}, "STRASSE", True),  # casefold, not lower
    ({"field": "zip_code", "allow": [78701]}, "78701", True),  # YAML number in a list
    ({"field": "n", "allow": ["5"]}, 5, True),  # lead number compared as text
    ({"field": "ok", "allow": ["true"]}, True, True),  # boolean compared as true/false
    # comma / newline separated strings, as operators paste them
    ({"field": "zip_code", "allow": "78701, 78702\n60601\r\n"}, "60601", True),
    ({"field": "zip_code", "allow": "78701, 78702\n60601"}, "78703", False),
    ({"field": "zip_code", "block": "78701,78702"}, "78702", False),
    # prefixes (zip3)
    ({"field": "zip_code", "allow_prefix": ["787", "606"]}, "78701", True),
    ({"field": "zip_code", "allow_prefix": "787, 606"}, "60699", True),
    ({"field": "zip_code", "allow_prefix": ["787", "606"]}, "10001", False),
    ({"field": "zip_code", "block_prefix": ["100"]}, "10001", False),
    ({"field": "zip_code", "block_prefix": ["100"]}, "20001", True),
    ({"field": "code", "allow_prefix": ["ab"]}, "ABC", True),
    # regex: searched in the trimmed value, case kept
    ({"field": "email", "regex": r"@example\.com$"}, "joe@example.com", True),
    ({"field": "email", "regex": r"@example\.com$"}, "joe@example.com.evil", False),
    ({"field": "email", "regex": r"example"}, "joe@EXAMPLE.com", False),
    ({"field": "email", "regex": r"(?i)example"}, "joe@EXAMPLE.com", True),
    ({"field": "email", "regex": r"^joe@"}, "  joe@x.io ", True),
    ({"field": "email", "block_regex": r"test"}, "my-test@x.io", False),
    ({"field": "email", "block_regex": r"test"}, "jane@x.io", True),
    # numeric ranges, bounds inclusive
    ({"field": "credit_score", "min": 600, "max": 850}, "600", True),
    ({"field": "credit_score", "min": 600, "max": 850}, 850, True),
    ({"field": "credit_score", "min": 600, "max": 850}, 599, False),
    ({"field": "credit_score", "min": 600, "max": 850}, 850.01, False),
    ({"field": "credit_score", "min": 600}, "7.2e2", True),
    ({"field": "credit_score", "max": "0.5"}, "0.49", True),
    ({"field": "credit_score", "min": 600}, "seven hundred", False),
    ({"field": "credit_score", "min": 600}, True, False),  # a boolean is not a number
    ({"field": "credit_score", "min": 0}, "NaN", False),
    ({"field": "credit_score", "min": 0}, "Infinity", False),
    # dates, bounds exclusive; date-times use their written calendar date
    ({"field": "dob", "after": "1950-01-01", "before": "2005-12-31"}, "1980-06-15", True),
    ({"field": "dob", "after": "1950-01-01"}, "1950-01-01", False),
    ({"field": "dob", "after": "1950-01-01"}, "1950-01-02", True),
    ({"field": "dob", "before": "2005-12-31"}, "2005-12-31", False),
    ({"field": "dob", "before": "2005-12-31"}, "2005-12-30T23:59:59Z", True),
    ({"field": "dob", "before": "2005-12-31"}, "2005-12-31T00:00:00-05:00", False),
    ({"field": "dob", "before": "2005-12-31"}, "2005-12-30 10:00:00z", True),
    ({"field": "dob", "after": "1950-01-01"}, "1980-02-30", False),
    ({"field": "dob", "after": "1950-01-01"}, "19800215", False),
    ({"field": "dob", "after": "1950-01-01"}, "June 1980", False),
]


@pytest.mark.parametrize(("data", "value", "passes"), CASES)
def test_rule_table(data: dict[str, Any], value: object, passes: bool) -> None:
    assert rule(**data).passes({data["field"]: value}) is passes


ALLOW_TYPE = [
    {"field": "f", "allow": ["x"]},
    {"field": "f", "allow_prefix": ["x"]},
    {"field": "f", "regex": "x"},
    {"field": "f", "min": 1},
    {"field": "f", "after": "2000-01-01"},
]
BLOCK_TYPE = [
    {"field": "f", "block": ["x"]},
    {"field": "f", "block_prefix": ["x"]},
    {"field": "f", "block_regex": "x"},
]
ABSENT = [{}, {"f": None}, {"f": ""}, {"f": "   "}, {"f": ["x"]}, {"f": {"x": 1}}]


@pytest.mark.parametrize("data", ALLOW_TYPE)
@pytest.mark.parametrize("lead", ABSENT)
def test_an_absent_field_fails_allow_type_rules(data: dict[str, Any], lead: dict[str, Any]) -> None:
    assert not rule(**data).passes(lead)
    assert rule(**data).explain(lead) == "f: absent"


@pytest.mark.parametrize("data", BLOCK_TYPE)
@pytest.mark.parametrize("lead", ABSENT)
def test_an_absent_field_passes_block_type_rules(
    data: dict[str, Any], lead: dict[str, Any]
) -> None:
    assert rule(**data).passes(lead)


@pytest.mark.parametrize("data", BLOCK_TYPE)
def test_block_type_rules_block_a_present_value(data: dict[str, Any]) -> None:
    assert not rule(**data).passes({"f": "x"})


def test_a_yaml_date_is_accepted_as_a_bound() -> None:
    assert rule(field="dob", after=date(1950, 1, 1)).after == date(1950, 1, 1)


def test_lists_are_kept_as_written_and_compared_folded() -> None:
    parsed = rule(field="state", allow=" TX ,ca")
    assert parsed.allow == ("TX", "ca")
    assert parsed.model_dump(mode="json", exclude_none=True) == {
        "field": "state",
        "allow": ["TX", "ca"],
    }
    assert parsed.passes({"state": "CA"})


def test_regex_round_trips_as_its_pattern_text() -> None:
    parsed = rule(field="email", regex=r"@x\.io$")
    assert parsed.model_dump(mode="json", exclude_none=True) == {
        "field": "email",
        "regex": r"@x\.io$",
    }
    assert FilterRule.model_validate(parsed.model_dump(mode="json")) == parsed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"field": "f"}, "give exactly one condition"),
        ({"field": "f", "allow": ["x"], "block": ["y"]}, "give exactly one condition"),
        ({"field": "f", "min": 1, "after": "2000-01-01"}, "give exactly one condition"),
        ({"field": "f", "regex": "x", "allow_prefix": ["y"]}, "give exactly one condition"),
        ({"field": "f", "regex": "("}, "invalid regular expression"),
        ({"field": "f", "block_regex": "[a"}, "invalid regular expression"),
        ({"field": "f", "min": 3, "max": 1}, "min is above max"),
        ({"field": "f", "after": "2000-01-02", "before": "2000-01-01"}, "after must be earlier"),
        ({"field": "f", "after": "2000-01-01", "before": "2000-01-01"}, "after must be earlier"),
        ({"field": "f", "after": "2000-1-1"}, "YYYY-MM-DD"),
        ({"field": "f", "after": 946684800}, "YYYY-MM-DD"),
        ({"field": "f", "after": "2000-01-01T00:00:00"}, "YYYY-MM-DD"),
        ({"field": "f", "allow": [True]}, "quote yes/no/true/false"),
        ({"field": "f", "allow": [1.5]}, "text or whole numbers"),
        ({"field": "f", "allow": []}, "at least one value"),
        ({"field": "f", "allow": " , \n"}, "at least one value"),
        ({"field": "f", "min": "nan"}, "finite"),
        ({"field": "f", "allow": ["x"], "other": 1}, "Extra inputs"),
        ({"field": "bad name", "allow": ["x"]}, "may hold only letters, digits and"),
    ],
)
def test_invalid_rules_are_refused(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FilterRule.model_validate(data)


RULES = [
    rule(field="state", allow=["TX", "CA"]),
    rule(field="email", block_regex="test"),
    rule(field="credit_score", min=600),
    rule(field="state", block=["NY", "CA"]),
]


def test_failed_fields_names_each_failing_field_once_in_rule_order() -> None:
    lead = {"state": "NY", "email": "test@x.io", "credit_score": 500}
    assert failed_fields(RULES, lead) == ["state", "email", "credit_score"]
    lead = {"state": "CA", "email": "test@x.io", "credit_score": 500}
    assert failed_fields(RULES, lead) == ["email", "credit_score", "state"]


def test_failed_fields_is_empty_when_every_rule_passes() -> None:
    assert failed_fields(RULES, {"state": "TX", "email": "a@x.io", "credit_score": 700}) == []
    assert failed_fields([], {}) == []


@pytest.mark.parametrize(
    ("data", "value", "reason"),
    [
        ({"field": "zip", "allow_prefix": ["787"]}, "10001", "zip: '10001' has no allowed prefix"),
        ({"field": "zip", "block_prefix": ["100"]}, "10001", "zip: '10001' has a blocked prefix"),
        ({"field": "e", "regex": "^a"}, "b", "e: 'b' does not match '^a'"),
        ({"field": "e", "block_regex": "b"}, "b", "e: 'b' matches 'b'"),
        ({"field": "n", "max": 10}, 11, "n: '11' is above 10"),
        ({"field": "n", "min": 10}, 9, "n: '9' is below 10"),
        ({"field": "d", "after": "2000-01-01"}, "2000-01-01", "d: '2000-01-01' is not after 2000-01-01"),  # noqa: E501
        ({"field": "d", "before": "2000-01-01"}, "2001-01-01", "d: '2001-01-01' is not before 2000-01-01"),  # noqa: E501
        ({"field": "d", "before": "2000-01-01"}, "soon", "d: 'soon' is not a date"),
    ],
)  # fmt: skip
def test_explanations(data: dict[str, Any], value: object, reason: str) -> None:
    assert rule(**data).explain({data["field"]: value}) == reason


# --- properties ---------------------------------------------------------------------------------

words = st.text(alphabet="abcXYZ ß", min_size=1, max_size=6).filter(lambda w: w.strip())


@NO_DB
@given(values=st.lists(words, min_size=1, max_size=5), value=words)
def test_allow_and_block_are_complements_for_present_values(values: list[str], value: str) -> None:
    lead = {"f": value}
    assert rule(field="f", allow=values).passes(lead) != rule(field="f", block=values).passes(lead)


@NO_DB
@given(values=st.lists(words.filter(lambda w: "," not in w), min_size=1, max_size=5))
def test_a_comma_separated_string_means_the_same_as_the_list(values: list[str]) -> None:
    assert rule(field="f", allow=", ".join(values)) == rule(field="f", allow=values)


@NO_DB
@given(
    low=st.integers(-1000, 1000),
    high=st.integers(-1000, 1000),
    value=st.integers(-2000, 2000) | st.floats(-2000, 2000),
)
def test_range_is_inclusive_numeric_comparison(low: int, high: int, value: float) -> None:
    low, high = sorted((low, high))
    expected = low <= value <= high
    assert rule(field="n", min=low, max=high).passes({"n": value}) is expected
    assert rule(field="n", min=low, max=high).passes({"n": str(value)}) is expected
