"""A refresh recomputes changed buckets run by run: consecutive buckets together, never the
rows between two runs far apart."""

from hypothesis import given
from hypothesis import strategies as st

from pickpost.infra.sql.rollups import runs


def test_buckets_far_apart_are_separate_runs() -> None:
    assert runs([0, 900, 1800, 9000, 9900, 90000], 900) == [[0, 900, 1800], [9000, 9900], [90000]]
    assert runs([], 900) == []


@given(st.sets(st.integers(0, 3000)).map(sorted))
def test_runs_hold_every_bucket_once_consecutive_and_bounded(numbers: list[int]) -> None:
    starts = [n * 900 for n in numbers]
    found = runs(starts, 900)
    assert [b for run in found for b in run] == starts
    for run in found:
        assert 0 < len(run) <= 200
        assert list(run) == list(range(run[0], run[-1] + 900, 900))
