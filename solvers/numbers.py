"""Exact rationals: parsing user numbers, exact float conversion, common integer scaling.

Every number a user gives is an exact rational (the exactness contract):

- a Python/numpy float, or a JSON number, is the IEEE double it denotes, converted exactly;
- a string holds an exact decimal or fraction: ``"0.1"``, ``"1e-25"``, ``"-3/7"``;
- ints and Fractions are taken as they are.

Examples
--------
>>> to_fraction(0.1)
Fraction(3602879701896397, 36028797018963968)
>>> to_fraction("0.1")
Fraction(1, 10)
>>> to_fraction("-3/7")
Fraction(-3, 7)
>>> common_scale([Fraction(1, 2), Fraction(1, 3)])
6
>>> fraction_str(Fraction(-3, 7)), fraction_str(Fraction(2))
('-3/7', '2')
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral, Rational

import numpy as np

__all__ = [
    "InputError",
    "to_fraction",
    "to_fractions",
    "fraction_str",
    "nearest_float",
    "short_str",
    "MAX_TIME_LIMIT",
    "parse_fraction_str",
    "common_scale",
    "scale_to_int",
    "INT64_SAFE",
    "check_time_limit",
    "check_eps",
    "check_count",
    "check_workers",
    "check_seed",
    "MAX_EXACT_DIGITS",
    "check_exact_size",
    "IntegerScaling",
    "integer_scaling",
]

#: Largest magnitude an int64 intermediate may reach in our engines (headroom below 2**63).
INT64_SAFE = 2**62

# Exact decimal (with optional exponent) or a fraction of two integers; nothing else.
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_RATIO = re.compile(r"[+-]?\d+\s*/\s*[+-]?\d+")
_MAX_STR = 4096
_MAX_EXP = 4000  # 10^4000 still prints within Python's 4300-digit int-to-str limit


class InputError(ValueError):
    """Bad user input; the message is one line naming the parameter, the value and the fix."""


def parse_fraction_str(text: str, name: str = "value") -> Fraction:
    """Parse an exact decimal or fraction string ("0.1", "1e-25", "-3/7") into a Fraction.

    Raises :class:`InputError` for anything else (no ``eval``, no float round trip).

    >>> parse_fraction_str("1e-25")
    Fraction(1, 10000000000000000000000000)
    >>> parse_fraction_str("abc")
    Traceback (most recent call last):
    ...
    solvers.numbers.InputError: value is 'abc': expected a finite decimal like "0.1" or a fraction like "-3/7"
    """
    s = text.strip()
    if len(s) > _MAX_STR:
        raise InputError(f"{name} is a string of {len(s)} characters: at most {_MAX_STR} allowed")
    if _RATIO.fullmatch(s):
        num, den = (int(p) for p in s.split("/"))
        if den == 0:
            raise InputError(f"{name} is {text!r}: the denominator is zero")
        return Fraction(num, den)
    m = _DECIMAL.fullmatch(s)
    if m:
        if m.group(2) and abs(int(m.group(2)[1:])) > _MAX_EXP:
            raise InputError(f"{name} is {text!r}: the exponent is beyond +-{_MAX_EXP}")
        return Fraction(s)
    raise InputError(
        f'{name} is {text!r}: expected a finite decimal like "0.1" or a fraction like "-3/7"'
    )


def to_fraction(x: object, name: str = "value") -> Fraction:
    """Convert one user number to the exact Fraction it denotes (see the module docstring)."""
    if isinstance(x, bool):
        raise InputError(f"{name} is {x!r}: expected a number, not a boolean")
    if isinstance(x, Fraction):
        return x
    if isinstance(x, Integral):
        return Fraction(int(x))
    if isinstance(x, Rational):
        return Fraction(int(x.numerator), int(x.denominator))
    if isinstance(x, (float, np.floating)):
        xf = float(x)
        if not math.isfinite(xf):
            raise InputError(f"{name} is {xf}: every value must be a finite number")
        return Fraction(xf)
    if isinstance(x, str):
        return parse_fraction_str(x, name)
    raise InputError(f"{name} is {x!r} of type {type(x).__name__}: expected a number or a string")


def to_fractions(xs: Iterable[object], name: str = "values") -> list[Fraction]:
    """Convert a sequence of user numbers; the error names the index (``values[3]``)."""
    if isinstance(xs, np.ndarray):
        if xs.ndim != 1:
            raise InputError(f"{name} has shape {xs.shape}: expected a 1-D list of numbers")
        xs = xs.tolist()
    if isinstance(xs, (str, bytes)) or not isinstance(xs, Iterable):
        raise InputError(f"{name} is {xs!r}: expected a list of numbers")
    return [to_fraction(x, f"{name}[{i}]") for i, x in enumerate(xs)]


def fraction_str(x: Fraction) -> str:
    """The exact string form "p/q" (or "p" for integers) of a Fraction."""
    return str(Fraction(x))


def nearest_float(x: Fraction) -> float:
    """The double nearest to x for display, +-inf beyond the doubles (exact values stay exact).

    >>> nearest_float(Fraction(1, 3)), nearest_float(Fraction(10**400))
    (0.3333333333333333, inf)
    """
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


def short_str(x: Fraction) -> str:
    """A short decimal form of an exact number for tables and labels: ``format(float, "g")``
    where the double is faithful, scientific notation from the exact value beyond the doubles
    (where :func:`nearest_float` would print 0 or inf).

    >>> short_str(Fraction(1, 3)), short_str(Fraction(1, 10**400)), short_str(Fraction(-3 * 10**500))
    ('0.333333', '1e-400', '-3e+500')
    """
    x = Fraction(x)
    f = nearest_float(x)
    if x == 0 or (f != 0 and math.isfinite(f) and abs(f) >= sys.float_info.min):
        return format(f, "g")
    a = abs(x)
    e = math.floor((a.numerator.bit_length() - a.denominator.bit_length()) * math.log10(2))
    m = a / Fraction(10) ** e
    while m >= 10:
        m, e = m / 10, e + 1
    while m < 1:
        m, e = m * 10, e - 1
    return f"{'-' if x < 0 else ''}{float(m):g}e{e:+d}"


def common_scale(xs: Iterable[Fraction]) -> int:
    """The least common multiple of the denominators: the smallest S with S*x integral for all x."""
    s = 1
    for x in xs:
        s = math.lcm(s, x.denominator)
    return s


def scale_to_int(xs: Sequence[Fraction], scale: int) -> list[int]:
    """Exact integers ``scale * x`` (``scale`` must be a multiple of every denominator)."""
    out = []
    for x in xs:
        q, r = divmod(x.numerator * scale, x.denominator)
        if r:
            raise ValueError(f"scale {scale} does not clear the denominator of {x}")
        out.append(q)
    return out


# --- validators shared by every solver and command: one wording per parameter -----------------


#: The longest time limit accepted: a week (the OS timers that enforce it overflow far beyond).
MAX_TIME_LIMIT = 7 * 24 * 3600


def check_time_limit(time_limit: object, name: str = "time_limit") -> float | None:
    """None, or a finite number of seconds >= 0 (every solver's ``time_limit``).

    ``0`` is allowed: the solver returns what it has at once, as ``feasible`` at best.

    >>> check_time_limit(2), check_time_limit(np.int64(5)), check_time_limit(None)
    (2.0, 5.0, None)
    """
    if time_limit is None:
        return None
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float, np.integer,
                                                                   np.floating)):
        raise InputError(f"{name} is {time_limit!r}: expected a number of seconds >= 0")
    if not math.isfinite(time_limit) or not 0 <= time_limit <= MAX_TIME_LIMIT:
        raise InputError(f"{name} is {time_limit}: expected seconds between 0 and "
                         f"{MAX_TIME_LIMIT} (a week; omit it for no limit)")
    return float(time_limit)


def check_eps(eps: object, *, positive: bool = False, name: str = "eps") -> Fraction:
    """The exact tolerance ``eps`` (>= 0, or > 0 with ``positive``), or one clear InputError.

    >>> check_eps("1e-3"), check_eps(0)
    (Fraction(1, 1000), Fraction(0, 1))
    >>> check_eps(0, positive=True)
    Traceback (most recent call last):
    ...
    solvers.numbers.InputError: eps is 0: expected a number > 0
    """
    e = to_fraction(eps, name)
    if e < 0 or (positive and e == 0):
        raise InputError(f"{name} is {fraction_str(e)}: expected a number {'>' if positive else '>='} 0")
    return e


def check_count(k: object, name: str, n: int) -> int | None:
    """None, or a subset size between 0 and n (``cardinality``, ``max_cardinality``).

    >>> check_count(np.int64(2), "cardinality", 3)
    2
    """
    if k is None:
        return None
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise InputError(f"{name} is {k!r}: expected an integer between 0 and n = {n}")
    if not 0 <= int(k) <= n:
        raise InputError(f"{name} is {k}: must be between 0 and n = {n}")
    return int(k)


def check_workers(workers: object, name: str = "workers") -> int:
    """A number of parallel workers (processes or solver threads): an integer >= 1.

    >>> check_workers(2)
    2
    """
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise InputError(f"{name} is {workers!r}: expected an integer >= 1")
    return int(workers)


def check_seed(seed: object, name: str = "seed") -> int:
    """A random seed: an integer in [0, 2^63) (numpy refuses negative seeds).

    >>> check_seed(0)
    0
    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    solvers.numbers.InputError: seed is -1: expected an integer between 0 and 2^63 - 1
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not \
            0 <= int(seed) < 2**63:
        raise InputError(f"{name} is {seed!r}: expected an integer between 0 and 2^63 - 1")
    return int(seed)


#: Exact results (a subset's sum, an error) of one problem's numbers are kept within this many
#: decimal digits, so that they print (Python's int-to-str limit is 4300 digits).
MAX_EXACT_DIGITS = 4200


def check_exact_size(xs: Iterable[Fraction], name: str = "values") -> None:
    """Refuse numbers whose exact sums need integers of more than :data:`MAX_EXACT_DIGITS`
    digits: the common denominator times the sum of the magnitudes (stops early, so thousands
    of long fractions cost no more than the refusal).

    >>> check_exact_size([Fraction(1, 3), Fraction(1, 10**400)])
    >>> check_exact_size([Fraction(1, 10**999 + k) for k in range(9)])
    Traceback (most recent call last):
    ...
    solvers.numbers.InputError: values need integers of more than 4200 digits for their exact sums (a common denominator of 4994 digits or more): use numbers with fewer digits
    """
    limit = int(MAX_EXACT_DIGITS * math.log2(10))
    scale, total = 1, Fraction(0)
    for x in xs:
        scale = math.lcm(scale, x.denominator)
        total += abs(x)
        size = scale.bit_length() + max(total.numerator.bit_length() -
                                        total.denominator.bit_length() + 1, 0)
        if size > limit:
            raise InputError(
                f"{name} need integers of more than {MAX_EXACT_DIGITS} digits for their exact "
                f"sums (a common denominator of {int(scale.bit_length() / math.log2(10))} "
                "digits or more): use numbers with fewer digits")


# --- exact integer scaling of vectors (d-dimensional engines) ---------------------------------


@dataclass(frozen=True)
class IntegerScaling:
    """Vectors and targets as integers: ``exact = scale * x`` and ``rounded = floor(exact / 2^shift)``.

    Distances computed on the rounded integers are within ``slack`` (strictly) of the exact
    distance measured in units of ``unit = 2^shift / scale``; ``slack == 0`` when ``shift == 0``.
    """

    rounded: np.ndarray
    rounded_targets: np.ndarray
    exact: tuple[tuple[int, ...], ...]
    exact_targets: tuple[tuple[int, ...], ...]
    scale: int
    shift: int
    slack: int

    @property
    def unit(self) -> Fraction:
        return Fraction(2**self.shift, self.scale)


def integer_scaling(
    vectors: Sequence[Sequence[Fraction]],
    targets: Sequence[Sequence[Fraction]],
    norm: str,
    limit: int = 2**61,
) -> IntegerScaling:
    """Scale exactly to integers and pick the smallest shift keeping ``2 d (M + n + 1) <= limit``.

    M bounds every coordinate of every partial sum and query (the targets plus the sum of the
    largest coordinates). With floor rounding each coordinate of ``z - sum_S X`` moves by less
    than ``max(|S|, 1) <= n`` units, so a distance moves by less than n (inf) or d n (1-norm).

    >>> s = integer_scaling([[Fraction(1, 2)], [Fraction(1, 3)]], [[Fraction(1)]], "inf")
    >>> s.scale, s.shift, s.rounded.tolist(), s.slack
    (6, 0, [[3], [2]], 0)
    """
    n, d = len(vectors), len(vectors[0])
    scale = common_scale([x for v in (*vectors, *targets) for x in v])
    exact = tuple(tuple(x.numerator * (scale // x.denominator) for x in v) for v in vectors)
    exact_t = tuple(tuple(x.numerator * (scale // x.denominator) for x in t) for t in targets)
    bound = max((abs(x) for t in exact_t for x in t), default=0)
    bound += sum(max(abs(x) for x in v) for v in exact)
    shift = max(0, bound.bit_length() - (limit // (2 * d)).bit_length())
    while shift > 0 and 2 * d * (-(-bound >> (shift - 1)) + n + 1) <= limit:
        shift -= 1
    while 2 * d * (-(-bound >> shift) + n + 1) > limit:
        shift += 1
    rounded = np.array([[x >> shift for x in v] for v in exact], dtype=np.int64).reshape(n, d)
    rounded_t = np.array([[x >> shift for x in t] for t in exact_t], dtype=np.int64)
    slack = 0 if shift == 0 else n * (d if norm == "1" else 1)
    return IntegerScaling(rounded, rounded_t.reshape(len(targets), d), exact, exact_t, scale,
                          shift, slack)
