"""`slth truth` and `slth score`: exact ground truth, resumable runs, exact and robust scoring."""

import json
from fractions import Fraction
from itertools import combinations

import pytest

from solvers.mrss import brute_force as mrss_brute
from solvers.networks import NetworkMask
from solvers.numbers import InputError
from solvers.pruning import optimal_mask
from verify import score, truth
from verify.cli import SlthParser, main
from verify.runtime import read_records
from verify.truth import FAMILIES, generate_instance, generate_truth, truth_records


def run(capsys, module, argv):
    parser = SlthParser(prog="slth")
    sub = parser.add_subparsers(dest="command", parser_class=SlthParser)
    module.register(sub)
    args = parser.parse_args(argv)
    rc = args.func(args)
    return rc, capsys.readouterr().out


def itertools_optimum(inst):
    sizes = range(inst.n + 1)
    return min(inst.error(sub) for k in sizes if inst.admits(k)
               for sub in combinations(range(inst.n), k))


@pytest.mark.parametrize("family", [f for f in FAMILIES if f != "network-masks"])
def test_every_record_is_the_brute_force_optimum(family):
    recs = truth_records(family, 9, seed=11, indices=[0, 1, 2], dim=2)
    for rec in recs:
        inst = generate_instance(family, 9, 11, rec["index"], dim=2)
        assert rec["instance"] == inst.to_json() and rec["instance_hash"] == inst.hash()
        best = mrss_brute(inst).error if family == "mrss-gaussian" else itertools_optimum(inst)
        assert Fraction(rec["optimum"]) == best == Fraction(rec["solution"]["error"])
        assert rec["solution"]["status"] == "optimal"
        assert inst.error(rec["solution"]["subset"]) == best
    if family == "partition-hard":
        inst = generate_instance(family, 9, 11, 0)
        assert inst.target == sum(inst.values) / 2 and max(inst.values) <= 2**9
    if family == "rss-cardinality":
        assert all(len(r["solution"]["subset"]) == 4 for r in recs)


def test_network_masks_agree_with_the_mip():
    rec = truth_records("network-masks", 2, seed=5, indices=[0])[0]
    prob = generate_instance("network-masks", 2, 5, 0)
    mask = NetworkMask.from_json(rec["solution"]["mask"])
    assert prob.error(mask) == Fraction(rec["optimum"])
    assert rec["solution"]["status"] == "optimal" and prob.target.sizes == (2, 2, 1)
    res = optimal_mask(prob.target, prob.random, engine="scip")
    assert abs(res.upper - float(Fraction(rec["optimum"]))) <= 2 * res.tolerance


def test_resumable_and_never_duplicated(tmp_path):
    out = tmp_path / "t.jsonl"
    assert generate_truth("rss-gaussian", 10, 4, out, seed=2, workers=1).done == 1
    generate_truth("rss-gaussian", 10, 7, out, seed=2, workers=1)
    generate_truth("rss-gaussian", 10, 7, out, seed=2, workers=1)
    generate_truth("rss-gaussian", 11, 2, out, seed=2, workers=1)  # another run, same file
    recs = read_records(out)
    ten = sorted(r["index"] for r in recs if r["n"] == 10)
    assert ten == list(range(7)) and len(recs) == 9
    # an interrupted write: the cut last line is dropped and its chunk redone
    text = out.read_text()
    out.write_text(text[: -len(text.splitlines()[-1]) // 2])
    generate_truth("rss-gaussian", 11, 2, out, seed=2, workers=1)
    assert len(read_records(out)) == 9
    alone = truth_records("rss-gaussian", 10, seed=2, indices=[5])[0]
    assert next(r for r in recs if r["n"] == 10 and r["index"] == 5)["optimum"] == alone["optimum"]


def test_truth_cli(tmp_path, capsys):
    out = tmp_path / "t.jsonl"
    rc, text = run(capsys, truth, ["truth", "rss-product", "--n", "12", "--count", "5", "--seed",
                                   "1", "-o", str(out), "--workers", "2", "--json"])
    assert rc == 0 and json.loads(text)["records_in_file"] == 5
    for rec in read_records(out):  # products of two grid values are exact doubles
        assert all(Fraction(v).denominator <= 2**52 for v in rec["instance"]["values"])


def test_truth_bad_input(tmp_path, capsys, monkeypatch):
    with pytest.raises(InputError, match="count is 0"):
        generate_truth("rss-uniform", 3, 0, tmp_path / "x")
    with pytest.raises(InputError, match="only the rss-cardinality"):
        generate_truth("rss-uniform", 3, 2, tmp_path / "x", cardinality=1)
    with pytest.raises(InputError, match="n <= 24"):
        generate_truth("network-masks", 25, 2, tmp_path / "x")
    monkeypatch.setattr("verify.cli.SUBCOMMAND_MODULES", ["verify.truth"])
    with pytest.raises(SystemExit) as exc:
        main(["truth", "nope", "--n", "3", "--count", "1", "-o", str(tmp_path / "x")])
    assert exc.value.code == 2 and "invalid choice" in capsys.readouterr().err


@pytest.fixture
def truth_file(tmp_path):
    path = tmp_path / "truth.jsonl"
    recs = truth_records("rss-cardinality", 8, seed=0, indices=range(4))
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return path, recs


def test_score_flags_invalid_answers(tmp_path, capsys, truth_file):
    path, recs = truth_file
    sols = [r["solution"] for r in recs]
    ans = tmp_path / "answers.jsonl"
    lines = [
        json.dumps({"instance_hash": recs[0]["instance_hash"], "subset": sols[0]["subset"]}),
        json.dumps({"index": 1, "subset": [0, 1, 2, 99]}),            # out of range
        json.dumps({"index": 2, "subset": [0, 1]}),                   # |S| = 2, not 4
        "{not json",                                                  # line 4 -> instance 3
        json.dumps({"index": 7, "subset": []}),                       # no such instance
    ]
    ans.write_text("\n".join(lines) + "\n")
    rc, out = run(capsys, score, ["score", str(path), str(ans), "--json",
                                  "--plot", str(tmp_path / "r.png")])
    rep = json.loads(out)
    assert rc == 0 and (tmp_path / "r.png").stat().st_size > 0
    verdicts = [r["verdict"] for r in rep["rows"]]
    assert verdicts == ["optimal", "invalid", "invalid", "invalid"]
    assert "out of range" in rep["rows"][1]["note"] and "asks |S| = 4" in rep["rows"][2]["note"]
    assert rep["fraction_optimal"] == 0.25 and rep["unmatched_answers"] == [
        "index 7: no such truth instance"]


def test_score_gaps_are_exact(tmp_path, capsys, truth_file):
    path, recs = truth_file
    inst = generate_instance("rss-cardinality", 8, 0, 0)
    best = Fraction(recs[0]["optimum"])
    worse = next(s for s in combinations(range(8), 4) if inst.error(s) > best)
    answers = [{"index": 0, "subset": list(worse), "error": "0"}]  # a false claimed error
    rep = score.score_answers(recs, answers)
    row = rep.rows[0]
    assert row.verdict == "suboptimal" and row.gap == inst.error(worse) - best
    assert "claimed error 0" in row.note
    assert [r.verdict for r in rep.rows[1:]] == ["missing"] * 3
    forged = json.loads(json.dumps(recs))
    forged[0]["optimum"] = "1"  # a truth record claiming more than the true optimum
    ok = score.score_answers(forged, [{"index": 0, "subset": recs[0]["solution"]["subset"]}])
    assert ok.rows[0].verdict == "beats-truth"


def test_score_baselines(tmp_path, capsys):
    path = tmp_path / "t.jsonl"
    recs = truth_records("rss-uniform", 14, seed=0, indices=range(20))
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    out = tmp_path / "kk.jsonl"
    rc, text = run(capsys, score, ["score", str(path), "--baseline", "karmarkar-karp",
                                   "--write-answers", str(out)])
    assert rc == 0 and "karmarkar-karp" in text and len(out.read_text().splitlines()) == 20
    rep = score.score_answers(recs, [json.loads(x) for x in out.read_text().splitlines()])
    assert rep.n_invalid == 0 and all(r.gap >= 0 for r in rep.rows)
    with pytest.raises(InputError, match="edge-popup"):
        score.baseline_answers(recs, "edge-popup")
    masks = truth_records("network-masks", 2, seed=1, indices=[0, 1])
    rep = score.score_answers(masks, score.baseline_answers(masks, "edge-popup"))
    assert all(r.verdict in ("optimal", "suboptimal") for r in rep.rows)
