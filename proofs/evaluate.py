"""Evaluating formulas: exactly where possible, with rigorous intervals otherwise, and fast in floats.

:func:`evaluate` is the rigorous evaluator. Every node's value is either an exact ``Fraction``
(rational arithmetic, integer powers, perfect roots, ``binomial``/``factorial`` of integers,
``log(8, 2)``, ``floor`` ...) or an mpmath interval (``mpmath.iv``) that certainly contains the
true value (``E``, ``pi``, ``exp``, ``log``, irrational roots, ``gamma``). Variables may be bound
to Fractions (a point) or to intervals (a box, for branch-and-bound proofs). Size guards bound
the cost of every step: an exact number above :data:`MAX_EXACT_BITS` bits continues as an
interval, and an ``exp``/power whose result would pass ``2**MAX_LOG2`` raises :class:`TooLarge`.

:func:`compile_vector` turns a formula into a numpy function over arrays of points (float64,
``nan`` where undefined): the fast, non-rigorous evaluator of the counterexample search.

Semantics (real-valued, as a reader of the slides expects): ``log`` of a non-positive number,
a negative base with a non-integer exponent, division by zero, ``factorial`` of a negative
integer and a ``Sum`` with non-integer bounds are *undefined* (:class:`Undefined`): such points
are outside the claim's domain. ``binomial(n, k)`` is the falling product n(n-1)...(n-k+1)/k!
for integer k (0 for k < 0), and gamma-based otherwise; an empty ``Sum`` is 0.

Examples
--------
>>> from proofs.grammar import parse_expression
>>> evaluate(parse_expression("binomial(n, 2) + log(8, 2)", {"n"}), {"n": Fraction(5)})
Fraction(13, 1)
>>> v = evaluate(parse_expression("exp(1) - E", set()), {})
>>> v.a <= 0 <= v.b
True
>>> evaluate(parse_expression("log(x)", {"x"}), {"x": Fraction(0)})
Traceback (most recent call last):
...
proofs.evaluate.Undefined: log of 0
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from fractions import Fraction

import mpmath
import numpy as np
from mpmath import iv
from scipy import special
from sympy import integer_nthroot

from proofs.grammar import Node, free_names, to_text
from solvers.numbers import InputError

__all__ = [
    "Undefined",
    "Inconclusive",
    "TooLarge",
    "Value",
    "evaluate",
    "working_precision",
    "to_interval",
    "sign",
    "interval_bounds",
    "endpoints",
    "to_mpf",
    "compile_vector",
    "MAX_EXACT_BITS",
    "MAX_LOG2",
    "MAX_SUM_TERMS",
]

#: Exact numbers above this many bits (numerator or denominator) continue as intervals.
MAX_EXACT_BITS = 1 << 16
#: Values beyond 2**MAX_LOG2 in magnitude (or below 2**-MAX_LOG2) are refused.
MAX_LOG2 = 1 << 22
#: Most terms one Sum may have.
MAX_SUM_TERMS = 20_000
_MAX_EXACT_FACTORIAL = 4000
_MAX_GAMMA_ARG = 1 << 40
_LN2 = math.log(2)

Value = Fraction | mpmath.ctx_iv.ivmpf


class Undefined(ArithmeticError):
    """The formula has no real value at this point (outside its domain)."""


class Inconclusive(ArithmeticError):
    """The intervals are too wide to decide (raise the precision or split the box)."""


class TooLarge(ArithmeticError):
    """A value or an operation beyond the size guards."""


def to_interval(x: Value) -> mpmath.ctx_iv.ivmpf:
    """An interval certainly containing ``x`` (at the current ``iv`` precision)."""
    if isinstance(x, Fraction):
        if x.denominator == 1:
            return iv.mpf(x.numerator)
        return iv.mpf(x.numerator) / iv.mpf(x.denominator)
    return x


def interval_bounds(x: Value) -> tuple[Fraction, Fraction]:
    """Exact lower and upper bounds of a value; :class:`TooLarge` if infinite or beyond
    ``2**MAX_EXACT_BITS`` in magnitude (their exact form would not fit in memory)."""
    if isinstance(x, Fraction):
        return x, x
    lo, hi = endpoints(x)
    for e in (lo, hi):
        if not mpmath.isfinite(e):
            raise TooLarge("an unbounded interval")
        if e and abs(e._mpf_[2] + e._mpf_[3]) > MAX_EXACT_BITS:
            raise TooLarge("an interval end beyond 2**65536 in magnitude")
    return _mpf_fraction(lo), _mpf_fraction(hi)


def endpoints(x: mpmath.ctx_iv.ivmpf) -> tuple[mpmath.mpf, mpmath.mpf]:
    """The two ends of an interval as plain mpf numbers (comparable with floats)."""
    a, b = x._mpi_
    return mpmath.mpf(a), mpmath.mpf(b)


def to_mpf(x: Value) -> mpmath.mpf:
    """A Fraction as the nearest mpf, an interval as its midpoint (current mpmath precision)."""
    if isinstance(x, Fraction):
        return mpmath.mpf(x.numerator) / x.denominator
    lo, hi = endpoints(x)
    return (lo + hi) / 2


def _mpf_fraction(x: mpmath.mpf) -> Fraction:
    """The exact rational value of a finite mpf."""
    negative, man, exp, _ = x._mpf_
    value = Fraction(man << exp) if exp >= 0 else Fraction(man, 1 << -exp)
    return -value if negative else value


def sign(x: Value) -> int | None:
    """-1, 0 or +1 when certain, None when the interval straddles 0."""
    if isinstance(x, Fraction):
        return (x > 0) - (x < 0)
    lo, hi = endpoints(x)
    if lo > 0:
        return 1
    if hi < 0:
        return -1
    if lo == 0 and hi == 0:
        return 0
    return None


def _bits(x: Fraction) -> int:
    return max(x.numerator.bit_length(), x.denominator.bit_length())


def _fit(x: Fraction) -> Value:
    return x if _bits(x) <= MAX_EXACT_BITS else to_interval(x)


def _log2_magnitude(x: Value) -> float:
    """An upper estimate of log2|x| (0 for |x| <= 1)."""
    if isinstance(x, Fraction):
        if x == 0:
            return 0.0
        return max(0.0, float(x.numerator.bit_length() - x.denominator.bit_length() + 1))
    m = max(abs(e) for e in endpoints(x))
    if not mpmath.isfinite(m):
        raise TooLarge("an unbounded interval")
    return max(0.0, float(mpmath.log(m, 2))) if m > 1 else 0.0


def _exp(y: Value) -> Value:
    if isinstance(y, Fraction) and y == 0:
        return Fraction(1)
    yi = to_interval(y)
    lo, hi = endpoints(yi)
    if hi > MAX_LOG2 * _LN2 or lo < -MAX_LOG2 * _LN2:
        raise TooLarge(f"exp of a number beyond +-{MAX_LOG2} ln 2")
    return iv.exp(yi)


def _log(x: Value) -> Value:
    s = sign(x)
    if s is not None and s <= 0:
        raise Undefined(f"log of {'0' if s == 0 else 'a negative number'}")
    if s is None:
        raise Inconclusive("log of an interval containing 0")
    if isinstance(x, Fraction) and x == 1:
        return Fraction(0)
    return iv.log(to_interval(x))


def _exact_log(x: Fraction, base: Fraction) -> Fraction | None:
    """log_base(x) when it is rational (log(8, 2) = 3, log(1/9, 3) = -2), else None."""
    estimate = math.log(x.numerator) - math.log(x.denominator)
    estimate /= math.log(base.numerator) - math.log(base.denominator)
    r = Fraction(estimate).limit_denominator(64)
    if abs(r.numerator) > 4096:
        return None
    # base**r == x  <=>  base**p == x**q, checked exactly (sizes are small here)
    p, q = r.numerator, r.denominator
    if _bits(base) * abs(p) > MAX_EXACT_BITS or _bits(x) * q > MAX_EXACT_BITS:
        return None
    return r if base**p == x**q else None


def _int_root(n: int, q: int) -> int | None:
    """The exact integer q-th root of n >= 0, or None."""
    root, exact = integer_nthroot(n, q)
    return int(root) if exact else None


def _pow(b: Value, e: Value) -> Value:
    if isinstance(e, Fraction) and e.denominator == 1:
        n = e.numerator
        if isinstance(b, Fraction):
            if b == 0:
                if n < 0:
                    raise Undefined("0 to a negative power")
                return Fraction(int(n == 0))
            if abs(n) * _bits(b) <= MAX_EXACT_BITS:
                return b**n
        if _log2_magnitude(b) * abs(n) > MAX_LOG2 or abs(n) > MAX_LOG2:
            raise TooLarge(f"a power with exponent {n}")
        bi = to_interval(b)
        if n < 0 and sign(bi) is None:
            raise Inconclusive("a negative power of an interval containing 0")
        return bi**n
    s = sign(b)
    if s is not None and s < 0:
        raise Undefined("a negative number to a non-integer power")
    if s == 0:
        se = sign(e)
        if se is None:
            raise Inconclusive("0 to an interval exponent containing 0")
        if se <= 0:
            raise Undefined("0 to a non-positive power")
        return Fraction(0)
    if s is None:
        raise Inconclusive("a non-integer power of an interval containing 0")
    if isinstance(b, Fraction) and b == 1:
        return Fraction(1)
    if isinstance(b, Fraction) and isinstance(e, Fraction) and e.denominator <= 64:
        num = _int_root(b.numerator, e.denominator)
        den = _int_root(b.denominator, e.denominator)
        if num is not None and den is not None:
            return _pow(Fraction(num, den), Fraction(e.numerator))
    return _exp(_mul(e, _log(b)))


def _mul(a: Value, b: Value) -> Value:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return _fit(a * b)
    if (isinstance(a, Fraction) and a == 0) or (isinstance(b, Fraction) and b == 0):
        return Fraction(0)
    return to_interval(a) * to_interval(b)


def _div(a: Value, b: Value) -> Value:
    s = sign(b)
    if s == 0:
        raise Undefined("division by 0")
    if s is None:
        raise Inconclusive("division by an interval containing 0")
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return _fit(a / b)
    return to_interval(a) / to_interval(b)


def _add(a: Value, b: Value, negate: bool = False) -> Value:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return _fit(a - b if negate else a + b)
    ai, bi = to_interval(a), to_interval(b)
    return ai - bi if negate else ai + bi


def _gamma(x: Value) -> Value:
    xi = to_interval(x)
    lo, hi = endpoints(xi)
    if hi > _MAX_GAMMA_ARG:
        raise TooLarge(f"gamma of a number beyond {_MAX_GAMMA_ARG}")
    first_integer = mpmath.ceil(lo)
    if first_integer <= 0 and first_integer <= hi:  # a pole 0, -1, ... inside
        if isinstance(x, Fraction):
            raise Undefined("gamma at a non-positive integer")
        raise Inconclusive("gamma over an interval containing a pole")
    return iv.gamma(xi)


def _factorial(x: Value) -> Value:
    if isinstance(x, Fraction) and x.denominator == 1:
        if x < 0:
            raise Undefined("factorial of a negative integer")
        if x <= _MAX_EXACT_FACTORIAL:
            return _fit(Fraction(math.factorial(int(x))))
    return _gamma(_add(x, Fraction(1)))


def _binomial(n: Value, k: Value) -> Value:
    if isinstance(k, Fraction) and k.denominator == 1:
        kk = int(k)
        if kk < 0:
            return Fraction(0)
        if kk <= _MAX_EXACT_FACTORIAL:
            if isinstance(n, Fraction):
                if n.denominator == 1 and 0 <= n < k:
                    return Fraction(0)
                if _bits(n) * kk <= MAX_EXACT_BITS:
                    num = Fraction(1)
                    for i in range(kk):
                        num *= n - i
                    return _fit(num / math.factorial(kk))
            else:
                ni = to_interval(n)
                out = iv.mpf(1)
                for i in range(kk):
                    out *= ni - i
                return out / math.factorial(kk)
    # gamma form: n! / (k! (n-k)!), rigorous where no gamma argument nears a pole
    return _div(_factorial(n), _mul(_factorial(k), _factorial(_add(n, k, negate=True))))


def _minmax(values: list[Value], largest: bool) -> Value:
    best = values[0]
    for v in values[1:]:
        s = sign(_add(v, best, negate=True))
        if s is not None:
            if (s > 0) == largest and s != 0:
                best = v
            continue
        bi, vi = to_interval(best), to_interval(v)
        (b_lo, b_hi), (v_lo, v_hi) = endpoints(bi), endpoints(vi)
        lo = (max if largest else min)(b_lo, v_lo)
        hi = (max if largest else min)(b_hi, v_hi)
        best = iv.mpf([lo, hi])
    return best


def _abs(x: Value) -> Value:
    s = sign(x)
    if s is not None:
        return -x if s < 0 else x
    m = max(abs(e) for e in endpoints(x))
    return iv.mpf([0, m])


def _rounding(x: Value, up: bool) -> Value:
    f = math.ceil if up else math.floor
    if isinstance(x, Fraction):
        return Fraction(f(x))
    ends = endpoints(x)
    if not all(mpmath.isfinite(e) for e in ends):
        raise TooLarge("floor of an unbounded interval")
    if any(e and e._mpf_[2] + e._mpf_[3] > MAX_EXACT_BITS for e in ends):
        raise TooLarge("floor of a number beyond 2**65536")
    lo, hi = (int(mpmath.ceil(e) if up else mpmath.floor(e)) for e in ends)
    return Fraction(lo) if lo == hi else iv.mpf([lo, hi])


def _call(name: str, args: list[Value]) -> Value:
    if name == "log":
        if len(args) == 1:
            return _log(args[0])
        x, base = args
        sb = sign(_add(base, Fraction(1), negate=True))
        if sb == 0:
            raise Undefined("log to the base 1")
        if isinstance(x, Fraction) and isinstance(base, Fraction) and x > 0 and base > 0:
            exact = _exact_log(x, base)
            if exact is not None:
                return exact
        return _div(_log(x), _log(base))
    if name == "exp":
        return _exp(args[0])
    if name == "sqrt":
        return _pow(args[0], Fraction(1, 2))
    if name == "factorial":
        return _factorial(args[0])
    if name == "binomial":
        return _binomial(*args)
    if name == "Abs":
        return _abs(args[0])
    if name in ("Min", "Max"):
        return _minmax(args, largest=name == "Max")
    if name in ("floor", "ceiling"):
        return _rounding(args[0], up=name == "ceiling")
    raise ValueError(f"unknown function {name}")


def _eval(node: Node, point: Mapping[str, Value]) -> Value:
    op = node.op
    if op == "num":
        return node.value  # type: ignore[return-value]
    if op == "var":
        return point[node.value]  # type: ignore[index]
    if op == "const":
        return iv.e if node.value == "E" else iv.pi
    if op == "sum":
        return _sum(node, point)
    args = [_eval(a, point) for a in node.args]
    if op == "neg":
        x = args[0]
        return -x
    if op == "add":
        return _add(args[0], args[1])
    if op == "sub":
        return _add(args[0], args[1], negate=True)
    if op == "mul":
        return _mul(args[0], args[1])
    if op == "div":
        return _div(args[0], args[1])
    if op == "pow":
        return _pow(args[0], args[1])
    return _call(str(node.value), args)


def _sum(node: Node, point: Mapping[str, Value]) -> Value:
    body, lo_node, hi_node = node.args
    lo, hi = _eval(lo_node, point), _eval(hi_node, point)
    if not (isinstance(lo, Fraction) and isinstance(hi, Fraction)):
        raise Inconclusive("a Sum whose bounds are not known exactly")
    if lo.denominator != 1 or hi.denominator != 1:
        raise Undefined("a Sum with non-integer bounds")
    count = int(hi - lo) + 1
    if count > MAX_SUM_TERMS:
        raise TooLarge(f"a Sum of {count} terms (at most {MAX_SUM_TERMS})")
    inner = dict(point)
    total: Value = Fraction(0)
    for k in range(int(lo), int(hi) + 1):
        inner[str(node.value)] = Fraction(k)
        total = _add(total, _eval(body, inner))
    return total


def evaluate(node: Node, point: Mapping[str, Value], prec: int = 64) -> Value:
    """The value of a formula at a point (Fractions) or over a box (intervals), rigorously.

    Returns an exact Fraction when every step was exact, else an interval computed at
    ``prec`` bits that certainly contains the true value. Raises :class:`Undefined` outside
    the formula's domain, :class:`Inconclusive` when the intervals are too wide to go on, and
    :class:`TooLarge` beyond the size guards.
    """
    with working_precision(prec):
        try:
            return _eval(node, point)
        except (ZeroDivisionError, ValueError, OverflowError) as exc:
            raise Inconclusive(f"interval arithmetic failed: {type(exc).__name__}") from None


@contextmanager
def working_precision(prec: int) -> Iterator[None]:
    """Run interval arithmetic at ``prec`` bits inside the block (mpmath's iv has no workprec)."""
    saved, iv.prec = iv.prec, prec
    try:
        yield
    finally:
        iv.prec = saved


# ---------------------------------------------------------------------------------------------
# The fast float evaluator of the search.

Vector = Callable[[Mapping[str, np.ndarray]], np.ndarray]


def _vector_call(name: str, fs: list[Vector]) -> Vector:
    if name == "log":
        if len(fs) == 1:
            return lambda p: np.log(fs[0](p))
        return lambda p: np.log(fs[0](p)) / np.log(fs[1](p))
    simple = {
        "exp": np.exp,
        "sqrt": np.sqrt,
        "Abs": np.abs,
        "floor": np.floor,
        "ceiling": np.ceil,
        "factorial": lambda x: special.gamma(x + 1.0),
    }
    if name in simple:
        g, f = simple[name], fs[0]
        return lambda p: g(f(p))
    if name == "binomial":
        return lambda p: special.binom(fs[0](p), fs[1](p))
    reduce = np.minimum.reduce if name == "Min" else np.maximum.reduce
    return lambda p: reduce([f(p) for f in fs])


def compile_vector(node: Node) -> Vector:
    """A numpy function of ``{name: array}`` evaluating the formula in float64 (nan if undefined).

    >>> from proofs.grammar import parse_expression
    >>> f = compile_vector(parse_expression("x**2 - log(x)", {"x"}))
    >>> f({"x": np.array([1.0, -1.0])})
    array([ 1., nan])
    """
    f = _compile(node)

    def run(p: Mapping[str, np.ndarray]) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(f(p), dtype=float)

    return run


def _compile(node: Node) -> Vector:
    op = node.op
    if op == "num":
        c = float(node.value) if abs(node.value) < 1e308 else math.inf  # type: ignore[arg-type]
        return lambda p: np.full(_size(p), c)
    if op == "var":
        name = node.value
        return lambda p: p[name]  # type: ignore[index]
    if op == "const":
        c = math.e if node.value == "E" else math.pi
        return lambda p: np.full(_size(p), c)
    if op == "sum":
        return _vector_sum(node)
    fs = [_compile(a) for a in node.args]
    if op == "neg":
        return lambda p: -fs[0](p)
    binary = {
        "add": np.add,
        "sub": np.subtract,
        "mul": np.multiply,
        "div": np.divide,
        "pow": _float_pow,
    }
    if op in binary:
        g, fa, fb = binary[op], fs[0], fs[1]
        return lambda p: g(fa(p), fb(p))
    return _vector_call(str(node.value), fs)


def _float_pow(b: np.ndarray, e: np.ndarray) -> np.ndarray:
    out = np.power(b, e)
    return np.where((b == 0) & (e < 0), np.nan, out)


def _size(p: Mapping[str, np.ndarray]) -> int:
    return len(next(iter(p.values()))) if p else 1


def _vector_sum(node: Node) -> Vector:
    body, lo_node, hi_node = node.args
    fb, flo, fhi = _compile(body), _compile(lo_node), _compile(hi_node)
    index = str(node.value)

    def run(p: Mapping[str, np.ndarray]) -> np.ndarray:
        lo, hi = flo(p), fhi(p)
        ok = np.isfinite(lo) & np.isfinite(hi) & (lo == np.round(lo)) & (hi == np.round(hi))
        total = np.where(ok, 0.0, np.nan)
        if not ok.any():
            return total
        start, stop = int(lo[ok].min()), int(hi[ok].max())
        if stop - start + 1 > MAX_SUM_TERMS:
            return np.full(len(lo), np.nan)
        inner = dict(p)
        for k in range(start, stop + 1):
            inner[index] = np.full(len(lo), float(k))
            term = fb(inner)
            active = ok & (lo <= k) & (k <= hi)
            total = total + np.where(active, term, 0.0)
        return total

    return run


def check_constants(node: Node, what: str = "expression") -> None:
    """Evaluate every maximal constant sub-expression once, under the size guards: one clear
    InputError for a constant that is too large or undefined (``10**10**10**10``,
    ``factorial(-3)``). Claims are checked so inside their time-limited child process.

    >>> from proofs.grammar import parse_expression
    >>> check_constants(parse_expression("factorial(-3) + x", {"x"}))
    Traceback (most recent call last):
    ...
    solvers.numbers.InputError: expression: the constant factorial(-3) is undefined: factorial of a negative integer
    """
    if free_names(node):
        for child in node.args:
            if isinstance(child, Node):
                check_constants(child, what)
        return
    try:
        evaluate(node, {}, prec=64)
    except TooLarge as exc:
        raise InputError(f"{what}: the constant {to_text(node)[:60]} is too large: {exc}") from None
    except Undefined as exc:
        raise InputError(f"{what}: the constant {to_text(node)[:60]} is undefined: {exc}") from None
    except ArithmeticError:
        pass
