"""The supplier endpoints' base URL: the framework's, built once per host and kept."""

from typing import Any

import pytest
from starlette.requests import Request

from pickpost.api import supplier


def _scope(headers: list[tuple[bytes, bytes]], **extra: Any) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "scheme": "http",
        "path": "/ping",
        "root_path": "",
        "query_string": b"a=1",
        "headers": headers,
        "server": ("127.0.0.1", 8080),
    }
    return {**scope, **extra}


SCOPES = [
    _scope([(b"host", b"pickpost.test")]),
    _scope([(b"content-type", b"application/json"), (b"host", b"pickpost.test:8443")]),
    _scope([(b"host", b"pickpost.test")], scheme="https", root_path="/exchange"),
    _scope([(b"host", b"pickpost.test")], root_path="/a", app_root_path="/b"),
    _scope([]),  # no Host: the server's address
    _scope([], server=["127.0.0.1", 80]),  # a list, as ASGI allows; the default port
    _scope([], server=("::1", 8080)),
    _scope([], server=None),
]


@pytest.mark.parametrize("scope", SCOPES)
def test_the_framework_s_base_url_whether_built_or_kept(scope: dict[str, Any]) -> None:
    supplier._BASE_URLS.clear()
    expected = str(Request(scope).base_url).rstrip("/")
    assert supplier._base_url(Request(scope)) == expected  # built
    assert supplier._base_url(Request(scope)) == expected  # kept


def test_each_scope_gets_its_own_base_url() -> None:
    supplier._BASE_URLS.clear()
    found = [supplier._base_url(Request(scope)) for scope in SCOPES]  # all kept at once
    assert found == [str(Request(scope).base_url).rstrip("/") for scope in SCOPES]
    assert len(set(found)) == len(SCOPES)


def test_kept_base_urls_are_bounded() -> None:
    supplier._BASE_URLS.clear()
    for number in range(supplier._MAX_BASE_URLS * 3):
        host = f"host{number}.test".encode()
        assert supplier._base_url(Request(_scope([(b"host", host)]))) == f"http://{host.decode()}"
    assert len(supplier._BASE_URLS) <= supplier._MAX_BASE_URLS
