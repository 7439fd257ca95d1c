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
import hashlib
import json
import multiprocessing
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Any

import numpy as np

from solvers.coverage import covering_radius, is_covered
from solvers.heuristics import greedy_instance, karmarkar_karp_instance
from solvers.instances import RSSInstance, read_data_file
from solvers.mrss import MRSSInstance, solve_mrss_instance
from solvers.networks import Network, NetworkMask
from solvers.numbers import (
    InputError,
    check_eps,
    check_time_limit,
    common_scale,
    fraction_str,
    scale_to_int,
    to_fraction,
    to_fractions,
)
from solvers.results import Solution
from solvers.rss import MITM_MAX_N, solve_instance

__all__ = [
    "KINDS",
    "EXIT_CODES",
    "Verdict",
    "check_conjecture",
    "check_no_subset_within",
    "check_not_covered",
    "subset_instance",
    "enumerated_cover",
    "MaskProblem",
    "check_no_mask_within",
    "sup_error_interval",
    "enumerate_masks",
    "register",
    "run",
]

KINDS = ("no-subset-within", "not-covered", "no-mask-within")
EXIT_CODES = {"confirmed": 0, "refuted": 1, "undecided": 3}
#: Coverage verdicts are cross-checked against all 2^n subset sums up to this n.
ENUMERATION_MAX_N = 18
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


def _child(conn: Any, fn: Callable[[], Any]) -> None:
    try:
        conn.send(("ok", fn()))
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which re-raises it
        conn.send(("error", exc))
    finally:
        conn.close()


def _within_time(fn: Callable[[], Any], time_limit: float | None, grace: float = 0.0
                 ) -> Any | None:
    """``fn()``, or None when it has not returned after ``time_limit`` (+ ``grace``) seconds.

    With a limit the call runs in a forked child process (the exact engines have no way to
    stop mid-sweep), which is killed when the time is up; exceptions are re-raised here.
    ``grace`` is for solvers that honour the limit themselves and return their best so far.
    """
    if time_limit is None:
        return fn()
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, fn), daemon=True)
    proc.start()
    send.close()
    try:
        if not recv.poll(time_limit + grace):
            return None
        kind, value = recv.recv()
    except EOFError:  # the child died without answering (out of memory, killed)
        raise RuntimeError("the exact solver's process ended without an answer") from None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        recv.close()
    if kind == "error":
        raise value
    return value


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
            return solve_mrss_instance(inst, time_limit=limit)

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


def subset_instance(data: dict[str, Any]) -> RSSInstance | MRSSInstance:
    """The 1-D or d-dimensional instance of a conjecture or result (vectors make it d-D)."""
    fields = {k: v for k, v in data.items() if k not in ("conjecture", "eps")}
    vals = data.get("values")
    if isinstance(vals, list) and any(isinstance(v, list) for v in vals):
        return MRSSInstance.from_json(fields)
    if fields.get("norm") not in (None, "inf", "1"):
        raise InputError(f"norm is {fields['norm']!r}: expected \"inf\" or \"1\"")
    fields.pop("norm", None)  # every norm is |.| in one dimension
    return RSSInstance.from_json(fields)


# --- coverage -----------------------------------------------------------------------------------


def enumerated_cover(values: Sequence[Fraction], eps: Fraction,
                      interval: tuple[Fraction, Fraction]) -> tuple[bool, Fraction]:
    """(covered, covering radius) from all 2^n subset sums, sorted, in exact integers.

    >>> enumerated_cover([Fraction(1), Fraction(2)], Fraction(1, 2), (Fraction(0), Fraction(4)))
    (False, Fraction(1, 1))
    """
    a, b = interval
    scale = common_scale([*values, eps, a, b])
    ints = scale_to_int(values, scale)
    sums = [0]
    for v in ints:
        sums += [s + v for s in sums]
    sums.sort()
    A, B = a * scale, b * scale
    # the radius is attained at an end of [A, B] or at the midpoint of a gap inside it
    radius = max(min(abs(A - s) for s in sums), min(abs(B - s) for s in sums))
    for lo, hi in zip(sums, sums[1:], strict=False):
        mid = Fraction(lo + hi, 2)
        if A <= mid <= B:
            radius = max(radius, mid - lo)
    return radius <= eps * scale, radius / scale


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

#: Exhaustive search over masks up to this many mask bits (2^bits masks enumerated, the
#: canonical ones evaluated exactly).
MASK_ENUMERATION_MAX_BITS = 16


def _exact_params(net: Network) -> list[tuple[list[list[Fraction]], list[Fraction]]]:
    """Every weight and bias as the exact rational of its double (a missing bias is 0)."""
    out = []
    for W, b in zip(net.weights, net.biases, strict=True):
        bias = [Fraction(0)] * W.shape[0] if b is None else [Fraction(float(v)) for v in b]
        out.append(([[Fraction(float(w)) for w in row] for row in W], bias))
    return out


def _forward(params: list, x: Sequence[Fraction]) -> tuple[list[list[Fraction]], list[Fraction]]:
    """Exact pre-activations of each hidden layer, and the output, at input x."""
    h, pre = list(x), []
    for L, (W, b) in enumerate(params):
        z = [sum((w * v for w, v in zip(row, h, strict=True) if w and v), bk)
             for row, bk in zip(W, b, strict=True)]
        if L == len(params) - 1:
            return pre, z
        pre.append(z)
        h = [max(v, Fraction(0)) for v in z]
    raise AssertionError("unreachable: a network has at least one layer")


def _breakpoints(params: list, lo: Fraction, hi: Fraction) -> list[Fraction]:
    """Sorted points of [lo, hi] between which a one-input ReLU network is linear.

    Layer by layer: between consecutive points found so far every earlier ReLU keeps its
    sign, so each pre-activation of the next layer is linear there and crosses 0 at most once,
    at a point computed exactly.
    """
    pts = [lo, hi]
    for L in range(len(params) - 1):
        zs = [_forward(params, [x])[0][L] for x in pts]
        new = set(pts)
        for (a, za), (b, zb) in zip(zip(pts, zs, strict=True), zip(pts[1:], zs[1:], strict=True),
                                    strict=False):
            for u, v in zip(za, zb, strict=True):
                if u * v < 0:
                    new.add(a + (b - a) * u / (u - v))
        pts = sorted(new)
    return pts


def sup_error_interval(target: Network, other: Network, box: Sequence[object] = (-1, 1)
                       ) -> tuple[Fraction, Fraction]:
    """Exact ``max_{x in [lo, hi]} ||f(x) - g(x)||_inf`` for one-input networks, and an arg max.

    Both networks are piecewise linear in x; f - g is linear between the union of their exact
    breakpoints (:func:`_breakpoints`), so the maximum is attained at one of them.

    >>> f = Network.create([[[1.0]], [[1.0]]])       # relu(x)
    >>> g = Network.create([[[1.0], [-1.0]], [[0.5, 0.5]]])  # |x| / 2
    >>> sup_error_interval(f, g)
    (Fraction(1, 2), Fraction(-1, 1))
    """
    lo, hi = (to_fraction(v, "box") for v in box)
    pf = _exact_params(target)
    return _sup_error(pf, _breakpoints(pf, lo, hi), _exact_params(other), lo, hi)


def _sup_error(pf: list, points_f: list[Fraction], pg: list, lo: Fraction, hi: Fraction
               ) -> tuple[Fraction, Fraction]:
    """:func:`sup_error_interval` on exact parameters, the target's breakpoints given."""
    best, arg = Fraction(-1), lo
    for x in sorted(set(points_f) | set(_breakpoints(pg, lo, hi))):
        e = max(abs(a - b) for a, b in zip(_forward(pf, [x])[1], _forward(pg, [x])[1],
                                           strict=True))
        if e > best:
            best, arg = e, x
    return best, arg


@dataclass(frozen=True, eq=False)
class MaskProblem:
    """Prune ``random`` to match ``target``: the error of a mask is max ||f(x) - g_mask(x)||_inf
    over the box [lo, hi]^d_0, or over a finite ``inputs`` set when one is given.

    >>> f = Network.create([[[1.0]], [[1.0]]])
    >>> g = Network.create([[[1.0], [-1.0]], [[1.0, 1.0]]])
    >>> prob = MaskProblem.create(f, g)
    >>> prob.n_bits, prob.exact_errors, prob.error(NetworkMask.full(g))
    (4, True, Fraction(1, 1))
    """

    target: Network
    random: Network
    structured: bool = False
    box: tuple[Fraction, Fraction] = (Fraction(-1), Fraction(1))
    inputs: tuple[tuple[Fraction, ...], ...] | None = None

    @classmethod
    def create(cls, target: Network, random: Network, *, structured: object = False,
               box: object = (-1, 1), inputs: object = None) -> MaskProblem:
        """Validate sizes, the box and the inputs once."""
        if random.sizes[0] != target.sizes[0] or random.sizes[-1] != target.sizes[-1]:
            raise InputError(f"the target maps {target.sizes[0]} -> {target.sizes[-1]} but the "
                             f"random network maps {random.sizes[0]} -> {random.sizes[-1]}: the "
                             "input and output sizes must agree")
        if not isinstance(structured, bool):
            raise InputError(f"structured is {structured!r}: expected true or false")
        if isinstance(box, (str, bytes)) or not isinstance(box, (Sequence, np.ndarray)) \
                or len(box) != 2:
            raise InputError(f"box is {box!r:.40}: expected two numbers lo < hi")
        lo, hi = to_fraction(box[0], "box[0]"), to_fraction(box[1], "box[1]")
        if not lo < hi:
            raise InputError(f"box is [{fraction_str(lo)}, {fraction_str(hi)}]: expected lo < hi")
        xs = None
        if inputs is not None:
            if isinstance(inputs, (str, bytes)) or not isinstance(inputs, (Sequence, np.ndarray)) \
                    or len(inputs) == 0:
                raise InputError(f"inputs is {inputs!r:.40}: expected a non-empty list of inputs")
            xs = tuple(tuple(to_fractions(x, f"inputs[{i}]")) for i, x in enumerate(inputs))
            if any(len(x) != target.sizes[0] for x in xs):
                raise InputError(f"inputs must hold vectors of d_0 = {target.sizes[0]} numbers")
        return cls(target, random, structured, (lo, hi), xs)

    @classmethod
    def from_json(cls, data: Any) -> MaskProblem:
        """From ``{"target": NETWORK, "random": NETWORK, "structured"?, "box"?, "inputs"?}``."""
        if not isinstance(data, dict):
            raise InputError(f"mask problem is a {type(data).__name__}: expected an object")
        for key in ("target", "random"):
            if key not in data:
                raise InputError(f"a mask problem needs '{key}': a network "
                                 '{"layers": [{"weight": [[...]], "bias": [...]}, ...]}')
        return cls.create(Network.from_json(data["target"]), Network.from_json(data["random"]),
                          structured=data.get("structured", False), box=data.get("box", (-1, 1)),
                          inputs=data.get("inputs"))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"target": self.target.to_json(), "random": self.random.to_json(),
                               "structured": self.structured,
                               "box": [fraction_str(x) for x in self.box]}
        if self.inputs is not None:
            out["inputs"] = [[fraction_str(v) for v in x] for x in self.inputs]
        return out

    def hash(self) -> str:
        """A stable short hash of the exact problem."""
        canon = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canon.encode()).hexdigest()[:16]

    @property
    def n_bits(self) -> int:
        """Mask bits: one per weight and bias, or (structured) one per hidden neuron."""
        return sum(self.random.sizes[1:-1]) if self.structured else self.random.n_params

    @property
    def exact_errors(self) -> bool:
        """Whether mask errors are exact: a finite input set, or networks of one input."""
        return self.inputs is not None or self.target.sizes[0] == 1

    def mask_from_json(self, data: Any) -> NetworkMask:
        """A mask of ``random`` read from JSON; a structured problem needs a neuron mask."""
        mask = NetworkMask.from_json(data)
        mask.check(self.random)
        if self.structured:
            bits, pos = 0, 0
            for L in range(self.random.n_layers - 1):
                used = mask.weights[L].any(axis=1) | mask.weights[L + 1].any(axis=0)
                bits |= sum(int(u) << (pos + i) for i, u in enumerate(used))
                pos += len(used)
            if not _same_mask(mask, _mask_of_bits(self.random, True, bits)):
                raise InputError("the mask is not a structured (whole-neuron) mask")
        return mask

    @cached_property
    def _exact(self) -> tuple[list, list, list[Fraction]]:
        """The exact parameters of both networks, and the target's breakpoints (one input)."""
        pf = _exact_params(self.target)
        points = _breakpoints(pf, *self.box) if self.target.sizes[0] == 1 else []
        return pf, _exact_params(self.random), points

    def error(self, mask: NetworkMask) -> Fraction | None:
        """The exact error of a mask, or None when it is not exact (several inputs, a box:
        the sup is a MIP in floating point)."""
        mask.check(self.random)
        pf, pr, points = self._exact
        zero = Fraction(0)
        pg = [([[w if keep else zero for w, keep in zip(row, mrow, strict=True)]
                for row, mrow in zip(W, mW, strict=True)],
               [v if mb is None or mb[k] else zero for k, v in enumerate(b)])
              for (W, b), mW, mb in zip(pr, mask.weights, mask.biases, strict=True)]
        if self.inputs is None:
            return _sup_error(pf, points, pg, *self.box)[0] if self.target.sizes[0] == 1 \
                else None
        return max(max(abs(a - b) for a, b in zip(_forward(pf, x)[1], _forward(pg, x)[1],
                                                  strict=True)) for x in self.inputs)


def _same_mask(a: NetworkMask, b: NetworkMask) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights, strict=True)) and all(
        (x is None and y is None) or np.array_equal(x, y)
        for x, y in zip(a.biases, b.biases, strict=True))


def _mask_of_bits(random: Network, structured: bool, bits: int) -> NetworkMask:
    """The mask whose bits (one per hidden neuron, or per weight then per bias) are ``bits``."""
    if structured:
        keep, pos = [], 0
        for L in range(random.n_layers - 1):
            width = random.sizes[L + 1]
            keep.append(np.array([bits >> (pos + i) & 1 for i in range(width)], dtype=bool))
            pos += width
        ws, bs = [], []
        for L, (W, b) in enumerate(zip(random.weights, random.biases, strict=True)):
            rows = keep[L] if L < len(keep) else np.ones(W.shape[0], dtype=bool)
            cols = keep[L - 1] if L > 0 else np.ones(W.shape[1], dtype=bool)
            ws.append(rows[:, None] & cols[None, :])
            bs.append(None if b is None else rows.copy())
        return NetworkMask(tuple(ws), tuple(bs))
    arrays, pos = [], 0
    for a in (*random.weights, *random.biases):
        if a is None:
            arrays.append(None)
            continue
        arrays.append(np.array([bits >> (pos + i) & 1 for i in range(a.size)],
                               dtype=bool).reshape(a.shape))
        pos += a.size
    L = random.n_layers
    return NetworkMask(tuple(arrays[:L]), tuple(arrays[L:]))


def _neuron_bits(random: Network) -> list[tuple[int, int]]:
    """Per hidden neuron, the bit masks (in the order of :func:`_mask_of_bits`) of its inputs
    (in-edges and bias) and of its out-edges."""
    offsets, pos = [], 0
    for a in (*random.weights, *random.biases):
        offsets.append(pos)
        pos += 0 if a is None else a.size
    L = random.n_layers
    out = []
    for layer in range(L - 1):
        rows, cols = random.weights[layer].shape
        nxt = random.weights[layer + 1].shape[0]
        for i in range(rows):
            ins = sum(1 << (offsets[layer] + i * cols + j) for j in range(cols))
            if random.biases[layer] is not None:
                ins |= 1 << (offsets[L + layer] + i)
            outs = sum(1 << (offsets[layer + 1] + k * rows + i) for k in range(nxt))
            out.append((ins, outs))
    return out


def _canonical(bits: int, neurons: list[tuple[int, int]]) -> bool:
    """Whether every hidden neuron keeps an out-edge exactly when it keeps an in-edge or its bias.

    Any other mask computes the same function as a canonical one with fewer bits (a neuron
    with no input outputs relu(0) = 0; one with no output is never read), so the search may
    skip it (the rule of :mod:`solvers.formulations.masks_mip`).
    """
    return all(bool(bits & ins) == bool(bits & outs) for ins, outs in neurons)


def enumerate_masks(prob: MaskProblem) -> tuple[Fraction, NetworkMask]:
    """The exact optimum over every mask, and the sparsest optimal mask.

    Every canonical mask (:func:`_canonical`; structured masks all are) is evaluated exactly.
    Needs exact errors (:attr:`MaskProblem.exact_errors`) and at most
    :data:`MASK_ENUMERATION_MAX_BITS` bits.

    >>> f = Network.create([[[1.0]], [[1.0]]])
    >>> g = Network.create([[[1.0], [-1.0]], [[1.0, 1.0]]])
    >>> err, mask = enumerate_masks(MaskProblem.create(f, g))
    >>> err, mask.kept
    (Fraction(0, 1), 2)
    """
    if not prob.exact_errors:
        raise InputError(f"the networks take {prob.target.sizes[0]} inputs: exact mask errors "
                         "need one input or a finite 'inputs' set")
    if prob.n_bits > MASK_ENUMERATION_MAX_BITS:
        raise InputError(f"{prob.n_bits} mask bits: exhaustive search is limited to "
                         f"{MASK_ENUMERATION_MAX_BITS}")
    best: tuple[Fraction, int, NetworkMask] | None = None
    neurons = [] if prob.structured else _neuron_bits(prob.random)
    for bits in range(1 << prob.n_bits):
        if not _canonical(bits, neurons):
            continue
        mask = _mask_of_bits(prob.random, prob.structured, bits)
        err = prob.error(mask)
        if best is None or (err, mask.kept) < best[:2]:
            best = (err, mask.kept, mask)
    return best[0], best[2]


def _mask_witness(mask: NetworkMask, err: Fraction | None, exact: bool) -> dict[str, Any]:
    return {"mask": mask.to_json(), "kept": mask.kept, "exact": exact,
            "error": None if err is None else fraction_str(err),
            "error_float": None if err is None else float(err)}


def check_no_mask_within(prob: MaskProblem, eps: object, *,
                         time_limit: float | None = None) -> Verdict:
    """Decide "no mask of ``prob.random`` is within eps of ``prob.target``".

    Exact when the mask errors are (one input, or a finite input set): up to
    :data:`MASK_ENUMERATION_MAX_BITS` bits every mask is evaluated exactly; beyond, the
    optimal-mask MIP (:func:`solvers.pruning.optimal_mask`) proposes a mask whose exact error
    refutes, and its lower bound confirms *within the MIP's tolerance* (``exact`` is then
    False in the JSON). With several inputs and a box, both directions rest on the MIPs.

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
        inst = subset_instance(data)
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
        print(f"{key:<12} {val}")


def run(args: argparse.Namespace) -> int:
    verdict = check_conjecture(read_data_file(args.conjecture), time_limit=args.time_limit)
    if args.json:
        print(json.dumps(verdict.to_json(), indent=2))
    else:
        print_verdict(verdict)
    return verdict.exit_code
