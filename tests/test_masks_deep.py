"""Exact sups of deep two-input networks (linear regions) and exact masks of deeper networks."""

from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

from solvers import masks_deep
from solvers.instances import MaskProblem
from solvers.masks import (
    MaskCertificate,
    enumerate_masks,
    exact_engine_applies,
    exact_optimal_mask,
    verify_mask_certificate,
)
from solvers.masks_deep import deep_master_optimum, deep_search, mask_bits_of
from solvers.networks import construction_network, mask_of_bits, random_network
from solvers.piecewise_linear import errors_at_points, integer_layers, sup_error_box
from solvers.pruning import optimal_mask
from solvers.regions import linear_regions, region_vertices, sup_error_regions, worst_vertices

TARGET = random_network([2, 2, 1], seed=0, bias=True)


@pytest.mark.parametrize("seed", range(4))
def test_regions_agree_with_the_arrangement_on_one_hidden_layer(seed):
    f = random_network([2, 3, 1], seed=seed, bias=True)
    g = random_network([2, 5, 1], seed=seed + 10, bias=seed != 1)
    assert sup_error_regions(f, g)[0] == sup_error_box(f, g)[0]
    box = (Fraction(-1, 2), Fraction(3, 4))
    assert sup_error_regions(f, g, box)[0] == sup_error_box(f, g, box)[0]


@pytest.mark.parametrize("width", [1, 3])
def test_deep_sup_is_the_largest_vertex_error_and_bounds_every_sample(width):
    rnd, _ = construction_network(TARGET, width, seed=0)
    sup, x = sup_error_regions(TARGET, rnd)
    # attained: the arg max's exact error is the sup, and it is inside the box
    assert max(abs(a - b) for a, b in zip(TARGET.forward_exact(x), rnd.forward_exact(x),
                                           strict=True)) == sup
    assert all(-1 <= v <= 1 for v in x)
    # the max over every region vertex, evaluated independently (integer forward passes)
    verts = region_vertices(linear_regions([TARGET, rnd]))
    assert max(errors_at_points(integer_layers(TARGET), integer_layers(rnd), verts)) == sup
    # an upper bound: exact errors at sampled inputs never exceed it
    pts = np.random.default_rng(width).uniform(-1, 1, (300, 2))
    errs = [max(abs(a - b) for a, b in zip(TARGET.forward_exact(p), rnd.forward_exact(p),
                                           strict=True)) for p in pts]
    assert max(errs) <= sup
    assert worst_vertices(TARGET, rnd, count=3)[0][0] == sup


def _small_cases():
    rng = np.random.default_rng(0)
    for seed, sizes in enumerate([[1, 2, 2, 1], [2, 2, 2, 1], [2, 3, 2, 1], [1, 2, 2, 2, 1]]):
        for bias in (True, False):
            target = random_network([sizes[0], 2, 1], seed=seed + 100, bias=True)
            rnd = random_network(sizes, seed=seed, bias=bias)
            xs = [[Fraction(float(v)) for v in rng.uniform(-1, 1, sizes[0])] for _ in range(5)]
            yield target, rnd, xs


@pytest.mark.parametrize("structured", [True, False])
def test_deep_master_agrees_with_enumeration_on_finite_inputs(structured):
    checked = 0
    for target, rnd, xs in _small_cases():
        prob = MaskProblem.create(target, rnd, structured=structured, inputs=xs)
        if prob.n_bits > 15:
            continue
        best, _ = enumerate_masks(prob)
        err, bits, proven = deep_master_optimum(target, rnd, xs, structured=structured)
        assert proven and err == best
        assert prob.error(mask_of_bits(rnd, structured, bits)) == err
        checked += 1
    assert checked >= 6


@pytest.mark.parametrize("structured, sizes", [(True, [2, 3, 2, 1]), (False, [2, 2, 2, 1])])
def test_deep_exact_engine_agrees_with_enumeration_over_the_box(structured, sizes):
    rnd = random_network(sizes, seed=3, bias=structured)
    prob = MaskProblem.create(TARGET, rnd, structured=structured)
    assert prob.exact_errors and prob.n_bits <= 10
    best, _ = enumerate_masks(prob)
    res = exact_optimal_mask(TARGET, rnd, structured=structured)
    assert res.status == "optimal" and res.error == best == res.certificate.lower
    assert prob.error(res.mask) == res.error
    assert exact_engine_applies(TARGET, rnd)


@pytest.mark.parametrize("structured, sizes", [(True, [2, 3, 2, 1]), (False, [2, 2, 2, 1])])
def test_short_master_slices_keep_the_proof(monkeypatch, structured, sizes):
    # slices that run out hand back masks (or none) and double; only an infeasible master
    # proves, so the optimum is the enumerated one however short the first slice
    monkeypatch.setattr(masks_deep, "MASTER_SLICE", 0.001)
    rnd = random_network(sizes, seed=3, bias=structured)
    best, _ = enumerate_masks(MaskProblem.create(TARGET, rnd, structured=structured))
    res = deep_search(TARGET, rnd, structured=structured, lo=Fraction(-1), hi=Fraction(1))
    assert res.proven and res.upper == res.lower == best


def test_construction_network_exact_against_mip_and_certificate():
    rnd, _ = construction_network(TARGET, 1, seed=0)
    res = optimal_mask(TARGET, rnd, structured=True)  # auto: the exact engine
    assert res.status == "optimal" and res.certificate is not None
    assert res.error == sup_error_regions(TARGET, rnd.masked(res.mask))[0]
    mip = optimal_mask(TARGET, rnd, structured=True, engine="scip", time_limit=60)
    assert mip.status == "optimal_within_tolerance"
    assert abs(mip.upper - float(res.error)) <= 1e-4
    assert mip.lower_bound <= float(res.error) + mip.tolerance
    prob = MaskProblem.create(TARGET, rnd, structured=True)
    holds, why = verify_mask_certificate(prob, res.mask, res.certificate)
    assert holds, why
    cert = MaskCertificate.from_json(res.certificate.to_json())
    forged = replace(cert, lower=cert.lower + Fraction(1, 10**6))
    holds, why = verify_mask_certificate(prob, res.mask, forged)
    assert holds is False and "lower bound" in why
    worse = mask_of_bits(rnd, True, mask_bits_of(rnd, True, res.mask) ^ 1)
    holds, why = verify_mask_certificate(prob, worse, cert)
    assert holds is False and "exact error" in why


def test_unstructured_construction_network_width_one_is_optimal():
    rnd, _ = construction_network(TARGET, 1, seed=0)
    res = optimal_mask(TARGET, rnd)
    assert res.status == "optimal" and res.error == res.certificate.lower
    structured = optimal_mask(TARGET, rnd, structured=True)
    assert res.error <= structured.error  # every structured mask is an unstructured one
    seen = []
    optimal_mask(TARGET, rnd, structured=True, progress=seen.append)
    assert seen and seen[-1] == 1.0 and all(0 <= f <= 1 for f in seen)
