"""The two-limb meet-in-the-middle against brute force and the Python-integer engine."""

import random
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import solvers.rss as rss
from solvers.instances import RSSInstance
from solvers.numbers import InputError
from solvers.rss import _mitm_bigint, _Scaled, brute_force, meet_in_the_middle, solve_rss
from solvers.rss_wide import LIMB_BITS, WIDE_BITS, fits_wide, to_limbs, wide_closest

# around the limb boundary 2^62, far beyond int64, and near-ties 2^64 + small
limb_edges = st.sampled_from([2**62 - 1, 2**62, 2**62 + 1, -(2**62), 2**63, -(2**63) - 1])
wide_ints = st.one_of(st.integers(-2**100, 2**100), limb_edges,
                      st.integers(0, 50).map(lambda x: 2**64 + x),
                      st.integers(-2**40, 2**40).map(lambda x: -(2**90) + x))


@st.composite
def wide_instances(draw, max_n=10):
    vals = draw(st.lists(wide_ints, min_size=0, max_size=max_n))
    if vals and draw(st.booleans()):  # duplicates
        vals += vals[: draw(st.integers(1, len(vals)))]
    target = draw(st.one_of(wide_ints, st.just(Fraction(sum(vals), 2)), st.integers(-5, 5)))
    return vals, target


@settings(max_examples=150, deadline=None)
@given(wide_instances())
def test_wide_mitm_matches_brute_force(case):
    vals, target = case
    inst = RSSInstance.create(vals, target)
    sol = meet_in_the_middle(inst)
    assert sol.status == "optimal"
    assert sol.error == brute_force(inst).error == inst.error(sol.subset)


@settings(max_examples=60, deadline=None)
@given(wide_instances(max_n=9), st.data())
def test_wide_mitm_with_cardinality_matches_brute_force(case, data):
    vals, target = case
    k = data.draw(st.integers(0, len(vals)))
    rule = data.draw(st.sampled_from(["cardinality", "max_cardinality"]))
    inst = RSSInstance.create(vals, target, **{rule: k})
    sol, ref = meet_in_the_middle(inst), brute_force(inst)
    assert sol.status == ref.status
    if ref.status == "optimal":
        assert sol.error == ref.error == inst.error(sol.subset)
        assert len(sol.subset) == k if rule == "cardinality" else len(sol.subset) <= k


@pytest.mark.parametrize("seed", range(4))
def test_wide_engine_agrees_with_python_integers(seed):
    rng = np.random.default_rng(seed)
    bits = (64, 80, 100, 116)[seed]  # 18 values: sums within 122 bits
    vals = [int(x) - 2 ** (bits - 1) for x in
            (int(rng.integers(0, 2**62)) << (bits - 62) | int(rng.integers(0, 2**(bits - 62)))
             for _ in range(18))]
    for target in (Fraction(sum(vals), 2), vals[0] * 3, -sum(abs(v) for v in vals) // 7):
        inst = RSSInstance.create(vals, target)
        sc = _Scaled.of(inst)
        assert not sc.fits_int64 and fits_wide(sc.values, sc.target)
        sol = meet_in_the_middle(inst)
        assert sol.stats["arithmetic"] == "two 62-bit limbs"
        assert sol.error == _mitm_bigint(inst, sc, None).error == inst.error(sol.subset)


def test_limbs_are_canonical_and_exact():
    ints = [0, 1, -1, 2**62 - 1, 2**62, -(2**62), 2**121 - 1, -(2**121) + 1, 12345 << 70]
    hi, lo = to_limbs(ints)
    assert [int(h) * 2**LIMB_BITS + int(lo_) for h, lo_ in zip(hi, lo, strict=True)] == ints
    assert all(0 <= x < 2**LIMB_BITS for x in lo.tolist())
    assert fits_wide([2**WIDE_BITS - 2], 1) and not fits_wide([2**WIDE_BITS - 1], 1)


def test_near_ties_beyond_int64_are_exact_hits():
    # 2^64 + small: every size-c sum is c * 2^64 + a small part; the optimum is the small one
    vals = [2**64 + x for x in (3, 7, 11, 20, 26, 31, 40, 55, 61, 70, 84, 99)]
    target = 6 * 2**64 + 200
    sol = solve_rss(vals, target)
    assert sol.status == "optimal" and sol.error == brute_force(RSSInstance.create(vals, target)).error
    found = wide_closest(vals, target, (6, False), None)
    assert found.finished and len(found.subset) == 6 and found.error == sol.error


@pytest.mark.parametrize("bits", [40, 100])
def test_time_limit_zero_stops_every_meet_in_the_middle(bits):
    # int64 (40-bit values) and two limbs (100-bit): the best so far, never a wrong optimal
    rng = np.random.default_rng(bits)
    vals = [int(x) << (bits - 40) for x in rng.integers(1, 2**40, 40)]
    inst = RSSInstance.create(vals, Fraction(sum(vals), 2) + Fraction(1, 3))
    sol = meet_in_the_middle(inst, time_limit=0.0)
    assert sol.status == "feasible"
    assert sol.error == inst.error(sol.subset) and 0 < sol.lower_bound <= sol.error


def test_wide_memory_is_estimated_before_allocating(monkeypatch):
    monkeypatch.setattr(rss, "memory_budget", lambda: 10**6)
    vals = [2**70 + i for i in range(30)]
    with pytest.raises(InputError, match="method 'mitm' on n = 30 needs about"):
        meet_in_the_middle(RSSInstance.create(vals, 2**75))


def test_auto_proves_wide_instances_up_to_the_limit():
    rng = np.random.default_rng(7)
    vals = [int(rng.integers(0, 2**50)) << 50 | int(rng.integers(0, 2**50)) for _ in range(34)]
    sol = solve_rss(vals, Fraction(sum(vals), 2), time_limit=60)
    assert sol.status == "optimal" and sol.method in ("mitm", "greedy", "ckk")
    assert sol.error == sol.lower_bound


def test_dp_refusal_names_sizes_beyond_the_doubles():
    # a 3000-bit range: the refusal is one short line, not an OverflowError or a 900-digit number
    rng = random.Random(1)
    with pytest.raises(InputError, match=r"about 2\^3\d\d\d sums.*2\^\d+ GiB") as info:
        solve_rss([rng.getrandbits(3000) for _ in range(30)], 5, method="dp")
    assert len(str(info.value)) < 200
