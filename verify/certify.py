"""`slth certify`: re-check a result file on its own, and say which guarantees hold.

A result file is JSON (one record, or a list of them) or JSON Lines (many), each record carrying
its instance (a file stands on its own). Records understood:

- a solution: the ``slth solve --json`` output (a Solution plus ``instance``; a sparsest-subset
  answer should carry its ``eps``);
- a ground-truth record of ``slth truth`` (``instance``, ``optimum``, ``solution``), subset sum
  or network masks;
- a verdict of ``slth check --json`` (``conjecture``, ``verdict``, ``instance``).

Each guarantee is re-established from scratch, never read from the file: the instance hash is
recomputed; the subset is validated (indices, cardinality) and its error recomputed in exact
arithmetic; a claimed ``optimal`` (and a claimed lower bound) is re-derived by an exact method,
a *different* one from the method named in the record where one reaches (brute force,
meet-in-the-middle, the bounded-memory Schroeppel-Shamir engine, CP-SAT; for vectors the
d-dimensional engine, brute force, CP-SAT), else by the record's own engine run again (which
catches a tampered file, not a bug of that engine; the detail says so). Each re-derivation runs
in a child process under ``time_limit`` seconds. Verdict witnesses are re-evaluated. Masks: the
exact error is recomputed (one-input networks at their exact breakpoints, or a finite input
set); an optimal mask is re-derived by exhaustive search where it fits, else compared with the
optimal-mask MIP (a contradiction is exact when the MIP's mask is exactly better, otherwise
within the MIP's tolerance).

Each check ends ``holds``, ``contradicted``, ``not re-derived`` (a claim certify could not
re-establish: beyond every method's reach or time limit; it is never counted as holding) or
``not checked`` (nothing was claimed). A record is CONTRADICTED when any check is, NOT
RE-DERIVED when some claim was not re-derived, else HOLDS. Exit codes (:data:`EXIT_CODES`):
0 every claim re-derived and holds, 1 some claim contradicted, 3 nothing contradicted but some
claim not re-derived, 2 unreadable input.

>>> from solvers.rss import solve_rss
>>> sol = solve_rss([3, 5, 9, 14], 20)
>>> rec = {**sol.to_json(), "instance": {"values": [3, 5, 9, 14], "target": 20}}
>>> [(c.name, c.outcome) for c in certify_record(rec)]  # doctest: +NORMALIZE_WHITESPACE
[('instance hash', 'holds'), ('subset', 'holds'), ('error', 'holds'),
 ('lower bound', 'holds'), ('status optimal', 'holds')]
>>> rec["subset"] = [0, 3]  # tampered: 3 + 14 = 17 is farther from 20
>>> [c.outcome for c in certify_record(rec)][2]
'contradicted'
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from solvers import mrss
from solvers.child import call_in_child
from solvers.coverage import ENUMERATION_MAX_N, covering_radius, enumerated_cover
from solvers.files import read_data_file
from solvers.formulations.rss_cpsat import solve_rss_cpsat
from solvers.instances import MaskProblem, MRSSInstance, RSSInstance, subset_problem_from_json
from solvers.masks import MASK_ENUMERATION_MAX_BITS, enumerate_masks
from solvers.numbers import InputError, check_time_limit, fraction_str, parse_fraction_str
from solvers.results import STATUSES, Solution
from solvers.rss import (
    MITM_MAX_N,
    brute_force,
    meet_in_the_middle,
    schroeppel_shamir,
    solve_instance,
)
from verify.runtime import read_jsonl
from verify.terminal import printable

__all__ = ["Check", "certify_record", "certify_records", "independent_optimum", "read_records",
           "record_verdict", "register", "run", "EXIT_CODES", "TIME_LIMIT"]

#: certify's own budgets: brute force re-derives up to this n (2^20 subsets, about a second),
#: CP-SAT up to this n (beyond it CP-SAT rarely proves optimality within a minute).
BRUTE_QUICK_N = 20
CPSAT_QUICK_N = 28
#: Default seconds one re-derivation may take (``--time-limit``).
TIME_LIMIT = 60.0

HOLDS, CONTRADICTED, NOT_CHECKED = "holds", "contradicted", "not checked"
NOT_REDERIVED = "not re-derived"
#: A record's verdict -> the exit code it gives (the worst record decides).
EXIT_CODES = {"HOLDS": 0, "CONTRADICTED": 1, "NOT RE-DERIVED": 3}


@dataclass(frozen=True)
class Check:
    """One guarantee and whether it was re-established."""

    name: str
    outcome: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"check": self.name, "outcome": self.outcome, "detail": self.detail}


def record_verdict(checks: list[Check]) -> str:
    """CONTRADICTED if any check is, NOT RE-DERIVED if some claim was not re-derived, else
    HOLDS."""
    outcomes = {c.outcome for c in checks}
    if CONTRADICTED in outcomes:
        return "CONTRADICTED"
    return "NOT RE-DERIVED" if NOT_REDERIVED in outcomes else "HOLDS"


def _frac(data: dict[str, Any], key: str) -> Fraction | None:
    v = data.get(key)
    return None if v is None else parse_fraction_str(str(v), key)


def _within(solve: Callable[[], Any], time_limit: float) -> tuple[Any, str | None]:
    """``solve()`` in a child process under the time limit: (its answer, None) or (None, why)."""
    out = call_in_child(solve, time_limit, grace=2.0)
    if out.status == "returned":
        return out.value, None
    if out.status == "raised":
        if isinstance(out.value, InputError):
            return None, str(out.value)
        return None, f"failed ({type(out.value).__name__}: {out.value})"
    if out.status == "timeout":
        return None, f"stopped at the {time_limit:g} s time limit"
    return None, f"its process died (exit code {out.exitcode})"


# --- an independent optimum -------------------------------------------------------------------


def _rss_methods(inst: RSSInstance, time_limit: float
                 ) -> list[tuple[str, Callable[[], Solution]]]:
    """The exact 1-D methods able to re-derive this optimum, cheapest first."""
    rule = inst.cardinality is not None or inst.max_cardinality is not None
    out: list[tuple[str, Callable[[], Solution]]] = []
    if inst.n <= BRUTE_QUICK_N:
        out.append(("brute", lambda: brute_force(inst)))
    if inst.n <= MITM_MAX_N:
        out.append(("mitm", lambda: meet_in_the_middle(inst)))
    if not rule:
        out.append(("bounded", lambda: schroeppel_shamir(inst, time_limit=time_limit)))
    if inst.n <= CPSAT_QUICK_N:
        out.append(("cpsat", lambda: solve_rss_cpsat(inst, time_limit=time_limit)))
    return out


def _mrss_methods(inst: MRSSInstance, time_limit: float
                  ) -> list[tuple[str, Callable[[], Solution]]]:
    out: list[tuple[str, Callable[[], Solution]]] = [
        ("mitm", lambda: mrss.solve_instance(inst, time_limit=time_limit))]
    if inst.n <= min(BRUTE_QUICK_N, mrss.BRUTE_MAX_N):
        out.append(("brute", lambda: mrss.brute_force(inst)))
    if inst.n <= CPSAT_QUICK_N:
        out.append(("cpsat", lambda: mrss.solve_instance(inst, "cpsat", time_limit)))
    return out


def independent_optimum(inst: RSSInstance | MRSSInstance, claimed_method: str,
                        time_limit: float = TIME_LIMIT) -> tuple[Solution | None, str]:
    """The exact optimum re-derived, preferably by a method other than ``claimed_method``:
    (the Solution, how), or (None, why not). Each method runs in a child process under
    ``time_limit`` seconds; when no other method reaches, the claimed one runs again.

    >>> sol, how = independent_optimum(RSSInstance.create([3, 5, 9], 13), "mitm")
    >>> sol.error, how
    (Fraction(1, 1), 'brute')
    """
    family = claimed_method.split("-")[0]  # "mitm-batch" is meet-in-the-middle too
    methods = _rss_methods(inst, time_limit) if isinstance(inst, RSSInstance) else \
        _mrss_methods(inst, time_limit)
    others = [m for m in methods if m[0] != family]
    same = [m for m in methods if m[0] == family]
    reasons = []
    for name, solve in others + same:
        sol, why = _within(solve, time_limit)
        if sol is None:
            reasons.append(f"{name}: {why}")
            continue
        if sol.status in ("optimal", "infeasible"):
            if name == family:
                name += " run again, as no other exact method reached"
            return sol, name
        reasons.append(f"{name} did not prove optimality ({sol.status})")
    why = "; ".join(reasons) or f"n = {inst.n} is beyond every exact method's reach"
    return None, why


# --- solutions ----------------------------------------------------------------------------------


def _check_hash(inst: RSSInstance | MRSSInstance | MaskProblem, claimed: object, where: str
                ) -> Check:
    if claimed is None:
        return Check("instance hash", NOT_CHECKED, f"no {where} in the record")
    h = inst.hash()
    if h != claimed:
        return Check("instance hash", CONTRADICTED,
                     f"{where} {claimed} but the instance hashes to {h}: one of them was altered")
    return Check("instance hash", HOLDS, f"recomputed {h}")


def _check_subset(inst: RSSInstance | MRSSInstance, sol: dict[str, Any]
                  ) -> tuple[list[Check], Fraction | None]:
    """The subset's validity and its error against the claimed one; (checks, exact error)."""
    subset, claimed = sol.get("subset"), _frac(sol, "error")
    if subset is None:
        return [Check("subset", NOT_CHECKED, "no subset in the record")], None
    try:
        if not isinstance(subset, list):
            raise InputError(f"subset is {subset!r:.40}: expected a list of indices")
        err = inst.error(subset)
    except InputError as exc:
        return [Check("subset", CONTRADICTED, str(exc))], None
    if inst.admits(len(subset)):
        checks = [Check("subset", HOLDS, f"{len(subset)} valid indices, admissible")]
    else:
        checks = [Check("subset", CONTRADICTED,
                        f"{len(subset)} values break the instance's cardinality rule")]
    if claimed is None:
        checks.append(Check("error", NOT_CHECKED, "no error claimed"))
    elif claimed != err:
        checks.append(Check("error", CONTRADICTED, f"claimed {fraction_str(claimed)}, the "
                                                   f"subset's exact error is {fraction_str(err)}"))
    elif sol.get("error_float") is not None and sol["error_float"] != float(err):
        checks.append(Check("error", CONTRADICTED, f"error_float {sol['error_float']} is not "
                                                   f"the double nearest {fraction_str(err)}"))
    else:
        checks.append(Check("error", HOLDS, f"{fraction_str(err)} recomputed exactly"))
    return checks, err


def _check_solution(inst: RSSInstance | MRSSInstance, sol: dict[str, Any],
                    eps: Fraction | None = None, time_limit: float = TIME_LIMIT) -> list[Check]:
    """The checks of one Solution JSON against its instance."""
    status = sol.get("status")
    if status not in STATUSES:
        return [Check("status", CONTRADICTED, f"status {status!r} is not one of {STATUSES}")]
    checks, err = _check_subset(inst, sol)
    lower = _frac(sol, "lower_bound")
    if lower is not None and err is not None and lower > err:
        return [*checks, Check("lower bound", CONTRADICTED,
                               f"{fraction_str(lower)} > the subset's error")]
    if status not in ("optimal", "optimal_within_tolerance", "infeasible") and not lower:
        if lower is not None:
            checks.append(Check("lower bound", HOLDS, "0 bounds every error"))
        return checks
    name = f"status {status}"
    size = (sol.get("stats") or {}).get("size")
    if status == "optimal" and isinstance(size, int) and isinstance(inst, RSSInstance):
        # a sparsest-subset answer: optimal among the subsets of its size
        inst = RSSInstance.create(inst.values, inst.target, cardinality=size)
        name = f"status optimal at |S| = {size}"
    if status == "infeasible" and err is not None and eps is None:
        return [*checks, Check(name, CONTRADICTED, "the record holds an admissible subset, so "
                               "the instance is feasible (a sparsest-subset answer must record "
                               "eps)")]
    opt, how = independent_optimum(inst, str(sol.get("method", "")), time_limit)
    if lower is not None:
        checks.append(_check_lower(lower, opt, how))
    if status in ("optimal", "optimal_within_tolerance", "infeasible"):
        checks.append(_check_optimality(name, status, opt, how, err, eps))
    return checks


def _check_lower(lower: Fraction, opt: Solution | None, how: str) -> Check:
    if lower == 0:
        return Check("lower bound", HOLDS, "0 bounds every error")
    if opt is None:
        return Check("lower bound", NOT_REDERIVED, f"{fraction_str(lower)}: no exact method "
                                                   f"re-derived the optimum ({how})")
    if opt.status == "infeasible":
        return Check("lower bound", HOLDS, f"{how}: no subset admits the cardinality rule")
    ok = lower <= opt.error
    return Check("lower bound", HOLDS if ok else CONTRADICTED,
                 f"{fraction_str(lower)} {'<=' if ok else '>'} the exact optimum "
                 f"{fraction_str(opt.error)} ({how})")


def _check_optimality(name: str, status: str, opt: Solution | None, how: str,
                      err: Fraction | None, eps: Fraction | None) -> Check:
    if opt is None:
        return Check(name, NOT_REDERIVED, f"no exact method re-derived the optimum: {how}")
    best = opt.error
    if opt.status == "infeasible":
        ok = status == "infeasible"
        return Check(name, HOLDS if ok else CONTRADICTED,
                     f"{how}: no subset admits the cardinality rule")
    if status == "infeasible":
        ok = eps is not None and best > eps
        return Check(name, HOLDS if ok else CONTRADICTED,
                     f"{how}: exact optimum {fraction_str(best)} "
                     f"{'>' if ok else '<='} eps {fraction_str(eps) if eps is not None else '?'}")
    if err is None:
        return Check(name, NOT_REDERIVED, "no subset to compare with the optimum")
    if err == best:
        return Check(name, HOLDS, f"{how} finds the same exact optimum {fraction_str(best)}")
    gap = f"the exact optimum {fraction_str(best)} ({how}) is below the subset's error " \
          f"{fraction_str(err)}"
    if status == "optimal_within_tolerance":
        return Check(name, NOT_REDERIVED, f"{gap}; whether the gap is within the solver's "
                                          "tolerance is not re-checked")
    return Check(name, CONTRADICTED, gap)


# --- masks ---------------------------------------------------------------------------------------


def _independent_mask_optimum(prob: MaskProblem, claimed_method: str,
                              time_limit: float = TIME_LIMIT) -> tuple[Any, str]:
    """The optimum by a method other than ``claimed_method``: (exact Fraction, how) by
    enumeration, (MaskResult, how) by the optimal-mask MIP, or (None, why not)."""
    if prob.exact_errors and prob.n_bits <= MASK_ENUMERATION_MAX_BITS \
            and claimed_method != "enumeration":
        best, why = _within(lambda: enumerate_masks(prob)[0], time_limit)
        how = f"enumeration of all 2^{prob.n_bits} masks"
        return (best, how) if why is None else (None, f"{how}: {why}")
    if claimed_method == "mip":
        return None, "too many mask bits to enumerate, and the MIP is the method used"
    from solvers.pruning import optimal_mask

    X = None if prob.inputs is None else [[float(v) for v in x] for x in prob.inputs]
    lo, hi = (float(x) for x in prob.box)
    res, why = _within(lambda: optimal_mask(prob.target, prob.random, structured=prob.structured,
                                            inputs=X, box=(lo, hi), time_limit=time_limit),
                       time_limit)
    return (res, "the optimal-mask MIP") if why is None else (None, f"the optimal-mask MIP: {why}")


def _check_mask_certificate(prob: MaskProblem, mask: Any, cert: Any, status: str,
                            time_limit: float = TIME_LIMIT) -> Check:
    """An exact mask certificate: both bounds re-derived (:func:`verify_mask_certificate`)."""
    from solvers.masks import MaskCertificate, verify_mask_certificate

    name = f"status {status}"
    try:
        c = MaskCertificate.from_json(cert)
        holds, why = verify_mask_certificate(prob, mask, c, time_limit=time_limit)
    except InputError as exc:
        return Check(name, CONTRADICTED, f"certificate: {exc}")
    if holds and status == "optimal" and c.lower != c.upper:
        return Check(name, CONTRADICTED, "the certificate's bounds differ: not a proof")
    outcome = NOT_REDERIVED if holds is None else HOLDS if holds else CONTRADICTED
    return Check(name, outcome, "certificate: " + why)


def _check_mask_solution(prob: MaskProblem, sol: dict[str, Any],
                         time_limit: float = TIME_LIMIT) -> list[Check]:
    status = sol.get("status")
    if status not in STATUSES:
        return [Check("status", CONTRADICTED, f"status {status!r} is not one of {STATUSES}")]
    try:
        mask = prob.mask_from_json(sol.get("mask"))
    except InputError as exc:
        return [Check("mask", CONTRADICTED, str(exc))]
    checks = [Check("mask", HOLDS, f"{mask.kept} of {mask.total} parameters kept, shapes match")]
    err, claimed = prob.error(mask), _frac(sol, "error")
    if err is None:
        checks.append(Check("error", NOT_REDERIVED, "the sup over a box of a several-input "
                                                    "network is not computed exactly"))
    elif claimed is not None and claimed != err:
        checks.append(Check("error", CONTRADICTED, f"claimed {fraction_str(claimed)}, the "
                                                   f"mask's exact error is {fraction_str(err)}"))
    else:
        checks.append(Check("error", HOLDS, f"{fraction_str(err)} recomputed exactly"))
    if status not in ("optimal", "optimal_within_tolerance"):
        return checks
    cert = sol.get("certificate", (sol.get("stats") or {}).get("certificate"))
    if cert is not None:
        return checks + [_check_mask_certificate(prob, mask, cert, status, time_limit)]
    name = f"status {status}"
    if err is None:
        return [*checks, Check(name, NOT_REDERIVED, "the mask's error is not exact")]
    best, how = _independent_mask_optimum(prob, str(sol.get("method", "")), time_limit)
    if best is None:
        checks.append(Check(name, NOT_REDERIVED, how))
    elif isinstance(best, Fraction):
        ok = best == err
        checks.append(Check(name, HOLDS if ok else CONTRADICTED,
                            f"{how}: exact optimum {fraction_str(best)}"))
    else:  # the MIP: its mask's exact error, and its lower bound within its tolerance
        mip_err = prob.error(best.mask)
        if mip_err is not None and mip_err < err:
            checks.append(Check(name, CONTRADICTED,
                                f"{how} finds a mask of exact error {fraction_str(mip_err)} < "
                                f"{fraction_str(err)}"))
        elif best.status == "optimal_within_tolerance" and best.lower_bound - best.tolerance > err:
            checks.append(Check(name, CONTRADICTED,
                                f"{how}: lower bound {best.lower_bound:.12g} exceeds the error "
                                f"(tolerance {best.tolerance:g})"))
        elif best.status == "optimal_within_tolerance":
            checks.append(Check(name, HOLDS, f"{how} agrees within its tolerance "
                                             f"{best.tolerance:g} (floating point)"))
        else:
            checks.append(Check(name, NOT_REDERIVED, f"{how} stopped at its limit: {best.proof}"))
    return checks


# --- verdicts -------------------------------------------------------------------------------------


def _check_verdict(rec: dict[str, Any], time_limit: float = TIME_LIMIT) -> list[Check]:
    kind, verdict = rec.get("conjecture"), rec.get("verdict")
    eps = _frac(rec, "eps")
    data = rec.get("instance")
    if eps is None or not isinstance(data, dict):
        raise InputError("verdict record lacks 'eps' or 'instance': not `slth check --json` output")
    if verdict not in ("confirmed", "refuted"):
        return [Check("undecided", NOT_CHECKED, "an undecided verdict claims nothing")]
    witness = rec.get("witness") or {}
    if kind == "no-subset-within":
        return _check_subset_verdict(rec, verdict, eps, subset_problem_from_json(data), witness,
                                     time_limit)
    if kind == "not-covered":
        return _check_cover_verdict(verdict, eps, data, witness, time_limit)
    if kind == "no-mask-within":
        return _check_mask_verdict(rec, verdict, eps, MaskProblem.from_json(data), witness,
                                   time_limit)
    raise InputError(f"conjecture is {kind!r}: not a verdict of `slth check`")


def _check_subset_verdict(rec: dict[str, Any], verdict: str, eps: Fraction,
                          inst: RSSInstance | MRSSInstance, w: dict[str, Any],
                          time_limit: float) -> list[Check]:
    if verdict == "refuted":
        sol = {"status": "feasible", "subset": w.get("subset"), "error": w.get("error")}
        checks = _check_solution(inst, sol, time_limit=time_limit)
        err = _frac(w, "error")
        ok = err is not None and err <= eps
        checks.append(Check("witness within eps", HOLDS if ok else CONTRADICTED,
                            f"witness error {w.get('error')} {'<=' if ok else '>'} eps"))
        return checks
    opt, how = independent_optimum(inst, "mitm", time_limit)
    if opt is None:
        return [Check("optimum > eps", NOT_REDERIVED, f"no exact method re-derived it: {how}")]
    if opt.status == "infeasible":
        return [Check("optimum > eps", HOLDS, f"{how}: no admissible subset at all")]
    ok = opt.error > eps and _frac(rec, "optimum") in (None, opt.error)
    return [Check("optimum > eps", HOLDS if ok else CONTRADICTED,
                  f"{how}: exact optimum {fraction_str(opt.error)}, claimed "
                  f"{rec.get('optimum')}, eps {fraction_str(eps)}")]


def _check_cover_verdict(verdict: str, eps: Fraction, data: dict[str, Any], w: dict[str, Any],
                         time_limit: float) -> list[Check]:
    values = data.get("values")
    if not isinstance(values, list):
        raise InputError("a not-covered verdict's instance has no list of values")
    interval = tuple(parse_fraction_str(str(x), "interval")
                     for x in data.get("interval", (-1, 1)))
    if verdict == "confirmed":
        z = _frac(w, "point")
        near = solve_instance(RSSInstance.create(values, z))
        ok = near.error > eps and _frac(w, "distance") == near.error
        return [Check("uncovered point", HOLDS if ok else CONTRADICTED,
                      f"exact distance from z = {w.get('point')} to the subset sums is "
                      f"{fraction_str(near.error)} (claimed {w.get('distance')}), eps "
                      f"{fraction_str(eps)}")]
    vals = [parse_fraction_str(str(v), "values") for v in values]
    if len(vals) <= ENUMERATION_MAX_N:
        covered, radius = enumerated_cover(vals, eps, interval)
        how = f"all 2^{len(vals)} subset sums"
    else:
        res, why = _within(lambda: covering_radius(vals, interval), time_limit)
        if res is None:
            return [Check("covered", NOT_REDERIVED, f"the exact covering radius: {why}")]
        radius, how = res.radius, "the exact covering radius (interval-union recursion)"
        covered = radius <= eps
    ok = covered and _frac(w, "covering_radius") == radius
    return [Check("covered", HOLDS if ok else CONTRADICTED,
                  f"{how}: covering radius {fraction_str(radius)} "
                  f"(claimed {w.get('covering_radius')}), eps {fraction_str(eps)}")]


def _check_mask_verdict(rec: dict[str, Any], verdict: str, eps: Fraction, prob: MaskProblem,
                        w: dict[str, Any], time_limit: float) -> list[Check]:
    if verdict == "refuted":
        checks = _check_mask_solution(prob, {"status": "feasible", "mask": w.get("mask"),
                                             "error": w.get("error")}, time_limit)
        err = _frac(w, "error")
        if err is None:
            checks.append(Check("witness within eps", NOT_REDERIVED,
                                "the witness error rests on a floating-point MIP"))
        else:
            ok = err <= eps
            checks.append(Check("witness within eps", HOLDS if ok else CONTRADICTED,
                                f"witness error {w.get('error')} {'<=' if ok else '>'} eps"))
        return checks
    claimed = _frac(rec, "optimum")
    method = "enumeration" if rec.get("exact") else "mip"
    best, how = _independent_mask_optimum(prob, method, time_limit)
    if isinstance(best, Fraction):
        ok = best > eps and claimed in (None, best)
        return [Check("optimum > eps", HOLDS if ok else CONTRADICTED,
                      f"{how}: exact optimum {fraction_str(best)}, eps {fraction_str(eps)}")]
    if best is None or best.status != "optimal_within_tolerance":
        return [Check("optimum > eps", NOT_REDERIVED, how if best is None else best.proof)]
    mip_err = prob.error(best.mask)
    if mip_err is not None and mip_err <= eps:
        return [Check("optimum > eps", CONTRADICTED, f"{how} finds a mask of exact error "
                                                     f"{fraction_str(mip_err)} <= eps")]
    ok = best.lower_bound + best.tolerance > eps
    return [Check("optimum > eps", HOLDS if ok else CONTRADICTED,
                  f"{how}: lower bound {best.lower_bound:.12g} (tolerance "
                  f"{best.tolerance:g}) against eps {float(eps):.12g}")]


# --- records -------------------------------------------------------------------------------------


def _check_truth(rec: dict[str, Any], inst: Any, sol: Any) -> list[Check]:
    """The checks a ground-truth record adds: its hash, and its optimum is its solution's."""
    if not isinstance(sol, dict):
        raise InputError("truth record's 'solution' is not an object")
    checks = [_check_hash(inst, rec.get("instance_hash"), "instance_hash")]
    if sol.get("instance_hash") not in (None, rec.get("instance_hash")):
        checks.append(Check("instance hash", CONTRADICTED,
                            "the solution's instance_hash differs from the record's"))
    optimum = _frac(rec, "optimum")
    same = optimum is not None and optimum == _frac(sol, "error")
    checks.append(Check("optimum", HOLDS if same else CONTRADICTED,
                        f"optimum {rec.get('optimum')} "
                        f"{'equals' if same else 'differs from'} the solution's error"))
    return checks


def certify_record(rec: Any, time_limit: float = TIME_LIMIT) -> list[Check]:
    """Every check of one record (a solution, a truth record or a verdict); each re-derivation
    may take ``time_limit`` seconds."""
    if not isinstance(rec, dict):
        raise InputError(f"record is a {type(rec).__name__}: expected an object")
    if "verdict" in rec:
        return _check_verdict(rec, time_limit)
    if not isinstance(rec.get("instance"), dict):
        raise InputError("record has no 'instance': a result file must carry its instance")
    if "random" in rec["instance"]:
        prob = MaskProblem.from_json(rec["instance"])
        sol = rec.get("solution", rec)
        if not isinstance(sol, dict):
            raise InputError("record's 'solution' is not an object")
        checks = _check_truth(rec, prob, sol) if "solution" in rec else \
            [_check_hash(prob, rec.get("instance_hash"), "instance_hash")]
        return checks + _check_mask_solution(prob, sol, time_limit)
    inst = subset_problem_from_json(rec["instance"])
    eps = _frac(rec, "eps")
    if "solution" in rec:  # a ground-truth record
        sol = rec["solution"]
        checks = _check_truth(rec, inst, sol)
        if sol.get("status") != "optimal":
            checks.append(Check("status", CONTRADICTED, "a truth record's solution must be "
                                                        f"optimal, not {sol.get('status')}"))
        return checks + _check_solution(inst, sol, eps, time_limit)
    return [_check_hash(inst, rec.get("instance_hash"), "instance_hash"),
            *_check_solution(inst, rec, eps, time_limit)]


def read_records(path: str | Path) -> list[Any]:
    """The records of a JSON file (an object or a list) or a JSON Lines file."""
    try:
        data = read_data_file(path)
    except InputError:
        if Path(path).suffix.lower() == ".toml":
            raise
        return [rec for _, rec in read_jsonl(path, strict=True)]
    return data if isinstance(data, list) else [data]


def certify_records(records: list[Any], time_limit: float = TIME_LIMIT) -> list[list[Check]]:
    """The checks of each record; a malformed record gets one contradicted check."""
    out = []
    for rec in records:
        try:
            out.append(certify_record(rec, time_limit))
        except (InputError, TypeError, ValueError, KeyError, AttributeError) as exc:
            out.append([Check("record", CONTRADICTED, f"unreadable: {exc}")])
    return out


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "certify", help="re-check a result file on its own: errors, optimality, witnesses",
        description="Re-check RESULT (JSON or JSON Lines: solutions, truth records, verdicts). "
                    "Exit 0 when every claim is re-derived and holds, 1 when any is "
                    "contradicted, 3 when none is contradicted but some could not be re-derived.")
    p.add_argument("result", help="result file")
    p.add_argument("--time-limit", type=float, default=TIME_LIMIT, metavar="S",
                   help=f"seconds each re-derivation of an optimum may take (default "
                        f"{TIME_LIMIT:g}); beyond it the claim is 'not re-derived'")
    p.add_argument("--all", action="store_true", help="print every record, not only those that "
                                                      "do not hold")
    p.add_argument("--json", action="store_true", help="print the checks as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    limit = check_time_limit(args.time_limit)
    if limit is None or limit <= 0:
        raise InputError(f"--time-limit is {args.time_limit}: expected seconds > 0")
    records = read_records(args.result)
    if not records:
        raise InputError(f"{args.result} holds no records")
    results = certify_records(records, limit)
    verdicts = [record_verdict(checks) for checks in results]
    counts = {o: sum(c.outcome == o for checks in results for c in checks)
              for o in (HOLDS, CONTRADICTED, NOT_REDERIVED, NOT_CHECKED)}
    per_verdict = {v: verdicts.count(v) for v in EXIT_CODES}
    if args.json:
        print(json.dumps({"records": len(records), "verdicts": per_verdict, "checks": counts,
                          "results": [{"record": i + 1, "verdict": v,
                                       "checks": [c.to_json() for c in checks]}
                                      for i, (v, checks) in enumerate(zip(verdicts, results,
                                                                          strict=True))]},
                         indent=2))
    else:
        for i, checks in enumerate(results):
            if args.all or len(results) == 1 or verdicts[i] != "HOLDS":
                print(f"record {i + 1}: {verdicts[i]}")
                for c in checks:
                    print(printable(f"  {c.name:<22} {c.outcome:<15} {c.detail}"))
        print(f"{len(records)} record(s): {per_verdict['HOLDS']} hold, "
              f"{per_verdict['CONTRADICTED']} contradicted, {per_verdict['NOT RE-DERIVED']} not "
              f"re-derived; checks: {counts[HOLDS]} hold, {counts[CONTRADICTED]} contradicted, "
              f"{counts[NOT_REDERIVED]} not re-derived, {counts[NOT_CHECKED]} not checked")
    return max((EXIT_CODES[v] for v in verdicts), key=lambda code: (code == 1, code))
