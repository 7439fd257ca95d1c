"""1-D subset sum: the exact engines against CP-SAT, the MIPs and brute force, side by side."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from solvers.numbers import InputError
from verify.benchmark import add_ratios, bench_rows, check_bench_time_limit, measure, ratio_text
from verify.runtime import run_in_child

__all__ = ["add_arguments", "run", "bench_rss", "bench_batch", "RSS_METHODS"]

RSS_METHODS = ("auto", "mitm", "bounded", "cpsat", "mip-scip", "mip-highs", "brute")
#: The bench's own budgets: brute force up to 2^26 subsets (about a minute), the plain
#: meet-in-the-middle up to n = 50 (two lists of 2^25 sums, 1.4 GB).
BRUTE_BENCH_MAX_N = 26
MITM_BENCH_MAX_N = 50
#: The batch row: instances of this n, at most this many (the rows alone take 168 B each).
BATCH_N = 21
BATCH_MAX_ROWS = 5_000_000


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
                   help="also time M independent n=21 instances (the per-weight SLTH workload; "
                   "M <= 5000000)")
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
    sol, cost = measure(lambda: solve(inst))
    return {"status": sol.status, "error": str(sol.error) if sol.error is not None else None,
            "error_float": sol.error_float, "method": sol.method, **cost}


def _batch_task(m: int, n: int, seed: int) -> dict:
    from solvers.rss import solve_rss_batch

    rng = np.random.default_rng(seed)
    V = rng.uniform(-1, 1, (m, n))
    T = rng.normal(0, 0.05, m)
    solve_rss_batch(V[:10], T[:10])  # compile before timing
    res, cost = measure(lambda: solve_rss_batch(V, T))
    return {"status": "optimal", "m": m, "n": n, "exact_int64_rows": res.exact_rows,
            "rechecked_rows": res.rechecked_rows,
            "mean_error": float(np.mean(res.error_floats)),
            "max_error": float(np.max(res.error_floats)), **cost}


# --- the rss benchmark -------------------------------------------------------------------------


def bench_rss(ns: list[int], methods: list[str], time_limit: float, seed: int,
              log: Callable[[str], None] = lambda s: None) -> list[dict]:
    """One row per (n, method) that was run; methods drop out once they overrun."""
    rows = bench_rows(ns, methods, _solve_rss_task,
                      lambda n, m: {"n": n, "seed": seed, "method": m, "time_limit": time_limit},
                      time_limit, log, skip=lambda n, m: (m == "brute" and n > BRUTE_BENCH_MAX_N)
                      or (m == "mitm" and n > MITM_BENCH_MAX_N))
    add_ratios(rows, "auto", "ratio_vs_auto")
    return rows


def bench_batch(m: int, seed: int) -> dict:
    """The batch row: ``m`` independent n = 21 instances in one call, in a fresh process."""
    return run_in_child(_batch_task, {"m": m, "n": BATCH_N, "seed": seed}, 3600)


def _table(rows: list[dict]) -> str:
    head = (f"{'n':>3}  {'method':<10} {'status':<25} {'seconds':>9} {'x auto':>10} "
            f"{'peak MB':>8}  error")
    lines = [head, "-" * len(head)]
    for r in rows:
        status = r.get("status") or ("killed at limit" if r.get("timeout") else
                                     r.get("error_message", "?")[:24])
        err = r.get("error_float")
        lines.append(f"{r['n']:>3}  {r['bench_method']:<10} {status:<25} "
                     f"{r.get('seconds', float('nan')):9.3f} {ratio_text(r, 'ratio_vs_auto'):>10} "
                     f"{r.get('peak_mb', float('nan')):8.1f}  "
                     f"{'' if err is None else f'{err:.3e}'}")
    return "\n".join(lines)


def _check_args(args: argparse.Namespace) -> None:
    if any(n < 1 or n > 64 for n in args.n):
        raise InputError(f"--n is {args.n}: sizes must be between 1 and 64")
    if not 0 <= args.batch <= BATCH_MAX_ROWS:
        raise InputError(f"--batch is {args.batch}: expected a number of instances between 0 "
                         f"(none) and {BATCH_MAX_ROWS}")


def _batch_line(m: int, b: dict) -> str:
    if b.get("status") != "optimal":
        return f"batch: {m} instances of n={BATCH_N} FAILED: {b.get('error_message', '?')}"
    return (f"batch: {m} instances of n={BATCH_N}, all proven optimal in {b['seconds']:.1f} s "
            f"({b.get('exact_int64_rows')} in exact int64, {b.get('rechecked_rows')} re-solved "
            f"exactly), peak {b.get('peak_mb', float('nan')):.0f} MB")


def run(args: argparse.Namespace) -> int:
    """`slth bench rss`; exit 1 when the batch row failed."""
    check_bench_time_limit(args.time_limit)
    if args.peers:
        from verify.bench_peers import run_peers

        return run_peers(args)
    _check_args(args)
    methods = list(dict.fromkeys(["auto", *args.methods]))
    log = (lambda s: (sys.stderr.write(s), sys.stderr.flush())) if not args.json else (lambda s: None)
    log(f"slth bench rss: uniform[-1,1] doubles, seed {args.seed}, "
        f"time limit {args.time_limit:g} s per solve\n")
    rows = bench_rss(sorted(args.n), methods, args.time_limit, args.seed, log)
    result: dict[str, Any] = {"kind": "rss", "seed": args.seed, "time_limit": args.time_limit,
                              "rows": rows}
    if args.batch:
        log(f"  batch of {args.batch} independent n={BATCH_N} instances ...\n")
        result["batch"] = bench_batch(args.batch, args.seed)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(_table(rows))
        if args.batch:
            print("\n" + _batch_line(args.batch, result["batch"]))
    return 1 if args.batch and result["batch"].get("status") != "optimal" else 0
