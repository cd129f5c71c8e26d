"""``pickpost bench`` as CI runs it: a quick run whose JSON has every number, sanely shaped.

No timing is asserted: the bench measures, it does not judge the machine it runs on.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUMMARY_KEYS = {"count", "p50", "p90", "p99", "max"}


def test_a_quick_rates_run_writes_every_number(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, "-m", "pickpost", "bench", "--quick", "--scenarios", "rates",
         "--json", str(out)],
        capture_output=True, text=True, timeout=300, cwd=ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    doc = json.loads(out.read_text())
    assert doc["machine"]["cpu_count"] >= 1
    assert {"platform", "python", "date"} <= doc["machine"].keys()
    assert len(doc["load_average"]["before"]) == 3
    rates = doc["scenarios"]["rates"]
    setups = {step["setup"] for step in rates["steps"]}
    assert setups == {"pickpost sqlite", "baseline"}
    assert set(rates["max_sustained"]) == setups
    for step in rates["steps"]:
        assert step["sent"] == round(step["rate"] * doc["options"]["duration_s"])
        assert 0 <= step["errors"] <= step["sent"]
        assert step["errors"] < step["sent"], step
        assert step["no_bids"] == 0, step  # every simulated buyer bids
        assert step["achieved_rate"] > 0
        assert set(step["latency_ms"]) == SUMMARY_KEYS
        overhead = step["overhead_ms"]
        assert overhead["p50"] <= overhead["p90"] <= overhead["p99"] <= overhead["max"]
        # Latency runs past the slowest buyer's 80 ms, so overhead is latency − 80.
        assert overhead["max"] == step["latency_ms"]["max"] - 80
        assert step["overshoot_ms"] is None
        assert step["cpu_percent"] > 0
        assert step["peak_rss_mb"] > 0
    pickpost = [s for s in rates["steps"] if s["target"] == "pickpost"]
    assert all(s["post"]["count"] > 0 for s in pickpost)
    assert all(s["post"] is None for s in rates["steps"] if s["target"] == "baseline")
    names = [target["name"] for target in doc["targets"]]
    assert "max sustained rate vs baseline" in names
