"""Exact optimal masks: exact sups over boxes, the CP-SAT master, certificates; all against
exhaustive search and the MIP."""

import itertools
import json
from fractions import Fraction

import numpy as np
import pytest

import verify.cli as cli
from solvers.instances import MaskProblem
from solvers.masks import (
    MaskCertificate,
    enumerate_masks,
    exact_master_optimum,
    exact_optimal_mask,
    verify_mask_certificate,
)
from solvers.networks import Network, random_network
from solvers.numbers import InputError
from solvers.piecewise_linear import sup_error_box
from solvers.pruning import optimal_mask
from verify.certify import certify_record


def grid_max(f, g, d, n=24):
    """max ||f - g||_inf on a regular rational grid of [-1, 1]^d (a lower bound of the sup)."""
    ticks = [Fraction(2 * i, n) - 1 for i in range(n + 1)]
    return max(max(abs(a - b) for a, b in zip(f.forward_exact(x), g.forward_exact(x),
                                              strict=True))
               for x in itertools.product(ticks, repeat=d))


@pytest.mark.parametrize("d, seed", [(2, 0), (2, 1), (3, 2)])
def test_exact_sup_is_attained_and_above_a_grid(d, seed):
    f = random_network([d, 2, 1], seed=seed, bias=True)
    g = random_network([d, 5, 2, 1][:3] if d == 2 else [d, 3, 1], seed=seed + 7, bias=True)
    f = random_network([d, 2, g.sizes[-1]], seed=seed, bias=True)
    sup, arg = sup_error_box(f, g)
    attained = max(abs(a - b) for a, b in zip(f.forward_exact(arg), g.forward_exact(arg),
                                              strict=True))
    assert attained == sup and all(-1 <= v <= 1 for v in arg)
    assert grid_max(f, g, d, 24 if d == 2 else 8) <= sup


def test_exact_sup_by_hand():
    # relu(x1 + x2) against (x1 + x2) / 2: |.| = |x1 + x2| / 2, largest at (-1, -1)
    f = Network.create([[[1.0, 1.0]], [[1.0]]])
    g = Network.create([[[0.5, 0.5]]])
    assert sup_error_box(f, g) == (Fraction(1), (Fraction(-1), Fraction(-1)))
    with pytest.raises(InputError, match="one hidden layer"):
        sup_error_box(random_network([2, 2, 2, 1], seed=0), random_network([2, 2, 1], seed=0))


SMALL = [((2, 2, 1), (2, 2, 1), False), ((2, 2, 1), (2, 3, 1), True), ((2, 1, 1), (2, 4, 1), True),
         ((1, 2, 1), (1, 3, 1), False), ((3, 1, 1), (3, 2, 1), False)]


@pytest.mark.parametrize("case", range(len(SMALL)))
def test_exact_box_optimum_equals_exhaustive_search(case):
    t_sizes, r_sizes, structured = SMALL[case]
    target = random_network(t_sizes, seed=40 + case, bias=True)
    rnd = random_network(r_sizes, seed=50 + case, bias=True)
    prob = MaskProblem.create(target, rnd, structured=structured)
    best, _ = enumerate_masks(prob)
    res = exact_optimal_mask(target, rnd, structured=structured)
    assert res.status == "optimal" and res.error == best == prob.error(res.mask)
    assert res.certificate.lower == res.certificate.upper == best
    assert verify_mask_certificate(prob, res.mask, res.certificate)[0] is True


@pytest.mark.parametrize("structured", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_cpsat_master_equals_exhaustive_and_the_mip_on_finite_sets(seed, structured):
    target = random_network([2, 2, 1], seed=seed, bias=True)
    rnd = random_network([2, 3, 1], seed=seed + 3, bias=True)  # 13 bits
    X = np.random.default_rng(seed).uniform(-1, 1, (5, 2))
    xs = [[Fraction(float(v)) for v in x] for x in X]
    best, _ = enumerate_masks(MaskProblem.create(target, rnd, structured=structured, inputs=X))
    err, mask, proven = exact_master_optimum(target, rnd, xs, structured=structured)
    assert proven and err == best
    mip = optimal_mask(target, rnd, structured=structured, inputs=X, engine="scip")
    assert abs(float(mip.error - best)) <= mip.tolerance


def test_exact_engine_agrees_with_the_mip_over_the_box():
    target = random_network([2, 2, 1], seed=0, bias=True)
    rnd = random_network([2, 6, 1], seed=1, bias=True)  # 25 bits
    ex = optimal_mask(target, rnd)
    mip = optimal_mask(target, rnd, engine="scip")
    assert ex.status == "optimal" and mip.status == "optimal_within_tolerance"
    assert ex.error <= MaskProblem.create(target, rnd).error(mip.mask)
    assert abs(float(ex.error) - mip.upper) <= 1e-5


def test_certificates_are_re_derived_and_tampering_is_caught():
    target = random_network([2, 2, 1], seed=2, bias=True)
    rnd = random_network([2, 4, 1], seed=3, bias=True)
    prob = MaskProblem.create(target, rnd)
    res = exact_optimal_mask(target, rnd)
    cert = res.certificate
    assert verify_mask_certificate(prob, res.mask, cert)[0] is True
    higher = MaskCertificate(cert.inputs, cert.upper, cert.upper + 1, cert.worst_input)
    assert verify_mask_certificate(prob, res.mask, higher)[0] is False
    few = MaskCertificate(cert.inputs[:1], cert.upper, cert.lower, cert.worst_input)
    assert verify_mask_certificate(prob, res.mask, few)[0] is False  # one input: too little
    outside = MaskCertificate(((Fraction(2), Fraction(0)),), cert.upper, cert.lower, ())
    assert verify_mask_certificate(prob, res.mask, outside)[0] is False
    rec = {"instance": prob.to_json(), "instance_hash": prob.hash(),
           "solution": {**res.to_json(), "mask": res.mask.to_json()}, "optimum": res.to_json()["error"]}
    assert all(c.outcome == "holds" for c in certify_record(rec))
    rec["solution"]["certificate"]["lower"] = str(cert.upper + 1)
    assert any(c.outcome == "contradicted" for c in certify_record(rec))


@pytest.mark.parametrize("text, message", [
    ('{"target": {"layers": [{"weight": [[1e400, 1]]}]}, "random": {"layers": []}}', "layers"),
    ('{"target": {"layers": [{"weight": [["x", 1]]}]}}', "weight"),
    ('[1, 2]', "expected an object"),
])
def test_hostile_mask_problem_files_exit_2(tmp_path, capsys, text, message):
    path = tmp_path / "c.json"
    path.write_text(text.replace("}}", '}, "eps": "0.1", "conjecture": "no-mask-within"}'
                                 if text.startswith("{") else "}}"))
    assert cli.main(["check", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err


def test_exact_engine_bad_input():
    with pytest.raises(InputError, match="one hidden layer"):
        exact_optimal_mask(random_network([3, 2, 1], seed=0), random_network([3, 2, 2, 1], seed=0))
    with pytest.raises(InputError, match="exact engine minimises"):
        optimal_mask(random_network([2, 2, 1], seed=0), random_network([2, 2, 1], seed=1),
                     engine="exact", eps="0.1")
    with pytest.raises(InputError, match="engine is"):
        optimal_mask(random_network([2, 1], seed=0), random_network([2, 1], seed=0), engine="x")
    assert json.dumps(exact_optimal_mask(random_network([1, 1, 1], seed=0),
                                         random_network([1, 2, 1], seed=1)).to_json())


def test_network_masks_truth_is_certified_and_scored():
    from verify import score
    from verify.truth import truth_records

    recs = truth_records("network-masks", 3, seed=2, indices=[0, 1])
    for rec in recs:
        assert rec["solution"]["status"] == "optimal"
        prob = MaskProblem.from_json(rec["instance"])
        assert Fraction(rec["optimum"]) == enumerate_masks(prob)[0]  # 13 bits: every mask
        checks = certify_record(rec)
        assert all(c.outcome == "holds" for c in checks)
        assert any("certificate" in c.detail for c in checks)
    for baseline in ("greedy-removal", "edge-popup"):
        rep = score.score_answers(recs, score.baseline_answers(recs, baseline))
        assert all(r.verdict in ("optimal", "suboptimal") for r in rep.rows)
