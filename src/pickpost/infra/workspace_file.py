"""Workspace documents on disk (YAML or JSON), with errors that name what is wrong."""

import json
from pathlib import Path

import yaml
from pydantic import ValidationError

from pickpost.domain.workspace import Workspace


class WorkspaceError(ValueError):
    """A workspace document that cannot be applied; the message lists every problem."""


def read_workspace(path: Path) -> Workspace:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise WorkspaceError(f"cannot read {path}: {error.strerror}") from None
    try:
        raw = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise WorkspaceError(
            f"{path} is not valid {path.suffix.lstrip('.') or 'YAML'}: {error}"
        ) from None
    return parse_workspace(raw, str(path))


def parse_workspace(raw: object, source: str = "workspace") -> Workspace:
    try:
        # Only an empty file means "no campaigns"; `[]` or `false` is a mistake.
        return Workspace.model_validate({} if raw is None else raw)
    except ValidationError as error:
        problems = [f"  {_where(raw, e['loc'])}: {e['msg']}" for e in error.errors()]
        raise WorkspaceError(
            f"{source} is not a valid workspace:\n" + "\n".join(problems)
        ) from None


_KINDS = {"campaigns": "campaign", "buyers": "buyer", "suppliers": "supplier", "fields": "field"}


def _where(raw: object, loc: tuple[int | str, ...]) -> str:
    """``campaigns.0.buyers.1.timeout_ms`` → ``campaign '101' buyer 'sunco': timeout_ms``."""
    names: list[str] = []
    keys: list[str] = []
    node = raw
    for index, part in enumerate(loc):
        previous = loc[index - 1] if index else None
        if isinstance(part, int) and isinstance(previous, str) and previous in _KINDS:
            item = node[part] if isinstance(node, list) and part < len(node) else None
            label = item.get("id", item.get("name")) if isinstance(item, dict) else None
            keys.pop()
            names.append(
                f"{_KINDS[previous]} {label!r}"
                if label is not None
                else f"{_KINDS[previous]} #{part + 1}"
            )
        else:
            keys.append(str(part))
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
    where = " ".join(names)
    key = ".".join(keys)
    return f"{where}: {key}" if where and key else where or key or "(top level)"
