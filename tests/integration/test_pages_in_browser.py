"""The server's own pages in a real browser (Debian's Chromium): each renders, and nothing it
loads comes from another host."""

from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from tests.support.browser import chromium, requested_urls
from tests.support.system import KEY, System

RENDERED_S = 20  # generous: a busy machine may take seconds to run the docs pages' scripts


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    with chromium() as driver:
        yield driver


def _open(browser: webdriver.Chrome, sut: System, path: str) -> None:
    requested_urls(browser)  # forget earlier pages' requests
    browser.get(f"{sut.server.base_url}{path}")


def _shown(browser: webdriver.Chrome, css: str) -> int:
    found = WebDriverWait(browser, RENDERED_S).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, css)
    )
    return len(found)


def _local_only(browser: webdriver.Chrome, sut: System) -> None:
    urls = [u for u in requested_urls(browser) if not u.startswith(("data:", "blob:"))]
    assert urls
    assert all(u.startswith(sut.server.base_url) for u in urls), urls


def test_swagger_ui_renders_every_operation_from_local_assets(browser: webdriver.Chrome,
                                                              sut: System) -> None:  # fmt: skip
    _open(browser, sut, "/docs")
    assert _shown(browser, ".opblock") >= 10  # the supplier and admin operations
    _local_only(browser, sut)


def test_redoc_renders_the_api_from_local_assets(browser: webdriver.Chrome, sut: System) -> None:
    _open(browser, sut, "/redoc")
    _shown(browser, "[role=menuitem]")
    assert "Direct Post" in browser.find_element(By.TAG_NAME, "body").text
    _local_only(browser, sut)


def test_the_index_links_the_servers_pages(browser: webdriver.Chrome, sut: System) -> None:
    _open(browser, sut, "/")
    links = {a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "a")}
    assert f"{sut.server.base_url}/docs" in links
    _local_only(browser, sut)


def test_the_spec_page_renders_for_the_suppliers_own_key(browser: webdriver.Chrome,
                                                          sut: System) -> None:  # fmt: skip
    _open(browser, sut, f"/specs/7?key={KEY}")
    assert "Integration spec" in browser.find_element(By.TAG_NAME, "h1").text
    _local_only(browser, sut)
