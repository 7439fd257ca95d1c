"""Error brackets: certified bounds never below exact errors, attained errors never above the
exact sup (1-D by breakpoints, 2-D by an exact cell decomposition), `slth compare`."""

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from solvers.attack import ExactEvaluator, error_attack, exact_error
from solvers.bracket import box_doubles, error_bracket
from solvers.construction import subset_sum_construction
from solvers.linear_bounds import align, error_upper_bound, forward_split, split_layers
from solvers.networks import Network, construction_network, random_network, write_network
from solvers.numbers import InputError
from solvers.piecewise_linear import sup_error_box, sup_error_interval
from solvers.spectral_bounds import (
    cut_bound,
    cut_scalings,
    sigma_max_upper,
    spectral_error_bound,
)
from verify.cli import main

# --- the exact sup over a 2-D box: split the box into cells where both networks are affine ---


def _clip(poly, a, c):
    """The part of the convex polygon (exact vertices) where a . x + c >= 0."""
    out = []
    for i, p in enumerate(poly):
        q = poly[(i + 1) % len(poly)]
        vp, vq = a[0] * p[0] + a[1] * p[1] + c, a[0] * q[0] + a[1] * q[1] + c
        if vp >= 0:
            out.append(p)
        if (vp > 0 > vq) or (vp < 0 < vq):
            t = vp / (vp - vq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def _refine(cells, net, which):
    """Split every cell so that network ``which`` is affine on each; a cell carries, per network,
    the affine map (rows of (a0, a1, c)) of its current layer's outputs."""
    params = [([[Fraction(w) for w in row] for row in W.tolist()],
               [Fraction(0)] * W.shape[0] if b is None else [Fraction(v) for v in b.tolist()])
              for W, b in zip(net.weights, net.biases, strict=True)]
    for L, (W, b) in enumerate(params):
        new = []
        for poly, maps in cells:
            h = maps[which]
            pre = [(sum(w * r[0] for w, r in zip(row, h, strict=True)),
                    sum(w * r[1] for w, r in zip(row, h, strict=True)),
                    sum(w * r[2] for w, r in zip(row, h, strict=True)) + bk)
                   for row, bk in zip(W, b, strict=True)]
            pieces = [(poly, pre)]
            if L < len(params) - 1:
                for m in range(len(pre)):
                    split = []
                    for pg, act in pieces:
                        a0, a1, c = act[m]
                        vals = [a0 * v[0] + a1 * v[1] + c for v in pg]
                        if min(vals) >= 0:  # active on the whole cell: no split
                            split.append((pg, act))
                            continue
                        for sign in (1, -1):
                            part = _clip(pg, (sign * a0, sign * a1), sign * c)
                            if len(part) >= 3:
                                row = act[m] if sign == 1 else (Fraction(0),) * 3
                                split.append((part, act[:m] + [row] + act[m + 1:]))
                    pieces = split
            for pg, act in pieces:
                new.append((pg, {**maps, which: act}))
        cells = new
    return cells


def exact_sup_2d(f, g, lo, hi):
    """max over [lo, hi]^2 of ||f - g||_inf, exactly: both are affine on each cell, so the max
    is at a cell vertex."""
    lo, hi = Fraction(lo), Fraction(hi)
    ident = [(Fraction(1), Fraction(0), Fraction(0)), (Fraction(0), Fraction(1), Fraction(0))]
    cells = [([(lo, lo), (hi, lo), (hi, hi), (lo, hi)], {"f": ident, "g": ident})]
    cells = _refine(_refine(cells, f, "f"), g, "g")
    ef, eg = ExactEvaluator(f), ExactEvaluator(g)
    best = Fraction(-1)
    for poly, _ in cells:
        for v in poly:
            e = max(abs(a - b) for a, b in zip(f.forward_exact(list(v)), g.forward_exact(list(v)),
                                               strict=True))
            best = max(best, e)
    assert ef is not None and eg is not None
    return best


def pruned(target, width, seed=0):
    rnd, layout = construction_network(target, width, seed=seed)
    return subset_sum_construction(target, rnd, layout).pruned


def test_exact_sup_2d_on_a_hand_case():
    f = Network.create([[[1.0, 1.0]], [[1.0]]])                  # relu(x + y)
    g = Network.create([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0]]])  # relu(x) + relu(y)
    # |relu(x + y) - relu(x) - relu(y)| is min(|x|, |y|) where the signs differ: 1 at (1, -1)
    assert exact_sup_2d(f, g, -1, 1) == 1


# --- certified >= exact sup >= attained ------------------------------------------------------


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_bracket_of_small_constructions_2d(width):
    target = random_network([2, 2, 1], seed=0, bias=True)
    g = pruned(target, width)
    sup = exact_sup_2d(target, g, -1, 1)
    root = error_upper_bound(target, g, (-1.0, 1.0))
    br = error_bracket(target, g, (-1, 1), time_limit=5)
    assert br.attained <= sup <= Fraction(br.certified) <= Fraction(root.bound)
    assert br.ratio <= 1.2
    assert exact_error(target, g, br.attained_input) == br.attained


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**32 - 1))
@example(478)  # the attack's line search once stepped out of the box by one ulp
def test_bracket_of_random_pairs_2d(seed):
    f = random_network([2, 3, 1], seed=seed, bias=True)
    rng = np.random.default_rng(seed)
    # a perturbation of f (aligned: differential bounds) and an unrelated deeper network
    near = Network.create([W + rng.integers(-64, 65, W.shape) / 1024 for W in f.weights],
                          [b + rng.integers(-64, 65, b.shape) / 1024 for b in f.biases])
    far = random_network([2, 2, 2, 1], seed=seed + 1, bias=True)
    for g, mode in ((near, "differential"), (far, "independent")):
        sup = exact_sup_2d(f, g, Fraction(-1, 2), 1)
        root = error_upper_bound(f, g, (-0.5, 1.0))
        assert root.mode == mode
        br = error_bracket(f, g, ("-1/2", 1), time_limit=2)
        assert br.attained <= sup <= Fraction(br.certified) <= Fraction(root.bound)


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6))
def test_bracket_against_the_exact_sup_1d(seed, width):
    target = random_network([1, 3, 1], seed=seed, bias=True)
    for g in (pruned(target, width, seed), random_network([1, 2, 2, 1], seed=seed + 1)):
        sup, _ = sup_error_interval(target, g)
        root = error_upper_bound(target, g, (-1.0, 1.0))
        assert Fraction(root.bound) >= sup
        br = error_bracket(target, g, (-1, 1), time_limit=2)
        assert br.attained <= sup <= Fraction(br.certified)


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_spectral_bound_against_the_exact_sup_2d(seed):
    f = random_network([2, 3, 2], seed=seed, bias=True)
    rng = np.random.default_rng(seed)
    near = Network.create([W + rng.integers(-64, 65, W.shape) / 1024 for W in f.weights],
                          [b + rng.integers(-64, 65, b.shape) / 1024 for b in f.biases])
    t = random_network([2, 2, 1], seed=seed, bias=True)
    for a, b in ((f, near), (t, pruned(t, 1 + seed % 4, seed))):
        sup = exact_sup_2d(a, b, -1, 1)
        assert Fraction(spectral_error_bound(*align(a, b), -np.ones(2),
                                            np.ones(2)).per_output.max()) >= sup
        br = error_bracket(a, b, (-1, 1), time_limit=2, branch=False)  # linear + spectral
        assert br.attained <= sup <= Fraction(br.certified)


def near(f, seed, scale=64):
    """f with every weight and bias moved by a multiple of 2^-10 in [-scale, scale]."""
    rng = np.random.default_rng(seed)
    return Network.create([W + rng.integers(-scale, scale + 1, W.shape) / 1024
                           for W in f.weights],
                          [b + rng.integers(-scale, scale + 1, b.shape) / 1024 for b in f.biases])


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([(-1, 1), (0, 1), (-1, "1/2"), (-2, 0)]))
def test_spectral_bound_against_the_exact_sup_3d(seed, box):
    # boxes of fixed-sign inputs keep one column per input, straddling ones fold to (x, |x|)
    f = random_network([3, 4, 2], seed=seed, bias=True)
    g = near(f, seed)
    sup, _ = sup_error_box(f, g, box)
    (_, _), (lo, hi) = box_doubles(box)
    spec = spectral_error_bound(*align(f, g), np.full(3, lo), np.full(3, hi))
    assert Fraction(spec.per_output.max()) >= sup
    # the inputs the relaxations propose lie in the box, one batch per row
    assert np.all((spec.inputs >= lo) & (spec.inputs <= hi))
    assert sorted(set(spec.rows.tolist())) == list(range(4))


def test_spectral_bound_per_row_above_exact_errors_at_many_inputs():
    f = random_network([24, 16, 3], seed=7, bias=True)
    g = near(f, 7, scale=8)
    spec = spectral_error_bound(*align(f, g), -np.ones(24), np.ones(24))
    assert spec.per_output.max() < error_upper_bound(f, g, (-1.0, 1.0)).bound  # it helps here
    rng = np.random.default_rng(1)
    xs = np.vstack([np.where(rng.random((60, 24)) < 0.5, -1.0, 1.0),
                    rng.integers(-2**10, 2**10 + 1, (20, 24)) / 2**10, spec.inputs[:20]])
    ef, eg = ExactEvaluator(f), ExactEvaluator(g)
    for x in xs:
        diff = [a - b for a, b in zip(ef(x), eg(x), strict=True)]
        assert all(Fraction(spec.per_output[k]) >= diff[k] for k in range(3))
        assert all(Fraction(spec.per_output[3 + k]) >= -diff[k] for k in range(3))
    br = error_bracket(f, g, (-1, 1), time_limit=3, branch=False)
    assert br.method == "spectral (cut-norm) bounds"
    assert max(exact_error(ef, eg, x) for x in xs) <= br.attained <= Fraction(br.certified)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_cut_bound_against_the_brute_force_cut(seed):
    rng = np.random.default_rng(seed)
    C = rng.standard_normal((5, 4)) * (rng.random((5, 4)) < 0.8)
    r = rng.uniform(0.5, 2.0, 4)
    # max over y of tau . C y is sum_j r_j |(C^T tau)_j|: enumerate tau
    taus = np.array([[1 - 2 * ((m >> i) & 1) for i in range(5)] for m in range(32)])
    cut = max(math.fsum(r * np.abs(C.T @ tau)) for tau in taus)
    sol = cut_scalings(C, r, seed=seed)
    bound = cut_bound(C, r, sol.s, sol.t)
    assert cut <= bound <= 1.79 * cut + 1e-12  # Grothendieck's constant for the relaxation
    assert bound <= sol.value * (1 + 1e-3) + 1e-12  # the scalings reach the relaxation


def test_sigma_max_upper_is_above_the_singular_value():
    M = np.random.default_rng(0).standard_normal((40, 70))
    s = np.linalg.svd(M, compute_uv=False)[0]
    assert s <= sigma_max_upper(M) <= s * (1 + 1e-5)


def test_certified_is_above_exact_errors_at_many_inputs():
    target = random_network([4, 6, 3], seed=5, bias=True)
    g = pruned(target, 5, seed=5)
    bound = error_upper_bound(target, g, (-1.0, 1.0))
    assert bound.mode == "differential"
    ef, eg = ExactEvaluator(target), ExactEvaluator(g)
    rng = np.random.default_rng(0)
    xs = np.vstack([rng.integers(-2**20, 2**20 + 1, (150, 4)) / 2**20,
                    np.where(rng.random((50, 4)) < 0.5, -1.0, 1.0)])
    errs = [exact_error(ef, eg, x) for x in xs]
    assert max(errs) <= Fraction(bound.bound)
    att = error_attack(target, g, (-1.0, 1.0), extra_starts=bound.inputs, seed=1)
    assert max(errs) <= att.error <= Fraction(bound.bound)  # the attack beats random inputs


def test_the_bound_is_rigorous_where_floats_cancel():
    # identical networks: the certificate is the rounding slack only, the attained error 0
    f = random_network([3, 5, 2], seed=2, bias=True)
    br = error_bracket(f, f, (-1, 1), time_limit=1)
    assert br.attained == 0 and 0 <= br.certified < 1e-12
    # weights 1 and 1 + 2^-52 at x = 3: the float product rounds, the bound must not
    g = Network.create([[[1.0 + 2.0**-52]]])
    up = error_upper_bound(Network.create([[[1.0]]]), g, (0.0, 3.0))
    assert Fraction(up.bound) >= 3 * Fraction(2) ** -52


def test_exact_evaluator_and_collapse_agree_with_the_network():
    target = random_network([3, 4, 2], seed=1, bias=True)
    g = pruned(target, 6, seed=1)
    layers = split_layers(g)
    assert [lay.shape for lay in layers] == [(4, 3), (2, 4)]
    f_lay, g_lay = align(target, g)
    assert [lay.shape for lay in f_lay] == [lay.shape for lay in g_lay]
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (64, 3))
    assert np.allclose(forward_split(layers, X), g.forward(X), atol=1e-12)
    for x in X[:5]:
        assert ExactEvaluator(g)(x) == g.forward_exact(x)


def test_box_doubles_round_inward_and_outward():
    inner, outer = box_doubles(("1/3", "2/3"))
    assert Fraction(outer[0]) < Fraction(1, 3) < Fraction(inner[0])
    assert Fraction(inner[1]) < Fraction(2, 3) < Fraction(outer[1])


# --- slth compare ------------------------------------------------------------------------------


def test_compare_json(tmp_path, capsys):
    target = random_network([2, 2, 1], seed=0, bias=True)
    write_network(target, tmp_path / "t.json")
    write_network(pruned(target, 8), tmp_path / "p.npz")
    assert main(["compare", str(tmp_path / "t.json"), str(tmp_path / "p.npz"), "--box", "-1,1",
                 "--time-limit", "5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    att = Fraction(out["attained_error"])
    assert att <= Fraction(out["certified_error"]) <= att * Fraction(6, 5)
    assert out["bracket_ratio"] == pytest.approx(out["certified_error"] / float(att))
    x = out["attained_input"]
    assert exact_error(target, pruned(target, 8), x) == att
    assert main(["compare", str(tmp_path / "t.json"), str(tmp_path / "p.npz")]) == 0
    assert "certified" in capsys.readouterr().out


@pytest.mark.parametrize("branch,method", [(True, "differential linear bounds, branch and bound"),
                                           (False, "spectral (cut-norm) bounds")])
def test_compare_text_names_the_method(tmp_path, capsys, branch, method):
    f = random_network([3, 6, 2], seed=3, bias=True)
    write_network(f, tmp_path / "f.json")
    write_network(near(f, 3, scale=16), tmp_path / "g.json")
    args = ["compare", str(tmp_path / "f.json"), str(tmp_path / "g.json"), "--time-limit", "1"]
    assert main(args + ([] if branch else ["--no-branch"])) == 0
    line = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("certified")][0]
    assert f"(rigorous upper bound, {method}" in line
    assert main(args + ["--json"] + ([] if branch else ["--no-branch"])) == 0
    assert json.loads(capsys.readouterr().out)["certified_method"].startswith(method)


@pytest.mark.parametrize("args,fragment", [
    (["missing.json", "t.json"], "cannot read"),
    (["t.json", "wide.json"], "input and output sizes must agree"),
    (["t.json", "t.json", "--box", "nan,1"], "--box"),
    (["t.json", "t.json", "--box", "1,-1"], "LO < HI"),
    (["t.json", "t.json", "--box", "0"], "LO,HI"),
    (["t.json", "t.json", "--time-limit", "-1"], "--time-limit"),
    (["t.json", "bad.json"], "finite"),
])
def test_compare_bad_input(tmp_path, capsys, monkeypatch, args, fragment):
    monkeypatch.chdir(tmp_path)
    write_network(random_network([2, 2, 1], seed=0), tmp_path / "t.json")
    write_network(random_network([3, 2, 1], seed=0), tmp_path / "wide.json")
    (tmp_path / "bad.json").write_text('{"layers": [{"weight": [[NaN, 1]]}]}')
    assert main(["compare", *args]) == 2
    err = capsys.readouterr().err
    assert fragment in err and len(err.strip().splitlines()) == 1


def test_memory_estimate_refuses_before_allocating(monkeypatch):
    import solvers.bracket as bracket

    f = random_network([2, 2, 1], seed=0)
    monkeypatch.setattr(bracket, "MAX_MEMORY", 1000)
    with pytest.raises(InputError, match="GB limit"):
        error_bracket(f, f, (-1, 1))
