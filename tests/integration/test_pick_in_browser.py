"""The pick widget in a real browser (Debian's Chromium): a supplier's plain page, served by
this test from another origin, embeds /pick.js; the consumer ticks two companies – the second
listed first, by keyboard, then the first by mouse – and submits; the supplier's form goes on
with ``lp_consent_bids``, and its POST sells to exactly those two, in that order. Nothing is
loaded from another host. Saves docs/consent/pick-widget.png when PICKPOST_SCREENSHOTS names
a directory."""

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.wait import WebDriverWait

from tests.support.browser import chromium, requested_urls
from tests.support.fleet import ThreadedFleet
from tests.support.picks import PICK, names, new_phone, pick_system
from tests.support.server import ADMIN_TOKEN
from tests.support.system import System, bid_of

WAIT_S = 20

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Solar quotes</title>
<script src="{pickpost}/pick.js"></script>
<style>form {{ max-width: 40rem; padding: 1rem; font-family: sans-serif; }}</style></head>
<body><h1>Get your solar quotes</h1>
<form id="lead" action="/done" method="get">
<div id="pick"></div>
<button type="submit" id="send">Get my quotes</button>
</form>
<script>
var token = new URLSearchParams(location.search).get("token");
PickpostPick.mount(document.getElementById("pick"), {{
  token: token, form: document.getElementById("lead")
}});
</script></body></html>"""


class _Pages:
    """The supplier's site: its form page, and the page its form goes on to."""

    def __init__(self) -> None:
        self.pickpost = ""
        pages = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                text = PAGE.format(pickpost=pages.pickpost) if path == "/form" else "<p>done</p>"
                body = text.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "_Pages":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def pages() -> Iterator[_Pages]:
    with _Pages() as running:
        yield running


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def sut(
    request: pytest.FixtureRequest,
    fleet: ThreadedFleet,
    tmp_path_factory: pytest.TempPathFactory,
    pages: _Pages,
) -> Iterator[System]:
    directory = tmp_path_factory.mktemp(request.param)
    with pick_system(request.param, fleet, directory, [pages.origin]) as running:
        pages.pickpost = running.server.base_url
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``PICKPOST_SCREENSHOTS`` when set (docs/consent/ to update the
    docs), else a temporary directory."""
    chosen = os.environ.get("PICKPOST_SCREENSHOTS")
    return Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")


def _box(browser: webdriver.Chrome, bid_id: str) -> webdriver.remote.webelement.WebElement:
    return browser.find_element(By.CSS_SELECTOR, f'.pp-pick-box[value="{bid_id}"]')


def _badge(browser: webdriver.Chrome, bid_id: str) -> str:
    item = _box(browser, bid_id).find_element(By.XPATH, "./ancestor::li")
    return str(item.find_element(By.CLASS_NAME, "pp-pick-order").text)


def test_picking_two_in_the_widget_sells_to_exactly_those_in_that_order(
    sut: System, pages: _Pages, browser: webdriver.Chrome, shots: Path
) -> None:
    ping = sut.ping(PICK)
    assert ping.json()["code"] == 0, ping.text
    token = ping.json()["pick"]["token"]
    alpha, beta, gamma = (bid_of(ping, b) for b in ("alpha", "beta", "gamma"))
    listed = [b["bid_id"] for b in ping.json()["bids"]]
    assert listed == [alpha, beta, gamma]  # by price: beta is listed second

    requested_urls(browser)  # forget earlier pages' requests
    browser.get(f"{pages.origin}/form?token={token}")
    wait = WebDriverWait(browser, WAIT_S)
    wait.until(lambda d: len(d.find_elements(By.CLASS_NAME, "pp-pick-box")) == 3)
    boxes = browser.find_elements(By.CLASS_NAME, "pp-pick-box")
    assert [b.get_attribute("value") for b in boxes] == listed
    assert not any(b.is_selected() for b in boxes)  # unchecked until the consumer ticks
    labels = browser.find_elements(By.CLASS_NAME, "pp-pick-label")
    assert "Beta Solar Inc." in labels[1].text
    assert "Panels since 1999" in labels[1].text

    _box(browser, beta).send_keys(Keys.SPACE)  # by keyboard
    _box(browser, alpha).click()
    assert (_badge(browser, beta), _badge(browser, alpha), _badge(browser, gamma)) == (
        "1st",
        "2nd",
        "",
    )
    disclosure = browser.find_element(By.CLASS_NAME, "pp-pick-disclosure").text
    assert disclosure == names("Beta Solar Inc.", "Alpha Energy LLC")
    status = browser.find_element(By.CLASS_NAME, "pp-pick-status").text
    assert status == "Alpha Energy LLC picked, 2nd of your choices"

    if sut.database_url.startswith("sqlite"):
        browser.find_element(By.ID, "lead").screenshot(str(shots / "pick-widget.png"))

    browser.find_element(By.ID, "send").click()
    wait.until(lambda d: urlsplit(d.current_url).path == "/done")
    sent = parse_qs(urlsplit(browser.current_url).query)["lp_consent_bids"]
    assert sent == [f"{beta},{alpha}"]
    foreign = [
        url
        for url in requested_urls(browser)
        if not url.startswith((pages.origin, sut.server.base_url))
    ]
    assert foreign == []

    answer = sut.post(ping, sent[0], PICK, phone=new_phone()).json()
    assert answer["code"] == 0, answer
    assert [b["bid_id"] for b in answer["sold_bids"]] == [beta, alpha]
    bundle = sut.http.get(
        f"/api/v1/leads/{answer['lead_id']}/consent",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    ).json()
    evidence = bundle["consent"]["evidence"]
    assert evidence["landing_page_url"] == f"{pages.origin}/form?token={token}"
    assert "Chrome" in evidence["user_agent"]
    assert evidence["tcpa_text"] == disclosure


def test_the_hosted_page_keeps_the_order_and_returns_to_the_supplier(
    sut: System, pages: _Pages, browser: webdriver.Chrome
) -> None:
    ping = sut.ping(PICK)
    assert ping.json()["code"] == 0, ping.text
    alpha, gamma = bid_of(ping, "alpha"), bid_of(ping, "gamma")
    requested_urls(browser)
    browser.get(f"{ping.json()['pick']['url']}?return_url={pages.origin}/done")
    wait = WebDriverWait(browser, WAIT_S)
    wait.until(lambda d: "1999" in d.find_element(By.CLASS_NAME, "pp-pick-list").text)
    _box(browser, gamma).click()
    _box(browser, alpha).send_keys(Keys.SPACE)
    # Its script keeps the order of ticking (without it, the order on screen).
    wait.until(lambda d: _badge(d, alpha) == "2nd")
    assert _badge(browser, gamma) == "1st"
    disclosure = browser.find_element(By.CLASS_NAME, "pp-pick-disclosure").text
    assert disclosure == names("alpha energy llc", "Alpha Energy LLC")

    browser.find_element(By.CLASS_NAME, "pp-page-submit").click()
    wait.until(lambda d: d.current_url.startswith(f"{pages.origin}/done"))
    query = parse_qs(urlsplit(browser.current_url).query)
    assert query["lp_consent_bids"] == [f"{gamma},{alpha}"]
    assert query["pick"] == ["recorded"]
    foreign = [
        url
        for url in requested_urls(browser)
        if not url.startswith((pages.origin, sut.server.base_url))
    ]
    assert foreign == []

    answer = sut.post(ping, query["lp_consent_bids"][0], PICK, phone=new_phone()).json()
    assert answer["code"] == 0, answer
    assert [b["bid_id"] for b in answer["sold_bids"]] == [gamma, alpha]
