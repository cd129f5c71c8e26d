"""Fuzzing the supplier endpoints of a live server: whatever a supplier sends, the answer is
the envelope and never a 5xx (docs/supplier-api.md, docs/security.md "Input limits").

Most requests authenticate, so hostile values reach validation, the buyers and the stores:
lone surrogates, NUL, numbers no store holds, deep and wide nesting, long text, odd keys and
charsets, in JSON bodies, form bodies and the query string, and POSTs of real pings.
Derandomized and bounded (about a minute per backend on two cores).
"""

import json
from typing import Any
from urllib.parse import quote_from_bytes

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.fuzz_exchange import CAMPAIGNS, FIELDS, LEAD, PING_POST, FuzzTarget, auth

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
STATUSES = {"ACCEPTED", "DUPLICATED", "ERROR"}

# What passes the door and goes on to validation, the buyers and the stores: text from all of
# Unicode but lone surrogates and NUL, numbers the stores hold, shallow nesting, odd keys.
_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=24)
_odd_text = st.sampled_from(
    ["", " ", "\ufeff", "\u202e", "\U0001f600", "null", "true", "0", "-0", "1e999", "NaN", "%ff",
     "%00", "\r\n", "é", "'; DROP TABLE leads;--", "<a>&amp;</a>", "{{zip_code}}", "{lead_id}",
     "x" * 5000, "7" * 300, "p_" + "A" * 22, "\\u0000", "\\ud800"]
)  # fmt: skip
_numbers = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([2**63 - 1, -(2**63), 0, -1, 10**18]),
    st.floats(allow_nan=False, allow_infinity=False),
)
_scalars = st.one_of(_text, _odd_text, _numbers, st.booleans(), st.none())
_names = [f["name"] for f in FIELDS]
_reserved = ["lp_campaign_id", "lp_supplier_id", "lp_key", "lp_ping_id", "lp_consent_bids",
             "lp_bid_ids", "lp_action", "lp_subid1", "lp_subid6"]  # fmt: skip
_keys = st.one_of(
    st.sampled_from(_names + _reserved),
    _text,
    st.sampled_from(["", " ", "0", "-1", "k" * 256, "__proto__", "lp_", "zip_code "]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=12,
)


def _nested(depth: int) -> Any:
    value: Any = "x"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


# What is refused at the door (1000): one such key or value in a minority of requests.
_surrogates = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)
_refused_value = st.one_of(
    st.sampled_from(["\x00", "a\x00b", "\ud800", "x\udfff", "\ud83d", 2**63, -(2**63) - 1,
                     10**400, float("nan"), float("inf"), _nested(17)]),
    _surrogates,
    st.integers(17, 40).map(_nested),
    st.integers(1001, 1200).map(lambda n: list(range(n))),
)  # fmt: skip
_refused_key = st.one_of(_surrogates, st.sampled_from(["k" * 257, "a\x00", "\udfff"]))
_refused = st.one_of(
    st.tuples(st.sampled_from(_names + _reserved + ["other"]), _refused_value),
    st.tuples(_refused_key, _values),
)
_changes = st.dictionaries(_keys, _values, max_size=5)
# One draw in eight of an index (not one_of, whose choice of branch is not even), so that most
# requests pass the door: about 60 % of all answers come from past authentication.
_maybe_refused = st.integers(0, 7).flatmap(lambda i: _refused if i == 0 else st.none())
_CONTENT_TYPES = (
    [None, "application/json", "application/json; charset=utf-8",
     "application/json; charset=latin-1", "application/json; charset=utf-16", "text/plain",
     "application/x-www-form-urlencoded",
     "application/x-www-form-urlencoded; charset=ISO-8859-1", "multipart/form-data", "charset=;"]
)  # fmt: skip
_content_types = st.sampled_from(_CONTENT_TYPES)
_odd_content_type = st.sampled_from([None] * 3 * len(_CONTENT_TYPES) + _CONTENT_TYPES)


def check(response: httpx.Response) -> dict[str, Any]:
    """The envelope, never a 5xx."""
    assert response.status_code < 500, response.text
    data = response.json()
    assert isinstance(data, dict), data
    assert data["status"] in STATUSES, data
    assert isinstance(data["code"], int), data
    assert isinstance(data["message"], str), data
    assert isinstance(data["request_id"], str), data
    return data


def _form_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value).lower()
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value)


def _form(data: dict[str, Any], charset: str = "utf-8") -> bytes:
    # Percent-encoded as sent: a lone surrogate becomes the bytes of its (invalid) UTF-8 form.
    def encoded(text: str) -> str:
        return quote_from_bytes(text.encode(charset, "surrogatepass" if charset == "utf-8"
                                            else "backslashreplace"))  # fmt: skip

    return "&".join(f"{encoded(k)}={encoded(_form_value(v))}" for k, v in data.items()).encode()


def _json(data: dict[str, Any], charset: str) -> bytes:
    if charset == "utf-8":
        return json.dumps(data).encode()  # lone surrogates go out as "\ud800" escapes
    # Other charsets: what the charset can hold raw, the rest as JSON escapes.
    return json.dumps(data, ensure_ascii=False).encode(charset, "backslashreplace")


def _encode(data: dict[str, Any], encoding: str, content_type: str | None) -> bytes:
    charset = "latin-1" if content_type and "latin-1" in content_type.lower() else "utf-8"
    if content_type and "8859-1" in content_type:
        charset = "latin-1"
    if encoding == "form":
        return _form(data, charset)
    return _json(data, charset)


def _request(
    target: FuzzTarget,
    path: str,
    data: dict[str, Any],
    encoding: str,
    content_type: str | None,
    in_query: list[str],
) -> dict[str, Any]:
    query_data = {k: data.pop(k) for k in in_query if k in data}
    query = f"?{_form(query_data).decode()}" if query_data else ""
    body = _encode(data, encoding, content_type)
    return check(target.send(path, body, content_type, query))


_kinds = st.sampled_from(sorted(CAMPAIGNS))
_encodings = st.sampled_from(["json", "form"])
_matching_type = {"json": "application/json", "form": "application/x-www-form-urlencoded"}


@settings(FUZZ, max_examples=3000)
@given(
    kind=_kinds,
    step=st.sampled_from(["ping", "post"]),
    changes=_changes,
    refused=_maybe_refused,
    encoding=_encodings,
    odd_type=_odd_content_type,
    in_query=st.lists(st.sampled_from(_names + _reserved), max_size=3),
    data=st.data(),
)
def test_hostile_values_get_the_envelope(
    target: FuzzTarget,
    kind: str,
    step: str,
    changes: dict[str, Any],
    refused: tuple[str, Any] | None,
    encoding: str,
    odd_type: str | None,
    in_query: list[str],
    data: st.DataObject,
) -> None:
    """An authenticated request to the campaign's endpoints, with a few of the lead's keys
    replaced, and now and then one key or value the door must refuse."""
    path = "/direct_post" if kind == "direct_post" else f"/{step}"
    request: dict[str, Any] = {**auth(kind), **LEAD}
    if path == "/post":
        pings = [p for p in target.pings if p.kind == kind] or target.pings
        ping = data.draw(st.sampled_from(pings))
        picks = data.draw(st.lists(st.sampled_from(ping.bid_ids), max_size=3, unique=True)
                          if ping.bid_ids else st.just([]))  # fmt: skip
        selection = "lp_bid_ids" if ping.kind == "shared" else "lp_consent_bids"
        request.update({"lp_ping_id": ping.ping_id, selection: picks})
    request.update(changes)
    if refused is not None:
        request[refused[0]] = refused[1]
    content_type = _matching_type[encoding] if odd_type is None else odd_type
    _request(target, path, request, encoding, content_type, in_query)


@settings(FUZZ, max_examples=400)
@given(
    kind=st.sampled_from(PING_POST),
    ping_changes=st.dictionaries(st.sampled_from([*_names, "notes", "lp_subid1"]), _scalars,
                                 max_size=3),
    post_changes=_changes,
    refused=_maybe_refused,
    encoding=_encodings,
    picks=st.integers(0, 3),
)  # fmt: skip
def test_a_ping_then_its_post(
    target: FuzzTarget,
    kind: str,
    ping_changes: dict[str, Any],
    post_changes: dict[str, Any],
    refused: tuple[str, Any] | None,
    encoding: str,
    picks: int,
) -> None:
    """A fresh ping with hostile values, then a POST of it with hostile values."""
    ping = _request(target, "/ping", {**auth(kind), **LEAD, **ping_changes}, "json",
                    "application/json", [])  # fmt: skip
    if "ping_id" not in ping:
        return
    bids = [bid["bid_id"] for bid in ping.get("bids", [])][:picks]
    selection = "lp_bid_ids" if kind == "shared" else "lp_consent_bids"
    post = {**auth(kind), **LEAD, "lp_ping_id": ping["ping_id"], selection: bids, **post_changes}
    if refused is not None:
        post[refused[0]] = refused[1]
    _request(target, "/post", post, encoding, _matching_type[encoding], [])


@settings(FUZZ, max_examples=400)
@given(
    path=st.sampled_from(["/ping", "/post", "/direct_post", "/ingest/"]),
    body=st.one_of(
        st.binary(max_size=200),
        st.sampled_from([b"", b"{}", b"[]", b"null", b"\xef\xbb\xbf{}", b'{"a":1,"a":2}',
                         b"\xff\xfe{\x00}\x00", b"a=%ff&b", b"=&=&", b"{" * 3000,
                         b"[" * 100_000, b'{"x": 1e999}', b'{"x": NaN}', b"\x00"]),
    ),
    content_type=_content_types,
    query=st.sampled_from(["", "?", "?&&", "?a", "?%ff=1", "?a=%ED%A0%80", "?lp_key=%00",
                           "?a=1&a=2", "?" + "&".join(f"k{i}=1" for i in range(1100))]),
)  # fmt: skip
def test_raw_bodies_get_the_envelope(
    target: FuzzTarget, path: str, body: bytes, content_type: str | None, query: str
) -> None:
    check(target.send(path, body, content_type, query))
