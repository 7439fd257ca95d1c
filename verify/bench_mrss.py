"""`slth bench mrss`: the d-dimensional meet-in-the-middle against CP-SAT, MIP and brute force.

For each n, the vectors are ``default_rng([seed, n, d])`` draws (uniform on [-1, 1]^d, or
Gaussian N(0, I_d) whose doubles need the rounded int64 path) and the target is uniform on
[-1, 1]^d. Every row runs in a fresh process (:mod:`verify.benchmark`): ``seconds`` is the solve
alone (compiled code is loaded first), ``peak MB`` the resident memory the solve added at its
peak. A method that does not finish within the time limit drops out for larger n. ``x auto`` is
the time relative to the toolkit's ``auto`` at the same n (``>=`` when the method did not prove
optimality, ``~`` when both times are below a millisecond: noise). Every method's error is
checked against the exact optimum found by ``auto``.
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from typing import Any

import numpy as np

from solvers import mrss
from solvers.numbers import InputError
from verify.benchmark import add_ratios, bench_rows, check_bench_time_limit, measure, ratio_text

__all__ = ["add_arguments", "run", "bench_mrss", "BENCH_METHODS"]

BENCH_METHODS = ("auto", "mitm", "cpsat", "mip-scip", "mip-highs", "brute")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``slth bench mrss``."""
    p.add_argument("--n", type=int, nargs="+", default=[16, 20, 24, 28, 32, 36, 40],
                   help="instance sizes (default 16 20 24 28 32 36 40)")
    p.add_argument("--d", type=int, default=3, help="dimension (default 3)")
    p.add_argument("--norm", choices=("inf", "1"), default="inf", help="norm (default inf)")
    p.add_argument("--dist", choices=("uniform", "gaussian"), default="uniform",
                   help="vector distribution (default uniform on [-1, 1]^d)")
    p.add_argument("--cardinality", type=float, default=None, metavar="ALPHA",
                   help="also require |S| = round(ALPHA n) (the second-moment restriction)")
    p.add_argument("--methods", nargs="+", default=list(BENCH_METHODS), choices=BENCH_METHODS,
                   metavar="M", help=f"methods (default: all of {' '.join(BENCH_METHODS)})")
    p.add_argument("--time-limit", type=float, default=60.0, metavar="S",
                   help="per solve (default 60)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")


def _instance(n: int, d: int, dist: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([seed, n, d])
    X = rng.uniform(-1, 1, (n, d)) if dist == "uniform" else rng.standard_normal((n, d))
    return X, rng.uniform(-1, 1, d)


def _solve_task(n: int, d: int, dist: str, norm: str, k: int | None, seed: int, method: str,
                time_limit: float) -> dict:
    """One row, in a child process."""
    from solvers.instances import MRSSInstance

    def solve(X: np.ndarray, z: np.ndarray, kk: int | None):
        inst = MRSSInstance.create(X, z, norm=norm, cardinality=kk)
        return mrss.solve_instance(inst, method=method, time_limit=time_limit)

    solve(*_instance(6, d, dist, seed + 1), None if k is None else 3)  # load compiled code
    X, z = _instance(n, d, dist, seed)
    sol, cost = measure(lambda: solve(X, z, k))
    return {"status": sol.status, "error": None if sol.error is None else str(sol.error),
            "error_float": sol.error_float, "method": sol.method, **cost}


def bench_mrss(ns: list[int], d: int, dist: str, norm: str, alpha: float | None,
               methods: list[str], time_limit: float, seed: int,
               log: Any = lambda s: None) -> list[dict]:
    """One row per (n, method) run; methods drop out once they overrun."""
    def kwargs(n: int, method: str) -> dict:
        return {"n": n, "d": d, "dist": dist, "norm": norm, "seed": seed, "method": method,
                "k": None if alpha is None else round(alpha * n), "time_limit": time_limit}

    rows = bench_rows(ns, methods, _solve_task, kwargs, time_limit, log,
                      skip=lambda n, m: m == "brute" and n > mrss.BRUTE_MAX_N, d=d)
    _compare(rows)
    return rows


def _compare(rows: list[dict]) -> None:
    """Ratios to ``auto`` and the check of every error against auto's exact optimum."""
    add_ratios(rows, "auto", "ratio_vs_auto")
    ref = {r["n"]: r for r in rows if r["bench_method"] == "auto" and r.get("status") == "optimal"}
    for r in rows:
        a = ref.get(r["n"])
        if a is not None and r.get("error") is not None:
            r["gap_to_optimum"] = float(Fraction(r["error"]) - Fraction(a["error"]))
            if r.get("status") == "optimal" and r["error"] != a["error"]:
                r["disagrees"] = True


def _table(rows: list[dict]) -> str:
    head = (f"{'n':>3}  {'method':<10} {'status':<25} {'seconds':>9} {'x auto':>9} "
            f"{'peak MB':>8}  {'error':<10} {'- optimum':>9}")
    lines = [head, "-" * len(head)]
    for r in rows:
        rs = ratio_text(r, "ratio_vs_auto")
        status = r.get("status") or ("killed at limit" if r.get("timeout") else
                                     r.get("error_message", "?")[:24])
        err = r.get("error_float")
        gap = r.get("gap_to_optimum")
        lines.append(
            f"{r['n']:>3}  {r['bench_method']:<10} {status:<25} "
            f"{r.get('seconds', float('nan')):9.3f} {rs:>9} {r.get('peak_mb', float('nan')):8.1f}"
            f"  {'' if err is None else f'{err:.3e}':<10} {'' if gap is None else f'{gap:.1e}':>9}"
            + ("  DISAGREES" if r.get("disagrees") else ""))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """`slth bench mrss`; exit 1 if a method claimed ``optimal`` with a different error."""
    check_bench_time_limit(args.time_limit)
    if any(n < 1 or n > 60 for n in args.n):
        raise InputError(f"--n is {args.n}: sizes must be between 1 and 60")
    if not 1 <= args.d <= 64:
        raise InputError(f"--d is {args.d}: expected a dimension between 1 and 64")
    if args.cardinality is not None and not 0 <= args.cardinality <= 1:
        raise InputError(f"--cardinality is {args.cardinality}: expected ALPHA in [0, 1]")
    methods = list(dict.fromkeys(["auto", *args.methods]))
    log = (lambda s: (sys.stderr.write(s), sys.stderr.flush())) if not args.json else (lambda s: None)
    log(f"slth bench mrss: d = {args.d}, {args.dist} vectors, {args.norm}-norm, seed {args.seed}, "
        f"time limit {args.time_limit:g} s per solve\n")
    rows = bench_mrss(sorted(args.n), args.d, args.dist, args.norm, args.cardinality, methods,
                      args.time_limit, args.seed, log)
    if args.json:
        print(json.dumps({"kind": "mrss", "d": args.d, "dist": args.dist, "norm": args.norm,
                          "seed": args.seed, "time_limit": args.time_limit, "rows": rows},
                         indent=2))
    else:
        print(_table(rows))
    return 1 if any(r.get("disagrees") for r in rows) else 0
