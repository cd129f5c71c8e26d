"""Supplier integrations as they exist (tests/support/supplier_clients.py) pointed, unchanged,
at a live server: every lead outcome reaches their parser with HTTP 200 and the values they
read; the refusals they raise on carry the envelope too."""

import itertools
from typing import Any

import httpx
import pytest

from tests.support.supplier_clients import (
    KEY,
    CodeOnlyClient,
    Credentials,
    FormClient,
    RequestsClient,
)

_PHONES = itertools.count(2000)


def _lead(**extra: Any) -> dict[str, Any]:
    """A full lead; each one a new consumer unless ``phone`` is given."""
    return {
        "zip_code": "78701",
        "state": "TX",
        "first_name": "Dana",
        "phone": f"512555{next(_PHONES):04d}",
        **extra,
    }


def _on(campaign_id: str, key: str = KEY) -> Credentials:
    return Credentials(campaign_id, "7", key)


def test_a_requests_client_pings_and_posts_one_to_one(house: httpx.Client) -> None:
    client = RequestsClient(house, _on("101"))
    ping = client.ping(zip_code="78701", state="TX")
    assert (ping["status"], ping["code"], ping["error_code"]) == ("ACCEPTED", 0, 0)
    assert [b["buyer_id"] for b in ping["bids"]] == ["alpha", "beta"]
    post = client.post(ping["ping_id"], [ping["bids"][0]["bid_id"]], **_lead())
    assert (post["status"], post["code"]) == ("ACCEPTED", 0)
    assert post["lead_id"].startswith("l_")
    assert post["id"] == post["lead_id"]
    assert [b["buyer_id"] for b in post["sold_bids"]] == ["alpha"]


def test_a_requests_client_pings_and_posts_on_an_exchange(house: httpx.Client) -> None:
    client = RequestsClient(house, _on("102"))
    ping = client.ping(zip_code="78701", state="TX")
    assert (ping["status"], ping["code"]) == ("ACCEPTED", 0)
    assert ping["payout"] > 0
    assert "bids" not in ping
    post = client.post(ping["ping_id"], **_lead())
    assert (post["status"], post["code"], post["payout"]) == ("ACCEPTED", 0, ping["payout"])
    assert post["id"] == post["lead_id"]


def test_a_form_client_reads_a_sold_direct_post_and_its_redirect(house: httpx.Client) -> None:
    result = FormClient(house, _on("103")).send("/direct_post", **_lead())
    assert (result.http_code, result.status, result.code) == (200, "ACCEPTED", 0)
    assert result.lead_id is not None
    assert result.lead_id.startswith("l_")
    assert result.redirect_url == f"https://direct.example/thanks/{result.lead_id}"


def test_a_duplicate_direct_post_reads_as_a_duplicate_to_every_client(
    house: httpx.Client,
) -> None:
    lead = _lead()
    assert CodeOnlyClient(house, _on("103")).direct_post(**lead) == "sold"
    assert CodeOnlyClient(house, _on("103")).direct_post(**lead) == "duplicate"
    again = RequestsClient(house, _on("103")).direct_post(**lead)
    assert (again["status"], again["code"], again["error_code"]) == ("DUPLICATED", 1008, 1008)
    form = FormClient(house, _on("103")).send("/direct_post", **lead)
    assert (form.http_code, form.status, form.code) == (200, "DUPLICATED", 1008)


def test_a_filtered_lead_reaches_the_parser(house: httpx.Client) -> None:
    filtered = RequestsClient(house, _on("104")).direct_post(**_lead())
    assert (filtered["status"], filtered["code"], filtered["error_code"]) == ("ERROR", 1005, 1005)
    assert CodeOnlyClient(house, _on("104")).direct_post(**_lead()) == "failed"
    form = FormClient(house, _on("104")).send("/direct_post", **_lead())
    assert (form.http_code, form.code) == (200, 1005)


def test_no_bids_reaches_the_parser(house: httpx.Client) -> None:
    ping = RequestsClient(house, _on("105")).ping(zip_code="78701", state="TX")
    assert (ping["status"], ping["code"], ping["error_code"]) == ("ERROR", 2001, 2001)
    form = FormClient(house, _on("105")).send("/ping", zip_code="78701", state="TX")
    assert (form.http_code, form.code) == (200, 2001)


@pytest.mark.parametrize(
    ("credentials", "lead", "http_status", "code"),
    [
        (_on("103", "wrong-key"), _lead(), 401, 1002),
        (_on("103", ""), _lead(), 400, 1001),
        (_on("103"), _lead(phone="12"), 400, 1004),
        (_on("103"), {"zip_code": "78701"}, 400, 1004),
    ],
)
def test_a_refusal_raises_and_still_carries_the_envelope(
    house: httpx.Client,
    credentials: Credentials,
    lead: dict[str, Any],
    http_status: int,
    code: int,
) -> None:
    with pytest.raises(httpx.HTTPStatusError) as raised:
        RequestsClient(house, credentials).direct_post(**lead)
    response = raised.value.response
    assert response.status_code == http_status
    body = response.json()
    assert (body["status"], body["code"], body["error_code"]) == ("ERROR", code, code)
    assert body["request_id"].startswith("r_")
    assert KEY not in response.text
    form = FormClient(house, credentials).send("/direct_post", **lead)
    assert (form.http_code, form.status, form.code) == (http_status, "ERROR", code)
    with pytest.raises(httpx.HTTPStatusError):
        CodeOnlyClient(house, credentials).direct_post(**lead)
