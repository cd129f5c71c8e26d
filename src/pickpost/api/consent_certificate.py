"""A lead's consent certificate: its evidence bundle as one printable HTML page (inline CSS, no
scripts). Every value of the bundle enters the markup only through :func:`_e`."""

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;margin:0;
background:#f6f8fa}
main{max-width:60rem;margin:0 auto;padding:1.5rem 2rem 3rem;background:#fff}
h1{margin-bottom:.25rem}h2{margin-top:2rem;border-bottom:2px solid #d0d7de;padding-bottom:.2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}
.hash{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
.ok{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:600}
.muted{color:#59636e}
blockquote{margin:.5rem 0;padding:.5rem .75rem;border-left:4px solid #d0d7de;background:#f6f8fa}
@media print{body{background:#fff;font-size:11pt}main{max-width:none;padding:0}
h2{break-after:avoid}tr{break-inside:avoid}}
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _hash(text: object) -> str:
    return f'<span class="hash">{_e(text)}</span>'


def _table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table; ``head`` is text, ``rows`` hold markup."""
    heading = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{heading}</tr></thead><tbody>{body}</tbody></table>"


def _dollars(cents: object) -> str:
    return f"${int(str(cents)) / 100:,.2f}" if str(cents).lstrip("-").isdigit() else _e(cents)


def _verdict(bundle: Mapping[str, Any]) -> str:
    if bundle["verified"]:
        return '<p class="ok">The ledger verifies: every hash, link and sealed root checks out.</p>'
    items = "".join(f"<li>{_e(p)}</li>" for p in bundle["problems"])
    return f'<p class="bad">The ledger does not verify:</p><ul>{items}</ul>'


def _consent(bundle: Mapping[str, Any]) -> str:
    consent = bundle["consent"]
    if consent is None:
        return "<p>No consent record is stored for this lead.</p>"
    entries = bundle["entries"]
    shown: Mapping[str, Any] = next(
        (e["facts"] for e in entries if e["kind"] == "bids_shown"), {"bids": []}
    )
    evidence: Mapping[str, Any] = consent["evidence"]
    disclosure = evidence.get("tcpa_text")
    parts = [
        "<h2>What the consumer saw</h2>",
        f"<blockquote>{_e(disclosure)}</blockquote>"
        if disclosure
        else '<p class="muted">No disclosure text was recorded.</p>',
        _table(
            ["#", "company (TCPA entity)", "buyer", "bid", "payout"],
            (
                [
                    str(n),
                    _e(b["tcpa_entity_name"]),
                    _e(b["buyer_id"]),
                    _e(b["bid_id"]),
                    _dollars(b["price_cents"]),
                ]
                for n, b in enumerate(shown["bids"], 1)
            ),
        ),
        "<h2>What the consumer picked, in order</h2>",
        f"<p>At {_e(consent['consented_at'])}:</p>",
        "<ol>"
        + "".join(
            f"<li>{_e(b.get('tcpa_entity_name', ''))} "
            f'<span class="muted">({_e(b.get("buyer_id", ""))})</span></li>'
            for b in consent["bids_picked"]
        )
        + "</ol>",
        "<h2>Evidence</h2>",
        "<dl>"
        + "".join(
            f"<dt>{_e(name)}</dt><dd>{_e(value)}</dd>"
            for name, value in sorted(evidence.items())
            if name != "tcpa_text"
        )
        + "</dl>",
    ]
    return "".join(parts)


def _deliveries(entries: Sequence[Mapping[str, Any]]) -> str:
    delivered = [e for e in entries if e["kind"] == "consent_delivered" and not e.get("redacted")]
    if not delivered:
        return "<h2>Delivered to</h2><p>No buyer has confirmed a sale of this lead.</p>"
    return "<h2>Delivered to</h2>" + _table(
        ["when", "buyer", "bid", "sale"],
        (
            [
                _e(e["at"]),
                _e(e["facts"]["buyer_id"]),
                _e(e["facts"]["bid_id"]),
                _e(e["facts"]["sale_id"]),
            ]
            for e in delivered
        ),
    )


def _revocations(bundle: Mapping[str, Any]) -> str:
    states: Sequence[Mapping[str, Any]] = bundle.get("revocations") or []
    if not states:
        return ""
    return "<h2>Consent withdrawn: delivery to buyers</h2>" + _table(
        ["buyer", "sale", "state", "attempts", "acknowledged"],
        (
            [
                _e(s["buyer_id"]),
                _e(s["sale_id"]),
                _e(s["state"]),
                _e(s["attempts"]),
                _e(s["delivered_at"] or ""),
            ]
            for s in states
        ),
    )


def _proof(bundle: Mapping[str, Any]) -> str:
    chain = _table(
        ["#", "event", "at", "entry hash", "follows"],
        (
            [
                str(e["seq"]),
                _e(e["kind"]) + (" (facts of others withheld)" if e.get("redacted") else ""),
                _e(e["at"]),
                _hash(e["entry_hash"]),
                _hash(e["prev_hash"]),
            ]
            for e in bundle["entries"]
        ),
    )
    days = []
    for day in bundle["proof"]["days"]:
        if not day["sealed"]:
            days.append([_e(day["day"]), "not sealed yet", "", ""])
            continue
        proven = sum(bool(i["proven"]) for i in day["inclusions"])
        days.append(
            [
                _e(day["day"]),
                f"{proven} of this lead's entries proven in {_e(day['entries'])}",
                _hash(day["merkle_root"]),
                _hash(day["root"]),
            ]
        )
    return (
        "<h2>Proof</h2><p>Each entry's hash covers its content and the hash of the entry before "
        "it; each day's root covers every entry appended that day and the previous day's root. "
        "Personal values are committed to by salted hashes, never stored in the ledger.</p>"
        + chain
        + _table(["day", "inclusion", "Merkle root", "day root"], days)
        + '<p class="muted">How to check all of this independently: docs/consent.md, '
        '"Verifying it yourself".</p>'
    )


def render(bundle: Mapping[str, Any]) -> str:
    """The certificate of a bundle as ``ConsentEvidence.bundle`` returns it."""
    body = "".join(
        [
            "<h1>Consent certificate</h1>",
            f'<p>Lead <span class="hash">{_e(bundle["lead_id"])}</span></p>',
            _verdict(bundle),
            _consent(bundle),
            _deliveries(bundle["entries"]),
            _revocations(bundle),
            _proof(bundle),
        ]
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Consent certificate – lead {_e(bundle['lead_id'])}</title>"
        f"<style>{_CSS}</style></head><body><main>{body}</main></body></html>"
    )
