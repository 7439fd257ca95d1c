"""Exact 1-D subset sum: minimise |target - sum_{i in S} values[i]| with a proof of optimality.

Engines (all exact, all returning :class:`solvers.results.Solution`):

- ``brute``: every subset (the reference; n <= 30);
- ``mitm``: meet-in-the-middle (Horowitz-Sahni): the two half-lists of subset sums generated
  sorted by merging, then one linear two-pointer scan; O(2^(n/2)) time and memory; sums
  beyond int64 in two 62-bit limbs (:mod:`solvers.rss_wide`);
- ``bounded``: Schroeppel-Shamir: four quarter-lists stream the half-sums in order, a sorted
  value window at a time: O(2^(n/2)) time, memory O(2^(n/4) + window) (n = 60 in < 1 GB);
- ``dp``: pseudo-polynomial dynamic programming over the exact integer sums, on bitsets
  (:mod:`solvers.rss_dp`): by sums, or by (size, sum - size * base) for near-ties and
  cardinality rules;
- ``ckk``: complete Karmarkar-Karp (:mod:`solvers.rss_ckk`), an anytime complete search that
  stops as soon as it meets the exact lattice lower bound (:mod:`solvers.rss_bounds`);
- ``cpsat`` / ``mip``: the OR-Tools formulations of :mod:`solvers.formulations`;
- ``hits`` (inside ``auto`` only): a subset meeting the lattice bound exactly, found by the
  modular four-list search of :mod:`solvers.rss_hits` past the phase transition.

``auto`` is a portfolio chosen by the instance's exact structure: with no values the empty
subset; up to 30 values within int64 the meet-in-the-middle; an exact hit of the lattice bound by the greedy ends at once; otherwise the dynamic
program when its planned range fits the memory budget and beats the exponential engines,
complete Karmarkar-Karp when n is large compared with the values' bit length (near-perfect
subsets abound and the lattice bound proves them; then, where subsets meeting the bound are
expected in numbers, the modular search for one), then meet-in-the-middle (n <= 44, or 52 in
two limbs) or Schroeppel-Shamir. Memory is estimated before any engine allocates: an engine that would not
fit is skipped, or refused with one :class:`~solvers.numbers.InputError` line.

Exactness: values are exact rationals. When ``common_scale`` turns them into integers whose
sums fit in int64, the engines run on those integers and every comparison is exact; up to
122 bits ``mitm`` runs on two exact 62-bit limbs. Beyond that a float64 pass runs with a
rigorous bound on its rounding error, and every subset whose computed error lies within that
bound of the best is re-checked in exact arithmetic.

Examples
--------
>>> sol = solve_rss([0.5, "1/3", -0.25, 0.125], "0.3")
>>> sol.status, sol.subset, sol.error
('optimal', (1,), Fraction(1, 30))
>>> rss_error([0.5, "1/3", -0.25, 0.125], "0.3", sol.subset)
Fraction(1, 30)
>>> solve_rss([1, 2, 3, 4], 5, cardinality=1).error
Fraction(1, 1)
>>> solve_rss([], "2/3").subset, solve_rss([], "2/3").error
((), Fraction(2, 3))
>>> sol = solve_rss(list(range(800, 1200)), "199900.5")  # sums are integers: 1/2 is optimal
>>> sol.status, sol.error, sol.method
('optimal', Fraction(1, 2), 'dp')
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import psutil

from solvers import rss_hits as hits_module
from solvers import rss_kernels as K
from solvers.heuristics import greedy_instance
from solvers.instances import RSSInstance
from solvers.numbers import (
    INT64_SAFE,
    InputError,
    check_eps,
    check_time_limit,
    common_scale,
    scale_to_int,
)
from solvers.results import Solution
from solvers.rss_bounds import lattice_lower_bound
from solvers.rss_ckk import balanced_pairs, ckk_bytes, complete_karmarkar_karp
from solvers.rss_dp import DPPlan, dp_plan, solve_dp
from solvers.rss_hits import exact_hit, expected_hits_log2, hit_bytes
from solvers.rss_wide import SCAN_CHUNK, WIDE_BITS, fits_wide, wide_bytes, wide_closest

__all__ = [
    "METHODS",
    "solve_rss",
    "solve_instance",
    "rss_error",
    "brute_force",
    "meet_in_the_middle",
    "schroeppel_shamir",
    "dynamic_programming",
    "complete_karmarkar_karp_search",
    "memory_budget",
    "sparsest_subset",
    "solve_many_targets",
    "solve_rss_batch",
    "BatchResult",
    "BATCH_MAX_N",
    "MITM_MAX_N",
    "WIDE_MITM_MAX_N",
    "BIGINT_MAX_N",
]

METHODS = ("auto", "mitm", "bounded", "dp", "ckk", "cpsat", "mip", "mip-scip", "mip-highs", "brute")

#: Largest n for which ``auto`` uses the plain meet-in-the-middle (two lists of 2^22 entries,
#: about 130 MB); above it the bounded-memory engine is as fast and needs far less memory.
MITM_MAX_N = 44
BRUTE_MAX_N = 30
#: Candidates from the float pass re-checked exactly before the pure-integer engine takes over.
CANDIDATE_CAP = 200_000
#: Largest row of :func:`solve_rss_batch` (compiled per-row meet-in-the-middle on uint64 masks).
BATCH_MAX_N = 40
#: Largest n for which ``auto`` runs the two-limb meet-in-the-middle (exact sums up to
#: 122 bits, :mod:`solvers.rss_wide`) when its lists fit the memory budget: 2^26 sums per
#: half, about 6.4 GB planned (4 GB measured) and 20 s at n = 52.
WIDE_MITM_MAX_N = 52
#: Largest n for the pure Python-integer engine (sums beyond 122 bits after scaling).
BIGINT_MAX_N = 40
#: ``auto`` runs complete Karmarkar-Karp first when n exceeds the values' bit length (after
#: division by their gcd) by this margin: then near-perfect subsets abound.
CKK_MARGIN = 8
#: ``auto`` looks for subsets meeting the lattice bound by :mod:`solvers.rss_hits` beyond
#: ``MITM_MAX_N`` when the normal approximation expects at least 2^HITS_MIN_LOG2 of them.
HITS_MIN_LOG2 = 4
#: Seconds of complete Karmarkar-Karp before that search (at most a quarter of the time left).
CKK_SLICE = 1.0
#: Largest n for which ``auto`` starts from the greedy subset.
GREEDY_MAX_N = 5000

Progress = Callable[[float], None]


def rss_error(values: Sequence[object], target: object, subset: Sequence[int]) -> Fraction:
    """The exact error |target - sum_{i in subset} values[i]| (the checker paired with solve_rss).

    >>> rss_error([0.1, 0.2], 0.3, [0, 1])
    Fraction(1, 36028797018963968)
    """
    return RSSInstance.create(values, target).error(subset)


def solve_rss(
    values: Sequence[object],
    target: object,
    *,
    method: str = "auto",
    cardinality: int | None = None,
    max_cardinality: int | None = None,
    time_limit: float | None = None,
    progress: Progress | None = None,
) -> Solution:
    """Solve min_S |target - sum_{i in S} values[i]|, exactly, with |S| = cardinality or
    |S| <= max_cardinality when given.

    Parameters
    ----------
    values, target : numbers (floats are the doubles they denote; strings are exact "0.1", "-3/7").
    method : one of :data:`METHODS`; ``"auto"`` picks the fastest proven engine for the instance.
    time_limit : seconds; when it runs out the best subset so far is returned as ``feasible``.
    progress : called with the fraction done by the long-running engines.

    Returns
    -------
    Solution with ``status="optimal"`` when proven; ``error`` is exact.
    """
    inst = RSSInstance.create(
        values, target, cardinality=cardinality, max_cardinality=max_cardinality
    )
    return solve_instance(inst, method=method, time_limit=time_limit, progress=progress)


def solve_instance(
    inst: RSSInstance,
    *,
    method: str = "auto",
    time_limit: float | None = None,
    progress: Progress | None = None,
) -> Solution:
    """Dispatch a validated instance to an engine (see :func:`solve_rss`)."""
    if method not in METHODS:
        raise InputError(f"method is {method!r}: expected one of {', '.join(METHODS)}")
    time_limit = check_time_limit(time_limit)
    start = time.perf_counter()
    if inst.n == 0:
        sol = _solution(inst, [], "empty", "no values: the empty subset is the only subset")
    elif method == "auto":
        sol = _portfolio(inst, time_limit, progress)
    elif method == "brute":
        sol = brute_force(inst)
    elif method == "mitm":
        sol = meet_in_the_middle(inst, time_limit=time_limit)
    elif method == "bounded":
        sol = schroeppel_shamir(inst, time_limit=time_limit, progress=progress)
    elif method == "dp":
        sol = dynamic_programming(inst, time_limit=time_limit)
    elif method == "ckk":
        sol = complete_karmarkar_karp_search(inst, time_limit=time_limit)
    elif method == "cpsat":
        from solvers.formulations.rss_cpsat import solve_rss_cpsat

        sol = solve_rss_cpsat(inst, time_limit=time_limit)
    else:
        from solvers.formulations.rss_mip import solve_rss_mip

        sol = solve_rss_mip(inst, solver="highs" if method == "mip-highs" else "scip",
                            time_limit=time_limit)
    return sol.replace(seconds=time.perf_counter() - start, instance_hash=inst.hash())


def memory_budget() -> int:
    """Bytes an engine may allocate: half of the memory available now."""
    return int(psutil.virtual_memory().available // 2)


def _gib(nbytes: float) -> str:
    """``nbytes`` in GiB for a message; a size beyond the doubles (an exact integer of
    thousands of bits) as a power of two."""
    try:
        return f"{nbytes / 2**30:.3g} GiB"
    except OverflowError:
        return f"2^{int(nbytes).bit_length() - 30} GiB"


def _refuse_memory(what: str, need: float, budget: int, hint: str) -> InputError:
    return InputError(f"{what} needs about {_gib(need)}, more than the "
                      f"{_gib(budget)} this machine can spare: {hint}")


def _deadline(time_limit: float | None, start: float) -> float | None:
    return None if time_limit is None else start + time_limit


def _expired(deadline: float | None) -> bool:
    return deadline is not None and time.perf_counter() > deadline


def _mitm_bytes(n: int) -> float:
    # two half-lists of sums and masks, each with a merge buffer of the same size
    return 2 * 4 * 8 * 2.0 ** min(n - n // 2, 1000)


def _bounded_bytes(n: int, window: int) -> float:
    return 4 * 4 * 8 * 2.0 ** min(n - n // 2 - (n - n // 2) // 2, 1000) + 6 * 8 * window


def _mitm_seconds(n: int, arithmetic: str) -> float:
    """Planned time of the exhaustive engines (an estimate that steers ``auto``)."""
    per_sum = {"int64": 1.5e-8, "wide": 4e-8}.get(arithmetic, 2e-6)
    return per_sum * 2.0 ** min(n / 2, 1000) * (1 if n <= MITM_MAX_N else 4)


def _timed_out(inst: RSSInstance, subset: Sequence[int], method: str, lower_bound: Fraction,
               proof: str, stats: dict | None = None) -> Solution:
    """A time limit: the best subset so far as ``feasible`` with the best proven bound."""
    err = inst.error(subset)
    return Solution("feasible", subset=tuple(subset), error=err,
                    lower_bound=min(lower_bound, err), method=method, proof=proof,
                    stats=stats or {})


def _portfolio(inst: RSSInstance, time_limit: float | None, progress: Progress | None
               ) -> Solution:
    """``auto``: the engine the instance's exact structure calls for (module docstring)."""
    start = time.perf_counter()
    deadline = _deadline(time_limit, start)
    sc = _Scaled.of(inst)
    n = inst.n
    arithmetic = "int64" if sc.fits_int64 else "wide" if fits_wide(sc.values, sc.target) else ""
    if n <= BRUTE_MAX_N and arithmetic:  # at most 2^15 sums per half: nothing is faster
        return meet_in_the_middle(inst, time_limit=time_limit)
    rule = _size_rule(inst)
    bound = lattice_lower_bound(sc.values, sc.target, rule)
    # the greedy's list deletions cost O(n^2): past a few thousand values it waits for a timeout
    guess = greedy_instance(inst) if n <= GREEDY_MAX_N else None
    if guess is None or guess.status == "infeasible" or guess.subset is None:
        guess = None
    elif sc.subset_error(guess.subset) <= bound:
        return _solution(inst, guess.subset, "greedy",
                         f"the greedy subset meets the exact lattice lower bound {bound} "
                         f"(scale {sc.scale})")
    budget = memory_budget()
    plan = dp_plan(sc.values, rule)
    dp_fits = plan.nbytes <= budget
    exhaustive = _mitm_seconds(n, arithmetic)
    if dp_fits and plan.seconds <= min(exhaustive, 0.25):
        return _dp_solution(inst, sc, plan, bound, deadline, guess)
    # exhaustive engines that can end: int64 Schroeppel-Shamir to n = 64, two limbs to
    # WIDE_MITM_MAX_N, Python integers to BIGINT_MAX_N
    mitm_max = {"int64": MITM_MAX_N, "wide": WIDE_MITM_MAX_N}.get(arithmetic, BIGINT_MAX_N)
    mitm_need = wide_bytes(n) if arithmetic == "wide" else _mitm_bytes(n)
    can_end = (n <= mitm_max and mitm_need <= budget) or (
        arithmetic == "int64" and n <= 64 and rule is None)
    # the planned time of the best exact engine (infinite when none can end)
    planned = min(plan.seconds if dp_fits else math.inf, exhaustive if can_end else math.inf)
    quarter = math.inf if deadline is None else (deadline - start) / 4
    if rule is not None and not rule[1] and abs(2 * rule[0] - n) <= 1 and n > 2:
        # a balanced split: one value of each neighbouring pair, the gaps solved by CKK; all
        # the time when no exact engine can end, else a share before the exact engine
        limit = deadline if planned == math.inf else start + min(planned, quarter)
        subset, err, proven = balanced_pairs(sc.values, sc.target, rule[0], bound, limit,
                                             search=ckk_bytes(n // 2) <= budget)
        if proven:
            return _solution(inst, subset, "pairs",
                             "one value of each neighbouring pair, the gaps by complete "
                             f"Karmarkar-Karp: meets the exact lattice lower bound {bound} "
                             f"(scale {sc.scale})")
        if guess is None or sc.subset_error(subset) < sc.subset_error(guess.subset):
            guess = Solution("feasible", subset=tuple(subset))
    hits = rule is None and _hits_plausible(sc, bound, budget)
    # an exact engine planned to take over twice the time limit: the anytime searches' best
    hopeless = planned == math.inf or planned > 2 * (4 * quarter)
    if rule is None and (hopeless or (planned > 0.5 and (hits or _many_near_perfect(sc)))):
        # near-perfect subsets abound: the anytime searches may meet the lattice bound long
        # before an exact engine ends; they get as long as that engine would take
        limit = deadline if hopeless else start + min(planned, quarter)
        sol = _near_perfect(inst, sc, bound, limit, budget, hits)
        if sol.status == "optimal" or hopeless or _expired(deadline):
            return sol
    if dp_fits and (plan.seconds <= exhaustive or not can_end):
        return _dp_solution(inst, sc, plan, bound, deadline, guess)
    if n <= mitm_max or rule is not None:
        if mitm_need > budget:
            if deadline is not None and guess is not None:
                return _timed_out(inst, guess.subset, "auto", Fraction(bound, sc.scale),
                                  "no exact engine fits in memory: the best subset found, "
                                  "exact lattice lower bound")
            raise InputError(
                f"n = {n} values with a cardinality rule: the dynamic program would need "
                f"{plan.nbytes / 2**30:.3g} GiB ({plan.bits} sums x {plan.layers} sizes) and "
                f"meet-in-the-middle 2^{n - n // 2} sums per half; no exact engine fits in "
                f"{budget / 2**30:.3g} GiB (with time_limit, the best subset found is returned)")
        return meet_in_the_middle(inst, time_limit=_remaining(deadline))
    return schroeppel_shamir(inst, time_limit=_remaining(deadline), progress=progress)


def _hits_plausible(sc: _Scaled, bound: int, budget: int) -> bool:
    """Whether subsets meeting the lattice bound are expected in numbers (``HITS_MIN_LOG2``)
    and the modular search on all n values fits in memory."""
    kept = min(len(sc.values), 4 * hits_module.QUARTER_MAX)  # the rest are differenced
    # the quotients by the modulus (at most the pairs of one half) must fit int64
    narrow = sum(abs(v) for v in sc.values).bit_length() <= 59 + kept // 2
    return (narrow and hit_bytes(len(sc.values)) <= budget and len(sc.values) > MITM_MAX_N
            and expected_hits_log2(sc.values, sc.target - bound) >= HITS_MIN_LOG2)


def _near_perfect(inst: RSSInstance, sc: _Scaled, bound: int, limit: float | None,
                  budget: int, hits: bool) -> Solution:
    """Complete Karmarkar-Karp, then (``hits``) the modular search for a subset meeting the
    lattice bound (:mod:`solvers.rss_hits`); beyond its memory, CKK runs only its O(n)
    differencing core."""
    search = ckk_bytes(inst.n) <= budget
    if not hits:
        return _ckk_solution(inst, sc, bound, limit, search)
    now = time.perf_counter()
    first = now + (CKK_SLICE if limit is None else min(CKK_SLICE, (limit - now) / 4))
    sol = _ckk_solution(inst, sc, bound, first, search)
    if sol.status == "optimal":
        return sol
    found = exact_hit(sc.values, [sc.target - bound, sc.target + bound], limit)
    stats = {"residues": found.residues, "modulus": found.modulus}
    if found.subset is not None:  # its sum is target -+ bound: it meets the bound
        return _solution(inst, found.subset, "hits",
                         f"the subset meets the exact lattice lower bound {bound} (scale "
                         f"{sc.scale}); found by modular meet-in-the-middle after "
                         f"{found.residues} residues mod the prime {found.modulus}", stats)
    searched = f"the modular search tried {found.residues} residues mod {found.modulus}"
    if found.exhausted:  # every residue: no subset meets the bound, so the optimum exceeds it
        bound += 1
        searched += f" (all of them: no subset meets the lattice bound, {bound} is a bound)"
    if _expired(limit):
        return sol.replace(lower_bound=min(Fraction(bound, sc.scale), sol.error),
                           stats={**sol.stats, **stats}, proof=f"{sol.proof}; {searched}")
    sol = _ckk_solution(inst, sc, bound, limit, search)
    return sol.replace(stats={**sol.stats, **stats}, proof=f"{sol.proof}; {searched}")


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(deadline - time.perf_counter(), 0.0)


def _many_near_perfect(sc: _Scaled) -> bool:
    """Whether n exceeds the bit length of the values over their gcd by ``CKK_MARGIN``."""
    g = 0
    for v in sc.values:
        g = math.gcd(g, v)
    top = max((abs(v) for v in sc.values), default=0) // max(g, 1)
    return len(sc.values) >= top.bit_length() + CKK_MARGIN


# --- exact scaling -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scaled:
    """The instance times its common denominator: exact Python integers."""

    scale: int
    values: list[int]
    target: int

    @classmethod
    def of(cls, inst: RSSInstance) -> _Scaled:
        scale = common_scale([*inst.values, inst.target])
        return cls(scale, scale_to_int(inst.values, scale), scale_to_int([inst.target], scale)[0])

    @property
    def fits_int64(self) -> bool:
        # every partial sum and every difference target - sum is bounded by this total
        return sum(abs(v) for v in self.values) + abs(self.target) < INT64_SAFE

    def subset_error(self, subset: Sequence[int]) -> int:
        """The exact scaled error |target - sum over subset| (Python integers)."""
        return abs(self.target - sum(self.values[i] for i in subset))


def _bits(mask: int, offset: int = 0) -> list[int]:
    mask = int(mask)
    return [offset + i for i in range(mask.bit_length()) if mask >> i & 1]


def _solution(inst: RSSInstance, subset: Sequence[int], method: str, proof: str,
              stats: dict | None = None) -> Solution:
    """An optimal Solution whose error is recomputed exactly from the subset."""
    err = inst.error(subset)
    return Solution("optimal", subset=tuple(subset), error=err, lower_bound=err,
                    method=method, proof=proof, stats=stats or {})


def _size_rule(inst: RSSInstance) -> tuple[int, bool] | None:
    if inst.cardinality is not None:
        return inst.cardinality, False
    if inst.max_cardinality is not None:
        return inst.max_cardinality, True
    return None


# --- dynamic programming and complete Karmarkar-Karp ------------------------------------------


def dynamic_programming(inst: RSSInstance, *, time_limit: float | None = None) -> Solution:
    """Exact subset sum by dynamic programming over the integer sums (:mod:`solvers.rss_dp`).

    Takes the cardinality rules. Its memory (the planned range of sums, times the sizes when
    it runs by size) is estimated first; an instance whose range does not fit is refused.

    >>> inst = RSSInstance.create(list(range(800, 1200)), 84_000, cardinality=100)
    >>> sol = dynamic_programming(inst)  # the 100 smallest values sum to 84,950
    >>> sol.status, sol.error, len(sol.subset)
    ('optimal', Fraction(950, 1), 100)
    """
    start = time.perf_counter()
    sc = _Scaled.of(inst)
    rule = _size_rule(inst)
    plan = dp_plan(sc.values, rule)
    budget = memory_budget()
    if plan.nbytes > budget:
        raise _refuse_memory(f"method 'dp' on a range of about 2^{plan.bits.bit_length()} sums x {plan.layers} sizes",
                             plan.nbytes, budget, "use method 'auto'")
    bound = lattice_lower_bound(sc.values, sc.target, rule)
    return _dp_solution(inst, sc, plan, bound, _deadline(time_limit, start), None)


def _dp_solution(inst: RSSInstance, sc: _Scaled, plan: DPPlan, bound: int,
                 deadline: float | None, guess: Solution | None) -> Solution:
    """The dynamic program's answer; at the deadline the guess (else greedy) as ``feasible``."""
    found = solve_dp(plan, sc.target, deadline)
    stats = {"layers": plan.layers, "range": plan.bits, "base": str(plan.base),
             "step": str(plan.step), "bytes": plan.nbytes}
    if found is None:
        if guess is None:
            guess = greedy_instance(inst)
        return _timed_out(inst, guess.subset, "dp", Fraction(bound, sc.scale),
                          "time limit during the dynamic program: greedy subset, lattice bound",
                          stats)
    layout = "(size, sum) pair" if plan.by_size else "sum"
    return _solution(inst, found[0], "dp",
                     f"dynamic programming over every reachable {layout} of the exact integers "
                     f"(scale {sc.scale}, step {plan.step}, {plan.bits} sums)", stats)


def complete_karmarkar_karp_search(inst: RSSInstance, *, time_limit: float | None = None
                                   ) -> Solution:
    """Exact subset sum by complete Karmarkar-Karp (:mod:`solvers.rss_ckk`), anytime.

    Ends with ``optimal`` when the best difference meets the exact lattice lower bound or the
    search tree is exhausted; at the time limit, the best subset so far as ``feasible`` with
    that bound. No cardinality rule.

    >>> sol = complete_karmarkar_karp_search(RSSInstance.create(list(range(1, 200)), "9950.5"))
    >>> sol.status, sol.error
    ('optimal', Fraction(1, 2))
    """
    if _size_rule(inst) is not None:
        raise InputError("method 'ckk' does not take a cardinality rule: use method 'dp', "
                         "'mitm' or 'auto'")
    budget = memory_budget()
    if ckk_bytes(inst.n) > budget:
        raise _refuse_memory(f"method 'ckk' on n = {inst.n}", ckk_bytes(inst.n), budget,
                             "use method 'auto'")
    sc = _Scaled.of(inst)
    bound = lattice_lower_bound(sc.values, sc.target, None)
    return _ckk_solution(inst, sc, bound, _deadline(time_limit, time.perf_counter()))


def _ckk_solution(inst: RSSInstance, sc: _Scaled, bound: int, deadline: float | None,
                  search: bool = True) -> Solution:
    subset, err, proven = complete_karmarkar_karp(sc.values, sc.target, bound, deadline,
                                                  search)
    arithmetic = "int64" if sum(map(abs, sc.values)) + abs(sc.target) < INT64_SAFE else "bigint"
    stats = {"lattice_bound": str(Fraction(bound, sc.scale)), "arithmetic": arithmetic}
    if not proven:
        why = "time limit" if search else "no memory for the search tree after the core"
        return _timed_out(inst, subset, "ckk", Fraction(bound, sc.scale),
                          f"{why} in complete Karmarkar-Karp: best subset so far, exact "
                          "lattice lower bound", stats)
    why = ("meets the exact lattice lower bound" if err <= bound
           else "is the best of the exhausted search tree")
    return _solution(inst, subset, "ckk",
                     f"complete Karmarkar-Karp: the subset {why} (scale {sc.scale})", stats)


# --- brute force -------------------------------------------------------------------------------


def brute_force(inst: RSSInstance) -> Solution:
    """Enumerate all 2^n subsets in exact integer arithmetic (the reference; n <= 30).

    >>> brute_force(RSSInstance.create([3, 5, 9], 13)).subset
    (0, 2)
    """
    if inst.n > BRUTE_MAX_N:
        raise InputError(f"method 'brute' enumerates 2^n subsets: n = {inst.n} exceeds {BRUTE_MAX_N}")
    need, budget = 5 * 8 * 2.0 ** inst.n, memory_budget()  # sums, errors, masks, sizes (n <= 30)
    if need > budget:
        raise _refuse_memory(f"method 'brute' on n = {inst.n}", need, budget, "use method 'auto'")
    sc = _Scaled.of(inst)
    if sc.fits_int64:
        sums = np.zeros(1, dtype=np.int64)
        for v in sc.values:
            sums = np.concatenate([sums, sums + np.int64(v)])
        errs = np.abs(np.int64(sc.target) - sums)
    else:
        sums = np.zeros(1, dtype=object)
        for v in sc.values:
            sums = np.concatenate([sums, sums + v])
        errs = np.abs(sc.target - sums)
    masks = np.arange(1 << inst.n, dtype=np.int64)
    rule = _size_rule(inst)
    if rule is not None:
        sizes = np.array([bin(m).count("1") for m in range(1 << inst.n)])
        ok = sizes <= rule[0] if rule[1] else sizes == rule[0]
        errs, masks = errs[ok], masks[ok]
    best = int(np.argmin(errs))
    return _solution(inst, _bits(masks[best]), "brute",
                     f"enumerated all {len(masks)} admissible subsets in exact integer arithmetic")


# --- meet in the middle ------------------------------------------------------------------------


def _float_bound(inst: RSSInstance) -> float:
    """A rigorous bound on |computed error - exact error| for the float64 engines.

    Each value is rounded once (relative error u = 2^-53), each half-sum is a chain of at most
    n additions and the error |t - (a + b)| takes two more operations, each adding at most u
    times a magnitude bounded by sum|v| + |t|; 2^-1074 per operation covers underflow. The
    factor 2 absorbs the (1 + u)^k growth and the rounding of this bound itself.
    """
    total = sum(abs(v) for v in inst.values) + abs(inst.target)
    ops = inst.n + 4
    bound = Fraction(2 * ops, 2**53) * total + Fraction(ops, 2**1074)
    return math.nextafter(float(bound), math.inf)


def meet_in_the_middle(inst: RSSInstance, *, time_limit: float | None = None) -> Solution:
    """Horowitz-Sahni meet-in-the-middle, exact.

    Sorted half-lists are generated by merging (no re-sort) and scanned by two pointers. With
    a cardinality rule the sorted lists are filtered by subset size (filtering keeps them
    sorted) and each size split (c, k - c) is scanned. The arithmetic follows the exactly
    scaled integers: int64 when their sums fit, two 62-bit limbs (:mod:`solvers.rss_wide`)
    up to 122 bits, else a float64 pass with a rigorous bound whose candidates are re-checked
    exactly (Python integers when it cannot separate them, n <= ``BIGINT_MAX_N``). The
    lists' memory is estimated first; ``time_limit`` is checked between the items that build
    the lists and between chunks of the scan, and at the limit the best pair scanned so far
    comes back as ``feasible``.
    """
    sc = _Scaled.of(inst)
    wide = not sc.fits_int64 and fits_wide(sc.values, sc.target)
    need, budget = wide_bytes(inst.n) if wide else _mitm_bytes(inst.n), memory_budget()
    if need > budget:
        raise _refuse_memory(f"method 'mitm' on n = {inst.n}", need, budget,
                             "use method 'auto'")
    deadline = _deadline(time_limit, time.perf_counter())
    if sc.fits_int64:
        return _mitm_int64(inst, sc, deadline)
    if wide:
        return _mitm_wide(inst, sc, deadline)
    return _mitm_float_then_exact(inst, sc, deadline)


def _mitm_int64(inst: RSSInstance, sc: _Scaled, deadline: float | None) -> Solution:
    """The compiled int64 meet-in-the-middle, stopping at the deadline between chunks."""
    h = inst.n // 2
    rule = _size_rule(inst)
    vals = np.array(sc.values, dtype=np.int64)
    t = np.int64(sc.target)
    stats: dict = {"arithmetic": "int64"}
    if rule is None:
        A, B = _sorted_sums(vals[:h], deadline), _sorted_sums(vals[h:], deadline)
        if A is None or B is None:
            return _mitm_stopped(inst, sc, None, "while building the half-lists", stats)
        i, j, finished = _scan(A, B, t, deadline)
        subset = _subset_with_sum(vals[:h], int(A[i])) + _subset_with_sum(vals[h:], int(B[j]), h)
        stats["half_sizes"] = [len(A), len(B)]
    else:
        halves = _sorted_sums(vals[:h], deadline, True), _sorted_sums(vals[h:], deadline, True)
        if halves[0] is None or halves[1] is None:
            return _mitm_stopped(inst, sc, None, "while building the half-lists", stats)
        (A, Am), (B, Bm) = halves
        best: tuple[int, list[int]] | None = None
        finished = True
        for ia, ib in _size_splits(Am, Bm, rule):
            i, j, finished = _scan(A[ia], B[ib], t, deadline)
            e = abs(int(t) - int(A[ia[i]]) - int(B[ib[j]]))
            if best is None or e < best[0]:
                best = (e, _bits(Am[ia[i]]) + _bits(Bm[ib[j]], h))
            if not finished or e == 0:
                break
        if best is None:
            return Solution("infeasible", method="mitm",
                            proof="no subset satisfies the cardinality rule")
        subset = best[1]
        stats["half_sizes"] = [len(A), len(B)]
    if not finished:
        return _mitm_stopped(inst, sc, subset, "during the scan", stats)
    return _solution(inst, subset, "mitm",
                     f"exhaustive meet-in-the-middle on exact int64 data (scale {sc.scale})", stats)


def _sorted_sums(vals: np.ndarray, deadline: float | None, masks: bool = False):
    """The sorted subset sums of ``vals`` (with their masks when asked), built one item at a
    time so that the deadline is checked between items; None once it has passed."""
    size = 1 << len(vals)
    sums, tmp = np.empty(size, dtype=vals.dtype), np.empty(size, dtype=vals.dtype)
    bits, tmp_m = np.empty(size if masks else 0, np.uint64), np.empty(size if masks else 0,
                                                                     np.uint64)
    sums[:1] = 0
    bits[:1] = 0
    for k in range(len(vals)):
        if _expired(deadline):
            return None
        if masks:
            K.merge_shifted_masks(sums, bits, 1 << k, vals[k], np.uint64(1) << np.uint64(k),
                                  tmp, tmp_m)
            bits, tmp_m = tmp_m, bits
        else:
            K.merge_shifted(sums, 1 << k, vals[k], tmp)
        sums, tmp = tmp, sums
    return (sums, bits) if masks else sums


def _scan(A: np.ndarray, B: np.ndarray, t: object, deadline: float | None
          ) -> tuple[int, int, bool]:
    """The closest pair (i, j) of two ascending lists, and whether the scan finished before
    the deadline (checked every ``SCAN_CHUNK`` steps)."""
    state = np.array([0, len(B) - 1, 0, len(B) - 1, 0], dtype=np.int64)
    while not state[4]:
        if _expired(deadline):
            return int(state[2]), int(state[3]), False
        K.closest_pair_steps(A, B, t, state, SCAN_CHUNK)
    return int(state[2]), int(state[3]), True


def _mitm_stopped(inst: RSSInstance, sc: _Scaled, subset: Sequence[int] | None, when: str,
                  stats: dict) -> Solution:
    """A meet-in-the-middle stopped by its time limit: the best pair scanned, else the greedy
    subset, as ``feasible`` with the lattice bound."""
    if subset is None:
        subset = greedy_instance(inst).subset
    return _timed_out(inst, subset, "mitm", _lattice_bound(inst, sc),
                      f"time limit {when} of the meet-in-the-middle ({stats['arithmetic']}): "
                      "not proven", stats)


def _mitm_wide(inst: RSSInstance, sc: _Scaled, deadline: float | None) -> Solution:
    """The compiled meet-in-the-middle on two 62-bit limbs (:mod:`solvers.rss_wide`)."""
    found = wide_closest(sc.values, sc.target, _size_rule(inst), deadline)
    h = inst.n // 2
    stats = {"arithmetic": "two 62-bit limbs", "half_sizes": [1 << h, 1 << (inst.n - h)]}
    if not found.finished:
        return _mitm_stopped(inst, sc, found.subset, "while building or scanning the lists",
                             stats)
    if found.subset is None:
        return Solution("infeasible", method="mitm", proof="no subset satisfies the cardinality rule")
    return _solution(inst, found.subset, "mitm",
                     "exhaustive meet-in-the-middle on the exact integers in two 62-bit limbs "
                     f"(scale {sc.scale})", stats)


def _subset_with_sum(vals: np.ndarray, s: int, offset: int = 0) -> list[int]:
    """Indices (plus ``offset``) of a subset of ``vals`` summing to s, which one does.

    A meet-in-the-middle within the half: two lists of 2^(h/2) sums with masks.
    """
    q = len(vals) // 2
    P, Pm = K.half_sums(vals[:q])
    Q, Qm = K.half_sums(vals[q:])
    i, j = _pair_with_sum(P, Q, s)
    return _bits(Pm[i], offset) + _bits(Qm[j], offset + q)


def _size_splits(Am: np.ndarray, Bm: np.ndarray, rule: tuple[int, bool] | None):
    """:func:`solvers.rss_kernels.size_splits` with index arrays for "every pair" too."""
    for ia, ib in K.size_splits(Am, Bm, rule):
        yield (np.arange(len(Am)) if ia is None else ia,
               np.arange(len(Bm)) if ib is None else ib)


def _mitm_float_then_exact(inst: RSSInstance, sc: _Scaled, deadline: float | None) -> Solution:
    """Float64 meet-in-the-middle, then exact re-check of every candidate within the bound."""
    h = inst.n // 2
    rule = _size_rule(inst)
    fvals = np.array([float(v) for v in inst.values])
    ft = float(inst.target)
    if not np.all(np.isfinite(fvals)) or not math.isfinite(ft) or np.sum(np.abs(fvals)) > 1e300:
        return _mitm_bigint(inst, sc, deadline)
    bound = _float_bound(inst)
    halves = _sorted_sums(fvals[:h], deadline, True), _sorted_sums(fvals[h:], deadline, True)
    if halves[0] is None or halves[1] is None:
        return _mitm_stopped(inst, sc, None, "while building the float half-lists",
                             {"arithmetic": "float64+exact"})
    (A, Am), (B, Bm) = halves
    splits = list(_size_splits(Am, Bm, rule))
    if not splits:
        return Solution("infeasible", method="mitm", proof="no subset satisfies the cardinality rule")
    best = min(K.closest_pair(A[ia], B[ib], ft)[0] for ia, ib in splits)
    thresh = math.nextafter(best + 2 * bound, math.inf)
    cand: list[tuple[int, int]] = []
    total = 0
    for ia, ib in splits:
        room = max(CANDIDATE_CAP - len(cand), 0)
        oi = np.empty(room, dtype=np.int64)
        oj = np.empty(room, dtype=np.int64)
        cnt = K.collect_candidates(A[ia], B[ib], ft, thresh, room, oi, oj)
        total += cnt
        stored = min(cnt, room)
        cand.extend(zip(ia[oi[:stored]].tolist(), ib[oj[:stored]].tolist(), strict=True))
    if total > CANDIDATE_CAP:
        return _mitm_bigint(inst, sc, deadline)
    best_err, best_subset = None, None
    cache_a: dict[int, int] = {}
    cache_b: dict[int, int] = {}
    for done, (i, j) in enumerate(cand):
        if done % 4096 == 4095 and _expired(deadline):
            return _timed_out(inst, best_subset, "mitm", _lattice_bound(inst, sc),
                              f"time limit after re-checking {done} of {total} candidates "
                              "exactly: not proven")
        a = cache_a.get(i)
        if a is None:
            a = cache_a[i] = sum(sc.values[k] for k in _bits(Am[i]))
        b = cache_b.get(j)
        if b is None:
            b = cache_b[j] = sum(sc.values[k] for k in _bits(Bm[j], h))
        e = abs(sc.target - a - b)
        if best_err is None or e < best_err:
            best_err, best_subset = e, _bits(Am[i]) + _bits(Bm[j], h)
    return _solution(
        inst, best_subset, "mitm",
        f"float64 meet-in-the-middle with rounding bound {bound:.3g}; all {total} subsets "
        "within twice the bound of the best re-checked exactly",
        {"half_sizes": [len(A), len(B)], "arithmetic": "float64+exact", "candidates": total},
    )


def _lattice_bound(inst: RSSInstance, sc: _Scaled) -> Fraction:
    return Fraction(lattice_lower_bound(sc.values, sc.target, _size_rule(inst)), sc.scale)


def _mitm_bigint(inst: RSSInstance, sc: _Scaled, deadline: float | None) -> Solution:
    """Meet-in-the-middle on Python integers: exact for any magnitude, slow (n <= 40).

    The time limit is checked while the half-lists grow and during the scan; expiring before
    any pair is scanned returns the greedy subset.
    """
    if inst.n > BIGINT_MAX_N:
        raise InputError(
            f"n = {inst.n} values need more than {WIDE_BITS} bits after exact scaling and the "
            "float pass "
            f"could not separate the candidates: exact search is limited to n <= {BIGINT_MAX_N}"
        )
    h = inst.n // 2
    rule = _size_rule(inst)

    def half(vals: list[int], offset: int) -> list[tuple[int, int, int]] | None:
        items = [(0, 0, 0)]  # (sum, mask, size)
        for i, v in enumerate(vals):
            if _expired(deadline):
                return None
            items += [(s + v, m | 1 << (i + offset), c + 1) for s, m, c in items]
        return sorted(items)

    def stopped(best: tuple[int, int] | None, why: str) -> Solution:
        return _mitm_stopped(inst, sc, None if best is None else _bits(best[1]), why,
                             {"arithmetic": "bigint"})

    A, B = half(sc.values[:h], 0), half(sc.values[h:], h)
    if A is None or B is None:
        return stopped(None, "while building the half-lists")
    best = None
    if rule is None:
        groups = [(A, B)]
    else:
        k, at_most = rule
        groups = [([a for a in A if a[2] == c],
                   [b for b in B if (b[2] <= k - c if at_most else b[2] == k - c)])
                  for c in range(k + 1)]
    steps = 0
    for GA, GB in groups:
        i, j = 0, len(GB) - 1
        while i < len(GA) and j >= 0:
            steps += 1
            if steps & 65535 == 0 and _expired(deadline):
                return stopped(best, "during the scan")
            s = GA[i][0] + GB[j][0]
            e = abs(sc.target - s)
            if best is None or e < best[0]:
                best = (e, GA[i][1] | GB[j][1])
            if s < sc.target:
                i += 1
            else:
                j -= 1
    if best is None:
        return Solution("infeasible", method="mitm", proof="no subset satisfies the cardinality rule")
    return _solution(inst, _bits(best[1]), "mitm",
                     "exhaustive meet-in-the-middle in exact Python integer arithmetic",
                     {"arithmetic": "bigint"})


# --- bounded memory ----------------------------------------------------------------------------


def schroeppel_shamir(
    inst: RSSInstance,
    *,
    time_limit: float | None = None,
    progress: Progress | None = None,
    window: int = 1 << 23,
) -> Solution:
    """Schroeppel-Shamir, exact on int64 data: O(2^(n/2)) time, memory O(2^(n/4) + window).

    The items are cut into four quarters with sorted sum lists A, B, C, D. The sums
    S1 = A + B are visited a value window [lo, hi) at a time (a window holds about ``window``
    sums, generated from the quarter-lists and sorted in place), and for each window only
    the sums S2 = C + D that can be closest to target - s1 are generated: those in
    (t - hi, t - lo] plus the nearest one on either side. One two-pointer scan per window
    finds its best pair, so every pair that can be optimal is examined exactly once.
    Streaming by windows rather than by the original paper's two heaps trades a little
    memory for numpy's sort, several times faster per element.

    A time limit is checked between windows: on expiry the best subset so far is returned
    as ``feasible``.
    """
    if _size_rule(inst) is not None:
        raise InputError("method 'bounded' does not take a cardinality rule: use method 'mitm'")
    sc = _Scaled.of(inst)
    if not sc.fits_int64:
        raise InputError(
            "method 'bounded' needs the exactly scaled values to fit in 62 bits; these do not "
            f"(scale {sc.scale}): use method 'mitm' (n <= {BIGINT_MAX_N})"
        )
    need, budget = _bounded_bytes(inst.n, window), memory_budget()
    if need > budget:
        raise _refuse_memory(f"method 'bounded' on n = {inst.n}", need, budget,
                             "use method 'auto'")
    start = time.perf_counter()
    n = inst.n
    cuts = [0, n // 4, n // 2, n // 2 + (n - n // 2) // 2, n]
    vals = np.array(sc.values, dtype=np.int64)
    (A, Am), (B, Bm), (C, Cm), (D, Dm) = (K.half_sums(vals[cuts[q]:cuts[q + 1]])
                                          for q in range(4))
    t = int(sc.target)
    total1 = len(A) * len(B)
    best, done1, finished = _scan_windows(A, B, C, D, t, window, time_limit, start, progress)
    _, s1, s2 = best
    i, j = _pair_with_sum(A, B, s1)
    k, m = _pair_with_sum(C, D, s2)
    subset = (_bits(Am[i], cuts[0]) + _bits(Bm[j], cuts[1]) + _bits(Cm[k], cuts[2])
              + _bits(Dm[m], cuts[3]))
    stats = {"quarter_sizes": [len(A), len(B), len(C), len(D)], "s1_visited": done1,
             "arithmetic": "int64"}
    if finished:
        return _solution(inst, subset, "bounded",
                         "exhaustive Schroeppel-Shamir (windowed) on exact int64 data "
                         f"(scale {sc.scale})", stats)
    return _timed_out(inst, subset, "bounded", _lattice_bound(inst, sc),
                      f"time limit after {done1} of {total1} sums a + b: not proven", stats)


def _scan_windows(A: np.ndarray, B: np.ndarray, C: np.ndarray, D: np.ndarray, t: int,
                  window: int, time_limit: float | None, start: float,
                  progress: Progress | None) -> tuple[tuple[int, int, int], int, bool]:
    """Schroeppel-Shamir's scan: the best (error, s1, s2), the sums a + b visited, and whether
    every window was scanned (False when the time limit stopped it)."""
    total1 = len(A) * len(B)
    best: tuple[int, int, int] | None = None  # (error, s1, s2)
    done1 = 0
    windows = _initial_windows(A, B, window)
    finished = True
    buf = np.empty(0, dtype=np.int64)
    while windows:
        if time_limit is not None and time.perf_counter() - start > time_limit and best:
            finished = False
            break
        lo, hi = windows.pop()
        c1 = _count_in(A, B, lo, hi)
        if c1 == 0:
            continue
        c2 = _count_in(C, D, t - hi + 1, t - lo + 1)
        if max(c1, c2) > 4 * window and hi - lo > 1:
            mid = lo + (hi - lo) // 2
            windows += [(mid, hi), (lo, mid)]  # lo half is popped first
            continue
        if max(c1, c2) > len(buf):
            buf = np.empty(max(c1, c2, window), dtype=np.int64)
        if hi - lo == 1:
            s1w = np.array([lo], dtype=np.int64)  # one representative of a single value
        else:
            s1w = np.sort(_sums_in(A, B, lo, hi, buf, c1))
        if hi - lo == 1 and c2:
            s2w = np.array([t - lo], dtype=np.int64)  # an exact hit: one representative
        else:
            s2w = _neighbourhood(C, D, t - hi + 1, t - lo + 1, buf, c2)
        done1 += c1
        if len(s2w):
            e, i, j = K.closest_pair(s1w, s2w, np.int64(t))
            if best is None or e < best[0]:
                best = (int(e), int(s1w[i]), int(s2w[j]))
                if e == 0:
                    break
        if progress is not None:
            progress(min(done1 / total1, 1.0))
    return best, done1, finished


def _count_in(P: np.ndarray, Q: np.ndarray, lo: int, hi: int) -> int:
    """Number of pairs with lo <= P[i] + Q[j] < hi (P, Q ascending)."""
    return int(np.sum(np.searchsorted(Q, hi - P) - np.searchsorted(Q, lo - P)))


def _sums_in(P: np.ndarray, Q: np.ndarray, lo: int, hi: int, buf: np.ndarray,
             count: int) -> np.ndarray:
    """The sums P[i] + Q[j] in [lo, hi), unsorted, written into ``buf``."""
    K.range_sums(P, Q, np.searchsorted(Q, lo - P), np.searchsorted(Q, hi - P), buf)
    return buf[:count]


def _neighbourhood(P: np.ndarray, Q: np.ndarray, lo: int, hi: int, buf: np.ndarray,
                   count: int) -> np.ndarray:
    """Sorted sums in [lo, hi) plus the largest sum below lo and the smallest at or above hi.

    For any query in [lo, hi) the nearest sum overall is in this list.
    """
    inner = np.sort(_sums_in(P, Q, lo, hi, buf, count)) if count else np.empty(0, np.int64)
    k = np.searchsorted(Q, lo - P)
    below = (P + Q[np.maximum(k - 1, 0)])[k > 0]
    k = np.searchsorted(Q, hi - P)
    above = (P + Q[np.minimum(k, len(Q) - 1)])[k < len(Q)]
    parts = [inner]
    if len(below):
        parts.insert(0, np.array([below.max()]))
    if len(above):
        parts.append(np.array([above.min()]))
    return np.concatenate(parts)


def _initial_windows(A: np.ndarray, B: np.ndarray, window: int) -> list[tuple[int, int]]:
    """Value windows covering every sum A[i] + B[j], about ``window`` sums each (by sampling);
    returned in reverse so that popping visits them in ascending order."""
    total = len(A) * len(B)
    lo, hi = int(A[0] + B[0]), int(A[-1] + B[-1]) + 1
    count = max(1, -(-total // window))
    if count == 1:
        return [(lo, hi)]
    rng = np.random.default_rng(0)
    sample = np.sort(A[rng.integers(0, len(A), 1 << 16)] + B[rng.integers(0, len(B), 1 << 16)])
    cuts = np.unique(sample[(np.arange(1, count) * len(sample)) // count])
    edges = [lo, *[int(c) for c in cuts if lo < c < hi], hi]
    return [(edges[k], edges[k + 1]) for k in range(len(edges) - 2, -1, -1)]


def _pair_with_sum(P: np.ndarray, Q: np.ndarray, s: int) -> tuple[int, int]:
    """Indices (i, j) with P[i] + Q[j] == s (one exists by construction)."""
    k = np.minimum(np.searchsorted(Q, s - P), len(Q) - 1)
    i = int(np.nonzero(P + Q[k] == s)[0][0])
    return i, int(k[i])


# --- variants ----------------------------------------------------------------------------------


def sparsest_subset(values: Sequence[object], target: object, eps: object) -> Solution:
    """The smallest ticket: the fewest values whose sum is within eps of target.

    Sizes k = 0, 1, ... are solved exactly with |S| = k; the first whose optimum is <= eps is
    the answer (every smaller size is proven to miss eps), with the smallest error at that
    size. If no size reaches eps, the status is ``infeasible`` and the overall closest subset is
    returned.

    >>> sol = sparsest_subset([0.5, 0.25, 0.125, "0.7"], 0.75, "0.06")
    >>> sol.subset, sol.error
    ((3,), Fraction(1, 20))
    """
    eps_f = check_eps(eps)
    inst = RSSInstance.create(values, target)
    start = time.perf_counter()
    for k in range(inst.n + 1):
        sol = meet_in_the_middle(RSSInstance.create(inst.values, inst.target, cardinality=k))
        if sol.error <= eps_f:
            return sol.replace(
                proof=f"every size below {k} has exact optimum > eps (meet-in-the-middle per size); "
                      f"size {k} reaches it",
                stats={**sol.stats, "size": k},
                seconds=time.perf_counter() - start, instance_hash=inst.hash())
    best = meet_in_the_middle(inst)
    return Solution("infeasible", subset=best.subset, error=best.error, lower_bound=best.error,
                    method="mitm", proof=f"the exact optimum {best.error} exceeds eps",
                    seconds=time.perf_counter() - start, instance_hash=inst.hash())


def solve_many_targets(values: Sequence[object], targets: Sequence[object]) -> list[Solution]:
    """Solve many targets against one set of values, building the sorted half-lists once.

    >>> [s.subset for s in solve_many_targets([1, 2, 4], [3, 6.9])]
    [(0, 1), (0, 1, 2)]
    """
    tlist = list(targets)
    if not tlist:
        raise InputError("targets is empty: give at least one target")
    inst0 = RSSInstance.create(values, tlist[0], targets=tlist)
    n, h = inst0.n, inst0.n // 2
    scale = common_scale([*inst0.values, *inst0.targets])
    ints = scale_to_int(inst0.values, scale)
    tints = scale_to_int(inst0.targets, scale)
    if sum(map(abs, ints)) + max(map(abs, tints)) >= INT64_SAFE or n > MITM_MAX_N:
        return [solve_instance(RSSInstance.create(inst0.values, t)) for t in inst0.targets]
    vals = np.array(ints, dtype=np.int64)
    A, Am = K.half_sums(vals[:h])
    B, Bm = K.half_sums(vals[h:])
    out = []
    for t_exact, t_int in zip(inst0.targets, tints, strict=True):
        start = time.perf_counter()
        inst = RSSInstance.create(inst0.values, t_exact)
        _, i, j = K.closest_pair(A, B, np.int64(t_int))
        sol = _solution(inst, _bits(Am[i]) + _bits(Bm[j], h), "mitm",
                        "exhaustive meet-in-the-middle on exact int64 data, shared half-lists")
        out.append(sol.replace(seconds=time.perf_counter() - start, instance_hash=inst.hash()))
    return out


# --- batches of independent instances ----------------------------------------------------------


@dataclass
class BatchResult:
    """Answers to m independent instances (row r: values[r], targets[r]), all proven optimal.

    ``masks[r]`` has bit i set when value i of row r is kept; ``errors[r]`` is exact. With
    ``eps``, ``sizes[r]`` is the number kept (the sparsest subset within eps) and ``reached[r]``
    says whether eps was reached (where it is not, the closest subset is returned).
    """

    masks: np.ndarray
    errors: list[Fraction]
    sizes: np.ndarray
    reached: np.ndarray
    exact_rows: int
    rechecked_rows: int
    seconds: float

    @property
    def error_floats(self) -> np.ndarray:
        return np.array([float(e) for e in self.errors])

    def subset(self, r: int) -> tuple[int, ...]:
        return tuple(_bits(self.masks[r]))


def _exact_float_ints(
    V: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row, scale doubles by a power of two into exact int64 where the sums fit.

    Returns (int values, int targets, fits mask, shift): row r was multiplied by 2^shift[r]. A double is an odd integer times 2^e; the
    row's scale is 2^-(smallest such e), which makes every value of the row an exact integer.
    """
    allv = np.concatenate([V, T[:, None]], axis=1)
    mant, expo = np.frexp(allv)
    m53 = np.abs(mant * 2.0**53).astype(np.int64)
    tz = np.zeros_like(m53)
    nz = m53 != 0
    low = m53 & -m53  # lowest set bit
    tz[nz] = np.log2(low[nz].astype(np.float64)).astype(np.int64)
    lowexp = np.where(nz, expo - 53 + tz, np.iinfo(np.int64).max)
    row_low = lowexp.min(axis=1)
    row_low = np.where(row_low == np.iinfo(np.int64).max, 0, row_low)
    shift = -row_low
    total = np.sum(np.abs(allv), axis=1)
    # fits when total * 2^shift < 2^62 (checked on exponents to avoid overflow)
    with np.errstate(over="ignore", divide="ignore"):
        fits = (np.log2(np.maximum(total, 1e-300)) + shift < 61.5) & (shift < 1000)
    Vi = np.zeros(V.shape, dtype=np.int64)
    Ti = np.zeros(T.shape, dtype=np.int64)
    if np.any(fits):
        Vi[fits] = np.ldexp(V[fits], shift[fits, None]).astype(np.int64)
        Ti[fits] = np.ldexp(T[fits], shift[fits]).astype(np.int64)
    return Vi, Ti, fits, shift


def solve_rss_batch(values: object, targets: object, *, eps: object = None,
                    chunk: int = 20_000, progress: Progress | None = None) -> BatchResult:
    """Solve many independent small instances (one per row) exactly, in compiled loops.

    The per-weight workload of the SLTH construction: row r has its own values values[r] and
    its own target targets[r]. Rows of doubles whose exact power-of-two scaling fits int64 are
    solved in exact integer arithmetic; the others in float64 with a rigorous rounding bound,
    and any row where that bound leaves two candidates (or an eps decision) open is re-solved
    exactly by :func:`meet_in_the_middle`.

    >>> res = solve_rss_batch([[0.5, 0.25, 0.0625], [0.5, -0.25, 1.0]], [0.3125, 1.3125])
    >>> [res.subset(r) for r in range(2)], res.errors
    ([(1, 2), (0, 1, 2)], [Fraction(0, 1), Fraction(1, 16)])
    """
    start = time.perf_counter()
    V, T = _check_batch(values, targets)
    eps_f = None if eps is None else check_eps(eps)
    m, n = V.shape
    masks = np.zeros(m, dtype=np.uint64)
    sizes = np.full(m, -1, dtype=np.int64)
    redo = np.zeros(m, dtype=bool)
    int_err = np.zeros(m, dtype=np.int64)
    Vi, Ti, fits, shift = _exact_float_ints(V, T)
    total_abs = np.sum(np.abs(V), axis=1) + np.abs(T)
    bound = 2.0 * (n + 4) * 2.0**-53 * total_abs * (1 + 1e-9) + (n + 4) * 2.0**-1074
    if eps_f is not None:  # float(eps) is itself rounded: widen the undecided band by that
        bound += abs(float(eps_f)) * 2.0**-52
    for lo in range(0, m, chunk):
        hi = min(lo + chunk, m)
        for exact in (True, False):
            rows = np.nonzero(fits[lo:hi] == exact)[0] + lo
            if len(rows) == 0:
                continue
            if exact:
                Vr, Tr, br = Vi[rows], Ti[rows], np.zeros(len(rows), dtype=np.int64)
            else:
                Vr, Tr, br = V[rows], T[rows], bound[rows]
            out_m, out_e, out_s, undecided = _batch_rows(Vr, Tr, br, eps_f, shift[rows], exact)
            masks[rows], redo[rows] = out_m, undecided
            if eps_f is not None:
                sizes[rows] = out_s
            if exact:
                int_err[rows] = out_e
        if progress is not None:
            progress(hi / m)
    errors = [_batch_row_answer(r, V, T, eps_f, masks, sizes, redo, fits, int_err, shift)
              for r in range(m)]
    reached = sizes >= 0 if eps_f is not None else np.ones(m, dtype=bool)
    return BatchResult(masks, errors, sizes, reached, int(fits.sum()), int(redo.sum()),
                       time.perf_counter() - start)


def _check_batch(values: object, targets: object) -> tuple[np.ndarray, np.ndarray]:
    """The (m, n) values and m targets of a batch as finite doubles, or one InputError."""
    V = np.asarray(values, dtype=np.float64)
    T = np.asarray(targets, dtype=np.float64)
    if V.ndim != 2 or V.shape[0] == 0 or V.shape[1] == 0:
        raise InputError(f"values has shape {V.shape}: expected (m, n) with m, n >= 1")
    if T.shape != (V.shape[0],):
        raise InputError(f"targets has shape {T.shape}: expected ({V.shape[0]},), one per row")
    if V.shape[1] > BATCH_MAX_N:
        raise InputError(f"values has {V.shape[1]} columns: batch rows hold at most "
                         f"{BATCH_MAX_N} values")
    if not (np.all(np.isfinite(V)) and np.all(np.isfinite(T))):
        bad = np.argwhere(~np.isfinite(V))
        where = f"values[{bad[0][0]}][{bad[0][1]}]" if len(bad) else "targets"
        raise InputError(f"{where} is not finite: every value must be a finite number")
    return V, T


def _batch_rows(Vr: np.ndarray, Tr: np.ndarray, br: np.ndarray, eps_f: Fraction | None,
                shifts: np.ndarray, exact: bool) -> tuple[np.ndarray, ...]:
    """One compiled pass over rows: masks, errors, sizes (eps mode) and the undecided rows."""
    out_m = np.zeros(len(Vr), dtype=np.uint64)
    out_e = np.zeros(len(Vr), dtype=Vr.dtype)
    out_s = np.zeros(len(Vr), dtype=np.int64)
    if eps_f is None:
        ncand = np.zeros(len(Vr), dtype=np.int64)
        K.batch_closest(Vr, Tr, br, out_m, out_e, ncand)
        return out_m, out_e, out_s, ncand > 1
    flag = np.zeros(len(Vr), dtype=np.int64)
    eps_row = (np.array([_scaled_eps(eps_f, int(s)) for s in shifts], dtype=np.int64)
               if exact else np.full(len(Vr), float(eps_f)))
    K.batch_sparsest(Vr, Tr, eps_row, br, out_m, out_e, out_s, flag)
    return out_m, out_e, out_s, flag > 0


def _batch_row_answer(r: int, V: np.ndarray, T: np.ndarray, eps_f: Fraction | None,
                      masks: np.ndarray, sizes: np.ndarray, redo: np.ndarray, fits: np.ndarray,
                      int_err: np.ndarray, shift: np.ndarray) -> Fraction:
    """Row r's exact error; an undecided row is re-solved exactly (its mask and size updated)."""
    if redo[r]:
        row_vals = [Fraction(float(x)) for x in V[r]]
        if eps_f is None:
            sol = meet_in_the_middle(RSSInstance.create(row_vals, float(T[r])))
        else:
            sol = sparsest_subset(row_vals, float(T[r]), eps_f)
            sizes[r] = len(sol.subset) if sol.status == "optimal" else -1
        masks[r] = sum(1 << i for i in sol.subset)
        return sol.error
    if fits[r]:
        return (Fraction(int(int_err[r]), 1 << int(shift[r])) if shift[r] >= 0
                else Fraction(int(int_err[r]) << int(-shift[r])))
    return _row_error(V[r], T[r], int(masks[r]))


def _scaled_eps(eps: Fraction, shift: int) -> int:
    """floor(eps * 2^shift): for integer errors e, e <= eps * 2^shift iff e <= this floor."""
    return min(math.floor(eps * Fraction(2) ** shift), INT64_SAFE)


def _row_error(row: np.ndarray, t: float, mask: int) -> Fraction:
    """Exact |t - sum of the masked doubles of a row|, in integers over a power of two."""
    parts = [float(t).as_integer_ratio()] + [(-p, q) for p, q in
                                             (float(row[i]).as_integer_ratio() for i in _bits(mask))]
    den = max(q for _, q in parts)
    return Fraction(abs(sum(p * (den // q) for p, q in parts)), den)
