"""Multidimensional random subset sum (MRSS): exact meet-in-the-middle and its variants.

Given vectors X_1..X_n in Q^d and a target z, minimise ``||z - sum_{i in S} X_i||`` over subsets
S, in the infinity norm (the slides' MRSS) or the 1-norm, optionally with ``|S| = k`` (the
second-moment method restricts to subsets of size alpha n) or ``|S| <= k``.

The engine (``method="mitm"``) splits the vectors in two halves, lists the 2^(n/2) subset sums
of each half, sorts one list on the first coordinate and sweeps the other against it with a
window of the current best distance (both norms are at least the first-coordinate gap). All of
it runs on int64 after an exact common scaling. When the exact integers do not fit (Gaussian
doubles have denominators up to 2^70), they are floored to multiples of 2^shift: every computed
distance is then within ``slack`` units of the exact one, and every pair whose computed distance
is within ``2 * slack`` of the computed optimum is re-checked with exact integers. The final
decision is therefore always exact.

Examples
--------
>>> sol = solve_mrss([[1, 0], [0, 1], [1, 1]], ["1/2", 2])
>>> sol.status, sol.subset, sol.error
('optimal', (1, 2), Fraction(1, 2))
>>> solve_mrss([[1, 0], [0, 1], [1, 1]], ["1/2", 2], norm="1").error
Fraction(1, 2)
>>> MRSSInstance.from_json({"values": [[1, 2], [3]], "target": [0, 0]})
Traceback (most recent call last):
...
solvers.numbers.InputError: values[1] has 1 coordinates: every vector must have d = 2 coordinates like values[0]
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from solvers.deprecation import moved_names
from solvers.instances import MRSSInstance, norm_value
from solvers.mrss_engine import SweepEngine, clamp_threshold, mask_bits, subset_sums
from solvers.numbers import (
    InputError,
    IntegerScaling,
    check_eps,
    check_time_limit,
    integer_scaling,
)
from solvers.results import Solution

__all__ = [
    "METHODS",
    "BRUTE_MAX_N",
    "COUNT_MAX_N",
    "mrss_error",
    "solve_mrss",
    "solve_instance",
    "solve_many_targets",
    "sparsest_subset",
    "brute_force",
    "count_subsets_within",
]

#: ``--method`` names of ``slth solve`` for d-dimensional instances.
METHODS = ("auto", "mitm", "cpsat", "mip", "mip-scip", "mip-highs", "brute")

#: Largest n of the 2^n enumerations: brute force (the reference) and exact counting.
BRUTE_MAX_N = 20
COUNT_MAX_N = 22


def mrss_error(vectors: object, target: object, subset: object, *, norm: str = "inf") -> Fraction:
    """The exact error of ``subset``: the checker paired with :func:`solve_mrss`.

    >>> mrss_error([[1, 0], [0, 1]], [1, 1], [0])
    Fraction(1, 1)
    """
    return MRSSInstance.create(vectors, target, norm=norm).error(subset)


# ----------------------------------------------------------------------------- public solvers


def solve_instance(
    inst: MRSSInstance, *, method: str = "auto", time_limit: float | None = None
) -> Solution:
    """Solve a validated instance (its main target) with the given method.

    Methods: ``auto`` and ``mitm`` (the exact meet-in-the-middle sweep), ``cpsat`` (CP-SAT on the
    exact integer scaling: a proof when the scaling fits), ``mip`` = ``mip-scip`` and
    ``mip-highs`` (SCIP / HiGHS through MathOpt, re-checked exactly, never labelled
    ``optimal``), ``brute`` (n <= 20).

    >>> inst = MRSSInstance.create([[1, 2], [2, -1], [-1, 1]], [3, 1], cardinality=2)
    >>> sol = solve_instance(inst)
    >>> sol.subset, sol.error, sol.status
    ((0, 1), Fraction(0, 1), 'optimal')
    """
    limit = check_time_limit(time_limit)
    if method not in METHODS:
        raise InputError(f"method is {method!r}: expected one of {', '.join(METHODS)}")
    if method == "brute":
        return brute_force(inst)
    # formulations imported on use: loading OR-Tools costs a second the exact engines never need
    if method == "cpsat":
        from solvers.formulations.mrss_cpsat import solve_mrss_cpsat

        return solve_mrss_cpsat(inst, time_limit=limit)
    if method.startswith("mip"):
        from solvers.formulations.mrss_mip import solve_mrss_mip

        return solve_mrss_mip(inst, solver="highs" if method == "mip-highs" else "scip",
                              time_limit=limit)
    start = time.perf_counter()
    return SweepEngine(inst, [inst.target]).solve(0, limit, start).replace(instance_hash=inst.hash())


def solve_mrss(
    vectors: object,
    target: object,
    *,
    norm: str = "inf",
    cardinality: int | None = None,
    max_cardinality: int | None = None,
    method: str = "auto",
    time_limit: float | None = None,
) -> Solution:
    """The exact optimum of ``min_S ||target - sum_{i in S} vectors[i]||`` (see the module doc).

    Parameters
    ----------
    vectors : n vectors of d exact numbers (floats are the doubles they denote; strings exact).
    target : d numbers.
    norm : ``"inf"`` or ``"1"``.
    cardinality : k for ``|S| = k``, or None for any subset.
    max_cardinality : k for ``|S| <= k`` (give at most one of the two).
    method : one of :data:`METHODS`.
    time_limit : seconds; when it runs out the best subset so far is returned as ``feasible``.

    Examples
    --------
    >>> solve_mrss([[3, 1], [1, 3], [2, 2]], [4, 4], cardinality=1).error
    Fraction(2, 1)
    """
    inst = MRSSInstance.create(vectors, target, norm=norm, cardinality=cardinality,
                               max_cardinality=max_cardinality)
    return solve_instance(inst, method=method, time_limit=time_limit)


def solve_many_targets(
    vectors: object,
    targets: object,
    *,
    norm: str = "inf",
    cardinality: int | None = None,
    max_cardinality: int | None = None,
    time_limit: float | None = None,
) -> list[Solution]:
    """Solve many targets against the same vectors: the half-lists are built and sorted once.

    ``time_limit`` applies to each target.

    >>> [s.error for s in solve_many_targets([[1, 0], [0, 1]], [[1, 1], [0, 2]])]
    [Fraction(0, 1), Fraction(1, 1)]
    """
    if isinstance(targets, (str, bytes, dict)) or not isinstance(targets, (Sequence, np.ndarray)):
        raise InputError(f"targets is {targets!r:.60}: expected a list of vectors")
    if len(targets) == 0:
        raise InputError("targets is empty: give at least one target vector")
    inst = MRSSInstance.create(vectors, targets[0], norm=norm, cardinality=cardinality,
                               max_cardinality=max_cardinality, targets=targets[1:])
    limit = check_time_limit(time_limit)
    start = time.perf_counter()
    engine = SweepEngine(inst, [inst.target, *inst.targets])
    out = []
    for t in range(len(inst.targets) + 1):
        sol = engine.solve(t, limit, start if t == 0 else time.perf_counter())
        single = dataclasses.replace(inst, target=engine._target(t), targets=())
        out.append(sol.replace(instance_hash=single.hash()))
    return out


def sparsest_subset(
    vectors: object, target: object, eps: object, *, norm: str = "inf"
) -> Solution:
    """The smallest subset within ``eps`` of the target (the smallest ticket), exactly.

    Decides the sizes 0, 1, 2, ... in turn (exact sweeps with the window eps); at the first size
    k that has a subset within eps, returns the best subset of size k. ``infeasible`` if none.

    >>> sol = sparsest_subset([[1, 1], [2, 2], [3, 3]], [3, 3], "1/2")
    >>> sol.subset, sol.error, sol.stats["size"]
    ((2,), Fraction(0, 1), 1)
    """
    inst = MRSSInstance.create(vectors, target, norm=norm)
    e = check_eps(eps)
    start = time.perf_counter()
    engine = SweepEngine(inst, [inst.target], by_size=True)
    for k in range(inst.n + 1):
        engine.sizes = (k, k)
        engine.inst = MRSSInstance(inst.vectors, inst.target, inst.norm, cardinality=k)
        if engine.within(0, e) is not None:
            sol = engine.solve(0, None, start)
            return sol.replace(
                proof=f"no subset of size < {k} is within eps (exact sweeps); {sol.proof}",
                instance_hash=inst.hash(), stats={**sol.stats, "size": k},
            )
    return Solution("infeasible", method="mitm", proof=f"no subset is within eps = {e}",
                    seconds=time.perf_counter() - start, instance_hash=inst.hash())


# ----------------------------------------------------------------------------- enumeration


def _exact_sums(inst: MRSSInstance) -> tuple[IntegerScaling, list[tuple[int, ...]]]:
    sc = integer_scaling(inst.vectors, [inst.target], inst.norm)
    sums: list[tuple[int, ...]] = [(0,) * inst.d]
    for v in sc.exact:
        sums += [tuple(a + b for a, b in zip(s, v, strict=True)) for s in sums]
    return sc, sums


def brute_force(inst: MRSSInstance) -> Solution:
    """The reference: every one of the 2^n subsets evaluated with exact integers (n <= 20).

    >>> brute_force(MRSSInstance.create([[1, 0], [0, 1], [1, 1]], ["1/2", 2])).error
    Fraction(1, 2)
    """
    if inst.n > BRUTE_MAX_N:
        raise InputError(f"n is {inst.n}: brute force enumerates 2^n subsets, n <= {BRUTE_MAX_N}")
    start = time.perf_counter()
    sc, sums = _exact_sums(inst)
    z = sc.exact_targets[0]
    best, arg = None, None
    for mask, s in enumerate(sums):
        if inst.admits(mask.bit_count()):
            dist = norm_value([a - b for a, b in zip(z, s, strict=True)], inst.norm)
            if best is None or dist < best:
                best, arg = dist, mask
    if arg is None:
        return Solution("infeasible", method="brute", proof="no subset admits the cardinality",
                        seconds=time.perf_counter() - start, instance_hash=inst.hash())
    subset = mask_bits(arg, 0)
    err = inst.error(subset)
    return Solution("optimal", subset=tuple(subset), error=err, lower_bound=err, method="brute",
                    proof=f"enumerated all {len(sums)} subsets in exact integers",
                    seconds=time.perf_counter() - start, instance_hash=inst.hash())


def count_subsets_within(
    vectors: object, target: object, eps: object, *, norm: str = "inf"
) -> np.ndarray:
    """Exact counts, by size k, of the subsets S with ``||target - sum_S X|| <= eps`` (n <= 22).

    All 2^n sums on the rounded integers; every sum the rounding bound leaves undecided is
    re-checked with exact integers. Entry k of the result counts the subsets of size k.

    >>> count_subsets_within([[1, 0], [0, 1], [1, 1]], [1, 1], 0).tolist()
    [0, 1, 1, 0]
    """
    inst = MRSSInstance.create(vectors, target, norm=norm)
    e = check_eps(eps)
    if inst.n > COUNT_MAX_N:
        raise InputError(f"n is {inst.n}: counting enumerates 2^n subsets, n <= {COUNT_MAX_N}")
    sc = integer_scaling(inst.vectors, [inst.target], inst.norm)
    sums, sizes = subset_sums(sc.rounded)
    r = np.abs(sc.rounded_targets[0][None, :] - sums)
    dist = r.sum(axis=1) if inst.norm == "1" else r.max(axis=1)
    e_units = math.floor(e / sc.unit)
    inside = dist <= clamp_threshold(e_units - sc.slack)
    unsure = np.flatnonzero((dist <= clamp_threshold(e_units + sc.slack)) & ~inside)
    z, X, e_int = sc.exact_targets[0], sc.exact, e * sc.scale
    for mask in unsure.tolist():
        idx = mask_bits(mask, 0)
        res = [z[j] - sum(X[i][j] for i in idx) for j in range(inst.d)]
        inside[mask] = norm_value(res, inst.norm) <= e_int
    return np.bincount(sizes[inside], minlength=inst.n + 1)


__getattr__ = moved_names(__name__, {
    "CubeCoverage": "solvers.mrss_cube.CubeCoverage",
    "cube_coverage": "solvers.mrss_cube.cube_coverage",
    "CubeVerdict": "solvers.mrss_cube.CubeVerdict",
    "cube_covered_2d": "solvers.mrss_cube.cube_covered_2d",
    "solve_mrss_instance": "solvers.mrss.solve_instance",
    "solve_mrss_targets": "solvers.mrss.solve_many_targets",
    "sparsest_mrss": "solvers.mrss.sparsest_subset",
    "MRSSInstance": "solvers.instances.MRSSInstance",
    "NORMS": "solvers.instances.NORMS",
    "IntegerScaling": "solvers.numbers.IntegerScaling",
    "integer_scaling": "solvers.numbers.integer_scaling",
})
