"""The d-dimensional engines agree exactly with an independent enumeration in Fractions."""

import csv
import json
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.formulations.mrss_cpsat import solve_mrss_cpsat
from solvers.formulations.mrss_mip import solve_mrss_mip
from solvers.instances import MRSSInstance
from solvers.mrss import (
    brute_force,
    count_subsets_within,
    mrss_error,
    solve_instance,
    solve_many_targets,
    solve_mrss,
    sparsest_subset,
)
from solvers.mrss_cube import cube_coverage, cube_covered_2d
from solvers.numbers import InputError, integer_scaling
from verify.cli import main


def all_sums(vectors):
    """Every subset as (size, exact sum vector), built by doubling in Fractions."""
    d = len(vectors[0])
    sums = [(0, (Fraction(0),) * d)]
    for v in vectors:
        fv = [Fraction(x) for x in v]
        sums += [(k + 1, tuple(a + b for a, b in zip(s, fv, strict=True))) for k, s in sums]
    return sums


def distance(target, s, norm):
    r = [abs(Fraction(z) - x) for z, x in zip(target, s, strict=True)]
    return sum(r) if norm == "1" else max(r)


def reference_optimum(vectors, target, norm="inf", sizes=None):
    """min over subsets (of the given sizes) by doubling over a common denominator L."""
    vecs = [[Fraction(x) for x in v] for v in vectors]
    z = [Fraction(x) for x in target]
    L = math.lcm(*(x.denominator for v in [*vecs, z] for x in v))
    sums = [(0, (0,) * len(z))]
    for v in vecs:
        iv = [int(x * L) for x in v]
        sums += [(k + 1, tuple(a + b for a, b in zip(s, iv, strict=True))) for k, s in sums]
    iz = [int(x * L) for x in z]
    best = min(
        (sum if norm == "1" else max)(abs(a - b) for a, b in zip(iz, s, strict=True))
        for k, s in sums if sizes is None or k in sizes
    )
    return Fraction(best, L)


number = st.one_of(
    st.integers(-5, 5),
    st.fractions(min_value=-3, max_value=3, max_denominator=30),
    st.floats(-1, 1, allow_nan=False, allow_infinity=False),
    st.floats(-4, 4, allow_nan=False, allow_infinity=False).map(lambda x: x * 1e-9),
    st.sampled_from([0.0, 1e-300, 0.1, 1e-25, 0.5, -0.5]),
    st.sampled_from(["0.1", "1e-25", "-3/7", "0.1000000000000000000000001"]),
)


@st.composite
def instances(draw, max_n=14, dims=(1, 2, 3, 5)):
    d = draw(st.sampled_from(dims))
    n = draw(st.integers(1, max_n))
    vectors = [draw(st.lists(number, min_size=d, max_size=d)) for _ in range(n)]
    if n > 1 and draw(st.booleans()):
        vectors[-1] = list(vectors[0])  # duplicates
    target = draw(st.lists(number, min_size=d, max_size=d))
    norm = draw(st.sampled_from(["inf", "1"]))
    k = draw(st.one_of(st.none(), st.integers(0, n)))
    return vectors, target, norm, k


@settings(max_examples=120, deadline=None)
@given(instances())
def test_mitm_matches_enumeration(case):
    vectors, target, norm, k = case
    sol = solve_mrss(vectors, target, norm=norm, cardinality=k)
    best = reference_optimum(vectors, target, norm, None if k is None else {k})
    assert sol.status == "optimal"
    assert sol.error == best == sol.lower_bound
    assert sol.error == mrss_error(vectors, target, sol.subset, norm=norm)
    assert k is None or len(sol.subset) == k


@settings(max_examples=60, deadline=None)
@given(instances(max_n=10))
def test_brute_force_matches_enumeration(case):
    vectors, target, norm, k = case
    inst = MRSSInstance.create(vectors, target, norm=norm, cardinality=k)
    assert brute_force(inst).error == reference_optimum(vectors, target, norm,
                                                        None if k is None else {k})


@settings(max_examples=25, deadline=None)
@given(instances(max_n=8, dims=(1, 2, 3)))
def test_formulations_rechecked_exactly(case):
    vectors, target, norm, k = case
    inst = MRSSInstance.create(vectors, target, norm=norm, cardinality=k)
    best = reference_optimum(vectors, target, norm, None if k is None else {k})
    cp = solve_mrss_cpsat(inst)
    assert cp.error == inst.error(cp.subset)
    if cp.status == "optimal":
        assert cp.error == best
    else:  # a rounded scaling: the bound must still be rigorous
        assert cp.status == "optimal_within_tolerance"
        assert cp.lower_bound <= best <= cp.error
    mip = solve_mrss_mip(inst)
    assert mip.status != "optimal"
    assert mip.error == inst.error(mip.subset) >= best


def test_cpsat_proves_uniform_doubles_exactly():
    rng = np.random.default_rng(3)
    X, z = rng.uniform(-1, 1, (12, 3)), rng.uniform(-1, 1, 3)
    inst = MRSSInstance.create(X, z, norm="1", cardinality=5)
    cp = solve_mrss_cpsat(inst)
    assert cp.status == "optimal" and cp.error == solve_instance(inst).error
    # objective ~2.6e16: CP-SAT says OPTIMAL on a solution one unit above its integer bound
    # (it compares them as doubles); the subset's exact error meets the bound: a proof
    inst = MRSSInstance.create([[1, 0], ["0.1", -0.5], ["-3/7", 0.5638722744386411]],
                               [-0.2287434933136352, 0], norm="1")
    cp = solve_mrss_cpsat(inst)
    assert cp.status == "optimal" and cp.error == brute_force(inst).error == cp.lower_bound


def test_max_cardinality_and_many_targets():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((11, 2))
    targets = rng.uniform(-1, 1, (5, 2))
    inst = MRSSInstance.create(X, targets[0], max_cardinality=3)
    assert solve_instance(inst).error == reference_optimum(X, targets[0],
                                                                sizes={0, 1, 2, 3})
    many = solve_many_targets(X, targets, cardinality=4)
    assert [s.error for s in many] == [
        reference_optimum(X, t, sizes={4}) for t in targets
    ]
    assert all(s.status == "optimal" for s in many)


def test_near_ties_beyond_double_precision_are_resolved_exactly():
    # the two candidates differ by 1e-25: only the exact re-check can tell them apart
    vectors = [["1e-25", "0"], ["0.3", "0.3"], ["0.3000000000000000000000001", "0.3"],
               ["123456789.5", "-0.25"]]
    sol = solve_mrss(vectors, ["0.3000000000000000000000002", "0.3"])
    assert sol.subset == (0, 2) and sol.error == 0
    assert sol.stats["shift"] > 0  # the int64 sweep ran on rounded data


def test_gaussian_doubles_use_the_rounded_path_and_stay_exact():
    rng = np.random.default_rng(7)
    X, z = rng.standard_normal((14, 3)) * 1e-3, rng.uniform(-0.01, 0.01, 3)
    X[0, 0] = 1e-30  # a tiny value makes the common scale huge
    sol = solve_mrss(X, z)
    assert integer_scaling(MRSSInstance.create(X, z).vectors, [tuple(map(Fraction, z))],
                           "inf").shift > 0
    assert sol.error == reference_optimum(X, z)


@settings(max_examples=40, deadline=None)
@given(instances(max_n=9, dims=(1, 2, 3)), st.sampled_from(["0.05", "1/3", "1", 0.5]))
def test_sparsest_and_counts(case, eps):
    vectors, target, norm, _ = case
    sums = all_sums(vectors)
    e = Fraction(eps)
    within = [k for k, s in sums if distance(target, s, norm) <= e]
    counts = count_subsets_within(vectors, target, eps, norm=norm)
    assert counts.tolist() == [within.count(k) for k in range(len(vectors) + 1)]
    sol = sparsest_subset(vectors, target, eps, norm=norm)
    if not within:
        assert sol.status == "infeasible"
        return
    k = min(within)
    assert sol.status == "optimal" and len(sol.subset) == k == sol.stats["size"]
    assert sol.error == reference_optimum(vectors, target, norm, {k}) <= e


def test_time_limit_returns_the_best_subset_found():
    rng = np.random.default_rng(0)
    X, z = rng.uniform(-1, 1, (36, 3)), rng.uniform(-1, 1, 3)
    sol = solve_mrss(X, z, time_limit=0)
    assert sol.status == "feasible" and sol.lower_bound is None
    assert sol.error == mrss_error(X, z, sol.subset)


def test_mitm_with_query_chunks_matches_enumeration(monkeypatch):
    # force the chunked enumeration of the query half on a small instance
    import solvers.mrss_engine as engine

    monkeypatch.setattr(engine, "_CHUNK_BITS", 2)
    monkeypatch.setattr(engine, "_SLICE", 3)
    rng = np.random.default_rng(5)
    X, z = rng.standard_normal((13, 2)), rng.uniform(-1, 1, 2)
    for k in (None, 6):
        sol = solve_mrss(X, z, cardinality=k, norm="1")
        assert sol.error == reference_optimum(X, z, "1", None if k is None else {k})


def covered_by_enumeration(vectors, eps):
    """Independent exact check: every cell of the grid of square edges has a covered midpoint."""
    e = Fraction(eps)
    pts = [s for _, s in all_sums(vectors)]
    xs = sorted({c for p in pts for c in (p[0] - e, p[0] + e) if -1 < c < 1} | {-1, 1})
    ys = sorted({c for p in pts for c in (p[1] - e, p[1] + e) if -1 < c < 1} | {-1, 1})
    for x0, x1 in zip(xs, xs[1:], strict=False):
        for y0, y1 in zip(ys, ys[1:], strict=False):
            m = ((x0 + x1) / 2, (y0 + y1) / 2)
            if all(max(abs(m[0] - p[0]), abs(m[1] - p[1])) > e for p in pts):
                return False
    return True


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(0, 10**6), st.sampled_from(["0.3", "1/2", "0.75", 1]),
       st.sampled_from(["uniform", "grid"]))
def test_cube_verdict_2d_matches_grid_enumeration(n, seed, eps, kind):
    rng = np.random.default_rng(seed)
    if kind == "grid":  # square edges that meet exactly: closed squares must be handled right
        X = rng.integers(-2, 3, (n, 2)) / 2
    else:
        X = rng.uniform(-1.2, 1.2, (n, 2))
    verdict = cube_covered_2d(X, eps)
    assert verdict.covered == covered_by_enumeration(X, eps)
    if verdict.covered is False:
        assert all(-1 <= c <= 1 for c in verdict.witness)
        assert verdict.distance == reference_optimum(X, verdict.witness) > Fraction(eps)


def test_cube_verdict_with_rounded_scaling_is_sound():
    rng = np.random.default_rng(11)
    X = rng.standard_normal((16, 2)) * 0.6
    X[0, 1] = 1e-40
    v = cube_covered_2d(X, "0.02")
    assert v.covered is not None
    if v.covered is False:
        assert v.distance == solve_mrss(X, v.witness).error > Fraction("0.02")


def test_cube_coverage_estimate():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((12, 2)) * 0.5
    cov = cube_coverage(X, "0.05", trials=300, seed=9)
    assert cov.low <= cov.fraction <= cov.high and cov.trials == 300
    # each target was decided exactly: redo the first 30 decisions by enumeration
    targets = np.random.default_rng(9).uniform(-1, 1, (30, 2))
    hits = sum(reference_optimum(X, t) <= Fraction("0.05") for t in targets)
    assert cube_coverage(X, "0.05", trials=30, seed=9).covered == hits
    full = cube_covered_2d(X, "0.05")
    if full.covered:
        assert cov.fraction == 1
    else:
        assert reference_optimum(X, full.witness) > Fraction("0.05")


def test_instance_json_round_trip_and_hash():
    data = {"values": [[0.5, "1/3"], ["-0.25", 2]], "target": ["0.1", 0], "norm": "1",
            "cardinality": 1, "targets": [[1, 1]]}
    inst = MRSSInstance.from_json(data)
    again = MRSSInstance.from_json(json.loads(json.dumps(inst.to_json())))
    assert again == inst and again.hash() == inst.hash()
    assert inst.vectors[0] == (Fraction(1, 2), Fraction(1, 3)) and inst.targets == ((1, 1),)
    assert inst.error([1]) == Fraction(7, 20) + 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"values": [[1, 2], [3]], "target": [0, 0]}, "values[1] has 1 coordinates"),
        ({"values": [[1, 2], [3, 4]], "target": [0, 0, 0]}, "target has 3 coordinates"),
        ({"values": [[1, 2]], "target": 0.5}, "target is 0.5: expected a list of d = 2"),
        ({"values": [[1, 2]], "target": [0, 0], "norm": "l2"}, "norm is 'l2'"),
        ({"values": [[1, "x"]], "target": [0, 0]}, "values[0][1] is 'x'"),
        ({"values": [[1, float("nan")]], "target": [0, 0]}, "values[0][1] is nan"),
        ({"values": [[1, 2]], "target": [0, 0], "cardinality": 3}, "cardinality is 3"),
    ],
)
def test_bad_input_is_one_clear_line(data, message):
    with pytest.raises(InputError, match=None) as info:
        MRSSInstance.from_json(data)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_bad_method_and_eps():
    with pytest.raises(InputError, match="method is 'fast'"):
        solve_mrss([[1]], [1], method="fast")
    with pytest.raises(InputError, match="eps is -1"):
        sparsest_subset([[1]], [1], -1)
    with pytest.raises(InputError, match="time_limit is -1"):
        solve_mrss([[1]], [1], time_limit=-1)


def test_slth_solve_reads_d_dimensional_instances(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"values": [[1, 0], [0, 1], [1, 1]], "target": ["1/2", 2],
                                "norm": "1"}))
    assert main(["solve", str(good), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "optimal" and out["error"] == "1/2" and out["subset"] == [1, 2]
    for bad, msg in [({"values": [[1, 2], [3]], "target": [0, 0]}, "values[1] has 1"),
                     ({"values": [[1, 2]], "target": [0]}, "target has 1 coordinates"),
                     ({"values": [[1, 2]], "target": [0, 0], "norm": "2"}, "norm is '2'")]:
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(bad))
        assert main(["solve", str(path)]) == 2
        err = capsys.readouterr().err
        assert msg in err and err.count("\n") == 1


def test_slth_sweep_mrss_runs_resumes_and_agrees_with_the_solver(tmp_path, capsys, monkeypatch):
    from verify.runtime import read_records
    from verify.sweep_mrss import mrss_task

    argv = ["sweep", "mrss", "--out", str(tmp_path), "--workers", "1", "--d", "1", "2",
            "--eps", "0.2", "0.1", "--n", "1:5", "--trials", "4", "--prediction-max-n", "12",
            "--json", "--no-progress"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["records"] == 2 * 5 * 4 + 2 * 2 and result["failed"] == 0
    records = read_records(tmp_path / "trials.jsonl")
    trial = next(r for r in records if r["kind"] == "trial" and r["d"] == 2 and r["n"] == 5)
    X = np.random.default_rng([0, 2, 5, trial["trial"]]).standard_normal((5, 2))
    assert Fraction(trial["error"]) == reference_optimum(X, ["1/2", "1/2"])
    th = {(t["d"], t["eps"]): t for t in result["thresholds"]}
    assert set(th) == {(d, e) for d in (1, 2) for e in ("1/5", "1/10")}
    assert all(t["d_log2_inv_eps"] == pytest.approx(t["d"] * math.log2(1 / Fraction(t["eps"])))
               for t in th.values())
    errs = [Fraction(r["error"]) for r in records
            if r["kind"] == "trial" and r["d"] == 2 and r["n"] == 5]
    with open(tmp_path / "summary.csv") as fh:
        row = next(r for r in csv.DictReader(fh) if (r["d"], r["eps"], r["n"]) == ("2", "1/5", "5"))
    assert int(row["successes"]) == sum(e <= Fraction(1, 5) for e in errs)
    assert (tmp_path / "p_success.png").exists() and (tmp_path / "thresholds.png").exists()
    pred = next(r for r in records if r["kind"] == "prediction" and r["d"] == 1)
    assert pred["n_pred"] is None or pred["n_pred"] <= 12
    assert mrss_task({k: v for k, v in trial.items() if k in
                      ("kind", "d", "n", "trial", "seed", "target")})["error"] == trial["error"]
    assert main(argv) == 0  # resumed: nothing runs again
    assert json.loads(capsys.readouterr().out)["ran"] == 0
    bad = ["sweep", "mrss", "--out", str(tmp_path), "--eps", "0"]
    assert main(bad) == 2 and "every eps must be > 0" in capsys.readouterr().err
