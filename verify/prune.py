"""`slth prune`: prune a random network into a target, by the subset-sum construction or optimally.

Writes to OUTDIR: ``random.json`` (the random network), ``pruned.json`` (the same layers with
pruned weights and biases set to 0), ``mask.json`` (0/1 per weight and bias), ``report.json`` (``status``: "optimal"
when every per-weight problem is proven, "optimal_within_tolerance" for a proven MIP mask;
``error_bound``; ``kept_ratio``; per-layer figures; the error bracket ``attained_error`` <= sup
over the box of ||f - g||_inf <= ``certified_error`` and their ``bracket_ratio``, see
:func:`solvers.bracket.error_bracket`) and ``network.png``. With ``--npz`` the
networks and the mask are written as ``.npz`` (Pensia-scale networks hold tens of millions of
weights; above 200,000 parameters the graph analysis is skipped and the PNG is a per-layer
chart).

Exit codes: 0 success, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from solvers.memory import check_memory, check_subset_memory, network_bytes
from solvers.networks import (
    DISTRIBUTIONS,
    ConstructionLayout,
    Network,
    NetworkMask,
    construction_network,
    write_network,
)
from solvers.numbers import InputError, to_fraction
from solvers.torch_io import read_network_file, write_masks_safetensors, write_safetensors
from verify.progress import ProgressBar

__all__ = ["register", "run", "honest_verdict"]

CONSTRUCTIONS = ("subset-sum", "optimal")
#: Above this many parameters the networkx analysis (pruning kind, dead neurons, the drawing of
#: every edge) is skipped: per-layer figures come from the mask arrays and the PNG is a chart.
GRAPH_MAX_PARAMS = 200_000


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prune", help="prune a random network into a target network",
                       description=__doc__.splitlines()[0])
    p.add_argument("target", metavar="TARGET",
                   help="target network (.json, .toml, .npz, or PyTorch .safetensors / .onnx)")
    p.add_argument("--width", type=int, required=True, metavar="N",
                   help="neurons per block of the construction (per input, per target layer)")
    p.add_argument("--construction", choices=CONSTRUCTIONS, default="subset-sum",
                   help="subset-sum: one exact RSS per weight half; optimal: the optimal mask "
                        "(exact for one hidden layer and <= 3 inputs or any depth and <= 2 "
                        "inputs, else the MIPs)")
    p.add_argument("--structured", action="store_true",
                   help="optimal only: one bit per hidden neuron instead of per edge")
    p.add_argument("--eps", metavar="E", default=None,
                   help="subset-sum: per-weight tolerance, keep the fewest values within it; "
                        "optimal: keep the fewest bits with worst error <= E")
    p.add_argument("--seed", type=int, default=0, help="seed of the random network (default 0)")
    p.add_argument("--dist", choices=DISTRIBUTIONS, default="uniform",
                   help="random weight distribution (default uniform on [-1, 1])")
    p.add_argument("--random", metavar="FILE", default=None,
                   help="use this random network instead of generating one (it must have the "
                        "construction's shape for subset-sum)")
    p.add_argument("--box", default="-1,1", metavar="LO,HI",
                   help="input box [LO, HI]^d of the error bound (default -1,1)")
    p.add_argument("--budget", type=int, default=None, metavar="B",
                   help="optimal only: keep at most B bits")
    p.add_argument("--time-limit", type=float, default=None, metavar="S",
                   help="optimal only: seconds for the MIP loop")
    p.add_argument("--bracket-time", type=float, default=60.0, metavar="S",
                   help="seconds for the error bracket's attack and refinement (default 60)")
    p.add_argument("--no-bracket", action="store_true",
                   help="skip the error bracket (attained and certified sup error)")
    p.add_argument("-o", "--outdir", required=True, metavar="OUTDIR")
    p.add_argument("--npz", action="store_true", help="write the networks as .npz")
    p.add_argument("--safetensors", action="store_true",
                   help="also write random/pruned.safetensors and mask.safetensors (the "
                        "torch.nn.utils.prune convention: NAME.weight_orig, NAME.weight_mask)")
    p.add_argument("--no-png", action="store_true", help="skip network.png")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def _box(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(to_fraction(v.strip(), "--box")) for v in text.split(","))
    except OverflowError:
        raise InputError(f"--box is {text!r}: beyond the largest double (~1.8e308)") from None
    except ValueError:
        raise InputError(f"--box is {text!r}: expected LO,HI like -1,1") from None
    if not lo < hi:
        raise InputError(f"--box is {text!r}: expected LO < HI")
    return lo, hi


def _check_args(args: argparse.Namespace) -> None:
    if args.width < 1:
        raise InputError(f"--width is {args.width}: expected an integer >= 1")
    if args.seed < 0:
        raise InputError(f"--seed is {args.seed}: expected an integer >= 0")
    if args.construction == "subset-sum":
        for flag, val in (("--structured", args.structured), ("--budget", args.budget),
                          ("--time-limit", args.time_limit)):
            if val not in (None, False):
                raise InputError(f"{flag} applies to --construction optimal only")
    if args.budget is not None and args.budget < 0:
        raise InputError(f"--budget is {args.budget}: expected an integer >= 0")
    if not args.bracket_time >= 0:
        raise InputError(f"--bracket-time is {args.bracket_time}: expected seconds >= 0")
    if args.time_limit is not None and not args.time_limit > 0:
        raise InputError(f"--time-limit is {args.time_limit}: expected seconds > 0")
    if args.eps is not None and to_fraction(args.eps, "--eps") < 0:
        raise InputError(f"--eps is {args.eps}: expected a number >= 0")


def construction_params(sizes: tuple[int, ...], biases: tuple[object, ...], width: int) -> int:
    """Parameters of the construction's random network, counted before it is drawn.

    >>> construction_params((3, 4, 2), (1, None), 20)  # random (3, 80, 4, 80, 2)
    1120
    """
    total = 0
    for L, b in enumerate(biases):
        d_in, d_out = sizes[L], sizes[L + 1]
        hidden = width * (d_in + (b is not None))
        total += hidden * (d_in + (b is not None) + d_out)
    return total


def honest_verdict(report: dict[str, Any]) -> dict[str, Any]:
    """The construction's report with a status that claims only what happened.

    With ``--eps``, every per-weight problem that has no subset within eps (``n_unreached``)
    keeps its closest subset instead. Then the network is *not* pruned within eps, and a
    status ``optimal`` would say it is: the status becomes ``infeasible`` (it is proven that
    this random network has no per-weight pruning within eps) and ``warning`` says how many
    weights missed eps and by how much.

    Examples
    --------
    >>> r = honest_verdict({"status": "optimal", "eps": "1/100", "n_unreached": 4,
    ...                     "n_problems": 36, "max_weight_error": "229/500",
    ...                     "max_weight_error_float": 0.458})
    >>> r["status"], r["eps_reached"]
    ('infeasible', False)
    >>> r["warning"]
    '4 of 36 per-weight problems have no subset within eps = 1/100 (proven); worst weight error 0.458'
    """
    out = dict(report)
    if out.get("eps") is None:
        return out
    missed = int(out.get("n_unreached", 0))
    out["eps_reached"] = missed == 0
    if missed:
        proven = out["status"] == "optimal"
        if proven:
            out["status"] = "infeasible"
        out["warning"] = (f"{missed} of {out['n_problems']} per-weight problems have no subset "
                          f"within eps = {out['eps']}{' (proven)' if proven else ''}; worst "
                          f"weight error {out['max_weight_error_float']:.3g}")
    return out


def _prune(args: argparse.Namespace, target: Network, rnd: Network,
           layout: ConstructionLayout, box: tuple[float, float],
           log: Callable[[str], None]) -> tuple[dict[str, Any], NetworkMask]:
    """Run the chosen construction; its report (with an honest status) and its mask."""
    from solvers.construction import subset_sum_construction
    from solvers.pruning import optimal_mask

    quiet = args.json
    report: dict[str, Any]
    if args.construction == "subset-sum":
        bar = ProgressBar("  per-weight problems", enabled=not quiet)
        res = subset_sum_construction(target, rnd, layout, eps=args.eps, box=box, progress=bar)
        bar(1.0)
        bar.close()
        mask = res.mask
        report = honest_verdict(res.to_json())
    else:
        log("  optimal mask: constraint generation (exact engine, or MIPs beyond it) ...\n")
        bar = ProgressBar("  lower / upper bound", enabled=not quiet)
        res_opt = optimal_mask(target, rnd, structured=args.structured, box=box,
                               max_kept=args.budget, eps=args.eps, time_limit=args.time_limit,
                               seed=args.seed, progress=bar)
        bar.close()
        mask = res_opt.mask
        report = res_opt.to_json()
        report.update(random_params=rnd.n_params, target_params=target.n_params,
                      kept_ratio=mask.kept / rnd.n_params,
                      kept_vs_target=mask.kept / target.n_params)
    return report, mask


def _networks(args: argparse.Namespace) -> tuple[Network, Network, ConstructionLayout]:
    """The target, the random network (drawn, or read with ``--random``) and its layout; the
    memory they need is estimated before anything is allocated."""
    target = read_network_file(args.target)
    if args.construction == "subset-sum":  # a per-weight problem holds up to width values
        check_subset_memory(args.width, what=f"a per-weight subset-sum problem of up to "
                            f"{args.width} values", fix="use a smaller --width")
    if args.random is None:
        check_memory(network_bytes(construction_params(target.sizes, target.biases, args.width)),
                     f"the random network of width {args.width}", "use a smaller --width")
    rnd, layout = construction_network(target, args.width, seed=args.seed, dist=args.dist)
    if args.random is not None:
        rnd = read_network_file(args.random)
        if rnd.sizes[0] != target.sizes[0]:
            raise InputError(f"the target has {target.sizes[0]} inputs but the random network "
                             f"{args.random} has {rnd.sizes[0]}: they must take the same input")
    return target, rnd, layout


def run(args: argparse.Namespace) -> int:
    from solvers import graph

    _check_args(args)
    box = _box(args.box)
    quiet = args.json

    def log(msg: str) -> None:
        if not quiet:
            sys.stderr.write(msg)
            sys.stderr.flush()

    target, rnd, layout = _networks(args)
    log(f"slth prune: target {target.sizes}, random {rnd.sizes} ({rnd.n_params} parameters), "
        f"{args.construction}\n")
    start = time.perf_counter()
    try:
        report, mask = _prune(args, target, rnd, layout, box, log)
    except OverflowError:
        raise InputError(f"the weights of {args.target} are too large: the error bound "
                         "overflows double arithmetic") from None
    if not args.no_bracket:
        from solvers.bracket import error_bracket

        log(f"  error bracket: attack and certified bounds ({args.bracket_time:g} s) ...\n")
        report.update(error_bracket(target, rnd.masked(mask), box, time_limit=args.bracket_time,
                                    seed=args.seed).to_json())
    small = rnd.n_params <= GRAPH_MAX_PARAMS
    G = graph.to_digraph(rnd, mask, layout if args.random is None else None) if small else None
    report.update(target=str(args.target), width=args.width, seed=args.seed, dist=args.dist,
                  random_sizes=list(rnd.sizes),
                  pruning_kind=graph.pruning_kind(G) if small else None,
                  layer_sparsity=graph.mask_sparsity(rnd, mask),
                  dead_neurons=len(graph.dead_neurons(G)) if small else None,
                  seconds=round(time.perf_counter() - start, 3))
    out = Path(args.outdir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {out}: {exc.strerror}") from None
    log(f"  writing {out}/ ...\n")
    if args.npz:
        write_network(rnd, out / "random.npz")
        write_network(rnd.masked(mask), out / "pruned.npz")
        arrays = {f"M{L}": m for L, m in enumerate(mask.weights)}
        arrays |= {f"mb{L}": m for L, m in enumerate(mask.biases) if m is not None}
        np.savez_compressed(out / "mask.npz", **arrays)
    else:
        write_network(rnd, out / "random.json")
        write_network(rnd.masked(mask), out / "pruned.json")
        (out / "mask.json").write_text(json.dumps(mask.to_json(), separators=(",", ":")) + "\n")
    if args.safetensors:
        write_safetensors(rnd, out / "random.safetensors")
        write_safetensors(rnd.masked(mask), out / "pruned.safetensors")
        write_masks_safetensors(rnd, mask, out / "mask.safetensors")
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    if not args.no_png:
        if small:
            graph.draw_network(G, out / "network.png")
        else:
            graph.draw_sparsity(report["layer_sparsity"], out / "network.png",
                                title=f"kept edges per layer, random network {rnd.sizes}")
    if args.json:
        if report.get("warning"):
            sys.stderr.write(f"slth prune: warning: {report['warning']}\n")
        print(json.dumps(report, indent=2))
    else:
        print(_summary(report, out))
    return 0


def _summary(r: dict[str, Any], out: Path) -> str:
    lines = [f"warning         {r['warning']}"] if r.get("warning") else []
    lines += [
        f"status          {r['status']}",
        f"proof           {r['proof']}",
        f"error bound     {r['error_bound']:.6g}  ({r['error_bound_kind']})",
        *([f"weight error    worst {r['max_weight_error_float']:.6g}; "
           f"{r.get('n_unreached', 0)} of {r['n_problems']} per-weight problems above eps = "
           f"{r['eps']}"] if r.get("eps") is not None and "n_problems" in r else []),
        *_bracket_lines(r),
        f"kept            {r['kept']} of {r['random_params']} parameters "
        f"(kept_ratio {r['kept_ratio']:.4g}, {r['kept_vs_target']:.3g}x the target's "
        f"{r['target_params']})",
        f"pruning         {r['pruning_kind'] or 'not analysed (large)'}, "
        f"{'?' if r['dead_neurons'] is None else r['dead_neurons']} dead neurons",
        f"seconds         {r['seconds']:.2f}",
        "",
        f"{'layer':>5} {'kept':>10} {'total':>12} {'kept %':>8} {'neurons kept':>14}",
    ]
    for row in r["layer_sparsity"]:
        lines.append(f"{row['layer']:>5} {row['kept']:>10} {row['total']:>12} "
                     f"{100 * row['kept_fraction']:>7.3f}% "
                     f"{row['kept_neurons']:>6}/{row['neurons']:<7}")
    lines.append(f"\nwrote {out}/: random, pruned, mask, report.json"
                 + ("" if not (out / "network.png").exists() else ", network.png"))
    return "\n".join(lines)


def _bracket_lines(r: dict[str, Any]) -> list[str]:
    if "certified_error" not in r:
        return []
    ratio = r["bracket_ratio"]
    return [f"attained error  {r['attained_error_float']:.6g}  (exact, at an input found by "
            "the attack)",
            f"certified error {r['certified_error']:.6g}  (rigorous, {r['certified_method']}; "
            f"ratio {'n/a' if ratio is None else f'{ratio:.6g}'}, {r['bracket_status']})"]
