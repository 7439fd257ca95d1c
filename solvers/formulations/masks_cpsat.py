"""CP-SAT formulation of one-hidden-layer masks at finitely many inputs (an exact integer model).

The description is :class:`solvers.mask_choices.MaskChoices` (the same groups and options as
the MathOpt formulation of :mod:`solvers.formulations.masks_mip`); these functions add it to a
``cp_model.CpModel`` and hand back the handles; solving is a separate step
(:func:`solvers.masks.exact_master`).

- :func:`add_choice_variables`: one Boolean per option, at most one per group, an optional
  budget on kept bits.
- :func:`add_error_rows`: ``|T_r - sum V_r y| <= t`` for integer rows (``scaled_rows`` rounds
  the exact rows down to a common unit, with a rigorous bound on what the rounding moves).
- :func:`exclude_choice`: a no-good cutting off every choice equal to a given one on the rows.

>>> from ortools.sat.python import cp_model
>>> from solvers.networks import Network
>>> from solvers.mask_choices import MaskChoices
>>> ch = MaskChoices.create(Network.create([[[1.0], [-1.0]], [[1.0, 1.0]]]))
>>> model = cp_model.CpModel()
>>> y = add_choice_variables(model, ch)
>>> rows = ch.rows(Network.create([[[1.0]], [[1.0]]]), [((-1,), 1), ((1,), 1)])
>>> sr = scaled_rows(rows, len(ch.groups), 10)
>>> t = add_error_rows(model, y, sr)
>>> model.minimize(t)
>>> solver = cp_model.CpSolver()
>>> solver.parameters.num_workers = 1
>>> solver.solve(model) == cp_model.OPTIMAL, solver.value(t)
(True, 0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from ortools.sat.python import cp_model

from solvers.mask_choices import MaskChoices, Rows

__all__ = ["ScaledRows", "scaled_rows", "row_shift", "add_choice_variables", "add_error_rows",
           "exclude_choice", "master_solver", "CPSAT_ROW_BITS"]

#: Rows are scaled so that every row's largest possible |T_r| + sum_g max_o |V| is below
#: 2^CPSAT_ROW_BITS units (CP-SAT needs every linear expression within 2^62).
CPSAT_ROW_BITS = 48


@dataclass(frozen=True)
class ScaledRows:
    """Rows rounded down to multiples of ``1 / 2^shift``: ``values[r][g][o] = floor(2^shift
    V / den_r)``. For any choice keeping n groups, the rounded residual differs from
    ``2^shift`` times the exact one by less than ``n + 1 <= slack`` units (each floor moves by
    less than one unit)."""

    values: list[list[list[int]]]
    targets: list[int]
    shift: int
    slack: int
    bound: int


def scaled_rows(rows: Rows, n_groups: int, shift: int) -> ScaledRows:
    """Round exact rows down to the common unit ``2^-shift``; the shift comes from
    :func:`row_shift` so that every row stays within ``2^CPSAT_ROW_BITS`` units."""
    vals = [[[(v << shift) // den for v in opts] for opts in row]
            for row, den in zip(rows.values, rows.dens, strict=True)]
    tg = [(t << shift) // den for t, den in zip(rows.targets, rows.dens, strict=True)]
    bound = max((abs(t) + sum(max((abs(v) for v in o), default=0) for o in row))
                for row, t in zip(vals, tg, strict=True)) if tg else 1
    if bound >= 2**(CPSAT_ROW_BITS + 1):
        raise ValueError(f"a row reaches {bound.bit_length()} bits: the shift {shift} is too fine")
    return ScaledRows(vals, tg, shift, n_groups + 1, 2**(CPSAT_ROW_BITS + 1))


def row_shift(magnitude: Fraction) -> int:
    """The shift keeping rows of exact magnitude at most ``magnitude`` within
    ``2^CPSAT_ROW_BITS`` units.

    >>> row_shift(Fraction(3))
    45
    """
    top = magnitude.numerator // magnitude.denominator + 1
    return max(CPSAT_ROW_BITS - top.bit_length(), 0)


def add_choice_variables(model: cp_model.CpModel, choices: MaskChoices, *,
                         budget: int | None = None) -> list[list[cp_model.IntVar]]:
    """One Boolean per option, at most one per group (none: the group is off)."""
    y = [[model.new_bool_var(f"y{g}_{o}") for o in range(len(opts))]
         for g, opts in enumerate(choices.groups)]
    for ys in y:
        if len(ys) > 1:
            model.add_at_most_one(ys)
    if budget is not None:
        model.add(sum(opt.kept * v for opts, ys in zip(choices.groups, y, strict=True)
                      for opt, v in zip(opts, ys, strict=True)) <= budget)
    return y


def add_error_rows(model: cp_model.CpModel, y: list[list[cp_model.IntVar]], rows: ScaledRows,
                   t: cp_model.IntVar | None = None, first: int = 0) -> cp_model.IntVar:
    """``-t <= T_r - sum V_r y <= t`` for rows ``first..`` (|d| as two inequalities); a new
    ``t`` in [0, rows.bound] when none is given. Returns t."""
    if t is None:
        t = model.new_int_var(0, rows.bound, "t")
    for vals, target in zip(rows.values[first:], rows.targets[first:], strict=True):
        terms = [(var, v) for opts, ys in zip(vals, y, strict=True)
                 for v, var in zip(opts, ys, strict=True) if v]
        expr = cp_model.LinearExpr.weighted_sum([t[0] for t in terms], [t[1] for t in terms])
        model.add(target - expr <= t)
        model.add(expr - target <= t)
    return t


def exclude_choice(model: cp_model.CpModel, y: list[list[cp_model.IntVar]],
                   classes: Sequence[tuple[Sequence[int], bool]]) -> None:
    """Cut off every choice whose option in each group g lies in ``classes[g] = (options,
    off)`` (``off``: the group being off is in the class too): some group must leave its class.

    A group whose class holds "off" leaves it by taking an option outside; otherwise through
    a new literal implying that none of the class's options is taken.
    """
    lits = []
    for g, (ys, (opts, off)) in enumerate(zip(y, classes, strict=True)):
        inside = set(opts)
        if off:
            lits += [v for i, v in enumerate(ys) if i not in inside]
            continue
        leave = model.new_bool_var(f"leave{g}")
        for i in inside:
            model.add_implication(leave, ys[i].Not())
        lits.append(leave)
    model.add_bool_or(lits)


def master_solver(workers: int, time_limit: float | None, gap: float) -> cp_model.CpSolver:
    """The CP-SAT solver of every exact mask master: ``workers`` threads, presolve off (OR-Tools
    9.15's presolve returned wrong OPTIMAL answers on exactly scaled models), at most
    ``time_limit`` seconds, stopping at relative ``gap`` (intermediate masters need a good
    mask, not a proof: the proof is a final infeasible capped model, which no gap shortens).
    """
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.cp_model_presolve = False
    if time_limit is not None:
        solver.parameters.max_time_in_seconds = max(time_limit, 0.01)
    solver.parameters.relative_gap_limit = gap
    return solver
