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
        (campaign_dict(colour="blue"), "campaign '101': unknown key 'colour'"),
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
    assert "campaign #2: missing required key 'id'" in message


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


@pytest.mark.parametrize("raw", [{}, {"campaigns": []}])
def test_documents_without_campaigns_parse(raw: object) -> None:
    """A document may list no campaigns (the stored workspace of a new database); a file
    may not (read_workspace below)."""
    assert parse_workspace(raw).campaigns == ()


def test_a_falsy_document_is_refused() -> None:
    """A YAML file holding ``[]`` or ``false`` is as wrong as one holding ``[1, 2]``."""
    documents: list[object] = [None, [], False, 0, ""]
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
        ("bad.yaml", "campaigns: [", r"bad.yaml:1:13: not valid YAML: expected the node content"),
        ("bad.json", "{", r"bad.json:1:2: not valid JSON: Expecting property name"),
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


# --- what a person editing the file reads ---------------------------------------------------

CAMPAIGN_YAML = """\
campaigns:
  - id: 101
    type: one_to_one
    suppliers:
      - {id: 7, key: sup3r-secret-key}
    buyers:
      - id: sunco
        tcpa_entity_name: SunCo Solar LLC
        ping_url: http://127.0.0.1:9001/ping
        post_url: http://127.0.0.1:9001/post
"""


@pytest.mark.parametrize(
    ("line", "replacement", "expected"),
    [
        (
            "        ping_url: http://127.0.0.1:9001/ping",
            "        pign_url: http://127.0.0.1:9001/ping",
            "ws.yaml:9:9: campaign '101' buyer 'sunco': "
            "unknown key 'pign_url' – did you mean 'ping_url'?",
        ),
        (
            "        post_url: http://127.0.0.1:9001/post",
            "        post_url: 127.0.0.1:9001/post",
            "ws.yaml:10:9: campaign '101' buyer 'sunco': post_url: "
            "must be an http:// or https:// URL",
        ),
        (
            "    type: one_to_one",
            "    type: one_to_one\n    one_to_one: {max_bidz: 3}",
            "ws.yaml:4:18: campaign '101': one_to_one: "
            "unknown key 'max_bidz' – did you mean 'max_bids'?",
        ),
        (
            "    type: one_to_one",
            "    type: one_to_one\n    colour: blue",
            "ws.yaml:4:5: campaign '101': unknown key 'colour'",
        ),
        (
            "    type: one_to_one",
            "    type: one_to_one\n    ping_tll_s: 60",
            "ws.yaml:4:5: campaign '101': unknown key 'ping_tll_s' – did you mean 'ping_ttl_s'?",
        ),
        (
            "    type: one_to_one",
            "    type: one_to_one\n    ping_timeout_ms: soon",
            "ws.yaml:4:5: campaign '101': ping_timeout_ms: must be a whole number",
        ),
        (
            "    type: one_to_one",
            "    type: one_to_one\n    ping_timeout_ms: 10",
            "ws.yaml:4:5: campaign '101': ping_timeout_ms: must be greater than or equal to 50",
        ),
        (
            "        tcpa_entity_name: SunCo Solar LLC",
            "",
            "ws.yaml:7:9: campaign '101' buyer 'sunco': missing required key 'tcpa_entity_name'",
        ),
        (
            "      - {id: 7, key: sup3r-secret-key}",
            "      - {id: 7, key: sup3r-secret-key, key_sha256: nope}",
            "ws.yaml:5:40: campaign '101' supplier '7': key_sha256: "
            "must be 64 lowercase hex digits (a SHA-256)",
        ),
        (
            "      - id: sunco",
            "      - id: sun co",
            "ws.yaml:7:9: campaign '101' buyer 'sun co': id: "
            "may hold only letters, digits, '_', '.' and '-'",
        ),
        (
            "  - id: 101",
            "  - id: 101\n    timezone: Mars/Olympus",
            "ws.yaml:3:5: campaign '101': timezone: unknown time zone 'Mars/Olympus'",
        ),
        (
            "campaigns:",
            "campaign:",
            "ws.yaml:1:1: (top level): unknown key 'campaign' – did you mean 'campaigns'?",
        ),
    ],
)
def test_broken_workspaces_say_where_and_what(
    tmp_path: Path, line: str, replacement: str, expected: str
) -> None:
    assert line in CAMPAIGN_YAML
    path = tmp_path / "ws.yaml"
    path.write_text(CAMPAIGN_YAML.replace(line + "\n", replacement + "\n" if replacement else ""))
    with pytest.raises(WorkspaceError) as caught:
        read_workspace(path)
    lines = str(caught.value).replace(str(tmp_path) + "/", "").splitlines()
    assert lines == ["ws.yaml is not a valid workspace:", f"  {expected}"]
    assert "sup3r-secret-key" not in str(caught.value)


def test_problems_are_listed_in_the_order_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ws.yaml"
    path.write_text(
        CAMPAIGN_YAML.replace(
            "    type: one_to_one", "    type: auction\n    colour: blue"
        ).replace("ping_url: http://", "ping_url: ftp://")
    )
    with pytest.raises(WorkspaceError) as caught:
        read_workspace(path)
    places = [line.split(": ")[0].rsplit("/", 1)[-1] for line in str(caught.value).splitlines()]
    assert places[1:] == ["ws.yaml:3:5", "ws.yaml:4:5", "ws.yaml:10:9"]


def test_a_json_file_gets_lines_and_columns_too(tmp_path: Path) -> None:
    path = tmp_path / "ws.json"
    path.write_text(
        '{\n  "campaigns": [\n    {"id": 101,\n     "type": "one_to_one", "colour": "blue"}\n  ]\n}'
    )
    with pytest.raises(WorkspaceError) as caught:
        read_workspace(path)
    assert f"{path}:4:28: campaign '101': unknown key 'colour'" in str(caught.value)


def test_unquoted_numeric_ids_are_taken_as_text(tmp_path: Path) -> None:
    path = tmp_path / "ws.yaml"
    path.write_text(CAMPAIGN_YAML.replace("id: sunco", "id: 42"))
    workspace = read_workspace(path)
    campaign = workspace.campaigns[0]
    assert (campaign.id, campaign.suppliers[0].id, campaign.buyers[0].id) == ("101", "7", "42")


@pytest.mark.parametrize("flag", ["true", "1.5"])
def test_an_id_that_is_not_a_whole_number_or_text_is_refused(tmp_path: Path, flag: str) -> None:
    path = tmp_path / "ws.yaml"
    path.write_text(CAMPAIGN_YAML.replace("id: sunco", f"id: {flag}"))
    with pytest.raises(WorkspaceError, match="id: must be text"):
        read_workspace(path)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "is empty: a workspace lists its campaigns under 'campaigns:'"),
        ("# nothing yet\n", "is empty"),
        ("campaigns: []\n", "lists no campaigns: there is nothing to load"),
        ("{}\n", "lists no campaigns"),
    ],
)
def test_a_file_without_campaigns_is_refused(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "ws.yaml"
    path.write_text(text)
    with pytest.raises(WorkspaceError, match=words) as caught:
        read_workspace(path)
    assert str(caught.value).startswith(str(path))


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ws.yaml"
    path.write_bytes(b"campaigns:\n  - id: \xff\xfe\n")
    with pytest.raises(WorkspaceError, match="it is not UTF-8 text"):
        read_workspace(path)
