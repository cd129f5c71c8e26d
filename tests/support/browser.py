"""Debian's Chromium, headless, driven through Debian's chromedriver (no browser download):
for page tests. Every host but this machine is unresolvable, so a page that needs anything
from outside shows it; the requests the page made are read from the browser's network log."""

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def _installed() -> bool:
    return shutil.which(CHROMIUM) is not None and shutil.which(CHROMEDRIVER) is not None


@contextmanager
def chromium() -> Iterator[webdriver.Chrome]:
    """A headless browser; CI must have it (``.ci/run`` installs it), elsewhere its tests
    skip."""
    if not _installed():
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver must be installed in CI")
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    options = Options()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--window-size=1280,1000",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def requested_urls(driver: webdriver.Chrome) -> list[str]:
    """Every URL the browser sent a request for since the last call: requests it blocked
    before sending (a Content-Security-Policy refusing them) left nothing, and are left out."""
    sent: dict[str, str] = {}
    log: list[dict[str, str]] = driver.get_log("performance")  # type: ignore[no-untyped-call]
    for entry in log:
        message = json.loads(entry["message"])["message"]
        params = message["params"]
        if message["method"] == "Network.requestWillBeSent":
            sent[params["requestId"]] = str(params["request"]["url"])
        elif message["method"] == "Network.loadingFailed" and params.get("blockedReason"):
            sent.pop(params["requestId"], None)
    return list(sent.values())
