"""`slth cover` and `slth lueker`: is a whole interval within eps of the subset sums?

``slth cover INSTANCE (--eps E | --radius) [--interval A B]``: the exact verdict, with an
uncovered witness and its distance, or the exact covering radius with the subsets on either side
of the point attaining it. Exit codes: 0 covered (or the radius was computed), 1 not covered,
2 bad input (also a run whose intervals, estimated before it starts, exceed 4 x
``--max-intervals`` or what memory allows), 3 undecided (a run the estimate let through
exceeded ``--max-intervals`` after all).

``slth lueker INSTANCE --eps E``: the slides' process v_t next to the true covered fraction
and E[v_{t+1} | X_1..X_t], as a table and a plot. ``slth lueker --check``: the inequality
E[v_{t+1} | X_1..X_t] >= v_t (1 + (1 - v_t)/4) on random prefixes (exit 1 on a violation).

An INSTANCE file is ``{"values": [...]}`` (JSON, or TOML by suffix); it may also give ``eps``
and ``interval`` (the options win), and other instance keys (``target``...) are ignored.

>>> import json, os, tempfile
>>> from verify.cli import SlthParser
>>> parser = SlthParser(prog="slth")
>>> register(parser.add_subparsers(parser_class=SlthParser))
>>> path = os.path.join(tempfile.mkdtemp(), "inst.json")
>>> _ = open(path, "w").write(json.dumps({"values": [1, 2, 4]}))
>>> args = parser.parse_args(["cover", path, "--eps", "1/2", "--interval", "0", "8"])
>>> args.func(args)
covered    no
interval   [0, 8]
eps        1/2  (0.5)
witness    8  (8)
distance   1  (1)
1
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

from solvers.coverage import (
    MAX_INTERVALS,
    ORDERS,
    IntervalLimitExceeded,
    check_lueker_inequality,
    covering_radius,
    is_covered,
    lueker_process,
)
from solvers.files import check_writable, read_data_file
from solvers.instances import CoverageProblem
from solvers.memory import max_intervals_for_memory
from solvers.numbers import (
    InputError,
    check_exact_size,
    fraction_str,
    nearest_float,
    short_str,
    to_fraction,
)
from verify.progress import QUIET_SECONDS, ProgressBar, elapsed

__all__ = ["register", "run_cover", "run_lueker", "read_values"]

_INSTANCE_KEYS = {"values", "target", "targets", "cardinality", "max_cardinality", "norm", "eps",
                  "name", "interval"}


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``slth cover`` and ``slth lueker``."""
    p = sub.add_parser("cover", help="does every z in an interval have a subset sum within eps?",
                       description="Exact verdict: does every z in [A, B] have a subset sum "
                       "within eps? Or the exact covering radius. Exit 0 covered, 1 not, "
                       "2 bad input, 3 undecided.")
    p.add_argument("instance", help='file {"values": [...]} (JSON or TOML)')
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--eps", default=None, help="the tolerance (exact string ok: 1e-5, 1/3)")
    mode.add_argument("--radius", action="store_true", help="compute the exact covering radius")
    p.add_argument("--interval", nargs=2, default=None, metavar=("A", "B"),
                   help="the interval to cover (default -1 1)")
    p.add_argument("--order", choices=ORDERS, default=None,
                   help="processing order of the values (speed only; default asc for --eps, "
                   "desc for --radius)")
    p.add_argument("--max-intervals", type=int, default=MAX_INTERVALS, metavar="M",
                   help=f"memory bound (default {MAX_INTERVALS:.0e}, at most what memory "
                   "allows); a run estimated beyond 4x it is refused (exit 2), one that "
                   "exceeds it while running is undecided (exit 3)")
    p.add_argument("--json", action="store_true", help="exact JSON output")
    p.set_defaults(func=run_cover)

    q = sub.add_parser("lueker", help="the RSS proof's process, its expectation, the inequality",
                       description="The slides' Lueker process v_t, the true covered fraction and "
                       "E[v_{t+1} | X_1..X_t], or --check of the inequality on random prefixes.")
    q.add_argument("instance", nargs="?", help='file {"values": [...]} (not with --check)')
    q.add_argument("--eps", default=None, help="the error parameter (distance < 2 eps)")
    q.add_argument("--plot", default="lueker.png", metavar="PNG",
                   help="where to draw both traces (default lueker.png)")
    q.add_argument("--no-plot", action="store_true", help="no plot")
    q.add_argument("--check", action="store_true",
                   help="check E[v_{t+1}|..] >= v_t (1 + (1 - v_t)/4) on random prefixes")
    q.add_argument("--prefixes", type=int, default=1000, help="--check: prefixes (default 1000)")
    q.add_argument("--check-eps", nargs="+", default=["1/10", "1/30", "1/100", "1/1000"],
                   metavar="E", help="--check: eps values, used in turn")
    q.add_argument("--t-max", type=int, default=20, help="--check: sample path length")
    q.add_argument("--seed", type=int, default=0, help="--check: random seed")
    q.add_argument("--json", action="store_true", help="exact JSON output")
    q.set_defaults(func=run_lueker)


def read_values(path: str) -> tuple[list[Fraction], dict[str, Any]]:
    """The exact values of an instance file, and the file's other keys."""
    data = read_data_file(path)
    if isinstance(data, list):
        data = {"values": data}
    if not isinstance(data, dict) or "values" not in data:
        raise InputError(f"{path} has no 'values': expected {{\"values\": [numbers]}}")
    unknown = set(data) - _INSTANCE_KEYS
    if unknown:
        raise InputError(f"{path} has unknown keys {sorted(unknown)}")
    return list(CoverageProblem.create(data["values"]).values), data


def _numbers_if_valid(xs: list[object]) -> list[Fraction]:
    """The exact numbers among ``xs`` (the solvers name whatever is malformed, in their words)."""
    out = []
    for x in xs:
        try:
            out.append(to_fraction(x))
        except InputError:
            continue
    return out


def _show(x: Fraction | None) -> str:
    return "-" if x is None else f"{fraction_str(x)}  ({nearest_float(x):.6g})"


def run_cover(args: argparse.Namespace) -> int:
    try:
        return _cover(args)
    except IntervalLimitExceeded as exc:
        sys.stderr.write(f"slth cover: undecided: {exc}\n")
        return 3


def _cover(args: argparse.Namespace) -> int:
    values, data = read_values(args.instance)
    interval = args.interval or data.get("interval", (-1, 1))
    eps = args.eps if args.eps is not None else data.get("eps")
    check_exact_size([*values, *_numbers_if_valid(
        [*(interval if isinstance(interval, (list, tuple)) else []), eps])])
    if args.radius:
        bar = ProgressBar("  covering radius", delay=QUIET_SECONDS)
        r = covering_radius(values, interval, order=args.order, progress=bar,
                            max_intervals=max_intervals_for_memory(args.max_intervals))
        bar.close()
        out = {"covered": None, "witness": fraction_str(r.point),
               "distance": fraction_str(r.radius), "radius": fraction_str(r.radius),
               **{k: v for k, v in r.to_json().items() if k not in ("radius", "point")}}
        rows = [("radius", _show(r.radius)), ("point", _show(r.point)),
                ("below", f"sum {_show(r.below_sum)}  subset {list(r.below or [])}"
                 if r.below is not None else "no subset sum below within the radius"),
                ("above", f"sum {_show(r.above_sum)}  subset {list(r.above or [])}"
                 if r.above is not None else "no subset sum above within the radius")]
        code = 0
    else:
        if eps is None:
            raise InputError("give --eps E (the tolerance) or --radius")
        bar = ProgressBar("  values processed", delay=QUIET_SECONDS)
        c = is_covered(values, eps, interval, order=args.order, progress=bar,
                       max_intervals=max_intervals_for_memory(args.max_intervals))
        bar.close()
        out = {**c.to_json(), "radius": None}
        rows = [("covered", "yes" if c.covered else "no"), ("eps", _show(c.eps))]
        if not c.covered:
            rows += [("witness", _show(c.witness)), ("distance", _show(c.distance))]
        code = 0 if c.covered else 1
    lo, hi = out["interval"]
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        rows.insert(1, ("interval", f"[{lo}, {hi}]"))
        for key, val in rows:
            print(f"{key:<10} {val}")
    return code


def run_lueker(args: argparse.Namespace) -> int:
    if args.check:
        if args.instance is not None:
            raise InputError("--check draws its own prefixes: give no INSTANCE")
        bar = ProgressBar("  prefixes checked", delay=QUIET_SECONDS)
        chk = check_lueker_inequality(args.prefixes, eps=args.check_eps, t_max=args.t_max,
                                      seed=args.seed, progress=bar)
        bar.close()
        if args.json:
            print(json.dumps(chk.to_json(), indent=1))
        else:
            print(f"checked {chk.n_checked} prefixes: "
                  f"{'no violation' if chk.holds else f'{len(chk.violations)} VIOLATIONS'}")
            print(f"smallest slack E[v_t+1|..] - v_t(1 + (1 - v_t)/4): {_show(chk.min_slack)} "
                  f"(eps {chk.min_slack_eps}, t = {len(chk.min_slack_prefix)})")
            if chk.min_ratio is not None:
                print(f"smallest ratio (E[v_t+1|..] - v_t) / (v_t (1 - v_t)/4): "
                      f"{_show(chk.min_ratio)} (eps {chk.min_ratio_eps}, "
                      f"t = {len(chk.min_ratio_prefix or ())}; the inequality needs >= 1)")
            for e, prefix, slack in chk.violations[:5]:
                print(f"violation: eps {e}, slack {_show(slack)}, prefix "
                      f"{[fraction_str(x) for x in prefix]}")
        return 0 if chk.holds else 1
    if args.instance is None:
        raise InputError("give an INSTANCE file (or --check)")
    values, data = read_values(args.instance)
    eps = args.eps if args.eps is not None else data.get("eps")
    if eps is None:
        raise InputError("give --eps E (the error parameter)")
    if not args.no_plot:
        check_writable(args.plot, "--plot")
    check_exact_size([*values, to_fraction(eps, "--eps")])
    with elapsed("  Lueker process (exact)"):
        tr = lueker_process(values, eps)
    if args.json:
        print(json.dumps(tr.to_json(), indent=1))
    else:
        print(f"{'t':>3} {'X_t':>10} {'v_t':>10} {'true':>10} {'E[v_t+1|.]':>11} "
              f"{'bound':>10} {'slack':>10}")
        for t in range(len(tr.v)):
            x = "" if t == 0 else f"{nearest_float(tr.values[t - 1]):10.6f}"
            print(f"{t:3d} {x:>10} {nearest_float(tr.v[t]):10.6f} {nearest_float(tr.covered[t]):10.6f} "
                  f"{nearest_float(tr.expected[t]):11.6f} {nearest_float(tr.bound(t)):10.6f} "
                  f"{nearest_float(tr.slack(t)):10.6f}")
    if not args.no_plot:
        _plot_lueker(tr, Path(args.plot))
        if not args.json:
            print(f"wrote {args.plot}")
    return 0


def _plot_lueker(tr: Any, path: Path) -> None:
    from matplotlib.figure import Figure

    ts = list(range(len(tr.v)))
    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.add_subplot()
    ax.plot(ts, [nearest_float(v) for v in tr.covered], "s-", ms=3, label="true covered fraction")
    ax.plot(ts, [nearest_float(v) for v in tr.v], "o-", ms=3, label="v_t (slides' process)")
    ax.plot([t + 1 for t in ts], [nearest_float(e) for e in tr.expected], "x:",
            label="E[v_t | X_1..X_t-1]")
    ax.plot([t + 1 for t in ts], [nearest_float(tr.bound(t)) for t in ts], "--", lw=1,
            label="v_t-1 (1 + (1 - v_t-1)/4)")
    ax.set(xlabel="t", ylabel="fraction of [-1, 1]", ylim=(0, 1.02),
           title=f"Lueker process, eps = {short_str(tr.eps)}, n = {len(tr.values)}")
    ax.legend(fontsize=8)
    try:
        fig.savefig(path, dpi=120)
    except OSError as exc:
        raise InputError(f"cannot write --plot {path}: {exc.strerror or exc}") from None
