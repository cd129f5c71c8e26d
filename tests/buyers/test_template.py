"""Merge-tag templates: parsing (and its errors), transformers, typed values."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pickpost.domain.template import (
    TRANSFORMERS,
    Call,
    Context,
    Tag,
    Template,
    TemplateError,
    Value,
    parse,
    parse_number,
)

TABLE = Path(__file__).parent / "cases" / "transformers" / "table.yaml"
ROWS: list[dict[str, Any]] = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
NO_DB = settings(database=None)


def context(now: datetime = NOW, **values: Value) -> Context:
    return Context(values, now)


def values_context(values: dict[str, Value]) -> Context:
    return Context(values, NOW)


@pytest.mark.parametrize("row", ROWS, ids=[row["template"] for row in ROWS])
def test_transformer_table(row: dict[str, Any]) -> None:
    now = datetime.fromisoformat(row["now"]) if "now" in row else NOW
    assert parse(row["template"]).render(context(now, **row["lead"])) == row["text"]


def test_the_table_shows_every_transformer() -> None:
    used = {call.name for row in ROWS for tag in parse(row["template"]).tags for call in tag.calls}
    assert used == set(TRANSFORMERS)


def test_parse_splits_text_and_tags() -> None:
    template = parse("zip={{zip_code}}&st={{state|upper|replace:TX:Texas}}")
    assert template == Template(
        (
            "zip=",
            Tag("zip_code"),
            "&st=",
            Tag("state", (Call("upper", ()), Call("replace", ("TX", "Texas")))),
        )
    )


def test_parse_is_cached() -> None:
    assert parse("a {{b}}") is parse("a {{b}}")


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("{{t|date:%H:%M}}", ("%H:%M",)),  # the last argument takes the rest
        ("{{t|replace:a:b:c}}", ("a", "b:c")),
        ("{{t|replace:\\::-}}", (":", "-")),
        ("{{t|replace:\\|:/}}", ("|", "/")),
        ("{{t|replace:a:}}", ("a", "")),
        ("{{t|default:}}", ("",)),
        ("{{t|default: x }}", (" x ",)),  # arguments are verbatim
    ],
)
def test_arguments(text: str, args: tuple[str, ...]) -> None:
    (tag,) = parse(text).tags
    assert tag.calls[0].args == args


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{zip_code", "unclosed '{{' at character 1"),
        ("a {{b}} {{c", "unclosed '{{' at character 9"),
        ("{{}}", "bad field name ''"),
        ("{{zip code}}", "bad field name 'zip code'"),
        ("{{a.}}", "bad field name 'a.'"),
        ("{{zip|uper}}", "unknown transformer 'uper'"),
        ("{{zip|}}", "unknown transformer ''"),
        ("{{zip|upper:1}}", "upper takes 0 argument(s), not 1"),
        ("{{zip|replace:a}}", "replace takes 2 argument(s), not 1"),
        ("{{zip|substr}}", "substr takes 1 to 2 argument(s), not 0"),
        ("{{zip|substr:a}}", "substr takes whole numbers, not 'a'"),
        ("{{zip|substr:0:-1}}", "substr length must not be negative"),
        ("{{zip|date}}", "date takes 1 argument(s), not 0"),
        ("{{zip|date:}}", "date needs a format"),
        ("{{zip|default}}", "default takes 1 argument(s), not 0"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(TemplateError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        parse(text)


def test_text_without_tags_and_stray_braces_are_literal() -> None:
    assert parse("a } b }} c {").render(context()) == "a } b }} c {"


@pytest.mark.parametrize(
    ("text", "values", "value"),
    [
        ("{{n}}", {"n": 4}, 4),
        ("{{f}}", {"f": 0.5}, 0.5),
        ("{{b}}", {"b": True}, True),
        ("{{s}}", {"s": "4"}, "4"),
        ("{{n|number}}", {"n": "1,200.50"}, Decimal("1200.50")),
        ("{{d|age}}", {"d": "2000-01-01"}, 26),
        ("{{missing}}", {}, ""),
        ("{{n|upper}}", {"n": 4}, "4"),  # a transformer of text gives text
        (" {{n}}", {"n": 4}, " 4"),  # anything around the tag gives text
        ("{{n}}{{n}}", {"n": 4}, "44"),
    ],
)
def test_value_keeps_the_type_of_a_lone_tag(
    text: str, values: dict[str, Value], value: Value
) -> None:
    found = parse(text).value(values_context(values))
    assert found == value
    assert type(found) is type(value)


def test_render_escapes_tag_text_only() -> None:
    rendered = parse("a&{{x}}").render(context(x="b&c"), escape=lambda s: s.replace("&", "%26"))
    assert rendered == "a&b%26c"


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("1,200.50", Decimal("1200.50")),
        (" $3 ", Decimal(3)),
        ("-0.5", Decimal("-0.5")),
        (".5", Decimal("0.5")),
        (12, Decimal(12)),
        (1.25, Decimal("1.25")),
        ("1e3", None),
        ("NaN", None),
        ("", None),
        (True, None),
        (None, None),
    ],
)
def test_parse_number(raw: Value, number: Decimal | None) -> None:
    assert parse_number(raw) == number


@NO_DB
@given(st.text())
def test_any_text_parses_and_renders_or_fails_with_a_template_error(text: str) -> None:
    try:
        template = parse(text)
    except TemplateError:
        return
    assert isinstance(template.render(context(x="1990-01-02")), str)


@NO_DB
@given(st.text().filter(lambda t: "{{" not in t))
def test_text_without_tags_renders_as_itself(text: str) -> None:
    assert parse(text).render(context()) == text
