"""The examples of docs/data-api.md are answers of a running server: each ```json block after a
``<!-- captured: METHOD PATH -->`` line is compared, key by key, with what a live server answers
to that request after real traffic. ``PICKPOST_CAPTURE_EXAMPLES=1`` rewrites the blocks with the
live answers (long lists and texts shortened), which is how the docs' examples were made."""

import json
import os
import re
from pathlib import Path
from typing import Any

from tests.support.server import ADMIN_TOKEN
from tests.support.system import System, bid_of

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-api.md"
_BLOCK = re.compile(r"<!-- captured: (?P<call>[^>]+?) -->\n```json\n(?P<body>.*?)```", re.DOTALL)
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _traffic(sut: System) -> dict[str, str]:
    ping = sut.ping("1903", home_owner="yes")
    post = sut.post(ping, [bid_of(ping, "alpha")], "1903", email="dana@example.com")
    assert post.json()["code"] == 0, post.text
    sold = sut.direct_post("1901").json()
    assert sold["code"] == 0, sold
    return {"lead": post.json()["lead_id"], "ping": ping.json()["ping_id"], "sold": sold["lead_id"]}


def _call(sut: System, call: str, ids: dict[str, str]) -> Any:
    method, _, rest = call.partition(" ")
    path, _, body = rest.partition(" ")
    for name, value in ids.items():
        path, body = path.replace(f"{{{name}}}", value), body.replace(f"{{{name}}}", value)
    headers = {} if body == "no token" else ADMIN
    if method == "GET":
        answer = sut.http.get(path, headers=headers)
    else:
        answer = sut.http.post(path, json=json.loads(body), headers=headers)
    return answer.json()


def _shortened(value: Any) -> Any:
    if isinstance(value, list):
        return [_shortened(v) for v in value[:2]]
    if isinstance(value, dict):
        return {k: _shortened(v) for k, v in value.items()}
    if isinstance(value, str) and len(value) > 160:
        return value[:160] + "…"
    return value


def _shape(value: Any) -> Any:
    """The keys of every object, recursively (a list by its first item)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return None


def _same_shape(doc: Any, live: Any) -> bool:
    if isinstance(doc, dict) and isinstance(live, dict):
        return doc.keys() == live.keys() and all(_same_shape(doc[k], live[k]) for k in doc)
    if isinstance(doc, list) and isinstance(live, list):
        return not doc or not live or _same_shape(doc[0], live[0])
    return not isinstance(doc, dict | list) or live is None


def test_every_example_of_the_data_api_doc_is_what_the_server_answers(sut: System) -> None:
    ids = _traffic(sut)
    text = DOC.read_text(encoding="utf-8")
    blocks = list(_BLOCK.finditer(text))
    assert len(blocks) >= 12
    capture = os.environ.get("PICKPOST_CAPTURE_EXAMPLES") == "1"
    answers = [_shortened(_call(sut, block["call"], ids)) for block in blocks]  # in order
    if capture:
        for block, live in reversed(list(zip(blocks, answers, strict=True))):
            shown = json.dumps(live, indent=2, ensure_ascii=False) + "\n"
            text = text[: block.start("body")] + shown + text[block.end("body") :]
        DOC.write_text(text, encoding="utf-8")
        return
    for block, live in zip(blocks, answers, strict=True):
        documented = json.loads(block["body"])
        assert _same_shape(documented, live), (block["call"], _shape(live))
