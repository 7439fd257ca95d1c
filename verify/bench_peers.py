"""`slth bench rss --peers`: the 1-D portfolio against the peers' exact algorithms, side by side.

Peers (the optional extra ``peers``): ``numberpartitioning``'s complete Karmarkar-Karp and
``prtpy``'s complete Karmarkar-Karp, dynamic programming, complete greedy, CBLDM (balanced
partitions) and Horowitz-Sahni (subset sum). Each solve runs in a fresh child process, so
every row's peak memory is its own; a solve past the time limit is stopped from outside.
Each peer's answer is re-scored exactly on the instance: ``optimum`` when it equals this
toolkit's proven optimum, ``suboptimal`` when it does not (a peer's "complete" method that
stopped early), ``time limit`` when it did not finish. Ratios are this toolkit's time over the
fastest peer that reached the optimum.

Workloads: random partitions up to n = 1000 with values up to 2^100, near-ties
(2^62 + U(0, 1000), 2^64 + U(0, 2^32)), cardinality-constrained (balanced) partitions, three classic hard
subset-sum classes (Pisinger's even-odd, Todd and Avis), and uniform doubles, whose reference
is a numpy sort of 2^20 doubles timed in the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from fractions import Fraction

import numpy as np

from verify.runtime import run_in_child

__all__ = ["WORKLOADS", "PEERS", "make_instance", "bench_peers", "run_peers"]

#: name -> (description, peers that solve it)
WORKLOADS: dict[str, tuple[str, tuple[str, ...]]] = {
    "partition-40x20b": ("random partition, n = 40, values < 2^20",
                         ("np-ckk", "prtpy-ckk", "prtpy-dp", "prtpy-cg")),
    "partition-400-range": ("partition of 800..1199 (n = 400)",
                            ("np-ckk", "prtpy-ckk", "prtpy-dp", "prtpy-cg")),
    "partition-1000x1e4": ("random partition, n = 1000, values < 10^4",
                           ("np-ckk", "prtpy-ckk", "prtpy-dp", "prtpy-cg")),
    "partition-90x40b-odd": ("random partition, n = 90, values < 2^40, odd total",
                             ("np-ckk", "prtpy-ckk", "prtpy-cg")),
    "partition-1000x64b": ("random partition, n = 1000, values < 2^64",
                           ("np-ckk", "prtpy-ckk", "prtpy-cg")),
    "partition-1000x72b": ("random partition, n = 1000, values < 2^72",
                           ("np-ckk", "prtpy-ckk", "prtpy-cg")),
    "near-ties-40": ("2^62 + U(0, 1000), n = 40, target total / 2",
                     ("np-ckk", "prtpy-ckk", "prtpy-cg")),
    "near-ties-44": ("2^62 + U(0, 1000), n = 44, target total / 2",
                     ("np-ckk", "prtpy-ckk", "prtpy-cg")),
    "near-ties-40x64b": ("2^64 + U(0, 2^32), n = 40, target total / 2 (two limbs)",
                         ("np-ckk", "prtpy-ckk", "prtpy-hs")),
    "partition-40x64b": ("random partition, n = 40, values < 2^64 (two limbs)",
                         ("np-ckk", "prtpy-ckk", "prtpy-hs")),
    "partition-44x100b": ("random partition, n = 44, values < 2^100 (two limbs)",
                          ("np-ckk", "prtpy-ckk")),
    "partition-100x64b": ("random partition, n = 100, values < 2^64 (phase transition)",
                          ("np-ckk", "prtpy-ckk", "prtpy-cg")),
    "balanced-100x1e3": ("balanced partition (|S| = 50), n = 100, values < 1000",
                         ("prtpy-cbldm",)),
    "balanced-40x32b": ("balanced partition (|S| = 20), n = 40, values < 2^32",
                        ("prtpy-cbldm",)),
    "balanced-800x64b": ("balanced partition (|S| = 400), n = 800, values < 2^64",
                         ("prtpy-cbldm",)),
    "evenodd-50": ("even-odd (Pisinger): even values < 10^6, odd target, n = 50",
                   ("prtpy-hs",)),
    "todd-30": ("Todd (Pisinger): 2^(k+n+1) + 2^(k+j) + 1, n = 30", ("prtpy-hs",)),
    "avis-40": ("Avis (Pisinger): n(n+1) + j, n = 40", ("prtpy-hs",)),
    "uniform-40": ("uniform doubles in [-1, 1], n = 40 (reference: numpy sort of 2^20)", ()),
}

PEERS = ("np-ckk", "prtpy-ckk", "prtpy-dp", "prtpy-cg", "prtpy-cbldm", "prtpy-hs")


def make_instance(name: str, seed: int) -> tuple[list, object, int | None]:
    """(values, target, cardinality) of a workload; the same for every solver of one run.

    >>> vals, target, k = make_instance("avis-40", 0)
    >>> len(vals), target, k
    (40, 31940, None)
    """
    rng = np.random.default_rng([seed, sum(map(ord, name))])

    def ints(n: int, bits: int) -> list[int]:
        words = rng.integers(0, 2**32, (n, -(-bits // 32)), dtype=np.uint64)
        return [sum(int(w) << (32 * k) for k, w in enumerate(row)) % 2**bits for row in words]

    half = None
    if name == "partition-40x20b":
        vals = ints(40, 20)
    elif name == "partition-400-range":
        vals = list(range(800, 1200))
    elif name == "partition-1000x1e4":
        vals = [int(x) for x in rng.integers(1, 10**4, 1000)]
    elif name == "partition-90x40b-odd":
        vals = ints(90, 40)
        vals[0] += 1 - sum(vals) % 2
    elif name == "partition-1000x64b":
        vals = ints(1000, 64)
    elif name == "partition-1000x72b":
        vals = ints(1000, 72)
    elif name == "near-ties-40":
        vals = [2**62 + int(x) for x in rng.integers(0, 1001, 40)]
    elif name == "near-ties-44":
        vals = [2**62 + int(x) for x in rng.integers(0, 1001, 44)]
    elif name == "near-ties-40x64b":
        vals = [2**64 + x for x in ints(40, 32)]
    elif name == "partition-40x64b":
        vals = ints(40, 64)
    elif name == "partition-44x100b":
        vals = ints(44, 100)
    elif name == "partition-100x64b":
        vals = ints(100, 64)
    elif name == "balanced-100x1e3":
        vals = [int(x) for x in rng.integers(1, 1000, 100)]
        half = 50
    elif name == "balanced-40x32b":
        vals = ints(40, 32)
        half = 20
    elif name == "balanced-800x64b":
        vals = ints(800, 64)
        half = 400
    elif name == "evenodd-50":
        vals = [2 * int(x) for x in rng.integers(1, 5 * 10**5, 50)]
        return vals, sum(vals) // 2 | 1, None
    elif name == "todd-30":
        n = 30
        k = n.bit_length() - 1
        vals = [2 ** (k + n + 1) + 2 ** (k + j) + 1 for j in range(1, n + 1)]
        return vals, sum(vals) // 2, None
    elif name == "avis-40":
        n = 40
        vals = [n * (n + 1) + j for j in range(1, n + 1)]
        return vals, n * (n + 1) * ((n - 1) // 2) + n * (n - 1) // 2, None
    elif name == "uniform-40":
        return rng.uniform(-1, 1, 40).tolist(), float(rng.uniform(-1, 1)), None
    else:
        raise KeyError(name)
    return vals, Fraction(sum(vals), 2), half


def _score(vals: list, target: object, chosen: list[int]) -> Fraction:
    """The exact error of a subset given by the values it holds (a peer's output)."""
    from solvers.instances import RSSInstance

    inst = RSSInstance.create(vals, target)
    pool: dict[int, list[int]] = {}
    for i, v in enumerate(vals):
        pool.setdefault(v, []).append(i)
    subset = [pool[int(v)].pop() for v in chosen]
    return inst.error(subset)


def _ours_task(name: str, seed: int, time_limit: float) -> dict:
    from solvers.rss import solve_rss

    vals, target, k = make_instance(name, seed)
    warm, wt, wk = make_instance(name, seed + 1)
    solve_rss(warm[:12], wt if wk is None else sum(warm[:12]) // 2,  # compiled code loaded
              cardinality=None if wk is None else 6)
    solve_rss(warm, wt, cardinality=wk, time_limit=min(time_limit, 5.0))
    start = time.perf_counter()
    sol = solve_rss(vals, target, cardinality=k, time_limit=time_limit)
    out = {"status": sol.status, "error": str(sol.error), "error_float": sol.error_float,
           "method": sol.method, "solve_seconds": time.perf_counter() - start}
    if name == "uniform-40":
        x = np.random.default_rng(seed).random(2**20)
        start = time.perf_counter()
        np.sort(x)
        out["sort_seconds"] = time.perf_counter() - start
    return out


def _peer_task(name: str, seed: int, peer: str, time_limit: float) -> dict:
    vals, target, k = make_instance(name, seed)
    start = time.perf_counter()
    finished = True
    if peer == "np-ckk":
        from numberpartitioning import complete_karmarkar_karp

        best = None
        finished = True
        for result in complete_karmarkar_karp(vals):  # improving partitions, the last optimal
            best = result
            if time.perf_counter() - start > time_limit:
                finished = False
                break
        side = best.partition[0]
    elif peer == "prtpy-hs":
        from prtpy.partitioning.Horowitz_And_Sahni import Horowitz_Sahni

        side = Horowitz_Sahni(list(vals), int(target))
    else:
        import prtpy

        algorithm = {"prtpy-ckk": prtpy.partitioning.complete_karmarkar_karp,
                     "prtpy-dp": prtpy.partitioning.dynamic_programming,
                     "prtpy-cg": prtpy.partitioning.complete_greedy,
                     "prtpy-cbldm": prtpy.partitioning.cbldm}[peer]
        extra = {"time_limit": time_limit} if peer in ("prtpy-cg", "prtpy-cbldm") else {}
        side = prtpy.partition(algorithm=algorithm, numbins=2, items=list(vals), **extra)[0]
    seconds = time.perf_counter() - start
    err = _score(vals, target, [int(v) for v in side])
    valid = k is None or len(side) in (k, len(vals) - k)  # either side of a balanced split
    finished = finished and seconds <= time_limit
    status = "wrong size" if not valid else "answered" if finished else "time limit"
    return {"status": status, "error": str(err), "error_float": float(err), "method": peer,
            "solve_seconds": seconds}


def bench_peers(names: list[str], peers: list[str], time_limit: float, seed: int,
                log: Callable[[str], None] = lambda s: None) -> list[dict]:
    """One row per (workload, solver); the ratio is ours over the fastest peer at the optimum."""
    rows: list[dict] = []
    for name in names:
        ours = run_in_child(_ours_task, {"name": name, "seed": seed, "time_limit": time_limit},
                            time_limit)
        ours.update(workload=name, solver="slth auto")
        group = [ours]
        log(f"  {name:<22} {'slth auto':<12} {ours.get('status', 'stopped'):<10}"
            f"{ours.get('seconds', float('nan')):9.3f} s\n")
        for peer in WORKLOADS[name][1]:
            if peer not in peers:
                continue
            out = run_in_child(_peer_task, {"name": name, "seed": seed, "peer": peer,
                                            "time_limit": time_limit}, time_limit, grace=5)
            out.update(workload=name, solver=peer)
            if out.get("timeout"):
                out["status"] = "time limit"
            elif out.get("status") == "answered" and ours.get("status") == "optimal":
                # scored against the proven optimum
                out["status"] = "optimum" if out["error"] == ours["error"] else "suboptimal"
            group.append(out)
            log(f"  {name:<22} {peer:<12} {out.get('status', 'stopped'):<10}"
                f"{out.get('seconds', float('nan')):9.3f} s\n")
        done = [r["seconds"] for r in group[1:] if r.get("status") in ("optimum", "answered")]
        if done and "seconds" in ours:
            ours["fastest_peer_seconds"] = min(done)
            ours["ratio_vs_fastest_peer"] = ours["seconds"] / min(done)
        if "sort_seconds" in ours:
            ours["ratio_vs_sort_2_20"] = ours["seconds"] / ours["sort_seconds"]
        rows += group
    return rows


def _table(rows: list[dict]) -> str:
    head = (f"{'workload':<22} {'solver':<12} {'status':<11} {'seconds':>9} {'ratio':>9} "
            f"{'peak MB':>8}  error")
    lines = [head, "-" * len(head)]
    for r in rows:
        ratio = r.get("ratio_vs_fastest_peer", r.get("ratio_vs_sort_2_20"))
        rs = "" if ratio is None else f"{ratio:.3g}" + ("s" if "ratio_vs_sort_2_20" in r else "")
        status = r.get("status") or ("killed" if r.get("timeout") else
                                     r.get("error_message", "?")[:11])
        err = r.get("error_float")
        lines.append(f"{r['workload']:<22} {r['solver']:<12} {status:<11} "
                     f"{r.get('seconds', float('nan')):9.3f} {rs:>9} "
                     f"{r.get('peak_mb', float('nan')):8.0f}  {'' if err is None else f'{err:.4g}'}")
    return "\n".join(lines)


def run_peers(args: argparse.Namespace) -> int:
    """The ``--peers`` mode of ``slth bench rss`` (workloads and peers from the arguments)."""
    from solvers.numbers import InputError

    names = args.workloads or list(WORKLOADS)
    unknown = [w for w in names if w not in WORKLOADS]
    if unknown:
        raise InputError(f"--workloads has {unknown[0]!r}: expected some of {', '.join(WORKLOADS)}")
    missing = [m for m in ("numberpartitioning", "prtpy") if not _importable(m)]
    if missing:
        raise InputError(f"--peers needs {' and '.join(missing)}: "
                         "pip install 'slth-toolkit[peers]'")
    log = (lambda s: (sys.stderr.write(s), sys.stderr.flush())) if not args.json else (lambda s: None)
    log(f"slth bench rss --peers: seed {args.seed}, time limit {args.time_limit:g} s per solve\n")
    rows = bench_peers(names, list(PEERS), args.time_limit, args.seed, log)
    if args.json:
        print(json.dumps({"kind": "rss-peers", "seed": args.seed, "time_limit": args.time_limit,
                          "rows": rows}, indent=2))
    else:
        print(_table(rows))
        print("\nratio: slth time / fastest peer that reached the optimum "
              "(s: / numpy sort of 2^20 doubles in the same process)")
    return 0


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None
