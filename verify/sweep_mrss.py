"""`slth sweep mrss`: the smallest n with P[a subset within eps of z] >= 1 - delta, per d and eps.

Each trial draws X_1..X_n ~ N(0, I_d) (doubles, seeded by (seed, d, n, trial)) and solves
``min_S ||z - sum_{i in S} X_i||_inf`` exactly with :mod:`solvers.mrss`, for the target
z = (c, ..., c) (default c = 1/2); the exact optimum answers every eps at once. Beside the
measured probabilities: the best second-moment lower bound max_k E[Z_k]^2 / E[Z_k^2] of
:mod:`proofs.moments` for every n (so P >= that curve must hold), the smallest n where it
reaches 1 - delta, the slides' counting threshold (the smallest n with 2^(n/2) (eps /
sqrt(n/2))^d >= 1) and d log2(1/eps). Trials and predictions run on the executor of
:func:`verify.runtime.run_tasks` (process pool or Dask, resumable); outputs: ``trials.jsonl``,
``summary.csv``, ``thresholds.json`` and two PNG plots in ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import time
from collections import defaultdict
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from solvers.numbers import InputError, fraction_str, short_str, to_fraction
from verify.plots import CONFIDENCE, integer_axis, wilson_band
from verify.runtime import check_task_count, read_records, run_tasks
from verify.sweep_coverage import crossing, int_range, log2_inv

__all__ = ["add_arguments", "run", "mrss_task", "summarize_mrss", "plot_mrss"]

_VIOLATION_LEVEL = 1e-3


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``slth sweep mrss`` (the common ones are added by :mod:`verify.sweep`)."""
    p.add_argument("--d", type=int, nargs="+", default=[1, 2, 3, 4],
                   help="dimensions (default 1 2 3 4)")
    p.add_argument("--eps", nargs="+", default=["0.1", "0.05", "0.02"], metavar="E",
                   help="error parameters (default 0.1 0.05 0.02)")
    p.add_argument("--n", default="auto",
                   help="sizes A:B, A:B:STEP or 4,8,16 for every d; 'auto' (default) is "
                   "1:(8d+6) per d")
    p.add_argument("--trials", type=int, default=100, help="trials per (d, n) (default 100)")
    p.add_argument("--delta", type=float, default=0.05,
                   help="report the n where P >= 1 - delta (default 0.05)")
    p.add_argument("--target", default="1/2", metavar="C",
                   help="every coordinate of the target z (default 1/2)")
    p.add_argument("--prediction-max-n", type=int, default=150, metavar="N",
                   help="largest n scanned for the second-moment prediction (default 150)")


def _sizes(text: str, d: int) -> list[int]:
    return list(range(1, 8 * d + 7)) if text == "auto" else int_range(text)


def _key(spec: dict) -> str:
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
    if spec["kind"] == "trial":
        return f"mrss/d={spec['d']}/n={spec['n']}/trial={spec['trial']}/{digest}"
    return f"mrss-prediction/d={spec['d']}/eps={spec['eps']}/{digest}"


def mrss_task(spec: dict) -> dict:
    """One task: a trial (an exact optimum) or a prediction (the second-moment curve).

    >>> rec = mrss_task({"kind": "trial", "d": 2, "n": 6, "trial": 0, "seed": 0,
    ...                  "target": "1/2"})
    >>> rec["error"] == str(Fraction(rec["error"])), rec["d"], rec["n"]
    (True, 2, 6)
    """
    start = time.perf_counter()
    z = [Fraction(spec["target"])] * spec["d"]
    if spec["kind"] == "trial":
        from solvers.mrss import solve_mrss

        rng = np.random.default_rng([spec["seed"], spec["d"], spec["n"], spec["trial"]])
        sol = solve_mrss(rng.standard_normal((spec["n"], spec["d"])), z)
        return {**spec, "error": fraction_str(sol.error), "error_float": sol.error_float,
                "size": len(sol.subset), "seconds": round(time.perf_counter() - start, 6)}
    from proofs.moments import moments

    curve, n_pred = [], None
    for n in range(1, spec["n_max"] + 1):
        best = max(moments(n, z, spec["eps"], dps=20), key=lambda r: (r.bound, -r.k))
        curve.append([n, best.bound, best.k])
        if best.bound >= 1 - spec["delta"]:
            n_pred = n
            if n >= spec["n_sweep"]:
                break
    return {**spec, "curve": curve, "n_pred": n_pred,
            "seconds": round(time.perf_counter() - start, 6)}


def _counting_threshold(d: int, eps: Fraction) -> int:
    """The smallest n with the slides' 2^(n/2) (eps / sqrt(n/2))^d >= 1."""
    log2_e = -log2_inv(eps)
    n = 2
    while n / 2 + d * log2_e - d / 2 * math.log2(n / 2) < 0:
        n += 1
    return n


def summarize_mrss(records: list[dict], eps_list: list[str], delta: float) -> dict[str, Any]:
    """P[success] per (d, eps, n), and per (d, eps) the measured and predicted thresholds.

    ``rows``: d, eps, n, trials, successes, p, se, bound (the second-moment lower bound at n).
    ``thresholds``: per (d, eps) the measured n50 and n_delta (the n from which P stays >= the
    level, interpolated), the second-moment ``n_pred``, the slides' counting threshold,
    d log2(1/eps), and ``bound_violations``: the n where so few successes would have
    probability < 0.001 if P were at least the bound (binomial tail); ``fit``: n_delta =
    C d log2(1/eps) through the origin.
    """
    from scipy.stats import binom

    errors: dict[tuple[int, int], list[Fraction]] = defaultdict(list)
    curves: dict[tuple[int, str], dict] = {}
    for r in records:
        if r["kind"] == "trial":
            errors[(r["d"], r["n"])].append(Fraction(r["error"]))
        else:
            curves[(r["d"], r["eps"])] = r
    rows, thresholds = [], []
    for d in sorted({d for d, _ in errors}):
        ns = sorted(n for dd, n in errors if dd == d)
        for e in eps_list:
            eps = Fraction(e)
            pred = curves.get((d, e))
            bound = {c[0]: c[1] for c in pred["curve"]} if pred else {}
            ps = []
            for n in ns:
                errs = errors[(d, n)]
                p = sum(x <= eps for x in errs) / len(errs)
                ps.append(p)
                rows.append({"d": d, "eps": e, "n": n, "trials": len(errs),
                             "successes": sum(x <= eps for x in errs), "p": p,
                             "se": math.sqrt(p * (1 - p) / len(errs)), "bound": bound.get(n)})
            thresholds.append({
                "d": d, "eps": e, "d_log2_inv_eps": d * log2_inv(eps),
                "n50": crossing(ns, ps, 0.5), "n_delta": crossing(ns, ps, 1 - delta),
                "n_pred": None if pred is None else pred["n_pred"],
                "n_counting": _counting_threshold(d, eps),
                "bound_violations": [
                    n for n in ns if bound.get(n) is not None and binom.cdf(
                        sum(x <= eps for x in errors[(d, n)]), len(errors[(d, n)]), bound[n]
                    ) < _VIOLATION_LEVEL],
            })
    pts = [(t["d_log2_inv_eps"], t["n_delta"]) for t in thresholds if t["n_delta"] is not None]
    fit = None
    if pts:
        X, Y = np.array(pts).T
        fit = {"C": float(X @ Y / (X @ X)), "points": len(pts)}
    return {"rows": rows, "thresholds": thresholds, "fit": fit, "delta": delta}


def plot_mrss(summary: dict[str, Any], out_dir: Path) -> list[Path]:
    """Two PNG plots: P[success] against n (measured and the second-moment lower bound), one
    panel per eps; and the thresholds against d (measured, predicted, counting, d log2 1/eps)."""
    from matplotlib.figure import Figure

    rows, th = summary["rows"], summary["thresholds"]
    eps_list = list(dict.fromkeys(r["eps"] for r in rows))
    ds = sorted({r["d"] for r in rows})
    fig = Figure(figsize=(4.2 * len(eps_list), 4))
    for j, e in enumerate(eps_list):
        ax = fig.add_subplot(1, len(eps_list), j + 1)
        for i, d in enumerate(ds):
            rs = [r for r in rows if r["d"] == d and r["eps"] == e]
            ax.plot([r["n"] for r in rs], [r["p"] for r in rs], "o-", ms=2, color=f"C{i}",
                    label=f"d = {d} measured")
            wilson_band(ax, [r["n"] for r in rs], [r["successes"] for r in rs],
                        [r["trials"] for r in rs], f"C{i}",
                        f"{CONFIDENCE:.0%} Wilson interval" if i == 0 else None)
            bs = [(r["n"], r["bound"]) for r in rs if r["bound"] is not None]
            ax.plot([n for n, _ in bs], [b for _, b in bs], "--", color=f"C{i}", lw=1,
                    label=f"d = {d} 2nd-moment bound")
        ax.set(xlabel="n", ylabel="P[min_S ||z - sum X_S||_inf <= eps]",
               title=f"eps = {short_str(Fraction(e))}", ylim=(-0.02, 1.02))
        integer_axis(ax.xaxis)
        ax.yaxis.label.set_fontsize(8)
        if j == 0:
            ax.legend(fontsize=6)
    fig.tight_layout()
    paths = [out_dir / "p_success.png"]
    fig.savefig(paths[0], dpi=110)

    fig = Figure(figsize=(6, 4.5))
    ax = fig.add_subplot()
    for j, e in enumerate(eps_list):
        t = [x for x in th if x["eps"] == e]
        label = f"eps = {short_str(Fraction(e))}"
        ax.plot([x["d"] for x in t], [x["n_delta"] for x in t], "o-", color=f"C{j}",
                label=f"measured, {label}")
        ax.plot([x["d"] for x in t], [x["n_pred"] for x in t], "s--", color=f"C{j}", ms=4,
                label=f"2nd-moment prediction, {label}")
        ax.plot([x["d"] for x in t], [x["d_log2_inv_eps"] for x in t], ":", color=f"C{j}",
                label=f"d log2(1/eps), {label}")
    ax.set(xlabel="d", ylabel=f"n with P >= 1 - {summary['delta']:g}",
           title="MRSS: the n that suffices, measured vs predicted")
    integer_axis(ax.xaxis)
    integer_axis(ax.yaxis)
    ax.legend(fontsize=6)
    paths.append(out_dir / "thresholds.png")
    fig.savefig(paths[1], dpi=110)
    return paths


def _specs(args: argparse.Namespace) -> tuple[list[dict], list[str]]:
    eps = [fraction_str(to_fraction(e, "--eps")) for e in args.eps]
    if any(Fraction(e) <= 0 for e in eps):
        raise InputError(f"--eps is {' '.join(args.eps)}: every eps must be > 0")
    if any(Fraction(e) >= 1 for e in eps):  # the empty sum is within eps of all of [-1, 1]^d
        raise InputError(f"--eps is {' '.join(args.eps)}: every eps must be < 1 (from 1 on, "
                         "every target of [-1, 1]^d is within eps of the empty sum)")
    if any(d < 1 or d > 16 for d in args.d):
        raise InputError(f"--d is {args.d}: dimensions must be between 1 and 16")
    if args.trials < 1:
        raise InputError(f"--trials is {args.trials}: expected an integer >= 1")
    if not 0 < args.delta < 1:
        raise InputError(f"--delta is {args.delta}: expected a number in (0, 1)")
    target = fraction_str(to_fraction(args.target, "--target"))
    check_task_count(sum(len(_sizes(args.n, d)) for d in args.d) * args.trials, "--n and --trials")
    specs = []
    for d in args.d:
        ns = _sizes(args.n, d)
        specs += [{"kind": "trial", "d": d, "n": n, "trial": t, "seed": args.seed,
                   "target": target} for n in ns for t in range(args.trials)]
        specs += [{"kind": "prediction", "d": d, "eps": e, "delta": args.delta, "target": target,
                   "n_sweep": max(ns), "n_max": args.prediction_max_n} for e in eps]
    # the predictions are the longest tasks: start them first
    return sorted(specs, key=lambda s: s["kind"] != "prediction"), eps


def run(args: argparse.Namespace) -> int:
    """`slth sweep mrss`: run (or resume) the tasks, then write the summary and the plots."""
    specs, eps = _specs(args)
    out_dir = Path(args.out)
    path = out_dir / "trials.jsonl"
    report = run_tasks([(_key(s), s) for s in specs], mrss_task, path, workers=args.workers,
                       scheduler=args.scheduler, progress=not args.no_progress and None,
                       desc="mrss")
    wanted = {_key(s) for s in specs}
    records = [r for r in read_records(path) if r["key"] in wanted]
    summary = summarize_mrss(records, eps, args.delta)
    with (out_dir / "summary.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, ["d", "eps", "n", "trials", "successes", "p", "se", "bound"])
        w.writeheader()
        w.writerows(summary["rows"])
    thresholds = {k: summary[k] for k in ("thresholds", "fit", "delta")}
    (out_dir / "thresholds.json").write_text(json.dumps(thresholds, indent=1) + "\n")
    plots = plot_mrss(summary, out_dir) if summary["rows"] else []
    result = {"records": len(records), "ran": report.done, "skipped": report.skipped,
              "failed": len(report.failed), "seconds": round(report.seconds, 3),
              "files": [str(p) for p in (path, out_dir / "summary.csv",
                                         out_dir / "thresholds.json", *plots)],
              **thresholds}
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        _print(summary, result)
    return 1 if report.failed else 0


def _print(summary: dict[str, Any], result: dict[str, Any]) -> None:
    def fmt(x: float | None) -> str:
        return "never" if x is None else f"{x:.1f}"

    print(f"MRSS: n with P >= 1 - delta = {1 - summary['delta']:g} (X ~ N(0, I_d), exact optima)")
    print(f"{'d':>2} {'eps':>7} {'n50':>6} {'n_delta':>8} {'2nd-mom':>8} {'counting':>9} "
          f"{'d log2(1/eps)':>14}  bound violated at")
    for t in summary["thresholds"]:
        print(f"{t['d']:>2} {short_str(Fraction(t['eps'])):>7} {fmt(t['n50']):>6} "
              f"{fmt(t['n_delta']):>8} {t['n_pred'] if t['n_pred'] else 'never':>8} "
              f"{t['n_counting']:>9} {t['d_log2_inv_eps']:>14.1f}  "
              f"{t['bound_violations'] or 'nowhere'}")
    if summary["fit"]:
        print(f"fit: n_delta = {summary['fit']['C']:.3f} d log2(1/eps)")
    print(f"{result['records']} records ({result['ran']} run now, {result['skipped']} resumed, "
          f"{result['failed']} failed) in {result['seconds']} s")
    for f in result["files"]:
        print(f"wrote {f}")
