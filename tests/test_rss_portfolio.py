"""Every 1-D engine against brute force; the lattice bound, the portfolio, memory and time promises."""

from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import solvers.rss as rss
from solvers.instances import RSSInstance
from solvers.numbers import InputError
from solvers.rss import (
    brute_force,
    complete_karmarkar_karp_search,
    dynamic_programming,
    meet_in_the_middle,
    schroeppel_shamir,
    solve_instance,
    solve_rss,
)
from solvers.rss_bounds import lattice_lower_bound
from solvers.rss_ckk import balanced_pairs, complete_karmarkar_karp, differenced_core
from solvers.rss_dp import dp_plan, solve_dp


def optimum(values, target, sizes=None):
    """min |target - sum| over subsets of the given sizes, by itertools, in Fractions."""
    vals = [Fraction(v) for v in values]
    t = Fraction(target)
    best = None
    for k in sizes if sizes is not None else range(len(vals) + 1):
        for sub in combinations(range(len(vals)), k):
            e = abs(t - sum((vals[i] for i in sub), Fraction(0)))
            best = e if best is None or e < best else best
    return best


integers = st.integers(-10**6, 10**6)
rationals = st.fractions(min_value=-50, max_value=50, max_denominator=12)
doubles = st.floats(-1, 1, allow_nan=False, allow_infinity=False)
wide = st.integers(-2**80, 2**80)
near_ties = st.integers(0, 40).map(lambda x: 2**62 + x)
kinds = st.sampled_from([integers, rationals, doubles, wide, near_ties, st.integers(-9, 9)])


@st.composite
def instances(draw, max_n=8):
    kind = draw(kinds)
    vals = draw(st.lists(kind, min_size=0, max_size=max_n))
    target = draw(st.one_of(kind, st.integers(-30, 30),
                            st.just(sum(Fraction(v) for v in vals) / 2)))
    return vals, target


ENGINES = {
    "brute": brute_force,
    "mitm": meet_in_the_middle,
    "bounded": schroeppel_shamir,
    "dp": dynamic_programming,
    "ckk": complete_karmarkar_karp_search,
    "auto": solve_instance,
}
RULED = ("brute", "mitm", "dp", "auto")  # the engines that take a cardinality rule


@settings(max_examples=300, deadline=None)
@given(instances(), st.data())
def test_every_engine_matches_brute_force(case, data):
    vals, target = case
    rule = data.draw(st.sampled_from(["none", "exactly", "at most"]))
    k = data.draw(st.integers(0, len(vals)))
    kwargs = {} if rule == "none" else {"cardinality" if rule == "exactly" else
                                        "max_cardinality": k}
    inst = RSSInstance.create(vals, target, **kwargs)
    sizes = None if rule == "none" else [k] if rule == "exactly" else range(k + 1)
    exact = optimum(inst.values, inst.target, sizes)
    for name, engine in ENGINES.items():
        if rule != "none" and name not in RULED:
            with pytest.raises(InputError, match="cardinality"):
                engine(inst)
            continue
        if name == "bounded" and inst.n and not rss._Scaled.of(inst).fits_int64:
            continue  # Schroeppel-Shamir is int64 only: it refuses these (tested below)
        if name == "dp" and dp_plan(rss._Scaled.of(inst).values, rss._size_rule(inst)).nbytes > 2**24:
            continue  # a range of sums too wide to be worth a test (refusal tested below)
        sol = solve_instance(inst, method=name) if name != "auto" else engine(inst)
        assert sol.status == "optimal", name
        assert sol.error == exact == inst.error(sol.subset), name
        assert sol.lower_bound == exact
        assert inst.admits(len(sol.subset)), name


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-60, 60), max_size=9), st.integers(-200, 200), st.data())
def test_lattice_bound_is_a_lower_bound_and_dp_is_exact(vals, target, data):
    k = data.draw(st.integers(0, len(vals)))
    at_most = data.draw(st.booleans())
    for rule, sizes in ((None, None), ((k, at_most), range(k + 1) if at_most else [k])):
        exact = optimum(vals, target, sizes)
        assert lattice_lower_bound(vals, target, rule) <= exact
        subset, err = solve_dp(dp_plan(vals, rule), target)
        assert err == exact == abs(target - sum(vals[i] for i in subset))
        assert sizes is None or len(subset) in sizes


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**70), max_size=60))
def test_differenced_core_reports_its_exact_difference(items):
    diff, colour = differenced_core(items)
    zero = sum(v for v, c in zip(items, colour, strict=True) if c == 0)
    assert diff == abs(sum(items) - 2 * zero)


def test_lattice_bound_examples():
    assert lattice_lower_bound([], 5) == 5
    assert lattice_lower_bound([4, 6, 10], 7) == 1  # even sums only
    assert lattice_lower_bound([2, 4, 6], 100) == 88  # above the total
    # near-ties: two items sum to 2^63 + [1, 5], so 2^63 + 6 is 1 above their range, and
    # three items to at least 3 * 2^62 + 3
    near = [2**62, 2**62 + 1, 2**62 + 2, 2**62 + 3]
    assert lattice_lower_bound(near, 2**63 + 6) == 1
    assert lattice_lower_bound(near, 2**63 + 6, (3, False)) == 2**62 - 3


def test_partition_with_odd_total_proves_one_half():
    rng = np.random.default_rng(11)
    vals = rng.integers(1, 2**40, 90).tolist()
    vals[0] += sum(vals) % 2 == 0  # an odd total: no perfect split
    sol = solve_rss(vals, Fraction(sum(vals), 2), time_limit=60)
    assert sol.status == "optimal" and sol.error == Fraction(1, 2) == sol.lower_bound
    assert sol.error == RSSInstance.create(vals, Fraction(sum(vals), 2)).error(sol.subset)


@pytest.mark.parametrize("case", ["range400", "near-ties", "balanced", "wide1000"])
def test_issue_instances_are_proven(case):
    rng = np.random.default_rng(12)
    kwargs = {}
    if case == "range400":
        vals = list(range(800, 1200))
    elif case == "near-ties":
        vals = [2**62 + int(x) for x in rng.integers(0, 1001, 40)]
    elif case == "balanced":
        vals = rng.integers(1, 1000, 100).tolist()
        kwargs = {"cardinality": 50}
    else:
        vals = [int(x) for x in rng.integers(0, 2**63, 1000, dtype=np.uint64)]
    target = Fraction(sum(vals), 2)
    sol = solve_rss(vals, target, time_limit=60, **kwargs)
    assert sol.status == "optimal"
    assert sol.error == RSSInstance.create(vals, target, **kwargs).error(sol.subset)
    parity = Fraction(sum(vals) % 2, 2)
    assert sol.error == parity  # a perfect split, or 1/2 from an odd total: both proven


def test_time_limit_zero_returns_feasible_with_a_bound():
    rng = np.random.default_rng(13)
    vals = [int(x) for x in rng.integers(0, 2**62, 70, dtype=np.int64)]
    inst = RSSInstance.create(vals, sum(vals) // 3)
    sol = solve_instance(inst, method="ckk", time_limit=0)
    assert sol.status in ("feasible", "optimal")
    assert sol.error == inst.error(sol.subset) >= sol.lower_bound
    # near-ties beyond 64 bits: doubles cannot separate the sums, the exact-integer pass runs
    wide = RSSInstance.create([2**100 + v % 1000 for v in vals[:36]], 18 * 2**100 + 7)
    sol = solve_instance(wide, method="mitm", time_limit=0)
    assert sol.status == "feasible" and sol.error == wide.error(sol.subset) >= sol.lower_bound
    sol = solve_instance(RSSInstance.create(list(range(1, 600)), 10**4 + 1, cardinality=200),
                         method="dp", time_limit=0)
    assert sol.status == "feasible" and len(sol.subset) == 200


@pytest.mark.parametrize("method", ["mitm", "bounded", "dp", "ckk", "brute"])
def test_memory_is_estimated_before_allocating(monkeypatch, method):
    monkeypatch.setattr(rss, "memory_budget", lambda: 1 << 12)
    inst = RSSInstance.create(list(range(101, 2900, 100)), 1000)
    with pytest.raises(InputError, match="GiB") as exc:
        solve_instance(inst, method=method)
    assert "\n" not in str(exc.value)


def test_auto_refuses_in_one_line_what_no_engine_fits():
    vals = [2**64 + 7**i for i in range(300)]
    with pytest.raises(InputError, match="no exact engine fits") as exc:
        solve_rss(vals, sum(vals) // 2, cardinality=150)
    assert "\n" not in str(exc.value)


def test_empty_and_single_item_instances():
    for method in rss.METHODS:
        if method in ("cpsat", "mip"):
            continue
        sol = solve_rss([], "-2/3", method=method)
        assert sol.subset == () and sol.error == Fraction(2, 3) and sol.status == "optimal"
    assert solve_rss([5], 2).subset == () and solve_rss([5], 4).subset == (0,)
    assert solve_rss([5], 3, cardinality=1).error == 2


def test_ckk_agrees_with_wide_python_search():
    # values beyond int64 run the Python-integer search; the same answers as brute force
    rng = np.random.default_rng(14)
    for _ in range(20):
        vals = [int(x) * 2**64 + int(y) for x, y in zip(rng.integers(1, 50, 12),
                                                          rng.integers(0, 9, 12), strict=True)]
        target = int(rng.integers(0, 300)) * 2**64
        subset, err, proven = complete_karmarkar_karp(vals, target)
        assert proven and err == optimum(vals, target)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 500), min_size=1, max_size=11), st.integers(0, 3000), st.data())
def test_balanced_pairs_keep_the_size_and_prove_only_the_optimum(vals, target, data):
    n = len(vals)
    k = data.draw(st.sampled_from(sorted({n // 2, (n + 1) // 2})))
    bound = lattice_lower_bound(vals, target, (k, False))
    subset, err, proven = balanced_pairs(vals, target, k, bound)
    assert len(subset) == k and err == abs(target - sum(vals[i] for i in subset))
    if proven:
        assert err == optimum(vals, target, [k])


def test_balanced_partition_of_wide_values_is_proven_by_pairs():
    rng = np.random.default_rng(15)
    vals = [int(x) for x in rng.integers(0, 2**63, 1000, dtype=np.uint64)]
    sol = solve_rss(vals, Fraction(sum(vals), 2), cardinality=500, time_limit=60)
    assert sol.status == "optimal" and sol.method == "pairs" and len(sol.subset) == 500
    assert sol.error == Fraction(sum(vals) % 2, 2)


def test_beyond_the_search_stack_the_differencing_core_still_proves(monkeypatch):
    # with no memory for CKK's O(n^2) stack, auto runs its O(n) differencing core alone
    monkeypatch.setattr(rss, "ckk_bytes", lambda n: float("inf"))
    rng = np.random.default_rng(16)
    vals = [int(x) for x in rng.integers(0, 2**63, 600, dtype=np.uint64)]
    sol = solve_rss(vals, Fraction(sum(vals), 2), time_limit=60)
    assert sol.status == "optimal" and sol.method == "ckk"
    assert sol.error == Fraction(sum(vals) % 2, 2)
