"""`slth sweep coverage`: P[every z in [-1, 1] is within eps of a subset sum] against
n, per eps and value distribution, the covering-radius distribution, the n where the
probability crosses 50 %, 95 % and 1 - delta, the fitted C in n >= C log2(1/eps) and the
theorem's curve 1 - exp(-(n - C log2(1/eps))^2 / 4n) at that C.

"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import time
from collections import defaultdict
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from solvers.coverage import (
    MAX_INTERVALS,
    ORDERS,
    check_coverage_size,
    check_radius_size,
    covering_radius,
    is_covered,
)
from solvers.memory import max_intervals_for_memory
from solvers.numbers import InputError, fraction_str, nearest_float, short_str, to_fraction
from verify.plots import CONFIDENCE, integer_axis, wilson_band
from verify.runtime import check_task_count, read_records, run_tasks

__all__ = [
    "add_arguments",
    "run",
    "DISTRIBUTIONS",
    "draw_values",
    "coverage_trial",
    "summarize_coverage",
    "theorem_curve",
    "plot_coverage",
    "int_range",
    "crossing",
]


# --- the coverage sweep ------------------------------------------------------------------------

#: Value distributions: uniform on [-1, 1]; standard Gaussian; the product b a of two uniforms
#: (the pruning construction's weights); the slides' mixture p f + (1 - p) g with f uniform on
#: [-1, 1] and g standard Gaussian.
DISTRIBUTIONS = ("uniform", "gaussian", "product", "mixture")

_GRID = 2.0**52  # values are rounded to multiples of 2^-52 (at most 2^-53 away): int64 exact


def draw_values(dist: str, n: int, rng: np.random.Generator, p: float = 0.5) -> np.ndarray:
    """n values of a distribution of :data:`DISTRIBUTIONS`, on the 2^-52 grid.

    >>> v = draw_values("product", 3, np.random.default_rng(0))
    >>> bool(np.all(np.abs(v) <= 1)), bool(np.all(v * 2.0**52 == np.round(v * 2.0**52)))
    (True, True)
    """
    if dist == "uniform":
        x = rng.uniform(-1.0, 1.0, n)
    elif dist == "gaussian":
        x = rng.standard_normal(n)
    elif dist == "product":
        x = rng.uniform(-1.0, 1.0, n) * rng.uniform(-1.0, 1.0, n)
    elif dist == "mixture":
        x = np.where(rng.random(n) < p, rng.uniform(-1.0, 1.0, n), rng.standard_normal(n))
    else:
        raise InputError(f"dist is {dist!r}: expected one of {', '.join(DISTRIBUTIONS)}")
    return np.round(x * _GRID) / _GRID


def coverage_trial(spec: dict) -> dict:
    """One sweep trial: draw the values, decide coverage at every eps, maybe the radius.

    The eps are tried in increasing order: a covered eps settles every larger one, and an
    uncovered witness at distance d settles every eps < d.

    >>> rec = coverage_trial({"dist": "uniform", "p": 0.5, "n": 8, "trial": 0, "seed": 0,
    ...                       "eps": ["1/10", "1/100"], "interval": ["-1", "1"],
    ...                       "radius": True, "order": None})
    >>> rec["covered"], Fraction(rec["radius"]) > Fraction(1, 100)
    ({'1/10': True, '1/100': False}, True)
    """
    start = time.perf_counter()
    rng = np.random.default_rng(
        [spec["seed"], DISTRIBUTIONS.index(spec["dist"]), spec["n"], spec["trial"]])
    values = draw_values(spec["dist"], spec["n"], rng, spec["p"])
    interval = [Fraction(x) for x in spec["interval"]]
    covered: dict[str, bool] = {}
    distance: dict[str, str | None] = {}
    known_gap = Fraction(0)  # an uncovered point at this distance is known
    known_cover: Fraction | None = None  # covered at this eps
    for eps_s in sorted(spec["eps"], key=Fraction):
        eps = Fraction(eps_s)
        if known_cover is not None and eps >= known_cover:
            covered[eps_s], distance[eps_s] = True, None
        elif eps < known_gap:
            covered[eps_s], distance[eps_s] = False, fraction_str(known_gap)
        else:
            res = is_covered(values, eps, interval, order=spec["order"])
            covered[eps_s] = res.covered
            distance[eps_s] = None if res.distance is None else fraction_str(res.distance)
            if res.covered:
                known_cover = eps
            else:
                known_gap = max(known_gap, res.distance)
    radius = covering_radius(values, interval, order=spec["order"]).radius if spec[
        "radius"] else None
    return {
        "kind": "coverage", "dist": spec["dist"], "p": spec["p"], "n": spec["n"],
        "trial": spec["trial"], "seed": spec["seed"], "interval": spec["interval"],
        "values": values.tolist(), "covered": {e: covered[e] for e in spec["eps"]},
        "distance": {e: distance[e] for e in spec["eps"]},
        "radius": None if radius is None else fraction_str(radius),
        "radius_float": None if radius is None else float(radius),
        "seconds": round(time.perf_counter() - start, 6),
    }


def _task_key(spec: dict) -> str:
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
    return f"coverage/{spec['dist']}/n={spec['n']}/trial={spec['trial']}/{digest}"


def crossing(ns: list[int], ps: list[float], q: float) -> float | None:
    """The n where P first reaches q for good (linear interpolation); None if it never does."""
    for i in range(len(ns)):
        if all(p >= q for p in ps[i:]):
            if i == 0:
                return float(ns[0])
            p0, p1 = ps[i - 1], ps[i]
            return ns[i - 1] + (q - p0) / (p1 - p0) * (ns[i] - ns[i - 1])
    return None


def _fit(xs: list[float], ys: list[float]) -> dict[str, float] | None:
    """Least squares y = C x + c0 and y = C' x; None with fewer than two points."""
    if len(xs) < 2:
        return None
    X, Y = np.array(xs), np.array(ys)
    C, c0 = np.polyfit(X, Y, 1)
    return {"C": float(C), "c0": float(c0), "C_origin": float(X @ Y / (X @ X))}


def log2_inv(eps: float | Fraction) -> float:
    """log2(1/eps) from the exact rational (no underflow: eps = 1e-400 gives 1328.8).

    >>> round(log2_inv(Fraction(1, 10**400)), 1)
    1328.8
    """
    q = Fraction(eps)
    return math.log2(q.denominator) - math.log2(q.numerator)


def theorem_curve(n: np.ndarray, C: float, eps: float | Fraction) -> np.ndarray:
    """The theorem's 1 - exp(-(n - C log2(1/eps))^2 / 4n) for n > C log2(1/eps), else 0."""
    m = C * log2_inv(eps)
    return np.where(n > m, 1 - np.exp(-((n - m) ** 2) / (4 * n)), 0.0)


def summarize_coverage(records: list[dict], delta: float = 0.05) -> dict[str, Any]:
    """P[covered] per (dist, eps, n), radius quantiles per (dist, n), crossings and fits.

    For each distribution: ``rows`` (dist, eps, n, trials, covered, p), ``radius`` rows,
    per eps the n at 50 %, 95 % and 1 - delta (the first n from which P stays above), the
    fits of those n against log2(1/eps), and ``C``: the through-origin slope of the 50 % line,
    at which the theorem's curve is drawn; ``theorem_violations`` lists the (eps, n) where the
    measured P falls below that curve.
    """
    by: dict[tuple[str, str, int], list[bool]] = defaultdict(list)
    radii: dict[tuple[str, int], list[float]] = defaultdict(list)
    for r in records:
        for e, c in r["covered"].items():
            by[(r["dist"], e, r["n"])].append(bool(c))
        if r.get("radius_float") is not None:
            radii[(r["dist"], r["n"])].append(r["radius_float"])
    out: dict[str, Any] = {}
    for dist in sorted({d for d, _, _ in by}):
        eps_list = sorted({e for d, e, _ in by if d == dist}, key=lambda e: -Fraction(e))
        rows, per_eps = [], {}
        for e in eps_list:
            ns = sorted(n for d, ee, n in by if d == dist and ee == e)
            ps = [sum(by[(dist, e, n)]) / len(by[(dist, e, n)]) for n in ns]
            rows += [{"dist": dist, "eps": e, "n": n, "trials": len(by[(dist, e, n)]),
                      "covered": sum(by[(dist, e, n)]), "p": p} for n, p in zip(ns, ps, strict=True)]
            per_eps[e] = {"log2_inv_eps": log2_inv(Fraction(e)),
                          "n50": crossing(ns, ps, 0.5), "n95": crossing(ns, ps, 0.95),
                          "n_delta": crossing(ns, ps, 1 - delta)}
        fits = {}
        for q in ("n50", "n95", "n_delta"):
            pts = [(v["log2_inv_eps"], v[q]) for v in per_eps.values() if v[q] is not None]
            fits[q] = _fit([x for x, _ in pts], [y for _, y in pts])
        C = fits["n50"]["C_origin"] if fits["n50"] else None
        violations = []
        if C is not None:
            for row in rows:
                bound = float(theorem_curve(np.array([row["n"]]), C, Fraction(row["eps"]))[0])
                if row["p"] < bound:
                    violations.append({"eps": row["eps"], "n": row["n"], "p": row["p"],
                                       "theorem": bound})
        rad_rows = []
        for (d, n), rs in sorted(radii.items()):
            if d == dist:
                q = np.quantile(rs, [0.05, 0.25, 0.5, 0.75, 0.95])
                rad_rows.append({"dist": d, "n": n, "trials": len(rs),
                                 **{f"q{int(k * 100):02d}": float(v)
                                    for k, v in zip((0.05, 0.25, 0.5, 0.75, 0.95), q, strict=True)}})
        out[dist] = {"rows": rows, "per_eps": per_eps, "fits": fits, "C": C, "delta": delta,
                     "theorem_violations": violations, "radius": rad_rows}
    return out


def plot_coverage(summary: dict[str, Any], dist: str, out_dir: Path) -> list[Path]:
    """PNG plots of one distribution's summary: P[covered] against n per eps (with the
    theorem's curve at the fitted C), the crossing n against log2(1/eps) with the fitted
    lines, and the covering-radius quantiles against n. Returns the paths written."""
    from matplotlib.figure import Figure

    s = summary[dist]
    paths = []
    fig = Figure(figsize=(9, 4.5))
    ax = fig.add_subplot()
    for k, e in enumerate(s["per_eps"]):
        rows = [r for r in s["rows"] if r["eps"] == e]
        color = f"C{k}"
        ns = [r["n"] for r in rows]
        ax.plot(ns, [r["p"] for r in rows], "o-", ms=3, color=color,
                label=f"eps = {short_str(Fraction(e))}, measured")
        wilson_band(ax, ns, [r["covered"] for r in rows], [r["trials"] for r in rows], color,
                    f"{CONFIDENCE:.0%} Wilson interval" if k == 0 else None)
        if s["C"] is not None:
            grid = np.linspace(max(1, rows[0]["n"]), rows[-1]["n"], 400)
            ax.plot(grid, theorem_curve(grid, s["C"], Fraction(e)), "--", color=color,
                    lw=1, label=f"eps = {short_str(Fraction(e))}, theorem at C = {s['C']:.2f}")
    title = f"P[[-1,1] covered], {dist} values"
    if s["C"] is not None:
        title += "; theorem: 1 - exp(-(n - C log2(1/eps))^2/4n)"
    ax.set(xlabel="n", ylabel="P[covered]", title=title, ylim=(-0.02, 1.02))
    integer_axis(ax.xaxis)
    ax.title.set_fontsize(8)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    paths.append(out_dir / f"p_covered_{dist}.png")
    fig.savefig(paths[-1], dpi=120, bbox_inches="tight")

    fig = Figure(figsize=(6, 4.5))
    ax = fig.add_subplot()
    xs = np.array([v["log2_inv_eps"] for v in s["per_eps"].values()])
    for q, marker, label, color in (("n50", "o", "50 %", "C0"), ("n95", "s", "95 %", "C1")):
        ys = [v[q] for v in s["per_eps"].values()]
        pts = [(x, y) for x, y in zip(xs, ys, strict=True) if y is not None]
        ax.plot([x for x, _ in pts], [y for _, y in pts], marker, color=color,
                label=f"n at {label}")
        fit = s["fits"][q]
        if fit:
            ax.plot(xs, fit["C"] * xs + fit["c0"], "-", lw=1, color=color,
                    label=f"{label}: n = {fit['C']:.2f} log2(1/eps) + {fit['c0']:.1f}")
    ax.set(xlabel="log2(1/eps)", ylabel="n", title=f"coverage threshold, {dist} values")
    integer_axis(ax.yaxis)
    ax.legend(fontsize=8)
    paths.append(out_dir / f"thresholds_{dist}.png")
    fig.savefig(paths[-1], dpi=120)

    if s["radius"]:
        fig = Figure(figsize=(6, 4.5))
        ax = fig.add_subplot()
        ns = [r["n"] for r in s["radius"]]
        ax.fill_between(ns, [math.log2(r["q05"]) for r in s["radius"]],
                        [math.log2(r["q95"]) for r in s["radius"]], alpha=0.2, label="5-95 %")
        ax.fill_between(ns, [math.log2(r["q25"]) for r in s["radius"]],
                        [math.log2(r["q75"]) for r in s["radius"]], alpha=0.4, label="25-75 %")
        ax.plot(ns, [math.log2(r["q50"]) for r in s["radius"]], "k-", label="median")
        ax.set(xlabel="n", ylabel="log2 covering radius of [-1, 1]",
               title=f"exact covering radius, {dist} values")
        integer_axis(ax.xaxis)
        ax.legend(fontsize=8)
        paths.append(out_dir / f"radius_{dist}.png")
        fig.savefig(paths[-1], dpi=120)
    return paths


def int_range(text: str) -> list[int]:
    """"4:60" (inclusive), "4:60:2" or "4,8,16" -> a list of n >= 1."""
    try:
        if ":" in text:
            parts = [int(p) for p in text.split(":")]
            if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] < 1):
                raise ValueError
            sizes: range | list[int] = range(parts[0], parts[1] + 1,
                                             parts[2] if len(parts) == 3 else 1)
        else:
            sizes = [int(p) for p in text.split(",")]
    except ValueError:
        raise InputError(f"--n is {text!r}: expected A:B, A:B:STEP or a list like 4,8,16") from None
    check_task_count(len(sizes), f"--n {text}")  # before a range is expanded
    ns = list(sizes)
    if not ns or min(ns) < 1:
        raise InputError(f"--n is {text!r}: expected a non-empty range of n >= 1")
    return ns


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n", default="4:60", help="sizes: A:B (inclusive), A:B:STEP or 4,8,16 "
                   "(default 4:60)")
    p.add_argument("--eps", nargs="+", default=["1e-1", "1e-2", "1e-3", "1e-4"], metavar="E",
                   help="error parameters (default 1e-1 1e-2 1e-3 1e-4)")
    p.add_argument("--trials", type=int, default=200, help="trials per (n, dist) (default 200)")
    p.add_argument("--dist", nargs="+", default=["uniform"], choices=DISTRIBUTIONS,
                   help="value distributions (default uniform)")
    p.add_argument("--p", type=float, default=0.5, help="mixture weight of the uniform part")
    p.add_argument("--delta", type=float, default=0.05, help="report the n where P >= 1 - delta")
    p.add_argument("--interval", nargs=2, default=["-1", "1"], metavar=("A", "B"),
                   help="the interval to cover (default -1 1)")
    p.add_argument("--radius-max-n", type=int, default=20, metavar="N",
                   help="also compute the exact covering radius for n <= N (default 20)")
    p.add_argument("--order", choices=ORDERS, default=None,
                   help="processing order (speed only; default: the solvers' defaults)")


def _coverage_specs(args: argparse.Namespace) -> list[dict]:
    ns = int_range(args.n)
    eps = [fraction_str(to_fraction(e, "--eps")) for e in args.eps]
    if any(Fraction(e) <= 0 for e in eps):
        raise InputError(f"--eps is {' '.join(args.eps)}: every eps must be > 0")
    if args.trials < 1:
        raise InputError(f"--trials is {args.trials}: expected an integer >= 1")
    if not 0 <= args.p <= 1:
        raise InputError(f"--p is {args.p}: expected a probability in [0, 1]")
    if not 0 < args.delta < 1:
        raise InputError(f"--delta is {args.delta}: expected a number in (0, 1)")
    a, b = (to_fraction(x, "--interval") for x in args.interval)
    if not a < b:
        raise InputError(f"--interval is [{fraction_str(a)}, {fraction_str(b)}]: expected A < B")
    interval = [fraction_str(a), fraction_str(b)]
    # before any trial: the largest n at the smallest eps must fit in each worker's share
    limit = max_intervals_for_memory(MAX_INTERVALS) // (args.workers or os.cpu_count() or 1)
    check_coverage_size(max(ns), min(eps, key=Fraction), (a, b), limit)
    radius_ns = [n for n in ns if n <= args.radius_max_n]
    for dist in args.dist if radius_ns else ():  # on one draw of the largest n
        values = draw_values(dist, max(radius_ns), np.random.default_rng(0), args.p)
        check_radius_size(values, (a, b), limit)
    check_task_count(len(args.dist) * len(ns) * args.trials, "--dist, --n and --trials")
    return [{"dist": d, "p": args.p, "n": n, "trial": t, "seed": args.seed, "eps": eps,
             "interval": interval, "radius": n <= args.radius_max_n, "order": args.order}
            for d in args.dist for n in ns for t in range(args.trials)]


def run(args: argparse.Namespace) -> int:
    """`slth sweep coverage`: run (or resume) the trials, then write the summary and plots."""
    specs = _coverage_specs(args)
    out_dir = Path(args.out)
    trials_path = out_dir / "trials.jsonl"
    report = run_tasks([(_task_key(s), s) for s in specs], coverage_trial, trials_path,
                       workers=args.workers, scheduler=args.scheduler,
                       progress=not args.no_progress, desc="coverage")
    wanted = {_task_key(s) for s in specs}
    records = [r for r in read_records(trials_path) if r["key"] in wanted]
    summary = summarize_coverage(records, args.delta)
    with (out_dir / "summary.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, ["dist", "eps", "n", "trials", "covered", "p"])
        w.writeheader()
        for s in summary.values():
            w.writerows(s["rows"])
    with (out_dir / "radius.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, ["dist", "n", "trials", "q05", "q25", "q50", "q75", "q95"])
        w.writeheader()
        for s in summary.values():
            w.writerows(s["radius"])
    fits = {d: {k: s[k] for k in ("per_eps", "fits", "C", "delta", "theorem_violations")}
            for d, s in summary.items()}
    (out_dir / "fits.json").write_text(json.dumps(fits, indent=1) + "\n")
    plots = [str(p) for d in summary for p in plot_coverage(summary, d, out_dir)]
    result = {"trials": len(records), "ran": report.done, "skipped": report.skipped,
              "failed": len(report.failed), "seconds": round(report.seconds, 3),
              "files": [str(trials_path), str(out_dir / "summary.csv"),
                        str(out_dir / "radius.csv"), str(out_dir / "fits.json"), *plots],
              "fits": fits}
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        _print_coverage(summary, result)
    return 1 if report.failed else 0


def _print_coverage(summary: dict[str, Any], result: dict[str, Any]) -> None:
    for dist, s in summary.items():
        eps_list = list(s["per_eps"])
        print(f"P[[-1,1] covered], {dist} values")
        print("   n  " + "".join(f"{'eps=' + format(nearest_float(Fraction(e)), 'g'):>12}"
                                  for e in eps_list))
        ps = {(r["eps"], r["n"]): r for r in s["rows"]}
        for n in sorted({r["n"] for r in s["rows"]}):
            cells = [ps.get((e, n)) for e in eps_list]
            print(f"{n:4d}  " + "".join(f"{c['p']:12.3f}" if c else f"{'':12}" for c in cells))
        for e, v in s["per_eps"].items():
            fmt = [f"{v[q]:.1f}" if v[q] is not None else "never" for q in
                   ("n50", "n95", "n_delta")]
            print(f"eps={short_str(Fraction(e))}: n50 {fmt[0]}, n95 {fmt[1]}, "
                  f"n(1-delta={1 - s['delta']:g}) {fmt[2]}")
        for q, fit in s["fits"].items():
            if fit:
                print(f"fit {q}: n = {fit['C']:.3f} log2(1/eps) + {fit['c0']:.2f}; "
                      f"through 0: C = {fit['C_origin']:.3f}")
        if s["C"] is not None:
            print(f"theorem curve at C = {s['C']:.3f}: measured P below it at "
                  f"{len(s['theorem_violations'])} of {len(s['rows'])} points")
    print(f"{result['trials']} trials ({result['ran']} run now, {result['skipped']} resumed, "
          f"{result['failed']} failed) in {result['seconds']} s")
    for f in result["files"]:
        print(f"wrote {f}")
