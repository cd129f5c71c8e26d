"""The console as a person uses it: users added with ``pickpost users``, a browser-like
client that signs in through the form and posts forms with their CSRF token."""

import itertools
import re
import uuid

import httpx

from tests.support.cli import pickpost
from tests.support.system import System

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_NAMES = itertools.count()


def add_user(sut: System, role: str, scope: str | None = None, name: str | None = None) -> str:
    """A new user of ``role`` (a unique name unless given), with ``PASSWORD``."""
    name = name or f"{role}-{next(_NAMES)}-{uuid.uuid4().hex[:6]}"
    args = ["users", "add", name, "--role", role, "--password-stdin"]
    args += ["--database", sut.database_url] + (["--scope", scope] if scope else [])
    done = pickpost(*args, input=f"{PASSWORD}\n")
    assert done.returncode == 0, done.stderr
    return name


def users(sut: System, *args: str) -> str:
    """Run ``pickpost users ARGS`` on the system's database; its standard output."""
    done = pickpost("users", *args, "--database", sut.database_url)
    assert done.returncode == 0, done.stderr
    return done.stdout


def token_of(sut: System, name: str) -> str:
    return users(sut, "token", name).strip().splitlines()[-1]


def csrf_of(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found is not None, page.text
    return found.group(1)


_OPEN: list[httpx.Client] = []


def browser(sut: System) -> httpx.Client:
    """A client that keeps cookies and does not follow redirects (tests read them); closed
    by ``close_browsers``."""
    client = httpx.Client(base_url=sut.server.base_url, timeout=30)
    _OPEN.append(client)
    return client


def close_browsers() -> None:
    while _OPEN:
        _OPEN.pop().close()


def try_sign_in(client: httpx.Client, name: str, password: str = PASSWORD,
                next_path: str = "/console") -> httpx.Response:  # fmt: skip
    form = client.get("/console/sign-in", params={"next": next_path})
    assert form.status_code == 200, form.text
    data = {"csrf": csrf_of(form), "name": name, "password": password, "next": next_path}
    return client.post("/console/sign-in", data=data)


def signed_in(sut: System, name: str) -> httpx.Client:
    client = browser(sut)
    answer = try_sign_in(client, name)
    assert answer.status_code == 303, answer.text
    return client


def post_form(client: httpx.Client, page: str, action: str, **fields: str) -> httpx.Response:
    """Post a form of ``page`` with the CSRF token the page carries."""
    shown = client.get(page)
    assert shown.status_code == 200, shown.text
    return client.post(action, data={"csrf": csrf_of(shown), **fields})
