"""Exact evaluation of ReLU networks in rationals: forward passes, breakpoints, exact sup errors.

Every weight is the exact rational of its double. A one-input network is piecewise linear with
finitely many breakpoints, found layer by layer in exact arithmetic, so the sup over an interval
of ``|f(x) - g(x)|`` is attained at one of the two networks' breakpoints (or an end).

>>> f = Network.create([[[1.0]], [[1.0]]])       # relu(x)
>>> exact_forward(exact_parameters(f), [Fraction(-2)])[1]
[Fraction(0, 1)]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from fractions import Fraction

from solvers.networks import Network
from solvers.numbers import InputError, fraction_str, to_fraction

__all__ = ["exact_parameters", "exact_forward", "breakpoints", "sup_error_interval",
           "sup_error_at_breakpoints", "BOX_SUP_MAX_INPUTS", "integer_layers", "integer_forward",
           "hidden_hyperplanes", "arrangement_vertices", "errors_at_points", "box_vertices",
           "sup_error_box", "exact_box", "check_comparable"]


def exact_box(box: Sequence[object]) -> tuple[Fraction, Fraction]:
    """The box ``[lo, hi]`` (per coordinate) as exact rationals, checked: two numbers, lo < hi.

    >>> exact_box((-1, "1/2"))
    (Fraction(-1, 1), Fraction(1, 2))
    """
    if isinstance(box, (str, bytes)) or len(box) != 2:  # type: ignore[arg-type]
        raise InputError(f"box is {box!r}: expected two numbers lo < hi")
    lo, hi = (to_fraction(v, "box") for v in box)
    if not lo < hi:
        raise InputError(f"box is [{fraction_str(lo)}, {fraction_str(hi)}]: expected lo < hi")
    return lo, hi


def check_comparable(target: Network, other: Network, other_name: str = "the other network"
                     ) -> None:
    """Refuse two networks whose input or output sizes differ (their error is undefined)."""
    if other.sizes[0] != target.sizes[0] or other.sizes[-1] != target.sizes[-1]:
        raise InputError(f"the target maps {target.sizes[0]} -> {target.sizes[-1]} but "
                         f"{other_name} maps {other.sizes[0]} -> {other.sizes[-1]}: the input "
                         "and output sizes must agree")


def exact_parameters(net: Network) -> list[tuple[list[list[Fraction]], list[Fraction]]]:
    """Every weight and bias as the exact rational of its double (a missing bias is 0)."""
    out = []
    for W, b in zip(net.weights, net.biases, strict=True):
        bias = [Fraction(0)] * W.shape[0] if b is None else [Fraction(float(v)) for v in b]
        out.append(([[Fraction(float(w)) for w in row] for row in W], bias))
    return out


def exact_forward(params: list, x: Sequence[Fraction]) -> tuple[list[list[Fraction]], list[Fraction]]:
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


def breakpoints(params: list, lo: Fraction, hi: Fraction) -> list[Fraction]:
    """Sorted points of [lo, hi] between which a one-input ReLU network is linear.

    Layer by layer: between consecutive points found so far every earlier ReLU keeps its
    sign, so each pre-activation of the next layer is linear there and crosses 0 at most once,
    at a point computed exactly.
    """
    pts = [lo, hi]
    for L in range(len(params) - 1):
        zs = [exact_forward(params, [x])[0][L] for x in pts]
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
    breakpoints (:func:`breakpoints`), so the maximum is attained at one of them.

    >>> f = Network.create([[[1.0]], [[1.0]]])       # relu(x)
    >>> g = Network.create([[[1.0], [-1.0]], [[0.5, 0.5]]])  # |x| / 2
    >>> sup_error_interval(f, g)
    (Fraction(1, 2), Fraction(-1, 1))
    """
    lo, hi = exact_box(box)
    pf = exact_parameters(target)
    return sup_error_at_breakpoints(pf, breakpoints(pf, lo, hi), exact_parameters(other), lo, hi)


def sup_error_at_breakpoints(pf: list, points_f: list[Fraction], pg: list, lo: Fraction, hi: Fraction
               ) -> tuple[Fraction, Fraction]:
    """:func:`sup_error_interval` on exact parameters, the target's breakpoints given."""
    best, arg = Fraction(-1), lo
    for x in sorted(set(points_f) | set(breakpoints(pg, lo, hi))):
        e = max(abs(a - b) for a, b in zip(exact_forward(pf, [x])[1], exact_forward(pg, [x])[1],
                                           strict=True))
        if e > best:
            best, arg = e, x
    return best, arg


# --- exact sup over a box of d <= 3 inputs, one hidden layer: vertices of the arrangement -----

#: Exact sups over a box by vertex enumeration are limited to this many inputs (the number of
#: vertices grows like (hidden units + 2 d)^d).
BOX_SUP_MAX_INPUTS = 3


def integer_layers(net: Network) -> list[tuple[list[list[int]], list[int], int]]:
    """Each layer as integers ``(A, B, s)`` with ``W = A / 2^s`` and ``b = B / 2^s`` exactly.

    Every double is a dyadic rational, so one power of two per layer clears all denominators.

    >>> integer_layers(Network.create([[[0.5, -1.0]]], [[0.25]]))
    [([[2, -4]], [1], 2)]
    """
    out = []
    for W, b in zip(net.weights, net.biases, strict=True):
        rows = [[Fraction(float(w)) for w in row] for row in W]
        bias = [Fraction(0)] * W.shape[0] if b is None else [Fraction(float(v)) for v in b]
        s = max((x.denominator for r in (*rows, bias) for x in r), default=1).bit_length() - 1
        out.append(([[int(x * 2**s) for x in r] for r in rows], [int(x * 2**s) for x in bias], s))
    return out


def integer_forward(layers: list, P: Sequence[int], q: int) -> tuple[list[int], int]:
    """Exact outputs at the rational point ``x = P / q`` (q > 0), as numerators over ``2^E q``.

    Returns ``(numerators, E)``: output k is ``numerators[k] / (2^E q)``, all in integers.

    >>> integer_forward(integer_layers(Network.create([[[1.0], [-1.0]], [[0.5, 0.5]]])), [-3], 2)
    ([3], 1)
    """
    h, E = list(P), 0
    for L, (A, B, s) in enumerate(layers):
        c = q << E
        z = [sum(a * v for a, v in zip(row, h, strict=True) if a and v) + bk * c
             for row, bk in zip(A, B, strict=True)]
        E += s
        h = z if L == len(layers) - 1 else [v if v > 0 else 0 for v in z]
    return h, E


def _det(M: list[list[int]]) -> int:
    """Integer determinant of a small square matrix (cofactor expansion; d <= 3)."""
    if len(M) == 1:
        return M[0][0]
    return sum((-1) ** j * M[0][j] * _det([row[:j] + row[j + 1:] for row in M[1:]])
               for j in range(len(M)) if M[0][j])


def hidden_hyperplanes(layers: list) -> list[tuple[int, ...]]:
    """The hidden units' hyperplanes ``a . x + beta = 0`` (integers ``(*a, beta)``) of a
    network with one hidden layer, skipping units that are constant or never read."""
    if len(layers) == 1:
        return []
    (A, B, _), (A2, _, _) = layers
    out = set()
    for i, (row, beta) in enumerate(zip(A, B, strict=True)):
        if any(row) and any(r[i] for r in A2):
            g = math.gcd(*row, beta)
            out.add(tuple(v // g for v in (*row, beta)))
    return sorted(out)


def arrangement_vertices(planes: list[tuple[int, ...]], d: int, lo: Fraction, hi: Fraction
                         ) -> list[tuple[tuple[int, ...], int]]:
    """Every vertex of the arrangement of ``planes`` and the faces of the box [lo, hi]^d that
    lies in the box, as integer points ``(P, q)`` meaning ``x = P / q`` (q > 0, reduced).

    >>> arrangement_vertices([(1, -1, 0)], 2, Fraction(0), Fraction(1))
    [((0, 0), 1), ((0, 1), 1), ((1, 0), 1), ((1, 1), 1)]
    """
    faces = []
    for j in range(d):
        for v in (lo, hi):
            a = [0] * d
            a[j] = v.denominator
            faces.append((*a, -v.numerator))
    allp = sorted(set(planes) | set(faces))
    pts = set()
    for combo in itertools.combinations(allp, d):
        M = [list(p[:d]) for p in combo]
        det = _det(M)
        if det == 0:
            continue
        rhs = [-p[d] for p in combo]
        P = [_det([row[:j] + [r] + row[j + 1:] for row, r in zip(M, rhs, strict=True)])
             for j in range(d)]
        if det < 0:
            det, P = -det, [-v for v in P]
        if all(lo * det <= p <= hi * det for p in P):
            g = math.gcd(*P, det)
            pts.add((tuple(v // g for v in P), det // g))
    return sorted(pts)


def errors_at_points(lf: list, lg: list, points: Sequence[tuple[Sequence[int], int]]
                     ) -> list[Fraction]:
    """Exact ``||f(x) - g(x)||_inf`` at integer points ``(P, q)`` (x = P / q); ``lf``, ``lg``
    from :func:`integer_layers`.

    >>> lf = integer_layers(Network.create([[[1.0]]]))
    >>> errors_at_points(lf, integer_layers(Network.create([[[0.5]]])), [((1,), 3), ((-2,), 1)])
    [Fraction(1, 6), Fraction(1, 1)]
    """
    out = []
    for P, q in points:
        fo, ef = integer_forward(lf, P, q)
        go, eg = integer_forward(lg, P, q)
        E = max(ef, eg)
        num = max(abs((a << (E - ef)) - (b << (E - eg))) for a, b in zip(fo, go, strict=True))
        out.append(Fraction(num, q << E))
    return out


def box_vertices(lf: list, lg: list, d: int, lo: Fraction, hi: Fraction
                 ) -> list[tuple[tuple[int, ...], int]]:
    """The vertices where the sup over the box of ``|f - g|`` of two one-hidden-layer networks
    is attained (:func:`arrangement_vertices` of both networks' hyperplanes)."""
    planes = sorted(set(hidden_hyperplanes(lf)) | set(hidden_hyperplanes(lg)))
    return arrangement_vertices(planes, d, lo, hi)


def sup_error_box(target: Network, other: Network, box: Sequence[object] = (-1, 1)
                  ) -> tuple[Fraction, tuple[Fraction, ...]]:
    """Exact ``max_{x in [lo, hi]^d} ||f(x) - g(x)||_inf`` and an arg max.

    One input: any depth (:func:`sup_error_interval`). Up to :data:`BOX_SUP_MAX_INPUTS`
    inputs: networks with at most one hidden layer. Then f - g is affine on every cell of the
    arrangement of both networks' hidden-unit hyperplanes and the box faces, so its maximum
    over the box is attained at a vertex of that arrangement; every vertex is computed and
    evaluated in exact integer arithmetic.

    >>> f = Network.create([[[1.0, 1.0]], [[1.0]]])              # relu(x1 + x2)
    >>> g = Network.create([[[0.5, 0.5]]])                        # (x1 + x2) / 2
    >>> sup_error_box(f, g)
    (Fraction(1, 1), (Fraction(-1, 1), Fraction(-1, 1)))
    """
    lo, hi = exact_box(box)
    check_comparable(target, other)
    d = target.sizes[0]
    if d == 1:
        err, x = sup_error_interval(target, other, (lo, hi))
        return err, (x,)
    if d > BOX_SUP_MAX_INPUTS or max(target.n_layers, other.n_layers) > 2:
        raise InputError(f"networks of sizes {target.sizes} and {other.sizes}: the exact sup "
                         f"over a box of {d} inputs needs at most {BOX_SUP_MAX_INPUTS} inputs "
                         "and one hidden layer")
    lf, lg = integer_layers(target), integer_layers(other)
    pts = box_vertices(lf, lg, d, lo, hi)
    errs = errors_at_points(lf, lg, pts)
    err = max(errs)
    P, q = pts[errs.index(err)]
    return err, tuple(Fraction(p, q) for p in P)
