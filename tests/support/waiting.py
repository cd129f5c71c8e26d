"""Waiting for what nodes do on their own schedule (catalog refreshes), without sleeping blind."""

import time
from collections.abc import Callable


def eventually(check: Callable[[], bool], within_s: float = 15.0) -> bool:
    """Whether ``check()`` comes true within ``within_s``."""
    until = time.monotonic() + within_s
    while time.monotonic() < until:
        if check():
            return True
        time.sleep(0.1)
    return False
