"""The server's own pages through a real server: ``/docs`` and ``/redoc`` load every asset from
the server itself, and ``/`` points a person (or a JSON client) somewhere useful."""

import re
from html.parser import HTMLParser

import pytest

from tests.support.system import System


class _Assets(HTMLParser):
    """Every URL a page makes the browser load: ``src`` and ``href`` attributes, and the
    ``url:`` / ``spec-url`` a docs page fetches its document from."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href", "spec-url"} and value:
                self.urls.append(value)

    def handle_data(self, data: str) -> None:
        self.urls.extend(re.findall(r"""\burl:\s*['"]([^'"]+)['"]""", data))


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_nothing_from_another_host(sut: System, page: str) -> None:
    response = sut.http.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert not re.search(r"https?://|//[a-z]", response.text, re.IGNORECASE)
    parser = _Assets()
    parser.feed(response.text)
    assert "/openapi.json" in parser.urls
    assert any(url.endswith(".js") for url in parser.urls)
    for url in parser.urls:
        assert url.startswith("/")
        asset = sut.http.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url


def test_the_home_page_links_what_a_person_needs(sut: System) -> None:
    response = sut.http.get("/", headers={"Accept": "text/html,*/*"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    parser = _Assets()
    parser.feed(response.text)
    assert {"/docs", "/redoc", "/openapi.json", "/healthz", "/metrics"} <= set(parser.urls)
    assert "/specs/{supplier_id}?key=YOUR_KEY" in response.text
    assert "docs/" in response.text
    for url in parser.urls:
        assert sut.http.get(url).status_code == 200, url


def test_a_json_client_gets_an_index(sut: System) -> None:
    for accept in ("application/json", None):
        headers = {"Accept": accept} if accept else {}
        response = sut.http.get("/", headers=headers)
        assert response.status_code == 200
        if accept is None:  # a client that says nothing gets the page
            assert response.headers["content-type"].startswith("text/html")
            continue
        index = response.json()
        assert index["name"] == "pickpost"
        assert {"/docs", "/healthz", "/metrics", "/specs/{supplier_id}?key=YOUR_KEY"} <= set(
            index["links"]
        )
