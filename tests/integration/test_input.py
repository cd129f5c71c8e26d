"""Supplier input that is not text every store takes is refused at the door (docs/security.md,
"Input limits"): ``1000`` with a clear message, before any buyer is called or cap reserved."""

import json
from typing import Any

import pytest

from tests.support.system import KEY, System
from tests.support.waiting import eventually

AUTH = {"lp_campaign_id": "100", "lp_supplier_id": "7", "lp_key": KEY}
DIRECT = {**AUTH, "lp_campaign_id": "1200", "zip_code": "78701", "state": "TX",
          "first_name": "Dana", "phone": "5125550142"}  # fmt: skip
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
LONE = "\ud800"  # a lone surrogate: Python's json reads "\ud800"; no store or encoder takes it


def send_json(sut: System, path: str, body: dict[str, Any]) -> Any:
    # json.dumps escapes the lone surrogate as "\ud800", as a supplier's client would send it.
    content = json.dumps(body).encode()
    return sut.http.post(path, content=content, headers={"Content-Type": "application/json"})


def assert_malformed(response: Any, words: str) -> None:
    assert response.status_code == 400, response.text
    data = response.json()
    assert (data["status"], data["code"]) == ("ERROR", 1000)
    assert words in data["message"]
    assert data["request_id"].startswith("r_")


@pytest.mark.parametrize(
    "extra",
    [
        {"first_name": f"Da{LONE}na"},  # a declared field
        {f"x{LONE}": "1"},  # an undeclared key
        {"notes": LONE},  # an undeclared value
        {"lp_subid1": LONE},
        {"nested": {"deep": [LONE]}},
    ],
)
def test_lone_surrogates_in_a_direct_post_are_refused(sut: System, extra: dict[str, Any]) -> None:
    assert_malformed(send_json(sut, "/direct_post", {**DIRECT, **extra}), "valid Unicode")
    assert sut.posts_received("d3") == []


def test_a_lone_surrogate_in_a_ping_is_refused_before_any_buyer_is_pinged(sut: System) -> None:
    body = {**AUTH, "zip_code": "78701", "state": "TX", "comment": f"hi{LONE}"}
    assert_malformed(send_json(sut, "/ping", body), "valid Unicode")
    assert sut.fleet.received("alpha") == []


def test_a_lone_surrogate_as_ping_id_is_refused(sut: System) -> None:
    body = {**AUTH, "lp_ping_id": f"p_{LONE}", "lp_consent_bids": ["b_1"], "zip_code": "78701"}
    assert_malformed(send_json(sut, "/post", body), "valid Unicode")


@pytest.mark.parametrize(
    ("query", "content"),
    [
        ("", b"x=%ff%fe"),  # percent-encoded invalid UTF-8
        ("", b"x=\xff\xfe"),  # the same bytes raw
        ("", b"x=%ED%A0%80"),  # a surrogate, UTF-8 encoded: not UTF-8 either
        ("?x=%ff%fe", b"zip_code=78701"),
        ("?x=%ED%A0%80", b"zip_code=78701"),
    ],
)
def test_form_data_that_is_not_utf8_is_refused_alike(
    sut: System, query: str, content: bytes
) -> None:
    form = f"lp_campaign_id=100&lp_supplier_id=7&lp_key={KEY}&state=TX&".encode() + content
    response = sut.http.post(f"/ping{query}", content=form, headers=FORM)
    assert_malformed(response, "not valid UTF-8 form data")
    assert sut.fleet.received("alpha") == []


def test_a_declared_latin1_body_is_read_as_latin1(sut: System) -> None:
    body = json.dumps({**DIRECT, "first_name": "Jörg"}, ensure_ascii=False).encode("latin-1")
    response = sut.http.post(
        "/direct_post",
        content=body,
        headers={"Content-Type": "application/json; charset=ISO-8859-1"},
    )
    assert response.json()["code"] == 0, response.text
    assert sut.lead(response.json()["lead_id"])["fields"]["first_name"] == "Jörg"


@pytest.mark.parametrize("charset", ["utf-16", "klingon", "rot13"])
def test_other_charsets_are_refused(sut: System, charset: str) -> None:
    response = sut.http.post(
        "/ping", json={**AUTH}, headers={"Content-Type": f"application/json; charset={charset}"}
    )
    assert_malformed(response, "unsupported charset")


def test_a_body_without_content_type_is_read_as_json_or_form(sut: System) -> None:
    form = f"lp_campaign_id=100&lp_supplier_id=7&lp_key={KEY}&zip_code=78701&state=TX"
    as_form = sut.http.post("/ping", content=form.encode())
    assert as_form.json()["code"] == 0, as_form.text
    document = json.dumps({**AUTH, "zip_code": "78701", "state": "TX"}).encode()
    as_json = sut.http.post("/ping", content=document)
    assert as_json.json()["code"] == 0, as_json.text


def test_a_utf8_byte_order_mark_is_ignored(sut: System) -> None:
    document = b"\xef\xbb\xbf" + json.dumps({**AUTH, "zip_code": "78701", "state": "TX"}).encode()
    response = sut.http.post(
        "/ping", content=document, headers={"Content-Type": "application/json"}
    )
    assert response.json()["code"] == 0, response.text


def test_too_many_keys_and_overlong_keys_are_refused(sut: System) -> None:
    many = {f"k{i}": i for i in range(1001)}
    assert_malformed(send_json(sut, "/ping", {**AUTH, **many}), "keys and array items")
    wide = {**AUTH, "list": list(range(1001))}
    assert_malformed(send_json(sut, "/ping", wide), "keys and array items")
    form = "&".join(f"k{i}=1" for i in range(1001)).encode()
    too_many = sut.http.post("/ping", content=form, headers=FORM)
    assert_malformed(too_many, "more than 1000 parameters")
    assert_malformed(send_json(sut, "/ping", {**AUTH, "k" * 257: "1"}), "at most 256")
    assert sut.fleet.received("alpha") == []


@pytest.mark.parametrize("path", ["/ping/", "/post/", "/direct_post/", "/ingest/"])
def test_a_trailing_slash_is_the_same_endpoint(sut: System, path: str) -> None:
    """Not a redirect: that is no envelope, and it names the host as the server saw it."""
    response = sut.http.post(path, json={"lp_campaign_id": "999", "lp_supplier_id": "7"})
    assert (response.status_code, response.json()["code"]) == (400, 1001)
    assert response.json()["request_id"].startswith("r_")


def test_a_ping_id_of_any_length_keeps_the_request_logged(sut: System) -> None:
    """``lp_ping_id`` is any text a supplier sends: one that cannot be ours is recorded with the
    request, not as the ping it concerns (PostgreSQL's index refused an entry of some kB that
    does not compress, losing the row)."""
    long_id = "p_" + ",".join(str(i * 7919 % 10007) for i in range(1500))
    posted = send_json(sut, "/post", {**AUTH, "lp_ping_id": long_id, "lp_consent_bids": ["b_1"]})
    assert posted.json()["code"] == 1010
    direct = send_json(sut, "/direct_post", {**DIRECT, "lp_ping_id": long_id})
    assert direct.json()["code"] == 0
    ids = {posted.json()["request_id"], direct.json()["request_id"]}

    def logged() -> list[tuple[Any, ...]]:
        rows = sut.query("SELECT id, ping_id, request FROM requests")
        return [row for row in rows if row[0] in ids]

    assert eventually(lambda: len(logged()) == 2)  # PostgreSQL lost them
    for _, ping_id, request in logged():
        assert ping_id is None  # not the ping it concerns: no ping has such an id
        recorded = json.loads(request) if isinstance(request, str) else request
        assert recorded["lp_ping_id"] == long_id
