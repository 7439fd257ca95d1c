"""Trust under attack: each test replays an attack on what the toolkit promises and checks that
it now fails safe (certify, output files, Ctrl-C, the audit parser, forged tables, size limits,
false bench reports)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from proofs.claims import AuditResult
from solvers.child import call_in_child
from solvers.files import read_capped, read_data_file
from solvers.instances import MRSSInstance, RSSInstance
from solvers.mrss import solve_mrss
from solvers.numbers import InputError, fraction_str
from verify import bench_rss, certify
from verify.audit import format_table
from verify.benchmark import measure
from verify.runtime import _output_lock, read_records, run_tasks
from verify.truth import count_instances

ROOT = Path(__file__).resolve().parents[1]


def slth(*argv, **kw):
    """`slth ARGV` in a fresh process: (exit code, stdout, stderr)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    p = subprocess.run([sys.executable, "-m", "verify.cli", *map(str, argv)], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=kw.get("timeout", 300))
    return p.returncode, p.stdout, p.stderr


def cli(capsys, *argv):
    """`slth ARGV` in this process: (exit code, stdout, stderr)."""
    from verify.cli import main

    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def _double(x):
    return {"x": x, "twice": 2 * x}


# --- 1. certify never passes what it did not re-derive ----------------------------------------


def test_certify_catches_a_forged_d_dimensional_optimum(tmp_path, capsys):
    rng = np.random.default_rng(5)
    X, z = rng.uniform(-1, 1, (24, 3)), rng.uniform(-1, 1, 3)
    sol = solve_mrss(X, z)
    rec = {**sol.to_json(), "instance": {"values": X.tolist(), "target": z.tolist()}}
    forged_err = MRSSInstance.create(X, z).error([0])
    assert forged_err > sol.error
    forged = {**rec, "subset": [0], "error": fraction_str(forged_err),
              "error_float": float(forged_err), "lower_bound": fraction_str(forged_err)}
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged))
    code, out, _ = cli(capsys, "certify", path)
    assert code == 1 and "record 1: CONTRADICTED" in out
    checks = {c.name: c for c in certify.certify_record(forged)}
    assert checks["lower bound"].outcome == certify.CONTRADICTED
    assert checks["status optimal"].outcome == certify.CONTRADICTED
    assert fraction_str(sol.error) in checks["status optimal"].detail
    path.write_text(json.dumps(rec))
    assert cli(capsys, "certify", path)[0] == 0


def test_certify_says_not_re_derived_with_its_own_exit_code(tmp_path, capsys):
    # |S| = 3 among 46 values: beyond meet-in-the-middle (n > 44), brute force and CP-SAT's
    # budget, and the bounded engine takes no cardinality rule
    values = np.random.default_rng(2).uniform(-1, 1, 46).tolist()
    inst = RSSInstance.create(values, 0.25, cardinality=3)
    err = inst.error([0, 1, 2])
    rec = {"status": "optimal", "subset": [0, 1, 2], "error": fraction_str(err),
           "error_float": float(err), "lower_bound": fraction_str(err), "method": "mitm",
           "instance": {"values": values, "target": 0.25, "cardinality": 3}}
    checks = {c.name: c.outcome for c in certify.certify_record(rec)}
    assert checks["status optimal"] == checks["lower bound"] == certify.NOT_REDERIVED
    assert checks["error"] == certify.HOLDS
    path = tmp_path / "r.json"
    path.write_text(json.dumps(rec))
    code, out, _ = cli(capsys, "certify", path)
    assert code == 3 and "record 1: NOT RE-DERIVED" in out and "HOLDS" not in out
    # a time limit too short to re-derive a d-dimensional optimum: not re-derived, never HOLDS
    rng = np.random.default_rng(0)
    X, z = rng.standard_normal((40, 2)), rng.uniform(-1, 1, 2)
    e = MRSSInstance.create(X, z).error([1])
    big = {"status": "optimal", "subset": [1], "error": fraction_str(e), "method": "mitm",
           "instance": {"values": X.tolist(), "target": z.tolist()}}
    res = certify.certify_record(big, time_limit=0.05)
    assert certify.record_verdict(res) in ("NOT RE-DERIVED", "CONTRADICTED")
    assert certify.record_verdict(res) != "HOLDS"


# --- 2. output files never lose or double records --------------------------------------------


def test_truth_and_sweep_refuse_to_overwrite_foreign_files(tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\nline two\n")
    code, _, err = cli(capsys, "truth", "rss-uniform", "--n", 6, "--count", 2, "-o", notes,
                       "--workers", 1)
    assert code == 2 and "refusing to overwrite" in err and err.count("\n") == 1
    assert notes.read_text() == "my notes\nline two\n"
    instance = tmp_path / "inst.jsonl"
    instance.write_text(json.dumps({"values": [1, 2], "target": 3}) + "\n")
    assert cli(capsys, "truth", "rss-uniform", "--n", 6, "--count", 2, "-o", instance,
               "--workers", 1)[0] == 2
    assert json.loads(instance.read_text()) == {"values": [1, 2], "target": 3}
    out = tmp_path / "sw"
    out.mkdir()
    (out / "trials.jsonl").write_text('{"values": [1, 2]}\n')
    code, _, err = cli(capsys, "sweep", "coverage", "--n", "4:5", "--trials", 2, "--out", out,
                       "--workers", 1, "--no-progress")
    assert code == 2 and "refusing to overwrite" in err
    assert (out / "trials.jsonl").read_text() == '{"values": [1, 2]}\n'


def test_a_second_writer_is_refused_and_records_appear_once(tmp_path):
    out = tmp_path / "r.jsonl"
    with _output_lock(out), pytest.raises(InputError, match="another run"):
        run_tasks([("a", 1)], _double, out, workers=1)
    tasks = [(f"k{i}", i) for i in range(6)]
    assert run_tasks(tasks[:4], _double, out, workers=1).done == 4
    assert run_tasks(tasks, _double, out, workers=1).done == 2
    lines = out.read_text().splitlines()
    assert sorted(json.loads(line)["key"] for line in lines) == [k for k, _ in tasks]
    assert not list(tmp_path.glob(".*.lock"))  # the lock goes with its writer


def test_duplicates_and_damaged_lines_are_reported_not_crashed_on(tmp_path, capsys):
    out = tmp_path / "r.jsonl"
    run_tasks([(f"k{i}", i) for i in range(3)], _double, out, workers=1)
    good = out.read_bytes()
    first = good.splitlines(keepends=True)[0]
    out.write_bytes(good + first + b"\xff\xfe not utf-8\n" + b"[1, 2]\n")
    recs = read_records(out)
    assert sorted(r["key"] for r in recs) == ["k0", "k1", "k2"]
    rep = run_tasks([(f"k{i}", i) for i in range(4)], _double, out, workers=1)
    assert (rep.skipped, rep.done) == (3, 1)
    assert "2 damaged line(s)" in capsys.readouterr().err
    keys = [json.loads(line)["key"] for line in out.read_text().splitlines()]
    assert sorted(keys) == ["k0", "k1", "k2", "k3"]
    assert (tmp_path / "r.jsonl.damaged").read_bytes() == b"\xff\xfe not utf-8\n[1, 2]\n"


def test_truth_twice_on_one_file_counts_each_instance_once(tmp_path, capsys):
    out = tmp_path / "t.jsonl"
    args = ["truth", "rss-uniform", "--n", 6, "--count", 5, "-o", out, "--workers", 1, "--json"]
    assert cli(capsys, *args)[0] == 0
    code, text, _ = cli(capsys, *args)
    assert code == 0 and json.loads(text)["records_in_file"] == 5
    out.write_text(out.read_text() * 2)  # a file doubled by hand
    assert count_instances(out) == 5 and len(read_records(out)) == 5


# --- 3. Ctrl-C stops at once, and a killed run leaves no orphan ------------------------------


def _group_alive(pgid: int) -> bool:
    return subprocess.run(["pgrep", "-g", str(pgid)], capture_output=True).returncode == 0


def _start_sweep(out: Path, ns: str = "4:40") -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    return subprocess.Popen(
        [sys.executable, "-m", "verify.cli", "sweep", "coverage", "--n", ns, "--eps", "1e-1",
         "1e-2", "1e-3", "1e-4", "--trials", "100", "--out", str(out), "--workers", "2",
         "--no-progress"], cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for_records(path: Path, at_least: int) -> None:
    for _ in range(600):
        if path.exists() and path.read_bytes().count(b"\n") >= at_least:
            return
        time.sleep(0.1)
    pytest.fail("the sweep wrote no records")


def _wait_group_gone(pgid: int) -> bool:
    for _ in range(300):  # exiting processes may take a while on a loaded machine
        if not _group_alive(pgid):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process groups, pgrep")
def test_ctrl_c_and_sigkill_leave_no_orphan_and_lose_nothing(tmp_path):
    out = tmp_path / "sw"
    trials = out / "trials.jsonl"
    p = _start_sweep(out)
    _wait_for_records(trials, 5)
    os.killpg(p.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    assert p.wait(timeout=20) == 130  # no hang in the pool's shutdown
    assert "interrupted" in p.stderr.read().decode()
    assert _wait_group_gone(p.pid), "workers outlived an interrupted run"
    p = _start_sweep(out)
    _wait_for_records(trials, 15)
    p.kill()  # SIGKILL to the main process alone, as the OOM killer does
    p.wait(timeout=20)
    assert _wait_group_gone(p.pid), "workers or the resource tracker outlived a killed run"
    code, text, _ = slth("sweep", "coverage", "--n", "4", "--eps", "1e-1", "1e-2", "1e-3",
                         "1e-4", "--trials", 100, "--out", out, "--workers", 2, "--no-progress",
                         "--json")
    assert code == 0 and json.loads(text)["trials"] == 100
    keys = [json.loads(line)["key"] for line in trials.read_text().splitlines()]
    assert len(keys) == len(set(keys)) >= 100


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process groups, pgrep")
def test_interrupted_truth_run_resumes_with_each_instance_once(tmp_path):
    out = tmp_path / "truth.jsonl"
    argv = [sys.executable, "-m", "verify.cli", "truth", "rss-cardinality", "--n", "26",
            "--count", "300", "-o", str(out), "--workers", "2"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    p = subprocess.Popen(argv, cwd=ROOT, env=env, start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for_records(out, 10)
    os.killpg(p.pid, signal.SIGINT)
    assert p.wait(timeout=20) == 130
    assert _wait_group_gone(p.pid)
    done_before = count_instances(out)
    assert 10 <= done_before < 300
    code, text, _ = slth(*argv[3:], "--json")
    assert code == 0 and json.loads(text)["records_in_file"] == 300
    indices = [json.loads(line)["index"] for line in out.read_text().splitlines()]
    assert sorted(indices) == list(range(300))


# --- 4. the audit evaluates user formulas only inside its time-limited child -----------------


def test_nested_sum_is_stopped_by_the_time_limit(tmp_path):
    path = tmp_path / "sum.toml"
    path.write_text('[[claim]]\nname = "nested"\nstatement = "Sum(Sum(Sum(1, (i, 1, 20000)), '
                    '(j, 1, 20000)), (k, 1, 20000)) <= x"\nvariables.x = {min = 0, max = 10}\n')
    start = time.monotonic()
    code, out, err = slth("audit", path, "--time-limit", 3, "--json", timeout=60)
    assert time.monotonic() - start < 60
    verdict = json.loads(out)["claims"][0]
    assert verdict["verdict"] == "unchecked" and "3 s time limit" in verdict["reason"]
    assert code == 2 and err.count("\n") == 1


# --- 5. user text cannot forge table rows -----------------------------------------------------


def test_claim_names_cannot_forge_rows_or_summary_lines():
    name = "x\nforged  proved  symbolic  trust me\n\n9 claims: 9 proved\x1b[2K\u202e"
    table = format_table([AuditResult(name, "refuted", "search", reason="a\nb")], steps=True)
    lines = table.splitlines()
    assert sum(line.startswith(("forged", "9 claims")) for line in lines) == 0
    assert "\x1b" not in table and "\u202e" not in table
    assert lines[-1] == "1 claim: 0 proved, 1 refuted, 0 checked, 0 unchecked"
    assert "x\\nforged" in lines[1]


# --- 6. size limits that cannot be walked around ----------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_devices_fifos_and_huge_task_lists_are_refused(tmp_path, capsys):
    with pytest.raises(InputError, match="not a regular file"):
        read_data_file("/dev/zero")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    out = call_in_child(lambda: read_data_file(fifo), time_limit=20)  # a hang would be killed
    assert out.status == "raised" and "not a regular file" in str(out.value)
    big = tmp_path / "big.json"
    big.write_text("[" + "0," * 100 + "0]")
    with pytest.raises(InputError, match="above 64 bytes are refused"):
        read_capped(big, 64)
    for argv in (["truth", "rss-uniform", "--n", 8, "--count", 10**12, "-o", tmp_path / "t"],
                 ["sweep", "coverage", "--n", "1:1000000000", "--out", tmp_path / "s"],
                 ["sweep", "coverage", "--n", "4:8", "--trials", 10**10, "--out", tmp_path / "s"],
                 ["sweep", "mrss", "--d", 2, "--trials", 10**10, "--out", tmp_path / "m"]):
        code, _, err = cli(capsys, *argv)
        assert code == 2 and "tasks: at most" in err and err.count("\n") == 1
    assert not (tmp_path / "t").exists()


# --- 7. no false reports from the bench -------------------------------------------------------


def test_bench_batch_refuses_bad_sizes_and_reports_a_failed_child(capsys, monkeypatch):
    for m in (-1, 10**9):
        code, out, err = cli(capsys, "bench", "rss", "--n", 8, "--methods", "auto", "--batch", m)
        assert code == 2 and "--batch" in err and "proven optimal" not in out
    monkeypatch.setattr(bench_rss, "bench_rss", lambda *a, **k: [])
    monkeypatch.setattr(bench_rss, "bench_batch",
                        lambda m, seed: {"error_message": "MemoryError: ", "seconds": 0.1})
    code, out, _ = cli(capsys, "bench", "rss", "--n", 8, "--batch", 5)
    assert code == 1 and "FAILED" in out and "proven optimal" not in out


def test_bench_rows_measure_their_own_memory():
    _, cost = measure(lambda: np.ones(20_000_000).sum())  # 160 MB at its peak
    assert cost["mb_is_lower_bound"] or 140 < cost["solve_mb"] < 400
    _, cost = measure(lambda: sum(range(1000)))
    assert cost["mb_is_lower_bound"] or cost["solve_mb"] < 20
    assert Fraction(cost["solve_seconds"]) >= 0


_MASK_SEARCH = """
import sys
from solvers.networks import Network, random_network
from solvers.pruning import optimal_mask
full = random_network([2, 32, 1], seed=1, bias=True)
g = Network.create([full.weights[0][:16], full.weights[1][:, :16]],
                   [full.biases[0][:16], full.biases[1]])
try:
    optimal_mask(random_network([2, 2, 1], seed=0, bias=True), g, engine=sys.argv[1],
                 time_limit=120)
except KeyboardInterrupt:
    sys.exit(130)
"""


@pytest.mark.parametrize("engine", ["scip", "exact"])
def test_ctrl_c_stops_a_solver_search_at_once(engine):
    # CP-SAT and SCIP catch SIGINT themselves and end their search as if a time limit had
    # been reached: the mask search must still stop at once with KeyboardInterrupt, not go on
    # to its next master solve (this 65-bit search takes 10 s to minutes)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    p = subprocess.Popen([sys.executable, "-c", _MASK_SEARCH, engine], cwd=ROOT, env=env,
                         start_new_session=True, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    time.sleep(5)  # interpreter start, imports, and the search running
    assert p.poll() is None, "the search ended before the interrupt"
    os.killpg(p.pid, signal.SIGINT)
    assert p.wait(timeout=15) == 130, p.stderr.read().decode()
