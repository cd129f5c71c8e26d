"""The third-party verifier printed in docs/consent.md, run as a reader would copy it."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

CONSENT_DOC = Path(__file__).resolve().parents[2] / "docs" / "consent.md"
_PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def documented_verifier() -> Callable[[dict[str, Any]], list[str]]:
    """``verify_bundle`` from the page's Python block that defines it."""
    [source] = [
        block
        for block in _PYTHON_BLOCK.findall(CONSENT_DOC.read_text(encoding="utf-8"))
        if "def verify_bundle(" in block
    ]
    namespace: dict[str, Any] = {}
    exec(compile(source, str(CONSENT_DOC), "exec"), namespace)  # our own docs, not input
    verify: Callable[[dict[str, Any]], list[str]] = namespace["verify_bundle"]
    return verify
