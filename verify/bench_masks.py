"""`slth bench masks`: optimal masks by the exact engine against CP-SAT and the MIPs, side by side.

The setting of the README: target ``random_network([2, 2, 1], seed=0, bias=True)``, random
networks the first h hidden neurons of ``random_network([2, 32, 1], seed=1, bias=True)``, the
box [-1, 1]^2. Each row runs in a fresh process (:func:`verify.runtime.run_in_child`;
``peak MB`` is the child's resident peak):

- ``box``: the mask minimising the sup over the box: ``exact`` (constraint generation with the
  exact CP-SAT master and exact sups: ``optimal`` is a proof) against ``scip`` and ``highs``
  (constraint generation over floating-point MIPs: ``optimal_within_tolerance`` at best).
- ``master``: the master alone over a fixed set of inputs (a 9 x 9 grid and the target's
  vertices): the CP-SAT formulation on exactly rounded rows with its exact closing
  (``cpsat``) against the MathOpt MIP formulation under SCIP and HiGHS.
- ``constr`` (``--construction-widths W ...``): the box problem on the construction's 4-layer
  random networks ``construction_network(target, W, seed=0)`` (sizes 2-3W-2-3W-1): the exact
  engine (layered CP-SAT master, exact sups over linear regions) against the MIP loops.

Ratios are seconds over the exact engine's (CP-SAT's for the master rows); a row stopped at the
time limit gives a lower bound ``>= x``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from solvers.numbers import InputError
from verify.benchmark import check_bench_time_limit

__all__ = ["add_arguments", "run", "bench_masks"]

ENGINES = ("exact", "scip", "highs")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``slth bench masks``."""
    p.add_argument("--hidden", type=int, nargs="+", default=[8, 12, 16], metavar="H",
                   help="random hidden widths, 1..32 (default 8 12 16)")
    p.add_argument("--structured", action="store_true", help="one bit per hidden neuron")
    p.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    p.add_argument("--no-master", action="store_true", help="skip the fixed-input master rows")
    p.add_argument("--construction-widths", type=int, nargs="*", default=[], metavar="W",
                   help="also the construction's 4-layer networks of these widths, 1..16 "
                        "(rows 'constr')")
    p.add_argument("--no-hidden", action="store_true",
                   help="skip the one-hidden-layer rows (box and master)")
    p.add_argument("--time-limit", type=float, default=120.0, metavar="S",
                   help="per row (default 120)")
    p.add_argument("--json", action="store_true")


def _networks(h: int, mode: str = "box") -> tuple[Any, Any]:
    from solvers.networks import Network, construction_network, random_network

    if mode == "constr":
        target = random_network([2, 2, 1], seed=0, bias=True)
        return target, construction_network(target, h, seed=0)[0]
    full = random_network([2, 32, 1], seed=1, bias=True)
    rnd = Network.create([full.weights[0][:h], full.weights[1][:, :h]],
                         [full.biases[0][:h], full.biases[1]])
    return random_network([2, 2, 1], seed=0, bias=True), rnd


def _master_inputs() -> list[list[float]]:
    """A 9 x 9 grid of [-1, 1]^2 (exact doubles)."""
    return [[-1 + i / 4, -1 + j / 4] for i in range(9) for j in range(9)]


def _solve_task(h: int, structured: bool, engine: str, mode: str, time_limit: float) -> dict:
    """One row, in the child process."""
    from solvers.pruning import optimal_mask

    target, rnd = _networks(h, mode)
    inputs = _master_inputs() if mode == "master" else None
    start = time.perf_counter()
    res = optimal_mask(target, rnd, structured=structured, inputs=inputs,
                       engine="exact" if engine == "cpsat" else engine, time_limit=time_limit)
    return {"status": res.status, "error": str(res.error), "error_float": float(res.error),
            "upper": res.upper, "lower_bound": res.lower_bound, "bits": res.bits,
            "solve_seconds": time.perf_counter() - start}


def bench_masks(hidden: list[int], structured: bool, engines: list[str], master: bool,
                time_limit: float, log: Any = lambda s: None,
                construction: list[int] = ()) -> list[dict]:
    """One row per (mode, h, engine); the reference engine first."""
    from verify.runtime import run_in_child

    rows = []
    mips = [e for e in engines if e != "exact"]
    modes = [("box", ["exact", *mips], hidden)]
    if master:
        modes.append(("master", ["cpsat", *mips], hidden))
    if construction:
        modes.append(("constr", ["exact", *mips], construction))
    for mode, names, widths in modes:
        for h in widths:
            ref = None
            for engine in names:
                out = run_in_child(_solve_task, {"h": h, "structured": structured,
                                                 "engine": engine, "mode": mode,
                                                 "time_limit": time_limit}, time_limit)
                out.update(mode=mode, hidden=h, engine=engine)
                if ref is None:
                    ref = out
                elif "seconds" in ref and "seconds" in out:
                    out["ratio"] = out["seconds"] / max(ref["seconds"], 1e-9)
                    out["ratio_is_lower_bound"] = out.get("status") not in (
                        "optimal", "optimal_within_tolerance")
                rows.append(out)
                log(f"  {mode:<6} h={h:<3} {engine:<6} {out.get('status', 'stopped'):<25}"
                    f"{out.get('seconds', float('nan')):9.2f} s\n")
    return rows


def _table(rows: list[dict]) -> str:
    head = (f"{'mode':<6} {'h|w':>4} {'bits':>5}  {'engine':<6} {'status':<25} {'seconds':>9} "
            f"{'ratio':>8} {'peak MB':>8}  {'error (exact)':<14} {'lower bound':<12}")
    lines = [head, "-" * len(head)]
    for r in rows:
        ratio = r.get("ratio")
        rs = "" if ratio is None else (">=" if r.get("ratio_is_lower_bound") else "") + f"{ratio:.3g}"
        status = r.get("status") or ("killed at limit" if r.get("timeout") else
                                     str(r.get("error_message", "?"))[:24])
        err, low = r.get("error_float"), r.get("lower_bound")
        lines.append(f"{r['mode']:<6} {r['hidden']:>4} {r.get('bits', ''):>5}  {r['engine']:<6} "
                     f"{status:<25} {r.get('seconds', float('nan')):9.2f} {rs:>8} "
                     f"{r.get('peak_mb', float('nan')):8.0f}  "
                     f"{'' if err is None else f'{err:.8g}':<14} "
                     f"{'' if low is None else f'{low:.8g}':<12}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """`slth bench masks`."""
    check_bench_time_limit(args.time_limit)
    if any(not 1 <= h <= 32 for h in args.hidden):
        raise InputError(f"--hidden is {args.hidden}: widths must be between 1 and 32")
    if any(not 1 <= w <= 16 for w in args.construction_widths):
        raise InputError(f"--construction-widths is {args.construction_widths}: widths must be "
                         "between 1 and 16")
    log = (lambda s: (sys.stderr.write(s), sys.stderr.flush())) if not args.json else (lambda s: None)
    log(f"slth bench masks: {'structured' if args.structured else 'unstructured'}, time limit "
        f"{args.time_limit:g} s per row\n")
    hidden = [] if args.no_hidden else sorted(args.hidden)
    rows = bench_masks(hidden, args.structured, args.engines,
                       not args.no_master and not args.no_hidden, args.time_limit, log,
                       sorted(args.construction_widths))
    if args.json:
        print(json.dumps({"kind": "masks", "structured": args.structured, "rows": rows},
                         indent=2))
    else:
        print(_table(rows))
    return 0
