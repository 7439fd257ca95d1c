"""CP-SAT formulation of multidimensional subset sum on the exact integer scaling.

Variables x_i in {0, 1}; per coordinate j the residual ``r_j = z_j - sum_i X_ij x_i`` in exact
integers; the objective is ``t >= |r_j|`` for all j (inf norm) or ``sum_j t_j`` with
``t_j >= |r_j|`` (1-norm), each absolute value as two inequalities. CP-SAT reasons in exact
integers, so its integer lower bound (``inner_objective_lower_bound``) meeting the exact error of
the returned subset is a proof when the scaling is exact (``shift == 0``); its OPTIMAL alone is
not, because it compares objective and bound as doubles (a few units early past 2^53). When the exact integers exceed int64 the data are floored
to multiples of 2^shift: the answer is then ``optimal_within_tolerance`` with a rigorous lower
bound (the proven bound minus the rounding slack).

>>> from solvers.instances import MRSSInstance
>>> sol = solve_mrss_cpsat(MRSSInstance.create([[1, 0], [0, 1], [1, 1]], ["1/2", 2]))
>>> sol.status, sol.subset, sol.error
('optimal', (1, 2), Fraction(1, 2))
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from ortools.sat.python import cp_model

from solvers.instances import MRSSInstance
from solvers.interrupt import solve_cp
from solvers.numbers import check_workers, integer_scaling
from solvers.results import Solution

__all__ = ["MRSSCpSat", "add_mrss_cpsat", "solve_mrss_cpsat"]


@dataclass
class MRSSCpSat:
    """Handles of the formulation inside a CP-SAT model."""

    x: list[cp_model.IntVar]
    distance: list[cp_model.IntVar]
    objective: cp_model.LinearExpr


def add_mrss_cpsat(
    model: cp_model.CpModel,
    values: np.ndarray,
    target: np.ndarray,
    norm: str,
    sizes: tuple[int, int],
) -> MRSSCpSat:
    """Add the formulation for integer ``values`` (n, d) and ``target`` (d,) to ``model``.

    ``sizes`` is the inclusive range of admissible |S|. Returns the handles; the caller sets the
    objective (``model.minimize(handles.objective)``) and solves.
    """
    n, d = values.shape
    x = [model.new_bool_var(f"x{i}") for i in range(n)]
    cols = [[int(v) for v in values[:, j]] for j in range(d)]
    # residual range per coordinate: the target minus the extreme partial sums
    reach = [max(abs(int(target[j]) - sum(c for c in cols[j] if c > 0)),
                 abs(int(target[j]) - sum(c for c in cols[j] if c < 0))) for j in range(d)]
    if norm == "1":
        dist = [model.new_int_var(0, reach[j], f"t{j}") for j in range(d)]
    else:
        dist = [model.new_int_var(0, max(reach), "t")] * d
    for j in range(d):
        partial = cp_model.LinearExpr.weighted_sum(x, cols[j])
        model.add(dist[j] >= int(target[j]) - partial)
        model.add(dist[j] >= partial - int(target[j]))
    if sizes != (0, n):
        model.add_linear_constraint(sum(x), sizes[0], sizes[1])
    objective = sum(dist) if norm == "1" else dist[0]
    return MRSSCpSat(x, dist if norm == "1" else dist[:1], objective)


def solve_mrss_cpsat(
    inst: MRSSInstance, *, time_limit: float | None = None, workers: int = 2
) -> Solution:
    """Solve ``inst`` with CP-SAT; the error is recomputed exactly from the chosen subset."""
    start = time.perf_counter()
    sc = integer_scaling(inst.vectors, [inst.target], inst.norm)
    model = cp_model.CpModel()
    handles = add_mrss_cpsat(model, sc.rounded, sc.rounded_targets[0], inst.norm,
                             inst.size_range())
    model.minimize(handles.objective)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = check_workers(workers)
    # OR-Tools 9.15's presolve returns wrong OPTIMAL answers on these models once the
    # coefficients reach ~2^35 (tests/test_formulations_rss.py keeps the instance)
    solver.parameters.cp_model_presolve = False
    if time_limit is not None:
        solver.parameters.max_time_in_seconds = time_limit
    status = solve_cp(solver, model)
    seconds = time.perf_counter() - start
    stats = {"shift": sc.shift, "cpsat_status": solver.status_name(status)}
    if status == cp_model.INFEASIBLE:
        return Solution("infeasible", method="cpsat", proof="CP-SAT proved no admissible subset",
                        seconds=seconds, instance_hash=inst.hash(), stats=stats)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Solution("unknown", method="cpsat", proof=f"CP-SAT {solver.status_name(status)}",
                        seconds=seconds, instance_hash=inst.hash(), stats=stats)
    subset = tuple(i for i, v in enumerate(handles.x) if solver.boolean_value(v))
    err = inst.error(subset)
    # the integer fields: objective_value and best_objective_bound are doubles (wrong past 2^53)
    value = sum(solver.value(t) for t in handles.distance)
    bound = solver.response_proto.inner_objective_lower_bound
    stats.update(objective=value, bound=bound)
    if sc.shift == 0:
        # CP-SAT compares objective and bound in doubles: past 2^53 it may say OPTIMAL a few
        # units early. The proof is the integer bound meeting the exact error of the subset.
        err_units = err * sc.scale
        if value < err_units:  # the t's bound the residuals: CP-SAT contradicts itself
            status_str, lower = "feasible", None
            proof = f"CP-SAT objective {value} is below the exact error: not trusted"
        elif bound == err_units:
            status_str, lower = "optimal", err
            proof = "CP-SAT's integer lower bound equals the exact error (exact integer scaling)"
        else:
            status_str, lower = "feasible", Fraction(bound) * sc.unit
            proof = (f"CP-SAT {solver.status_name(status)}: proven bound {bound} below the "
                     f"exact error {err_units} (units of 1/{sc.scale})")
    else:
        lower = max(0, bound - sc.slack) * sc.unit
        if status == cp_model.OPTIMAL:
            status_str = "optimal_within_tolerance"
            proof = (f"CP-SAT OPTIMAL on data floored to 2^{sc.shift}/scale units; exact optimum "
                     f"in [lower_bound, error] (rounding slack {sc.slack} units)")
        else:
            status_str = "feasible"
            proof = f"CP-SAT {solver.status_name(status)}: best subset and proven bound at the limit"
    return Solution(status_str, subset=subset, error=err,
                    lower_bound=None if lower is None else min(lower, err), method="cpsat",
                    proof=proof, seconds=seconds, instance_hash=inst.hash(), stats=stats)
