"""`slth bench rss --peers`: instances, exact scoring of a peer's answer, and one row per solver."""

import json
from fractions import Fraction

import pytest

from verify.bench_peers import WORKLOADS, _score, make_instance
from verify.cli import main


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_workloads_are_deterministic_instances(name):
    vals, target, k = make_instance(name, 3)
    assert (vals, target, k) == make_instance(name, 3)
    assert len(vals) in (30, 40, 44, 50, 90, 100, 400, 800, 1000)
    if name.startswith(("partition", "near-ties", "balanced")):
        assert target == Fraction(sum(vals), 2)
    if k is not None:
        assert k == len(vals) // 2


def test_peer_answers_are_scored_exactly_by_their_values():
    vals = [5, 5, 3, 8]
    assert _score(vals, 10, [5, 5]) == 0
    assert _score(vals, 10, [8, 3]) == 1


def test_bench_peers_rows(capsys):
    pytest.importorskip("prtpy")  # the optional extra 'peers'
    pytest.importorskip("numberpartitioning")
    assert main(["bench", "rss", "--peers", "--workloads", "todd-30", "--time-limit", "20",
                 "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    ours, peer = rows
    assert ours["solver"] == "slth auto" and ours["status"] == "optimal"
    assert peer["solver"] == "prtpy-hs" and peer["status"] in ("optimum", "time limit")
    if peer["status"] == "optimum":
        assert peer["error"] == ours["error"] and ours["ratio_vs_fastest_peer"] > 0


def test_unknown_workload_is_refused(capsys):
    assert main(["bench", "rss", "--peers", "--workloads", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--workloads has 'nope'" in err[0]
