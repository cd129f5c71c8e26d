"""People, sign-in and audit through a real server, on SQLite and PostgreSQL: the console's
sign-in and sessions, CSRF, throttling, and the admin API's roles and scopes
(docs/console.md)."""

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.console import (
    PASSWORD,
    add_user,
    browser,
    close_browsers,
    post_form,
    signed_in,
    token_of,
    try_sign_in,
    users,
)
from tests.support.server import ADMIN_TOKEN
from tests.support.system import System


@pytest.fixture(autouse=True)
def _browsers_closed() -> Iterator[None]:
    yield
    close_browsers()


def _audit(sut: System, action: str, actor: str | None = None) -> list[tuple[Any, ...]]:
    rows = sut.query(
        "SELECT actor, target, before, after, remote_addr FROM audit_log WHERE action = :a "
        "ORDER BY id",
        a=action,
    )
    return [r for r in rows if actor is None or r[0] == actor]


def test_an_unsigned_visit_is_sent_to_sign_in_and_back_after_it(sut: System) -> None:
    name = add_user(sut, "admin")
    client = browser(sut)
    # Without PICKPOST_TRUSTED_PROXY, a client's claim to have come over HTTPS is not believed.
    client.headers["X-Forwarded-Proto"] = "https"
    first = client.get("/console/audit", params={"actor": "x"})
    assert first.status_code == 303
    assert first.headers["location"] == "/console/sign-in?next=%2Fconsole%2Faudit%3Factor%3Dx"
    signed = try_sign_in(client, name, next_path="/console/audit?actor=x")
    assert (signed.status_code, signed.headers["location"]) == (303, "/console/audit?actor=x")
    cookie = signed.headers["set-cookie"]
    assert "pickpost_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Path=/console" in cookie
    assert "Secure" not in cookie
    landing = client.get("/console")
    assert landing.status_code == 200
    assert f"Welcome, {name}" in landing.text
    assert 'href="/console/people"' not in landing.text  # People is for owners only
    assert _audit(sut, "sign_in", name)


def test_sign_in_never_sends_the_browser_to_another_host(sut: System) -> None:
    name = add_user(sut, "analyst")
    answer = try_sign_in(browser(sut), name, next_path="https://evil.example/")
    assert answer.headers["location"] == "/console"


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(sut: System) -> None:
    name = add_user(sut, "analyst")
    wrong = try_sign_in(browser(sut), name, "not the password")
    nobody = try_sign_in(browser(sut), f"{name}-nobody", PASSWORD)
    for answer in (wrong, nobody):
        assert answer.status_code == 401
        assert "That name and password do not match an active account." in answer.text
        assert "pickpost_session" not in answer.headers.get("set-cookie", "")
    assert _audit(sut, "sign_in_failed", name)


def test_five_failures_throttle_the_name_even_with_the_right_password(sut: System) -> None:
    name = add_user(sut, "analyst")
    for _ in range(5):
        assert try_sign_in(browser(sut), name, "wrong password").status_code == 401
    throttled = try_sign_in(browser(sut), name, PASSWORD)
    assert throttled.status_code == 429
    assert "Too many failed sign-ins" in throttled.text
    assert _audit(sut, "sign_in_throttled", name)


def test_signing_out_everywhere_ends_the_other_sessions(sut: System) -> None:
    name = add_user(sut, "analyst")
    laptop, phone = signed_in(sut, name), signed_in(sut, name)
    assert phone.get("/console").status_code == 200
    out = post_form(laptop, "/console", "/console/sign-out-everywhere")
    assert (out.status_code, out.headers["location"]) == (303, "/console/sign-in")
    assert phone.get("/console").status_code == 303
    assert laptop.get("/console").status_code == 303
    assert signed_in(sut, name).get("/console").status_code == 200  # a new sign-in works
    assert _audit(sut, "user_sign_out", name)


def test_a_disabled_user_loses_sessions_and_tokens_and_cannot_sign_in(sut: System) -> None:
    name = add_user(sut, "admin")
    client, token = signed_in(sut, name), token_of(sut, name)
    bearer = {"Authorization": f"Bearer {token}"}
    assert sut.http.get("/api/v1/sales", headers=bearer).status_code == 200
    users(sut, "disable", name)
    assert client.get("/console").status_code == 303
    assert sut.http.get("/api/v1/sales", headers=bearer).status_code == 401
    assert try_sign_in(browser(sut), name).status_code == 401
    assert _audit(sut, "user_disable", "cli")


def test_console_form_posts_without_the_sessions_csrf_token_are_refused(sut: System) -> None:
    owner = signed_in(sut, add_user(sut, "owner"))
    target = f"csrf-victim-{id(owner)}"
    fields = {"name": target, "role": "analyst", "password": PASSWORD, "confirm": PASSWORD}
    for data in (fields, {**fields, "csrf": "forged"}):
        refused = owner.post("/console/people/add", data=data)
        assert refused.status_code == 403
    assert owner.post("/console/sign-out-everywhere").status_code == 403
    assert owner.get("/console").status_code == 200  # still signed in
    # Signing in needs the sign-in form's own token too.
    bare = browser(sut).post("/console/sign-in", data={"name": "x", "password": PASSWORD})
    assert bare.status_code == 403
    added = post_form(owner, "/console/people", "/console/people/add", **fields)
    assert added.status_code == 303
    assert target in users(sut, "list")
    assert _audit(sut, "user_add")[-1][1] == f"user {target}"


def test_only_owners_reach_the_people_page(sut: System) -> None:
    admin = signed_in(sut, add_user(sut, "admin"))
    assert admin.get("/console/people").status_code == 403
    assert signed_in(sut, add_user(sut, "owner")).get("/console/people").status_code == 200


def test_the_audit_page_shows_and_filters_the_entries(sut: System) -> None:
    name = add_user(sut, "analyst")
    client = signed_in(sut, name)
    page = client.get("/console/audit", params={"actor": name, "action": "sign_in"})
    assert page.status_code == 200
    assert f"user {name}" in page.text
    assert "user_add" not in page.text.split("<tbody>")[1]
    assert client.get("/console/audit", params={"from": "yesterday"}).status_code == 400


def test_a_users_token_works_on_the_admin_api_and_its_changes_are_audited(sut: System) -> None:
    name = add_user(sut, "admin")
    bearer = {"Authorization": f"Bearer {token_of(sut, name)}"}
    paused = sut.http.post("/api/v1/campaigns/1402/buyers/beta/pause", headers=bearer)
    assert paused.status_code == 200, paused.text
    resumed = sut.http.post("/api/v1/campaigns/1402/buyers/beta/resume", headers=bearer)
    assert resumed.status_code == 200
    pauses, resumes = _audit(sut, "pause", name), _audit(sut, "resume", name)
    assert [r[1] for r in pauses] == ["campaign 1402/buyer beta"]
    assert _json(pauses[0][2]) == {"paused": False}
    assert _json(pauses[0][3]) == {"paused": True}
    assert pauses[0][4] == "127.0.0.1"
    assert [r[1] for r in resumes] == ["campaign 1402/buyer beta"]


def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


def test_analysts_and_scoped_users_may_read_but_not_pause(sut: System) -> None:
    for role, scope in (("analyst", None), ("supplier", "7"), ("buyer", "alpha")):
        bearer = {"Authorization": f"Bearer {token_of(sut, add_user(sut, role, scope))}"}
        refused = sut.http.post("/api/v1/campaigns/1402/pause", headers=bearer)
        assert refused.status_code == 403
        body = refused.json()
        assert (body["code"], body["status"]) == (1031, "ERROR")
        assert body["message"] == f"the {role} role may not operate"
        assert sut.http.get("/api/v1/sales", headers=bearer).status_code == 200


def test_a_session_cookie_alone_cannot_change_anything_on_the_admin_api(sut: System) -> None:
    client = signed_in(sut, add_user(sut, "owner"))
    assert client.post("/api/v1/campaigns/1402/pause").status_code == 401


def test_a_supplier_user_sees_its_own_leads_and_no_one_elses(sut: System) -> None:
    sold = sut.direct_post("1200", supplier="7", phone="5125550199")
    assert sold.status_code == 200, sold.text
    lead_id = sold.json()["lead_id"]
    own = {"Authorization": f"Bearer {token_of(sut, add_user(sut, 'supplier', '7'))}"}
    other = {"Authorization": f"Bearer {token_of(sut, add_user(sut, 'supplier', '8'))}"}
    assert sut.http.get(f"/api/v1/leads/{lead_id}", headers=own).status_code == 200
    hidden = sut.http.get(f"/api/v1/leads/{lead_id}", headers=other)
    assert hidden.status_code == 404
    assert hidden.json()["code"] == 1030
    assert "5125550199" not in hidden.text
    assert "Dana" not in hidden.text
    search = {"field_name": "phone", "field_value": "5125550199"}
    found = sut.http.get("/api/v1/leads", params=search, headers=other)
    assert found.json()["leads"] == []
    assert sut.http.get("/api/v1/leads", params=search, headers=own).json()["leads"]
    sales = sut.http.get("/api/v1/sales", headers=other).json()["sales"]
    assert all(s["supplier_id"] == "8" for s in sales)


def test_the_bootstrap_token_still_acts_as_owner(sut: System) -> None:
    bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    answer = sut.http.post("/api/v1/campaigns/1402/resume", headers=bearer)
    assert answer.status_code == 200
    assert _audit(sut, "resume", "bootstrap token")


def test_console_assets_are_local_and_cached_long(sut: System) -> None:
    client = signed_in(sut, add_user(sut, "analyst"))
    page = client.get("/console")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    href = page.text.split('rel="stylesheet" href="')[1].split('"')[0]
    assert href.startswith("/console/static/console.css?v=")
    css = httpx.get(f"{sut.server.base_url}{href}")
    assert css.status_code == 200
    assert css.headers["cache-control"] == "public, max-age=31536000, immutable"
