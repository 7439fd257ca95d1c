"""`slth truth`: ground truth in bulk; random instances of a family, each solved to optimality.

Families (instance ``index`` of a run with ``seed`` draws from ``default_rng([seed, index])``, so
any record can be regenerated alone, whatever the count, the order or the workers):

- ``rss-uniform``: n values uniform on [-1, 1] (doubles), target uniform on [-1, 1];
- ``rss-gaussian``: n standard Gaussian values, target uniform on [-1, 1];
- ``rss-product``: n products b_i a_i of two uniforms (the values of the SLTH
  construction: each random weight is a product of two uniform layers' weights), a and b on the dyadic grid of :mod:`solvers.networks` so that the products are
  exact doubles; target uniform on [-1, 1];
- ``partition-hard``: number partitioning at the phase transition of Borgs, Chayes and Pittel
  (2001): n integers uniform on {1, ..., 2^m} with m = round(kappa n) bits (kappa = 1 is the
  transition, where the optimum switches from a perfect partition to a positive discrepancy);
  target half the total, so the optimal discrepancy is twice the optimum;
- ``rss-cardinality``: as rss-uniform with ``|S| = k`` (default k = n // 2);
- ``mrss-gaussian``: n standard Gaussian vectors in R^d (``--dim``), target uniform on
  [-1, 1]^d, infinity norm;
- ``network-masks``: prune a random d-n-1 ReLU network with biases (``--dim`` d <= 3 inputs,
  weights uniform on the grid of :mod:`solvers.networks`; 4n + 1 mask bits for d = 2) to match
  a random d-2-1 target over [-1, 1]^d; solved exactly with a certificate by
  :func:`solvers.masks.exact_optimal_mask` (n <= 24).

Each JSON line holds the family and its parameters, the instance itself (exact strings), its
hash, ``optimum`` (exact string) and ``solution``: an optimal Solution with its proof.

>>> recs = truth_records("rss-uniform", 10, seed=0, indices=[0, 1])
>>> [r["index"] for r in recs], recs[0]["solution"]["status"]
([0, 1], 'optimal')
>>> from solvers.rss import solve_instance
>>> inst = generate_instance("rss-uniform", 10, seed=0, index=1)
>>> fraction_str(solve_instance(inst, method="brute").error) == recs[1]["optimum"]
True
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from solvers import mrss
from solvers.instances import MaskProblem, MRSSInstance, RSSInstance
from solvers.masks import exact_optimal_mask
from solvers.networks import UNIFORM_GRID_BITS, random_network
from solvers.numbers import InputError, fraction_str
from solvers.piecewise_linear import BOX_SUP_MAX_INPUTS
from solvers.results import Solution
from solvers.rss import BATCH_MAX_N, solve_instance, solve_rss_batch
from verify.runtime import RunReport, check_task_count, read_records, run_tasks

__all__ = [
    "FAMILIES",
    "generate_instance",
    "truth_records",
    "truth_record",
    "generate_truth",
    "register",
    "run",
]

FAMILIES = ("rss-uniform", "rss-gaussian", "rss-product", "partition-hard", "rss-cardinality",
            "mrss-gaussian", "network-masks")
#: network-masks: the target's hidden and output widths, and the largest random hidden width.
MASK_TARGET_HIDDEN = (2, 1)
MASK_MAX_N = 24
#: network-masks: seconds for one exact mask; an instance not proven by then fails its chunk
#: (reported by the run, never written as ground truth).
MASK_TIME_LIMIT = 120.0
#: Families whose instances are rows of doubles without a cardinality rule: solved in batches.
_BATCHED = ("rss-uniform", "rss-gaussian", "rss-product")


def _draws(family: str, n: int, rng: np.random.Generator, dim: int, kappa: float
           ) -> tuple[Any, Any]:
    """(values, target) of one instance, as the generator draws them (doubles or integers)."""
    if family in ("rss-uniform", "rss-cardinality"):
        return rng.uniform(-1, 1, n), float(rng.uniform(-1, 1))
    if family == "rss-gaussian":
        return rng.standard_normal(n), float(rng.uniform(-1, 1))
    if family == "rss-product":
        g = 2**UNIFORM_GRID_BITS
        a, b = (rng.integers(-g, g, size=n, endpoint=True) / g for _ in range(2))
        return a * b, float(rng.uniform(-1, 1))  # a product of two grid values is exact
    if family == "partition-hard":
        bits = max(1, round(kappa * n))
        nbytes = (bits + 7) // 8
        vals = [1 + int.from_bytes(rng.bytes(nbytes), "little") % 2**bits for _ in range(n)]
        return vals, Fraction(sum(vals), 2)
    return rng.standard_normal((n, dim)), rng.uniform(-1, 1, dim)


def _check_params(family: str, n: int, dim: int, cardinality: int | None, kappa: float) -> None:
    if family not in FAMILIES:
        raise InputError(f"family is {family!r}: expected one of {', '.join(FAMILIES)}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"n is {n!r}: expected an integer >= 1")
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1:
        raise InputError(f"dim is {dim!r}: expected an integer >= 1")
    if cardinality is not None and family != "rss-cardinality":
        raise InputError(f"cardinality is {cardinality}: only the rss-cardinality family takes it")
    if cardinality is not None and not 0 <= cardinality <= n:
        raise InputError(f"cardinality is {cardinality}: must be between 0 and n = {n}")
    if not 0 < kappa <= 8:
        raise InputError(f"kappa is {kappa}: expected a number in (0, 8] (bits per value / n)")
    if family == "network-masks" and (n > MASK_MAX_N or dim > BOX_SUP_MAX_INPUTS):
        raise InputError(f"n is {n} and dim is {dim}: network-masks proves masks of d-n-1 "
                         f"networks optimal for n <= {MASK_MAX_N} and d <= {BOX_SUP_MAX_INPUTS}")


def generate_instance(family: str, n: int, seed: int, index: int, *, dim: int = 2,
                      cardinality: int | None = None, kappa: float = 1.0
                      ) -> RSSInstance | MRSSInstance | MaskProblem:
    """Instance ``index`` of the run of ``family`` with ``seed`` (see the module docstring).

    >>> inst = generate_instance("partition-hard", 8, seed=3, index=0)
    >>> inst.target == sum(inst.values) / 2, all(1 <= v <= 2**8 for v in inst.values)
    (True, True)
    """
    _check_params(family, n, dim, cardinality, kappa)
    if family == "network-masks":
        s1, s2 = (int(x) for x in np.random.SeedSequence([seed, index]).generate_state(2))
        return MaskProblem.create(random_network((dim, *MASK_TARGET_HIDDEN), seed=s1, bias=True),
                                  random_network((dim, n, 1), seed=s2, bias=True))
    values, target = _draws(family, n, np.random.default_rng([seed, index]), dim, kappa)
    if family == "mrss-gaussian":
        return MRSSInstance.create(values, target)
    if family == "rss-cardinality":
        return RSSInstance.create(values, target, cardinality=n // 2 if cardinality is None
                                  else cardinality)
    return RSSInstance.create(values, target)


def truth_record(family: str, index: int, seed: int, params: dict[str, Any],
                 inst: RSSInstance | MRSSInstance | MaskProblem, sol: Solution
                 ) -> dict[str, Any]:
    """One JSON line: the instance, its exact optimum and an optimal solution with its proof."""
    if sol.status != "optimal":
        raise RuntimeError(f"instance {index} of {family} was not solved to proven optimality: "
                           f"{sol.status} ({sol.proof})")
    n = inst.random.sizes[1] if isinstance(inst, MaskProblem) else inst.n
    return {"family": family, "index": index, "seed": seed, "n": n, "params": params,
            "instance": inst.to_json(), "instance_hash": inst.hash(),
            "optimum": fraction_str(sol.error), "optimum_float": float(sol.error),
            "solution": sol.to_json()}


def truth_records(family: str, n: int, *, seed: int, indices: Sequence[int], dim: int = 2,
                  cardinality: int | None = None, kappa: float = 1.0) -> list[dict[str, Any]]:
    """Generate and solve the instances ``indices`` of a run; one record per instance.

    Families of plain double rows (n <= 40) go through the batch engine
    :func:`solvers.rss.solve_rss_batch` in one call; the others are solved one by one
    (:func:`solvers.rss.solve_instance`, :func:`solvers.mrss.solve_instance`).
    """
    _check_params(family, n, dim, cardinality, kappa)
    params = _params(family, n, dim, cardinality, kappa)
    if family in _BATCHED and n <= BATCH_MAX_N and indices:
        draws = [_draws(family, n, np.random.default_rng([seed, i]), dim, kappa) for i in indices]
        V = np.array([v for v, _ in draws])
        T = np.array([t for _, t in draws])
        res = solve_rss_batch(V, T)
        each = res.seconds / len(indices)
        arith = ("exact int64 data (each row scaled by a power of two)"
                 if res.exact_rows == len(indices) else
                 "exact int64 data where the row fits, else float64 with a rigorous rounding "
                 "bound and an exact re-solve of undecided rows")
        out = []
        for r, i in enumerate(indices):
            inst = RSSInstance.create(V[r], float(T[r]))
            sol = Solution("optimal", subset=res.subset(r), error=res.errors[r],
                           lower_bound=res.errors[r], method="mitm-batch",
                           proof=f"exhaustive batch meet-in-the-middle on {arith}",
                           seconds=each, instance_hash=inst.hash())
            if inst.error(sol.subset) != sol.error:  # the contract: the error is the subset's
                raise RuntimeError(f"batch error of instance {i} differs from its subset's")
            out.append(truth_record(family, i, seed, params, inst, sol))
        return out
    out = []
    for i in indices:
        inst = generate_instance(family, n, seed, i, dim=dim, cardinality=cardinality,
                                 kappa=kappa)
        start = time.perf_counter()
        if isinstance(inst, MaskProblem):
            sol = _optimal_mask_solution(inst)
        elif isinstance(inst, MRSSInstance):
            sol = mrss.solve_instance(inst)
        else:
            sol = solve_instance(inst)
        out.append(truth_record(family, i, seed, params,
                                inst, sol.replace(seconds=time.perf_counter() - start)))
    return out


def _optimal_mask_solution(prob: MaskProblem) -> Solution:
    res = exact_optimal_mask(prob.target, prob.random, structured=prob.structured, box=prob.box,
                             time_limit=MASK_TIME_LIMIT)
    return Solution(res.status, error=res.error, lower_bound=res.certificate.lower,
                    mask=res.mask.to_json(), method="exact-masks", proof=res.proof,
                    instance_hash=prob.hash(),
                    stats={"kept": res.mask.kept, "certificate": res.certificate.to_json()})


# --- the resumable run --------------------------------------------------------------------------


def _params(family: str, n: int, dim: int, cardinality: int | None, kappa: float
            ) -> dict[str, Any]:
    if family == "mrss-gaussian":
        return {"dim": dim, "norm": "inf"}
    if family == "rss-cardinality":
        return {"cardinality": n // 2 if cardinality is None else cardinality}
    if family == "partition-hard":
        return {"kappa": kappa, "bits": max(1, round(kappa * n))}
    if family == "network-masks":
        return {"target_sizes": [dim, *MASK_TARGET_HIDDEN], "random_sizes": [dim, n, 1],
                "bias": True, "box": [-1, 1], "structured": False}
    return {}


def _identity(family: str, n: int, seed: int, params: dict[str, Any]) -> str:
    return f"{family}/n={n}/seed={seed}/{json.dumps(params, sort_keys=True)}"


def _task(arg: dict[str, Any]) -> list[dict[str, Any]]:
    """One chunk of a run, in a worker (module level: picklable)."""
    return truth_records(**arg)


def generate_truth(family: str, n: int, count: int, output: str | Path, *, seed: int = 0,
                   dim: int = 2, cardinality: int | None = None, kappa: float = 1.0,
                   workers: int | None = None, scheduler: str | None = None,
                   progress: bool | None = None) -> RunReport:
    """Write the records of instances 0..count-1 to ``output`` (JSON Lines), resumably.

    Runs on the sweep executor (:func:`verify.runtime.run_tasks`): a local process pool, or a
    Dask scheduler. Instances already in the file (same family, n, seed and parameters) are
    skipped, so re-running completes the file and never duplicates a record; the rest is cut
    into chunks solved in the workers (100 instances for the batch families, one for
    network-masks, 10 otherwise).

    >>> import os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "t.jsonl")
    >>> generate_truth("rss-uniform", 8, 3, out, workers=1).done
    1
    >>> generate_truth("rss-uniform", 8, 5, out, workers=1).done, len(read_records(out))
    (1, 5)
    """
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise InputError(f"count is {count!r}: expected an integer >= 1")
    _check_params(family, n, dim, cardinality, kappa)
    params = _params(family, n, dim, cardinality, kappa)
    ident = _identity(family, n, seed, params)
    size = 100 if family in _BATCHED else 1 if family == "network-masks" else 10
    check_task_count(-(-count // size), f"--count {count}")  # before any task is built
    done = _done_indices(output, ident)
    tasks = []
    for c in range(-(-count // size)):
        idx: Sequence[int] = range(c * size, min(count, (c + 1) * size))
        if done:
            idx = [i for i in idx if i not in done]
        if idx:
            key = f"truth/{ident}/chunk={c}/{idx[0]}-{idx[-1]}:{len(idx)}"
            tasks.append((key, {"family": family, "n": n, "seed": seed, "indices": idx,
                                "dim": dim, "cardinality": cardinality, "kappa": kappa}))
    return run_tasks(tasks, _task, output, workers=workers, scheduler=scheduler,
                     progress=progress, desc=f"truth {family} n={n}")


def _done_indices(output: str | Path, ident: str) -> set[int]:
    """The indices of this run's instances already in ``output``."""
    return {r["index"] for r in read_records(output)
            if _identity(r.get("family"), r.get("n"), r.get("seed"), r.get("params", {})) == ident}


def count_instances(output: str | Path) -> int:
    """Distinct instances in a truth file: a (run, index) written twice counts once."""
    return len({(_identity(r.get("family"), r.get("n"), r.get("seed"), r.get("params", {})),
                 r.get("index")) for r in read_records(output)})


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "truth", help="generate ground truth: random instances solved to proven optimality",
        description="Generate COUNT instances of FAMILY, solve each exactly, append one JSON line "
                    "per instance to OUTPUT; re-running resumes and never duplicates a record.")
    p.add_argument("family", choices=FAMILIES, metavar="FAMILY",
                   help=f"one of: {', '.join(FAMILIES)}")
    p.add_argument("--n", type=int, required=True,
                   help="values (vectors) per instance; network-masks: the random hidden width")
    p.add_argument("--count", type=int, required=True, help="number of instances")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="JSON Lines output")
    p.add_argument("--dim", type=int, default=2,
                   help="mrss-gaussian: dimension d; network-masks: inputs d (default 2)")
    p.add_argument("--cardinality", type=int, default=None, metavar="K",
                   help="rss-cardinality: |S| = K (default n // 2)")
    p.add_argument("--kappa", type=float, default=1.0,
                   help="partition-hard: bits per value over n (default 1, the transition)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None, metavar="W",
                       help="local worker processes (default: the CPU count; 1: in-process)")
    where.add_argument("--scheduler", default=None, metavar="ADDR",
                       help="Dask distributed scheduler tcp://HOST:PORT")
    p.add_argument("--json", action="store_true", help="print the run summary as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.seed < 0:
        raise InputError(f"--seed is {args.seed}: expected an integer >= 0")
    rep = generate_truth(args.family, args.n, args.count, args.output, seed=args.seed,
                         dim=args.dim, cardinality=args.cardinality, kappa=args.kappa,
                         workers=args.workers, scheduler=args.scheduler)
    summary = {"output": str(args.output), "family": args.family, "n": args.n,
               "count": args.count, "new_tasks": rep.done, "failed_tasks": len(rep.failed),
               "records_in_file": count_instances(args.output),
               "seconds": round(rep.seconds, 3)}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"{args.output}: {summary['records_in_file']} records; {rep.done} chunk(s) solved "
              f"now, {len(rep.failed)} failed, in {rep.seconds:.1f} s")
    return 1 if rep.failed else 0
