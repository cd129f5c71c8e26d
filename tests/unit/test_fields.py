"""Lead field validation: per-type normalisation, per-step requirements, properties."""

import math
from collections.abc import Mapping
from datetime import timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pickpost.domain.fields import (
    FieldError,
    FieldSpec,
    FieldType,
    Requirement,
    Scalar,
    Step,
    Validated,
    normalise,
    validate_lead,
)

REQ = Requirement.REQUIRED
OPT = Requirement.OPTIONAL

# Enum specs used by the tables: the yes/no choice from docs/configuration.md and numeric codes.
YES_NO = ("yes", "no")
CODES = ("1", "2", "Other")


def spec_for(field_type: FieldType) -> FieldSpec:
    """A spec of ``field_type`` named after it (enums get the yes/no choices)."""
    values = YES_NO if field_type == FieldType.ENUM else ()
    return FieldSpec(str(field_type), field_type, ping=REQ, post=REQ, values=values)


def assert_same(result: Scalar | FieldError, expected: Scalar) -> None:
    """Equal and of the same type: 1 and 1.0 and True are equal in Python but not to a buyer."""
    assert result == expected
    assert type(result) is type(expected)


# (type, raw input, normalised value)
VALID: list[tuple[FieldType, object, Scalar]] = [
    (FieldType.TEXT, "hello", "hello"),
    (FieldType.TEXT, "  padded  ", "padded"),
    (FieldType.TEXT, 42, "42"),
    (FieldType.TEXT, 1.5, "1.5"),
    (FieldType.TEXT, True, "true"),
    (FieldType.TEXT, False, "false"),
    (FieldType.TEXT, "x" * 1000, "x" * 1000),
    (FieldType.TEXT, "  " + "é" * 1000 + "\n", "é" * 1000),
    (FieldType.NUMBER, 42, 42),
    (FieldType.NUMBER, -7, -7),
    (FieldType.NUMBER, "42", 42),
    (FieldType.NUMBER, " 42.50 ", 42.5),
    (FieldType.NUMBER, "42.0", 42),
    (FieldType.NUMBER, 42.0, 42),
    (FieldType.NUMBER, 0.1, 0.1),
    (FieldType.NUMBER, "-0.5", -0.5),
    (FieldType.NUMBER, "+3", 3),
    (FieldType.NUMBER, ".5", 0.5),
    (FieldType.NUMBER, "5.", 5),
    (FieldType.NUMBER, "1e3", 1000),
    (FieldType.NUMBER, "2.5E-1", 0.25),
    (FieldType.NUMBER, "-0", 0),
    (FieldType.NUMBER, -0.0, 0),
    (FieldType.NUMBER, "1e20", 1e20),
    (FieldType.NUMBER, 10**18, 10**18),
    (FieldType.NUMBER, 10**19, 1e19),
    (FieldType.NUMBER, "1.00000000000000000001", 1),
    (FieldType.EMAIL, "jane@example.com", "jane@example.com"),
    (FieldType.EMAIL, " Jane.Doe+leads@Example.COM ", "Jane.Doe+leads@example.com"),
    (FieldType.EMAIL, "a@b.co.uk", "a@b.co.uk"),
    (FieldType.EMAIL, "x@" + "d" * 248 + ".com", "x@" + "d" * 248 + ".com"),
    (FieldType.PHONE, "5125550100", "5125550100"),
    (FieldType.PHONE, "512-555-0100", "5125550100"),
    (FieldType.PHONE, "512.555.0100", "5125550100"),
    (FieldType.PHONE, "(512) 555-0100", "5125550100"),
    (FieldType.PHONE, "+1 512 555 0100", "5125550100"),
    (FieldType.PHONE, "1-512-555-0100", "5125550100"),
    (FieldType.PHONE, "15125550100", "5125550100"),
    (FieldType.PHONE, 5125550100, "5125550100"),
    (FieldType.PHONE, 15125550100, "5125550100"),
    (FieldType.PHONE, "2002000000", "2002000000"),
    (FieldType.ZIP, "78701", "78701"),
    (FieldType.ZIP, "02134", "02134"),
    (FieldType.ZIP, "78701-1234", "78701"),
    (FieldType.ZIP, "787011234", "78701"),
    (FieldType.ZIP, " 78701 ", "78701"),
    (FieldType.ZIP, 78701, "78701"),
    (FieldType.ZIP, 787011234, "78701"),
    (FieldType.STATE, "TX", "TX"),
    (FieldType.STATE, "tx", "TX"),
    (FieldType.STATE, " Ca ", "CA"),
    (FieldType.STATE, "DC", "DC"),
    (FieldType.STATE, "pr", "PR"),
    (FieldType.STATE, "VI", "VI"),
    (FieldType.STATE, "GU", "GU"),
    (FieldType.STATE, "AS", "AS"),
    (FieldType.STATE, "MP", "MP"),
    (FieldType.STATE, "AA", "AA"),
    (FieldType.STATE, "ae", "AE"),
    (FieldType.STATE, "AP", "AP"),
    (FieldType.DATE, "2024-02-29", "2024-02-29"),
    (FieldType.DATE, " 1990-01-31 ", "1990-01-31"),
    (FieldType.DATETIME, "2026-11-27T10:15:00Z", "2026-11-27T10:15:00+00:00"),
    (FieldType.DATETIME, "2026-11-27T10:15:00z", "2026-11-27T10:15:00+00:00"),
    (FieldType.DATETIME, "2026-11-27T10:15:00+05:30", "2026-11-27T10:15:00+05:30"),
    (FieldType.DATETIME, "2026-11-27T10:15:00.250-06:00", "2026-11-27T10:15:00.250000-06:00"),
    (FieldType.DATETIME, "2026-11-27T10:15", "2026-11-27T10:15:00"),
    (FieldType.DATETIME, "2026-11-27 10:15:00", "2026-11-27T10:15:00"),
    (FieldType.DATETIME, "2026-11-27", "2026-11-27T00:00:00"),
    (FieldType.IP, "203.0.113.7", "203.0.113.7"),
    (FieldType.IP, " 203.0.113.7 ", "203.0.113.7"),
    (FieldType.IP, "2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
    (FieldType.IP, "::1", "::1"),
    (FieldType.URL, "https://example.com", "https://example.com"),
    (FieldType.URL, "http://example.com:8080/a?b=c#d", "http://example.com:8080/a?b=c#d"),
    (FieldType.URL, " HTTPS://Example.com/Path ", "HTTPS://Example.com/Path"),
    (FieldType.URL, "http://[::1]/", "http://[::1]/"),
    (FieldType.URL, "https://x.io/" + "p" * 2000, "https://x.io/" + "p" * 2000),
    (FieldType.ENUM, "yes", "yes"),
    (FieldType.ENUM, " YES ", "yes"),
    (FieldType.ENUM, "No", "no"),
    (FieldType.BOOL, True, True),
    (FieldType.BOOL, False, False),
    (FieldType.BOOL, 1, True),
    (FieldType.BOOL, 0, False),
    (FieldType.BOOL, "true", True),
    (FieldType.BOOL, "FALSE", False),
    (FieldType.BOOL, "1", True),
    (FieldType.BOOL, "0", False),
    (FieldType.BOOL, "Yes", True),
    (FieldType.BOOL, "no", False),
    (FieldType.BOOL, "y", True),
    (FieldType.BOOL, "N", False),
    (FieldType.BOOL, " on ", True),
    (FieldType.BOOL, "off", False),
]

PHONE_MSG = "must be a 10-digit US phone number"
ZIP_MSG = "must be a 5-digit ZIP code"
STATE_MSG = "must be a 2-letter US state code"
DATE_MSG = "must be a date YYYY-MM-DD"
DATETIME_MSG = "must be an ISO 8601 date-time"
EMAIL_MSG = "must be an email address"
IP_MSG = "must be an IPv4 or IPv6 address"
URL_MSG = "must be an http or https URL"
BOOL_MSG = "must be true or false (also yes/no, 1/0, on/off)"

# (type, raw input, error message)
INVALID: list[tuple[FieldType, object, str]] = [
    (FieldType.TEXT, "x" * 1001, "must be at most 1000 characters"),
    (FieldType.NUMBER, True, "must be a number"),
    (FieldType.NUMBER, "abc", "must be a number"),
    (FieldType.NUMBER, "1,000", "must be a number"),
    (FieldType.NUMBER, "1_000", "must be a number"),
    (FieldType.NUMBER, "$5", "must be a number"),
    (FieldType.NUMBER, "NaN", "must be a number"),
    (FieldType.NUMBER, "Infinity", "must be a number"),
    (FieldType.NUMBER, "٣", "must be a number"),  # Arabic-Indic three: Decimal would take it
    (FieldType.NUMBER, "1" * 101, "must be a number"),
    (FieldType.NUMBER, math.nan, "must be a finite number"),
    (FieldType.NUMBER, math.inf, "must be a finite number"),
    (FieldType.NUMBER, -math.inf, "must be a finite number"),
    (FieldType.NUMBER, "1e400", "must be a finite number"),
    (FieldType.NUMBER, 10**400, "must be a finite number"),
    (FieldType.NUMBER, "1e99999999999999999999", "must be a finite number"),
    (FieldType.EMAIL, "jane", EMAIL_MSG),
    (FieldType.EMAIL, "jane@", EMAIL_MSG),
    (FieldType.EMAIL, "@example.com", EMAIL_MSG),
    (FieldType.EMAIL, "jane@example", EMAIL_MSG),
    (FieldType.EMAIL, "jane@@example.com", EMAIL_MSG),
    (FieldType.EMAIL, "jane@a@example.com", EMAIL_MSG),
    (FieldType.EMAIL, "jane doe@example.com", EMAIL_MSG),
    (FieldType.EMAIL, "jane@exa mple.com", EMAIL_MSG),
    (FieldType.EMAIL, "jane@example..com", EMAIL_MSG),
    (FieldType.EMAIL, "jane@.example.com", EMAIL_MSG),
    (FieldType.EMAIL, "jane@example.com.", EMAIL_MSG),
    (FieldType.EMAIL, "<jane@example.com>", EMAIL_MSG),
    (FieldType.EMAIL, "jane@example.com,bob@example.com", EMAIL_MSG),
    (FieldType.EMAIL, 12345, EMAIL_MSG),
    (FieldType.EMAIL, "x@" + "d" * 249 + ".com", "must be at most 254 characters"),
    (FieldType.PHONE, "512555010", PHONE_MSG),
    (FieldType.PHONE, "51255501000", PHONE_MSG),
    (FieldType.PHONE, "25125550100", PHONE_MSG),
    (FieldType.PHONE, "+44 20 7946 0958", PHONE_MSG),
    (FieldType.PHONE, "0125550100", PHONE_MSG),
    (FieldType.PHONE, "1125550100", PHONE_MSG),
    (FieldType.PHONE, "5120550100", PHONE_MSG),
    (FieldType.PHONE, "5121550100", PHONE_MSG),
    (FieldType.PHONE, "512-555-0100 x5", PHONE_MSG),
    (FieldType.PHONE, "512/555/0100", PHONE_MSG),
    (FieldType.PHONE, "512-555-O100", PHONE_MSG),
    (FieldType.PHONE, "٥١٢٥٥٥٠١٠٠", PHONE_MSG),
    (FieldType.PHONE, -5125550100, PHONE_MSG),
    (FieldType.PHONE, 5125550100.0, PHONE_MSG),
    (FieldType.PHONE, True, PHONE_MSG),
    (FieldType.ZIP, "7870", ZIP_MSG),
    (FieldType.ZIP, "787012", ZIP_MSG),
    (FieldType.ZIP, "78701-123", ZIP_MSG),
    (FieldType.ZIP, "78701 1234", ZIP_MSG),
    (FieldType.ZIP, "ABCDE", ZIP_MSG),
    (FieldType.ZIP, 2134, ZIP_MSG),
    (FieldType.ZIP, 21341234, ZIP_MSG),
    (FieldType.ZIP, 787012, ZIP_MSG),
    (FieldType.ZIP, -78701, ZIP_MSG),
    (FieldType.ZIP, 78701.0, ZIP_MSG),
    (FieldType.ZIP, True, ZIP_MSG),
    (FieldType.STATE, "Texas", STATE_MSG),
    (FieldType.STATE, "XX", STATE_MSG),
    (FieldType.STATE, "T", STATE_MSG),
    (FieldType.STATE, "ẞ", STATE_MSG),
    (FieldType.STATE, 12, STATE_MSG),
    (FieldType.DATE, "2024-02-30", DATE_MSG),
    (FieldType.DATE, "2023-02-29", DATE_MSG),
    (FieldType.DATE, "2024-13-01", DATE_MSG),
    (FieldType.DATE, "20240101", DATE_MSG),
    (FieldType.DATE, "2024-1-1", DATE_MSG),
    (FieldType.DATE, "01/31/2024", DATE_MSG),
    (FieldType.DATE, "2024-01-01T00:00:00", DATE_MSG),
    (FieldType.DATE, 20240101, DATE_MSG),
    (FieldType.DATETIME, "yesterday", DATETIME_MSG),
    (FieldType.DATETIME, "2026-11-27T25:00:00", DATETIME_MSG),
    (FieldType.DATETIME, "2026-11-27T10:15:00+25:00", DATETIME_MSG),
    (FieldType.DATETIME, "\uff12\uff10\uff12\uff16-11-27", DATETIME_MSG),  # full-width digits
    (FieldType.DATETIME, 1700000000, DATETIME_MSG),
    (FieldType.IP, "256.0.0.1", IP_MSG),
    (FieldType.IP, "1.2.3", IP_MSG),
    (FieldType.IP, "localhost", IP_MSG),
    (FieldType.IP, "fe80::1%eth 0", IP_MSG),
    (FieldType.IP, 3232235777, IP_MSG),
    (FieldType.URL, "example.com", URL_MSG),
    (FieldType.URL, "ftp://example.com", URL_MSG),
    (FieldType.URL, "javascript:alert(1)", URL_MSG),
    (FieldType.URL, "https://", URL_MSG),
    (FieldType.URL, "https:///path", URL_MSG),
    (FieldType.URL, "https://exa mple.com", URL_MSG),
    (FieldType.URL, "https://example.com/\tx", URL_MSG),
    (FieldType.URL, "http://[::1", URL_MSG),
    (FieldType.URL, "http://example.com:99999", URL_MSG),
    (FieldType.URL, "http://example.com:port", URL_MSG),
    (FieldType.URL, 42, URL_MSG),
    (FieldType.URL, "https://x.io/" + "p" * 2036, "must be at most 2048 characters"),
    (FieldType.ENUM, "maybe", "must be one of: yes, no"),
    (FieldType.ENUM, 1, "must be one of: yes, no"),
    (FieldType.BOOL, "maybe", BOOL_MSG),
    (FieldType.BOOL, 2, BOOL_MSG),
    (FieldType.BOOL, -1, BOOL_MSG),
    (FieldType.BOOL, 1.0, BOOL_MSG),
    (FieldType.BOOL, "truthy", BOOL_MSG),
]


def case_id(case: tuple[FieldType, object, object]) -> str:
    return f"{case[0]}-{case[1]!r}"[:60]


@pytest.mark.parametrize(("field_type", "raw", "expected"), VALID, ids=map(case_id, VALID))
def test_valid_values_normalise(field_type: FieldType, raw: object, expected: Scalar) -> None:
    assert_same(normalise(spec_for(field_type), raw), expected)


@pytest.mark.parametrize(("field_type", "raw", "message"), INVALID, ids=map(case_id, INVALID))
def test_invalid_values_are_refused(field_type: FieldType, raw: object, message: str) -> None:
    assert normalise(spec_for(field_type), raw) == FieldError(str(field_type), message)


def test_every_type_is_covered_by_the_tables() -> None:
    assert {case[0] for case in VALID} == set(FieldType)
    assert {case[0] for case in INVALID} == set(FieldType)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(1, "1"), ("2", "2"), (" other ", "Other"), ("OTHER", "Other"), (True, None), (3, None)],
)
def test_enum_matches_ints_and_returns_declared_spelling(raw: object, expected: str | None) -> None:
    spec = FieldSpec("code", FieldType.ENUM, post=REQ, values=CODES)
    result = normalise(spec, raw)
    if expected is None:
        assert result == FieldError("code", "must be one of: 1, 2, Other")
    else:
        assert_same(result, expected)


def test_enum_bool_input_matches_true_false_choices() -> None:
    spec = FieldSpec("opt_in", FieldType.ENUM, post=REQ, values=("True", "False"))
    assert normalise(spec, False) == "False"


def test_enum_without_values_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="needs at least one value"):
        FieldSpec("kind", FieldType.ENUM, post=REQ)


@pytest.mark.parametrize("field_type", list(FieldType))
@pytest.mark.parametrize("raw", [[], ["78701"], {"a": 1}, ("x",), b"78701", object()])
def test_non_scalars_must_be_a_single_value(field_type: FieldType, raw: object) -> None:
    assert normalise(spec_for(field_type), raw) == FieldError(
        str(field_type), "must be a single value"
    )


@pytest.mark.parametrize("field_type", list(FieldType))
@pytest.mark.parametrize("raw", [None, "", "   ", "\t\n"])
def test_normalise_of_absent_value_is_required(field_type: FieldType, raw: object) -> None:
    assert normalise(spec_for(field_type), raw) == FieldError(str(field_type), "is required")


# --- requirements per step -----------------------------------------------------------------

SPECS = (
    FieldSpec("zip_code", FieldType.ZIP, ping=REQ, post=REQ),
    FieldSpec("state", FieldType.STATE, ping=REQ, post=REQ),
    FieldSpec("phone", FieldType.PHONE, post=REQ),
    FieldSpec("email", FieldType.EMAIL, post=OPT),
    FieldSpec("home_owner", FieldType.ENUM, ping=OPT, post=OPT, values=YES_NO),
)


@pytest.mark.parametrize(
    ("spec", "step", "expected"),
    [
        (SPECS[0], Step.PING, REQ),
        (SPECS[2], Step.PING, None),
        (SPECS[2], Step.POST, REQ),
        (SPECS[3], Step.POST, OPT),
        (SPECS[4], Step.PING, OPT),
    ],
)
def test_requirement_per_step(spec: FieldSpec, step: Step, expected: Requirement | None) -> None:
    assert spec.requirement(step) is expected


def test_valid_post_returns_normalised_values() -> None:
    data = {
        "zip_code": 78701,
        "state": "tx",
        "phone": "(512) 555-0100",
        "email": "Jane@Example.com",
        "home_owner": "YES",
    }
    result = validate_lead(SPECS, data, Step.POST)
    assert result == Validated(
        values={
            "zip_code": "78701",
            "state": "TX",
            "phone": "5125550100",
            "email": "Jane@example.com",
            "home_owner": "yes",
        },
        errors=(),
    )
    assert result.ok


@pytest.mark.parametrize("absent", [{}, {"phone": None}, {"phone": ""}, {"phone": "   "}])
def test_missing_required_field(absent: dict[str, object]) -> None:
    data: dict[str, object] = {"zip_code": "78701", "state": "TX", **absent}
    result = validate_lead(SPECS, data, Step.POST)
    assert result.errors == (FieldError("phone", "is required"),)
    assert not result.ok
    assert result.values == {"zip_code": "78701", "state": "TX"}


@pytest.mark.parametrize("absent", [None, "", "  "])
def test_absent_optional_field_is_skipped(absent: object) -> None:
    data = {"zip_code": "78701", "state": "TX", "phone": "5125550100", "email": absent}
    result = validate_lead(SPECS, data, Step.POST)
    assert result.ok
    assert "email" not in result.values


def test_fields_not_in_step_and_extras_are_ignored() -> None:
    # phone and email are post-only: at ping they are neither checked nor returned, even if
    # invalid; undeclared keys are left to the caller.
    data = {
        "zip_code": "78701",
        "state": "TX",
        "phone": "not a phone",
        "email": ["x"],
        "lp_subid1": "abc",
        "utm_source": {"nested": True},
    }
    result = validate_lead(SPECS, data, Step.PING)
    assert result == Validated(values={"zip_code": "78701", "state": "TX"}, errors=())


def test_every_failing_field_is_reported_in_declaration_order() -> None:
    data = {
        "home_owner": "maybe",
        "email": "nope",
        "state": "Texas",
        "zip_code": ["78701"],
        "phone": "123",
    }
    result = validate_lead(SPECS, data, Step.POST)
    assert result.errors == (
        FieldError("zip_code", "must be a single value"),
        FieldError("state", STATE_MSG),
        FieldError("phone", PHONE_MSG),
        FieldError("email", EMAIL_MSG),
        FieldError("home_owner", "must be one of: yes, no"),
    )
    assert result.values == {}


def test_missing_and_invalid_errors_mix() -> None:
    result = validate_lead(SPECS, {"state": "ZZ", "home_owner": "no"}, Step.PING)
    assert result.errors == (
        FieldError("zip_code", "is required"),
        FieldError("state", STATE_MSG),
    )
    assert result.values == {"home_owner": "no"}


def test_step_may_be_given_as_plain_string() -> None:
    # Step is a StrEnum, so "ping" read from a route or config behaves like Step.PING.
    assert FieldSpec("p", FieldType.PHONE, post=REQ).requirement(Step("ping")) is None


# --- properties ----------------------------------------------------------------------------

scalars = st.one_of(
    st.text(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)
first_digit = st.sampled_from("23456789")


def digits(count: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=count, max_size=count)


nanp = st.tuples(
    st.builds(lambda a, b: a + b, first_digit, digits(2)),
    st.builds(lambda a, b: a + b, first_digit, digits(2)),
    digits(4),
)

offsets = st.builds(
    timezone,
    st.timedeltas(
        min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
    ),
)

# Values each type accepts, in varied spellings, so the idempotence property exercises the
# valid branch of every normaliser (arbitrary scalars mostly hit the error branches).
valid_inputs: dict[FieldType, st.SearchStrategy[object]] = {
    FieldType.TEXT: st.text(max_size=1000).filter(str.strip),  # blank text counts as absent
    FieldType.NUMBER: st.one_of(
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.decimals(allow_nan=False, allow_infinity=False).map(str).filter(lambda s: len(s) <= 100),
    ),
    FieldType.EMAIL: st.emails().filter(lambda e: len(e) <= 254),
    FieldType.PHONE: nanp.map(lambda p: f"({p[0]}) {p[1]}-{p[2]}"),
    FieldType.ZIP: st.one_of(digits(5), digits(9), st.integers(10_000, 99_999)),
    FieldType.STATE: st.sampled_from(["tx", "Ny", "DC", "pr", "ae"]),
    FieldType.DATE: st.dates().map(lambda d: d.isoformat()),
    FieldType.DATETIME: st.one_of(
        st.datetimes().map(lambda d: d.isoformat()),
        st.datetimes().map(lambda d: d.isoformat() + "Z"),
        st.datetimes(timezones=offsets).map(lambda d: d.isoformat()),
    ),
    FieldType.IP: st.one_of(
        st.ip_addresses().map(str), st.ip_addresses(v=6).map(lambda a: a.exploded)
    ),
    FieldType.URL: st.from_regex(r"\Ahttps?://[a-z]{1,20}\.[a-z]{2,5}(/[a-zA-Z0-9_.~-]{0,30})?\Z"),
    FieldType.ENUM: st.sampled_from(["yes", "YES", " No ", "no"]),
    FieldType.BOOL: st.sampled_from([True, False, 0, 1, "Y", "off", "True", "no"]),
}


@settings(database=None, max_examples=50)
@given(data=st.data())
@pytest.mark.parametrize("field_type", list(FieldType))
def test_normalise_is_idempotent_for_valid_values(
    field_type: FieldType, data: st.DataObject
) -> None:
    spec = spec_for(field_type)
    # Arbitrary scalars too: whatever a normaliser accepts must be a fixed point.
    raw = data.draw(st.one_of(valid_inputs[field_type], scalars), label="raw")
    once = normalise(spec, raw)
    if not isinstance(once, FieldError):
        assert_same(normalise(spec, once), once)


@settings(database=None, max_examples=30)
@given(data=st.data())
@pytest.mark.parametrize("field_type", list(FieldType))
def test_generated_valid_inputs_are_accepted(field_type: FieldType, data: st.DataObject) -> None:
    raw = data.draw(valid_inputs[field_type], label="raw")
    result = normalise(spec_for(field_type), raw)
    if field_type == FieldType.NUMBER and isinstance(result, FieldError):
        # Only out-of-float-range decimals may be refused.
        assert result.message == "must be a finite number"
    else:
        assert not isinstance(result, FieldError), (raw, result)


@settings(database=None)
@given(parts=nanp)
def test_phone_formats_normalise_to_the_same_ten_digits(parts: tuple[str, str, str]) -> None:
    area, exchange, line = parts
    ten = area + exchange + line
    spellings: list[object] = [
        ten,
        f"{area}-{exchange}-{line}",
        f"{area}.{exchange}.{line}",
        f"({area}) {exchange}-{line}",
        f"({area}){exchange}-{line}",
        f"+1 {area} {exchange} {line}",
        f"+1 ({area}) {exchange}-{line}",
        f"+1-{area}-{exchange}-{line}",
        f"1{ten}",
        f"1.{area}.{exchange}.{line}",
        f"  {area} {exchange} {line}  ",
        int(ten),
        int("1" + ten),
    ]
    spec = spec_for(FieldType.PHONE)
    assert {normalise(spec, s) for s in spellings} == {ten}


ALL_TYPES_SPECS = tuple(
    FieldSpec(
        f"f_{t}",
        t,
        ping=REQ if i % 3 == 0 else (OPT if i % 3 == 1 else None),
        post=OPT if i % 2 else REQ,
        values=CODES if t == FieldType.ENUM else (),
    )
    for i, t in enumerate(FieldType)
)
wire_values = st.one_of(
    st.text(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.lists(st.one_of(st.text(), st.integers()), max_size=3),
)


@settings(database=None, max_examples=300)
@given(
    data=st.dictionaries(
        st.one_of(st.sampled_from([s.name for s in ALL_TYPES_SPECS]), st.text()), wire_values
    ),
    step=st.sampled_from(Step),
)
def test_validate_lead_never_raises_and_accounts_for_every_field(
    data: Mapping[str, object], step: Step
) -> None:
    result = validate_lead(ALL_TYPES_SPECS, data, step)
    in_step = [s for s in ALL_TYPES_SPECS if s.requirement(step) is not None]
    failed = [e.field for e in result.errors]
    # Errors follow declaration order, one per field, only for fields of this step.
    assert failed == [s.name for s in in_step if s.name in failed]
    assert set(result.values).isdisjoint(failed)
    assert set(result.values) <= {s.name for s in in_step}
    assert result.ok == (not result.errors)
    for spec in in_step:
        if spec.requirement(step) == REQ:
            assert spec.name in result.values or spec.name in failed
