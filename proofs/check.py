"""Rigorous verdict of a claim at one exact point: the last word before ``refuted``.

A point is a counterexample only if, in exact rational arithmetic or with mpmath intervals
that certainly contain the true values, it lies in the domain (every bound, every premise
certainly holds) and the relation certainly fails. Intervals that straddle the decision are
retried at 64, 128, 256 and 1024 bits; a tight true claim (equality at a point) therefore
never comes out violated by rounding, and an equality that intervals cannot settle stays
undecided.

>>> from proofs.claims import Claim
>>> c = Claim.create("tight", "x*(1 - x) <= 1/4", {"x": {"min": 0, "max": 1}})
>>> check_point(c, {"x": Fraction(1, 2)}).status
'holds'
>>> c = Claim.create("near", "x*(2 - x) <= 1 - 1e-13", {"x": {"min": 0, "max": 2}})
>>> r = check_point(c, {"x": Fraction(1)})
>>> r.status, r.lhs, r.rhs
('violated', '1', '9999999999999/10000000000000')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import mpmath

from proofs.claims import Claim
from proofs.evaluate import (
    Inconclusive,
    TooLarge,
    Undefined,
    Value,
    endpoints,
    evaluate,
    to_interval,
    to_mpf,
    working_precision,
)
from proofs.grammar import Relation

__all__ = ["PointCheck", "check_point", "decide", "difference", "value_text", "PRECISIONS"]

PRECISIONS = (64, 128, 256, 1024)


@dataclass
class PointCheck:
    """``status``: violated | holds | outside (bounds or premises fail) | undefined |
    inconclusive | too_large; ``lhs``/``rhs`` the two sides' values as text."""

    status: str
    lhs: str = ""
    rhs: str = ""
    detail: str = ""


def _number_text(x: mpmath.mpf) -> str:
    """20 significant digits; past 1e10000 in magnitude, from log10 (nstr would be slow)."""
    if not x or not mpmath.isfinite(x) or abs(x._mpf_[2] + x._mpf_[3]) < 30000:
        return mpmath.nstr(x, 20)
    with mpmath.workprec(80):
        e = mpmath.floor(mpmath.log10(abs(x)))
        mantissa = abs(x) / mpmath.power(10, e)
    return f"{'-' if x < 0 else ''}{mpmath.nstr(mantissa, 17)}e{'+' if e > 0 else ''}{int(e)}"


def value_text(v: Value) -> str:
    """An exact value as "p/q" (past 1000 digits, "~" and a decimal approximation);
    an interval as "[a, b]" (20 significant digits)."""
    if isinstance(v, Fraction):
        if max(v.numerator.bit_length(), v.denominator.bit_length()) < 3300:
            return str(v)
        with mpmath.workprec(80):
            return "~" + _number_text(to_mpf(v))
    lo, hi = endpoints(v)
    return f"[{_number_text(lo)}, {_number_text(hi)}]"


def decide(op: str, diff: Value) -> str | None:
    """'violated' or 'holds' for ``lhs - rhs = diff`` under relation ``op``; None if unsure."""
    if isinstance(diff, Fraction):
        lo = hi = diff
    else:
        lo, hi = endpoints(diff)
        if mpmath.isnan(lo) or mpmath.isnan(hi):
            return None
    if op == "==":
        if lo > 0 or hi < 0:
            return "violated"
        return "holds" if lo == hi == 0 else None
    if op in (">=", ">"):
        lo, hi = -hi, -lo  # lhs >= rhs  <=>  rhs - lhs <= 0
    if op in ("<", ">"):
        return "violated" if lo >= 0 else ("holds" if hi < 0 else None)
    return "violated" if lo > 0 else ("holds" if hi <= 0 else None)


def difference(a: Value, b: Value) -> Value:
    """``a - b``, exact when both are exact."""
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a - b
    return to_interval(a) - to_interval(b)


def _relation(
    rel: Relation, point: Mapping[str, Value], prec: int
) -> tuple[str | None, Value, Value]:
    lhs, rhs = evaluate(rel.lhs, point, prec), evaluate(rel.rhs, point, prec)
    return decide(rel.op, difference(lhs, rhs)), lhs, rhs


def _in_domain(claim: Claim, point: Mapping[str, Value], prec: int) -> str | None:
    """'inside', 'outside', or None (undecided at this precision)."""
    undecided = False
    for var in claim.variables:
        x = point[var.name]
        if var.integer and (not isinstance(x, Fraction) or x.denominator != 1):
            return "outside"
        for bound, op in ((var.lower, ">="), (var.upper, "<=")):
            if bound is None:
                continue
            verdict = decide(op, difference(x, evaluate(bound, point, prec)))
            if verdict == "violated":
                return "outside"
            undecided |= verdict is None
    for premise in claim.assumptions:
        verdict, _, _ = _relation(premise, point, prec)
        if verdict == "violated":
            return "outside"
        undecided |= verdict is None
    return None if undecided else "inside"


def check_point(
    claim: Claim, point: Mapping[str, Fraction], precisions: tuple[int, ...] = PRECISIONS
) -> PointCheck:
    """The rigorous verdict of ``claim`` at an exact point (see the module docstring)."""
    last = PointCheck("inconclusive")
    for prec in precisions:
        try:
            with working_precision(prec):
                where = _in_domain(claim, point, prec)
                if where == "outside":
                    return PointCheck("outside")
                verdict, lhs, rhs = _relation(claim.relation, point, prec)
        except Undefined as exc:
            return PointCheck("undefined", detail=str(exc))
        except TooLarge as exc:
            return PointCheck("too_large", detail=str(exc))
        except Inconclusive as exc:
            last = PointCheck("inconclusive", detail=str(exc))
            continue
        if where == "inside" and verdict is not None:
            return PointCheck(verdict, value_text(lhs), value_text(rhs))
        last = PointCheck("inconclusive", value_text(lhs), value_text(rhs), "intervals too wide")
    return last
