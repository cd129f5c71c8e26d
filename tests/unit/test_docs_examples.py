"""The workspace examples in the docs are loaded as the code loads them, so they cannot drift."""

import re
from pathlib import Path

import pytest
import yaml

from pickpost.demo import FILES as DEMO
from pickpost.domain.workspace import CampaignType
from pickpost.infra.workspace_file import parse_workspace

ROOT = Path(__file__).resolve().parents[2]
CONFIGURATION = ROOT / "docs" / "configuration.md"
FULL_EXAMPLE = DEMO / "examples" / "full-workspace.yaml"
_YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.DOTALL | re.MULTILINE)


def workspace_blocks() -> list[str]:
    """Every ```yaml block of the configuration reference that is a whole workspace."""
    blocks = _YAML_BLOCK.findall(CONFIGURATION.read_text(encoding="utf-8"))
    return [block for block in blocks if block.startswith("campaigns:")]


def test_the_reference_has_workspace_examples() -> None:
    assert len(workspace_blocks()) >= 2


@pytest.mark.parametrize("block", workspace_blocks())
def test_each_workspace_example_in_the_reference_loads(block: str) -> None:
    workspace = parse_workspace(yaml.safe_load(block), str(CONFIGURATION))
    assert workspace.campaigns


def test_the_full_example_has_one_campaign_of_each_type() -> None:
    raw = yaml.safe_load(FULL_EXAMPLE.read_text(encoding="utf-8"))
    workspace = parse_workspace(raw, str(FULL_EXAMPLE))
    assert {c.type for c in workspace.campaigns} == set(CampaignType)


def test_the_reference_shows_the_full_example_as_it_is() -> None:
    example = yaml.safe_load(FULL_EXAMPLE.read_text(encoding="utf-8"))
    assert any(yaml.safe_load(block) == example for block in workspace_blocks())
