"""MIP formulation of 1-D subset sum (OR-Tools MathOpt: SCIP or HiGHS), re-checked exactly.

Model, in floating point, with the values scaled by a power of two ``2^-p`` so the largest
|value| lies in [1/2, 2) (exact in binary):

    minimise e  subject to  e >= t - sum_i v_i x_i,  e >= sum_i v_i x_i - t,  x_i in {0, 1},
    e >= 0,

plus ``sum_i x_i = k`` or ``<= k`` for the cardinality variants. A floating-point MIP is not a
proof: a row may be violated by the feasibility tolerance, so ``e = 0`` is accepted for any
subset within about 1e-6 (scaled) of the target, and OPTIMAL then means "optimal within the
stated tolerances". The subset is therefore re-evaluated exactly and labelled
``optimal_within_tolerance`` (never ``optimal``), with the tolerances in ``proof``;
``lower_bound`` stays None and the solver's float bound goes to ``stats``.
:func:`mip_tolerance_trap` builds a 26-item instance where both report OPTIMAL with objective 0
while the exact optimum is 5 * 2^-34.

>>> from solvers.instances import RSSInstance
>>> sol = solve_rss_mip(RSSInstance.create([3, 5, 9, 14], 20, cardinality=2), solver="highs")
>>> sol.status, sol.subset, sol.error, sol.lower_bound
('optimal_within_tolerance', (1, 3), Fraction(1, 1), None)
"""

from __future__ import annotations

import time
from datetime import timedelta
from fractions import Fraction
from typing import Any

import numpy as np
from ortools.math_opt.python import mathopt

from solvers.instances import RSSInstance
from solvers.interrupt import solve_mathopt
from solvers.numbers import InputError, check_time_limit
from solvers.results import Solution

__all__ = [
    "quiet_highs", "solve_rss_mip", "mip_tolerance_trap", "MIP_TOLERANCES"]

#: The tolerances set explicitly on each solver (their documented defaults), quoted in ``proof``.
MIP_TOLERANCES = {
    "scip": {"relative_gap": 0.0, "absolute_gap": 0.0, "feasibility": 1e-6},
    "highs": {"relative_gap": 1e-4, "absolute_gap": 1e-6, "feasibility": 1e-6},
}

_SOLVER_TYPES = {"scip": mathopt.SolverType.GSCIP, "highs": mathopt.SolverType.HIGHS}


def _parameters(solver: str, time_limit: float | None) -> mathopt.SolveParameters:
    tol = MIP_TOLERANCES[solver]
    params = mathopt.SolveParameters(
        relative_gap_tolerance=tol["relative_gap"],
        absolute_gap_tolerance=tol["absolute_gap"],
        random_seed=0,
        time_limit=None if time_limit is None else timedelta(seconds=time_limit),
    )
    if solver == "scip":
        params.gscip.real_params["numerics/feastol"] = tol["feasibility"]
    else:
        params.highs.double_options["mip_feasibility_tolerance"] = tol["feasibility"]
        quiet_highs(params)
    return params


def quiet_highs(params: mathopt.SolveParameters) -> mathopt.SolveParameters:
    """HiGHS writes its log to the process's stdout unless told not to: keep stdout ours."""
    params.enable_output = False
    params.highs.bool_options["output_flag"] = False
    params.highs.bool_options["log_to_console"] = False
    return params


def _power_of_two_scale(values: tuple[Fraction, ...]) -> Fraction:
    """2^-p with the largest |value| times 2^-p in [1/2, 2) (1 when every value is 0)."""
    largest = max(abs(v) for v in values)
    if largest == 0:
        return Fraction(1)
    p = largest.numerator.bit_length() - largest.denominator.bit_length()
    return Fraction(2) ** -p


def solve_rss_mip(
    inst: RSSInstance, *, solver: str = "scip", time_limit: float | None = None
) -> Solution:
    """Minimise |target - sum of values over S| as a floating-point MIP (SCIP or HiGHS).

    Parameters
    ----------
    inst : the instance; ``cardinality`` and ``max_cardinality`` are honoured.
    solver : ``"scip"`` or ``"highs"`` (both ship inside the OR-Tools wheel).
    time_limit : seconds, or None for no limit; at the limit the best subset found is returned
        as ``feasible`` (``unknown`` if none).

    Returns
    -------
    Solution
        ``method`` is ``"mip-scip"`` or ``"mip-highs"``; ``error`` is the exact error of the
        subset; ``status`` is ``optimal_within_tolerance`` when the MIP reports OPTIMAL, never
        ``optimal``; ``lower_bound`` is None (a float bound proves nothing exactly) and
        ``stats`` holds the solver's float objective and bound in the instance's units.

    Examples
    --------
    >>> from solvers.instances import RSSInstance
    >>> sol = solve_rss_mip(RSSInstance.create(["0.5", "1/3", "-0.25"], "0.6"))
    >>> sol.status, sol.subset, sol.error, sol.method
    ('optimal_within_tolerance', (0, 1, 2), Fraction(1, 60), 'mip-scip')
    """
    start = time.perf_counter()
    if solver not in _SOLVER_TYPES:
        raise InputError(f"solver is {solver!r}: expected 'scip' or 'highs'")
    limit = check_time_limit(time_limit)
    method = f"mip-{solver}"
    common = {"method": method, "instance_hash": inst.hash()}
    if not any(inst.admits(size) for size in range(inst.n + 1)):
        return Solution(
            "infeasible",
            proof=f"no subset of {inst.n} values has size "
            f"{inst.cardinality} (checked exactly, before the MIP)",
            seconds=time.perf_counter() - start,
            **common,
        )

    scale = _power_of_two_scale(inst.values)
    model, x = _build_model(inst, scale)
    result = solve_mathopt(model, _SOLVER_TYPES[solver], params=_parameters(solver, limit))
    return _read_solution(inst, solver, result, x, scale, start)


def _build_model(inst: RSSInstance, scale: int) -> tuple[mathopt.Model, list]:
    """min e subject to t - e <= sum v_i x_i <= t + e (values times a power of two)."""
    model = mathopt.Model(name="rss")
    x = [model.add_binary_variable(name=f"x{i}") for i in range(inst.n)]
    e = model.add_variable(lb=0.0, name="e")
    total = mathopt.fast_sum(float(v * scale) * xi for v, xi in zip(inst.values, x, strict=True))
    t = float(inst.target * scale)
    model.add_linear_constraint(total + e >= t)
    model.add_linear_constraint(total - e <= t)
    if inst.cardinality is not None:
        model.add_linear_constraint(mathopt.fast_sum(x) == inst.cardinality)
    if inst.max_cardinality is not None:
        model.add_linear_constraint(mathopt.fast_sum(x) <= inst.max_cardinality)
    model.minimize(e)
    return model, x


def _read_solution(inst: RSSInstance, solver: str, result: Any, x: list, scale: int,
                   start: float) -> Solution:
    """The Solution, its error recomputed exactly; OPTIMAL becomes optimal_within_tolerance."""
    reason = result.termination.reason
    bound = result.termination.objective_bounds.dual_bound
    stats = {"termination": reason.name,
             "mip_bound": float(bound / scale) if np.isfinite(bound) else None,
             "tolerances": MIP_TOLERANCES[solver], "value_scale": str(scale)}
    common = {"method": f"mip-{solver}", "instance_hash": inst.hash(), "stats": stats}
    tol = ", ".join(f"{k} {v:g}" for k, v in MIP_TOLERANCES[solver].items())
    subset = None
    if result.has_primal_feasible_solution():
        chosen = result.variable_values(x)
        subset = tuple(i for i, xi in enumerate(chosen) if xi > 0.5)
        stats["mip_objective"] = float(result.objective_value() / scale)
        if not inst.admits(len(subset)):
            stats["rejected_subset"] = list(subset)
            subset = None
    if subset is None:
        return Solution("unknown", proof=f"{solver.upper()} {reason.name}: no valid subset found",
                        seconds=time.perf_counter() - start, **common)
    error = inst.error(subset)
    if reason == mathopt.TerminationReason.OPTIMAL:
        return Solution("optimal_within_tolerance", subset=subset, error=error,
                        proof=f"{solver.upper()} OPTIMAL in floating point ({tol}; values x "
                              f"{scale}): not an exact proof; error re-checked exactly",
                        seconds=time.perf_counter() - start, **common)
    return Solution("feasible", subset=subset, error=error,
                    proof=f"{solver.upper()} {reason.name}: best subset found; error re-checked "
                          "exactly", seconds=time.perf_counter() - start, **common)


def mip_tolerance_trap(seed: int = 0, n: int = 26) -> RSSInstance:
    """An instance whose exact optimum is 5 * 2^-34 (about 2.9e-10) but that MIPs solve to 0.

    ``n`` values drawn uniformly from [-1, 1] and rounded to the grid 2^-10 (exact doubles); the
    target is the exact sum of a random half of them plus 5 * 2^-34. Every subset sum is a
    multiple of 2^-10, so every subset misses the target by at least 5 * 2^-34, and the planted
    half attains it: the optimum is exactly 5 * 2^-34. SCIP and HiGHS, with their default
    feasibility tolerance 1e-6, accept ``e = 0`` for the planted half and report OPTIMAL with
    objective 0 in well under a second.

    >>> inst = mip_tolerance_trap()
    >>> inst.n, inst.target % Fraction(1, 2**10) == Fraction(5, 2**34)
    (26, True)
    >>> sol = solve_rss_mip(inst, solver="highs")
    >>> sol.status, sol.stats["mip_objective"], sol.error == Fraction(5, 2**34)
    ('optimal_within_tolerance', 0.0, True)
    """
    rng = np.random.default_rng(seed)
    values = np.round(rng.uniform(-1.0, 1.0, n) * 2**10) / 2**10
    planted = rng.permutation(n)[: n // 2]
    target = sum((Fraction(float(values[i])) for i in planted), Fraction(0)) + Fraction(5, 2**34)
    return RSSInstance.create(values, target)
