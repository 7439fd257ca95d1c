"""Exact evaluation of ReLU networks in rationals: forward passes, breakpoints, exact sup errors.

Every weight is the exact rational of its double. A one-input network is piecewise linear with
finitely many breakpoints, found layer by layer in exact arithmetic, so the sup over an interval
of ``|f(x) - g(x)|`` is attained at one of the two networks' breakpoints (or an end).

>>> f = Network.create([[[1.0]], [[1.0]]])       # relu(x)
>>> exact_forward(exact_parameters(f), [Fraction(-2)])[1]
[Fraction(0, 1)]
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from solvers.networks import Network
from solvers.numbers import to_fraction

__all__ = ["exact_parameters", "exact_forward", "breakpoints", "sup_error_interval",
           "sup_error_at_breakpoints"]


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
    lo, hi = (to_fraction(v, "box") for v in box)
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
