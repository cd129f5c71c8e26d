"""`pickpost consent verify|seal-days|roots` as a user runs them: an empty ledger verifies, and
what the user gives wrong is said in one line with exit code 2 (the tamper reports are in
tests/integration/test_consent_ledger.py)."""

from pathlib import Path

from tests.support.cli import pickpost


def test_an_empty_ledger_verifies_seals_nothing_and_has_no_roots(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'p.db'}"
    verified = pickpost("consent", "verify", "--database", database)
    assert verified.returncode == 0, verified.stderr
    assert "leads: 0, entries: 0, sealed days: 0" in verified.stdout
    assert "the consent ledger verifies" in verified.stdout
    sealed = pickpost("consent", "seal-days", "--database", database)
    assert (sealed.returncode, sealed.stdout.strip()) == (0, "days sealed: 0")
    roots = pickpost("consent", "roots", "--database", database, "--since", "2026-01-01")
    assert (roots.returncode, roots.stdout) == (0, "")


def test_wrong_input_is_one_line_with_exit_code_2(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'p.db'}"
    garbled = tmp_path / "garbled.jsonl"
    garbled.write_text('{"day": "2026-11-27"}\n')
    cases = [
        (("verify", "--since", "2026-13-01"), "--since: '2026-13-01' is not a day (YYYY-MM-DD)"),
        (("verify", "--lead", "l_1", "--since", "2026-01-01"), "give --lead or --since, not both"),
        (("verify", "--lead", "l_nobody"), "no lead l_nobody in the consent ledger"),
        (("roots", "--out", str(tmp_path / "no" / "dir.jsonl")), "cannot write"),
        (("verify", "--against", str(tmp_path / "missing.jsonl")), "cannot read"),
        (("verify", "--against", str(garbled)), "is not an export of `pickpost consent roots`"),
    ]
    for args, said in cases:
        result = pickpost("consent", *args, "--database", database)
        assert result.returncode == 2, (args, result.stderr)
        assert said in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
