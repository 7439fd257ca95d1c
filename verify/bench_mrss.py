"""`slth bench mrss`: the d-dimensional meet-in-the-middle against CP-SAT, MIP and brute force.

For each n, the vectors are ``default_rng([seed, n, d])`` draws (uniform on [-1, 1]^d, or
Gaussian N(0, I_d) whose doubles need the rounded int64 path) and the target is uniform on
[-1, 1]^d. Every row runs in a fresh process (:func:`verify.runtime.run_in_child`): ``seconds``
is the solve alone (compiled code is loaded first), ``peak MB`` the child's resident peak. A
method that does not finish within the time limit drops out for larger n. ``x auto`` is the
time relative to the toolkit's ``auto`` at the same n (``>=`` when the method did not prove
optimality). Every method's error is checked against the exact optimum found by ``auto``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from fractions import Fraction
from typing import Any

import numpy as np

from solvers import mrss
from solvers.numbers import InputError
from verify.runtime import run_in_child

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
    start = time.perf_counter()
    sol = solve(X, z, k)
    return {"status": sol.status, "error": None if sol.error is None else str(sol.error),
            "error_float": sol.error_float, "method": sol.method,
            "solve_seconds": time.perf_counter() - start}


def bench_mrss(ns: list[int], d: int, dist: str, norm: str, alpha: float | None,
               methods: list[str], time_limit: float, seed: int,
               log: Any = lambda s: None) -> list[dict]:
    """One row per (n, method) run; methods drop out once they overrun."""
    rows: list[dict] = []
    dropped: set[str] = set()
    for n in ns:
        k = None if alpha is None else round(alpha * n)
        for method in methods:
            if method in dropped or (method == "brute" and n > mrss.BRUTE_MAX_N):
                continue
            out = run_in_child(_solve_task, {"n": n, "d": d, "dist": dist, "norm": norm,
                                             "k": k, "seed": seed, "method": method,
                                             "time_limit": time_limit}, time_limit)
            out.update(n=n, d=d, bench_method=method)
            finished = out.get("status") in ("optimal", "optimal_within_tolerance")
            if out.get("timeout") or not finished or out.get("seconds", 0) > time_limit:
                dropped.add(method)
            rows.append(out)
            log(f"  n={n:<3} {method:<10} {out.get('status', 'stopped'):<25}"
                f"{out.get('seconds', float('nan')):9.3f} s\n")
    _compare(rows)
    return rows


def _compare(rows: list[dict]) -> None:
    """Ratios to ``auto`` and the check of every error against auto's exact optimum."""
    ref = {r["n"]: r for r in rows if r["bench_method"] == "auto" and r.get("status") == "optimal"}
    for r in rows:
        a = ref.get(r["n"])
        if a is None or "seconds" not in r:
            continue
        r["ratio_vs_auto"] = r["seconds"] / a["seconds"]
        r["ratio_is_lower_bound"] = r.get("status") != "optimal"
        if r.get("error") is not None:
            r["gap_to_optimum"] = float(Fraction(r["error"]) - Fraction(a["error"]))
            if r.get("status") == "optimal" and r["error"] != a["error"]:
                r["disagrees"] = True


def _table(rows: list[dict]) -> str:
    head = (f"{'n':>3}  {'method':<10} {'status':<25} {'seconds':>9} {'x auto':>9} "
            f"{'peak MB':>8}  {'error':<10} {'- optimum':>9}")
    lines = [head, "-" * len(head)]
    for r in rows:
        ratio = r.get("ratio_vs_auto")
        rs = "" if ratio is None else (">=" if r.get("ratio_is_lower_bound") else "") + f"{ratio:.3g}"
        status = r.get("status") or ("killed at limit" if r.get("timeout") else
                                     r.get("error_message", "?")[:24])
        err = r.get("error_float")
        gap = r.get("gap_to_optimum")
        lines.append(
            f"{r['n']:>3}  {r['bench_method']:<10} {status:<25} "
            f"{r.get('seconds', float('nan')):9.3f} {rs:>9} {r.get('peak_mb', float('nan')):8.0f}"
            f"  {'' if err is None else f'{err:.3e}':<10} {'' if gap is None else f'{gap:.1e}':>9}"
            + ("  DISAGREES" if r.get("disagrees") else ""))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """`slth bench mrss`; exit 1 if a method claimed ``optimal`` with a different error."""
    if args.time_limit <= 0:
        raise InputError(f"--time-limit is {args.time_limit}: expected seconds > 0")
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
