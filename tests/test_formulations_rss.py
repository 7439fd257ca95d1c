"""CP-SAT and MIP formulations of 1-D subset sum against exact references.

References: an itertools brute force in Fractions (small n) and an int64 meet-in-the-middle on
the exact integer scaling (n up to 40), both written here, independent of the solvers.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.formulations.rss_cpsat import cpsat_scaling, solve_rss_cpsat
from solvers.formulations.rss_mip import MIP_TOLERANCES, mip_tolerance_trap, solve_rss_mip
from solvers.instances import RSSInstance
from solvers.numbers import InputError, common_scale, scale_to_int

MIP_SOLVERS = sorted(MIP_TOLERANCES)


def brute_force_optimum(inst: RSSInstance) -> Fraction | None:
    """The exact optimum over every admissible subset (None when no subset is admissible)."""
    errors = [
        inst.error(s)
        for r in range(inst.n + 1)
        if inst.admits(r)
        for s in combinations(range(inst.n), r)
    ]
    return min(errors, default=None)


def _subset_sums(a: list[int]) -> np.ndarray:
    sums = np.zeros(1, dtype=np.int64)
    for v in a:
        sums = np.concatenate([sums, sums + v])
    return sums


def mitm_optimum(inst: RSSInstance) -> tuple[Fraction, list[int]]:
    """Exact optimum and an optimal subset (no cardinality), by int64 meet-in-the-middle.

    Exact as long as the scaled sums fit in int64, which the callers' data (doubles in [-1, 1],
    n <= 40, scale <= 2^52) guarantee.
    """
    numbers = [*inst.values, inst.target]
    scale = common_scale(numbers)
    *a, t = scale_to_int(numbers, scale)
    assert sum(abs(v) for v in a) + abs(t) < 2**62
    h = len(a) // 2
    left, right = _subset_sums(a[:h]), _subset_sums(a[h:])
    order = np.argsort(right, kind="stable")
    right_sorted = right[order]
    need = t - left
    j = np.clip(np.searchsorted(right_sorted, need), 1, len(right_sorted) - 1)
    candidates = np.stack([j - 1, j])
    gaps = np.abs(need - right_sorted[candidates])
    best_left = int(np.argmin(gaps.min(axis=0)))
    row = int(np.argmin(gaps[:, best_left]))
    best_right = int(order[candidates[row, best_left]])
    subset = [i for i in range(h) if best_left >> i & 1]
    subset += [h + i for i in range(len(a) - h) if best_right >> i & 1]
    return Fraction(int(gaps[row, best_left]), scale), subset


# Numbers of every kind a user gives: fractions, zeros, tiny values, rational strings, doubles.
_numbers = st.one_of(
    st.fractions(min_value=-3, max_value=3, max_denominator=12),
    st.sampled_from([Fraction(0), Fraction(1, 10**9), Fraction(-1, 10**9), Fraction(-1, 3)]),
    st.sampled_from(["0.1", "1e-7", "-3/7", "2.5", "-0.001", "0"]),
    st.integers(-(2**20), 2**20).map(lambda k: k / 2**20),
)
_values = st.lists(_numbers, min_size=1, max_size=7).flatmap(
    lambda xs: st.lists(st.sampled_from(xs), max_size=3).map(lambda dups: xs + dups)
)


@st.composite
def instances(draw: st.DrawFn) -> RSSInstance:
    values = draw(_values)
    n = len(values)
    kind = draw(st.sampled_from(["none", "eq", "le"]))
    k = draw(st.integers(0, n))
    return RSSInstance.create(
        values,
        draw(_numbers),
        cardinality=k if kind == "eq" else None,
        max_cardinality=k if kind == "le" else None,
    )


@settings(max_examples=200, deadline=None)
@given(instances())
def test_cpsat_optimum_equals_brute_force(inst: RSSInstance) -> None:
    sol = solve_rss_cpsat(inst)
    best = brute_force_optimum(inst)
    assert sol.status == "optimal"
    assert sol.error == best == sol.lower_bound
    assert sol.error == inst.error(sol.subset)
    assert inst.admits(len(sol.subset))
    assert sol.method == "cpsat" and sol.instance_hash == inst.hash()


@pytest.mark.parametrize("solver", MIP_SOLVERS)
@settings(max_examples=80, deadline=None)
@given(inst=instances())
def test_mip_answer_rechecked_exactly(solver: str, inst: RSSInstance) -> None:
    sol = solve_rss_mip(inst, solver=solver)
    assert sol.status in ("optimal_within_tolerance", "feasible")
    assert sol.error == inst.error(sol.subset) >= brute_force_optimum(inst)
    assert inst.admits(len(sol.subset))
    assert sol.lower_bound is None
    assert sol.method == f"mip-{solver}"


@pytest.mark.parametrize("solver", MIP_SOLVERS)
@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(st.integers(-50, 50), min_size=1, max_size=8),
    target=st.integers(-100, 100),
)
def test_mip_exact_on_well_separated_integers(solver: str, values: list[int], target: int) -> None:
    # Distinct errors differ by >= 1, far above every tolerance: the MIP must hit the optimum.
    inst = RSSInstance.create(values, target)
    sol = solve_rss_mip(inst, solver=solver)
    assert sol.status == "optimal_within_tolerance"
    assert sol.error == brute_force_optimum(inst)


def test_hand_computed_cases() -> None:
    inst = RSSInstance.create(["0.5", "1/3", "-0.25"], "0.6")
    assert solve_rss_cpsat(inst).error == Fraction(1, 60)  # 1/2 + 1/3 - 1/4 = 7/12
    inst = RSSInstance.create([3, 5, 9, 14], 20, max_cardinality=1)
    sol = solve_rss_cpsat(inst)
    assert (sol.subset, sol.error) == ((3,), Fraction(6))
    inst = RSSInstance.create([0, 0, 0], "-1/7", cardinality=2)
    sol = solve_rss_cpsat(inst)
    assert (len(sol.subset), sol.error, sol.status) == (2, Fraction(1, 7), "optimal")


def test_values_floats_cannot_tell_apart_are_solved_exactly() -> None:
    # 1e-8 + k * 1e-25 for k = 0, 1, 3, 7: one double for all four; target 2e-8 + 6e-25.
    values = [f"1.{'0' * 16}{k}e-8" for k in (0, 1, 3, 7)]
    inst = RSSInstance.create(values, f"2.{'0' * 16}6e-8", cardinality=2)
    assert len({float(v) for v in inst.values}) == 1
    sol = solve_rss_cpsat(inst)
    assert sol.status == "optimal"
    assert sol.subset == (0, 3)
    assert sol.error == Fraction(1, 10**25) == brute_force_optimum(inst)
    mip = solve_rss_mip(inst)
    assert mip.status != "optimal"
    assert mip.error == inst.error(mip.subset) >= sol.error


@pytest.mark.parametrize("solver", MIP_SOLVERS)
def test_mip_tolerance_trap(solver: str) -> None:
    inst = mip_tolerance_trap()
    assert inst.n == 26
    optimum, _ = mitm_optimum(inst)
    assert optimum == Fraction(5, 2**34) > 0
    sol = solve_rss_mip(inst, solver=solver)
    # The MIP claims OPTIMAL with an objective below the true optimum: not a proof.
    assert sol.status == "optimal_within_tolerance"
    assert sol.stats["mip_objective"] < float(optimum)
    assert sol.error == inst.error(sol.subset) >= optimum > 0
    assert sol.lower_bound is None
    assert "not an exact proof" in sol.proof


@pytest.fixture(scope="module")
def large_instance() -> tuple[RSSInstance, Fraction, list[int]]:
    rng = np.random.default_rng(40)
    inst = RSSInstance.create(rng.uniform(-1, 1, 40), rng.uniform(-1, 1))
    return (inst, *mitm_optimum(inst))


def test_cpsat_time_limit_never_claims_a_wrong_optimum(large_instance) -> None:
    inst, optimum, _ = large_instance
    assert solve_rss_cpsat(inst, time_limit=0).status in ("unknown", "feasible")
    sol = solve_rss_cpsat(inst, time_limit=0.5)
    assert sol.status in ("feasible", "optimal")
    assert sol.lower_bound <= optimum <= sol.error == inst.error(sol.subset)
    if sol.status == "optimal":
        assert sol.error == optimum


def test_cpsat_hint_is_kept_at_the_time_limit(large_instance) -> None:
    inst, optimum, subset = large_instance
    sol = solve_rss_cpsat(inst, time_limit=0.5, hint=subset)
    assert sol.error == optimum
    assert sol.lower_bound <= optimum


@pytest.mark.parametrize("solver", MIP_SOLVERS)
def test_mip_time_limit(large_instance, solver: str) -> None:
    inst, optimum, _ = large_instance
    sol = solve_rss_mip(inst, solver=solver, time_limit=0.2)
    assert sol.status in ("feasible", "unknown", "optimal_within_tolerance")
    if sol.subset is not None:
        assert sol.error == inst.error(sol.subset) >= optimum


def test_infeasible_cardinality() -> None:
    # Built directly (RSSInstance.create refuses k > n): no subset of 2 values has size 3.
    inst = RSSInstance(values=(Fraction(1), Fraction(2)), target=Fraction(1), cardinality=3)
    assert solve_rss_cpsat(inst).status == "infeasible"
    for solver in MIP_SOLVERS:
        sol = solve_rss_mip(inst, solver=solver)
        assert (sol.status, sol.subset, sol.error) == ("infeasible", None, None)


def test_scaling_is_exact_and_reduced() -> None:
    unit, a, target, e_max = cpsat_scaling(RSSInstance.create([1000, 2500, -500], 7500))
    assert (unit, a, target, e_max) == (500, [2, 5, -1], 15, 16)


@pytest.mark.parametrize(
    ("values", "target"),
    [(["1", "1e-25"], 0), ([2**61, 2**61 + 1], 0), ([2**50] * 5000, 1)],
)
def test_scaling_overflow_is_refused(values: list, target: int) -> None:
    with pytest.raises(InputError, match=r"CP-SAT accepts at most 2\^62"):
        solve_rss_cpsat(RSSInstance.create(values, target))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"time_limit": -1}, "time_limit is -1"),
        ({"time_limit": float("nan")}, "time_limit is nan"),
        ({"time_limit": "5"}, "time_limit is '5'"),
        ({"workers": 0}, "workers is 0"),
        ({"hint": [0, 9]}, "subset index 9 is out of range"),
    ],
)
def test_cpsat_bad_input(kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        solve_rss_cpsat(RSSInstance.create([1, 2], 3), **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"solver": "gurobi"}, "solver is 'gurobi'"), ({"time_limit": -0.5}, "time_limit is -0.5")],
)
def test_mip_bad_input(kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        solve_rss_mip(RSSInstance.create([1, 2], 3), **kwargs)


def test_cpsat_presolve_trap_is_solved_right():
    """OR-Tools 9.15's presolve says OPTIMAL with objective ~6.7e9 here; the optimum is 0
    (the empty set). Found by the MRSS property tests; values of ~2^35, integers."""
    from solvers.formulations.mrss_cpsat import solve_mrss_cpsat
    from solvers.instances import MRSSInstance

    base = [[0, -37252902984619141, 0], [-37252902984619141, 0, 0],
            [111758708953857421, 0, 0], [-18626451492309571, 37252902984619140, 0]]
    for shift in (0, 23):
        vecs = [[c // 2**shift for c in v] for v in base]
        sol = solve_mrss_cpsat(MRSSInstance.create(vecs, [0, 0, 0]))
        assert sol.error == 0 and sol.status == "optimal"
        col = [v[0] for v in vecs]
        one_d = solve_rss_cpsat(RSSInstance.create(col + [v[1] for v in vecs], 0))
        assert one_d.error == 0
