"""`slth certify`: untouched result files pass; tampered subsets, errors, statuses do not."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.heuristics import karmarkar_karp
from solvers.instances import MaskProblem
from solvers.mrss import solve_mrss
from solvers.networks import random_network
from solvers.rss import solve_rss
from verify import certify
from verify.certify import CONTRADICTED, HOLDS, certify_record
from verify.check import check_conjecture
from verify.cli import SlthParser
from verify.truth import truth_records


def run_certify(tmp_path, capsys, records, *extra, jsonl=False):
    path = tmp_path / ("r.jsonl" if jsonl else "r.json")
    if jsonl:
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
    else:
        path.write_text(json.dumps(records[0] if len(records) == 1 else records))
    parser = SlthParser(prog="slth")
    sub = parser.add_subparsers(dest="command", parser_class=SlthParser)
    certify.register(sub)
    args = parser.parse_args(["certify", str(path), *extra])
    rc = args.func(args)
    return rc, capsys.readouterr().out


def solve_record(values, target, **kw):
    sol = solve_rss(values, target, **kw)
    inst = {"values": values, "target": target, **kw}
    return {**sol.to_json(), "instance": inst}


def outcomes(rec):
    return {c.name: c.outcome for c in certify_record(rec)}


def test_untouched_solution_passes_and_tampering_is_caught(tmp_path, capsys):
    values = np.random.default_rng(1).uniform(-1, 1, 14).tolist()
    rec = solve_record(values, 0.3)
    rc, out = run_certify(tmp_path, capsys, [rec])
    assert rc == 0 and "record 1: HOLDS" in out and "1 hold, 0 contradicted" in out
    assert set(outcomes(rec).values()) == {HOLDS}

    bad = {**rec, "subset": sorted(set(rec["subset"]) ^ {0})}  # one index flipped
    assert run_certify(tmp_path, capsys, [bad])[0] == 1
    assert outcomes(bad)["error"] == CONTRADICTED

    bad = {**rec, "error": "1/1000", "error_float": 0.001}  # a better error than the truth
    assert run_certify(tmp_path, capsys, [bad])[0] == 1
    assert outcomes(bad)["error"] == CONTRADICTED

    bad = {**rec, "error_float": rec["error_float"] * 2}
    assert outcomes(bad)["error"] == CONTRADICTED

    bad = {**rec, "instance_hash": "0" * 16}
    assert outcomes(bad)["instance hash"] == CONTRADICTED

    bad = {**rec, "subset": [0, 0]}
    assert outcomes(bad)["subset"] == CONTRADICTED

    bad = {**rec, "status": "infeasible"}
    assert outcomes(bad)["status infeasible"] == CONTRADICTED


def test_a_heuristic_answer_relabelled_optimal_is_rejected(tmp_path, capsys):
    values, target = [8, 7, 6, 5, 4], 15
    sol = karmarkar_karp(values, target)  # error 1, the optimum is 0
    rec = {**sol.to_json(), "instance": {"values": values, "target": target}}
    assert run_certify(tmp_path, capsys, [rec])[0] == 0  # feasible: true as stated
    forged = {**rec, "status": "optimal", "lower_bound": rec["error"]}
    rc, out = run_certify(tmp_path, capsys, [forged])
    assert rc == 1 and "exact optimum 0" in out
    assert run_certify(tmp_path, capsys, [{**rec, "lower_bound": "1/2"}])[0] == 1


def test_cardinality_and_independent_methods():
    rec = solve_record([3, 5, 9, 14, 2, 7], 20, cardinality=2)
    res = certify_record(rec)
    assert all(c.outcome == HOLDS for c in res)
    assert "brute" in res[-1].detail  # solved by mitm, re-derived by brute force
    assert outcomes({**rec, "subset": [3]})["subset"] == CONTRADICTED  # |S| = 1, not 2
    big = solve_record(np.random.default_rng(0).uniform(-1, 1, 34).tolist(), 0.1)
    res = certify_record(big)
    assert res[-1].outcome == HOLDS and "bounded" in res[-1].detail  # Schroeppel-Shamir


def test_mrss_result():
    vecs = [[1, 0.5], [0.25, -1], [-0.5, 0.75], [1, 1], [0.125, 0.5]]
    sol = solve_mrss(vecs, [0.7, 0.2])
    rec = {**sol.to_json(), "instance": {"values": vecs, "target": [0.7, 0.2]}}
    assert set(outcomes(rec).values()) == {HOLDS}
    worse = sorted(set(sol.subset) ^ {4})
    assert outcomes({**rec, "subset": worse, "error": None})["status optimal"] == CONTRADICTED


def test_truth_files(tmp_path, capsys):
    recs = truth_records("rss-uniform", 12, seed=3, indices=[0, 1, 2])
    assert run_certify(tmp_path, capsys, recs, jsonl=True)[0] == 0
    tampered = json.loads(json.dumps(recs))
    tampered[1]["optimum"] = "0"
    rc, out = run_certify(tmp_path, capsys, tampered, jsonl=True)
    assert rc == 1 and "record 2: CONTRADICTED" in out and "record 1:" not in out
    tampered = json.loads(json.dumps(recs))
    tampered[2]["instance"]["values"][0] = "1/3"  # the instance changed under its hash
    assert run_certify(tmp_path, capsys, tampered, jsonl=True)[0] == 1


def test_verdict_files(tmp_path, capsys):
    conj = {"conjecture": "no-subset-within", "values": [0.5, 0.25, 0.125], "target": "0.4",
            "eps": "1/32"}
    v = check_conjecture(conj).to_json()
    assert v["verdict"] == "refuted" and run_certify(tmp_path, capsys, [v])[0] == 0
    assert run_certify(tmp_path, capsys, [{**v, "eps": "1/64"}])[0] == 1  # witness beyond eps
    c = check_conjecture({**conj, "eps": "1/64"}).to_json()
    assert c["verdict"] == "confirmed" and run_certify(tmp_path, capsys, [c])[0] == 0
    assert run_certify(tmp_path, capsys, [{**c, "eps": "1/32"}])[0] == 1  # optimum <= eps
    cov = check_conjecture({"conjecture": "not-covered", "values": [1, 2, 4], "eps": "1/2",
                            "interval": [0, 8]}).to_json()
    assert cov["verdict"] == "confirmed" and run_certify(tmp_path, capsys, [cov])[0] == 0
    forged = {**cov, "witness": {**cov["witness"], "point": "7"}}  # 7 is a subset sum
    assert run_certify(tmp_path, capsys, [forged])[0] == 1
    ref = check_conjecture({"conjecture": "not-covered", "values": [1, 2, 4], "eps": "1/2",
                            "interval": [0, 7]}).to_json()
    assert ref["verdict"] == "refuted" and run_certify(tmp_path, capsys, [ref])[0] == 0
    assert run_certify(tmp_path, capsys, [{**ref, "eps": "1/4"}])[0] == 1


def test_mask_records(tmp_path, capsys):
    recs = truth_records("network-masks", 2, seed=0, indices=[0])
    assert run_certify(tmp_path, capsys, recs, jsonl=True)[0] == 0
    rec = json.loads(json.dumps(recs[0]))
    layers = rec["solution"]["mask"]["layers"]
    layers[1]["bias"] = [1 - layers[1]["bias"][0]]  # flip the output bias bit
    rc, out = run_certify(tmp_path, capsys, [rec], jsonl=True)
    assert rc == 1 and "the mask's exact error" in out
    prob = MaskProblem.create(random_network([1, 1], seed=0), random_network([1, 2, 1], seed=1))
    v = check_conjecture({"conjecture": "no-mask-within", **prob.to_json(), "eps": 10})
    assert v.verdict == "refuted" and run_certify(tmp_path, capsys, [v.to_json()])[0] == 0


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(-50, 50), min_size=2, max_size=10), st.integers(-100, 100))
def test_solve_outputs_always_certify(values, target):
    rec = solve_record(values, target)
    assert all(c.outcome == HOLDS for c in certify_record(rec))


@pytest.mark.parametrize("content,fragment", [
    ("{", "not valid JSON"),
    ('{"status": "optimal"}', "no 'instance'"),
])
def test_unreadable_files(tmp_path, capsys, monkeypatch, content, fragment):
    path = tmp_path / "bad.json"
    path.write_text(content)
    from verify.cli import main

    monkeypatch.setattr("verify.cli.SUBCOMMAND_MODULES", ["verify.certify"])
    rc = main(["certify", str(path)])
    out = capsys.readouterr()
    assert (rc == 2 and fragment in out.err) or (rc == 1 and fragment in out.out)

