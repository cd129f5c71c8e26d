"""`GET /metrics` of a running server, read as samples."""

from prometheus_client.parser import text_string_to_metric_families

from tests.support.system import System

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(sut: System) -> Samples:
    response = sut.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def key(name: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return name, frozenset(labels.items())
