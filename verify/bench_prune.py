"""`slth bench prune`: the subset-sum construction at Pensia scale, and the optimal-mask MIP.

Rows, each in a fresh process (:func:`verify.runtime.run_in_child`; ``peak MB`` is the child's
resident peak):

- ``construction``: a target of the given sizes (weights uniform on [-0.46, 0.54], Pensia et
  al.'s MNIST range) pruned from its construction network; every per-weight problem solved
  exactly by the batch engine. Reports problems/s, the kept ratio, the construction's interval
  bound on the network error, and the error bracket of :func:`solvers.bracket.error_bracket`
  (certified bound by linear bound propagation or spectral cut-norm bounds, attained exact
  error, their ratio).
- ``bracket width w``: the same three figures on the README's small construction networks
  (target ``random_network([2, 2, 1], seed=0, bias=True)``, construction width w).
- ``per-weight MIP``: Pensia et al.'s method, one floating-point MIP (SCIP) per weight half,
  timed on a sample of the same problems and extrapolated to all of them; the ratio is
  against the construction row.
- ``mask MIP``: a 2-2-1 target against random 2-8-1 (unstructured, 33 bits) and 2-32-1
  (structured, 32 bits) networks: optimal masks over the box by constraint generation.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import numpy as np

from solvers.numbers import InputError, check_eps

__all__ = ["add_arguments", "run"]

#: Pensia et al. 2020, 784-500-10 MNIST target, one Gurobi MIP per weight
#: (reported: 21 h on 36 cores).
PENSIA_SECONDS, PENSIA_CORES = 77_266, 36


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``slth bench prune``."""
    p.add_argument("--sizes", default="784,500,10", metavar="D0,D1,...",
                   help="target layer widths (default 784,500,10: Pensia et al.'s MNIST net)")
    p.add_argument("--width", type=int, default=42, help="construction width (default 42)")
    p.add_argument("--eps", nargs="+", default=["0.01"], metavar="E",
                   help="per-weight tolerances; 'none' for the smallest-error objective "
                        "(default 0.01)")
    p.add_argument("--mip-sample", type=int, default=100, metavar="K",
                   help="per-weight problems timed with one MIP each (0 skips; default 100)")
    p.add_argument("--no-mask-mip", action="store_true", help="skip the mask MIP rows")
    p.add_argument("--bracket-time", type=float, default=300.0, metavar="S",
                   help="seconds for the error bracket of the construction (default 300; 0 "
                        "skips it)")
    p.add_argument("--bracket-widths", default="1,4,16,64", metavar="W1,W2,...",
                   help="widths of the small bracket rows ('' skips them; default 1,4,16,64)")
    p.add_argument("--time-limit", type=float, default=600.0, metavar="S",
                   help="per row (default 600)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")


def _target(sizes: list[int], seed: int) -> Any:
    from solvers.networks import Network

    rng = np.random.default_rng(seed)
    return Network.create([rng.uniform(-0.46, 0.54, (sizes[L + 1], sizes[L]))
                           for L in range(len(sizes) - 1)])


def _bracket_fields(target: Any, pruned: Any, time_limit: float, seed: int) -> dict:
    from solvers.bracket import error_bracket

    br = error_bracket(target, pruned, (-1, 1), time_limit=time_limit, seed=seed)
    return {"certified": br.certified, "certified_method": br.method,
            "linear_bound": br.root_bound, "attained": float(br.attained),
            "bracket_ratio": br.ratio, "bracket_status": br.status,
            "bracket_seconds": br.seconds, "bracket_bound_seconds": br.bound_seconds,
            "bracket_attack_seconds": br.attack_seconds, "bracket_boxes": br.boxes}


def _small_bracket_task(width: int, seed: int, time_limit: float) -> dict:
    from solvers.construction import subset_sum_construction
    from solvers.networks import construction_network, random_network

    target = random_network([2, 2, 1], seed=0, bias=True)
    rnd, layout = construction_network(target, width, seed=seed)
    res = subset_sum_construction(target, rnd, layout)
    return {"status": res.status, "error_bound": res.error_bound,
            **_bracket_fields(target, res.pruned, time_limit, seed)}


def _construction_task(sizes: list[int], width: int, eps: str | None, seed: int,
                       bracket_time: float = 0.0) -> dict:
    from solvers.construction import subset_sum_construction, sup_error_sampled
    from solvers.networks import Network, construction_network

    small = Network.create([[[0.5, -0.25]]])
    subset_sum_construction(small, *construction_network(small, 8, seed=1), eps=eps)  # compile
    target = _target(sizes, seed)
    rnd, layout = construction_network(target, width, seed=seed + 1)
    start = time.perf_counter()
    res = subset_sum_construction(target, rnd, layout, eps=eps)
    seconds = time.perf_counter() - start
    sampled = sup_error_sampled(target, res.pruned, 2000, seed=seed)
    bracket = _bracket_fields(target, res.pruned, bracket_time, seed) if bracket_time else {}
    return {**bracket, "status": res.status, "solve_seconds": seconds, "problems": res.n_problems,
            "problems_per_second": res.n_problems / seconds, "unreached": res.n_unreached,
            "kept": res.mask.kept, "kept_ratio": res.kept_ratio,
            "kept_vs_target": res.kept_vs_target, "error_bound": res.error_bound,
            "max_weight_error": float(res.max_weight_error), "sampled_error": sampled,
            "bound_holds": sampled <= res.error_bound}


def _per_weight_mip_task(sizes: list[int], width: int, k: int, seed: int) -> dict:
    from solvers.formulations.rss_mip import solve_rss_mip
    from solvers.instances import RSSInstance
    from solvers.networks import construction_network

    target = _target(sizes, seed)
    rnd, layout = construction_network(target, width, seed=seed + 1)
    rng = np.random.default_rng(seed)
    W, M, N = target.weights[0], rnd.weights[0], rnd.weights[1]
    statuses: dict[str, int] = {}
    solve_rss_mip(RSSInstance.create([0.5, 0.25], 0.3))  # load the solver before timing
    start = time.perf_counter()
    for _ in range(k):
        out, j = int(rng.integers(W.shape[0])), int(rng.integers(W.shape[1]))
        rows = np.arange(layout.block(0, j).start, layout.block(0, j).stop)
        a = M[rows, j]
        sel = rows[a > 0]
        vals = (N[out, sel] * a[a > 0]).tolist() or [0.0]
        sol = solve_rss_mip(RSSInstance.create(vals, float(W[out, j])), solver="scip")
        statuses[sol.status] = statuses.get(sol.status, 0) + 1
    seconds = time.perf_counter() - start
    return {"status": ", ".join(f"{v} {s}" for s, v in statuses.items()),
            "solve_seconds": seconds, "sampled": k, "seconds_per_problem": seconds / k}


def _mask_task(hidden: int, structured: bool, seed: int, time_limit: float) -> dict:
    from solvers.construction import sup_error_sampled
    from solvers.networks import random_network
    from solvers.pruning import optimal_mask

    target = random_network([2, 2, 1], seed=seed, bias=True)
    rnd = random_network([2, hidden, 1], seed=seed + 1, bias=True)
    start = time.perf_counter()
    res = optimal_mask(target, rnd, structured=structured, time_limit=time_limit, seed=seed)
    seconds = time.perf_counter() - start
    sampled = sup_error_sampled(target, rnd.masked(res.mask), 20_000, seed=seed)
    return {"status": res.status, "solve_seconds": seconds, "bits": res.bits,
            "kept_bits": res.kept_bits, "iterations": res.iterations,
            "inputs": len(res.inputs), "error": float(res.error), "upper": res.upper,
            "lower_bound": res.lower_bound, "sampled_error": sampled}


def run(args: argparse.Namespace) -> int:
    from verify.runtime import run_in_child

    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        raise InputError(f"--sizes is {args.sizes!r}: expected widths like 784,500,10") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise InputError(f"--sizes is {args.sizes!r}: expected at least two widths >= 1")
    if args.width < 1:
        raise InputError(f"--width is {args.width}: expected an integer >= 1")
    if not args.time_limit > 0 or args.mip_sample < 0 or not args.bracket_time >= 0:
        raise InputError("--time-limit must be > 0, --mip-sample and --bracket-time >= 0")
    for e in args.eps:  # checked here: a bad eps inside the child would cost a whole bench
        if e.lower() != "none":
            check_eps(e, name="--eps")
    try:
        widths = [int(w) for w in args.bracket_widths.split(",") if w.strip()]
    except ValueError:
        raise InputError(f"--bracket-widths is {args.bracket_widths!r}: expected widths like "
                         "1,4,16") from None
    if any(w < 1 for w in widths):
        raise InputError(f"--bracket-widths is {args.bracket_widths!r}: widths must be >= 1")
    log = (lambda s: None) if args.json else (lambda s: (sys.stderr.write(s), sys.stderr.flush()))
    rows: list[dict[str, Any]] = []
    for e in args.eps:
        eps = None if e.lower() == "none" else e
        log(f"construction {sizes}, width {args.width}, eps {e} ...\n")
        out = run_in_child(_construction_task, {"sizes": sizes, "width": args.width, "eps": eps,
                                                "seed": args.seed,
                                                "bracket_time": args.bracket_time},
                           args.time_limit + args.bracket_time)
        rows.append({"row": "construction", "eps": e, **out})
    for w in widths:
        log(f"bracket 2-2-1, construction width {w} ...\n")
        out = run_in_child(_small_bracket_task, {"width": w, "seed": args.seed,
                                                 "time_limit": min(args.time_limit, 60.0)},
                           args.time_limit)
        rows.append({"row": f"bracket width {w}", **out})
    if args.mip_sample:
        log(f"per-weight MIP on {args.mip_sample} sampled problems ...\n")
        out = run_in_child(_per_weight_mip_task, {"sizes": sizes, "width": args.width,
                                                  "k": args.mip_sample, "seed": args.seed},
                           args.time_limit)
        built = [r for r in rows if "problems" in r]
        if built and "seconds_per_problem" in out:
            out["extrapolated_seconds"] = out["seconds_per_problem"] * built[0]["problems"]
            out["ratio_vs_construction"] = out["extrapolated_seconds"] / built[0]["seconds"]
        rows.append({"row": "per-weight MIP", **out})
    if not args.no_mask_mip:
        for hidden, structured in ((8, False), (32, True)):
            log(f"mask MIP 2-2-1 vs 2-{hidden}-1 {'structured' if structured else 'unstructured'}"
                " ...\n")
            out = run_in_child(_mask_task, {"hidden": hidden, "structured": structured,
                                            "seed": args.seed, "time_limit": args.time_limit},
                               args.time_limit)
            rows.append({"row": f"mask MIP 2-{hidden}-1 "
                                f"{'structured' if structured else 'unstructured'}", **out})
    result = {"kind": "prune", "sizes": sizes, "width": args.width, "seed": args.seed,
              "pensia_reference": {"seconds": PENSIA_SECONDS, "cores": PENSIA_CORES},
              "rows": rows}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(_table(rows))
    return 0


def _table(rows: list[dict[str, Any]]) -> str:
    head = (f"{'row':<30} {'status':<26} {'seconds':>9} {'peak MB':>8}  details")
    lines = [head, "-" * len(head)]
    for r in rows:
        status = str(r.get("status") or ("killed at limit" if r.get("timeout")
                                          else r.get("error_message", "?")))[:26]
        if r["row"] == "construction":
            name = f"construction eps={r['eps']}"
            det = (f"{r.get('problems', 0)} problems, {r.get('problems_per_second', 0):.0f}/s, "
                   f"kept {r.get('kept_vs_target', 0):.3g}x target "
                   f"(ratio {r.get('kept_ratio', 0):.4g}), bound {r.get('error_bound', 0):.4g} "
                   f">= sampled {r.get('sampled_error', 0):.4g}" + _bracket_text(r))
        elif r["row"].startswith("bracket"):
            name = r["row"]
            det = f"interval bound {r.get('error_bound', 0):.4g}" + _bracket_text(r)
        elif r["row"] == "per-weight MIP":
            name = r["row"]
            det = (f"{r.get('seconds_per_problem', 0) * 1e3:.1f} ms/problem, extrapolated "
                   f"{r.get('extrapolated_seconds', 0):.0f} s = "
                   f"{r.get('ratio_vs_construction', 0):.0f}x the construction")
        else:
            name = r["row"]
            det = (f"{r.get('bits')} bits, kept {r.get('kept_bits')}, {r.get('iterations')} "
                   f"rounds, error {r.get('error', 0):.6g} in [{r.get('lower_bound', 0):.6g}, "
                   f"{r.get('upper', 0):.6g}], sampled {r.get('sampled_error', 0):.6g}")
        lines.append(f"{name:<30} {status:<26} {r.get('seconds', float('nan')):9.2f} "
                     f"{r.get('peak_mb', float('nan')):8.0f}  {det}")
    lines.append(f"(Pensia et al.: {PENSIA_SECONDS} s on {PENSIA_CORES} cores, 1% MIP gap)")
    return "\n".join(lines)


def _bracket_text(r: dict[str, Any]) -> str:
    if "certified" not in r:
        return ""
    return (f"; linear bound {r['linear_bound']:.4g}, certified {r['certified']:.4g} "
            f"({r['certified_method']}), attained {r['attained']:.4g} (exact), ratio "
            f"{r['bracket_ratio']:.4g} in {r['bracket_seconds']:.0f} s")
