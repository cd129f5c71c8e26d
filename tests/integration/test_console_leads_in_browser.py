"""The lead and returns pages in a real browser (Debian's Chromium): sign in, search a lead
by phone, open its page and a buyer call's body, open a return, approve it on the returns
page and see the report's net revenue drop; nothing is loaded from another host. Saves the
screenshots of docs/console/ (leads.png, lead.png, returns.png)."""

import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from tests.support.browser import chromium, requested_urls
from tests.support.console import PASSWORD, add_user
from tests.support.server import ADMIN_TOKEN
from tests.support.system import System

WAIT_S = 20
CAMPAIGN = "2000"


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    with chromium() as driver:
        yield driver


def _net_revenue(sut: System) -> int:
    answer = sut.http.get(
        "/api/v1/reports",
        params={"campaign": CAMPAIGN, "test": "include"},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["totals"]["net_revenue_cents"])


def _wait(browser: webdriver.Chrome) -> WebDriverWait[webdriver.Chrome]:
    # An element read while the next page replaces the current one goes stale: read again.
    return WebDriverWait(browser, WAIT_S, ignored_exceptions=(StaleElementReferenceException,))


def _heading(browser: webdriver.Chrome, text: str) -> None:
    _wait(browser).until(lambda d: text in d.find_element(By.TAG_NAME, "h1").text)


def _load(browser: webdriver.Chrome, control: WebElement) -> None:
    """Click ``control`` and wait until the page it loads has replaced this one."""
    page = browser.find_element(By.TAG_NAME, "html")
    control.click()
    _wait(browser).until(staleness_of(page))


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``PICKPOST_SCREENSHOTS`` when set (docs/console/ to update the
    docs), else a temporary directory."""
    chosen = os.environ.get("PICKPOST_SCREENSHOTS")
    return Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")


def _screenshot(
    browser: webdriver.Chrome, sut: System, shots: Path, name: str, height: int
) -> None:
    """A 1280 px wide picture of the page, once (from the SQLite run)."""
    if not sut.database_url.startswith("sqlite"):
        return
    browser.set_window_size(1280, height)
    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(shots / name))
    browser.set_window_size(1280, 1000)


def test_search_open_return_and_approve_in_the_browser(
    browser: webdriver.Chrome, sut: System, shots: Path
) -> None:
    phone = f"737556{random.randrange(10_000):04d}"
    for _ in range(3):  # neighbours in the list
        sut.direct_post(CAMPAIGN, phone=f"737557{random.randrange(10_000):04d}")
    answer = sut.direct_post(CAMPAIGN, phone=phone, email="dana@example.com",
                             ip_address="203.0.113.9",
                             tcpa_text="By clicking I agree to be called by Xml Leads LLC.",
                             landing_page_url="https://quotes.example/solar")  # fmt: skip
    lead_id = answer.json()["lead_id"]
    price = sut.lead(lead_id)["sales"][0]["buyer_price_cents"]
    # Another lead's return, left open: the queue shows both.
    waiting = sut.direct_post(CAMPAIGN, phone=f"737558{random.randrange(10_000):04d}").json()
    sut.http.post(
        "/api/v1/returns",
        json={"lead_id": waiting["lead_id"], "reason": "Wrong number", "note": "left open"},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    before = _net_revenue(sut)
    name = add_user(sut, "admin")
    base = sut.server.base_url
    requested_urls(browser)

    browser.get(f"{base}/console/leads")
    browser.find_element(By.ID, "name").send_keys(name)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    _load(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    _heading(browser, "Leads")
    browser.find_element(By.ID, "campaign").send_keys(CAMPAIGN)
    _load(browser, browser.find_element(By.XPATH, "//button[text()='Search']"))
    _wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "table.leads"))
    _screenshot(browser, sut, shots, "leads.png", 1000)
    browser.find_element(By.ID, "campaign").clear()
    browser.find_element(By.ID, "phone").send_keys(phone)
    _load(browser, browser.find_element(By.XPATH, "//button[text()='Search']"))
    assert "phone=" in browser.current_url
    links = browser.find_elements(By.CSS_SELECTOR, "table.leads td a[href^='/console/leads/']")
    assert [a.text for a in links] == [lead_id]

    _load(browser, links[0])
    _heading(browser, lead_id)
    ping = browser.find_element(By.XPATH, "//details[.//strong[text()='Buyer xml ping']]")
    bodies = ping.find_elements(By.CSS_SELECTOR, "pre.body")
    assert not bodies[0].is_displayed()
    ping.find_element(By.TAG_NAME, "summary").click()
    assert bodies[0].is_displayed()
    assert "zip=78701" in bodies[0].text
    assert "<response>" in bodies[1].text
    _screenshot(browser, sut, shots, "lead.png", 2300)

    Select(browser.find_element(By.ID, "reason-1")).select_by_visible_text("Bad data")
    _load(browser, browser.find_element(By.XPATH, "//button[text()='Open a return']"))
    assert "opened=" in browser.current_url
    assert "opened" in browser.find_element(By.CSS_SELECTOR, ".notice").text

    _load(browser, browser.find_element(By.LINK_TEXT, "Returns"))
    _heading(browser, "Returns")
    row = browser.find_element(By.XPATH, f"//tr[.//a[@href='/console/leads/{lead_id}']]")
    row.find_element(By.NAME, "note").send_keys("customer hung up twice")
    _load(browser, row.find_element(By.XPATH, ".//button[text()='Approve']"))
    assert "decided=" in browser.current_url
    assert "approved" in browser.find_element(By.CSS_SELECTOR, ".notice").text
    _screenshot(browser, sut, shots, "returns.png", 1000)
    assert _net_revenue(sut) == before - price

    urls = [u for u in requested_urls(browser) if not u.startswith(("data:", "blob:"))]
    assert any("/console/static/records.css" in u for u in urls)
    assert all(u.startswith(base) for u in urls), urls
