"""`slth bench cover`: the interval-union recursion against full enumeration of the 2^n sums.

For each n (values uniform on [-1, 1], ``default_rng([seed, n])``) and eps: the verdict of
:func:`solvers.coverage.is_covered` in each processing order, the exact covering radius, and
the baseline: all 2^n subset sums generated sorted (by merging, exact int64), then the widest
gap. Every row runs in a fresh process (:mod:`verify.benchmark`): ``seconds`` is the computation
alone, ``peak MB`` the resident memory it added at its peak. ``x enum`` is the time relative to
the enumeration at the same n (``~`` when both are below a millisecond: noise). Verdicts and
radii are checked against the enumeration wherever it ran.
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from typing import Any

import numpy as np

from solvers.coverage import ORDERS
from solvers.numbers import InputError, fraction_str, to_fraction
from verify.benchmark import add_ratios, bench_row, check_bench_time_limit, measure, ratio_text

__all__ = ["add_arguments", "run", "enumerate_radius"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``slth bench cover``."""
    p.add_argument("--n", type=int, nargs="+", default=[16, 20, 24, 30, 40, 60, 80],
                   help="sizes (default 16 20 24 30 40 60 80)")
    p.add_argument("--eps", nargs="+", default=["1e-3"], metavar="E",
                   help="tolerances of the verdict rows (default 1e-3)")
    p.add_argument("--orders", nargs="+", default=list(ORDERS), choices=ORDERS,
                   help="processing orders of the verdict rows (default: all; the first is the "
                   "time reference)")
    p.add_argument("--enum-max-n", type=int, default=24, metavar="N",
                   help="largest n for full enumeration (2^n sums; default 24)")
    p.add_argument("--radius-max-n", type=int, default=30, metavar="N",
                   help="largest n for the exact covering radius rows (default 30)")
    p.add_argument("--time-limit", type=float, default=120.0, metavar="S",
                   help="per row (default 120)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")


def enumerate_radius(values: np.ndarray, interval: tuple[Fraction, Fraction] = (
        Fraction(-1), Fraction(1))) -> Fraction:
    """The covering radius by full enumeration: 2^n sorted sums, the widest gap, the ends.

    >>> enumerate_radius(np.array([0.5, 0.25]), (Fraction(0), Fraction(1)))
    Fraction(1, 4)
    """
    from solvers import rss_kernels
    from solvers.numbers import common_scale, scale_to_int

    vals = [Fraction(float(v)) for v in values]
    V = common_scale(vals)
    P = rss_kernels.half_sums(np.array(scale_to_int(vals, V), dtype=np.int64))[0]
    A, B = interval[0] * V, interval[1] * V
    mid2 = P[:-1] + P[1:]
    inside = (mid2 >= -(-2 * A.numerator // A.denominator)) & (mid2 <= 2 * B.numerator //
                                                               B.denominator)
    best = Fraction(int(np.max(P[1:][inside] - P[:-1][inside])), 2) if inside.any() else 0
    for z in (A, B):
        k = int(np.searchsorted(P, z.numerator // z.denominator))
        near = [P[i] for i in (k - 1, k, k + 1) if 0 <= i < len(P)]
        best = max(best, min(abs(z - int(p)) for p in near))
    return best / V


def _values(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng([seed, n]).uniform(-1.0, 1.0, n)


def _task(n: int, seed: int, what: str, eps: str | None, order: str) -> dict:
    """One row, in a child process: warm up the compiled code, then time the computation."""
    from solvers.coverage import covering_radius, is_covered

    is_covered(_values(6, seed + 1), "1/100")
    covering_radius(_values(6, seed + 1))
    values = _values(n, seed)
    out: dict[str, Any] = {}

    def compute() -> None:
        if what == "enumerate":
            out["radius"] = fraction_str(enumerate_radius(values))
        elif what == "radius":
            r = covering_radius(values, order=order)
            out.update(radius=fraction_str(r.radius), peak_intervals=r.stats["peak_intervals"])
        else:
            c = is_covered(values, eps, order=order)
            out.update(covered=c.covered, peak_intervals=c.stats["peak_intervals"])

    _, cost = measure(compute)
    return {**out, **cost}


def _rows(args: argparse.Namespace, eps_list: list[str], log: Any) -> list[dict]:
    rows = []

    def one(n: int, what: str, eps: str | None, order: str, label: str) -> dict:
        rows.append(bench_row(_task, {"n": n, "seed": args.seed, "what": what, "eps": eps,
                                      "order": order}, args.time_limit, log, n=n,
                              method=label, eps=eps))
        return rows[-1]

    for n in sorted(args.n):
        exact = one(n, "enumerate", None, "", "enumerate 2^n") if n <= args.enum_max_n else None
        for eps in eps_list:
            for order in args.orders:
                r = one(n, "verdict", eps, order, f"is_covered/{order}")
                if exact and "radius" in exact and "covered" in r:
                    r["agrees"] = r["covered"] == (Fraction(exact["radius"]) <= Fraction(eps))
        if n <= args.radius_max_n:
            r = one(n, "radius", None, "desc", "covering_radius/desc")  # its default order
            if exact and "radius" in exact and "radius" in r:
                r["agrees"] = r["radius"] == exact["radius"]
    add_ratios(rows, "enumerate 2^n", "ratio_vs_enumeration", field="method")
    return rows


def _table(rows: list[dict]) -> str:
    head = (f"{'n':>3}  {'method':<22} {'eps':<10} {'result':<12} {'seconds':>9} {'x enum':>8} "
            f"{'peak MB':>8} {'intervals':>10}  agrees")
    lines = [head, "-" * len(head)]
    for r in rows:
        if "covered" in r:
            res = "covered" if r["covered"] else "uncovered"
        elif "radius" in r:
            res = f"{float(Fraction(r['radius'])):.4g}"
        else:
            res = "killed" if r.get("timeout") else r.get("error_message", "?")[:12]
        ratio = ratio_text(r, "ratio_vs_enumeration")
        agrees = {True: "yes", False: "NO", None: ""}[r.get("agrees")]
        lines.append(f"{r['n']:>3}  {r['method']:<22} {r['eps'] or '':<10} {res:<12} "
                     f"{r.get('seconds', float('nan')):9.4f} {ratio:>8} "
                     f"{r.get('peak_mb', float('nan')):8.1f} {r.get('peak_intervals', ''):>10}"
                     f"  {agrees}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """`slth bench cover`; exit 1 if a result disagrees with the enumeration."""
    check_bench_time_limit(args.time_limit)
    if any(n < 1 or n > 200 for n in args.n):
        raise InputError(f"--n is {args.n}: sizes must be between 1 and 200")
    if args.enum_max_n > 30:
        raise InputError(f"--enum-max-n is {args.enum_max_n}: 2^n sums beyond n = 30 do not fit")
    eps_list = []
    for e in args.eps:
        f = to_fraction(e, "--eps")
        if f <= 0:
            raise InputError(f"--eps is {e}: every eps must be > 0")
        eps_list.append(fraction_str(f))
    log = (lambda s: (sys.stderr.write(s), sys.stderr.flush())) if not args.json else (
        lambda s: None)
    log(f"slth bench cover: uniform[-1,1] doubles, seed {args.seed}, interval [-1, 1]\n")
    rows = _rows(args, eps_list, log)
    if args.json:
        print(json.dumps({"kind": "cover", "seed": args.seed, "rows": rows}, indent=2))
    else:
        print(_table(rows))
    return 1 if any(r.get("agrees") is False for r in rows) else 0
