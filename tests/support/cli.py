"""The ``pickpost`` command run as a user runs it: a subprocess in the project's directory."""

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def pickpost(
    *args: str, env: Mapping[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``pickpost ARGS`` and capture what it says; ``env``, when given, is the whole
    environment of the command; ``input`` is what it reads on standard input."""
    return subprocess.run(
        [sys.executable, "-m", "pickpost", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
        env=None if env is None else dict(env),
        input=input,
    )
