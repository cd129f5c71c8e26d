"""The Pick recorded by Pickpost, end to end on SQLite and PostgreSQL (with Redis pings): a
PING's pick token, the widget's JSON endpoints and the hosted page, the pick recorded as
first-party evidence (sealed, in the consent record and the ledger), and the POST held to it:
a tampered consent refused (1016) without selling, a required pick missing (1017), a used,
unknown or expired token (1018), a page of another origin refused."""

import json
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from pickpost.domain.errors import Code
from tests.support.cli import pickpost
from tests.support.console import add_user, close_browsers, signed_in
from tests.support.fleet import ThreadedFleet
from tests.support.picks import DATA_KEY, PICK, REQUIRED, SHORT, names, new_phone, pick_system
from tests.support.server import ADMIN_TOKEN
from tests.support.system import System, bid_of
from tests.support.waiting import eventually

PAGE = "https://supplier.example"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
UA = "Mozilla/5.0 (Wombat 7)"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def sut(
    request: pytest.FixtureRequest, fleet: ThreadedFleet, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    with pick_system(request.param, fleet, tmp_path_factory.mktemp(request.param), [PAGE]) as s:
        yield s


def _ping(sut: System, campaign: str = PICK) -> httpx.Response:
    ping = sut.ping(campaign)
    assert ping.json()["code"] == 0, ping.text
    return ping


def _token(ping: httpx.Response) -> str:
    return str(ping.json()["pick"]["token"])


def _submit(
    sut: System, token: str, picked: list[str], text: str, origin: str = PAGE
) -> httpx.Response:
    """The widget's submit: JSON sent as text/plain from a page of ``origin``."""
    body = {"picked": picked, "disclosure": text, "page_url": f"{PAGE}/solar?step=2"}
    return sut.http.post(
        f"/pick/{token}/submit",
        content=httpx.Request("POST", "/", json=body).content,
        headers={"Content-Type": "text/plain", "Origin": origin, "User-Agent": UA},
    )


def _pick(sut: System, ping: httpx.Response, *buyers: str) -> list[str]:
    """Record the consumer picking ``buyers`` in that order; their bid ids."""
    bids = [bid_of(ping, b) for b in buyers]
    entities = [_entity(ping, b) for b in bids]
    answer = _submit(sut, _token(ping), bids, names(*entities))
    assert answer.status_code == 200, answer.text
    assert answer.json()["lp_consent_bids"] == bids
    return bids


def _entity(ping: httpx.Response, bid_id: str) -> str:
    return str(next(b["tcpa_entity_name"] for b in ping.json()["bids"] if b["bid_id"] == bid_id))


def _post(sut: System, ping: httpx.Response, bids: list[str], campaign: str = PICK) -> Any:
    return sut.post(ping, bids, campaign, phone=new_phone()).json()


def _sold(answer: Any) -> list[str]:
    assert answer["code"] == 0, answer
    return [b["bid_id"] for b in answer["sold_bids"]]


def _leads_of(sut: System, ping: httpx.Response) -> list[tuple[Any, ...]]:
    return sut.query("SELECT id FROM leads WHERE ping_id = :p", p=ping.json()["ping_id"])


def test_a_ping_hands_out_a_pick_and_the_matching_post_sells_exactly_the_picks_in_order(
    sut: System,
) -> None:
    ping = _ping(sut)
    pick = ping.json()["pick"]
    assert pick["url"] == f"{sut.server.base_url}/pick/{pick['token']}"
    assert pick["expires_at"] <= ping.json()["expires_at"]

    shown = sut.http.get(f"/pick/{pick['token']}/bids", headers={"Origin": PAGE})
    assert shown.status_code == 200, shown.text
    assert shown.headers["access-control-allow-origin"] == PAGE
    data = shown.json()
    assert [b["bid_id"] for b in data["bids"]] == [b["bid_id"] for b in ping.json()["bids"]]
    beta = next(b for b in data["bids"] if b["tcpa_entity_name"] == "Beta Solar Inc.")
    assert beta["display"] == {"display_name": "Beta", "description": "Panels since 1999"}
    assert data["disclosure"] == names("{names}")
    assert data["placeholder"] == "{names}"

    # The second listed first: the consumer's order, not the screen's.
    picked = _pick(sut, ping, "beta", "alpha")
    before = {b: len(sut.posts_received(b)) for b in ("alpha", "beta", "gamma")}
    answer = _post(sut, ping, picked)
    assert _sold(answer) == picked
    after = {b: len(sut.posts_received(b)) for b in ("alpha", "beta", "gamma")}
    assert after == {"alpha": before["alpha"] + 1, "beta": before["beta"] + 1,
                     "gamma": before["gamma"]}  # fmt: skip
    consent = sut.posts_received("beta")[-1]["consent"]
    assert consent["tcpa_text"] == names("Beta Solar Inc.", "Alpha Energy LLC")
    assert consent["user_agent"] == UA
    assert consent["ip_address"] == "127.0.0.1"


def test_the_pick_is_first_party_evidence_sealed_in_the_record_and_the_ledger(
    sut: System,
) -> None:
    ping = _ping(sut)
    picked = _pick(sut, ping, "gamma", "beta")
    lead_id = _post(sut, ping, picked)["lead_id"]

    bundle = sut.http.get(f"/api/v1/leads/{lead_id}/consent", headers=AUTH).json()
    assert bundle["verified"], bundle["problems"]
    record = bundle["consent"]
    first_party = record["pick"]
    assert first_party["source"] == "pickpost"
    assert first_party["picked"] == picked
    assert first_party["shown"] == [b["bid_id"] for b in ping.json()["bids"]]
    assert len(first_party["rendered_sha256"]) == 64
    assert record["evidence"] == {
        "tcpa_text": names("alpha energy llc", "Beta Solar Inc."),
        "ip_address": "127.0.0.1",
        "user_agent": UA,
        "landing_page_url": f"{PAGE}/solar?step=2",
    }
    entry = next(e for e in bundle["entries"] if e["kind"] == "pick_recorded")
    assert entry["facts"]["first_party"] == first_party

    # Sealed at rest, like the rest of the consent evidence.
    stored = sut.query("SELECT personal FROM picks WHERE ping_id = :p", p=ping.json()["ping_id"])
    assert UA not in str(stored)
    assert "127.0.0.1" not in str(stored)
    verified = pickpost(
        "consent", "verify", "--lead", lead_id, "--database", sut.database_url,
        env={**os.environ, "PICKPOST_DATA_KEY": DATA_KEY},
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr

    console = signed_in(sut, add_user(sut, "admin"))
    try:
        page = console.get(f"/console/leads/{lead_id}")
    finally:
        close_browsers()
    assert page.status_code == 200, page.text
    assert "Recorded first-hand by Pickpost" in page.text
    assert first_party["rendered_sha256"] in page.text


def test_a_post_whose_consent_is_not_the_pick_is_refused_and_sells_nothing(sut: System) -> None:
    ping = _ping(sut)
    picked = _pick(sut, ping, "beta", "alpha")
    gamma = bid_of(ping, "gamma")
    before = {b: len(sut.posts_received(b)) for b in ("alpha", "beta", "gamma")}
    for tampered in ([picked[1], picked[0]], picked[:1], [picked[0], gamma], [*picked, gamma]):
        answer = sut.post(ping, tampered, PICK, phone=new_phone())
        assert answer.status_code == 409, answer.text
        assert answer.json()["code"] == 1016, answer.text
    assert {b: len(sut.posts_received(b)) for b in ("alpha", "beta", "gamma")} == before
    assert _leads_of(sut, ping) == []
    # The ping is still there for the POST that matches.
    assert _sold(_post(sut, ping, picked)) == picked


def test_a_campaign_that_requires_a_pick_refuses_a_post_without_one(sut: System) -> None:
    ping = _ping(sut, REQUIRED)
    bids = [bid_of(ping, "alpha")]
    answer = sut.post(ping, bids, REQUIRED, phone=new_phone())
    assert answer.json()["code"] == 1017, answer.text
    assert _leads_of(sut, ping) == []
    assert _sold(_post(sut, ping, _pick(sut, ping, "alpha"), REQUIRED)) == bids


def test_a_campaign_that_does_not_require_a_pick_sells_a_post_without_one(sut: System) -> None:
    ping = _ping(sut)
    bids = [bid_of(ping, "alpha")]
    assert _sold(_post(sut, ping, bids)) == bids
    # The lead is claimed: its token can record no pick any more.
    late = _submit(sut, _token(ping), bids, names("Alpha Energy LLC"))
    assert late.json()["code"] == Code.PICK_TOKEN, late.text


def test_a_used_unknown_or_expired_token_is_refused_with_1018(sut: System) -> None:
    ping = _ping(sut)
    token = _token(ping)
    _pick(sut, ping, "alpha")
    again = _submit(sut, token, [bid_of(ping, "beta")], names("Beta Solar Inc."))
    assert (again.status_code, again.json()["code"]) == (410, 1018)
    assert sut.http.get(f"/pick/{token}/bids").json()["code"] == Code.PICK_TOKEN
    forged = token[: token.index(".")] + ".not-the-secret-of-this-ping"
    for unknown in (forged, "nonsense", "p_x.yyyyyyyyyyyyyyyyyyyyyy"):
        answer = sut.http.get(f"/pick/{unknown}/bids")
        assert (answer.status_code, answer.json()["code"]) == (410, Code.PICK_TOKEN)
        assert sut.http.get(f"/pick/{unknown}").status_code == 410

    short = _ping(sut, SHORT)
    bids = [bid_of(short, "alpha")]

    def expired() -> bool:
        # Once the ping store forgets the ping, the ledger (written off the PING's path) tells
        # an expired token from an unknown one.
        late = _submit(sut, _token(short), bids, names("Alpha Energy LLC")).json()
        return bool(late["code"] == Code.PICK_TOKEN and "expired" in late["message"])

    assert eventually(expired, within_s=15)
    assert (
        sut.query("SELECT ping_id FROM picks WHERE ping_id = :p", p=short.json()["ping_id"]) == []
    )


def test_a_page_of_an_origin_the_campaign_does_not_allow_is_refused(sut: System) -> None:
    ping = _ping(sut)
    token = _token(ping)
    evil = "https://evil.example"
    shown = sut.http.get(f"/pick/{token}/bids", headers={"Origin": evil})
    assert (shown.status_code, shown.json()["code"]) == (403, Code.FORBIDDEN)
    assert shown.headers.get("access-control-allow-origin") != evil
    bids = [bid_of(ping, "alpha")]
    refused = _submit(sut, token, bids, names("Alpha Energy LLC"), origin=evil)
    assert (refused.status_code, refused.json()["code"]) == (403, Code.FORBIDDEN)
    assert sut.query("SELECT ping_id FROM picks WHERE ping_id = :p", p=ping.json()["ping_id"]) == []
    # The page the campaign allows still can.
    assert _submit(sut, token, bids, names("Alpha Energy LLC")).json()["code"] == 0


def test_a_pick_whose_disclosure_is_not_the_campaigns_is_refused(sut: System) -> None:
    ping = _ping(sut)
    bids = [bid_of(ping, "alpha")]
    answer = _submit(sut, _token(ping), bids, "I agree to nothing in particular.")
    assert answer.json()["code"] == Code.MALFORMED, answer.text
    assert _submit(sut, _token(ping), [], names("x")).json()["code"] == Code.INVALID_BID_SELECTION


def test_the_hosted_page_records_the_pick_and_returns_to_the_supplier(sut: System) -> None:
    ping = _ping(sut)
    token = _token(ping)
    back = f"{PAGE}/thanks?session=42"
    page = sut.http.get(f"/pick/{token}", params={"return_url": back})
    assert page.status_code == 200, page.text
    assert f"frame-ancestors {PAGE}" in page.headers["content-security-policy"]
    for entity in ("Alpha Energy LLC", "Beta Solar Inc.", "alpha energy llc"):
        assert entity in page.text
    assert "checked" not in page.text  # unchecked until the consumer ticks
    refused = sut.http.get(f"/pick/{token}", params={"return_url": "https://evil.example/x"})
    assert refused.status_code == 400

    alpha, beta = bid_of(ping, "alpha"), bid_of(ping, "beta")
    # Without its script the boxes come in screen order; its script keeps the ticking order.
    form = {"bid": [alpha, beta], "order": f"{beta},{alpha}", "return_url": back}
    done = sut.http.post(f"/pick/{token}", data=form, headers={"User-Agent": UA})
    assert done.status_code == 303, done.text
    location = urlsplit(done.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{PAGE}/thanks"
    query = parse_qs(location.query)
    assert query["session"] == ["42"]
    assert query["pick"] == ["recorded"]
    assert query["lp_consent_bids"] == [f"{beta},{alpha}"]
    assert sut.http.post(f"/pick/{token}", data=form).status_code == 410  # used

    answer = sut.post(ping, query["lp_consent_bids"][0], PICK, phone=new_phone()).json()
    assert _sold(answer) == [beta, alpha]
    bundle = sut.http.get(f"/api/v1/leads/{answer['lead_id']}/consent", headers=AUTH).json()
    assert bundle["consent"]["evidence"]["tcpa_text"] == names(
        "Beta Solar Inc.", "Alpha Energy LLC"
    )


def test_the_hosted_page_without_its_script_takes_the_boxes_in_screen_order(sut: System) -> None:
    ping = _ping(sut)
    alpha, gamma = bid_of(ping, "alpha"), bid_of(ping, "gamma")
    nothing = sut.http.post(f"/pick/{_token(ping)}", data={})
    assert nothing.status_code == 400
    assert "pick at least one company" in nothing.text
    assert 'type="checkbox"' in nothing.text  # the choice again, the token still usable
    done = sut.http.post(f"/pick/{_token(ping)}", data={"bid": [alpha, gamma]})
    assert done.status_code == 200, done.text
    assert "Thank you" in done.text
    assert _sold(_post(sut, ping, [alpha, gamma])) == [alpha, gamma]


def test_the_widget_script_and_styles_are_served_from_here(sut: System) -> None:
    script = sut.http.get("/pick.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "PickpostPick" in script.text
    assert sut.http.get("/pick.css").status_code == 200


def test_text_no_database_stores_is_refused_never_a_5xx(sut: System) -> None:
    ping = _ping(sut)
    token = _token(ping)
    for path in ("/pick/%00/bids", f"/pick/{token}%00/bids", "/pick/p_%00.x/bids"):
        assert sut.http.get(path).status_code == 410, path
    picked, text = [bid_of(ping, "alpha")], names("Alpha Energy LLC")
    body = {"picked": picked, "disclosure": text, "page_url": "https://supplier.example/\x00"}
    answer = sut.http.post(
        f"/pick/{token}/submit", content=httpx.Request("POST", "/", json=body).content
    )
    assert (answer.status_code, answer.json()["code"]) == (400, Code.MALFORMED)
    page = sut.http.get(f"/pick/{token}", params={"return_url": f"{PAGE}/\x00"})
    assert page.status_code == 400
    assert _submit(sut, token, picked, text).json()["code"] == 0


def test_the_recorded_ping_answer_withholds_the_pick_token(sut: System) -> None:
    ping = _ping(sut)
    token = _token(ping)
    query = "SELECT response FROM requests WHERE ping_id = :p AND endpoint = '/ping'"

    def recorded() -> list[tuple[Any, ...]]:
        return sut.query(query, p=ping.json()["ping_id"])

    assert eventually(lambda: bool(recorded()))
    text = str(recorded())
    assert token not in text
    assert token.split(".")[1] not in text
    assert "[withheld]" in text


def test_the_consent_retention_blanks_a_picks_personal_values_and_the_ledger_verifies(
    sut: System,
) -> None:
    """Last in the module: it purges every consent of this server."""
    ping = _ping(sut)
    lead_id = _post(sut, ping, _pick(sut, ping, "beta"))["lead_id"]
    env = {**os.environ, "PICKPOST_DATA_KEY": DATA_KEY}
    purged = pickpost("purge", "--database", sut.database_url, "--keep-consent-days", "0", env=env)
    assert purged.returncode == 0, purged.stderr
    rows = sut.query("SELECT personal FROM picks WHERE ping_id = :p", p=ping.json()["ping_id"])
    personal = rows[0][0] if isinstance(rows[0][0], dict) else json.loads(rows[0][0])
    assert set(personal.values()) == {"[purged]"}
    assert set(personal) == {"ip_address", "user_agent", "landing_page_url"}
    verified = pickpost(
        "consent", "verify", "--lead", lead_id, "--database", sut.database_url, env=env
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
