"""MIP formulation of multidimensional subset sum (OR-Tools MathOpt: SCIP or HiGHS).

The same model as the CP-SAT one in floating point: binaries x_i, ``t >= +-(z_j - sum_i X_ij
x_i)`` per coordinate (inf norm) or ``t_j`` per coordinate summed (1-norm), minimise. A float
MIP's OPTIMAL is not a proof (its tolerances hide errors below ~1e-6): the returned subset's error is recomputed exactly, the
status is ``optimal_within_tolerance`` with the solver's tolerances in ``proof``, never
``optimal``, and no lower bound is claimed.

>>> from solvers.instances import MRSSInstance
>>> sol = solve_mrss_mip(MRSSInstance.create([[1, 0], [0, 1], [1, 1]], ["1/2", 2]))
>>> sol.status, sol.subset, sol.error
('optimal_within_tolerance', (1, 2), Fraction(1, 2))
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from ortools.math_opt.python import mathopt

from solvers.deprecation import renamed_argument
from solvers.formulations.rss_mip import quiet_highs
from solvers.instances import MRSSInstance
from solvers.interrupt import solve_mathopt
from solvers.numbers import InputError, check_workers
from solvers.results import Solution

__all__ = ["MRSSMip", "add_mrss_mip", "solve_mrss_mip", "MIP_SOLVERS"]

MIP_SOLVERS = {"scip": mathopt.SolverType.GSCIP, "highs": mathopt.SolverType.HIGHS}


@dataclass
class MRSSMip:
    """Handles of the formulation inside a MathOpt model."""

    x: list[mathopt.Variable]
    distance: list[mathopt.Variable]
    objective: mathopt.LinearExpression


def add_mrss_mip(model: mathopt.Model, inst: MRSSInstance) -> MRSSMip:
    """Add the formulation of ``inst`` (doubles nearest to its exact values) to ``model``."""
    n, d = inst.n, inst.d
    x = [model.add_binary_variable(name=f"x{i}") for i in range(n)]
    if inst.norm == "1":
        dist = [model.add_variable(lb=0.0, name=f"t{j}") for j in range(d)]
    else:
        dist = [model.add_variable(lb=0.0, name="t")] * d
    for j in range(d):
        partial = mathopt.fast_sum(float(inst.vectors[i][j]) * x[i] for i in range(n))
        z = float(inst.target[j])
        model.add_linear_constraint(dist[j] + partial >= z)
        model.add_linear_constraint(dist[j] - partial >= -z)
    lo, hi = inst.size_range()
    if (lo, hi) != (0, n):
        model.add_linear_constraint(lb=lo, ub=hi, expr=mathopt.fast_sum(x))
    objective = mathopt.fast_sum(dist) if inst.norm == "1" else mathopt.fast_sum(dist[:1])
    return MRSSMip(x, dist if inst.norm == "1" else dist[:1], objective)


def solve_mrss_mip(
    inst: MRSSInstance, *, solver: str = "scip", time_limit: float | None = None,
    workers: int = 2,
    threads: int | None = None,
) -> Solution:
    """Solve ``inst`` with SCIP or HiGHS; the subset's error is recomputed exactly."""
    if solver not in MIP_SOLVERS:
        raise InputError(f"solver is {solver!r}: expected one of {', '.join(MIP_SOLVERS)}")
    start = time.perf_counter()
    model = mathopt.Model(name="mrss")
    handles = add_mrss_mip(model, inst)
    model.minimize(handles.objective)
    params = mathopt.SolveParameters(
        time_limit=None if time_limit is None else timedelta(seconds=time_limit),
        threads=check_workers(renamed_argument("solve_mrss_mip", "threads", "workers", threads,
                                                workers)) if solver == "scip" else None,
    )
    if solver == "highs":
        quiet_highs(params)
    result = solve_mathopt(model, MIP_SOLVERS[solver], params=params)
    seconds = time.perf_counter() - start
    reason = result.termination.reason
    stats = {"termination": reason.name, "objective": None, "dual_bound": None}
    if reason == mathopt.TerminationReason.INFEASIBLE:
        return Solution("infeasible", method=_method(solver),
                        proof=f"{solver} reports INFEASIBLE (floating point)",
                        seconds=seconds, instance_hash=inst.hash(), stats=stats)
    if not result.has_primal_feasible_solution():
        return Solution("unknown", method=_method(solver), proof=f"{solver} {reason.name}: no solution",
                        seconds=seconds, instance_hash=inst.hash(), stats=stats)
    values = result.variable_values(handles.x)
    subset = tuple(i for i, v in enumerate(values) if v > 0.5)
    stats["objective"] = result.objective_value()
    stats["dual_bound"] = result.termination.objective_bounds.dual_bound
    err = inst.error(subset)
    if reason == mathopt.TerminationReason.OPTIMAL:
        status = "optimal_within_tolerance"
        proof = (f"{solver} OPTIMAL in floating point (default gap and feasibility tolerances, "
                 f"objective {stats['objective']:.3e}); error re-checked exactly, not a proof")
    else:
        status = "feasible"
        proof = f"{solver} {reason.name}: best subset at the limit, error re-checked exactly"
    return Solution(status, subset=subset, error=err, method=_method(solver), proof=proof,
                    seconds=seconds, instance_hash=inst.hash(), stats=stats)


def _method(solver: str) -> str:
    """The ``--method`` name, as in the 1-D formulation: ``mip-scip`` or ``mip-highs``."""
    return f"mip-{solver}"
