"""The consumer's receipt in a real browser (Debian's Chromium), phone-sized: it lists the buyers
that bought the lead, loads nothing from anywhere, and withdrawing (with its confirm step)
reaches both buyers' revocation endpoints."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from tests.support.browser import chromium, requested_urls
from tests.support.fleet import ThreadedFleet
from tests.support.revoke_stub import RevokeStub, revoking_system
from tests.support.system import bid_of
from tests.support.waiting import eventually

LOADED_S = 20


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    with chromium() as driver:
        driver.set_window_size(390, 844)  # a phone
        yield driver


def _click_and_wait(browser: webdriver.Chrome, css: str, heading: str) -> None:
    old = browser.find_element(By.TAG_NAME, "h1")
    browser.find_element(By.CSS_SELECTOR, css).click()
    WebDriverWait(browser, LOADED_S).until(
        lambda d: (
            old not in d.find_elements(By.TAG_NAME, "h1")
            and heading in d.find_element(By.TAG_NAME, "h1").text
        )
    )


def test_the_receipt_lists_the_buyers_and_withdraws_from_both(
    browser: webdriver.Chrome, fleet: ThreadedFleet, tmp_path: Path
) -> None:
    with (
        RevokeStub() as alpha,
        RevokeStub() as beta,
        revoking_system("sqlite", fleet, tmp_path, {"alpha": alpha, "beta": beta}, "0.2") as (
            sut,
            _,
        ),
    ):
        ping = sut.ping("100")
        picks = [bid_of(ping, "beta"), bid_of(ping, "alpha")]
        answer = sut.post(ping, picks, "100", phone="(512) 555-0111").json()
        assert answer["code"] == 0, answer

        requested_urls(browser)
        browser.get(answer["receipt_url"])
        companies = [
            e.text for e in browser.find_elements(By.CSS_SELECTOR, "ul.recipients .entity")
        ]
        assert companies == ["Beta Solar Inc.", "Alpha Energy LLC"]
        fits = "return document.documentElement.scrollWidth <= window.innerWidth"
        assert browser.execute_script(fits)  # no sideways scrolling on a phone

        _click_and_wait(browser, "a.button", "Withdraw your consent?")
        _click_and_wait(browser, "button[name=confirm]", "Your consent receipt")
        notice = browser.find_element(By.CSS_SELECTOR, "[role=status]").text
        assert "withdrawn" in notice
        assert all(u.startswith(sut.server.base_url) for u in requested_urls(browser))

        assert eventually(lambda: len(alpha.revoked) == 1 and len(beta.revoked) == 1)
        lead_id = answer["lead_id"]
        assert [b["lead_id"] for b in (*alpha.revoked.values(), *beta.revoked.values())] == [
            lead_id,
            lead_id,
        ]

        def delivered_shown() -> bool:
            browser.refresh()
            return browser.page_source.count("withdrawal delivered") == 2

        assert eventually(delivered_shown)
