"""A Lead Prosper sync job (tests/support/data_api_clients.py) pointed, unchanged, at Pickpost:
it finds the campaigns, pages through every lead and names each sold lead's buyer."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support.data_api_clients import LeadSync
from tests.support.server import ADMIN_TOKEN
from tests.support.supplier_clients import KEY, Credentials, RequestsClient


def _lead(n: int) -> dict[str, Any]:
    return {"zip_code": "78701", "state": "TX", "first_name": "Dana", "phone": f"51255531{n:02d}"}


def test_a_sync_job_pages_every_lead_and_finds_its_buyer(house: httpx.Client) -> None:
    client = RequestsClient(house, Credentials("103", "7", KEY))
    made = {client.direct_post(**_lead(n))["lead_id"] for n in range(5)}
    sync = LeadSync(house, ADMIN_TOKEN)
    campaigns = {c["id"]: c for c in sync.campaigns()}
    assert "103" in campaigns
    today = datetime.now(UTC).date()
    seen = {
        lead["id"]: lead
        for lead in sync.leads("103", today - timedelta(days=1), today + timedelta(days=1), "UTC")
    }
    assert made <= seen.keys()
    for lead_id in made:
        assert seen[lead_id]["status"] == "ACCEPTED"
        assert sync.buyer_of(lead_id) == "direct"
