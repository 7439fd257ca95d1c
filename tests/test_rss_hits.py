"""Exact hits by modular meet-in-the-middle: against enumeration, and in the portfolio."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import solvers.rss_hits as hits
from solvers.rss import solve_rss
from solvers.rss_bounds import lattice_lower_bound
from solvers.rss_hits import exact_hit, expected_hits_log2


def sums(values):
    out = {0}
    for v in values:
        out |= {s + v for s in out}
    return out


small = st.lists(st.integers(-60, 60), min_size=0, max_size=11)
wide = st.lists(st.one_of(st.integers(-2**90, 2**90), st.integers(0, 9).map(lambda x: 2**70 + x)),
                min_size=0, max_size=9)


@settings(max_examples=150, deadline=None)
@given(st.one_of(small, wide), st.data())
def test_a_hit_is_exact_and_exhaustion_proves_none(vals, data):
    targets = data.draw(st.lists(st.one_of(st.integers(-100, 100), st.sampled_from(
        sorted(sums(vals)))), min_size=1, max_size=2))
    found = exact_hit(vals, targets, None, seed=data.draw(st.integers(0, 3)))
    reachable = sums(vals) & set(targets)
    if found.subset is None:
        assert found.exhausted and not reachable
    else:
        assert sum(vals[i] for i in found.subset) == found.target and found.target in reachable


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-40, 40), min_size=0, max_size=14), st.integers(-30, 30))
def test_differenced_and_binary_searched_residues_stay_exact(monkeypatch_vals, target):
    # tiny quarters force Karmarkar-Karp differencing; a tiny table forces searchsorted
    saved = hits.QUARTER_MAX, hits.LIST_BITS, hits.TABLE_BITS
    hits.QUARTER_MAX, hits.LIST_BITS, hits.TABLE_BITS = 2, 1, 1
    try:
        found = exact_hit(monkeypatch_vals, [target], None)
    finally:
        hits.QUARTER_MAX, hits.LIST_BITS, hits.TABLE_BITS = saved
    if found.subset is not None:
        assert sum(monkeypatch_vals[i] for i in found.subset) == target
    elif found.exhausted:  # only claimed when nothing was differenced away
        assert target not in sums(monkeypatch_vals)


def test_expected_hits_follow_the_lattice():
    assert expected_hits_log2([2, 4, 6], 5) == -float("inf")  # odd target, even values
    assert expected_hits_log2([], 0) == 0.0
    big = [int(x) for x in np.random.default_rng(0).integers(1, 2**40, 60)]
    assert expected_hits_log2(big, sum(big) // 2) > 15 > expected_hits_log2(big[:40], 0)


def test_auto_proves_partitions_beyond_the_phase_transition(monkeypatch):
    # 64 values of 50 bits: ~2^11 perfect partitions, none found by differencing, none
    # reachable by an exhaustive engine in seconds; smaller lists keep the search fast
    monkeypatch.setattr(hits, "QUARTER_MAX", 16)
    monkeypatch.setattr(hits, "LIST_BITS", 16)
    rng = np.random.default_rng(11)
    vals = [int(x) for x in rng.integers(2**49, 2**50, 64)]
    target = Fraction(sum(vals), 2)
    sol = solve_rss(vals, target, time_limit=60)
    assert sol.status == "optimal" and sol.method == "hits"
    assert sol.error == Fraction(lattice_lower_bound([2 * v for v in vals], sum(vals)), 2)
    assert sol.error == abs(target - sum(vals[i] for i in sol.subset))
    found = exact_hit(vals, [sum(vals) // 2, (sum(vals) + 1) // 2], None)
    assert 2 * found.target in (sum(vals) - 1, sum(vals), sum(vals) + 1)


def test_time_limit_during_the_search_returns_the_best_with_the_bound():
    rng = np.random.default_rng(3)
    vals = [int(x) for x in rng.integers(0, 2**62, 90)]
    sol = solve_rss(vals, Fraction(sum(vals), 2) + Fraction(1, 4), time_limit=0.5)
    assert sol.status in ("feasible", "optimal")
    assert sol.lower_bound <= sol.error == abs(
        Fraction(sum(vals), 2) + Fraction(1, 4) - sum(vals[i] for i in sol.subset))
    assert sol.seconds < 5


@pytest.mark.parametrize("n", [0, 1])
def test_empty_and_single_item(n):
    vals = [7][:n]
    assert exact_hit(vals, [7], None).subset == ([0] if n else None)
    assert exact_hit(vals, [0], None).subset == []
