"""Tests of verify.runtime and verify.sweep: the resumable executor (in-process, process pool, Dask) and
`slth sweep coverage` (records agree with the solvers, summaries with the records)."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

import verify.sweep as sweep
from solvers.coverage import covering_radius, is_covered
from verify.runtime import read_records, run_tasks
from verify.sweep_coverage import coverage_trial, summarize_coverage


def spec(n, trial, eps=("1/10", "1/100"), radius=True):
    return {"dist": "uniform", "p": 0.5, "n": n, "trial": trial, "seed": 7, "eps": list(eps),
            "interval": ["-1", "1"], "radius": radius, "order": None}


def tasks(ns=(4, 8, 12), trials=3):
    return [(f"t/{n}/{k}", spec(n, k)) for n in ns for k in range(trials)]


def flaky(x):
    if x == 3:
        raise ValueError("three is bad")
    return [{"x": x}, {"x": -x}]


def test_trial_agrees_with_solvers():
    rec = coverage_trial(spec(9, 2))
    values = [Fraction(v) for v in rec["values"]]
    r = covering_radius(values)
    assert rec["radius"] == str(r.radius)
    for eps, cov in rec["covered"].items():
        assert cov == (r.radius <= Fraction(eps)) == is_covered(values, eps).covered
        if not cov:  # the recorded distance is a certified uncovered distance
            assert Fraction(eps) < Fraction(rec["distance"][eps]) <= r.radius
    assert coverage_trial(spec(9, 2))["values"] == rec["values"]  # seeded
    assert coverage_trial(spec(9, 3))["values"] != rec["values"]


def test_in_process_run_and_resume(tmp_path):
    out = tmp_path / "t.jsonl"
    rep = run_tasks(tasks(), coverage_trial, out, workers=1)
    assert (rep.total, rep.skipped, rep.done, rep.failed) == (9, 0, 9, [])
    first = {r["key"]: r for r in read_records(out)}
    assert len(first) == 9
    rep = run_tasks(tasks(trials=4), coverage_trial, out, workers=1)
    assert (rep.skipped, rep.done) == (9, 3)
    again = {r["key"]: r for r in read_records(out)}
    assert all(again[k] == v for k, v in first.items()) and len(again) == 12


def test_resume_drops_cut_lines_and_partial_tasks(tmp_path):
    out = tmp_path / "parts.jsonl"
    rep = run_tasks([(f"k{i}", i) for i in range(5)], flaky, out, workers=1)
    assert rep.done == 4 and [k for k, _ in rep.failed] == ["k3"]
    assert len(read_records(out)) == 8
    lines = out.read_text().splitlines(keepends=True)
    # an interrupt mid-write: task k4 lost its second part and the last line is cut
    k4 = [ln for ln in lines if '"k4"' in ln]
    kept = [ln for ln in lines if '"k4"' not in ln]
    out.write_text("".join(kept) + k4[0] + '{"x": 9, "ke')
    assert sorted(r["key"] for r in read_records(out)) == ["k0", "k0", "k1", "k1", "k2", "k2"]
    rep = run_tasks([(f"k{i}", i) for i in range(5)], flaky, out, workers=1)
    assert rep.skipped == 3 and rep.done == 1 and len(rep.failed) == 1
    recs = read_records(out)
    assert sorted((r["key"], r["part"][0]) for r in recs if r["key"] == "k4") == [
        ("k4", 0), ("k4", 1)]
    assert all(line.endswith("\n") for line in out.read_text().splitlines(keepends=True))


def test_process_pool_matches_in_process(tmp_path):
    serial = tmp_path / "serial.jsonl"
    pool = tmp_path / "pool.jsonl"
    run_tasks(tasks(), coverage_trial, serial, workers=1)
    rep = run_tasks(tasks(), coverage_trial, pool, workers=2)
    assert rep.done == 9 and not rep.failed

    def strip(path):
        return {r["key"]: {k: v for k, v in r.items() if k != "seconds"}
                for r in read_records(path)}

    assert strip(serial) == strip(pool)


def test_dask_local_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    out = tmp_path / "dask.jsonl"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        rep = run_tasks(tasks(ns=(6, 10), trials=2), coverage_trial, out,
                        scheduler=cluster.scheduler_address)
        assert rep.done == 4 and not rep.failed
        rep = run_tasks(tasks(ns=(6, 10), trials=3), coverage_trial, out,
                        scheduler=cluster.scheduler_address)
        assert (rep.skipped, rep.done) == (4, 2)
    recs = read_records(out)
    assert len(recs) == 6
    local = coverage_trial(spec(10, 2))
    dask_rec = next(r for r in recs if r["key"] == "t/10/2")
    assert dask_rec["covered"] == local["covered"] and dask_rec["radius"] == local["radius"]


def test_summary_crossings_and_fit():
    recs = []
    # P[covered] at eps 1/2: 0 at n = 2, 1/2 at n = 4, 1 at n = 6; at eps 1/4 shifted by 4
    for n, k_cov in ((2, 0), (4, 2), (6, 4), (8, 4), (10, 4)):
        for t in range(4):
            c2 = t < k_cov
            c4 = t < {2: 0, 4: 0, 6: 0, 8: 2, 10: 4}[n]
            recs.append({"dist": "uniform", "n": n, "covered": {"1/2": c2, "1/4": c4},
                         "radius_float": None})
    s = summarize_coverage(recs, delta=0.25)["uniform"]
    assert s["per_eps"]["1/2"]["n50"] == 4.0 and s["per_eps"]["1/4"]["n50"] == 8.0
    assert s["per_eps"]["1/2"]["n95"] == pytest.approx(4 + 0.45 / 0.5 * 2)
    assert s["per_eps"]["1/4"]["n_delta"] == pytest.approx(8 + 0.25 / 0.5 * 2)
    # n50 = 4 log2(1/eps): slope 4, intercept 0
    assert s["fits"]["n50"]["C"] == pytest.approx(4) and s["C"] == pytest.approx(4)
    assert s["fits"]["n50"]["c0"] == pytest.approx(0, abs=1e-9)


@pytest.fixture
def slth(monkeypatch, capsys):
    import verify.cli as cli

    monkeypatch.setattr(cli, "SUBCOMMAND_MODULES", ["verify.sweep"])

    def run(*argv):
        code = cli.main([str(a) for a in argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_sweep_coverage_cli(slth, tmp_path):
    out = tmp_path / "sw"
    args = ["sweep", "coverage", "--n", "4:12:4", "--trials", "4", "--eps", "1e-1", "1/100",
            "--out", out, "--workers", "1", "--radius-max-n", "8", "--seed", "3"]
    code, text, _ = slth(*args, "--json")
    result = json.loads(text)
    assert code == 0 and result["trials"] == 12 and result["ran"] == 12
    recs = read_records(out / "trials.jsonl")
    rows = list(csvrows(out / "summary.csv"))
    for row in rows:
        same = [r for r in recs if r["n"] == int(row["n"])]
        assert int(row["covered"]) == sum(r["covered"][row["eps"]] for r in same)
    for r in recs:
        assert (r["radius"] is not None) == (r["n"] <= 8)
        if r["radius"] is not None:
            assert all(c == (Fraction(r["radius"]) <= Fraction(e)) for e, c in r["covered"].items())
    for name in ("p_covered_uniform.png", "thresholds_uniform.png", "radius_uniform.png",
                 "fits.json", "radius.csv"):
        assert (out / name).stat().st_size > 100
    code, text, _ = slth(*args)
    assert code == 0 and "0 run now, 12 resumed" in text


def csvrows(path):
    import csv

    with open(path) as fh:
        yield from csv.DictReader(fh)


@pytest.mark.parametrize("extra, msg", [
    (["--eps", "0"], "every eps must be > 0"),
    (["--eps", "nan"], "'nan'"),
    (["--n", "9:4"], "--n is '9:4'"),
    (["--n", "a"], "--n is 'a'"),
    (["--interval", "1", "1"], "--interval is [1, 1]"),
    (["--trials", "0"], "--trials is 0"),
    (["--workers", "0"], "--workers is 0"),
])
def test_sweep_bad_input_exits_2(slth, tmp_path, extra, msg):
    code, out, err = slth("sweep", "coverage", "--out", tmp_path / "x", "--n", "4", *extra)
    assert code == 2 and out == "" and msg in err and err.count("\n") == 1


def test_a_sweep_kind_is_a_module_named_in_the_table(slth, monkeypatch):
    import sys
    import types

    kind = types.ModuleType("demo_kind", "A demo kind.")

    def add(p):
        p.add_argument("--size", type=int, default=1)

    def run(args):
        print(f"demo size {args.size} seed {args.seed}")
        return 0

    kind.add_arguments, kind.run = add, run
    monkeypatch.setitem(sys.modules, "demo_kind", kind)
    monkeypatch.setitem(sweep.KINDS, "demo", "demo_kind")
    code, out, _ = slth("sweep", "demo", "--size", "2", "--seed", "5")
    assert code == 0 and out.splitlines() == ["demo size 2 seed 5"]
