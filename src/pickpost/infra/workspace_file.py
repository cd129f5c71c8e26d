"""Workspace documents on disk (YAML or JSON), with errors that say where and what: the file,
line and column, the campaign, buyer or supplier, the key, and what to change."""

import json
from pathlib import Path

import yaml
from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pickpost.domain.workspace import Workspace
from pickpost.infra.workspace_messages import Loc, plain


class WorkspaceError(ValueError):
    """A workspace document that cannot be applied; the message lists every problem."""


def read_workspace(path: Path) -> Workspace:
    """The workspace in ``path``; an empty file, or one without campaigns, is a mistake
    (loading it would change nothing and say so with exit code 0)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise WorkspaceError(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise WorkspaceError(f"cannot read {path}: it is not UTF-8 text") from None
    try:
        raw = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as error:
        where = f"{path}:{error.lineno}:{error.colno}"
        raise WorkspaceError(f"{where}: not valid JSON: {error.msg}") from None
    except yaml.YAMLError as error:
        where = _yaml_place(path, error)
        raise WorkspaceError(f"{where}: not valid YAML: {_yaml_problem(error)}") from None
    if raw is None:
        raise WorkspaceError(
            f"{path} is empty: a workspace lists its campaigns under 'campaigns:' "
            "(docs/configuration.md)"
        )
    workspace = parse_workspace(raw, str(path), _tree(text))
    if not workspace.campaigns:
        raise WorkspaceError(f"{path} lists no campaigns: there is nothing to load")
    return workspace


def parse_workspace(raw: object, source: str = "workspace", tree: Node | None = None) -> Workspace:
    """``raw`` as a workspace; with ``tree`` (the document's YAML nodes), each problem starts
    with ``source:line:column``."""
    try:
        return Workspace.model_validate(raw)
    except ValidationError as error:
        problems = []
        for detail in error.errors():
            loc, message = plain(detail)
            line, column = _position(tree, tuple(detail["loc"]))
            place = f"{source}:{line}:{column}: " if tree is not None else ""
            problems.append((line, column, f"  {place}{_where(raw, loc)}: {message}"))
        # In the order of the file, as an editor walks it.
        lines = [text for _, _, text in sorted(problems, key=lambda p: p[:2])]
        raise WorkspaceError(f"{source} is not a valid workspace:\n" + "\n".join(lines)) from None


def _yaml_place(path: Path, error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    return f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)


def _yaml_problem(error: yaml.YAMLError) -> str:
    problem = getattr(error, "problem", None)
    return str(problem) if problem else str(error).splitlines()[0]


def _tree(text: str) -> Node | None:
    """The document's nodes, which know their lines: YAML's, and JSON's too, since a JSON
    document is (nearly always) YAML. None when they cannot be had: then no line numbers."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None


def _position(tree: Node | None, loc: Loc) -> tuple[int, int]:
    """Line and column (from 1) of the deepest node of ``loc`` the document has: the key,
    where the problem is a key's. (0, 0) without a tree."""
    if tree is None:
        return 0, 0
    node, mark = tree, tree.start_mark
    for part in loc:
        if isinstance(node, MappingNode):
            pair = next(
                ((k, v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == part),
                None,
            )
            if pair is None:
                break
            mark, node = pair[0].start_mark, pair[1]
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            mark = node.start_mark
        else:
            break
    return mark.line + 1, mark.column + 1


_KINDS = {"campaigns": "campaign", "buyers": "buyer", "suppliers": "supplier", "fields": "field"}


def _where(raw: object, loc: Loc) -> str:
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
                f"{_KINDS[previous]} {str(label)!r}"
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
