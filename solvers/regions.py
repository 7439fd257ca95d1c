"""Exact sups of ReLU networks of two inputs, any depth: the box cut into linear regions.

Layer by layer, every convex polygon of the current partition has every earlier neuron's
activation fixed, so the next neuron's pre-activation is affine on it and its zero line cuts
it in at most two convex polygons. After every hidden neuron of both networks, ``f - g`` is
affine on each polygon, so the sup over the box of ``||f(x) - g(x)||_inf`` is attained at a
polygon vertex.

Everything is an integer: an affine map is ``(a_x, a_y, c)`` over ``2^E`` (every double is
a dyadic rational); a line is ``a x + b y + c = 0``; a vertex ``(X, Y, Q)`` is the point
``(X / Q, Y / Q)``, ``Q > 0``, computed as the intersection of two lines of bounded size
(never from earlier vertices, so the numbers do not grow with the number of cuts).

>>> from solvers.networks import Network
>>> f = Network.create([[[1.0, 1.0]], [[1.0]]])               # relu(x + y)
>>> g = Network.create([[[1.0, 0.0]], [[1.0]], [[1.0]]])       # relu(x), two layers deep
>>> sup_error_regions(f, g)
(Fraction(1, 1), (Fraction(0, 1), Fraction(1, 1)))
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from solvers.networks import Network
from solvers.numbers import InputError
from solvers.piecewise_linear import (
    check_comparable,
    exact_box,
    integer_layers,
    sup_error_interval,
)

__all__ = ["REGIONS_MAX_INPUTS", "REGIONS_MAX_POLYGONS", "Polygon", "linear_regions", "region_vertices",
           "worst_vertices", "sup_error_regions"]

#: Exact sups by linear regions take networks of at most this many inputs.
REGIONS_MAX_INPUTS = 2

#: At most this many polygons are held at once (about 1 KB each in Python integers); more
#: is refused while cutting, before the memory is taken.
REGIONS_MAX_POLYGONS = 400_000

Affine = tuple[int, int, int]
Vertex = tuple[int, int, int]


@dataclass(frozen=True)
class Polygon:
    """A convex polygon: ``vertices[i]`` to ``vertices[i + 1]`` lies on ``edges[i]``; ``maps``:
    per network, the affine maps of its current layer's outputs on the polygon (over 2^E)."""

    vertices: tuple[Vertex, ...]
    edges: tuple[Affine, ...]
    maps: tuple[tuple[Affine, ...], ...]


def _meet(e: Affine, f: Affine) -> Vertex:
    """The intersection of two lines, reduced, with a positive denominator."""
    (a1, b1, c1), (a2, b2, c2) = e, f
    q = a1 * b2 - a2 * b1
    x, y = b1 * c2 - b2 * c1, c1 * a2 - c2 * a1
    if q < 0:
        x, y, q = -x, -y, -q
    g = math.gcd(x, y, q)
    return x // g, y // g, q // g


def _line(m: Affine) -> Affine:
    g = math.gcd(*m)
    return (m[0] // g, m[1] // g, m[2] // g) if g > 1 else m


def _side(poly: Polygon, vals: list[int], line: Affine, sign: int) -> list[tuple[Vertex, Affine]]:
    """The vertices (each with the line of the edge leaving it) of the part of ``poly`` where
    ``sign * line >= 0`` (Sutherland-Hodgman clipping by one half-plane)."""
    out = []
    n = len(vals)
    for i in range(n):
        v, w, edge = sign * vals[i], sign * vals[(i + 1) % n], poly.edges[i]
        if v >= 0:
            out.append((poly.vertices[i], edge if w >= 0 or v > 0 else line))
        if (v > 0 > w) or (v < 0 < w):
            out.append((_meet(edge, line), line if v > 0 else edge))
    return out


def _split(poly: Polygon, line: Affine) -> tuple[Polygon | None, Polygon | None, bool]:
    """The parts of ``poly`` where ``line >= 0`` and ``line <= 0`` (None where there is no
    interior), and whether the line cut it."""
    a, b, c = line
    vals = [a * x + b * y + c * q for x, y, q in poly.vertices]
    if all(v >= 0 for v in vals):
        return poly, None, False
    if all(v <= 0 for v in vals):
        return None, poly, False
    parts = []
    for sign in (1, -1):
        side = _side(poly, vals, line, sign)
        parts.append(Polygon(tuple(v for v, _ in side), tuple(e for _, e in side), poly.maps))
    return parts[0], parts[1], True


def _box(lo: Fraction, hi: Fraction) -> Polygon:
    """The square [lo, hi]^2, counter-clockwise, with its four edge lines."""
    a, b = lo.numerator * hi.denominator, hi.numerator * lo.denominator
    q = lo.denominator * hi.denominator
    verts = ((a, a, q), (b, a, q), (b, b, q), (a, b, q))
    edges = ((0, q, -a), (q, 0, -b), (0, q, -b), (q, 0, -a))
    return Polygon(verts, tuple(_line(e) for e in edges), ())


def _layer_maps(A: list[list[int]], B: list[int], maps: Sequence[Affine], scale: int
                ) -> list[Affine]:
    """Pre-activations ``A h + B`` of affine inputs ``h`` over ``2^E`` (``scale = 2^E``)."""
    out = []
    for row, bk in zip(A, B, strict=True):
        ax = ay = 0
        c = bk * scale
        for w, (mx, my, mc) in zip(row, maps, strict=True):
            if w:
                ax += w * mx
                ay += w * my
                c += w * mc
        out.append((ax, ay, c))
    return out


def _refine(polys: list[Polygon], net: Network) -> list[Polygon]:
    """Cut every polygon along ``net``'s hidden neurons and append the network's output maps
    (over ``2^E``, E the sum of its layers' shifts) to each polygon's ``maps``."""
    layers = integer_layers(net)
    work = [(p, ((1, 0, 0), (0, 1, 0))) for p in polys]
    E = 0
    for L, (A, B, s) in enumerate(layers):
        if L == len(layers) - 1:
            break
        read = [any(r[i] for r in layers[L + 1][0]) for i in range(len(A))]
        nxt = []
        for poly, maps in work:
            Z = _layer_maps(A, B, maps, 1 << E)
            pieces = [(poly, list(Z))]
            for n, z in enumerate(Z):
                if not read[n] or (z[0] == 0 and z[1] == 0):
                    continue
                line = _line(z)
                cut = []
                for piece, out in pieces:
                    pos, neg, _ = _split(piece, line)
                    if pos is not None:
                        cut.append((pos, out))
                    if neg is not None:
                        cut.append((neg, [*out[:n], (0, 0, 0), *out[n + 1:]]))
                pieces = cut
                if len(nxt) + len(pieces) > REGIONS_MAX_POLYGONS:
                    raise InputError(
                        f"the networks cut the box into more than {REGIONS_MAX_POLYGONS} linear "
                        "regions: too many for exact sups by regions")
            for piece, out in pieces:
                # constant neurons: relu of the constant; unread ones: anything (0)
                nxt.append((piece, [o if read[i] and (o[0] or o[1] or o[2] > 0) else (0, 0, 0)
                                    for i, o in enumerate(out)]))
        work = nxt
        E += s
    A, B, s = layers[-1]
    return [Polygon(p.vertices, p.edges, (*p.maps, tuple(_layer_maps(A, B, maps, 1 << E))))
            for p, maps in work]


def linear_regions(nets: Sequence[Network], box: Sequence[object] = (-1, 1)) -> list[Polygon]:
    """The box [lo, hi]^2 cut into convex polygons on each of which every network is affine;
    ``maps[k]`` of a polygon holds network k's output maps over ``2^E_k``.

    >>> len(linear_regions([Network.create([[[1.0, -1.0]], [[1.0]]])]))
    2
    """
    lo, hi = exact_box(box)
    if any(n.sizes[0] != 2 for n in nets):
        raise InputError("linear regions are computed for networks of two inputs")
    polys = [_box(lo, hi)]
    for net in nets:
        polys = _refine(polys, net)
    return polys


def region_vertices(polys: Sequence[Polygon]) -> list[tuple[tuple[int, int], int]]:
    """Every vertex of the polygons, as integer points ``((X, Y), Q)`` (x = X / Q)."""
    return sorted({((x, y), q) for p in polys for x, y, q in p.vertices})


def _shift(net: Network) -> int:
    return sum(s for _, _, s in integer_layers(net))


def worst_vertices(target: Network, other: Network, box: Sequence[object] = (-1, 1), *,
                   count: int = 1, target_regions: list[Polygon] | None = None
                   ) -> list[tuple[Fraction, tuple[tuple[int, int], int]]]:
    """The ``count`` polygon vertices of largest exact error ``||f(x) - g(x)||_inf``, worst
    first, as ``(error, ((X, Y), Q))`` (x = X / Q) for networks of two inputs.

    ``f - g`` is affine on every polygon of :func:`linear_regions`, so the first one is the
    sup over the box. ``target_regions``: the target's own partition
    (``linear_regions([target], box)``), reused across many ``other`` networks.

    >>> f = Network.create([[[1.0, 1.0]], [[1.0]]])
    >>> worst_vertices(f, Network.create([[[0.5, 0.5]]]), count=2)
    [(Fraction(1, 1), ((-1, -1), 1)), (Fraction(1, 1), ((1, 1), 1))]
    """
    lo, hi = exact_box(box)
    check_comparable(target, other)
    polys = linear_regions([target], (lo, hi)) if target_regions is None else target_regions
    polys = _refine(polys, other)
    ef, eg = _shift(target), _shift(other)
    E = max(ef, eg)
    errs: dict[tuple[int, int, int], int] = {}
    for p in polys:
        diffs = [((a << (E - ef)) - (b << (E - eg)), (c << (E - ef)) - (d << (E - eg)),
                  (e << (E - ef)) - (g << (E - eg)))
                 for (a, c, e), (b, d, g) in zip(p.maps[0], p.maps[-1], strict=True)]
        for v in p.vertices:
            if v not in errs:
                x, y, q = v
                errs[v] = max(abs(ax * x + ay * y + c * q) for ax, ay, c in diffs)
    out = sorted(((Fraction(num, v[2] << E), v) for v, num in errs.items()),
                 key=lambda t: (-t[0], t[1]))
    return [(e, ((x, y), q)) for e, (x, y, q) in out[:count]]


def sup_error_regions(target: Network, other: Network, box: Sequence[object] = (-1, 1), *,
                      target_regions: list[Polygon] | None = None
                      ) -> tuple[Fraction, tuple[Fraction, ...]]:
    """Exact ``max_{x in [lo, hi]^d} ||f(x) - g(x)||_inf`` and an arg max, for networks of
    any depth with ``d <= 2`` inputs (:func:`worst_vertices`; one input:
    :func:`solvers.piecewise_linear.sup_error_interval`).

    >>> f = Network.create([[[1.0, 1.0]], [[1.0]]])
    >>> g = Network.create([[[0.5, 0.5]]])
    >>> sup_error_regions(f, g)
    (Fraction(1, 1), (Fraction(-1, 1), Fraction(-1, 1)))
    """
    lo, hi = exact_box(box)
    d = target.sizes[0]
    if d == 1 and other.sizes[0] == 1:
        err, x = sup_error_interval(target, other, (lo, hi))
        return err, (x,)
    if d > REGIONS_MAX_INPUTS:
        raise InputError(f"networks of {d} inputs: exact sups by linear regions need at most "
                         f"{REGIONS_MAX_INPUTS}")
    err, (P, q) = worst_vertices(target, other, (lo, hi), target_regions=target_regions)[0]
    return err, tuple(Fraction(v, q) for v in P)
