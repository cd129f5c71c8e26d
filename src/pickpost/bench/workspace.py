"""The bench's campaign: One-to-One, native buyers pointing at the fleet, fresh ids per run."""

import itertools
import secrets
from dataclasses import dataclass

from pickpost.bench.fleet import FleetPlan

# Buyers are cut by the campaign deadline, never by a timeout of their own.
_BUYER_TIMEOUT_MS = 5000
_FIELDS = [
    {"name": "zip_code", "type": "zip", "ping": "required", "post": "required"},
    {"name": "state", "type": "state", "ping": "required", "post": "required"},
    {"name": "home_owner", "type": "enum", "values": ["yes", "no"], "ping": "optional"},
    {"name": "first_name", "type": "text", "post": "required"},
    {"name": "last_name", "type": "text", "post": "required"},
    {"name": "phone", "type": "phone", "post": "required"},
    {"name": "email", "type": "email", "post": "optional"},
    {"name": "ip_address", "type": "ip", "post": "required"},
    {"name": "tcpa_text", "type": "text", "post": "required"},
]
PING_LEAD = {"zip_code": "78701", "state": "TX", "home_owner": "yes"}
POST_LEAD = {
    **PING_LEAD,
    "first_name": "Dana",
    "last_name": "Reyes",
    "phone": "(512) 555-0142",
    "email": "dana@example.com",
    "ip_address": "203.0.113.7",
    "tcpa_text": "By clicking Submit I agree to be contacted by the companies I selected.",
}
# Numbers every ping of a run apart: an identical body within a minute is a duplicate (1008).
_PING_NUMBERS = itertools.count(1)


@dataclass(frozen=True, slots=True)
class BenchCampaign:
    """One campaign with ids no earlier run used, so a shared database is never in the way."""

    campaign_id: str
    supplier_id: str
    key: str
    deadline_ms: int
    # How long a ping can be posted; None: the campaign default (docs/configuration.md).
    ping_ttl_s: int | None = None

    @classmethod
    def fresh(cls, deadline_ms: int, ping_ttl_s: int | None = None) -> "BenchCampaign":
        run = secrets.token_hex(4)
        key = secrets.token_hex(16)
        return cls(f"bench-{run}", f"bench-{run}", key, deadline_ms, ping_ttl_s)

    def auth(self) -> dict[str, str]:
        return {
            "lp_campaign_id": self.campaign_id,
            "lp_supplier_id": self.supplier_id,
            "lp_key": self.key,
        }

    def ping_body(self) -> dict[str, object]:
        """A new ping: the same lead under a new ``lp_subid1``, as a supplier's clicks differ."""
        return {**self.auth(), **PING_LEAD, "lp_subid1": str(next(_PING_NUMBERS))}

    def post_body(self, ping_id: str, consent: list[str]) -> dict[str, object]:
        return {**self.auth(), **POST_LEAD, "lp_ping_id": ping_id, "lp_consent_bids": consent}

    def workspace(self, plan: FleetPlan, urls: dict[str, str]) -> dict[str, object]:
        """The workspace document for the fleet at ``urls`` (``{buyer_id: base_url}``)."""
        buyers = [
            {
                "id": buyer_id,
                "tcpa_entity_name": f"Bench Buyer {buyer_id} LLC",
                "ping_url": f"{urls[buyer_id]}/ping",
                "post_url": f"{urls[buyer_id]}/post",
                "timeout_ms": _BUYER_TIMEOUT_MS,
            }
            for buyer_id in plan.buyer_ids()
        ]
        campaign = {
            "id": self.campaign_id,
            "name": "Bench One-to-One",
            "type": "one_to_one",
            "ping_timeout_ms": self.deadline_ms,
            "margin": {"percent": 10},
            "one_to_one": {"max_bids": 10},
            "fields": _FIELDS,
            "suppliers": [{"id": self.supplier_id, "key": self.key, "mode": "live"}],
            "buyers": buyers,
        }
        if self.ping_ttl_s is not None:
            campaign["ping_ttl_s"] = self.ping_ttl_s
        return {"campaigns": [campaign]}
