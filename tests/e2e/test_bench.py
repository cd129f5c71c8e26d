"""``pickpost bench`` as CI runs it: a quick run whose JSON has every number, sanely shaped.

No timing is asserted: the bench measures, it does not judge the machine it runs on.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pickpost.bench import EXTRA

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
        assert step["fleet_cpu_percent"] > 0  # the fleet's process was found and read
        assert step["peak_rss_mb"] > 0
        assert step["buyers"] == 10
    pickpost = [s for s in rates["steps"] if s["target"] == "pickpost"]
    assert all(s["post"]["count"] > 0 for s in pickpost)
    assert all(s["post"] is None for s in rates["steps"] if s["target"] == "baseline")
    assert all(s["post_every"] == 10 for s in pickpost)
    names = [target["name"] for target in doc["targets"]]
    assert "max sustained rate vs baseline" in names
    assert "CPU per ping vs baseline, 10 buyers, 50/s" in names
    assert doc["capacity"]["core_share"] == 0.7
    # Without the backends scenario no POST cost is measured, so Pickpost's steps (a POST every
    # 10th ping) cannot be split; the baseline's can, when it held its rate.
    assert doc["capacity"]["posts"] == []
    assert {cost["setup"] for cost in doc["capacity"]["pings"]} <= {"baseline"}


def without(modules: frozenset[str] | set[str], code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where importing any of ``modules`` fails, as it does
    where they are not installed."""
    hide = "".join(f"sys.modules[{name!r}] = None\n" for name in sorted(modules))
    return subprocess.run(
        [sys.executable, "-c", f"import sys\n{hide}{code}"],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("module", sorted(EXTRA))
def test_the_bench_without_its_extra_says_in_one_line_how_to_install_it(module: str) -> None:
    run_cli = (
        "from pickpost.cli import app\n"
        "sys.argv = ['pickpost', 'bench', '--quick', '--scenarios', 'rates']\n"
        "app()\n"
    )
    result = without({module}, run_cli)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"pickpost bench needs {module}: pip install 'pickpost[bench]'"
    ]


def test_nothing_but_the_bench_needs_its_extra() -> None:
    """Every module of the runtime imports without the extra (the migration scripts run only
    under Alembic, ``__main__`` only as the command)."""
    import_all = (
        "import importlib, pkgutil, pickpost\n"
        "names = [m.name for m in pkgutil.walk_packages(pickpost.__path__, 'pickpost.')\n"
        "         if not m.name.startswith(('pickpost.bench', 'pickpost.migrations'))\n"
        "         and m.name != 'pickpost.__main__']\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "print(len(names))\n"
    )
    result = without(EXTRA, import_all)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 50  # the walk found the runtime
