"""Error brackets: how far is one network from another over a box, from both sides.

``attained <= sup_{x in box} ||f(x) - g(x)||_inf <= certified``: the attained side is the exact
rational error at an input found by :func:`solvers.attack.error_attack`; the certified side is
the outward-rounded linear bound of :func:`solvers.linear_bounds.error_upper_bound`, refined,
for networks with few inputs, by branch and bound on the input box (split the sub-box whose
bound is largest, until the bound meets the attained error or the time runs out), and, for
one-hidden-layer networks with many inputs, by the spectral bound of
:func:`solvers.spectral_bounds.spectral_error_bound` (per output, the smaller bound counts).

>>> from solvers.networks import Network
>>> f = Network.create([[[1.0], [-1.0]], [[1.0, 1.0]]])        # |x|
>>> g = Network.create([[[1.0], [-1.0]], [[1.0, 0.5]]])        # relu(x) + relu(-x) / 2
>>> br = error_bracket(f, g, (-1, 1), time_limit=5)
>>> br.attained, br.certified >= 0.5, br.ratio < 1.001
(Fraction(1, 2), True, True)
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from solvers.attack import AttackResult, ExactEvaluator, error_attack, exact_error
from solvers.linear_bounds import (
    SplitLayer,
    align,
    error_upper_bound,
    forward_split,
    split_layers,
)
from solvers.networks import Network
from solvers.numbers import InputError, check_time_limit, fraction_str, to_fraction
from solvers.spectral_bounds import SpectralBound, spectral_error_bound

__all__ = ["ErrorBracket", "error_bracket", "box_doubles", "memory_estimate",
           "BRANCH_MAX_INPUTS", "MAX_MEMORY", "BLAS_THREADS"]

#: Branch and bound on the input box by default up to this many inputs (beyond, a split
#: halves one of many directions and barely moves the bound).
BRANCH_MAX_INPUTS = 8
#: Share of the time limit for the attack when the box is branched on (the rest refines).
ATTACK_SHARE = 0.3
#: Without branching the attack runs in rounds until the time limit, or until this many
#: rounds in a row found no larger error.
ATTACK_PATIENCE = 3
#: The bracket refuses to start when its estimated working memory exceeds this (bytes).
MAX_MEMORY = 12 * 2**30
#: Share of the time limit the spectral bound may take (rows it does not reach keep the
#: linear bound); the attack has the rest.
SPECTRAL_SHARE = 0.7
#: BLAS threads of the bracket's linear algebra (see :func:`error_bracket`).
BLAS_THREADS = 1
#: Inputs each spectral relaxation proposes (rounded along random directions, both signs),
#: and how many of them (the best in float first) start each round of the attack on that
#: error.
SPECTRAL_POINTS, SPECTRAL_STARTS = 64, 4


def memory_estimate(f: Network, g: Network, starts: int = 8) -> int:
    """Bytes the bracket's largest arrays take (an estimate, within a small factor): the
    collapsed pairs' products, back-substitution rows, the spectral matrices, the attack's
    batches and the exact evaluators' integers (about 100 bytes per nonzero weight). Widths
    are the first network's: the second aligns with it once the construction's pairs collapse.

    >>> memory_estimate(Network.create([[[1.0]]]), Network.create([[[2.0]]])) < 2**20
    True
    """
    d0, wmax = f.sizes[0], max(f.sizes)  # g aligns with f after collapsing, or is bounded alone
    collapse = max(W1.shape[0] * W0.shape[0] for net in (f, g)
                   for W0, W1 in zip(net.weights, net.weights[1:], strict=False)) \
        if max(f.n_layers, g.n_layers) > 1 else 0
    # identity rows of the hidden-layer bounds, and the relaxation's chunks (11 points each)
    rows = 4 * wmax * wmax * 6 + min(4_000_000, 44 * wmax * wmax) * 10
    spectral = 2 * wmax * (2 * d0 + 1) * 5 + (2 * wmax) ** 2 * 3
    attack = (2 * f.sizes[-1] * (starts + 4) + 3 * d0) * wmax * 6
    exact = 100 * sum(int(np.count_nonzero(W)) for net in (f, g) for W in net.weights)
    return 8 * (3 * collapse + rows + spectral + attack) + exact


def box_doubles(box: object) -> tuple[tuple[float, float], tuple[float, float]]:
    """The box ``(lo, hi)`` of exact user numbers as doubles rounded inward and outward.

    Attacks search the inner box (their inputs lie in the user's box), certificates cover the
    outer one (a superset).

    >>> box_doubles(("0.1", 1))
    ((0.1, 1.0), (0.09999999999999999, 1.0))
    """
    try:
        lo, hi = box  # type: ignore[misc]
    except (TypeError, ValueError):
        raise InputError(f"box is {box!r:.60}: expected two numbers lo < hi") from None
    qlo, qhi = to_fraction(lo, "box lo"), to_fraction(hi, "box hi")
    if not qlo < qhi:
        raise InputError(f"box is [{fraction_str(qlo)}, {fraction_str(qhi)}]: expected lo < hi")

    def rounded(q: Fraction, up: bool) -> float:
        v = float(q)
        if not math.isfinite(v):
            raise InputError(f"box end {fraction_str(q)} is beyond the double range")
        if up and Fraction(v) < q:
            v = math.nextafter(v, math.inf)
        if not up and Fraction(v) > q:
            v = math.nextafter(v, -math.inf)
        return v

    inner = (rounded(qlo, True), rounded(qhi, False))
    if not inner[0] <= inner[1]:
        raise InputError(f"box [{fraction_str(qlo)}, {fraction_str(qhi)}] holds no double")
    return inner, (rounded(qlo, False), rounded(qhi, True))


@dataclass
class ErrorBracket:
    """``attained <= sup_{x in box} ||f(x) - g(x)||_inf <= certified``.

    ``attained`` is exact (a Fraction, the error at ``attained_input``, output
    ``attained_output``); ``certified`` a double that bounds the sup in exact arithmetic;
    ``mode`` how the networks were bounded (``differential`` or ``independent``);
    ``method`` what gave the certified value (linear bounds, spectral bounds, branch and
    bound over sub-boxes);
    ``boxes`` the sub-boxes of the final partition, ``status`` ``"met"`` when the bracket
    closed to within ``rtol`` and ``"time_limit"`` otherwise.
    """

    attained: Fraction
    attained_input: np.ndarray
    attained_output: int
    certified: float
    root_bound: float
    mode: str
    method: str
    boxes: int
    status: str
    box: tuple[Fraction, Fraction]
    seconds: float
    attack_seconds: float
    bound_seconds: float

    @property
    def ratio(self) -> float:
        """certified / attained (inf when the attained error is 0 and the bound is not)."""
        if self.attained == 0:
            return 1.0 if self.certified == 0 else math.inf
        return float(Fraction(self.certified) / self.attained)

    def to_json(self) -> dict[str, Any]:
        return {
            "attained_error": fraction_str(self.attained),
            "attained_error_float": float(self.attained),
            "attained_output": self.attained_output,
            "certified_error": self.certified,
            "certified_error_kind": "rigorous upper bound on sup over the box of ||f - g||_inf "
                                    "(outward-rounded)",
            "certified_method": self.method,
            "bracket_ratio": self.ratio if math.isfinite(self.ratio) else None,
            "bracket_root_bound": self.root_bound,
            "bracket_mode": self.mode,
            "bracket_boxes": self.boxes,
            "bracket_status": self.status,
            "bracket_seconds": round(self.seconds, 3),
        }


def error_bracket(f: Network, g: Network, box: object = (-1, 1), *,
                  time_limit: float | None = 60.0, seed: int = 0, branch: bool | None = None,
                  rtol: float = 1e-3, starts: int = 8) -> ErrorBracket:
    """Bracket ``sup_{x in box} ||f(x) - g(x)||_inf`` between an exact attained error and a
    certified bound.

    Parameters
    ----------
    f, g : networks with the same input and output sizes.
    box : ``(lo, hi)``, exact user numbers; the box is ``[lo, hi]^d_0``.
    time_limit : seconds for the attack and the refinement (the first bound and the exact
        evaluation of the best inputs run in any case: both take seconds at Pensia scale).
    branch : refine by branch and bound on the input box; default: with at most
        ``BRANCH_MAX_INPUTS`` inputs.
    rtol : stop refining when certified <= attained * (1 + rtol).
    starts : attack starting points per output and sign.

    >>> f = Network.create([[[2.0]]])
    >>> br = error_bracket(f, Network.create([[[1.5]]]), (0, 1))
    >>> br.attained, br.status
    (Fraction(1, 2), 'met')
    """
    # many mid-sized BLAS and LAPACK calls: with other jobs on the cores, threads that wait
    # for each other made the spectral bound 7x slower at Pensia scale than one thread
    with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
        return _error_bracket(f, g, box, time_limit, seed, branch, rtol, starts)


def _error_bracket(f: Network, g: Network, box: object, time_limit: float | None, seed: int,
                   branch: bool | None, rtol: float, starts: int) -> ErrorBracket:
    """:func:`error_bracket` within the BLAS thread limit."""
    start = time.perf_counter()
    time_limit = check_time_limit(time_limit)
    (ilo, ihi), (olo, ohi) = box_doubles(box)
    qbox = (to_fraction(box[0], "box lo"), to_fraction(box[1], "box hi"))  # type: ignore[index]
    d0 = f.sizes[0]
    need = memory_estimate(f, g, starts)
    if need > MAX_MEMORY:
        raise InputError(f"the bracket of networks {f.sizes} and {g.sizes} needs about "
                         f"{need / 2**30:.1f} GB, above the {MAX_MEMORY / 2**30:.0f} GB limit")
    aligned = align(f, g)
    if branch is None:
        branch = d0 <= BRANCH_MAX_INPUTS
    lo0, hi0 = np.full(d0, olo), np.full(d0, ohi)
    deadline = None if time_limit is None else start + time_limit
    root, certified, method, targeted = _first_certificate(
        f, g, aligned, lo0, hi0, branch,
        None if time_limit is None else start + SPECTRAL_SHARE * time_limit)
    bound_seconds = time.perf_counter() - start
    left = None if deadline is None else max(deadline - time.perf_counter(), 0.0)
    evaluators = (ExactEvaluator(f), ExactEvaluator(g))
    ilo_v, ihi_v = np.full(d0, ilo), np.full(d0, ihi)
    t_att = time.perf_counter()
    att = _attack_rounds(f, g, ilo_v, ihi_v, starts, seed, root.inputs, targeted,
                         None if left is None else left * (ATTACK_SHARE if branch else 1.0),
                         evaluators, certified / (1 + rtol), 1 if branch else ATTACK_PATIENCE)
    attack_seconds = time.perf_counter() - t_att
    best_in, best_val = att.input, att.float_error
    boxes, status = 1, "time_limit"
    if certified <= float(att.error) * (1 + rtol):
        status = "met"
    elif branch:
        fl, gl = split_layers(f), split_layers(g)
        t_bab = time.perf_counter()
        certified, boxes, status, cands = _branch(f, g, aligned, lo0, hi0, root, float(att.error),
                                                  rtol, deadline, fl, gl, ilo_v, ihi_v)
        method = f"{root.mode} linear bounds, branch and bound over {boxes} sub-box" \
                 f"{'es' if boxes != 1 else ''}"
        bound_seconds += time.perf_counter() - t_bab
        if len(cands):
            # the branches work on the outward-rounded box: an attained input must lie inside
            cands = np.clip(cands, ilo_v, ihi_v)
            errs = np.max(np.abs(forward_split(fl, cands) - forward_split(gl, cands)), axis=1)
            i = int(np.argmax(errs))
            if errs[i] > best_val:
                best_in, best_val = cands[i], float(errs[i])
    attained, arg = att.error, att.input
    if best_in is not att.input:
        e = exact_error(*evaluators, best_in)
        if e > attained:
            attained, arg = e, best_in
    outs = [abs(a - b) for a, b in zip(evaluators[0](arg), evaluators[1](arg), strict=True)]
    if certified <= float(attained) * (1 + rtol):
        status = "met"
    return ErrorBracket(attained=attained, attained_input=np.asarray(arg), certified=certified,
                        attained_output=int(np.argmax(outs)), root_bound=root.bound,
                        mode=root.mode, method=method, boxes=boxes, status=status, box=qbox,
                        seconds=time.perf_counter() - start, attack_seconds=attack_seconds,
                        bound_seconds=bound_seconds)


def _first_certificate(f: Network, g: Network, aligned: Any, lo: np.ndarray, hi: np.ndarray,
                       branch: bool, spectral_deadline: float | None
                       ) -> tuple[Any, float, str, tuple[np.ndarray, np.ndarray, np.ndarray] | None]:
    """The root linear bound, the certified bound before any branching (with many inputs and
    one hidden layer, the smaller of the linear and the spectral bound per output), the method
    that gave it, and the attack's targeted starts the spectral relaxations propose."""
    root = error_upper_bound(f, g, lo=lo, hi=hi, aligned=aligned)
    linear = f"{root.mode} linear bounds"
    if branch or aligned is None or len(aligned[0]) != 2:
        return root, root.bound, linear, None
    # many inputs, one hidden layer: the spectral bound pays once for many small gaps
    spec = spectral_error_bound(*aligned, lo, hi, deadline=spectral_deadline,
                                order=np.argsort(-root.per_output),  # the worst rows first
                                points=SPECTRAL_POINTS)
    best = np.minimum(root.per_output, spec.per_output)
    worst = int(np.argmax(best))
    method = "spectral (cut-norm) bounds" if spec.per_output[worst] < root.per_output[worst] \
        else linear
    return root, float(best[worst]), method, _ranked_per_row(spec, *aligned)


def _ranked_per_row(spec: SpectralBound, fl: list[SplitLayer], gl: list[SplitLayer]
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The proposed inputs, their rows, and their rank within the row by float error on
    that row (0 for the largest)."""
    rank = np.zeros(len(spec.rows), dtype=np.intp)
    if not len(spec.rows):
        return spec.inputs, spec.rows, rank
    k = fl[-1].pos.shape[0]
    diff = forward_split(fl, spec.inputs) - forward_split(gl, spec.inputs)
    vals = np.where(spec.rows < k, 1.0, -1.0) * diff[np.arange(len(spec.rows)), spec.rows % k]
    for row in np.unique(spec.rows):
        sel = np.flatnonzero(spec.rows == row)
        rank[sel[np.argsort(-vals[sel])]] = np.arange(len(sel))
    return spec.inputs, spec.rows, rank


def _attack_rounds(f: Network, g: Network, lo: np.ndarray, hi: np.ndarray, starts: int,
                   seed: int, extra: np.ndarray,
                   targeted: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
                   time_limit: float | None, evaluators: tuple[ExactEvaluator, ExactEvaluator],
                   enough: float, patience: int) -> AttackResult:
    """Rounds of attacks: round j starts from new random points and from the proposed
    inputs ranked ``SPECTRAL_STARTS j`` to ``SPECTRAL_STARTS (j + 1) - 1`` in their row.
    Stops at the time limit (after one round without a limit), once the error reaches
    ``enough``, or after ``patience`` rounds in a row that did not raise it. Returns the
    attack with the largest exact error."""
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    best: AttackResult | None = None
    stale = 0
    for j in range(10**6):
        left = None if deadline is None else deadline - time.perf_counter()
        if best is not None and (left is None or left <= 0 or float(best.error) >= enough
                                 or stale >= patience):
            break
        batch = None
        if targeted is not None:
            sel = (targeted[2] >= SPECTRAL_STARTS * j) & (targeted[2] < SPECTRAL_STARTS * (j + 1))
            batch = targeted[0][sel], targeted[1][sel]
        att = error_attack(f, g, lo=lo, hi=hi, starts=starts, seed=seed + j,
                           extra_starts=extra if j == 0 else None, targeted_starts=batch,
                           time_limit=None if left is None else max(left, 0.0),
                           exact=evaluators)
        stale += 1
        if best is None or att.error > best.error:
            best, stale = att, 0
    assert best is not None
    return best


def _branch(f: Network, g: Network, aligned: Any, lo: np.ndarray, hi: np.ndarray, root: Any,
            found: float, rtol: float, deadline: float | None, fl: Any, gl: Any,
            ilo: np.ndarray, ihi: np.ndarray) -> tuple[float, int, str, np.ndarray]:
    """Branch and bound on the input box: split the sub-box of largest bound along its widest
    side. Returns the certified bound (max over the partition), the partition's size, the
    status and the candidate inputs met on the way (the maximisers of the linear bounds)."""
    heap = [(-root.bound, 0, lo, hi)]
    counter, settled = 1, -math.inf  # settled: largest bound of sub-boxes dropped as met
    cands = [np.clip(root.inputs, ilo, ihi)]
    best = found
    status = "time_limit"
    while heap:
        neg, _, blo, bhi = heap[0]
        if -neg <= max(best, 0.0) * (1 + rtol):
            status = "met"
            break
        if deadline is not None and time.perf_counter() >= deadline:
            break
        heapq.heappop(heap)
        j = int(np.argmax(bhi - blo))
        mid = blo[j] / 2 + bhi[j] / 2
        if not blo[j] < mid < bhi[j]:  # the side is two adjacent doubles: cannot split
            settled = max(settled, -neg)
            continue
        for clo, chi in ((blo, np.where(np.arange(len(blo)) == j, mid, bhi)),
                         (np.where(np.arange(len(blo)) == j, mid, blo), bhi)):
            b = error_upper_bound(f, g, lo=clo, hi=chi, aligned=aligned)
            xs = np.clip(b.inputs, ilo, ihi)
            cands.append(xs)
            errs = np.max(np.abs(forward_split(fl, xs) - forward_split(gl, xs)), axis=1)
            best = max(best, float(errs.max()))
            heapq.heappush(heap, (-b.bound, counter, clo, chi))
            counter += 1
    certified = max(settled, -heap[0][0] if heap else -math.inf)
    return certified, len(heap), status, np.vstack(cands)
