"""1-D subset sum: the exact engines against CP-SAT, the MIPs and brute force, side by side."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from solvers.numbers import InputError
from verify.runtime import run_in_child

__all__ = ["add_arguments", "run", "bench_rss", "bench_batch", "RSS_METHODS"]

RSS_METHODS = ("auto", "mitm", "bounded", "cpsat", "mip-scip", "mip-highs", "brute")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``slth bench rss``."""
    p.add_argument("--n", type=int, nargs="+", default=[16, 20, 24, 28, 32, 40, 50],
                   help="instance sizes (default: 16 20 24 28 32 40 50)")
    p.add_argument("--methods", nargs="+", default=list(RSS_METHODS), choices=RSS_METHODS,
                   metavar="M", help=f"methods to compare (default: all of {' '.join(RSS_METHODS)})")
    p.add_argument("--time-limit", type=float, default=60.0, metavar="S",
                   help="per solve; a method that overruns is not run at larger n (default 60)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=0, metavar="M",
                   help="also time M independent n=21 instances (the per-weight SLTH workload)")
    p.add_argument("--peers", action="store_true",
                   help="instead: integer workloads against numberpartitioning and prtpy "
                        "(the optional extra 'peers'; see verify.bench_peers)")
    p.add_argument("--workloads", nargs="+", metavar="W",
                   help="with --peers: the workloads to run (default: all)")
    p.add_argument("--json", action="store_true")


def _rss_instance(n: int, seed: int) -> tuple[np.ndarray, float]:
    rng = np.random.default_rng([seed, n])
    return rng.uniform(-1, 1, n), float(rng.uniform(-1, 1))


def _solve_rss_task(n: int, seed: int, method: str, time_limit: float) -> dict:
    from solvers.instances import RSSInstance
    from solvers.rss import solve_instance

    def solve(inst: RSSInstance):
        if method.startswith("mip-"):
            from solvers.formulations.rss_mip import solve_rss_mip

            return solve_rss_mip(inst, solver=method[4:], time_limit=time_limit)
        return solve_instance(inst, method=method, time_limit=time_limit)

    solve(RSSInstance.create(*_rss_instance(8, seed + 1)))  # load compiled code before timing
    inst = RSSInstance.create(*_rss_instance(n, seed))
    start = time.perf_counter()
    sol = solve(inst)
    return {"status": sol.status, "error": str(sol.error) if sol.error is not None else None,
            "error_float": sol.error_float, "method": sol.method,
            "solve_seconds": time.perf_counter() - start}


def _batch_task(m: int, n: int, seed: int) -> dict:
    from solvers.rss import solve_rss_batch

    rng = np.random.default_rng(seed)
    V = rng.uniform(-1, 1, (m, n))
    T = rng.normal(0, 0.05, m)
    res = solve_rss_batch(V[:10], T[:10])  # compile before timing
    start = time.perf_counter()
    res = solve_rss_batch(V, T)
    return {"status": "optimal", "solve_seconds": time.perf_counter() - start, "m": m, "n": n,
            "exact_int64_rows": res.exact_rows, "rechecked_rows": res.rechecked_rows,
            "mean_error": float(np.mean(res.error_floats)),
            "max_error": float(np.max(res.error_floats))}


# --- the rss benchmark -------------------------------------------------------------------------


def bench_rss(ns: list[int], methods: list[str], time_limit: float, seed: int,
              log: Callable[[str], None] = lambda s: None) -> list[dict]:
    """One row per (n, method) that was run; methods drop out once they overrun."""
    rows: list[dict] = []
    dropped: set[str] = set()
    for n in ns:
        for method in methods:
            if method in dropped or (method == "brute" and n > 26):
                continue
            if method == "mitm" and n > 50:
                continue
            out = run_in_child(_solve_rss_task, {"n": n, "seed": seed, "method": method,
                                                 "time_limit": time_limit}, time_limit)
            out.update(n=n, bench_method=method)
            finished = out.get("status") in ("optimal", "optimal_within_tolerance")
            if out.get("timeout") or not finished or out.get("seconds", 0) > time_limit:
                dropped.add(method)
            rows.append(out)
            log(f"  n={n:<3} {method:<10} {out.get('status', 'stopped'):<24}"
                f"{out.get('seconds', float('nan')):9.3f} s\n")
    _add_ratios(rows)
    return rows


def _add_ratios(rows: list[dict]) -> None:
    ref = {r["n"]: r["seconds"] for r in rows
           if r["bench_method"] == "auto" and r.get("status") == "optimal"}
    for r in rows:
        if r["n"] in ref and "seconds" in r:
            ratio = r["seconds"] / ref[r["n"]]
            r["ratio_vs_auto"] = ratio
            r["ratio_is_lower_bound"] = r.get("status") not in ("optimal",
                                                                 "optimal_within_tolerance")


def bench_batch(m: int, seed: int) -> dict:
    return run_in_child(_batch_task, {"m": m, "n": 21, "seed": seed}, 3600)


def _table(rows: list[dict]) -> str:
    head = f"{'n':>3}  {'method':<10} {'status':<25} {'seconds':>9} {'x auto':>10} {'peak MB':>8}  error"
    lines = [head, "-" * len(head)]
    for r in rows:
        ratio = r.get("ratio_vs_auto")
        rs = "" if ratio is None else (">=" if r.get("ratio_is_lower_bound") else "") + f"{ratio:.3g}"
        status = r.get("status") or ("killed at limit" if r.get("timeout") else
                                     r.get("error_message", "?")[:24])
        err = r.get("error_float")
        lines.append(f"{r['n']:>3}  {r['bench_method']:<10} {status:<25} "
                     f"{r.get('seconds', float('nan')):9.3f} {rs:>10} "
                     f"{r.get('peak_mb', float('nan')):8.0f}  {'' if err is None else f'{err:.3e}'}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.time_limit <= 0:
        raise InputError(f"--time-limit is {args.time_limit}: expected seconds > 0")
    if args.peers:
        from verify.bench_peers import run_peers

        return run_peers(args)
    if any(n < 1 or n > 64 for n in args.n):
        raise InputError(f"--n is {args.n}: sizes must be between 1 and 64")
    methods = list(dict.fromkeys(["auto", *args.methods]))
    log = (lambda s: (sys.stderr.write(s), sys.stderr.flush())) if not args.json else (lambda s: None)
    log(f"slth bench rss: uniform[-1,1] doubles, seed {args.seed}, "
        f"time limit {args.time_limit:g} s per solve\n")
    rows = bench_rss(sorted(args.n), methods, args.time_limit, args.seed, log)
    result: dict[str, Any] = {"kind": "rss", "seed": args.seed, "time_limit": args.time_limit,
                              "rows": rows}
    if args.batch:
        log(f"  batch of {args.batch} independent n=21 instances ...\n")
        result["batch"] = bench_batch(args.batch, args.seed)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(_table(rows))
        if args.batch:
            b = result["batch"]
            print(f"\nbatch: {args.batch} instances of n=21, all proven optimal in "
                  f"{b.get('seconds', float('nan')):.1f} s "
                  f"({b.get('exact_int64_rows')} in exact int64, "
                  f"{b.get('rechecked_rows')} re-solved exactly), peak {b.get('peak_mb', 0):.0f} MB")
    return 0
