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
import math

from solvers import mrss
from solvers.files import read_data_file
from solvers.instances import MRSSInstance, RSSInstance, subset_problem_from_json
from solvers.memory import (
    available_bytes,
    check_memory,
    check_subset_memory,
    subset_search_bytes,
)
from solvers.numbers import (
    InputError,
    check_exact_size,
    check_time_limit,
    common_scale,
    scale_to_int,
    to_fraction,
)
from solvers.results import Solution
from solvers.rss import METHODS, solve_instance, sparsest_subset
from solvers.rss_dp import dp_plan
from verify.progress import ProgressBar, elapsed

__all__ = ["register", "run", "print_solution", "check_solve_size"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("solve", help="solve a subset-sum instance file to proven optimality",
                       description="Solve INSTANCE (JSON or TOML) exactly: 1-D or d-dimensional.")
    p.add_argument("instance", help="instance file: {\"values\": [...], \"target\": x, ...}")
    p.add_argument("--method", default="auto",
                   help=f"engine: {'|'.join(METHODS)} (d-D: see solvers.mrss)")
    p.add_argument("--time-limit", type=float, default=None, metavar="S",
                   help="seconds; on expiry the best subset so far is returned as 'feasible'")
    p.add_argument("--eps", default=None,
                   help="find the sparsest subset within EPS instead (exact string ok; runs "
                   "to the end: no --time-limit)")
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


def check_solve_size(inst: RSSInstance | MRSSInstance, method: str = "auto",
                     time_limit: float | None = None) -> None:
    """Refuse, before anything is allocated, an exact solve that cannot fit: numbers whose
    exact sums would not print, and engines beyond the memory available. In 1-D ``auto``
    plans its own engines (the dynamic program, the exhaustive searches, the anytime search):
    it is refused only without a time limit, when neither an exhaustive search nor the dynamic
    program fits.

    >>> check_solve_size(RSSInstance.create(list(range(1, 1001)), 5000))  # the DP fits
    >>> check_solve_size(RSSInstance.create([0.1 * k for k in range(1, 301)], 7))
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    solvers.numbers.InputError: an exact search over n = 300 values needs about ... of memory (available: ...): give --time-limit S for the best subset found with a proven lower bound ('feasible')
    """
    if isinstance(inst, MRSSInstance):
        check_exact_size([x for v in (*inst.vectors, inst.target, *inst.targets) for x in v])
        check_subset_memory(inst.n, inst.d, method)
        return
    check_exact_size([*inst.values, inst.target, *inst.targets])
    if method in ("mitm", "bounded"):
        check_subset_memory(inst.n, 1, method)
    if method == "dp":
        need = _dp_bytes(inst)
        check_memory(float(need) if need < 10**300 else math.inf, "the dynamic program over "
                     "these values", "use --method auto, or ckk with a time limit")
    if method != "auto" or time_limit is not None or \
            subset_search_bytes(inst.n) <= available_bytes():
        return
    if _dp_bytes(inst) > available_bytes():
        check_subset_memory(inst.n, 1, "auto", fix="give --time-limit S for the best subset "
                            "found with a proven lower bound ('feasible')")


def _dp_bytes(inst: RSSInstance) -> int:
    """Bytes of the dynamic program's bitsets over the exactly scaled values."""
    rule = None
    if inst.cardinality is not None or inst.max_cardinality is not None:
        rule = (inst.cardinality, False) if inst.cardinality is not None else (
            inst.max_cardinality, True)
    scale = common_scale([*inst.values, inst.target])
    return dp_plan(scale_to_int(inst.values, scale), rule).nbytes


def _solve(inst: RSSInstance | MRSSInstance, args: argparse.Namespace,
           bar: ProgressBar) -> Solution:
    if isinstance(inst, MRSSInstance):
        check_solve_size(inst, "auto" if args.eps is not None else args.method)
        if args.eps is not None:
            return mrss.sparsest_subset(inst.vectors, inst.target, args.eps, norm=inst.norm)
        return mrss.solve_instance(inst, method=args.method, time_limit=args.time_limit)
    check_solve_size(inst, "mitm" if args.eps is not None else args.method, args.time_limit)
    if args.eps is not None:
        return sparsest_subset(inst.values, inst.target, args.eps)
    return solve_instance(inst, method=args.method, time_limit=args.time_limit, progress=bar)


def run(args: argparse.Namespace) -> int:
    check_time_limit(args.time_limit, "--time-limit")
    if args.eps is not None and args.time_limit is not None:  # it would be ignored: say so
        raise InputError("--time-limit does not apply to --eps: the sparsest-subset search "
                         "solves every size to the end (omit --time-limit)")
    inst = subset_problem_from_json(read_data_file(args.instance))
    # engines that cannot say how far they are show their time against the limit instead
    bar = ProgressBar("  searching", enabled=not args.json)
    with elapsed("  solving", args.time_limit, enabled=not args.json, defer_to=bar):
        sol = _solve(inst, args, bar)
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
