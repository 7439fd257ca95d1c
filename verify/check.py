"""`slth check`: is a conjectured counterexample really one? Confirmed, refuted or undecided.

A conjecture file (JSON or TOML) is one of:

- ``{"conjecture": "no-subset-within", "values": ..., "target": ..., "eps": ...,
  "cardinality"?: k, "max_cardinality"?: k, "norm"?: "inf" | "1"}``: no subset S has
  ``||target - sum_{i in S} values[i]|| <= eps`` (values a list of numbers, or of vectors);
- ``{"conjecture": "not-covered", "values": [...], "eps": ..., "interval"?: [a, b]}``: some z in
  [a, b] (default [-1, 1]) has no subset sum within eps;
- ``{"conjecture": "no-mask-within", "target": NETWORK, "random": NETWORK, "eps": ...,
  "structured"?: bool, "box"?: [lo, hi], "inputs"?: [[...], ...]}``: no mask of the random
  network is within eps of the target network over the box (default [-1, 1]) or over a finite
  ``"inputs"`` set (see :func:`check_no_mask_within`).

The verdict is ``refuted`` with a witness re-checked in exact arithmetic (a subset, or a covering
radius <= eps, or a mask), ``confirmed`` with its proof (the exact optimum and how it was proven,
or an uncovered point whose exact distance to every subset sum exceeds eps), or ``undecided``
when the time limit ran out, with the best bounds known. Exit codes: 0 confirmed, 1 refuted,
3 undecided, 2 bad input.

>>> v = check_conjecture({"conjecture": "no-subset-within", "values": [3, 5, 9],
...                       "target": 13, "eps": "1/2"})
>>> v.verdict, v.optimum, v.exit_code
('confirmed', Fraction(1, 1), 0)
>>> v = check_conjecture({"conjecture": "not-covered", "values": [1, 2, 4], "eps": "1/2",
...                       "interval": [0, 7]})
>>> v.verdict, v.witness["covering_radius"]
('refuted', '1/2')
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from solvers import mrss
from solvers.child import call_in_child
from solvers.coverage import ENUMERATION_MAX_N, covering_radius, enumerated_cover, is_covered
from solvers.deprecation import moved_names
from solvers.files import read_data_file
from solvers.heuristics import greedy_instance, karmarkar_karp_instance
from solvers.instances import MaskProblem, MRSSInstance, RSSInstance, subset_problem_from_json
from solvers.masks import MASK_ENUMERATION_MAX_BITS, enumerate_masks
from solvers.networks import NetworkMask
from solvers.numbers import (
    InputError,
    check_eps,
    check_time_limit,
    fraction_str,
    to_fraction,
    to_fractions,
)
from solvers.results import Solution
from solvers.rss import MITM_MAX_N, solve_instance
from solvers.torch_io import read_network_file
from verify.progress import elapsed
from verify.solve import check_solve_size
from verify.terminal import printable

__all__ = [
    "KINDS",
    "EXIT_CODES",
    "Verdict",
    "check_conjecture",
    "check_no_subset_within",
    "check_not_covered",
    "check_no_mask_within",
    "register",
    "run",
]

KINDS = ("no-subset-within", "not-covered", "no-mask-within")
EXIT_CODES = {"confirmed": 0, "refuted": 1, "undecided": 3}
# Seconds granted beyond the time limit to a solver that stops itself, before it is killed.
_GRACE = 2.0

_KEYS = {
    "no-subset-within": {"values", "target", "eps", "cardinality", "max_cardinality", "norm",
                         "name"},
    "not-covered": {"values", "eps", "interval", "name"},
    "no-mask-within": {"target", "random", "eps", "structured", "box", "inputs", "name"},
}


@dataclass
class Verdict:
    """The answer to one conjecture.

    Attributes
    ----------
    conjecture : its kind, one of :data:`KINDS`.
    verdict : ``confirmed`` | ``refuted`` | ``undecided``.
    eps : the tolerance of the conjecture (exact).
    proof : one line: how the verdict was established.
    witness : the refuting subset or mask (re-checked exactly), the uncovered point, or None.
    optimum : the exact optimum when it was proven, else None.
    lower_bound, upper_bound : the best proven bounds on the optimum (exact) when undecided.
    instance : the conjecture's data in exact JSON form, so that a verdict file stands alone.
    exact : False when the verdict rests on a floating-point MIP (within its tolerance).
    """

    conjecture: str
    verdict: str
    eps: Fraction
    proof: str
    witness: dict[str, Any] | None = None
    optimum: Fraction | None = None
    lower_bound: Fraction | None = None
    upper_bound: Fraction | None = None
    seconds: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)
    instance: dict[str, Any] | None = None
    exact: bool = True

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def to_json(self) -> dict[str, Any]:
        """Exact JSON form: numbers as "p/q" strings."""

        def opt(x: Fraction | None) -> str | None:
            return None if x is None else fraction_str(x)

        return {
            "conjecture": self.conjecture,
            "verdict": self.verdict,
            "exact": self.exact,
            "eps": fraction_str(self.eps),
            "proof": self.proof,
            "witness": self.witness,
            "optimum": opt(self.optimum),
            "optimum_float": None if self.optimum is None else float(self.optimum),
            "lower_bound": opt(self.lower_bound),
            "upper_bound": opt(self.upper_bound),
            "seconds": round(self.seconds, 6),
            "stats": self.stats,
            "instance": self.instance,
        }


# --- running a decision under a time limit ----------------------------------------------------


def _within_time(fn: Callable[[], Any], time_limit: float | None, grace: float = 0.0
                 ) -> Any | None:
    """``fn()``, or None when it has not returned after ``time_limit`` (+ ``grace``) seconds.

    With a limit the call runs in a child process (:func:`solvers.child.call_in_child`: the
    exact engines have no way to stop mid-sweep), killed when the time is up; exceptions are
    re-raised here. ``grace`` is for solvers that honour the limit themselves and return their
    best so far.
    """
    if time_limit is None:
        return fn()
    out = call_in_child(fn, time_limit, grace=grace)
    if out.status == "timeout":
        return None
    if out.status == "died":  # out of memory, killed
        raise RuntimeError("the exact solver's process ended without an answer")
    if out.status == "raised":
        raise out.value
    return out.value


# --- no subset within eps ---------------------------------------------------------------------


def _subset_witness(inst: RSSInstance | MRSSInstance, subset: Sequence[int]) -> dict[str, Any]:
    err = inst.error(subset)
    return {"subset": sorted(int(i) for i in subset), "error": fraction_str(err),
            "error_float": float(err)}


def _refuted(inst: RSSInstance | MRSSInstance, eps: Fraction, sol: Solution, start: float,
             how: str) -> Verdict | None:
    """A refutation by ``sol.subset`` when its exactly recomputed error is <= eps."""
    if sol.subset is None or not inst.admits(len(sol.subset)):
        return None
    err = inst.error(sol.subset)
    if err > eps:
        return None
    return Verdict("no-subset-within", "refuted", eps,
                   f"{how}; its error {fraction_str(err)} <= eps, recomputed exactly from the "
                   "subset", witness=_subset_witness(inst, sol.subset), upper_bound=err,
                   seconds=time.perf_counter() - start)


def check_no_subset_within(inst: RSSInstance | MRSSInstance, eps: object, *,
                           time_limit: float | None = None) -> Verdict:
    """Decide "no subset is within eps of the target" on an instance (1-D or d-dimensional).

    1-D instances first try the fast baselines (Karmarkar-Karp, greedy): a subset they find
    within eps refutes at once. Then the exact optimum is computed (meet-in-the-middle,
    Schroeppel-Shamir above n = 50, the d-dimensional sweep): ``confirmed`` when it exceeds
    eps, ``refuted`` otherwise, ``undecided`` when the time ran out.

    Examples
    --------
    >>> inst = RSSInstance.create([0.5, 0.25, 0.125], "0.4")
    >>> v = check_no_subset_within(inst, "1/32")
    >>> v.verdict, v.witness["subset"], v.witness["error"]
    ('refuted', [1, 2], '1/40')
    >>> check_no_subset_within(inst, "1/64").optimum
    Fraction(1, 40)
    """
    start = time.perf_counter()
    e = check_eps(eps)
    limit = check_time_limit(time_limit)
    check_solve_size(inst, "auto", limit)
    upper = None
    if isinstance(inst, RSSInstance):
        baselines = [greedy_instance]
        if inst.cardinality is None and inst.max_cardinality is None:
            baselines.insert(0, karmarkar_karp_instance)
        for base in baselines:
            sol = base(inst)
            found = _refuted(inst, e, sol, start, f"witness found by the {sol.method} baseline")
            if found is not None:
                return found
            upper = sol.error if upper is None else min(upper, sol.error)
        native = inst.n > MITM_MAX_N and inst.cardinality is None and inst.max_cardinality is None

        def solve() -> Solution:
            return solve_instance(inst, time_limit=limit if native else None)
    else:
        native = True

        def solve() -> Solution:
            return mrss.solve_instance(inst, time_limit=limit)

    sol = _within_time(solve, limit, _GRACE if native else 0.0)
    if sol is None:
        return Verdict("no-subset-within", "undecided", e,
                       f"time limit of {limit} s reached before the exact search finished",
                       upper_bound=upper, lower_bound=Fraction(0),
                       seconds=time.perf_counter() - start)
    found = _refuted(inst, e, sol, start, f"witness found by exact search ({sol.method})")
    if found is not None:
        found.optimum = sol.error if sol.status == "optimal" else None
        return found
    if sol.status == "infeasible":
        return Verdict("no-subset-within", "confirmed", e, f"no subset at all: {sol.proof}",
                       seconds=time.perf_counter() - start)
    if sol.status == "optimal":
        return Verdict("no-subset-within", "confirmed", e,
                       f"exact optimum {fraction_str(sol.error)} > eps: {sol.proof}",
                       witness=_subset_witness(inst, sol.subset), optimum=sol.error,
                       lower_bound=sol.error, upper_bound=sol.error,
                       seconds=time.perf_counter() - start)
    if sol.error is not None:
        upper = sol.error if upper is None else min(upper, sol.error)
    return Verdict("no-subset-within", "undecided", e, f"not proven: {sol.proof}",
                   upper_bound=upper, lower_bound=sol.lower_bound or Fraction(0),
                   seconds=time.perf_counter() - start)


# --- coverage -----------------------------------------------------------------------------------


def check_not_covered(values: Sequence[object], eps: object,
                      interval: Sequence[object] = (-1, 1)) -> Verdict:
    """Decide "some z in [a, b] has no subset sum within eps" exactly.

    :func:`solvers.coverage.is_covered` decides. An uncovered point confirms the conjecture
    once an independent exact solve at that point (meet-in-the-middle) finds its distance to the
    nearest subset sum > eps. Coverage refutes it; the witness is the exact covering radius
    (<= eps), the point attaining it and its nearest subsets, computed by a second method
    (:func:`solvers.coverage.covering_radius`). Up to n = 18 both are cross-checked against
    the sorted list of all 2^n subset sums.

    Examples
    --------
    >>> v = check_not_covered([1, 2, 4], "1/2", interval=[0, 8])
    >>> v.verdict, v.witness["point"], v.witness["distance"]
    ('confirmed', '8', '1')
    """
    start = time.perf_counter()
    cov = is_covered(values, eps, interval)
    vals = [to_fraction(v, f"values[{i}]") for i, v in enumerate(values)]
    stats: dict[str, Any] = {"coverage": cov.stats}
    enum = None
    if len(vals) <= ENUMERATION_MAX_N:
        enum = enumerated_cover(vals, cov.eps, cov.interval)
        if enum[0] != cov.covered:
            raise RuntimeError("coverage engine and enumeration disagree: please report this "
                               f"instance (engine covered={cov.covered})")
        stats["enumerated_radius"] = fraction_str(enum[1])
    if not cov.covered:
        z = cov.witness
        near = solve_instance(RSSInstance.create(vals, z))
        if near.status != "optimal" or near.error != cov.distance or near.error <= cov.eps:
            raise RuntimeError("the uncovered witness did not survive an independent exact "
                               f"solve at z = {z}: please report this instance")
        return Verdict(
            "not-covered", "confirmed", cov.eps,
            f"z = {fraction_str(z)} is at exact distance {fraction_str(near.error)} > eps from "
            f"every subset sum (interval-union recursion; re-checked: {near.proof})",
            witness={"point": fraction_str(z), "distance": fraction_str(near.error),
                     "distance_float": float(near.error), "nearest_subset": list(near.subset)},
            seconds=time.perf_counter() - start, stats=stats)
    rad = covering_radius(vals, cov.interval)
    if rad.radius > cov.eps or (enum is not None and enum[1] != rad.radius):
        raise RuntimeError(f"covering radius {rad.radius} contradicts coverage at eps "
                           f"{cov.eps}: please report this instance")
    checked = "; cross-checked on all 2^n subset sums" if enum is not None else ""
    return Verdict(
        "not-covered", "refuted", cov.eps,
        f"every z in [{fraction_str(cov.interval[0])}, {fraction_str(cov.interval[1])}] is "
        f"within eps: exact covering radius {fraction_str(rad.radius)} <= eps (interval-union "
        f"recursion, confirmed by the radius search){checked}",
        witness={"covering_radius": fraction_str(rad.radius),
                 "covering_radius_float": float(rad.radius),
                 "point": fraction_str(rad.point),
                 "below": None if rad.below is None else list(rad.below),
                 "above": None if rad.above is None else list(rad.above)},
        upper_bound=rad.radius, seconds=time.perf_counter() - start, stats=stats)


# --- masks: exact errors and exhaustive search --------------------------------------------------

def _mask_witness(mask: NetworkMask, err: Fraction | None, exact: bool) -> dict[str, Any]:
    return {"mask": mask.to_json(), "kept": mask.kept, "exact": exact,
            "error": None if err is None else fraction_str(err),
            "error_float": None if err is None else float(err)}


def check_no_mask_within(prob: MaskProblem, eps: object, *,
                         time_limit: float | None = None) -> Verdict:
    """Decide "no mask of ``prob.random`` is within eps of ``prob.target``".

    Exact when the mask errors are (one input, or a finite input set): up to
    :data:`MASK_ENUMERATION_MAX_BITS` bits every mask is evaluated exactly. Beyond,
    :func:`solvers.pruning.optimal_mask` decides: its exact engine (one hidden layer, at most
    3 inputs) carries a certificate whose exact bounds confirm or refute exactly; elsewhere the
    MIP's mask refutes by its exact error and its lower bound confirms *within the MIP's
    tolerance* (``exact`` is then False in the JSON).

    >>> from solvers.networks import Network
    >>> f = Network.create([[[1.0]], [[1.0]]])
    >>> g = Network.create([[[0.75], [-1.0]], [[1.0, 1.0]]])
    >>> v = check_no_mask_within(MaskProblem.create(f, g), "1/8")
    >>> v.verdict, v.optimum, v.exact
    ('confirmed', Fraction(1, 4), True)
    """
    start = time.perf_counter()
    e = check_eps(eps)
    limit = check_time_limit(time_limit)
    lo, hi = prob.box
    where = "the given inputs" if prob.inputs is not None else \
        f"[{fraction_str(lo)}, {fraction_str(hi)}]"
    if prob.exact_errors and prob.n_bits <= MASK_ENUMERATION_MAX_BITS:
        best = _within_time(lambda: enumerate_masks(prob), limit)
        if best is None:
            return Verdict("no-mask-within", "undecided", e,
                           f"time limit of {limit} s reached during the exhaustive search",
                           seconds=time.perf_counter() - start)
        err, mask = best
        how = (f"all 2^{prob.n_bits} masks searched, each canonical one evaluated exactly over "
               f"{where} (rationals; one-input networks at their exact breakpoints)")
        verdict = "refuted" if err <= e else "confirmed"
        return Verdict("no-mask-within", verdict, e,
                       f"{how}: optimum {fraction_str(err)} {'<=' if err <= e else '>'} eps",
                       witness=_mask_witness(mask, err, True), optimum=err, lower_bound=err,
                       upper_bound=err, seconds=time.perf_counter() - start)
    from solvers.pruning import optimal_mask

    X = None if prob.inputs is None else np.array([[float(v) for v in x] for x in prob.inputs])
    res = optimal_mask(prob.target, prob.random, structured=prob.structured, inputs=X,
                       box=(float(lo), float(hi)), time_limit=limit)
    err = prob.error(res.mask)
    if res.certificate is not None:  # the exact engine: both bounds exact rationals
        return _certified_mask_verdict(res, e, where, start)
    lower = Fraction(max(res.lower_bound - res.tolerance, 0.0))
    if err is not None and err <= e:
        return Verdict("no-mask-within", "refuted", e,
                       f"the optimal-mask MIP's mask has exact error {fraction_str(err)} <= eps "
                       f"over {where}", witness=_mask_witness(res.mask, err, True),
                       upper_bound=err, seconds=time.perf_counter() - start)
    if err is None and res.upper + res.tolerance <= e:
        return Verdict("no-mask-within", "refuted", e,
                       f"the verification MIP bounds the mask's error over {where} by "
                       f"{res.upper + res.tolerance:.12g} <= eps (floating point: {res.proof})",
                       witness=_mask_witness(res.mask, None, False),
                       upper_bound=Fraction(res.upper + res.tolerance),
                       seconds=time.perf_counter() - start, exact=False)
    upper = err if err is not None else Fraction(res.upper + res.tolerance)
    if res.status == "optimal_within_tolerance" and lower > e:
        return Verdict("no-mask-within", "confirmed", e,
                       f"MIP lower bound minus its tolerance, {float(lower):.12g}, exceeds eps "
                       f"({res.proof})", witness=_mask_witness(res.mask, err, err is not None),
                       lower_bound=lower, upper_bound=upper, seconds=time.perf_counter() - start,
                       exact=False)
    return Verdict("no-mask-within", "undecided", e, f"the MIP bounds straddle eps: {res.proof}",
                   lower_bound=lower, upper_bound=upper, seconds=time.perf_counter() - start,
                   exact=False)


def _certified_mask_verdict(res: Any, e: Fraction, where: str, start: float) -> Verdict:
    """The verdict from an exact mask certificate: the mask's exact sup (upper) and an exact
    lower bound on every mask (the exact master over the certificate's inputs)."""
    cert = res.certificate
    seconds = time.perf_counter() - start
    witness = _mask_witness(res.mask, cert.upper, True)
    if cert.upper <= e:
        return Verdict("no-mask-within", "refuted", e,
                       f"a mask with exact sup {fraction_str(cert.upper)} <= eps over {where} "
                       f"(exact engine: {res.proof})", witness=witness, upper_bound=cert.upper,
                       seconds=seconds)
    optimum = cert.upper if cert.lower == cert.upper else None
    if cert.lower > e:
        return Verdict("no-mask-within", "confirmed", e,
                       f"exact lower bound {fraction_str(cert.lower)} > eps over {where}: no "
                       f"mask does better on the certificate's inputs ({res.proof})",
                       witness=witness, optimum=optimum, lower_bound=cert.lower,
                       upper_bound=cert.upper, seconds=seconds)
    return Verdict("no-mask-within", "undecided", e,
                   f"the exact bounds straddle eps: {res.proof}", lower_bound=cert.lower,
                   upper_bound=cert.upper, seconds=seconds)


# --- dispatch -----------------------------------------------------------------------------------


def check_conjecture(data: Any, *, time_limit: float | None = None) -> Verdict:
    """Check a conjecture given in its JSON form (see the module docstring)."""
    if not isinstance(data, dict):
        raise InputError(f"conjecture file holds a {type(data).__name__}: expected an object "
                         f"with a 'conjecture' key ({', '.join(KINDS)})")
    kind = data.get("conjecture")
    if kind not in KINDS:
        raise InputError(f"conjecture is {kind!r}: expected one of {', '.join(KINDS)}")
    unknown = set(data) - _KEYS[kind] - {"conjecture"}
    if unknown:
        raise InputError(f"a {kind} conjecture has unknown keys {sorted(unknown)}: expected "
                         f"{sorted(_KEYS[kind])}")
    if "eps" not in data:
        raise InputError(f"a {kind} conjecture needs 'eps': the tolerance, a number")
    limit = check_time_limit(time_limit)
    if kind == "no-subset-within":
        inst = subset_problem_from_json(data)
        verdict = check_no_subset_within(inst, data["eps"], time_limit=limit)
        verdict.instance = inst.to_json()
        return verdict
    if kind == "not-covered":
        if "values" not in data:
            raise InputError("a not-covered conjecture needs 'values': a list of numbers")
        values, eps, interval = data["values"], data["eps"], data.get("interval", (-1, 1))
        if not isinstance(values, list):
            raise InputError(f"values is {values!r:.60}: expected a list of numbers")
        start = time.perf_counter()
        verdict = _within_time(lambda: check_not_covered(values, eps, interval), limit)
        if verdict is None:
            verdict = Verdict("not-covered", "undecided", to_fraction(eps, "eps"),
                              f"time limit of {limit} s reached before coverage was decided",
                              seconds=time.perf_counter() - start)
        verdict.instance = {"values": [fraction_str(v) for v in to_fractions(values, "values")],
                            "interval": [fraction_str(to_fraction(x, f"interval[{i}]"))
                                         for i, x in enumerate(interval)]}
        return verdict
    prob = MaskProblem.from_json(data)
    verdict = check_no_mask_within(prob, data["eps"], time_limit=limit)
    verdict.instance = prob.to_json()
    return verdict


# --- command line -------------------------------------------------------------------------------


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check", help="confirm or refute a conjectured counterexample, exactly",
        description="Check CONJECTURE (JSON or TOML): no-subset-within, not-covered or "
                    "no-mask-within. Exit 0 confirmed, 1 refuted, 3 undecided, 2 bad input.")
    p.add_argument("conjecture", help="conjecture file: {\"conjecture\": KIND, ...}")
    p.add_argument("--time-limit", type=float, default=None, metavar="S",
                   help="seconds; then the verdict is 'undecided' with the best bounds")
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")
    p.set_defaults(func=run)


def print_verdict(v: Verdict) -> None:
    """A short human table of a verdict."""
    rows = [("conjecture", f"{v.conjecture} (eps = {fraction_str(v.eps)})"),
            ("verdict", v.verdict.upper())]
    w = v.witness or {}
    if "subset" in w:
        rows.append(("witness" if v.verdict == "refuted" else "optimum at",
                     f"subset {w['subset']}  error {w['error']}  ({w['error_float']:.6g})"))
    if "mask" in w:
        err = "error not exact" if w["error"] is None else f"error {w['error']}  " \
                                                           f"({w['error_float']:.6g})"
        rows.append(("witness" if v.verdict == "refuted" else "best mask",
                     f"{w['kept']} parameters kept, {err}"))
    if not v.exact:
        rows.append(("exactness", "floating-point MIP: within its tolerance, not an exact proof"))
    if "distance" in w:
        rows.append(("uncovered z", f"{w['point']}  distance {w['distance']}  "
                                    f"({w['distance_float']:.6g})"))
    if "covering_radius" in w:
        rows.append(("radius", f"{w['covering_radius']}  ({w['covering_radius_float']:.6g}) "
                               f"at z = {w['point']}"))
    if v.verdict == "undecided":
        rows.append(("bounds", f"{v.lower_bound} <= optimum <= {v.upper_bound}"))
    rows.append(("proof", v.proof))
    for key, val in rows:
        print(printable(f"{key:<12} {val}"))


def network_files_inline(data: dict[str, Any], folder: Path) -> dict[str, Any]:
    """A ``no-mask-within`` conjecture whose ``target`` or ``random`` name a network file
    (``.json``, ``.npz``, ``.safetensors``, ``.onnx``; relative to the conjecture's folder) with
    the networks read in."""
    out = dict(data)
    for key in ("target", "random"):
        if isinstance(out.get(key), str):
            out[key] = read_network_file(folder / out[key]).to_json()
    return out


def run(args: argparse.Namespace) -> int:
    data = read_data_file(args.conjecture)
    if isinstance(data, dict) and data.get("conjecture") == "no-mask-within":
        data = network_files_inline(data, Path(args.conjecture).parent)
    with elapsed("  deciding", args.time_limit, enabled=not args.json):
        verdict = check_conjecture(data, time_limit=args.time_limit)
    if args.json:
        print(json.dumps(verdict.to_json(), indent=2))
    else:
        print_verdict(verdict)
    return verdict.exit_code


__getattr__ = moved_names(__name__, {
    "MaskProblem": "solvers.instances.MaskProblem",
    "subset_instance": "solvers.instances.subset_problem_from_json",
    "enumerate_masks": "solvers.masks.enumerate_masks",
    "MASK_ENUMERATION_MAX_BITS": "solvers.masks.MASK_ENUMERATION_MAX_BITS",
    "sup_error_interval": "solvers.piecewise_linear.sup_error_interval",
    "enumerated_cover": "solvers.coverage.enumerated_cover",
})
