"""`slth check`: verdicts agree with brute force in every conjecture kind; documented exit codes."""

import json
from fractions import Fraction
from itertools import combinations, product

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.instances import MaskProblem, MRSSInstance, RSSInstance
from solvers.networks import NetworkMask, random_network
from solvers.piecewise_linear import sup_error_interval
from solvers.pruning import optimal_mask
from verify import check
from verify.check import check_conjecture, check_no_mask_within, check_no_subset_within
from verify.cli import SlthParser, main


def all_sums(values):
    """{subset sum: one subset} over all 2^n subsets, by itertools, in Fractions."""
    vals = [Fraction(v) for v in values]
    out = {}
    for k in range(len(vals) + 1):
        for sub in combinations(range(len(vals)), k):
            out.setdefault(sum((vals[i] for i in sub), Fraction(0)), sub)
    return out


def brute_optimum(values, target, k=None):
    vals = [Fraction(v) for v in values]
    sizes = [k] if k is not None else range(len(vals) + 1)
    return min(abs(Fraction(target) - sum((vals[i] for i in sub), Fraction(0)))
               for s in sizes for sub in combinations(range(len(vals)), s))


small = st.one_of(st.integers(-12, 12), st.fractions(min_value=-2, max_value=2, max_denominator=16),
                  st.floats(-1, 1, allow_nan=False))


@settings(max_examples=120, deadline=None)
@given(st.lists(small, min_size=1, max_size=9), small, st.fractions(0, 2, max_denominator=64),
       st.data())
def test_no_subset_within_agrees_with_brute_force_1d(values, target, eps, data):
    k = data.draw(st.one_of(st.none(), st.integers(0, len(values))))
    v = check_conjecture({"conjecture": "no-subset-within", "values": values, "target": target,
                          "eps": str(eps), "cardinality": k})
    best = brute_optimum(values, target, k)
    inst = RSSInstance.create(values, target, cardinality=k)
    if best <= eps:
        assert v.verdict == "refuted" and v.exit_code == 1
        sub = v.witness["subset"]
        assert inst.admits(len(sub)) and inst.error(sub) <= eps
        assert Fraction(v.witness["error"]) == inst.error(sub)
    else:
        assert v.verdict == "confirmed" and v.exit_code == 0
        assert v.optimum == best
    assert v.instance == inst.to_json()


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 7), st.integers(1, 3), st.integers(0, 2**32 - 1),
       st.sampled_from(["inf", "1"]), st.fractions(0, 2, max_denominator=8))
def test_no_subset_within_agrees_with_brute_force_dd(n, d, seed, norm, eps):
    rng = np.random.default_rng(seed)
    vecs = np.round(rng.normal(size=(n, d)) * 8) / 8
    z = np.round(rng.uniform(-1, 1, d) * 8) / 8
    inst = MRSSInstance.create(vecs, z, norm=norm)
    best = min(inst.error(sub) for k in range(n + 1) for sub in combinations(range(n), k))
    v = check_no_subset_within(inst, eps)
    assert v.verdict == ("refuted" if best <= eps else "confirmed")
    if v.verdict == "refuted":
        assert inst.error(v.witness["subset"]) <= eps
    else:
        assert v.optimum == best


def brute_cover(values, eps, a, b):
    """(covered, an uncovered point or None) from the sorted subset sums."""
    sums = sorted(all_sums(values))
    eps, a, b = Fraction(eps), Fraction(a), Fraction(b)
    if sums[0] - eps > a:
        return False, a
    if sums[-1] + eps < b:
        return False, b
    for lo, hi in zip(sums, sums[1:], strict=False):
        if hi - lo > 2 * eps and lo + eps < b and hi - eps > a:
            return False, max(a, min(b, (lo + hi) / 2))
    return True, None


@settings(max_examples=120, deadline=None)
@given(st.lists(small, min_size=1, max_size=8), st.fractions(1 / 64, 1, max_denominator=64),
       st.fractions(-2, 1, max_denominator=8), st.fractions(1 / 8, 2, max_denominator=8))
def test_not_covered_agrees_with_brute_force(values, eps, a, width):
    b = a + width
    v = check_conjecture({"conjecture": "not-covered", "values": values, "eps": str(eps),
                          "interval": [str(a), str(b)]})
    covered, _ = brute_cover(values, eps, a, b)
    sums = all_sums(values)
    if covered:
        assert v.verdict == "refuted" and Fraction(v.witness["covering_radius"]) <= eps
    else:
        assert v.verdict == "confirmed"
        z = Fraction(v.witness["point"])
        assert a <= z <= b
        assert min(abs(z - s) for s in sums) == Fraction(v.witness["distance"]) > eps


def run_cli(tmp_path, capsys, conj, *extra):
    path = tmp_path / "conj.json"
    path.write_text(json.dumps(conj))
    parser = SlthParser(prog="slth")
    sub = parser.add_subparsers(dest="command", parser_class=SlthParser)
    check.register(sub)
    args = parser.parse_args(["check", str(path), *extra])
    rc = args.func(args)
    return rc, capsys.readouterr().out


def test_exit_codes_and_json(tmp_path, capsys):
    base = {"conjecture": "no-subset-within", "values": [3, 5, 9], "target": 13}
    rc, out = run_cli(tmp_path, capsys, {**base, "eps": "0.5"}, "--json")
    assert rc == 0 and json.loads(out)["optimum"] == "1"
    rc, out = run_cli(tmp_path, capsys, {**base, "eps": 1})
    assert rc == 1 and "REFUTED" in out
    # 56 random doubles, eps 0: the exact search needs many seconds, the limit is 0.1 s
    vals = np.random.default_rng(5).uniform(-1, 1, 56).tolist()
    rc, out = run_cli(tmp_path, capsys, {"conjecture": "no-subset-within", "values": vals,
                                         "target": 0.123, "eps": 0}, "--time-limit", "0.1",
                      "--json")
    res = json.loads(out)
    assert rc == 3 and res["verdict"] == "undecided"
    assert Fraction(res["upper_bound"]) > 0 and res["lower_bound"] == "0"


@pytest.mark.parametrize("conj,fragment", [
    ({"conjecture": "nope", "eps": 1}, "conjecture is 'nope'"),
    ({"conjecture": "no-subset-within", "values": [1], "target": 0}, "needs 'eps'"),
    ({"conjecture": "no-subset-within", "values": [1], "target": 0, "eps": -1}, "eps is -1"),
    ({"conjecture": "not-covered", "values": [1], "eps": 0}, "eps is 0"),
    ({"conjecture": "not-covered", "values": [1], "eps": 1, "interval": [1, 0]}, "interval"),
    ({"conjecture": "no-subset-within", "values": [1], "target": 0, "eps": 1, "x": 2},
     "unknown keys ['x']"),
])
def test_bad_input_exits_2(tmp_path, capsys, monkeypatch, conj, fragment):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(conj))
    monkeypatch.setattr("verify.cli.SUBCOMMAND_MODULES", ["verify.check"])
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1


def all_masks(random):
    """Every unstructured mask, built independently of verify.check."""
    shapes = [W.shape for W in random.weights] + [b.shape for b in random.biases if b is not None]
    sizes = [int(np.prod(s)) for s in shapes]
    for bits in product([False, True], repeat=sum(sizes)):
        arrays, pos = [], 0
        for shape, size in zip(shapes, sizes, strict=True):
            arrays.append(np.array(bits[pos:pos + size]).reshape(shape))
            pos += size
        L = random.n_layers
        biases = iter(arrays[L:])
        yield NetworkMask(tuple(arrays[:L]),
                          tuple(None if b is None else next(biases) for b in random.biases))


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**32 - 1), st.fractions(0, 1, max_denominator=16))
def test_no_mask_within_agrees_with_brute_force_on_inputs(seed, eps):
    target = random_network([2, 1, 1], seed=seed)
    rnd = random_network([2, 2, 1], seed=seed + 1, bias=True)
    xs = np.random.default_rng(seed).uniform(-1, 1, (3, 2)).round(3).tolist()
    best = min(max(max(abs(a - b) for a, b in zip(target.forward_exact(x),
                                                  rnd.masked(m).forward_exact(x), strict=True))
                   for x in xs) for m in all_masks(rnd))
    prob = MaskProblem.create(target, rnd, inputs=xs)
    v = check_no_mask_within(prob, eps)
    assert v.optimum == best and v.exact
    assert v.verdict == ("refuted" if best <= eps else "confirmed")


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_exact_sup_over_an_interval(seed):
    f = random_network([1, 2, 1], seed=seed, bias=True)
    g = random_network([1, 3, 2, 1], seed=seed + 1, bias=True)
    sup, arg = sup_error_interval(f, g)

    def err(x):
        return max(abs(a - b) for a, b in zip(f.forward_exact([x]), g.forward_exact([x]),
                                              strict=True))

    assert err(arg) == sup and -1 <= arg <= 1  # attained
    assert max(err(Fraction(k, 64)) for k in range(-64, 65)) <= sup  # above a fine grid


def test_no_mask_within_on_the_box_and_structured():
    target = random_network([1, 2, 1], seed=3, bias=True)
    rnd = random_network([1, 3, 1], seed=4, bias=True)
    v = check_no_mask_within(MaskProblem.create(target, rnd), "1/2")
    mip = optimal_mask(target, rnd)
    assert abs(float(v.optimum) - mip.upper) <= 2 * mip.tolerance  # the MIP agrees
    s = check_no_mask_within(MaskProblem.create(target, rnd, structured=True), "1/2")
    assert s.optimum >= v.optimum  # whole neurons are a subset of all masks
    assert s.witness["kept"] <= rnd.n_params


def test_no_mask_within_is_exact_beyond_exhaustive_search():
    # 2 inputs, 8 hidden neurons: 33 bits, beyond exhaustive search; the exact engine decides
    from solvers.masks import MASK_ENUMERATION_MAX_BITS
    from solvers.networks import Network, random_network

    target = random_network([2, 2, 1], seed=0, bias=True)
    big = random_network([2, 32, 1], seed=1, bias=True)
    rnd = Network.create([big.weights[0][:8], big.weights[1][:, :8]], [big.biases[0][:8],
                                                                       big.biases[1]])
    prob = MaskProblem.create(target, rnd)
    assert prob.n_bits > MASK_ENUMERATION_MAX_BITS
    opt = check_no_mask_within(prob, 0, time_limit=120)
    assert opt.verdict == "confirmed" and opt.exact and opt.optimum is not None
    assert opt.lower_bound == opt.upper_bound == opt.optimum
    # eps at the optimum: refuted by the optimal mask itself, exactly
    at = check_no_mask_within(prob, opt.optimum, time_limit=120)
    assert at.verdict == "refuted" and at.exact and at.upper_bound == opt.optimum
