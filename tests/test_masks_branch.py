"""The branch and bound for unstructured masks of d -> h1 -> k -> h3 -> 1 networks."""

import itertools
import time
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

from solvers import masks_branch
from solvers.instances import MaskProblem
from solvers.masks import (
    MaskCertificate,
    enumerate_masks,
    exact_master_optimum,
    exact_optimal_mask,
    verify_mask_certificate,
)
from solvers.masks_branch import (
    LayeredOptions,
    branch_applies,
    branch_master_optimum,
    branch_search,
    collect,
)
from solvers.masks_deep import _integer_point, deep_search
from solvers.networks import (
    Network,
    NetworkMask,
    construction_network,
    mask_of_bits,
    random_network,
)
from solvers.piecewise_linear import errors_at_points, integer_layers
from solvers.regions import sup_error_regions

TARGET = random_network([2, 2, 1], seed=0, bias=True)
ONE, MINUS = Fraction(1), Fraction(-1)


def _net(sizes, seed, biases):
    """A random network of these sizes; ``biases[L]``: whether layer L has a bias."""
    rng = np.random.default_rng(seed)
    ws = [rng.uniform(-1, 1, (b, a)) for a, b in itertools.pairwise(sizes)]
    bs = [rng.uniform(-1, 1, b) if has else None
          for b, has in zip(sizes[1:], biases, strict=True)]
    return Network.create(ws, bs)


# every kind of option: first-layer biases or not, the narrow layer's and the output's biases
CASES = [([1, 2, 1, 2, 1], (True, True, True, True)),
         ([1, 2, 2, 1, 1], (True, False, True, False)),
         ([2, 2, 1, 1, 1], (True, True, False, True)),
         ([2, 1, 2, 2, 1], (False, False, True, False))]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_branch_search_agrees_with_enumeration_over_the_box(case):
    sizes, biases = CASES[case]
    rnd = _net(sizes, case, biases)
    target = random_network([sizes[0], 2, 1], seed=case + 50, bias=True)
    prob = MaskProblem.create(target, rnd)
    assert prob.exact_errors and prob.n_bits <= 16 and branch_applies(target, rnd)
    best, _ = enumerate_masks(prob)
    res = branch_search(target, rnd, lo=MINUS, hi=ONE)
    assert res.proven and res.upper == res.lower == best
    assert prob.error(res.best) == best


@pytest.mark.parametrize("case", range(len(CASES)))
def test_branch_master_agrees_with_enumeration_on_finite_inputs(case):
    sizes, biases = CASES[case]
    rnd = _net(sizes, case + 10, biases)
    target = random_network([sizes[0], 2, 1], seed=case + 60, bias=True)
    rng = np.random.default_rng(case)
    xs = [[Fraction(float(v)) for v in rng.uniform(-1, 1, sizes[0])] for _ in range(6)]
    xs.append([Fraction(1, 3)] * sizes[0])  # not a double: rounded in the floating walk
    prob = MaskProblem.create(target, rnd, inputs=xs)
    best, _ = enumerate_masks(prob)
    lo, hi = min(min(x) for x in xs), max(max(x) for x in xs)
    err, mask, proven = branch_master_optimum(target, rnd, xs, lo=lo, hi=hi,
                                              start=NetworkMask.full(rnd))
    assert proven and err == best == prob.error(mask)
    # and the public entry point routes there
    assert exact_master_optimum(target, rnd, xs)[0] == best


def test_collect_lists_every_mask_under_the_cap():
    sizes, biases = CASES[0]
    rnd = _net(sizes, 7, biases)
    target = random_network([1, 2, 1], seed=8, bias=True)
    points = [_integer_point([Fraction(v, 4)]) for v in range(-4, 5)]
    lf = integer_layers(target)
    n = rnd.n_params
    errs = [max(errors_at_points(lf, integer_layers(rnd.masked(mask_of_bits(rnd, False, b))),
                                 points)) for b in range(1 << n)]
    cap = sorted(set(errs))[len(set(errs)) // 3]  # a third of the error values are below
    opts = LayeredOptions.create(rnd, MINUS, ONE)
    walk = collect(target, opts, points, cap)
    assert not walk.overflow and not walk.stopped
    listed = [max(errors_at_points(lf, integer_layers(rnd.masked(opts.mask(r))), points))
              for r in walk.rows]
    assert {e for e in errs if e < cap} <= set(listed)
    assert len(walk.rows) <= opts.classes < 1 << n
    # the floating margin only ever adds classes, never drops one; exactly they are all
    # either under the cap or within the margin of it
    assert all(e < cap + Fraction(1, 10**6) for e in listed)


def test_branch_agrees_with_the_deep_engine_and_certifies():
    rnd, _ = construction_network(TARGET, 1, seed=0)
    deep = deep_search(TARGET, rnd, structured=False, lo=MINUS, hi=ONE)
    res = exact_optimal_mask(TARGET, rnd)  # routed to the branch and bound
    assert deep.proven and res.status == "optimal" and "branch and bound" in res.proof
    assert res.error == deep.upper == res.certificate.lower
    assert res.error == sup_error_regions(TARGET, rnd.masked(res.mask))[0]
    prob = MaskProblem.create(TARGET, rnd)
    holds, why = verify_mask_certificate(prob, res.mask, res.certificate)
    assert holds, why
    cert = MaskCertificate.from_json(res.certificate.to_json())
    forged = replace(cert, lower=cert.lower + Fraction(1, 10**9))
    holds, why = verify_mask_certificate(prob, res.mask, forged)
    assert holds is False and "lower bound" in why


def test_applicability():
    assert branch_applies(TARGET, construction_network(TARGET, 2, seed=0)[0])
    assert not branch_applies(TARGET, construction_network(TARGET, 3, seed=0)[0])  # 22^9 choices
    assert not branch_applies(TARGET, random_network([2, 3, 2, 1], seed=0))  # two hidden layers
    wide_out = _net([2, 2, 1, 2, 2], 0, (True,) * 4)
    assert not branch_applies(random_network([2, 2, 2], seed=0), wide_out)


def test_time_limit_holds_and_keeps_an_honest_upper_bound(monkeypatch):
    rnd, _ = construction_network(TARGET, 2, seed=0)
    branch_search(TARGET, _net([2, 2, 1, 2, 1], 0, (True, False, True, False)),
                  lo=MINUS, hi=ONE)  # compiled before the clock starts
    start = time.perf_counter()
    res = branch_search(TARGET, rnd, lo=MINUS, hi=ONE, time_limit=1.0)
    assert time.perf_counter() - start < 10
    assert not res.proven and res.lower < res.upper
    assert res.upper == sup_error_regions(TARGET, rnd.masked(res.best))[0]


def test_too_many_survivors_repeat_the_walk_with_more_inputs(monkeypatch):
    # a survivor list of one: every walk overflows until its inputs rule out all but one
    monkeypatch.setattr(masks_branch, "BRANCH_MAX_SURVIVORS", 1)
    sizes, biases = CASES[1]
    rnd = _net(sizes, 1, biases)
    target = random_network([1, 2, 1], seed=51, bias=True)
    best, _ = enumerate_masks(MaskProblem.create(target, rnd))
    res = branch_search(target, rnd, lo=MINUS, hi=ONE)
    assert res.upper == best
    assert res.lower <= best and (res.proven or res.walks == masks_branch.BRANCH_MAX_WALKS)
    assert res.walks > 2  # the overflowing walks were repeated


def test_values_beyond_the_doubles_go_to_the_layered_master():
    # weights of 1e200: products overflow a double, so the walk must not take them
    rng = np.random.default_rng(0)
    ws = [rng.uniform(-1, 1, (2, 1)) * 1e200, rng.uniform(-1, 1, (1, 2)) * 1e200,
          rng.uniform(-1, 1, (2, 1)), rng.uniform(-1, 1, (1, 2))]
    rnd = Network.create(ws, [None] * 4)
    target = random_network([1, 2, 1], seed=0, bias=True)
    assert branch_applies(target, Network.create([w / 1e200 if i < 2 else w
                                                  for i, w in enumerate(ws)], [None] * 4))
    assert not branch_applies(target, rnd)
    with pytest.raises(masks_branch.InputError, match="2\\^200"):
        branch_search(target, rnd, lo=MINUS, hi=ONE)
    # nor can the layered master's CP-SAT integers: one clear line, no traceback
    with pytest.raises(masks_branch.InputError, match="the exact master needs them within"):
        exact_optimal_mask(target, rnd, time_limit=30)
