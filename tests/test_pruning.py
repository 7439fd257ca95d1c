"""The subset-sum construction and the optimal masks against brute force; `slth prune`."""

import itertools
import json
import math
from fractions import Fraction

import numpy as np
import pytest

import verify.cli as cli
from solvers.construction import subset_sum_construction, sup_error_sampled
from solvers.graph import dead_neurons, pruning_kind, to_digraph
from solvers.networks import Network, NetworkMask, construction_network, random_network
from solvers.numbers import InputError
from solvers.pruning import optimal_mask, required_width, theorem_width


def target_net(seed, sizes=(3, 4, 2), bias=True, lo=-0.46, hi=0.54):
    rng = np.random.default_rng(seed)
    return Network.create(
        [rng.uniform(lo, hi, (sizes[i + 1], sizes[i])) for i in range(len(sizes) - 1)],
        [rng.uniform(lo, hi, sizes[i + 1]) if bias else None for i in range(len(sizes) - 1)])


def half_problem(target, rnd, layout, L, k, j, kind):
    """(neuron indices, exact values, exact target) of one per-weight half, built independently."""
    M, N = rnd.weights[2 * L], rnd.weights[2 * L + 1]
    rows = range(layout.block(L, j).start, layout.block(L, j).stop)
    if kind == "bias":
        a = {i: rnd.biases[2 * L][i] for i in rows}
        t = target.biases[L][k]
        idx = [i for i in rows if a[i] > 0]
    else:
        a = {i: M[i, j] for i in rows}
        t = target.weights[L][k, j]
        idx = [i for i in rows if (a[i] > 0 if kind == "pos" else a[i] < 0)]
    vals = [Fraction(float(N[k, i])) * Fraction(float(a[i])) for i in idx]
    return idx, vals, Fraction(float(t))


def brute(vals, t, eps=None):
    """(min error, min count) by itertools: with eps the fewest values within eps."""
    best = None
    for r in range(len(vals) + 1):
        errs = [abs(t - sum(c, Fraction(0))) for c in itertools.combinations(vals, r)]
        e = min(errs)
        if eps is not None and e <= eps:
            return e, r
        best = e if best is None or e < best else best
    return best, None


@pytest.mark.parametrize("eps", [None, Fraction(1, 50)])
def test_every_per_weight_problem_is_the_brute_force_optimum(eps):
    target = target_net(0, (2, 3, 2))
    rnd, layout = construction_network(target, 10, seed=1)
    res = subset_sum_construction(target, rnd, layout, eps=eps)
    assert res.status == "optimal"
    kept = res.mask.weights
    checked = 0
    for L in range(target.n_layers):
        d_out, d_in = target.weights[L].shape
        kinds = [("pos", j) for j in range(d_in)] + [("bias", d_in)]
        if L == 0:
            kinds += [("neg", j) for j in range(d_in)]
        for kind, j in kinds:
            for k in range(d_out):
                idx, vals, t = half_problem(target, rnd, layout, L, k, j, kind)
                opt, count = brute(vals, t, eps)
                chosen = [v for i, v in zip(idx, vals, strict=True) if kept[2 * L + 1][k, i]]
                err = abs(t - sum(chosen, Fraction(0)))
                if eps is None or count is None:
                    assert err == opt
                else:
                    assert err <= eps and len(chosen) == count
                up = res.errors[L][kind][k] if kind == "bias" else res.errors[L][kind][k, j]
                assert Fraction(up) >= err and up <= math.nextafter(float(err), math.inf)
                checked += 1
    assert checked == res.n_problems == 2 * 3 * 2 + 3 + 3 * 2 + 2


@pytest.mark.parametrize("sizes, width, bias", [((3, 4, 2), 12, True), ((2, 3, 3, 1), 8, False),
                                                ((4, 2), 16, True)])
def test_sampled_error_never_exceeds_the_bound(sizes, width, bias):
    target = target_net(sum(sizes), sizes, bias)
    rnd, layout = construction_network(target, width, seed=2)
    res = subset_sum_construction(target, rnd, layout)
    assert sup_error_sampled(target, res.pruned, 20_000, seed=3) <= res.error_bound
    for x in np.random.default_rng(5).uniform(-1, 1, (5, sizes[0])):  # exact arithmetic too
        f, g = target.forward_exact(x.tolist()), res.pruned.forward_exact(x.tolist())
        assert max(abs(a - b) for a, b in zip(f, g, strict=True)) <= Fraction(res.error_bound)


def test_pruned_network_keeps_only_random_weights_and_one_input_per_left_neuron():
    target = target_net(7)
    rnd, layout = construction_network(target, 8, seed=3)
    res = subset_sum_construction(target, rnd, layout)
    for P, R in zip(res.pruned.weights, rnd.weights, strict=True):
        assert np.all((P == 0) | (P == R))
    assert all(row.sum() <= 1 for row in res.mask.weights[0])
    assert res.kept_ratio == res.mask.kept / rnd.n_params
    assert pruning_kind(to_digraph(rnd, res.mask)) == "unstructured"


def test_wider_nested_networks_never_have_larger_errors():
    target = target_net(4, (2, 3, 1))
    prev = None
    for width in (2, 5, 9, 14):
        res = subset_sum_construction(target, *construction_network(target, width, seed=6))
        if prev is not None:
            for a, b in zip(res.errors, prev.errors, strict=True):
                assert all(np.all(a[key] <= b[key]) for key in ("pos", "neg", "bias"))
            assert res.error_bound <= prev.error_bound
        prev = res


def test_nonnegative_box_solves_only_positive_halves():
    target = target_net(1, (3, 2), bias=False)
    rnd, layout = construction_network(target, 10, seed=0)
    res = subset_sum_construction(target, rnd, layout, box=(0.0, 1.0))
    assert res.n_problems == 6
    assert sup_error_sampled(target, res.pruned, 5000, box=(0.0, 1.0)) <= res.error_bound


def test_construction_bad_input():
    target = target_net(0)
    rnd, layout = construction_network(target, 4, seed=0)
    other, _ = construction_network(target_net(0, (2, 4, 2)), 4, seed=0)
    with pytest.raises(InputError, match="inputs"):
        subset_sum_construction(target, other, layout)
    with pytest.raises(InputError, match="eps"):
        subset_sum_construction(target, rnd, layout, eps=-1)
    with pytest.raises(InputError, match="box"):
        subset_sum_construction(target, rnd, layout, box=(1, 0))


# --- optimal masks against enumeration of every mask ------------------------------------------


def every_mask(net, structured):
    if structured:
        hidden = [(L, i) for L in range(net.n_layers - 1) for i in range(net.sizes[L + 1])]
        for bits in itertools.product([False, True], repeat=len(hidden)):
            keep = [np.ones(d, dtype=bool) for d in net.sizes[1:]]
            for (L, i), on in zip(hidden, bits, strict=True):
                keep[L][i] = on
            ws = [keep[L][:, None] & (keep[L - 1] if L else np.ones(W.shape[1], bool))[None, :]
                  for L, W in enumerate(net.weights)]
            yield NetworkMask(tuple(ws), tuple(None if b is None else keep[L].copy()
                                               for L, b in enumerate(net.biases)))
        return
    shapes = [W.shape for W in net.weights] + [b.shape for b in net.biases if b is not None]
    for bits in itertools.product([False, True], repeat=sum(math.prod(s) for s in shapes)):
        flat, ws, bs = np.array(bits), [], []
        for W in net.weights:
            ws.append(flat[:W.size].reshape(W.shape))
            flat = flat[W.size:]
        for b in net.biases:
            bs.append(None if b is None else flat[:b.size])
            flat = flat[0 if b is None else b.size:]
        yield NetworkMask(tuple(ws), tuple(bs))


def exact_max(target, net, xs):
    return max(max(abs(a - b) for a, b in zip(target.forward_exact(x), net.forward_exact(x),
                                              strict=True)) for x in xs)


CASES = [((1, 2, 1), (1, 2, 1), True), ((2, 2, 1), (2, 3, 1), False),
         ((2, 1, 1), (2, 2, 2, 1), False)]


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("structured", [False, True])
@pytest.mark.parametrize("engine", ["auto", "scip"])
def test_optimal_mask_on_a_finite_set_matches_enumeration(case, structured, engine):
    t_sizes, r_sizes, bias = CASES[case]
    target = random_network(t_sizes, seed=10 + case, bias=bias)
    rnd = random_network(r_sizes, seed=case, bias=bias)
    X = np.random.default_rng(case).uniform(-1, 1, (6, t_sizes[0]))
    best = min(exact_max(target, rnd.masked(m), X) for m in every_mask(rnd, structured))
    res = optimal_mask(target, rnd, structured=structured, inputs=X, engine=engine)
    assert res.error == exact_max(target, rnd.masked(res.mask), X)
    if engine == "auto":  # <= 2 inputs (or one hidden layer): the exact engine
        assert res.status == "optimal" and res.error == best
    else:
        assert res.status == "optimal_within_tolerance"
        assert abs(float(res.error - best)) <= 1e-6


def test_general_big_m_path_matches_enumeration(monkeypatch):
    import solvers.formulations.masks_mip as mm

    monkeypatch.setattr(mm, "PATTERN_MAX_BITS", 0)  # no pattern enumeration: big-M throughout
    target = random_network((2, 2, 1), seed=20, bias=True)
    rnd = random_network((2, 2, 1), seed=21, bias=True)
    X = np.random.default_rng(1).uniform(-1, 1, (5, 2))
    best = min(exact_max(target, rnd.masked(m), X) for m in every_mask(rnd, False))
    res = optimal_mask(target, rnd, inputs=X, engine="scip")
    assert abs(float(res.error - best)) <= 1e-6


def exact_sup_1d(target, net):
    """sup over [-1, 1] of |f - g| for one-input, one-hidden-layer nets: at the breakpoints."""
    points = {Fraction(-1), Fraction(1), Fraction(0)}
    for n in (target, net):
        W, b = n.weights[0], n.biases[0]
        for k in range(W.shape[0]):
            if W[k, 0] != 0 and b is not None:
                p = -Fraction(float(b[k])) / Fraction(float(W[k, 0]))
                if -1 <= p <= 1:
                    points.add(p)
    return exact_max(target, net, [[p] for p in points])


@pytest.mark.parametrize("structured", [False, True])
@pytest.mark.parametrize("engine", ["exact", "scip", "highs"])
def test_optimal_mask_over_the_box_matches_enumeration(structured, engine):
    target = random_network((1, 2, 1), seed=31, bias=True)
    rnd = random_network((1, 3, 1), seed=32, bias=True)
    best = min(exact_sup_1d(target, rnd.masked(m)) for m in every_mask(rnd, structured))
    res = optimal_mask(target, rnd, structured=structured, engine=engine)
    if engine == "exact":
        assert res.status == "optimal" and res.error == best
        assert res.certificate.lower == res.certificate.upper == best
        return
    assert res.status == "optimal_within_tolerance"
    assert abs(float(exact_sup_1d(target, rnd.masked(res.mask)) - best)) <= 1e-6
    assert res.lower_bound - 1e-6 <= float(best) <= res.upper + 1e-6
    assert res.error <= exact_sup_1d(target, rnd.masked(res.mask))


def test_eps_and_budget_match_enumeration():
    target = random_network((1, 2, 1), seed=41, bias=True)
    rnd = random_network((1, 2, 1), seed=42, bias=True)
    X = np.linspace(-1, 1, 7)[:, None]
    errs = {}
    for m in every_mask(rnd, False):
        errs.setdefault(m.kept, []).append(exact_max(target, rnd.masked(m), X))
    best_per_budget = {b: min(min(v) for k, v in errs.items() if k <= b) for b in errs}
    for budget in (1, 3):
        res = optimal_mask(target, rnd, inputs=X, max_kept=budget)
        assert res.mask.kept <= budget and res.status == "optimal"
        assert res.error == best_per_budget[budget]
    eps = float(best_per_budget[3]) + 1e-3
    fewest = min(k for k, v in errs.items() if min(v) <= eps)
    res = optimal_mask(target, rnd, inputs=X, eps=eps)
    assert res.reached and res.kept_bits == fewest and float(res.error) <= eps + 1e-6
    low = optimal_mask(target, rnd, inputs=X, eps=float(min(min(v) for v in errs.values())) / 2)
    assert not low.reached


def test_done_means_2_2_1_against_33_and_32_mask_bits():
    target = random_network([2, 2, 1], seed=0, bias=True)
    for hidden, structured in ((8, False), (32, True)):
        rnd = random_network([2, hidden, 1], seed=1, bias=True)
        res = optimal_mask(target, rnd, structured=structured)
        assert res.bits >= 32 and res.status == "optimal"
        sampled = sup_error_sampled(target, rnd.masked(res.mask), 20_000, seed=7)
        assert sampled <= res.upper  # the exact sup is never below a sampled error
        assert res.certificate.lower == res.certificate.upper == res.error
        kind = pruning_kind(to_digraph(rnd, res.mask))
        assert kind in (("structured", "dense") if structured else ("unstructured", "dense",
                                                                   "structured"))
        if not structured:
            assert not dead_neurons(to_digraph(rnd, res.mask))


def test_optimal_mask_bad_input():
    with pytest.raises(InputError, match="input and output sizes"):
        optimal_mask(random_network([2, 2, 1], seed=0), random_network([3, 2, 1], seed=0))
    with pytest.raises(InputError, match="inputs has shape"):
        optimal_mask(random_network([2, 1], seed=0), random_network([2, 1], seed=0),
                     inputs=[[1.0, 2.0, 3.0]])


def test_required_width_and_theorem():
    target = Network.create([[[0.3]]])
    out = required_width(target, "0.02", widths=[2, 6, 12, 20, 30])
    assert out["width"] is not None
    assert out["rows"][-1]["error"] <= 0.02 < min(r["error"] for r in out["rows"][:-1] or [1])
    assert theorem_width(target, "0.02") == pytest.approx(math.log(1 / 0.02))


# --- the command line --------------------------------------------------------------------------


@pytest.fixture
def slth(monkeypatch):
    if "verify.prune" not in cli.SUBCOMMAND_MODULES:
        monkeypatch.setattr(cli, "SUBCOMMAND_MODULES", [*cli.SUBCOMMAND_MODULES, "verify.prune"])
    return cli.main


@pytest.fixture
def target_file(tmp_path):
    path = tmp_path / "target.json"
    path.write_text(json.dumps(target_net(3, (2, 2, 1)).to_json()))
    return path


@pytest.mark.parametrize("construction", ["subset-sum", "optimal"])
def test_cli_outputs_hold_their_promises(slth, target_file, tmp_path, capsys, construction):
    out = tmp_path / construction
    args = ["prune", str(target_file), "--construction", construction, "-o", str(out), "--json",
            *(["--width", "1", "--structured"] if construction == "optimal" else ["--width", "12"])]
    assert slth(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == json.loads((out / "report.json").read_text())
    target = Network.from_json(json.loads(target_file.read_text()))
    rnd = Network.from_json(json.loads((out / "random.json").read_text()))
    pruned = Network.from_json(json.loads((out / "pruned.json").read_text()))
    for P, R in zip(pruned.weights, rnd.weights, strict=True):
        assert np.all((P == 0) | (P == R))
    assert sup_error_sampled(target, pruned, 20_000, seed=11) <= report["error_bound"]
    assert report["status"] == "optimal"  # two inputs: the exact engine at any depth
    assert (out / "network.png").exists() and 0 <= report["kept_ratio"] <= 1


@pytest.mark.parametrize("layers, extra, message", [
    ([{"weight": [[1.0, 2.0]]}, {"weight": [[1.0, 2.0]]}], [], "2 columns but layers[0] has 1"),
    ([{"weight": [[1.0, float("nan")]]}], [], "is nan"),
    ([{"weight": [[1.0, 2.0]]}], ["--width", "0"], "--width is 0"),
    ([{"weight": [[1.0, 2.0]]}], ["--random", "RANDOM"], "the target has 2 inputs"),
    ([{"weight": [[1.0, 2.0]]}], ["--structured"], "--structured applies"),
])
def test_cli_bad_input_exit_2(slth, tmp_path, capsys, layers, extra, message):
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"layers": layers}))
    (tmp_path / "r.json").write_text(json.dumps(random_network([3, 2, 1], seed=0).to_json()))
    extra = [str(tmp_path / "r.json") if a == "RANDOM" else a for a in extra]
    args = ["prune", str(path), "-o", str(tmp_path / "o"), *(extra if "--width" in extra
                                                            else ["--width", "4", *extra])]
    assert slth(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


def test_moved_names_still_import_with_a_warning():
    import solvers.construction as construction
    import solvers.pruning as pruning

    with pytest.warns(DeprecationWarning, match="solvers.construction.sup_error_sampled"):
        assert pruning.sup_error_sampled is construction.sup_error_sampled
