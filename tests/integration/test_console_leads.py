"""The console's lead list, lead page and returns pages over real HTTP, on both databases
(docs/console.md): leads found by phone, the timeline with a buyer call's bodies (its secret
header withheld), scoped users kept to their own leads, a return opened on the lead page and
approved on the returns page lowering the reports' net revenue, forged forms refused, and bulk
returns through the two-step form. Campaign 2000 of tests/support/system.py is theirs."""

import random
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.console import add_user, close_browsers, csrf_of, post_form, signed_in, token_of
from tests.support.server import ADMIN_TOKEN
from tests.support.system import SECRET_HEADER_VALUE, System

CAMPAIGN = "2000"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(autouse=True)
def _close() -> Iterator[None]:
    yield
    close_browsers()


def _phone() -> str:
    """A phone number no other test sends (737-555-xxxx)."""
    return f"737555{random.randrange(10_000):04d}"


def _sold(sut: System, phone: str, supplier: str = "7", **lead: Any) -> str:
    body = sut.direct_post(CAMPAIGN, supplier, phone=phone, **lead).json()
    assert body["code"] == 0, body
    return str(body["lead_id"])


def _net_revenue(sut: System) -> int:
    answer = sut.http.get(
        "/api/v1/reports", params={"campaign": CAMPAIGN, "test": "include"}, headers=ADMIN
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["totals"]["net_revenue_cents"])


def _lead_links(page: httpx.Response) -> list[str]:
    return re.findall(r'href="/console/leads/([^"]+)"', page.text)


def test_a_lead_is_found_by_phone_and_its_page_shows_every_step(sut: System) -> None:
    phone = _phone()
    lead_id = _sold(sut, phone, email=f"{phone}@example.com", ip_address="203.0.113.9")
    _sold(sut, _phone())  # another lead, not found
    client = signed_in(sut, add_user(sut, "analyst"))

    found = client.get("/console/leads", params={"phone": phone})
    assert found.status_code == 200, found.text
    assert _lead_links(found) == [lead_id]
    # As the campaign normalises phones: written another way, the same number.
    spaced = f"({phone[:3]}) {phone[3:6]}-{phone[6:]}"
    assert _lead_links(client.get("/console/leads", params={"phone": spaced})) == [lead_id]
    by_email = client.get("/console/leads", params={"email": f"{phone}@example.com"})
    assert _lead_links(by_email) == [lead_id]
    assert _lead_links(client.get("/console/leads", params={"phone": _phone()})) == []
    bad = client.get("/console/leads", params={"from": "yesterday"})
    assert bad.status_code == 400
    assert "From: must be a date" in bad.text

    exported = client.get("/console/leads.csv", params={"phone": phone})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.strip().splitlines()
    assert lines[0].startswith("lead_id,")
    assert len(lines) == 2
    assert lines[1].startswith(lead_id)

    page = client.get(f"/console/leads/{lead_id}")
    assert page.status_code == 200, page.text
    assert phone in page.text
    assert "203.0.113.9" in page.text
    steps = re.findall(r"<strong>((?:Supplier|Buyer) [^<]+)</strong>", page.text)
    assert steps == ["Supplier direct post", "Buyer xml ping", "Buyer xml post"]
    # The buyer's ping as sent (a form body) and as answered (XML), escaped as text.
    assert "zip=78701" in page.text  # the order of its fields is the stored mapping's
    assert "st=TX&amp;" in page.text or "&amp;st=TX" in page.text
    assert "&lt;response&gt;" in page.text
    assert "X-Api-Key" in page.text
    assert "[withheld]" in page.text
    assert SECRET_HEADER_VALUE not in page.text
    sale = sut.lead(lead_id)["sales"][0]
    price = sale["buyer_price_cents"]
    assert f"${price // 100}.{price % 100:02d}" in page.text  # exact from cents
    assert 'action="/console/leads/' not in page.text  # an analyst opens no returns


def test_a_supplier_user_sees_neither_another_suppliers_lead_nor_its_page(sut: System) -> None:
    phone, own_phone = _phone(), _phone()
    lead_id = _sold(sut, phone)  # supplier 7's
    own_id = _sold(sut, own_phone, supplier="8")
    name = add_user(sut, "supplier", scope="8")
    client = signed_in(sut, name)

    page = client.get(f"/console/leads/{lead_id}")
    assert page.status_code == 404
    assert lead_id not in page.text
    assert phone not in page.text
    assert _lead_links(client.get("/console/leads", params={"phone": phone})) == []
    # Asking for supplier 7 outright changes nothing: the search is scoped.
    asked = client.get("/console/leads", params={"supplier": "7", "phone": phone})
    assert _lead_links(asked) == []
    assert lead_id not in client.get("/console/leads.csv", params={"supplier": "7"}).text
    assert _lead_links(client.get("/console/leads", params={"phone": own_phone})) == [own_id]
    assert client.get(f"/console/leads/{own_id}").status_code == 200
    # The data API with the same user's token: the same answer.
    token = {"Authorization": f"Bearer {token_of(sut, name)}"}
    assert sut.http.get(f"/api/v1/leads/{lead_id}", headers=token).status_code == 404
    # Asking the data API for another supplier finds nothing (on PostgreSQL too).
    listed = sut.http.get("/api/v1/leads", params={"supplier": "7"}, headers=token)
    assert listed.status_code == 200, listed.text
    assert listed.json()["leads"] == []
    report = sut.http.get("/api/v1/reports", params={"supplier": "7"}, headers=token)
    assert report.status_code == 200, report.text
    assert report.json()["totals"]["leads"] == 0


def test_a_return_opened_on_the_lead_page_and_approved_lowers_net_revenue(sut: System) -> None:
    lead_id = _sold(sut, _phone())
    price = sut.lead(lead_id)["sales"][0]["buyer_price_cents"]
    client = signed_in(sut, add_user(sut, "admin"))
    page = f"/console/leads/{lead_id}"
    before = _net_revenue(sut)

    refused = post_form(client, page, f"{page}/returns", buyer_id="xml", reason="Moved away")
    assert refused.status_code == 400
    assert "the reason is not one the campaign accepts" in refused.text
    opened = post_form(client, page, f"{page}/returns", buyer_id="xml", reason="Wrong number")
    assert opened.status_code == 303, opened.text
    return_id = int(re.findall(r"opened=(\d+)", opened.headers["location"])[0])
    shown = client.get(opened.headers["location"])
    assert f"Return {return_id} opened" in shown.text
    again = post_form(client, page, f"{page}/returns", buyer_id="xml", reason="Wrong number")
    assert "the sale has a return already" in again.text

    queue = client.get("/console/returns", params={"status": "open", "campaign": CAMPAIGN})
    assert f'href="/console/leads/{lead_id}"' in queue.text
    # A form without the session's CSRF token is refused, and changes nothing.
    forged = client.post(f"/console/returns/{return_id}/approve", data={"note": "forged"})
    assert forged.status_code == 403
    assert _net_revenue(sut) == before
    approved = post_form(
        client, "/console/returns?status=open", f"/console/returns/{return_id}/approve",
        note="checked the call log", back="/console/returns?status=approved",
    )  # fmt: skip
    assert approved.status_code == 303, approved.text
    listed = client.get(approved.headers["location"])
    assert f"Return {return_id} approved" in listed.text
    assert "checked the call log" in listed.text
    assert _net_revenue(sut) == before - price


def test_an_analyst_may_not_decide_a_return(sut: System) -> None:
    lead_id = _sold(sut, _phone())
    opened = sut.http.post(
        "/api/v1/returns", json={"lead_id": lead_id, "reason": "Bad data"}, headers=ADMIN
    )
    return_id = opened.json()["id"]
    client = signed_in(sut, add_user(sut, "analyst"))
    queue = client.get("/console/returns")
    assert "/approve" not in queue.text
    tried = client.post(
        f"/console/returns/{return_id}/approve", data={"csrf": csrf_of(queue), "note": ""}
    )
    assert tried.status_code == 403
    status = sut.http.get(f"/api/v1/returns/{return_id}", headers=ADMIN).json()["status"]
    assert status == "open"


def test_bulk_returns_through_the_two_step_form(sut: System) -> None:
    phones = [_phone(), _phone()]
    leads = [_sold(sut, phone) for phone in phones]
    unknown = _phone()
    client = signed_in(sut, add_user(sut, "admin"))
    upload_page = client.get("/console/returns/bulk")
    assert upload_page.status_code == 200
    rows = [f"{phones[0]},Wrong number", f"{phones[1]},bad data", f"{unknown},Wrong number"]
    data = "Phone,Why\n" + "\n".join(rows) + "\n,Wrong number\n"

    mapping = client.post(
        "/console/returns/bulk",
        data={"csrf": csrf_of(upload_page)},
        files={"file": ("returns.csv", data.encode(), "text/csv")},
    )
    assert mapping.status_code == 200, mapping.text
    assert '<th scope="col">Phone</th>' in mapping.text
    assert phones[0] in mapping.text
    hidden = re.findall(r'name="data" value="([^"]+)"', mapping.text)[0]
    done = client.post(
        "/console/returns/bulk/open",
        data={
            "csrf": csrf_of(mapping), "data": hidden, "key_column": "Phone", "key": "field:phone",
            "reason_column": "Why", "reason": "", "buyer_column": "", "note": "from the sheet",
        },
    )  # fmt: skip
    assert done.status_code == 200, done.text
    found = re.findall(r"<strong>(\d+)</strong> (matched|not matched|failed)", done.text)
    assert {label: int(count) for count, label in found} == {
        "matched": 2,
        "not matched": 1,
        "failed": 1,  # the row without a key
    }
    results = re.findall(r'<td>(\d+)</td><td><span class="pill \w+">([a-z ]+)</span>', done.text)
    assert results == [("2", "matched"), ("3", "matched"), ("4", "not matched"), ("5", "failed")]
    for lead_id in leads:
        assert f'href="/console/leads/{lead_id}"' in done.text
    # The same file again: every sale has its return already.
    again = client.post(
        "/console/returns/bulk/open",
        data={"csrf": csrf_of(mapping), "data": hidden, "key_column": "Phone",
              "key": "field:phone", "reason_column": "Why"},
    )  # fmt: skip
    assert "the sale has a return already" in again.text


def test_a_buyer_user_returns_its_own_purchase_and_sees_no_one_elses(sut: System) -> None:
    phone = _phone()
    lead_id = _sold(sut, phone)  # bought by xml
    page = f"/console/leads/{lead_id}"
    other = signed_in(sut, add_user(sut, "buyer", scope="d1"))
    refused = other.get(page)
    assert refused.status_code == 404
    assert phone not in refused.text
    assert _lead_links(other.get("/console/leads", params={"phone": phone})) == []

    buyer = signed_in(sut, add_user(sut, "buyer", scope="xml"))
    shown = buyer.get(page)
    assert shown.status_code == 200
    assert phone in shown.text  # it bought the lead
    assert "Supplier direct post" not in shown.text  # the supplier's own request is not its
    opened = post_form(buyer, page, f"{page}/returns", buyer_id="xml", reason="Bad data")
    assert opened.status_code == 303, opened.text
    queue = buyer.get("/console/returns")
    assert f'href="/console/leads/{lead_id}"' in queue.text
    assert "/approve" not in queue.text  # buyers open returns, operators decide them
