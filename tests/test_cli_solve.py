"""`slth solve` and `slth bench`: JSON output, exit codes, one-line errors."""

import json
import subprocess
import sys
from fractions import Fraction

import pytest

from verify.cli import main


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_solve_json_is_exact(tmp_path, capsys):
    path = write(tmp_path, "i.json", json.dumps({"values": ["0.1", "0.2", "0.3000000000000000000000001"],
                                                 "target": "0.4"}))
    assert main(["solve", path, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "optimal"
    assert out["subset"] == [0, 2]
    assert Fraction(out["error"]) == Fraction(1, 10**25)
    assert out["instance"]["values"][2] == "3000000000000000000000001/10000000000000000000000000"


def test_solve_toml_cardinality_and_sparsest(tmp_path, capsys):
    path = write(tmp_path, "i.toml", 'values = [1, 2, 3, 4]\ntarget = 5\ncardinality = 1\n')
    assert main(["solve", path, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["error"] == "1"
    path = write(tmp_path, "j.json", json.dumps({"values": [0.5, 0.25, 0.125, 0.75], "target": 0.75}))
    assert main(["solve", path, "--eps", "0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["subset"] == [3]


@pytest.mark.parametrize(
    "content,args,fragment",
    [
        ('{"values": [1, NaN], "target": 0}', [], "values[1] is nan"),
        ('{"values": [1, Infinity], "target": 0}', [], "values[1] is inf"),
        ('{"values": [], "target": 0, "cardinality": 1}', [], "cardinality is 1"),
        ('{"values": [1, "x1"], "target": 0}', [], "values[1] is 'x1'"),
        ('{"values": [1, 2', [], "not valid JSON"),
        ('{"values": [1, 2], "target": 0, "cardinality": 5}', [], "cardinality is 5"),
        ('{"values": [1, 2], "target": 0}', ["--time-limit", "-1"], "--time-limit is -1"),
        ('{"values": [1, 2], "target": 0}', ["--method", "magic"], "method is 'magic'"),
        ('[1, 2, 3]', [], "expected an object"),
        ('{"values": [1, 2], "target": 0, "evil": 1}', [], "unknown keys"),
    ],
)
def test_bad_input_exit_2_one_line(tmp_path, content, args, fragment):
    path = write(tmp_path, "bad.json", content)
    proc = subprocess.run([sys.executable, "-m", "verify.cli", "solve", path, *args],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], proc.stderr
    assert proc.stdout == ""


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["solve"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["bench", "rss", "--n", "x"])
    assert exc.value.code == 2
    assert main(["bench", "rss", "--n", "99"]) == 2


def test_bench_rss_runs_side_by_side(capsys):
    assert main(["bench", "rss", "--n", "12", "16", "--methods", "mitm", "bounded", "brute",
                 "--time-limit", "60", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = {(r["n"], r["bench_method"]): r for r in out["rows"]}
    for n in (12, 16):
        errs = {rows[(n, m)]["error"] for m in ("auto", "mitm", "bounded", "brute")}
        assert len(errs) == 1  # every engine finds the same exact optimum
        assert all(rows[(n, m)]["status"] == "optimal" for m in ("auto", "mitm", "bounded", "brute"))
        assert rows[(n, "auto")]["ratio_vs_auto"] == 1
        assert rows[(n, "mitm")]["peak_mb"] > 0
