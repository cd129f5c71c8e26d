"""Supplier integrations as they exist in public code, emulated closely enough that Pickpost's
answers are tested against what they actually read (docs/supplier-api.md, "The envelope").

- :class:`RequestsClient`: Python with ``requests``; JSON bodies, ``raise_for_status()``
  before reading the envelope, so only answers with a 2xx status reach its parser. httpx's
  ``raise_for_status()`` raises on every status ``requests``' does (4xx, 5xx).
- :class:`FormClient`: PHP with curl; an ``application/x-www-form-urlencoded`` body built as
  ``http_build_query`` builds it (picked bids joined with commas), the body read whatever the
  HTTP status, then ``$r['code'] ?? $r['error_code']``, ``$r['lead_id'] ?? $r['id']`` and
  ``$r['redirect_url'] ?? $r['buyers'][0]['redirect_url']``.
- :class:`CodeOnlyClient`: reads nothing but ``code``: ``0`` is a sale, ``1008`` or ``1049`` a
  duplicate, anything else a failure; like ``axios``, it throws on a non-2xx status.
"""

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

import httpx

DUPLICATE_CODES = frozenset({1008, 1049})
KEY = "clients-supplier-key-not-secret"  # the supplier key of the clients' deployment


@dataclass(frozen=True, slots=True)
class Credentials:
    campaign_id: str
    supplier_id: str
    key: str

    def fields(self) -> dict[str, str]:
        return {
            "lp_campaign_id": self.campaign_id,
            "lp_supplier_id": self.supplier_id,
            "lp_key": self.key,
        }


class RequestsClient:
    def __init__(self, http: httpx.Client, credentials: Credentials) -> None:
        self._http = http
        self._credentials = credentials

    def _send(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self._http.post(path, json={**self._credentials.fields(), **body})
        response.raise_for_status()
        envelope: dict[str, Any] = response.json()
        return envelope

    def ping(self, **lead: Any) -> dict[str, Any]:
        return self._send("/ping", lead)

    def post(self, ping_id: str, bids: list[str] | None = None, **lead: Any) -> dict[str, Any]:
        picked = {} if bids is None else {"lp_consent_bids": bids}
        return self._send("/post", {"lp_ping_id": ping_id, **picked, **lead})

    def direct_post(self, **lead: Any) -> dict[str, Any]:
        return self._send("/direct_post", lead)


@dataclass(frozen=True, slots=True)
class FormResult:
    """What the PHP integration keeps from an answer."""

    http_code: int
    status: str
    code: int
    lead_id: str | None
    redirect_url: str | None
    message: str


class FormClient:
    def __init__(self, http: httpx.Client, credentials: Credentials) -> None:
        self._http = http
        self._credentials = credentials

    def send(self, path: str, **fields: str | list[str]) -> FormResult:
        flat = {k: ",".join(v) if isinstance(v, list) else v for k, v in fields.items()}
        response = self._http.post(
            path,
            content=urlencode({**self._credentials.fields(), **flat}).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        r: dict[str, Any] = response.json()
        buyers = r.get("buyers") or [{}]
        code = r.get("code", r.get("error_code"))
        return FormResult(
            http_code=response.status_code,
            status=str(r.get("status")),
            code=int(code) if code is not None else -1,
            lead_id=r.get("lead_id") or r.get("id"),
            redirect_url=r.get("redirect_url") or buyers[0].get("redirect_url"),
            message=str(r.get("message", "")),
        )


Verdict = Literal["sold", "duplicate", "failed"]


class CodeOnlyClient:
    def __init__(self, http: httpx.Client, credentials: Credentials) -> None:
        self._http = http
        self._credentials = credentials

    def direct_post(self, **lead: Any) -> Verdict:
        response = self._http.post("/direct_post", json={**self._credentials.fields(), **lead})
        response.raise_for_status()
        code = response.json()["code"]
        if code == 0:
            return "sold"
        return "duplicate" if code in DUPLICATE_CODES else "failed"
