"""Signed session cookies and CSRF tokens (api/sessions.py), and where sign-in may send a
browser back to: pure functions, no server."""

import base64
import json

import pytest

from pickpost.api.console.page import local_path
from pickpost.api.sessions import (
    PRESESSION_S,
    csrf_matches,
    new_session,
    open_presession,
    open_session,
    seal_presession,
    seal_session,
    sign,
    unsign,
)
from pickpost.services.people import SessionPolicy

POLICY = SessionPolicy(b"k" * 32, idle_s=3600, absolute_s=86400)
NOW = 1_800_000_000.0


def test_a_sealed_session_opens_with_the_same_key_and_carries_everything() -> None:
    session = new_session(7, 3, NOW)
    opened = open_session(POLICY, seal_session(POLICY.key, session), NOW + 10)
    assert opened == session
    assert len(session.csrf) >= 32


def test_a_session_sealed_with_another_key_is_refused() -> None:
    other = SessionPolicy(b"x" * 32, 3600, 86400)
    cookie = seal_session(other.key, new_session(7, 0, NOW))
    assert open_session(POLICY, cookie, NOW) is None


def test_a_tampered_session_is_refused() -> None:
    cookie = seal_session(POLICY.key, new_session(7, 0, NOW))
    body, mac = cookie.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["u"] = 1  # another user
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    assert open_session(POLICY, f"{forged}.{mac}", NOW) is None
    assert open_session(POLICY, cookie[:-2] + "AA", NOW) is None
    for junk in ("", ".", "abc", "abc.def", "%%%.%%%"):
        assert open_session(POLICY, junk, NOW) is None


def test_sessions_end_after_their_idle_and_absolute_lifetimes() -> None:
    session = new_session(7, 0, NOW)
    cookie = seal_session(POLICY.key, session)
    assert open_session(POLICY, cookie, NOW + 3600) is not None
    assert open_session(POLICY, cookie, NOW + 3601) is None  # idle too long
    # Seen regularly, it still ends a day after sign-in.
    seen = seal_session(POLICY.key, session.seen(NOW + 86000))
    assert open_session(POLICY, seen, NOW + 86400) is not None
    assert open_session(POLICY, seen, NOW + 86401) is None
    # A session issued in the future (a clock far off, or a forged time) is refused.
    assert open_session(POLICY, cookie, NOW - 3600) is None


def test_a_session_is_issued_again_only_once_a_minute() -> None:
    session = new_session(7, 0, NOW)
    assert not session.stale(NOW + 59)
    assert session.stale(NOW + 60)


def test_a_pre_session_is_not_a_session_nor_the_other_way_round() -> None:
    presession = seal_presession(POLICY.key, "c" * 32, NOW)
    assert open_session(POLICY, presession, NOW) is None
    session = seal_session(POLICY.key, new_session(7, 0, NOW))
    assert open_presession(POLICY.key, session, NOW) is None
    assert unsign(POLICY.key, "a", sign(POLICY.key, "b", {"x": 1})) is None


def test_a_pre_session_carries_its_csrf_secret_for_an_hour() -> None:
    cookie = seal_presession(POLICY.key, "secret-of-the-form", NOW)
    assert open_presession(POLICY.key, cookie, NOW + PRESESSION_S) == "secret-of-the-form"
    assert open_presession(POLICY.key, cookie, NOW + PRESESSION_S + 1) is None


def test_csrf_tokens_must_be_given_and_equal() -> None:
    assert csrf_matches("abc", "abc")
    assert not csrf_matches("abc", "abd")
    assert not csrf_matches("abc", None)
    assert not csrf_matches("abc", "")
    assert not csrf_matches(None, "abc")
    assert not csrf_matches("", "")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/console/people", "/console/people"),
        ("/console/audit?actor=a", "/console/audit?actor=a"),
        ("https://evil.example/", "/console"),
        ("//evil.example/", "/console"),
        ("/\\evil.example", "/console"),
        ("javascript:alert(1)", "/console"),
        ("/console\r\nSet-Cookie: x=1", "/console"),
        ("", "/console"),
        (None, "/console"),
    ],
)
def test_sign_in_sends_back_only_to_a_local_path(target: str | None, expected: str) -> None:
    assert local_path(target) == expected
