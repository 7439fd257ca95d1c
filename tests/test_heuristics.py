"""Baselines: valid subsets, exact errors, never below the brute-force optimum; the KK reduction."""

import heapq
from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.heuristics import (
    edge_popup,
    greedy,
    karmarkar_karp,
    random_sampling,
    solve_heuristic,
)
from solvers.instances import MaskProblem, RSSInstance
from solvers.networks import Network, random_network
from solvers.numbers import InputError


def optimum(values, target, sizes=None):
    vals = [Fraction(v) for v in values]
    best = None
    for k in sizes if sizes is not None else range(len(vals) + 1):
        for sub in combinations(range(len(vals)), k):
            e = abs(Fraction(target) - sum((vals[i] for i in sub), Fraction(0)))
            best = e if best is None or e < best else best
    return best


number = st.one_of(st.integers(-30, 30),
                   st.fractions(min_value=-2, max_value=2, max_denominator=40),
                   st.floats(-1, 1, allow_nan=False))


@settings(max_examples=150, deadline=None)
@given(st.lists(number, min_size=1, max_size=8), number, st.data())
def test_baselines_are_valid_and_never_beat_the_optimum(values, target, data):
    n = len(values)
    k = data.draw(st.one_of(st.none(), st.integers(0, n)))
    kmax = None if k is not None else data.draw(st.one_of(st.none(), st.integers(0, n)))
    sizes = [k] if k is not None else (range(kmax + 1) if kmax is not None else None)
    best = optimum(values, target, sizes)
    inst = RSSInstance.create(values, target, cardinality=k, max_cardinality=kmax)
    sols = [greedy(values, target, cardinality=k, max_cardinality=kmax),
            random_sampling(values, target, samples=64, seed=1, cardinality=k,
                            max_cardinality=kmax)]
    if k is None and kmax is None:
        sols.append(karmarkar_karp(values, target))
    for sol in sols:
        assert sol.status == "feasible" and sol.lower_bound is None
        assert inst.admits(len(sol.subset))
        assert sol.error == inst.error(sol.subset)  # exact, recomputed
        assert sol.error >= best


def ldm_discrepancy(values):
    """Plain largest differencing on non-negative integers (an independent implementation)."""
    heap = [-v for v in values]
    heapq.heapify(heap)
    while len(heap) > 1:
        a, b = -heapq.heappop(heap), -heapq.heappop(heap)
        heapq.heappush(heap, -(a - b))
    return -heap[0]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=25))
def test_kk_on_a_partition_target_is_plain_differencing(values):
    # target = sum / 2 makes the reduction's extra value 0: KK is LDM on the values themselves
    sol = karmarkar_karp(values, Fraction(sum(values), 2))
    assert 2 * sol.error == ldm_discrepancy(values)
    assert sol.stats["residual"] == ldm_discrepancy(values) * (2 if sum(values) % 2 else 1)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-1000, 1000), min_size=1, max_size=20), st.integers(-5000, 5000))
def test_kk_reduction_error_is_half_the_partition_discrepancy(values, target):
    # the n + 1 values |v_i| and |2 t - sigma| partitioned by LDM: error = discrepancy / 2
    sol = karmarkar_karp(values, target)
    extra = 2 * target - sum(values)
    assert 2 * sol.error == ldm_discrepancy([abs(v) for v in values] + [abs(extra)])


def test_known_cases():
    # the classic: LDM leaves discrepancy 2 on {8, 7, 6, 5, 4}; the optimum splits 15 / 15
    assert karmarkar_karp([8, 7, 6, 5, 4], 15).error == 1
    assert optimum([8, 7, 6, 5, 4], 15) == 0
    # exact rationals: 1/3 + 1/6 = 1/2
    sol = karmarkar_karp(["1/3", "1/6", "1/7"], "1/2")
    assert sol.subset == (0, 1) and sol.error == 0
    # greedy: nearest value to the residual first; forced moves to reach |S| = k
    assert greedy([0.5, 0.25, 0.125], "0.4").subset == (0,)
    assert greedy([10, 1, 2], 0, cardinality=2).subset == (1, 2)
    assert greedy([10, 1, 2], 12, max_cardinality=1).subset == (0,)


def test_random_sampling_is_seeded_and_finds_small_optima():
    vals = [0.3, -0.7, 0.11, 0.52, -0.05, 0.9]
    a = random_sampling(vals, 0.42, samples=3000, seed=7)
    b = random_sampling(vals, 0.42, samples=3000, seed=7)
    assert a.subset == b.subset
    assert a.error == optimum(vals, 0.42)  # 64 subsets, 3000 uniform draws
    big = [2**70 + i for i in range(5)]  # beyond int64: compared in float64, error exact
    sol = random_sampling(big, 2**71, samples=100, seed=0)
    assert sol.stats["arithmetic"] == "float64" and sol.error == RSSInstance.create(
        big, 2**71).error(sol.subset)


def test_bad_input():
    with pytest.raises(InputError, match="cardinality"):
        solve_heuristic(RSSInstance.create([1, 2], 1, cardinality=1), "karmarkar-karp")
    with pytest.raises(InputError, match="samples"):
        random_sampling([1, 2], 1, samples=0)
    with pytest.raises(InputError, match="baseline"):
        solve_heuristic(RSSInstance.create([1], 1), "edge")


def test_edge_popup_masks():
    target = random_network([2, 3, 1], seed=0, bias=True)
    rnd = random_network([2, 8, 1], seed=1, bias=True)
    m = edge_popup(target, rnd, keep=0.5, steps=50, seed=3)
    m.check(rnd)  # the random network's shapes
    for W, b in zip(m.weights, m.biases, strict=True):  # half of each layer's parameters
        assert W.sum() + b.sum() == round(0.5 * (W.size + b.size))
    again = edge_popup(target, rnd, keep=0.5, steps=50, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(m.weights, again.weights, strict=True))
    # relu(x) is inside relu(x) + relu(-x) - relu(x/2): edge-popup finds the exact mask
    t = Network.create([[[1.0]], [[1.0]]])
    r = Network.create([[[1.0], [-1.0], [0.5]], [[1.0, 1.0, -1.0]]])
    m = edge_popup(t, r, seed=0)
    assert MaskProblem.create(t, r).error(m) == 0
    with pytest.raises(InputError, match="keep"):
        edge_popup(t, r, keep=0)
    with pytest.raises(InputError, match="input and output|maps"):
        edge_popup(t, random_network([2, 3, 1], seed=0))
