"""Only our output reaches stdout: HiGHS (C++) writes its log to file descriptor 1 unless told
not to, which Python-level redirection cannot see. Each HiGHS path runs in a subprocess whose
fd 1 is captured whole; a ``--json`` answer must then parse as one JSON document."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


ROWS = {"status", "subset", "error", "lower", "method", "proof"}


def test_solve_with_highs_prints_only_its_answer(tmp_path):
    values = tmp_path / "values.json"
    values.write_text(json.dumps({"values": [0.8147, -0.2785, 0.5469, "1/3", -0.9649, 0.1576],
                                  "target": "0.123456789"}))
    vectors = tmp_path / "vectors.json"
    vectors.write_text(json.dumps({"values": [[0.5, -0.25], [0.125, 0.75], [-0.5, 0.5],
                                              [0.3, 0.1]], "target": [0.4, 0.6]}))
    for path in (str(values), str(vectors)):
        res = run("-m", "verify.cli", "solve", path, "--method", "mip-highs", "--json")
        assert res.returncode == 0, res.stderr
        sol = json.loads(res.stdout)  # a leaked log line would break the document
        assert sol["method"] == "mip-highs" and sol["status"] in ("optimal_within_tolerance",
                                                                  "feasible")
        table = run("-m", "verify.cli", "solve", path, "--method", "mip-highs")
        keys = [line.split()[0] for line in table.stdout.splitlines()]
        assert keys[0] == "status" and set(keys) <= ROWS, table.stdout


def test_mask_mips_with_highs_print_nothing():
    script = (
        "import numpy as np\n"
        "from solvers.networks import Network\n"
        "from solvers.pruning import optimal_mask\n"
        "rng = np.random.default_rng(0)\n"
        "t = Network.create([rng.uniform(-1, 1, (2, 2)).tolist(),"
        " rng.uniform(-1, 1, (1, 2)).tolist()])\n"
        "r = Network.create([rng.uniform(-1, 1, (6, 2)).tolist(),"
        " rng.uniform(-1, 1, (1, 6)).tolist()])\n"
        "for inputs in (None, rng.uniform(-1, 1, (5, 2))):\n"
        "    optimal_mask(t, r, engine='highs', time_limit=10, inputs=inputs)\n"
        "    optimal_mask(t, r, engine='highs', time_limit=10, inputs=inputs, eps=0.5)\n"
    )
    res = run("-c", script)
    assert res.returncode == 0, res.stderr
    assert res.stdout == ""
