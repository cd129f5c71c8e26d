"""How the console's lead and returns pages show values, and read a bulk mapping form."""

import pytest
from starlette.datastructures import FormData, UploadFile

from pickpost.api.console.formats import local, money, pretty, tone
from pickpost.api.console.page import templates
from pickpost.api.console.returns_pages import mapping_of
from pickpost.domain.returns import KeyKind


@pytest.mark.parametrize(
    ("cents", "shown"),
    [(0, "$0.00"), (5, "$0.05"), (4100, "$41.00"), (123456789, "$1,234,567.89"),
     (-410, "-$4.10"), (None, "—")],
)  # fmt: skip
def test_money_is_shown_exactly_from_cents(cents: int | None, shown: str) -> None:
    assert money(cents) == shown


def test_a_json_body_is_indented_and_other_text_left_as_it_is() -> None:
    assert pretty('{"a":1,"b":[2]}') == '{\n  "a": 1,\n  "b": [\n    2\n  ]\n}'
    assert pretty("zip=78701&st=TX") == "zip=78701&st=TX"
    assert pretty('{"cut": "hal') == '{"cut": "hal'


def test_times_are_shown_in_the_readers_zone() -> None:
    assert local("2026-11-27T03:30:00Z", "America/Chicago") == "2026-11-26 21:30"
    assert local("2026-11-27T03:30:05.25Z", "UTC", seconds=True) == "2026-11-27 03:30:05"
    assert local(None, "UTC") == "—"


def test_statuses_have_tones() -> None:
    assert [tone(s) for s in ("sold", "rejected", "open", "no_bid", None)] == [
        "good", "bad", "wait", "plain", "plain",
    ]  # fmt: skip


def test_the_bulk_mapping_form_reads_a_field_key_and_a_reason_column() -> None:
    form = FormData(
        [("key_column", "Phone"), ("key", "field:phone"), ("reason_column", "Why"),
         ("reason", "ignored"), ("buyer_column", ""), ("note", " sheet ")]
    )  # fmt: skip
    mapping = mapping_of(form)
    assert not isinstance(mapping, str)
    assert (mapping.key_kind, mapping.key_field) == (KeyKind.FIELD, "phone")
    assert (mapping.reason_column, mapping.reason, mapping.buyer_column) == ("Why", None, None)
    assert mapping.note == "sheet"
    fixed = mapping_of(FormData([("key_column", "id"), ("key", "lead_id"), ("reason", "Fraud")]))
    assert not isinstance(fixed, str)
    assert (fixed.key_kind, fixed.key_field, fixed.reason) == (KeyKind.LEAD_ID, None, "Fraud")


@pytest.mark.parametrize(
    "fields",
    [[("key", "lead_id"), ("reason", "Fraud")], [("key_column", "id"), ("key", "nonsense")],
     [("key_column", "id"), ("key", "lead_id")]],
)  # fmt: skip
def test_an_incomplete_mapping_says_what_is_missing(
    fields: list[tuple[str, str | UploadFile]],
) -> None:
    assert isinstance(mapping_of(FormData(fields)), str)


def test_a_recorded_body_is_shown_indented_or_marked_truncated() -> None:
    wire = templates.get_template("_wire.html")
    whole = wire.render(
        label="Response", headers={"Authorization": "[withheld]"},
        body={"text": '{"accepted":true}', "bytes": 17, "truncated": False},
    )  # fmt: skip
    assert "{\n  &#34;accepted&#34;: true\n}" in whole
    assert '<span class="withheld">[withheld]</span>' in whole
    assert "truncated" not in whole
    cut = wire.render(
        label="Request", headers=None, body={"text": '{"a": "xx', "bytes": 40000, "truncated": True}
    )
    assert "40000 bytes" in cut
    assert "truncated: the first 9 characters are kept" in cut
    assert "{&#34;a&#34;: &#34;xx&#10;… [truncated]</pre>" in cut
