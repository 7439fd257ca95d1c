"""Provably optimal pruning masks, and how much overparameterisation an instance needs.

- :func:`optimal_mask`: the mask minimising the worst error over the box (or a finite input
  set), unstructured (a bit per edge and bias) or structured (a bit per hidden neuron). The
  exact engine (:func:`solvers.masks.exact_optimal_mask`) proves it in exact arithmetic for
  one-hidden-layer networks of at most three inputs and networks of any depth with at most
  two; otherwise constraint generation over the
  floating-point MIPs of :mod:`solvers.formulations.masks_mip` (``optimal_within_tolerance``).
- :func:`required_width` puts the subset-sum construction (:mod:`solvers.construction`) and
  the optimal masks side by side with the theorems' ``C log(l d^2 / eps)``.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from solvers.construction import check_box, subset_sum_construction
from solvers.deprecation import moved_names
from solvers.formulations.rss_mip import quiet_highs
from solvers.interrupt import solve_mathopt
from solvers.mask_choices import MaskChoices
from solvers.masks import (
    MaskCertificate,
    MaskResult,
    exact_engine_applies,
    exact_master_optimum,
    exact_optimal_mask,
)
from solvers.masks_deep import mask_bits_of
from solvers.networks import Network, NetworkMask
from solvers.numbers import InputError, check_eps, fraction_str, to_fraction
from solvers.piecewise_linear import check_comparable

__all__ = [
    "ENGINES",
    "MaskResult",
    "optimal_mask",
    "required_width",
    "theorem_width",
]


# --- provably optimal masks: constraint generation over MIPs ----------------------------------


#: SCIP's feasibility tolerance in the mask MIPs (its default; at 1e-9 SCIP 9.15 was seen to
#: return a wrong "optimal" master, so the default stays).
MIP_FEASTOL = 1e-6


def _mip_params(tol: float, time_limit: float | None, solver: str = "scip") -> Any:
    import datetime

    from ortools.math_opt.python import mathopt

    # HiGHS through MathOpt rejects a thread count (it runs one thread on MIPs anyway)
    params = mathopt.SolveParameters(
        threads=1 if solver == "scip" else None, relative_gap_tolerance=0.0,
        absolute_gap_tolerance=tol / 10,
        time_limit=None if time_limit is None else datetime.timedelta(seconds=max(time_limit, 0.1)))
    if solver == "scip":
        params.gscip.real_params["numerics/feastol"] = MIP_FEASTOL
    else:
        quiet_highs(params)
    return params



def _exact_sup(target: Network, net: Network, xs: np.ndarray) -> tuple[Fraction, int]:
    """Exact max over the rows of xs of ||f(x) - g(x)||_inf, and the arg max."""
    best, arg = Fraction(-1), 0
    for i, x in enumerate(xs):
        e = max(abs(a - b) for a, b in zip(target.forward_exact(x), net.forward_exact(x),
                                          strict=True))
        if e > best:
            best, arg = e, i
    return best, arg


def _verify(target: Network, net: Network, lo: np.ndarray, hi: np.ndarray, tol: float,
            time_limit: float | None, solver: str = "scip"
            ) -> tuple[float, float, list[np.ndarray], bool]:
    """sup over the box of ||f - g||_inf by one MIP per output and sign.

    Returns (best value found, MIP upper bound, the worst inputs found, all solved to the gap).
    """
    from ortools.math_opt.python import mathopt

    from solvers.formulations.masks_mip import add_input_variables, add_network

    model = mathopt.Model(name="verify")
    x = add_input_variables(model, lo, hi)
    f = add_network(model, target, x, lo, hi, name="f")
    g = add_network(model, net, x, lo, hi, name="g")
    found, upper, worst, solved = -math.inf, -math.inf, [], True
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    for k in range(len(f.outputs)):
        for sign in (1.0, -1.0):
            model.maximize(sign * (f.outputs[k] - g.outputs[k]))
            left = None if deadline is None else deadline - time.perf_counter()
            res = solve_mathopt(model, _solver_type(solver), params=_mip_params(tol, left, solver))
            solved &= res.termination.reason == mathopt.TerminationReason.OPTIMAL
            upper = max(upper, res.dual_bound())
            if res.has_primal_feasible_solution():
                vals = res.variable_values(x)
                worst.append(np.clip(np.array(vals), lo, hi))
                found = max(found, res.objective_value())
    return found, upper, worst, solved


#: Random inputs on which each master mask is checked before the verification MIP runs.
CUT_SAMPLES = 4096
#: Seconds granted to verify the last mask when the time limit stops the loop before that.
VERIFY_AT_STOP = 30.0
#: At most this many sampled inputs (mutually apart) join the master per round.
CUTS_PER_ROUND = 4


def _sample_cuts(diff: np.ndarray, S: np.ndarray, thresh: float, count: int, apart: float
                 ) -> list[np.ndarray]:
    """The worst sampled inputs whose error exceeds thresh, at least ``apart`` from each other."""
    err = np.max(np.abs(diff), axis=1)
    picked: list[np.ndarray] = []
    for i in np.argsort(-err):
        if err[i] <= thresh or len(picked) == count:
            break
        if all(np.max(np.abs(S[i] - p)) > apart for p in picked):
            picked.append(S[i])
    return picked


def _initial_inputs(d: int, lo: float, hi: float, seed: int) -> np.ndarray:
    """Box corners (d <= 6) or random points, and the centre."""
    if d <= 6:
        corners = np.array(np.meshgrid(*[[lo, hi]] * d, indexing="ij")).reshape(d, -1).T
    else:
        corners = np.random.default_rng(seed).uniform(lo, hi, size=(2 * d, d))
    return np.vstack([corners, np.full((1, d), (lo + hi) / 2)])


#: Mask engines: ``exact`` (CP-SAT on exactly rounded rows, exact sups; one hidden layer and
#: at most three inputs, or any depth and at most two), the MIPs ``scip`` and ``highs`` (floating point), ``auto``: exact
#: where it applies.
ENGINES = ("auto", "exact", "scip", "highs")


def optimal_mask(target: Network, random: Network, *, structured: bool = False,
                 inputs: object = None, box: tuple[float, float] = (-1.0, 1.0),
                 max_kept: int | None = None, eps: object = None, tol: float = 1e-6,
                 time_limit: float | None = None, max_iterations: int = 200,
                 seed: int = 0, engine: str = "auto", workers: int = 1,
                 warm: tuple[NetworkMask, ...] = (), budget: int | None = None,
                 progress: Callable[[float], None] | None = None) -> MaskResult:
    """The mask of ``random`` closest to ``target``: min over masks of max ||f - g_mask||_inf.

    Parameters
    ----------
    target, random : networks with the same input and output sizes.
    structured : one bit per hidden neuron (else one per edge and bias).
    inputs : a finite input set (m, d_0); None: the box [lo, hi]^d_0 by constraint generation.
    max_kept : at most this many bits kept (``budget`` is its deprecated old name).
    eps : instead of the smallest error, the fewest kept bits with error <= eps (where no mask
        reaches eps, the smallest error is returned with ``reached=False``; MIP engines only).
    tol : MIP engines: stop when the verified worst error of the best mask is within tol of
        the master's lower bound.
    engine : one of :data:`ENGINES`.
    workers : CP-SAT workers of the exact engine.
    warm : masks examined first by the exact engine (heuristics' answers).
    progress : exact engine over a box: called with the fraction lower / upper bound.

    Returns
    -------
    MaskResult. Exact engine: ``optimal`` with a certificate (exact sup = exact lower bound),
    ``feasible`` at the time limit with both exact bounds. MIP engines:
    ``optimal_within_tolerance`` when the floating-point bounds met, else ``feasible``.

    >>> t = Network.create([[[1.0]], [[1.0]]])
    >>> r = Network.create([[[1.0], [0.5]], [[1.0, 1.0]]])
    >>> res = optimal_mask(t, r, box=(0.0, 1.0))
    >>> res.status, res.error, res.kept_bits
    ('optimal', Fraction(0, 1), 2)
    >>> optimal_mask(t, r, box=(0.0, 1.0), engine="scip").status
    'optimal_within_tolerance'
    """
    if budget is not None:
        warnings.warn("optimal_mask(budget=) is now max_kept=; the old name goes in the next "
                      "release", DeprecationWarning, stacklevel=2)
        max_kept = budget if max_kept is None else max_kept
    budget = max_kept
    lo, hi = check_box(box)
    check_comparable(target, random, "the random network")
    if engine not in ENGINES:
        raise InputError(f"engine is {engine!r}: expected one of {', '.join(ENGINES)}")
    eps_f = None if eps is None else check_eps(eps)
    if not tol > 0:
        raise InputError(f"tol is {tol!r}: expected a positive number")
    X = None if inputs is None else _check_inputs(inputs, target.sizes[0])
    if engine == "auto":
        engine = "exact" if eps_f is None and exact_engine_applies(target, random) else "scip"
    if engine == "exact":
        if eps_f is not None:
            raise InputError("eps is given: the exact engine minimises the error; use "
                             "engine='scip' or 'highs' for the sparsest mask within eps")
        if X is None:
            return exact_optimal_mask(target, random, structured=structured, box=(lo, hi),
                                      budget=budget, time_limit=time_limit, workers=workers,
                                      warm=warm, progress=progress)
        return _exact_on_inputs(target, random, structured, X, budget, time_limit, workers)
    return _mip_optimal_mask(target, random, _MipSettings(
        structured, X, lo, hi, budget, eps_f, tol, time_limit, max_iterations, seed,
        engine))


def _check_inputs(inputs: object, d: int) -> np.ndarray:
    X = np.asarray(inputs, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != d or len(X) == 0 or not np.all(np.isfinite(X)):
        raise InputError(f"inputs has shape {X.shape}: expected finite (m, {d}) with m >= 1")
    return X


def _exact_on_inputs(target: Network, random: Network, structured: bool, X: np.ndarray,
                     budget: int | None, time_limit: float | None, workers: int) -> MaskResult:
    """The exact master over a finite input set, as a MaskResult with its certificate."""
    start = time.perf_counter()
    xs = tuple(tuple(Fraction(float(v)) for v in x) for x in X)
    err, mask, proven = exact_master_optimum(target, random, xs, structured=structured,
                                             budget=budget, time_limit=time_limit,
                                             workers=workers)
    net = random.masked(mask)
    arg = max(range(len(xs)), key=lambda i: max(
        abs(a - b) for a, b in zip(target.forward_exact(xs[i]), net.forward_exact(xs[i]),
                                   strict=True)))
    lower = err if proven else Fraction(0)
    if random.n_layers == 2:
        choices = MaskChoices.create(random, structured)
        n_bits, kept = choices.n_bits, choices.kept(choices.choice_of_mask(mask))
    else:
        n_bits = sum(random.sizes[1:-1]) if structured else random.n_params
        kept = mask_bits_of(random, structured, mask).bit_count()
    proof = (f"exact master over the {len(xs)} given inputs: CP-SAT on exactly rounded rows "
             "until the model capped below the best exact error is infeasible")
    return MaskResult(mask=mask, status="optimal" if proven else "feasible",
                      proof=proof if proven else "stopped at the time limit: " + proof,
                      error=err, upper=float(err), lower_bound=float(lower), tolerance=0.0,
                      structured=structured, bits=n_bits, kept_bits=kept,
                      iterations=1, inputs=X, worst_input=X[arg],
                      seconds=time.perf_counter() - start,
                      certificate=MaskCertificate(xs, err, lower, xs[arg]))


@dataclass(frozen=True)
class _MipSettings:
    structured: bool
    X: np.ndarray | None
    lo: float
    hi: float
    budget: int | None
    eps: Fraction | None
    tol: float
    time_limit: float | None
    max_iterations: int
    seed: int
    solver: str


class _MipMaster:
    """The master MIP over a growing input set (MathOpt; SCIP or HiGHS)."""

    def __init__(self, target: Network, random: Network, st: _MipSettings) -> None:
        from ortools.math_opt.python import mathopt

        from solvers.formulations.masks_mip import add_mask_variables

        self.target, self.random = target, random
        self.model = mathopt.Model(name="master")
        self.bits = add_mask_variables(self.model, random, structured=st.structured,
                                       budget=st.budget)
        self.all_bits = self.bits.all()
        self.t = self.model.add_variable(lb=0.0, name="t")
        if st.eps is None:
            self.model.minimize(self.t)
        else:
            self.model.minimize(mathopt.fast_sum(self.all_bits))
            self.model.add_linear_constraint(self.t <= float(st.eps))
        self.X = np.zeros((0, target.sizes[0]))

    def add_point(self, x: np.ndarray) -> None:
        from solvers.formulations.masks_mip import add_masked_network_at

        outs = add_masked_network_at(self.model, self.random, self.bits, x, name=f"x{len(self.X)}")
        fx = self.target.forward(x)
        for k, o in enumerate(outs):
            self.model.add_linear_constraint(self.t >= o - float(fx[k]))
            self.model.add_linear_constraint(self.t >= float(fx[k]) - o)
        self.X = np.vstack([self.X, x])


def _solver_type(name: str) -> Any:
    from ortools.math_opt.python import mathopt

    return mathopt.SolverType.HIGHS if name == "highs" else mathopt.SolverType.GSCIP


def _mip_optimal_mask(target: Network, random: Network, st: _MipSettings) -> MaskResult:
    """Constraint generation over floating-point MIPs (see :func:`optimal_mask`)."""
    from ortools.math_opt.python import mathopt

    start = time.perf_counter()
    d = target.sizes[0]
    master = _MipMaster(target, random, st)
    for x in (st.X if st.X is not None else _initial_inputs(d, st.lo, st.hi, st.seed)):
        master.add_point(x)
    S = np.random.default_rng(st.seed).uniform(st.lo, st.hi, size=(CUT_SAMPLES, d))
    fS = target.forward(S)
    deadline = None if st.time_limit is None else start + st.time_limit
    best: tuple[float, NetworkMask, int] | None = None  # (verified upper, mask, kept bits)
    lower, status, iterations = 0.0, "feasible", 0
    latest: tuple[NetworkMask, int] | None = None  # the last master mask, maybe unverified
    while iterations < st.max_iterations:
        iterations += 1
        left = None if deadline is None else deadline - time.perf_counter()
        res = solve_mathopt(master.model, _solver_type(st.solver),
                             params=_mip_params(st.tol, left, st.solver))
        reason = res.termination.reason
        if st.eps is not None and reason == mathopt.TerminationReason.INFEASIBLE:
            # no mask reaches eps even on X: fall back to the smallest error, flagged
            alt = _mip_optimal_mask(target, random, _replace_settings(
                st, eps=None, time_limit=None if deadline is None
                else deadline - time.perf_counter()))
            alt.eps, alt.reached = st.eps, False
            alt.seconds = time.perf_counter() - start
            return alt
        if not res.has_primal_feasible_solution():
            break
        proven_master = reason == mathopt.TerminationReason.OPTIMAL
        values = res.variable_values()
        lower = max(lower, res.dual_bound() if st.eps is None else 0.0)
        mask = master.bits.mask(random, values)
        kept_bits = sum(values[v] > 0.5 for v in master.all_bits)
        latest = (mask, kept_bits)
        net = random.masked(mask)
        if st.X is not None:
            best = (float(_exact_sup(target, net, master.X)[0]), mask, kept_bits)
            status = "optimal_within_tolerance" if proven_master else "feasible"
            break
        # cheap cuts first: sampled inputs where this mask beats the master's bound by > tol
        thresh = (lower if st.eps is None else float(st.eps)) + st.tol
        cuts = _sample_cuts(net.forward(S) - fS, S, thresh, CUTS_PER_ROUND,
                            (st.hi - st.lo) / 20)
        if cuts:
            for w in cuts:
                master.add_point(w)
            continue
        left = None if deadline is None else deadline - time.perf_counter()
        _, up, worst, solved = _verify(target, net, np.full(d, st.lo), np.full(d, st.hi),
                                       st.tol, left, st.solver)
        best, done = _mip_best(best, up, mask, kept_bits, lower, st)
        if done and solved and proven_master:
            status = "optimal_within_tolerance"
            break
        new = [w for w in worst if not any(np.allclose(w, x, atol=1e-12) for x in master.X)]
        if not new or (deadline is not None and time.perf_counter() >= deadline):
            break
        for w in new:
            master.add_point(w)
    return _mip_result(target, random, st, master, best, latest, lower, status, iterations,
                       start)


def _replace_settings(st: _MipSettings, **changes: Any) -> _MipSettings:
    from dataclasses import replace

    return replace(st, **changes)


def _mip_best(best: tuple[float, NetworkMask, int] | None, up: float, mask: NetworkMask,
              kept_bits: int, lower: float, st: _MipSettings
              ) -> tuple[tuple[float, NetworkMask, int], bool]:
    """The best verified mask so far, and whether the bounds met within tol."""
    if st.eps is None:
        if best is None or up < best[0]:
            best = (up, mask, kept_bits)
        return best, best[0] - lower <= st.tol
    # the master's mask is the sparsest on X: if it holds on the box, it is the answer
    return (up, mask, kept_bits), up <= float(st.eps) + st.tol


def _mip_result(target: Network, random: Network, st: _MipSettings, master: _MipMaster,
                best: tuple[float, NetworkMask, int] | None,
                latest: tuple[NetworkMask, int] | None, lower: float, status: str,
                iterations: int, start: float) -> MaskResult:
    """The MaskResult of the MIP loop: exact error at the inputs seen, proof text, status."""
    d = target.sizes[0]
    if best is None and latest is not None and st.X is None:
        # stopped between a master and its verification: bound the last mask anyway
        _, up, _, _ = _verify(target, random.masked(latest[0]), np.full(d, st.lo),
                              np.full(d, st.hi), st.tol, VERIFY_AT_STOP, st.solver)
        best = (up, *latest)
    if best is None:
        raise InputError("the master MIP found no mask within the time limit: raise time_limit")
    upper, mask, kept_bits = best
    exact, arg = _exact_sup(target, random.masked(mask), master.X)
    name = "HiGHS" if st.solver == "highs" else "SCIP"
    tol_text = (f"{name} via OR-Tools MathOpt, feasibility tolerance {MIP_FEASTOL:g}, absolute "
                f"gap {st.tol / 10:g}; bounds met within {st.tol:g}")
    n = len(master.X)
    if st.X is not None:
        proof = (f"master MIP over the {n} given inputs ({tol_text}); the error is exact "
                 "(re-evaluated in rationals)")
    elif st.eps is not None:
        proof = (f"constraint generation, {iterations} rounds: the master MIP proves no mask with "
                 f"fewer bits reaches eps on {n} inputs; the verification MIP bounds this "
                 f"mask's worst error by {upper:.12g} ({tol_text})")
    else:
        proof = (f"constraint generation, {iterations} rounds: master MIP lower bound "
                 f"{lower:.12g}, verification MIP upper bound {upper:.12g} ({tol_text}); the "
                 "error is exact at the worst input found")
    if lower > upper + st.tol:
        status = "feasible"
        proof = ("the floating-point MIPs disagree (master lower bound above the verified "
                 "upper bound): nothing proven; " + proof)
    elif status != "optimal_within_tolerance":
        proof = "stopped at the time or iteration limit: " + proof
    return MaskResult(mask=mask, status=status, proof=proof, error=exact, upper=upper,
                      lower_bound=lower, tolerance=st.tol, structured=st.structured,
                      bits=len(master.all_bits), kept_bits=kept_bits, iterations=iterations,
                      inputs=master.X, worst_input=master.X[arg],
                      seconds=time.perf_counter() - start, eps=st.eps,
                      reached=st.eps is None or upper <= float(st.eps) + st.tol)

# --- how much overparameterisation does an instance really need ------------------------------


def theorem_width(target: Network, eps: object) -> float:
    """``log(l d^2 / eps)`` (natural log): the theorems' width is C times this per sign half,
    with C unpublished (Pensia et al. 2020 state it up to a constant). l = target layers,
    d = its largest width.

    >>> round(theorem_width(Network.create([[[1.0, 1.0]]]), "0.01"), 3)
    5.991
    """
    eps_f = check_eps(eps, positive=True)
    layers, d = target.n_layers, max(target.sizes)
    return math.log(layers * d * d) - math.log(eps_f.numerator) + math.log(eps_f.denominator)


def required_width(target: Network, eps: object, *, method: str = "construction",
                   structured: bool = False, widths: object = range(1, 65), seed: int = 0,
                   dist: str = "uniform", box: tuple[float, float] = (-1.0, 1.0),
                   time_limit: float | None = None) -> dict[str, Any]:
    """The smallest width whose seeded construction network holds a mask within eps.

    ``method="construction"``: the subset-sum construction's rigorous bound is <= eps.
    ``method="optimal"``: the optimal mask of the same random network (structured or not) has
    worst error <= eps (MIP, within its tolerance). Returns every width tried with its error,
    the first width that reaches eps (or None) and the theorems' ``log(l d^2 / eps)``.

    >>> t = Network.create([[[0.5]]])
    >>> out = required_width(t, "0.05", widths=[1, 4, 8, 16])
    >>> out["width"] is not None and out["width"] <= 16
    True
    """
    from solvers.networks import construction_network

    if method not in ("construction", "optimal"):
        raise InputError(f"method is {method!r}: expected 'construction' or 'optimal'")
    eps_f = to_fraction(eps, "eps")
    rows, found = [], None
    for w in widths:  # type: ignore[attr-defined]
        rnd, layout = construction_network(target, w, seed=seed, dist=dist)
        if method == "construction":
            res = subset_sum_construction(target, rnd, layout, box=box)
            err, status = res.error_bound, res.status
        else:
            opt = optimal_mask(target, rnd, structured=structured, box=box,
                               time_limit=time_limit, seed=seed)
            err, status = opt.upper, opt.status
        rows.append({"width": int(w), "error": err, "status": status})
        if err <= float(eps_f):
            found = int(w)
            break
    return {"method": method, "structured": structured, "eps": fraction_str(eps_f),
            "width": found, "rows": rows, "theorem_log": theorem_width(target, eps_f)}


__getattr__ = moved_names(__name__, {
    "ConstructionResult": "solvers.construction.ConstructionResult",
    "subset_sum_construction": "solvers.construction.subset_sum_construction",
    "construction_error_bound": "solvers.construction.construction_error_bound",
    "sup_error_sampled": "solvers.construction.sup_error_sampled",
})
