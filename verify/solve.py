"""`slth solve`: solve one instance file exactly and print the Solution.

>>> from verify.cli import main
>>> import json, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "inst.json")
>>> _ = open(path, "w").write(json.dumps({"values": ["0.5", "1/3", -0.25], "target": "0.3"}))
>>> main(["solve", path])
status       optimal
subset       [1]
error        1/30  (0.0333333)
lower bound  1/30
method       mitm
proof        exhaustive meet-in-the-middle on exact int64 data (scale 60)
0
"""

from __future__ import annotations

import argparse
import json

from solvers import mrss
from solvers.files import read_data_file
from solvers.instances import MRSSInstance, subset_problem_from_json
from solvers.memory import check_subset_memory
from solvers.numbers import check_time_limit, to_fraction
from solvers.results import Solution
from solvers.rss import METHODS, solve_instance, sparsest_subset
from verify.progress import ProgressBar

__all__ = ["register", "run", "print_solution"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("solve", help="solve a subset-sum instance file to proven optimality",
                       description="Solve INSTANCE (JSON or TOML) exactly: 1-D or d-dimensional.")
    p.add_argument("instance", help="instance file: {\"values\": [...], \"target\": x, ...}")
    p.add_argument("--method", default="auto",
                   help=f"engine: {'|'.join(METHODS)} (d-D: see solvers.mrss)")
    p.add_argument("--time-limit", type=float, default=None, metavar="S",
                   help="seconds; on expiry the best subset so far is returned as 'feasible'")
    p.add_argument("--eps", default=None,
                   help="find the sparsest subset within EPS instead (exact string ok)")
    p.add_argument("--json", action="store_true", help="print the Solution as JSON")
    p.set_defaults(func=run)


def print_solution(sol: Solution) -> None:
    """A short human table of a Solution."""
    rows = [("status", sol.status),
            ("subset", "[" + ", ".join(map(str, sol.subset or ())) + "]")]
    if sol.error is not None:
        rows.append(("error", f"{sol.error}  ({sol.error_float:.6g})"))
    if sol.lower_bound is not None:
        rows.append(("lower bound", str(sol.lower_bound)))
    rows += [("method", sol.method), ("proof", sol.proof)]
    for key, val in rows:
        print(f"{key:<12} {val}")


def run(args: argparse.Namespace) -> int:
    check_time_limit(args.time_limit, "--time-limit")
    inst = subset_problem_from_json(read_data_file(args.instance))
    if isinstance(inst, MRSSInstance):
        check_subset_memory(inst.n, inst.d, "auto" if args.eps is not None else args.method)
        if args.eps is not None:
            sol = mrss.sparsest_subset(inst.vectors, inst.target, args.eps, norm=inst.norm)
        else:
            sol = mrss.solve_instance(inst, method=args.method, time_limit=args.time_limit)
    else:
        check_subset_memory(inst.n, 1, "mitm" if args.eps is not None else args.method)
        if args.eps is not None:
            sol = sparsest_subset(inst.values, inst.target, args.eps)
        else:
            bar = ProgressBar("  searching", enabled=not args.json)
            sol = solve_instance(inst, method=args.method, time_limit=args.time_limit,
                                 progress=bar)
            bar.close()
    if args.json:
        out = sol.to_json()
        out["instance"] = inst.to_json()
        if args.eps is not None:  # the sparsest-subset question travels with its answer
            out["eps"] = str(to_fraction(args.eps, "--eps"))
        print(json.dumps(out, indent=2))
    else:
        print_solution(sol)
    return 0
