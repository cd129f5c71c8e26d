"""What the consumer's receipt and a buyer's view of the certificate show, cut from a lead's
evidence bundle (docs/consent.md): the receipt names who received the data, when, under which
disclosure, and nothing else; a buyer's view keeps what concerns that buyer and never names
another buyer the consumer picked.

Pure: works on the bundle as ``SqlConsentLedger.bundle`` returns it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pickpost.domain.consent_ledger import EntryKind

ANOTHER_COMPANY = "[another company]"


@dataclass(frozen=True, slots=True)
class Recipient:
    """A company that received the consumer's data, and where its withdrawal stands."""

    entity: str
    received_at: str
    revocation: str | None  # pending, delivered, no_channel; None before a withdrawal


@dataclass(frozen=True, slots=True)
class Receipt:
    disclosure: str | None
    consented_at: str | None
    recipients: tuple[Recipient, ...]
    withdrawn_at: str | None


def _entities(entries: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Each bid's TCPA entity name, from the bids shown."""
    names: dict[str, str] = {}
    for entry in entries:
        if entry["kind"] == EntryKind.BIDS_SHOWN.value:
            for bid in entry["facts"].get("bids", []):
                names[str(bid["bid_id"])] = str(bid["tcpa_entity_name"])
    return names


def receipt_of(bundle: Mapping[str, Any], states: Sequence[Mapping[str, Any]]) -> Receipt:
    """The receipt of a lead: the buyers whose sale was confirmed (their consent_delivered
    entries), with the state of each one's revocation (``states`` by sale)."""
    entries: Sequence[Mapping[str, Any]] = bundle["entries"]
    names = _entities(entries)
    state_of = {int(s["sale_id"]): str(s["state"]) for s in states}
    recipients = tuple(
        Recipient(
            entity=names.get(str(e["facts"]["bid_id"]), ""),
            received_at=str(e["at"]),
            revocation=state_of.get(int(e["facts"]["sale_id"])),
        )
        for e in entries
        if e["kind"] == EntryKind.CONSENT_DELIVERED.value
    )
    withdrawn = next(
        (str(e["at"]) for e in entries if e["kind"] == EntryKind.REVOCATION_REQUESTED.value),
        None,
    )
    consent = bundle["consent"]
    disclosure = None if consent is None else consent["evidence"].get("tcpa_text")
    return Receipt(
        disclosure=None if disclosure is None else str(disclosure),
        consented_at=None if consent is None else str(consent["consented_at"]),
        recipients=recipients,
        withdrawn_at=withdrawn,
    )


def _own_bids(bids: Sequence[Mapping[str, Any]], buyer_id: str) -> list[Mapping[str, Any]]:
    return [b for b in bids if str(b.get("buyer_id")) == buyer_id]


def _redact(text: str, others: Sequence[str]) -> str:
    for name in sorted(others, key=len, reverse=True):
        if name:
            text = text.replace(name, ANOTHER_COMPANY)
    return text


def _own_entry(entry: Mapping[str, Any], buyer_id: str) -> dict[str, Any]:
    """An entry as a buyer's view holds it: whole when it concerns only this buyer; else its
    facts cut to this buyer's, or to nothing for another buyer's sale (marked ``redacted``:
    its hash covers facts not shown, and the chain's links and day proofs still hold)."""
    kind, facts = entry["kind"], entry["facts"]
    view = {k: v for k, v in entry.items() if k != "nonce"} | {"nonce": None}
    if kind in (EntryKind.CONSENT_DELIVERED.value, EntryKind.REVOCATION_DELIVERED.value):
        if str(facts.get("buyer_id")) == buyer_id:
            return view
        cut: dict[str, Any] = {}  # another buyer's sale: only that it is there
    elif kind == EntryKind.BIDS_SHOWN.value:
        cut = {"bids": _own_bids(facts.get("bids", []), buyer_id)}
    elif kind == EntryKind.PICK_RECORDED.value:
        cut = {
            "consented_at": facts.get("consented_at"),
            "picked": _own_bids(facts.get("picked", []), buyer_id),
        }
    elif kind == EntryKind.REVOCATION_REQUESTED.value:
        cut = {"sales": _own_bids(facts.get("sales", []), buyer_id)}
    else:
        cut = {}
    return view | {"facts": cut, "redacted": True}


def buyer_view(bundle: Mapping[str, Any], buyer_id: str) -> dict[str, Any] | None:
    """A buyer's view of the certificate; None when the consumer did not pick that buyer."""
    consent = bundle["consent"]
    if consent is None:
        return None
    picked = _own_bids(consent["bids_picked"], buyer_id)
    if not picked:
        return None
    shown: Sequence[Mapping[str, Any]] = consent["bids_shown"]
    others = [
        str(b.get(key, ""))
        for b in shown
        if str(b.get("buyer_id")) != buyer_id
        for key in ("tcpa_entity_name", "buyer_id", "bid_id")
    ]
    evidence = {name: _redact(str(value), others) for name, value in consent["evidence"].items()}
    entries = [_own_entry(e, buyer_id) for e in bundle["entries"]]
    verified = bool(bundle["verified"])
    return {
        "lead_id": bundle["lead_id"],
        "buyer_id": buyer_id,
        "consent": {
            "ping_id": consent["ping_id"],
            "consented_at": consent["consented_at"],
            "bids_shown": _own_bids(shown, buyer_id),
            "bids_picked": picked,
            "evidence": evidence,
        },
        "entries": entries,
        "proof": bundle["proof"],
        "revocations": [
            s for s in bundle.get("revocations") or [] if str(s["buyer_id"]) == buyer_id
        ],
        "verified": verified,
        "problems": [] if verified else ["the ledger of this lead does not verify"],
    }
