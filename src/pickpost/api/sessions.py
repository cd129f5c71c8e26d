"""Signed cookies: the console session and the sign-in form's pre-session.

A cookie is ``<payload>.<mac>``: the payload is base64url JSON, the mac an HMAC-SHA256 of it
under the site's session key (``site_secrets``, shared by every node) and the cookie's
purpose, so a pre-session can never pass for a session. Nothing in a cookie is secret from
its holder; it only cannot be forged or altered.

A session carries the user id, the user's session epoch when it was issued (bumping it signs
the user out everywhere), when it was issued and last seen (absolute and idle lifetimes), and
the secret its forms' CSRF tokens must match.
"""

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, replace

from pickpost.services.people import SessionPolicy

SESSION_COOKIE = "pickpost_session"
PRESESSION_COOKIE = "pickpost_signin"
PRESESSION_S = 3600  # how long a sign-in form stays usable
SEEN_EVERY_S = 60  # how stale ``seen_at`` may be before the cookie is issued again
_CLOCK_SKEW_S = 60


@dataclass(frozen=True, slots=True)
class Session:
    user_id: int
    epoch: int
    issued_at: float
    seen_at: float
    csrf: str

    def seen(self, now: float) -> "Session":
        return replace(self, seen_at=now)

    def stale(self, now: float) -> bool:
        """Whether the cookie should be issued again to record the visit."""
        return now - self.seen_at >= SEEN_EVERY_S


def new_session(user_id: int, epoch: int, now: float) -> Session:
    return Session(user_id, epoch, now, now, secrets.token_urlsafe(24))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, purpose: str, body: str) -> str:
    return _b64(hmac.new(key, f"{purpose}.{body}".encode(), hashlib.sha256).digest())


def sign(key: bytes, purpose: str, payload: dict[str, object]) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_mac(key, purpose, body)}"


def unsign(key: bytes, purpose: str, value: str) -> dict[str, object] | None:
    """The payload of a cookie signed for ``purpose`` with ``key``, or None."""
    body, _, mac = value.partition(".")
    if not body or not mac or not hmac.compare_digest(mac, _mac(key, purpose, body)):
        return None
    try:
        payload = json.loads(_unb64(body))
    except (ValueError, binascii.Error):
        return None
    return payload if isinstance(payload, dict) else None


def seal_session(key: bytes, session: Session) -> str:
    payload: dict[str, object] = {
        "u": session.user_id,
        "e": session.epoch,
        "i": session.issued_at,
        "s": session.seen_at,
        "c": session.csrf,
    }
    return sign(key, "session", payload)


def open_session(policy: SessionPolicy, value: str, now: float) -> Session | None:
    """The session a cookie carries, if it is genuine and within both lifetimes."""
    payload = unsign(policy.key, "session", value)
    if payload is None:
        return None
    try:
        session = Session(
            int(payload["u"]),  # type: ignore[call-overload]
            int(payload["e"]),  # type: ignore[call-overload]
            float(payload["i"]),  # type: ignore[arg-type]
            float(payload["s"]),  # type: ignore[arg-type]
            str(payload["c"]),
        )
    except (KeyError, TypeError, ValueError):
        return None
    if session.issued_at > now + _CLOCK_SKEW_S:
        return None
    if now - session.issued_at > policy.absolute_s or now - session.seen_at > policy.idle_s:
        return None
    return session


def seal_presession(key: bytes, csrf: str, now: float) -> str:
    return sign(key, "presession", {"c": csrf, "i": now})


def open_presession(key: bytes, value: str, now: float) -> str | None:
    """The CSRF secret of a sign-in form's pre-session cookie, while it is fresh."""
    payload = unsign(key, "presession", value)
    if payload is None:
        return None
    issued, csrf = payload.get("i"), payload.get("c")
    if not isinstance(issued, int | float) or not isinstance(csrf, str):
        return None
    return csrf if 0 <= now - issued <= PRESESSION_S else None


def csrf_matches(expected: str | None, given: str | None) -> bool:
    """Whether a form's CSRF token is the one its session (or pre-session) expects."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def new_key() -> str:
    """A new session signing key, as stored: 32 random bytes, base64url."""
    return _b64(secrets.token_bytes(32))


def key_bytes(stored: str) -> bytes:
    return _unb64(stored)
