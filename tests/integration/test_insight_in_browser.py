"""The dashboard, reports and campaign pages in a real browser (Debian's Chromium) after real
traffic: signed in through the form, the dashboard shows numbers and its charts, the reports
page links its CSV, and nothing any page loads comes from another host. Screenshots go to a
temporary directory, or to ``PICKPOST_SCREENSHOTS`` when set (docs/console/)."""

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from tests.support.browser import chromium, requested_urls
from tests.support.console import PASSWORD, add_user
from tests.support.fleet import ThreadedFleet
from tests.support.ledger import drive
from tests.support.system import System, running_system

SHOWN_S = 20


@pytest.fixture(scope="module")
def traffic(fleet: ThreadedFleet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with running_system("sqlite", fleet, tmp_path_factory.mktemp("insight-browser")) as system:
        drive(system)
        yield system


@pytest.fixture(scope="module")
def browser(traffic: System) -> Iterator[webdriver.Chrome]:
    with chromium() as driver:
        driver.get(f"{traffic.server.base_url}/console/sign-in")
        driver.find_element(By.ID, "name").send_keys(add_user(traffic, "owner"))
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        WebDriverWait(driver, SHOWN_S).until(lambda d: d.find_elements(By.CSS_SELECTOR, "h1"))
        yield driver


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("PICKPOST_SCREENSHOTS")
    return Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")


def _open(browser: webdriver.Chrome, sut: System, path: str, width: int = 1280) -> None:
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    requested_urls(browser)  # forget earlier pages' requests
    browser.get(f"{sut.server.base_url}{path}")
    WebDriverWait(browser, SHOWN_S).until(lambda d: d.find_elements(By.CSS_SELECTOR, "h1"))


def _save(browser: webdriver.Chrome, path: Path, width: int = 1280) -> None:
    """The whole page, ``width`` CSS pixels wide."""
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    assert browser.save_screenshot(str(path))


def _local_only(browser: webdriver.Chrome, sut: System) -> None:
    urls = [u for u in requested_urls(browser) if not u.startswith(("data:", "blob:"))]
    assert any("/console/static/insight.css" in u for u in urls)
    assert all(u.startswith(sut.server.base_url) for u in urls), urls


def test_the_dashboard_shows_numbers_and_charts(
    browser: webdriver.Chrome, traffic: System, shots: Path
) -> None:
    _open(browser, traffic, "/console?range=7d")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Dashboard"
    leads = browser.find_element(By.CSS_SELECTOR, '[data-metric="leads"]')
    assert int(leads.text.replace(",", "")) > 0
    revenue = browser.find_element(By.CSS_SELECTOR, '[data-metric="revenue_cents"]')
    assert revenue.text.startswith("$")
    assert revenue.text != "$0.00"
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) == 2
    assert charts[0].find_elements(By.CSS_SELECTOR, "rect.bar")
    # The palette comes from the stylesheet: the bars are coloured, not black.
    bar = charts[0].find_element(By.CSS_SELECTOR, "rect.bar")
    assert bar.value_of_css_property("fill") == "rgb(37, 99, 235)"
    _local_only(browser, traffic)
    _save(browser, shots / "dashboard.png")
    _open(browser, traffic, "/console?range=7d", width=390)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    _save(browser, shots / "dashboard-phone.png", width=390)


def test_the_reports_page_links_its_csv(
    browser: webdriver.Chrome, traffic: System, shots: Path
) -> None:
    _open(browser, traffic, "/console/reports?group=campaign&then=supplier")
    totals = browser.find_element(By.CSS_SELECTOR, "tfoot tr").text
    assert totals.startswith("Total")
    link = browser.find_element(By.LINK_TEXT, "Download CSV").get_attribute("href")
    assert link is not None
    assert link.startswith(f"{traffic.server.base_url}/console/reports.csv?")
    _local_only(browser, traffic)
    _save(browser, shots / "reports.png")
    # The link serves the CSV to the browser's session.
    cookie = browser.get_cookie("pickpost_session")
    assert cookie is not None
    answer = httpx.get(link, cookies={"pickpost_session": cookie["value"]})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.text.splitlines()[-1].startswith("TOTAL,TOTAL,")


def test_the_campaign_and_buyer_pages_render(
    browser: webdriver.Chrome, traffic: System, shots: Path
) -> None:
    _open(browser, traffic, "/console/campaigns/100")
    assert browser.find_element(By.CSS_SELECTOR, "h1 .status").text.lower() == "live"
    assert browser.find_element(By.CSS_SELECTOR, "pre.config").text.startswith("id: '100'")
    _local_only(browser, traffic)
    _save(browser, shots / "campaign.png")
    _open(browser, traffic, "/console/buyers/alpha")
    assert "Live health" in browser.find_element(By.TAG_NAME, "main").text
    _save(browser, shots / "buyer.png")
