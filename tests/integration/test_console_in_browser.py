"""The console in a real browser (Debian's Chromium): signing in through the form lands on
the console with the user's name, and nothing the pages load comes from another host."""

from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from tests.support.browser import chromium, requested_urls
from tests.support.console import PASSWORD, add_user
from tests.support.system import System


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    with chromium() as driver:
        yield driver


def test_signing_in_through_the_form_shows_the_console(browser: webdriver.Chrome,
                                                        sut: System) -> None:  # fmt: skip
    name = add_user(sut, "owner")
    requested_urls(browser)
    browser.get(f"{sut.server.base_url}/console/people")
    # Sent to sign in, and back to the people page after it.
    browser.find_element(By.ID, "name").send_keys(name)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "h1"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "People"
    browser.find_element(By.LINK_TEXT, "Dashboard").click()
    WebDriverWait(browser, 20).until(
        lambda d: d.find_element(By.TAG_NAME, "h1").text == "Dashboard"
    )
    assert f"Welcome, {name}." in browser.find_element(By.TAG_NAME, "main").text
    nav = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "header nav a")]
    assert nav == ["Dashboard", "Reports", "Leads", "Campaigns", "Buyers", "Suppliers",
                   "Returns", "Audit", "People"]  # fmt: skip
    # The stylesheet applied: the header is dark.
    header = browser.find_element(By.CSS_SELECTOR, "header.top")
    assert header.value_of_css_property("background-color") == "rgba(27, 31, 36, 1)"
    urls = [u for u in requested_urls(browser) if not u.startswith(("data:", "blob:"))]
    assert any(u.startswith(f"{sut.server.base_url}/console/static/console.css") for u in urls)
    assert all(u.startswith(sut.server.base_url) for u in urls), urls
