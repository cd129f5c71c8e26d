"""A sync job written the way public tools for Lead Prosper's API are: list
``/public/campaigns``, page through ``/public/leads`` with ``search_after`` until it comes back
empty, and look up ``/public/lead/{id}`` to find who bought a lead. It knows nothing of
Pickpost: only a base URL and an API key."""

from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx


class LeadSync:
    def __init__(self, http: httpx.Client, api_key: str) -> None:
        self._http = http
        self._headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}

    def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        response = self._http.get(path, params=params, headers=self._headers)
        response.raise_for_status()
        return response.json()

    def campaigns(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._get("/public/campaigns")
        return found

    def leads(self, campaign_id: str, start: date, end: date, tz: str) -> Iterator[dict[str, Any]]:
        params = {
            "campaign": str(campaign_id),
            "start_date": start.strftime("%Y-%m-%d"),
            "end_date": end.strftime("%Y-%m-%d"),
            "timezone": tz,
        }
        while True:
            page = self._get("/public/leads", params)
            yield from page["leads"]
            if not page.get("search_after"):
                return
            params["search_after"] = page["search_after"]

    def buyer_of(self, lead_id: str) -> str | None:
        """The name of the buyer that accepted the lead, if any."""
        lead = self._get(f"/public/lead/{lead_id}")
        accepted = [b for b in lead.get("buyers") or [] if b.get("status") == "ACCEPTED"]
        return str(accepted[0]["name"]) if accepted else None
