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
arithmetic; a claimed ``optimal`` is re-derived by a *different* exact method than the one
named in the record (brute force, meet-in-the-middle, Schroeppel-Shamir, CP-SAT) when the
instance is small enough; a claimed lower bound must not exceed that optimum; verdict witnesses
are re-evaluated. Masks: the exact error is recomputed (one-input networks at their exact
breakpoints, or a finite input set); an optimal mask found by enumeration is compared with the
optimal-mask MIP (a contradiction is exact when the MIP's mask is exactly better, otherwise
within the MIP's tolerance), and a MIP's claim with an exhaustive search where it fits. Each check ends ``holds``, ``contradicted`` or ``not checked`` (with why).
Exit 0 when every check that ran holds, 1 when any is contradicted, 2 on unreadable input.

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
from solvers.coverage import ENUMERATION_MAX_N, enumerated_cover
from solvers.files import read_data_file
from solvers.formulations.rss_cpsat import solve_rss_cpsat
from solvers.instances import MaskProblem, MRSSInstance, RSSInstance, subset_problem_from_json
from solvers.masks import MASK_ENUMERATION_MAX_BITS, enumerate_masks
from solvers.numbers import InputError, fraction_str, parse_fraction_str
from solvers.results import STATUSES, Solution
from solvers.rss import brute_force, meet_in_the_middle, schroeppel_shamir, solve_instance
from verify.score import read_jsonl

__all__ = ["Check", "certify_record", "certify_records", "read_records", "register", "run"]

#: Largest n each independent 1-D method re-derives an optimum for.
BRUTE_MAX_N = 20
MITM_MAX_N = 44
BOUNDED_MAX_N = 48
CPSAT_MAX_N = 28
#: Seconds CP-SAT (or the optimal-mask MIP) may spend re-deriving one optimum.
CPSAT_TIME = 30.0
MRSS_BRUTE_MAX_N = 20

HOLDS, CONTRADICTED, NOT_CHECKED = "holds", "contradicted", "not checked"


@dataclass(frozen=True)
class Check:
    """One guarantee and whether it was re-established."""

    name: str
    outcome: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"check": self.name, "outcome": self.outcome, "detail": self.detail}


def _frac(data: dict[str, Any], key: str) -> Fraction | None:
    v = data.get(key)
    return None if v is None else parse_fraction_str(str(v), key)


# --- an independent optimum -------------------------------------------------------------------


def _rss_methods(inst: RSSInstance) -> list[tuple[str, Callable[[], Solution]]]:
    """The exact 1-D methods able to re-derive this optimum, cheapest first."""
    rule = inst.cardinality is not None or inst.max_cardinality is not None
    out: list[tuple[str, Callable[[], Solution]]] = []
    if inst.n <= BRUTE_MAX_N:
        out.append(("brute", lambda: brute_force(inst)))
    if inst.n <= MITM_MAX_N:
        out.append(("mitm", lambda: meet_in_the_middle(inst)))
    if not rule and inst.n <= BOUNDED_MAX_N:
        out.append(("bounded", lambda: schroeppel_shamir(inst)))
    if inst.n <= CPSAT_MAX_N:
        out.append(("cpsat", lambda: solve_rss_cpsat(inst, time_limit=CPSAT_TIME)))
    return out


def _mrss_methods(inst: MRSSInstance) -> list[tuple[str, Callable[[], Solution]]]:
    out: list[tuple[str, Callable[[], Solution]]] = []
    if inst.n <= MRSS_BRUTE_MAX_N:
        out.append(("brute", lambda: mrss.brute_force(inst)))
    out.append(("mitm", lambda: mrss.solve_instance(inst)))
    return out


def independent_optimum(inst: RSSInstance | MRSSInstance, claimed_method: str
                        ) -> tuple[Solution | None, str]:
    """The exact optimum by a method other than ``claimed_method``, or (None, why not).

    >>> sol, how = independent_optimum(RSSInstance.create([3, 5, 9], 13), "mitm")
    >>> sol.error, how
    (Fraction(1, 1), 'brute')
    """
    family = claimed_method.split("-")[0]  # "mitm-batch" is meet-in-the-middle too
    methods = _rss_methods(inst) if isinstance(inst, RSSInstance) else _mrss_methods(inst)
    reasons = []
    for name, solve in methods:
        if name == family:
            continue
        if name == "mitm" and isinstance(inst, MRSSInstance) and inst.n > 26:
            reasons.append(f"n = {inst.n} is beyond a quick d-dimensional re-solve")
            continue
        try:
            sol = solve()
        except InputError as exc:
            reasons.append(f"{name}: {exc}")
            continue
        if sol.status in ("optimal", "infeasible"):
            return sol, name
        reasons.append(f"{name} did not prove optimality ({sol.status})")
    why = "; ".join(reasons) or f"n = {inst.n} is beyond every independent method's limit"
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


def _check_solution(inst: RSSInstance | MRSSInstance, sol: dict[str, Any],
                    eps: Fraction | None = None) -> list[Check]:
    """The checks of one Solution JSON against its instance."""
    checks = []
    status = sol.get("status")
    if status not in STATUSES:
        return [Check("status", CONTRADICTED, f"status {status!r} is not one of {STATUSES}")]
    subset = sol.get("subset")
    claimed = _frac(sol, "error")
    lower = _frac(sol, "lower_bound")
    err = None
    if subset is None:
        checks.append(Check("subset", NOT_CHECKED, "no subset in the record"))
    else:
        try:
            if not isinstance(subset, list):
                raise InputError(f"subset is {subset!r:.40}: expected a list of indices")
            err = inst.error(subset)
        except InputError as exc:
            checks.append(Check("subset", CONTRADICTED, str(exc)))
        else:
            if inst.admits(len(subset)):
                checks.append(Check("subset", HOLDS, f"{len(subset)} valid indices, admissible"))
            else:
                checks.append(Check("subset", CONTRADICTED,
                                    f"{len(subset)} values break the instance's cardinality rule"))
    if err is not None:
        if claimed is None:
            checks.append(Check("error", NOT_CHECKED, "no error claimed"))
        elif claimed != err:
            checks.append(Check("error", CONTRADICTED,
                                f"claimed {fraction_str(claimed)}, the subset's exact error is "
                                f"{fraction_str(err)}"))
        elif sol.get("error_float") is not None and sol["error_float"] != float(err):
            checks.append(Check("error", CONTRADICTED, f"error_float {sol['error_float']} is not "
                                                       f"the double nearest {fraction_str(err)}"))
        else:
            checks.append(Check("error", HOLDS, f"{fraction_str(err)} recomputed exactly"))
    if lower is not None and err is not None:
        ok = lower <= err
        checks.append(Check("lower bound", HOLDS if ok else CONTRADICTED,
                            f"{fraction_str(lower)} {'<=' if ok else '>'} the subset's error"))
    if status in ("optimal", "optimal_within_tolerance", "infeasible") or lower:
        checks.append(_check_optimality(inst, status, sol, err, lower, eps))
    return checks


def _check_optimality(inst: RSSInstance | MRSSInstance, status: str, sol: dict[str, Any],
                      err: Fraction | None, lower: Fraction | None,
                      eps: Fraction | None) -> Check:
    name = f"status {status}"
    size = (sol.get("stats") or {}).get("size")
    if status == "optimal" and isinstance(size, int) and isinstance(inst, RSSInstance):
        # a sparsest-subset answer: optimal among the subsets of its size
        inst = RSSInstance.create(inst.values, inst.target, cardinality=size)
        name = f"status optimal at |S| = {size}"
    if status == "infeasible" and err is not None and eps is None:
        return Check(name, CONTRADICTED, "the record holds an admissible subset, so the instance "
                                         "is feasible (a sparsest-subset answer must record eps)")
    opt, how = independent_optimum(inst, str(sol.get("method", "")))
    if opt is None:
        return Check(name, NOT_CHECKED, f"no independent method: {how}")
    best = opt.error
    if opt.status == "infeasible":
        ok = status == "infeasible"
        return Check(name, HOLDS if ok else CONTRADICTED,
                     f"{how}: no subset admits the cardinality rule")
    if lower is not None and lower > best:
        return Check(name, CONTRADICTED, f"claimed lower bound {fraction_str(lower)} exceeds the "
                                         f"exact optimum {fraction_str(best)} ({how})")
    if status == "infeasible":
        ok = eps is not None and best > eps
        return Check(name, HOLDS if ok else CONTRADICTED,
                     f"{how}: exact optimum {fraction_str(best)} "
                     f"{'>' if ok else '<='} eps {fraction_str(eps) if eps is not None else '?'}")
    if err is None:
        return Check(name, NOT_CHECKED, "no subset to compare with the optimum")
    if err == best:
        return Check(name, HOLDS, f"{how} finds the same exact optimum {fraction_str(best)}")
    gap = f"the exact optimum {fraction_str(best)} ({how}) is below the subset's error " \
          f"{fraction_str(err)}"
    if status == "optimal_within_tolerance":
        return Check(name, NOT_CHECKED, f"{gap}; whether the gap is within the solver's "
                                        "tolerance is not re-checked")
    return Check(name, CONTRADICTED, gap)


# --- masks ---------------------------------------------------------------------------------------


def _independent_mask_optimum(prob: MaskProblem, claimed_method: str) -> tuple[Any, str]:
    """The optimum by a method other than ``claimed_method``: (exact Fraction, how) by
    enumeration, (MaskResult, how) by the optimal-mask MIP, or (None, why not)."""
    if claimed_method != "enumeration" and prob.exact_errors \
            and prob.n_bits <= MASK_ENUMERATION_MAX_BITS:
        return enumerate_masks(prob)[0], f"enumeration of all 2^{prob.n_bits} masks"
    if claimed_method == "mip":
        return None, "too many mask bits to enumerate, and the MIP is the method used"
    from solvers.pruning import optimal_mask

    X = None if prob.inputs is None else [[float(v) for v in x] for x in prob.inputs]
    lo, hi = (float(x) for x in prob.box)
    res = optimal_mask(prob.target, prob.random, structured=prob.structured, inputs=X,
                       box=(lo, hi), time_limit=CPSAT_TIME)
    return res, "the optimal-mask MIP"


def _check_mask_certificate(prob: MaskProblem, mask: Any, cert: Any, status: str) -> Check:
    """An exact mask certificate: both bounds re-derived (:func:`verify_mask_certificate`)."""
    from solvers.masks import MaskCertificate, verify_mask_certificate

    name = f"status {status}"
    try:
        c = MaskCertificate.from_json(cert)
        holds, why = verify_mask_certificate(prob, mask, c, time_limit=CPSAT_TIME)
    except InputError as exc:
        return Check(name, CONTRADICTED, f"certificate: {exc}")
    if holds and status == "optimal" and c.lower != c.upper:
        return Check(name, CONTRADICTED, "the certificate's bounds differ: not a proof")
    outcome = NOT_CHECKED if holds is None else HOLDS if holds else CONTRADICTED
    return Check(name, outcome, "certificate: " + why)


def _check_mask_solution(prob: MaskProblem, sol: dict[str, Any]) -> list[Check]:
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
        checks.append(Check("error", NOT_CHECKED, "the sup over a box of a several-input "
                                                  "network is not computed exactly"))
    elif claimed is not None and claimed != err:
        checks.append(Check("error", CONTRADICTED, f"claimed {fraction_str(claimed)}, the "
                                                   f"mask's exact error is {fraction_str(err)}"))
    else:
        checks.append(Check("error", HOLDS, f"{fraction_str(err)} recomputed exactly"))
    if status not in ("optimal", "optimal_within_tolerance") or err is None:
        return checks
    cert = sol.get("certificate", (sol.get("stats") or {}).get("certificate"))
    if cert is not None:
        return checks + [_check_mask_certificate(prob, mask, cert, status)]
    name = f"status {status}"
    best, how = _independent_mask_optimum(prob, str(sol.get("method", "")))
    if best is None:
        checks.append(Check(name, NOT_CHECKED, how))
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
            checks.append(Check(name, NOT_CHECKED, f"{how} stopped at its limit: {best.proof}"))
    return checks


# --- verdicts -------------------------------------------------------------------------------------


def _check_verdict(rec: dict[str, Any]) -> list[Check]:
    kind, verdict = rec.get("conjecture"), rec.get("verdict")
    eps = _frac(rec, "eps")
    data = rec.get("instance")
    if eps is None or not isinstance(data, dict):
        raise InputError("verdict record lacks 'eps' or 'instance': not `slth check --json` output")
    w = rec.get("witness") or {}
    if kind == "no-subset-within":
        inst = subset_problem_from_json(data)
        if verdict == "refuted":
            sol = {"status": "feasible", "subset": w.get("subset"), "error": w.get("error")}
            checks = _check_solution(inst, sol)
            err = _frac(w, "error")
            ok = err is not None and err <= eps
            checks.append(Check("witness within eps", HOLDS if ok else CONTRADICTED,
                                f"witness error {w.get('error')} {'<=' if ok else '>'} eps"))
            return checks
        if verdict == "confirmed":
            opt, how = independent_optimum(inst, "mitm")
            if opt is None:
                return [Check("optimum > eps", NOT_CHECKED, f"no independent method: {how}")]
            if opt.status == "infeasible":
                return [Check("optimum > eps", HOLDS, f"{how}: no admissible subset at all")]
            ok = opt.error > eps and _frac(rec, "optimum") in (None, opt.error)
            return [Check("optimum > eps", HOLDS if ok else CONTRADICTED,
                          f"{how}: exact optimum {fraction_str(opt.error)}, claimed "
                          f"{rec.get('optimum')}, eps {fraction_str(eps)}")]
        return [Check("undecided", NOT_CHECKED, "an undecided verdict claims nothing")]
    if kind == "not-covered":
        values = data.get("values")
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
        if verdict == "refuted":
            if len(values) > ENUMERATION_MAX_N:
                return [Check("covered", NOT_CHECKED, f"n = {len(values)} > {ENUMERATION_MAX_N}: "
                                                      "beyond enumeration of all subset sums")]
            vals = [parse_fraction_str(str(v), "values") for v in values]
            covered, radius = enumerated_cover(vals, eps, interval)
            ok = covered and _frac(w, "covering_radius") == radius
            return [Check("covered", HOLDS if ok else CONTRADICTED,
                          f"all 2^{len(vals)} subset sums: covering radius {fraction_str(radius)} "
                          f"(claimed {w.get('covering_radius')}), eps {fraction_str(eps)}")]
        return [Check("undecided", NOT_CHECKED, "an undecided verdict claims nothing")]
    if kind == "no-mask-within":
        prob = MaskProblem.from_json(data)
        if verdict == "refuted":
            checks = _check_mask_solution(prob, {"status": "feasible", "mask": w.get("mask"),
                                                 "error": w.get("error")})
            err = _frac(w, "error")
            if err is None:
                checks.append(Check("witness within eps", NOT_CHECKED,
                                    "the witness error rests on a floating-point MIP"))
            else:
                ok = err <= eps
                checks.append(Check("witness within eps", HOLDS if ok else CONTRADICTED,
                                    f"witness error {w.get('error')} {'<=' if ok else '>'} eps"))
            return checks
        if verdict == "confirmed":
            claimed = _frac(rec, "optimum")
            method = "enumeration" if rec.get("exact") else "mip"
            best, how = _independent_mask_optimum(prob, method)
            if isinstance(best, Fraction):
                ok = best > eps and claimed in (None, best)
                return [Check("optimum > eps", HOLDS if ok else CONTRADICTED,
                              f"{how}: exact optimum {fraction_str(best)}, "
                              f"eps {fraction_str(eps)}")]
            if best is None or best.status != "optimal_within_tolerance":
                return [Check("optimum > eps", NOT_CHECKED, how if best is None else best.proof)]
            mip_err = prob.error(best.mask)
            if mip_err is not None and mip_err <= eps:
                return [Check("optimum > eps", CONTRADICTED, f"{how} finds a mask of exact error "
                                                             f"{fraction_str(mip_err)} <= eps")]
            ok = best.lower_bound + best.tolerance > eps
            return [Check("optimum > eps", HOLDS if ok else CONTRADICTED,
                          f"{how}: lower bound {best.lower_bound:.12g} (tolerance "
                          f"{best.tolerance:g}) against eps {float(eps):.12g}")]
        return [Check("undecided", NOT_CHECKED, "an undecided verdict claims nothing")]
    raise InputError(f"conjecture is {kind!r}: not a verdict of `slth check`")


# --- records -------------------------------------------------------------------------------------


def certify_record(rec: Any) -> list[Check]:
    """Every check of one record (a solution, a truth record or a verdict)."""
    if not isinstance(rec, dict):
        raise InputError(f"record is a {type(rec).__name__}: expected an object")
    if "verdict" in rec:
        return _check_verdict(rec)
    if not isinstance(rec.get("instance"), dict):
        raise InputError("record has no 'instance': a result file must carry its instance")
    if "random" in rec["instance"]:
        prob = MaskProblem.from_json(rec["instance"])
        sol = rec.get("solution", rec)
        if not isinstance(sol, dict):
            raise InputError("record's 'solution' is not an object")
        checks = [_check_hash(prob, rec.get("instance_hash"), "instance_hash")]
        if "solution" in rec:
            optimum = _frac(rec, "optimum")
            same = optimum is not None and optimum == _frac(sol, "error")
            checks.append(Check("optimum", HOLDS if same else CONTRADICTED,
                                f"optimum {rec.get('optimum')} "
                                f"{'equals' if same else 'differs from'} the solution's error"))
        return checks + _check_mask_solution(prob, sol)
    inst = subset_problem_from_json(rec["instance"])
    eps = _frac(rec, "eps")
    if "solution" in rec:  # a ground-truth record
        sol = rec["solution"]
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
        if sol.get("status") != "optimal":
            checks.append(Check("status", CONTRADICTED, "a truth record's solution must be "
                                                        f"optimal, not {sol.get('status')}"))
        return checks + _check_solution(inst, sol, eps)
    return [_check_hash(inst, rec.get("instance_hash"), "instance_hash"),
            *_check_solution(inst, rec, eps)]


def read_records(path: str | Path) -> list[Any]:
    """The records of a JSON file (an object or a list) or a JSON Lines file."""
    try:
        data = read_data_file(path)
    except InputError:
        if Path(path).suffix.lower() == ".toml":
            raise
        return [rec for _, rec in read_jsonl(path, strict=True)]
    return data if isinstance(data, list) else [data]


def certify_records(records: list[Any]) -> list[list[Check]]:
    """The checks of each record; a malformed record gets one contradicted check."""
    out = []
    for rec in records:
        try:
            out.append(certify_record(rec))
        except (InputError, TypeError, ValueError, KeyError, AttributeError) as exc:
            out.append([Check("record", CONTRADICTED, f"unreadable: {exc}")])
    return out


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "certify", help="re-check a result file on its own: errors, optimality, witnesses",
        description="Re-check RESULT (JSON or JSON Lines: solutions, truth records, verdicts). "
                    "Exit 0 when every check that ran holds, 1 when any is contradicted.")
    p.add_argument("result", help="result file")
    p.add_argument("--all", action="store_true", help="print every record, not only the failing")
    p.add_argument("--json", action="store_true", help="print the checks as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    records = read_records(args.result)
    if not records:
        raise InputError(f"{args.result} holds no records")
    results = certify_records(records)
    bad = [i for i, checks in enumerate(results)
           if any(c.outcome == CONTRADICTED for c in checks)]
    counts = {o: sum(c.outcome == o for checks in results for c in checks)
              for o in (HOLDS, CONTRADICTED, NOT_CHECKED)}
    if args.json:
        print(json.dumps({"records": len(records), "contradicted_records": len(bad),
                          "checks": counts,
                          "results": [{"record": i + 1, "checks": [c.to_json() for c in checks]}
                                      for i, checks in enumerate(results)]}, indent=2))
    else:
        show = range(len(results)) if args.all or len(results) == 1 else bad
        for i in show:
            verdict = "CONTRADICTED" if i in bad else "HOLDS"
            print(f"record {i + 1}: {verdict}")
            for c in results[i]:
                print(f"  {c.name:<22} {c.outcome:<13} {c.detail}")
        print(f"{len(records)} record(s): {counts[HOLDS]} checks hold, {counts[CONTRADICTED]} "
              f"contradicted, {counts[NOT_CHECKED]} not checked; "
              f"{len(bad)} record(s) contradicted")
    return 1 if bad else 0
