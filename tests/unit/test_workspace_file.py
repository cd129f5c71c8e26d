"""Workspace documents: error messages name the campaign, buyer/supplier/field and the key."""

from pathlib import Path
from typing import Any

import pytest

from pickpost.infra.workspace_file import WorkspaceError, parse_workspace, read_workspace
from tests.unit.factories import campaign_dict


def doc(*campaigns: dict[str, Any]) -> dict[str, Any]:
    return {"campaigns": list(campaigns)}


def with_buyer(**overrides: Any) -> dict[str, Any]:
    """Campaign 101 with a valid buyer 'brightside' then buyer 'sunco' with ``overrides``."""
    base = {
        "tcpa_entity_name": "SunCo Solar LLC",
        "ping_url": "http://127.0.0.1:9001/ping",
        "post_url": "http://127.0.0.1:9001/post",
    }
    other = {**base, "id": "brightside", "timeout_ms": 500}
    return campaign_dict(buyers=[other, {**base, "id": "sunco", **overrides}])


def error_of(raw: object, source: str = "workspace") -> str:
    with pytest.raises(WorkspaceError) as caught:
        parse_workspace(raw, source)
    return str(caught.value)


def test_bad_buyer_value_names_campaign_buyer_and_key() -> None:
    message = error_of(doc(with_buyer(timeout_ms="soon")), "ws.yaml")
    assert "campaign '101'" in message
    assert "buyer 'sunco'" in message
    assert "timeout_ms" in message
    assert "brightside" not in message
    assert message.startswith("ws.yaml is not a valid workspace:")
    assert "campaign '101' buyer 'sunco': timeout_ms:" in message


def test_every_problem_is_listed() -> None:
    first = with_buyer(timeout_ms="soon", post_url="nope")
    second = campaign_dict(id="102", ping_ttl_s=0)
    message = error_of(doc(first, second))
    assert "campaign '101' buyer 'sunco': timeout_ms" in message
    assert "campaign '101' buyer 'sunco': post_url" in message
    assert "campaign '102': ping_ttl_s" in message
    assert len(message.splitlines()) == 4


@pytest.mark.parametrize(
    ("campaign", "expected"),
    [
        (
            campaign_dict(suppliers=[{"id": "7", "key": "short"}]),
            "campaign '101' supplier '7': key",
        ),
        (
            campaign_dict(fields=[{"name": "age", "type": "number", "ping": "always"}]),
            "campaign '101' field 'age': ping",
        ),
        (campaign_dict(margin={"percent": 10, "amount": 1}), "campaign '101': margin"),
        (campaign_dict(one_to_one={"max_bids": 0}), "campaign '101': one_to_one.max_bids"),
        (campaign_dict(type="auction"), "campaign '101': type"),
        (campaign_dict(colour="blue"), "campaign '101': colour"),
        (with_buyer(ping_url=None), "campaign '101' buyer 'sunco':"),
        (campaign_dict(id="1 0 1"), "campaign '1 0 1': id"),
    ],
)
def test_location_of_the_problem(campaign: dict[str, Any], expected: str) -> None:
    assert expected in error_of(doc(campaign))


def test_items_without_an_id_are_numbered() -> None:
    campaign = campaign_dict()
    del campaign["id"]
    campaign.pop("name")
    message = error_of(doc(campaign_dict(id="100"), campaign))
    assert "campaign #2: id" in message


def test_campaign_level_rule_names_the_campaign() -> None:
    buyers = [with_buyer()["buyers"][1], with_buyer()["buyers"][1]]
    message = error_of(doc(campaign_dict(buyers=buyers)))
    assert "campaign '101'" in message
    assert "duplicate buyer id(s): sunco" in message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ([1, 2], "(top level)"),
        ("campaigns", "(top level)"),
        ({"campaigns": {"id": "101"}}, "campaigns"),
        ({"campaign": []}, "campaign"),
    ],
)
def test_malformed_documents(raw: object, expected: str) -> None:
    assert expected in error_of(raw)


@pytest.mark.parametrize("raw", [None, {}, {"campaigns": []}])
def test_empty_documents_are_empty_workspaces(raw: object) -> None:
    assert parse_workspace(raw).campaigns == ()


def test_a_falsy_document_other_than_an_empty_file_is_refused() -> None:
    """Only an empty file (None) means "no campaigns": a YAML file holding ``[]`` or ``false``
    is as wrong as one holding ``[1, 2]``, not an empty workspace."""
    documents: list[object] = [[], False, 0, ""]
    for raw in documents:
        assert "(top level)" in error_of(raw), raw


def test_workspace_error_is_a_value_error() -> None:
    assert issubclass(WorkspaceError, ValueError)


def test_read_workspace_yaml_and_json(tmp_path: Path) -> None:
    yaml_file = tmp_path / "ws.yaml"
    yaml_file.write_text(
        'campaigns:\n  - {id: "101", type: one_to_one, margin: {percent: 10}}\n',
        encoding="utf-8",
    )
    json_file = tmp_path / "ws.json"
    json_file.write_text('{"campaigns": [{"id": "101", "type": "one_to_one"}]}', "utf-8")
    assert read_workspace(yaml_file).campaigns[0].id == "101"
    assert read_workspace(json_file).campaigns[0].margin is None


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("bad.yaml", "campaigns: [", "is not valid yaml"),
        ("bad.json", "{", "is not valid json"),
        ("ws.yaml", "campaigns:\n  - {id: '101', type: auction}\n", "campaign '101': type"),
    ],
)
def test_read_workspace_errors(tmp_path: Path, name: str, text: str, words: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(WorkspaceError, match=words) as caught:
        read_workspace(path)
    assert str(path) in str(caught.value)


def test_read_missing_file(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="cannot read"):
        read_workspace(tmp_path / "absent.yaml")
