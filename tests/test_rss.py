"""The 1-D engines agree exactly with an independent itertools enumeration."""

from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.instances import RSSInstance
from solvers.numbers import InputError
from solvers.rss import (
    brute_force,
    meet_in_the_middle,
    schroeppel_shamir,
    solve_many_targets,
    solve_rss,
    solve_rss_batch,
    sparsest_subset,
)


def reference_optimum(values, target, sizes=None):
    """min |target - sum| over subsets (of the given sizes), by itertools, in Fractions."""
    vals = [Fraction(v) if not isinstance(v, str) else Fraction(v) for v in values]
    t = Fraction(target)
    n = len(vals)
    best = None
    for k in sizes if sizes is not None else range(n + 1):
        for sub in combinations(range(n), k):
            e = abs(t - sum((vals[i] for i in sub), Fraction(0)))
            best = e if best is None or e < best else best
    return best


number = st.one_of(
    st.integers(-20, 20),
    st.fractions(min_value=-3, max_value=3, max_denominator=50),
    st.floats(-1, 1, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, 1e-300, -1e-300, 5e-324, 0.1, 1e-25]),
    st.sampled_from(["0.1", "1e-25", "-3/7", "0.1000000000000000000000001"]),
)


@st.composite
def instances(draw, max_n=9):
    vals = draw(st.lists(number, min_size=1, max_size=max_n))
    if draw(st.booleans()) and len(vals) > 1:
        vals.append(vals[0])  # duplicates
    target = draw(number)
    return vals, target


def as_fraction(x):
    return Fraction(x) if not isinstance(x, float) else Fraction(x)


@settings(max_examples=250, deadline=None)
@given(instances())
def test_engines_match_enumeration(case):
    vals, target = case
    exact = reference_optimum([as_fraction(v) for v in vals], as_fraction(target))
    inst = RSSInstance.create(vals, target)
    for engine in (brute_force, meet_in_the_middle, schroeppel_shamir):
        try:
            sol = engine(inst)
        except InputError:
            assert engine is schroeppel_shamir  # beyond int64: the bounded engine refuses
            continue
        assert sol.status == "optimal"
        assert sol.error == exact
        assert inst.error(sol.subset) == sol.error


@settings(max_examples=150, deadline=None)
@given(instances(), st.data())
def test_cardinality_rules_match_enumeration(case, data):
    vals, target = case
    n = len(vals)
    k = data.draw(st.integers(0, n))
    fv = [as_fraction(v) for v in vals]
    ft = as_fraction(target)
    eq = solve_rss(vals, target, cardinality=k)
    assert eq.error == reference_optimum(fv, ft, [k]) and len(eq.subset) == k
    le = solve_rss(vals, target, max_cardinality=k)
    assert le.error == reference_optimum(fv, ft, range(k + 1)) and len(le.subset) <= k
    assert brute_force(RSSInstance.create(vals, target, cardinality=k)).error == eq.error


def test_rationals_floats_cannot_tell_apart():
    # 0.1 and 0.1 + 1e-25 are the same double; exactly they differ.
    vals = ["0.1", "0.1000000000000000000000001", "0.2", "0.3", "0.7"]
    target = "0.4000000000000000000000001"
    sol = solve_rss(vals, target)
    assert sol.error == 0
    assert sol.subset in {(1, 3), (0, 1, 2)} or sum(Fraction(vals[i]) for i in sol.subset) == Fraction(target)
    assert 1 in sol.subset
    wrong = solve_rss(vals, "0.4")
    assert wrong.error == 0 and 1 not in wrong.subset


@pytest.mark.parametrize("digits, arithmetic", [(30, {"two 62-bit limbs"}),
                                               (45, {"float64+exact", "bigint"})])
def test_large_exact_instance_beyond_int64(digits, arithmetic):
    # scale 10^30 keeps the sums within 122 bits (two limbs); 10^45 goes beyond them
    rng = np.random.default_rng(5)
    vals = [Fraction(int(x), 10**digits) for x in rng.integers(-10**15, 10**15, 16)]
    target = Fraction(123456789, 10**9)
    sol = meet_in_the_middle(RSSInstance.create(vals, target))
    assert sol.stats["arithmetic"] in arithmetic
    assert sol.error == brute_force(RSSInstance.create(vals, target)).error


def test_mitm_and_bounded_agree_on_uniform_doubles():
    rng = np.random.default_rng(1)
    for n in (20, 23, 26):
        vals = rng.uniform(-1, 1, n)
        t = rng.uniform(-1, 1)
        a = solve_rss(vals, t, method="mitm")
        b = solve_rss(vals, t, method="bounded")
        assert a.error == b.error and a.status == b.status == "optimal"
        assert a.error == rss_error_check(vals, t, b.subset)


def rss_error_check(vals, t, subset):
    return abs(Fraction(float(t)) - sum((Fraction(float(vals[i])) for i in subset), Fraction(0)))


def test_time_limit_never_claims_optimal():
    rng = np.random.default_rng(2)
    vals = rng.uniform(-1, 1, 48)
    sol = solve_rss(vals, 0.123, method="bounded", time_limit=0.0)
    assert sol.status == "feasible"
    assert sol.lower_bound == 0
    assert sol.error == rss_error_check(vals, 0.123, sol.subset)


def test_sparsest_subset_matches_enumeration():
    rng = np.random.default_rng(3)
    for _ in range(20):
        vals = rng.uniform(-1, 1, 9)
        t = rng.uniform(-1, 1)
        eps = Fraction(1, 50)
        sol = sparsest_subset(vals, t, eps)
        fv = [Fraction(v) for v in vals]
        sizes = [k for k in range(10) if reference_optimum(fv, Fraction(t), [k]) <= eps]
        if sizes:
            assert sol.status == "optimal" and len(sol.subset) == sizes[0]
            assert sol.error == reference_optimum(fv, Fraction(t), [sizes[0]])
        else:
            assert sol.status == "infeasible"


def test_many_targets_match_single_solves():
    rng = np.random.default_rng(4)
    vals = rng.uniform(-1, 1, 14)
    targets = rng.uniform(-2, 2, 6)
    many = solve_many_targets(vals, targets)
    for t, sol in zip(targets, many, strict=True):
        assert sol.error == solve_rss(vals, t).error


@pytest.mark.parametrize("kind", ["uniform", "product", "ties"])
def test_batch_matches_single_solves(kind):
    rng = np.random.default_rng(6)
    m, n = 60, 9
    if kind == "uniform":
        V = rng.uniform(-1, 1, (m, n))
    elif kind == "product":
        V = rng.uniform(-1, 1, (m, n)) * rng.uniform(-1, 1, (m, n))
    else:
        V = rng.integers(-3, 4, (m, n)) / 4.0
    T = rng.normal(0, 0.5, m)
    res = solve_rss_batch(V, T)
    eps = Fraction(1, 20)
    sp = solve_rss_batch(V, T, eps=eps)
    for r in range(m):
        single = solve_rss(V[r], T[r])
        assert res.errors[r] == single.error
        assert res.errors[r] == rss_error_check(V[r], T[r], res.subset(r))
        ref = sparsest_subset(V[r], T[r], eps)
        assert sp.reached[r] == (ref.status == "optimal")
        assert sp.errors[r] == ref.error
        if sp.reached[r]:  # the fewest values; where eps is missed, any closest subset will do
            assert len(sp.subset(r)) == len(ref.subset)


@pytest.mark.parametrize(
    "values,target,kwargs,fragment",
    [
        ([1, float("nan")], 0, {}, "values[1] is nan"),
        ([1, float("inf")], 0, {}, "values[1] is inf"),
        ([1, "abc"], 0, {}, "values[1] is 'abc'"),
        ([1, 2], 0, {"cardinality": 3}, "cardinality is 3"),
        ([1, 2], 0, {"method": "magic"}, "method is 'magic'"),
        ([1, 2], 0, {"time_limit": -1}, "time_limit is -1"),
    ],
)
def test_bad_input_is_named(values, target, kwargs, fragment):
    with pytest.raises(InputError, match=None) as exc:
        solve_rss(values, target, **kwargs)
    assert fragment in str(exc.value)


@pytest.mark.parametrize("kind", ["uniform", "integers", "equal", "zeros", "far-target"])
def test_bounded_small_windows_match_mitm(kind):
    rng = np.random.default_rng(7)
    n = 18
    vals = {"uniform": rng.uniform(-1, 1, n), "integers": rng.integers(-5, 6, n).astype(float),
            "equal": np.full(n, 0.25), "zeros": np.zeros(n),
            "far-target": rng.uniform(0, 1, n)}[kind]
    target = 100.0 if kind == "far-target" else 0.3
    inst = RSSInstance.create(vals, target)
    ref = meet_in_the_middle(inst)
    for window in (16, 300, 1 << 23):
        sol = schroeppel_shamir(inst, window=window)
        assert sol.status == "optimal" and sol.error == ref.error
        assert inst.error(sol.subset) == sol.error
