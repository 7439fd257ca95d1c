"""Proof attempts: sympy, a polynomial certificate, exhaustive integers, interval branch-and-bound.

Each attempt returns a :class:`Proof` (the method and the steps a reader can re-check) or None.

- :func:`symbolic_proof`: sympy with the variables' signs as assumptions. An equality is proved
  when a rewriting (``expand``, ``expand_log`` on positive symbols, ``powsimp``, ``gammasimp``,
  cases of ``Max``/``Min``/``Abs``, ``simplify``) turns ``lhs - rhs`` into 0; an inequality
  when one form of the difference has a sign sympy can certify (``factor`` turns
  ``x**2 - x + 1/4`` into ``(2*x - 1)**2/4``), or when it is a rational function with a
  Bernstein-Polya certificate: after ``x = lo + (hi - lo) u/(1 + u)`` the cleared numerator
  and denominator have coefficients of one sign.
- :func:`exhaustive_proof`: every integer point of a small all-integer domain, each checked
  rigorously (:func:`proofs.check.check_point`); may also return a counterexample.
- :func:`interval_proof`: branch-and-bound with mpmath intervals over the bounded domain:
  every box either lies outside the domain or premises, or certainly satisfies the relation.
  It proves claims that hold with a margin, never one that is tight at a point.

Premises are not used by the symbolic attempts (a proof without them is a proof with them).

>>> from proofs.claims import Claim
>>> c = Claim.create("square", "x*(1 - x) <= 1/4", {"x": {"min": 0, "max": 1}})
>>> symbolic_proof(c).steps[-1]
'factor: rhs - lhs = (2*x - 1)**2/4, which sympy shows is >= 0'
>>> c = Claim.create("margin", "x**3 - x + 1 > 0", {"x": {"min": -1, "max": 1}})
>>> interval_proof(c).method
'interval branch-and-bound'
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from mpmath import iv

from proofs.check import check_point, decide, difference
from proofs.claims import Claim
from proofs.evaluate import (
    Inconclusive,
    TooLarge,
    Undefined,
    Value,
    evaluate,
    interval_bounds,
    to_interval,
    working_precision,
)
from proofs.grammar import Node, free_names, to_sympy

__all__ = [
    "Proof",
    "Refutation",
    "domain_hull",
    "symbolic_proof",
    "exhaustive_proof",
    "interval_proof",
]


@dataclass
class Proof:
    """How a claim was proved: ``method`` (one phrase) and ``steps`` (re-checkable lines)."""

    method: str
    steps: list[str] = field(default_factory=list)
    effort: dict[str, object] = field(default_factory=dict)


@dataclass
class Refutation:
    """An exact counterexample found while attempting a proof."""

    point: dict[str, Fraction]
    lhs: str
    rhs: str
    method: str


Hull = dict[str, tuple[Fraction | None, Fraction | None]]


def _premise_bounds(claim: Claim) -> dict[str, list[tuple[bool, Node]]]:
    """Premises of the form ``variable op constant`` as extra (closed) bounds: name -> [(lower, c)]."""
    out: dict[str, list[tuple[bool, Node]]] = {}
    flip = {"<=": ">=", "<": ">", ">=": "<=", ">": "<"}
    for p in claim.assumptions:
        for var, other, op in ((p.lhs, p.rhs, p.op), (p.rhs, p.lhs, flip.get(p.op))):
            if var.op == "var" and op in flip and not free_names(other):
                out.setdefault(str(var.value), []).append((op in (">=", ">"), other))
    return out


def domain_hull(claim: Claim) -> Hull:
    """Constant outer bounds of every variable (None where unbounded), from interval bounds.

    Premises ``x >= c`` / ``x <= c`` with a constant c tighten the bounds (a closed superset
    of the domain, which is all a proof needs).
    """
    hull: Hull = {}
    box: dict[str, Value] = {}
    extra = _premise_bounds(claim)
    for var in claim.variables:
        ends: list[Fraction | None] = []
        for bound, lower in ((var.lower, True), (var.upper, False)):
            end = None
            if bound is not None and all(box.get(n) is not None for n in _names(bound)):
                try:
                    lo, hi = interval_bounds(evaluate(bound, box, 64))
                    end = lo if lower else hi
                except (Undefined, Inconclusive, TooLarge):
                    end = None
            for is_lower, c in extra.get(var.name, []):
                if is_lower != lower:
                    continue
                try:
                    lo, hi = interval_bounds(evaluate(c, {}, 64))
                except (Undefined, Inconclusive, TooLarge):
                    continue
                c_end = lo if lower else hi
                if end is None or (c_end > end if lower else c_end < end):
                    end = c_end
            if end is not None and var.integer:
                end = Fraction(math.ceil(end) if lower else math.floor(end))
            ends.append(end)
        hull[var.name] = (ends[0], ends[1])
        if ends[0] is not None and ends[1] is not None:
            box[var.name] = _box_value(ends[0], ends[1])
        else:
            box[var.name] = None  # type: ignore[assignment]
    return hull


def _names(node: Node) -> set[str]:
    return set(free_names(node))


def _box_value(lo: Fraction, hi: Fraction) -> Value:
    if lo == hi:
        return lo
    return iv.mpf([to_interval(lo).a, to_interval(hi).b])


# ---------------------------------------------------------------------------------------------
# Symbolic


def _symbols(claim: Claim, hull: Hull) -> dict[str, object]:
    import sympy

    out = {}
    for var in claim.variables:
        lo, hi = hull[var.name]
        kw = {"real": True}
        if var.integer:
            kw["integer"] = True
        if lo is not None and lo > 0:
            kw["positive"] = True
        elif lo is not None and lo >= 0:
            kw["nonnegative"] = True
        if hi is not None and hi < 0:
            kw["negative"] = True
        elif hi is not None and hi <= 0:
            kw["nonpositive"] = True
        out[var.name] = sympy.Symbol(var.name, **kw)
    return out


def _rewritings() -> list[tuple[str, Callable]]:
    import sympy

    def cases(e):  # noqa: ANN001, ANN202
        if not e.has(sympy.Max, sympy.Min, sympy.Abs):
            return e
        return sympy.simplify(sympy.piecewise_fold(e.rewrite(sympy.Piecewise)))

    return [
        ("expand", sympy.expand),
        ("expand_log", lambda e: sympy.expand(sympy.expand_log(e))),
        ("powsimp", lambda e: sympy.powsimp(sympy.expand_power_exp(e), force=False)),
        ("gammasimp", sympy.gammasimp),
        ("cases of Max/Min/Abs", cases),
        ("simplify", sympy.simplify),
    ]


def symbolic_proof(claim: Claim, deadline: float = math.inf) -> Proof | None:
    """Try to prove the claim with sympy (see the module docstring); None if no attempt works."""
    import sympy

    hull = domain_hull(claim)
    if _sympy_unsafe(claim, hull):
        return None
    syms = _symbols(claim, hull)
    rel = claim.relation
    lhs, rhs = to_sympy(rel.lhs, syms), to_sympy(rel.rhs, syms)
    head = [_assumption_text(syms)] if syms else []
    if rel.op == "==":
        diff = lhs - rhs
        if diff == 0:
            return Proof("symbolic", head + [f"{lhs} and {rhs} are the same expression"])
        for name, f in _rewritings():
            if time.monotonic() > deadline:
                return None
            r = f(diff)
            if r == 0:
                return Proof("symbolic", head + [f"lhs - rhs = {diff}", f"{name}: 0"])
        if (lhs.is_positive and rhs.is_positive) is True:
            logs = sympy.expand_log(sympy.log(lhs)) - sympy.expand_log(sympy.log(rhs))
            if sympy.simplify(logs) == 0:
                return Proof(
                    "symbolic",
                    head
                    + [
                        "both sides are positive: compare logarithms",
                        f"log(lhs) - log(rhs) = {logs}",
                        "simplify: 0",
                    ],
                )
        return None
    strict = rel.op in ("<", ">")
    target = rhs - lhs if rel.op in ("<", "<=") else lhs - rhs
    want = "> 0" if strict else ">= 0"
    what = f"{'rhs - lhs' if rel.op in ('<', '<=') else 'lhs - rhs'}"
    forms = [
        ("", target),
        ("factor", sympy.factor),
        ("simplify", sympy.simplify),
        ("expand", sympy.expand),
    ]
    for name, form in forms:
        if time.monotonic() > deadline:
            return None
        g = form if name == "" else form(target)
        ok = g.is_positive if strict else g.is_nonnegative
        if ok:
            shown = f"{name}: {what} = {g}" if name else f"{what} = {g}"
            return Proof("symbolic", head + [f"{shown}, which sympy shows is {want}"])
    try:
        cert = _bernstein_certificate(target, syms, hull, strict)
    except (sympy.PolynomialError, sympy.GeneratorsNeeded):
        cert = None
    if cert is not None:
        return Proof("polynomial certificate", head + [f"{what} = {target}"] + cert)
    return None


_SHOWN = ("integer", "positive", "nonnegative", "negative", "nonpositive")


def _assumption_text(syms: dict[str, object]) -> str:
    parts = []
    for name, s in syms.items():
        facts = [k for k in _SHOWN if s.assumptions0.get(k)]  # type: ignore[attr-defined]
        if "positive" in facts:
            facts.remove("nonnegative")
        if "negative" in facts:
            facts.remove("nonpositive")
        parts.append(f"{name} ({', '.join(facts) or 'real'})")
    return "sympy symbols: " + ", ".join(parts)


def _sympy_unsafe(claim: Claim, hull: Hull) -> bool:
    """True if sympy would compute a huge constant factorial/binomial, or if a Sum may run
    backwards somewhere in the domain (sympy's Karr convention differs from our empty sum)."""
    box = {
        n: _box_value(lo, hi) for n, (lo, hi) in hull.items() if lo is not None and hi is not None
    }

    def walk(node: Node) -> bool:
        if node.op == "call" and node.value in ("factorial", "binomial") and not free_names(node):
            try:
                return not isinstance(evaluate(node, {}, 64), Fraction)
            except ArithmeticError:
                return True
        if node.op == "sum":
            _, lo, hi = node.args
            span = Node("sub", (hi, lo))
            try:
                low, _ = interval_bounds(evaluate(span, box, 64))
            except (ArithmeticError, KeyError):
                return True
            if low < -1:
                return True
        return any(walk(a) for a in node.args)

    rels = [claim.relation, *claim.assumptions]
    return any(walk(r.lhs) or walk(r.rhs) for r in rels)


def _bernstein_certificate(target, syms, hull: Hull, strict: bool) -> list[str] | None:  # noqa: ANN001
    """Coefficient-sign certificate for a rational function on the hull (see module docstring)."""
    import sympy

    used = [s for s in syms.values() if s in target.free_symbols]
    if not used or target.has(sympy.Function, sympy.Sum) or not target.is_rational_function(*used):
        return None
    num, den = sympy.fraction(sympy.cancel(sympy.together(target)))
    subs, us, bounded, steps = {}, [], [], []
    for s in used:
        lo, hi = hull[str(s)]
        u = sympy.Symbol(f"u_{s}", nonnegative=True)
        us.append(u)
        if lo is not None and hi is not None:
            subs[s] = sympy.Rational(lo) + sympy.Rational(hi - lo) * u / (1 + u)
            bounded.append(True)
            steps.append(f"{s} = {subs[s]} maps u_{s} in [0, oo] onto [{lo}, {hi}]")
        elif lo is not None or hi is not None:
            subs[s] = sympy.Rational(lo) + u if lo is not None else sympy.Rational(hi) - u
            bounded.append(False)
            steps.append(f"{s} = {subs[s]}, u_{s} >= 0")
        else:
            return None
    signs = []
    for part, label in ((num, "numerator"), (den, "denominator")):
        poly = sympy.Poly(part, *used)
        cleared = part.subs(subs)
        for s, u, b in zip(used, us, bounded, strict=True):
            if b:
                cleared *= (1 + u) ** poly.degree(s)
        p = sympy.Poly(sympy.cancel(cleared), *us)
        coeffs = p.as_dict()
        sign = _coefficient_sign(
            coeffs,
            [poly.degree(s) if b else 0 for s, b in zip(used, bounded, strict=True)],
            strict or label == "denominator",
        )
        if sign is None:
            return None
        signs.append(sign)
        steps.append(
            f"cleared {label}: {len(coeffs)} coefficients, all {'>= 0' if sign > 0 else '<= 0'}"
            + (", extreme ones nonzero" if strict or label == "denominator" else "")
        )
    if signs[0] * signs[1] < 0:
        return None
    steps.append(f"so the difference is {'> 0' if strict else '>= 0'} on the whole box")
    return steps


def _coefficient_sign(coeffs: dict, degrees: list[int], need_corners: bool) -> int | None:
    values = [c for c in coeffs.values()]
    if not values:
        return None
    if all(c >= 0 for c in values):
        sign = 1
    elif all(c <= 0 for c in values):
        sign = -1
    else:
        return None
    if need_corners:
        for corner in itertools.product(*[(0, k) if k else (0,) for k in degrees]):
            if coeffs.get(corner, 0) == 0:
                return None
    return sign


# ---------------------------------------------------------------------------------------------
# Exhaustive integer enumeration


def _integer_range(claim: Claim, index: int, prefix: dict[str, Fraction]) -> range | None:
    var = claim.variables[index]
    ends = []
    for bound, lower in ((var.lower, True), (var.upper, False)):
        if bound is None:
            return None
        v = evaluate(bound, prefix, 128)
        lo, hi = interval_bounds(v)
        end_lo, end_hi = (
            (math.ceil(lo), math.ceil(hi)) if lower else (math.floor(lo), math.floor(hi))
        )
        if end_lo != end_hi:
            raise Inconclusive("an integer bound that intervals cannot round")
        ends.append(end_lo)
    return range(ends[0], ends[1] + 1)


def exhaustive_proof(
    claim: Claim, limit: int, deadline: float = math.inf
) -> Proof | Refutation | None:
    """Check every point of an all-integer domain of at most ``limit`` points, rigorously."""
    if not claim.variables or not all(v.integer for v in claim.variables):
        return None
    points: list[dict[str, Fraction]] = []

    def walk(i: int, prefix: dict[str, Fraction]) -> bool:
        if i == len(claim.variables):
            points.append(dict(prefix))
            return len(points) <= limit
        rng = _integer_range(claim, i, prefix)
        if rng is None or len(points) + len(rng) > limit * 4:
            return False
        for k in rng:
            prefix[claim.variables[i].name] = Fraction(k)
            if not walk(i + 1, prefix):
                return False
        del prefix[claim.variables[i].name]
        return True

    try:
        if not walk(0, {}):
            return None
    except (Undefined, Inconclusive, TooLarge):
        return None
    excluded = 0
    for point in points:
        if time.monotonic() > deadline:
            return None
        r = check_point(claim, point)
        if r.status == "violated":
            return Refutation(
                point, r.lhs, r.rhs, f"exhaustive search over {len(points)} integer points"
            )
        if r.status in ("outside", "undefined"):
            excluded += 1
        elif r.status != "holds":
            return None
    ranges = "; ".join(v.describe() for v in claim.variables)
    steps = [
        f"domain: {ranges}",
        f"all {len(points)} integer points checked in exact or interval arithmetic",
    ]
    if excluded:
        steps.append(f"{excluded} of them are outside the premises or where a side is undefined")
    return Proof("exhaustive", steps, {"points": len(points)})


# ---------------------------------------------------------------------------------------------
# Interval branch-and-bound


def _box_status(claim: Claim, box: dict[str, Value], prec: int) -> str:
    """'holds', 'outside' (no domain point in the box) or 'unknown'."""
    try:
        with working_precision(prec):
            for var in claim.variables:
                x = box[var.name]
                for bound, op in ((var.lower, ">="), (var.upper, "<=")):
                    if (
                        bound is not None
                        and decide(op, difference(x, evaluate(bound, box, prec))) == "violated"
                    ):
                        return "outside"
            for premise in claim.assumptions:
                d = difference(evaluate(premise.lhs, box, prec), evaluate(premise.rhs, box, prec))
                if decide(premise.op, d) == "violated":
                    return "outside"
            rel = claim.relation
            d = difference(evaluate(rel.lhs, box, prec), evaluate(rel.rhs, box, prec))
            return "holds" if decide(rel.op, d) == "holds" else "unknown"
    except Undefined:
        return "undefined"
    except (Inconclusive, TooLarge):
        return "unknown"


def interval_proof(
    claim: Claim, max_boxes: int = 2500, deadline: float = math.inf, prec: int = 64
) -> Proof | None:
    """Branch-and-bound over the bounded domain with interval arithmetic (module docstring)."""
    hull = domain_hull(claim)
    if any(lo is None or hi is None for lo, hi in hull.values()):
        return None
    names = [v.name for v in claim.variables]
    integer = {v.name: v.integer for v in claim.variables}
    width0 = {n: (hull[n][1] - hull[n][0]) or Fraction(1) for n in names}
    stack = [dict(hull)]
    boxes = certified = outside = 0
    while stack:
        if boxes >= max_boxes or time.monotonic() > deadline:
            return None
        bounds = stack.pop()
        boxes += 1
        box = {n: _box_value(*bounds[n]) for n in names}  # type: ignore[arg-type]
        status = _box_status(claim, box, prec)
        if status == "holds":
            certified += 1
            continue
        if status == "outside":
            outside += 1
            continue
        splittable = [n for n in names if bounds[n][1] > bounds[n][0]]  # type: ignore[operator]
        if not splittable:
            if status == "undefined":  # a single point where a side is undefined: not in the domain
                outside += 1
                continue
            return None
        n = max(splittable, key=lambda m: (bounds[m][1] - bounds[m][0]) / width0[m])  # type: ignore[operator]
        lo, hi = bounds[n]
        if integer[n]:
            mid = Fraction(math.floor((lo + hi) / 2))  # type: ignore[operator]
            halves = ((lo, mid), (mid + 1, hi))
        else:
            mid = (lo + hi) / 2  # type: ignore[operator]
            halves = ((lo, mid), (mid, hi))
        for half in halves:
            child = dict(bounds)
            child[n] = half  # type: ignore[assignment]
            stack.append(child)
    steps = [
        "domain box: " + ", ".join(f"{n} in [{hull[n][0]}, {hull[n][1]}]" for n in names),
        f"{boxes} boxes: {certified} certified by {prec}-bit interval arithmetic, "
        f"{outside} outside the domain or premises",
    ]
    return Proof("interval branch-and-bound", steps, {"boxes": boxes})
