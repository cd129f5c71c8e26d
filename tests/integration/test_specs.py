"""The spec page of a running server: its examples, with the key put in, sell a lead."""

from typing import Any

from tests.support.system import KEY, System


def spec_of(sut: System, campaign: str) -> dict[str, Any]:
    response = sut.http.get("/specs/7", params={"key": KEY, "campaign": campaign, "format": "json"})
    assert response.status_code == 200, response.text
    (found,) = response.json()["campaigns"]
    assert isinstance(found, dict)
    return found


def test_the_examples_of_the_spec_work_as_written(sut: System) -> None:
    campaign = spec_of(sut, "1400")
    assert (
        "state must be one of TX, CA; leads without state are not accepted" in campaign["filters"]
    )
    assert "home_owner must not be any of no" in campaign["filters"]
    ping_step, post_step = campaign["steps"]
    assert ping_step["url"] == f"{sut.server.base_url}/ping"

    ping = sut.http.post("/ping", json=ping_step["example_request"] | {"lp_key": KEY})
    assert ping.json()["status"] == "ACCEPTED", ping.text
    bids = [bid["bid_id"] for bid in ping.json()["bids"]]
    post = post_step["example_request"] | {
        "lp_key": KEY,
        "lp_ping_id": ping.json()["ping_id"],
        "lp_consent_bids": bids,
    }
    sold = sut.http.post("/post", json=post)
    assert (sold.json()["status"], sold.json()["code"]) == ("ACCEPTED", 0), sold.text


def test_the_html_page_and_a_wrong_key(sut: System) -> None:
    page = sut.http.get("/specs/7", params={"key": KEY})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert KEY not in page.text
    refused = sut.http.get("/specs/7", params={"key": "not-the-key"})
    assert (refused.status_code, refused.json()["code"]) == (401, 1002)
