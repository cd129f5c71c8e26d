"""Suite-wide settings."""

import os

from hypothesis import settings

# In CI the examples are derived from each test, so a run is repeatable and a landing never
# hangs on a new random draw; locally every run explores new examples.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
