"""proofs/: the claim language, the rigorous evaluator, the search, the provers, the seed claims."""

from __future__ import annotations

import math
import re
import time
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs.check import check_point, decide
from proofs.claims import Claim, claims_from_data
from proofs.engine import PhaseTimeout, _base, audit_claim, run_isolated, time_box
from proofs.evaluate import (
    Inconclusive,
    TooLarge,
    Undefined,
    compile_vector,
    endpoints,
    evaluate,
)
from proofs.grammar import parse_expression, parse_relation, to_text
from proofs.lueker import f, recursion_counterexample, recursion_rhs
from proofs.prove import (
    Proof,
    Refutation,
    domain_hull,
    exhaustive_proof,
    interval_proof,
    symbolic_proof,
)
from proofs.search import Budget, search_counterexample
from proofs.seed import Derivation, StepFailed, audit_seed, seed_claims
from solvers.numbers import InputError

NAMES = {"x", "y", "n", "k"}


def ev(text: str, **point: object) -> object:
    values = {k: Fraction(v) for k, v in point.items()}
    return evaluate(parse_expression(text, set(point)), values)


# -- the claim language ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "x**2 - 2*x + 1",
        "-(x - y)**2/(2*k)",
        "log(x, 2) + exp(-x)",
        "Sum(1/j**2, (j, 1, n))",
        "Max(x, y, 0) - Abs(x)",
        "binomial(n, k)*factorial(k)",
        "2**-x",
        "(-x)**3",
        "x/(y/n)",
    ],
)
def test_printing_round_trips(text: str) -> None:
    node = parse_expression(text, NAMES)
    assert parse_expression(to_text(node), NAMES) == node


def test_literals_are_the_decimals_written() -> None:
    assert ev("0.1") == Fraction(1, 10)
    assert ev("1e-25 + 3") == Fraction(3) + Fraction(1, 10**25)
    assert ev("1_000.5") == Fraction(2001, 2)


def test_aliases_and_relation() -> None:
    rel = parse_relation("abs(x) >= min(x, y)", NAMES)
    assert rel.op == ">=" and to_text(rel.lhs) == "Abs(x)" and to_text(rel.rhs) == "Min(x, y)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os').system('ls')", "a call of an attribute is not allowed"),
        ("eval('1')", "the function 'eval' is not allowed"),
        ("x.__class__", "Attribute is not allowed"),
        ("x if y else n", "IfExp is not allowed"),
        ("x ^ 2", "write **"),
        ("'s'", "is not a real number"),
        ("1j", "is not a real number"),
        ("e*x", "write E for Euler's number"),
        ("z + 1", "unknown name 'z'"),
        ("log", "is a function"),
        ("log(x, 2, 3)", "log() takes 1 to 2 arguments"),
        ("Sum(k, (x, 1, 3))", "already a variable"),
        ("1e-5000", "beyond 1e+-1000"),
        ("x < y", "a relation is allowed only once"),
    ],
)
def test_refused_formulas(text: str, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        parse_expression(text, NAMES)


@pytest.mark.parametrize("text, message", [("10**10**10**10", "too large"),
                                           ("factorial(-3)", "undefined")])
def test_refused_constants(text: str, message: str) -> None:
    from proofs.evaluate import check_constants

    node = parse_expression(text, NAMES)  # parsing never evaluates
    with pytest.raises(InputError, match=re.escape(message)):
        check_constants(node)


def test_refusals_are_fast() -> None:
    t0 = time.monotonic()
    for text in [
        "10**10**10**10",
        "9**9**9**9**9",
        "exp(exp(exp(exp(10))))",
        "2**2**2**2**2**2**2",
    ]:
        from proofs.evaluate import check_constants

        with pytest.raises(InputError):
            check_constants(parse_expression(text, set()))
    assert time.monotonic() - t0 < 30  # a guard against a hang, not a benchmark


# -- the rigorous evaluator --------------------------------------------------------------------


def test_exact_values() -> None:
    assert ev("binomial(n, 3)", n="1/2") == Fraction(1, 16)  # generalized binomial
    assert ev("binomial(5, -1) + binomial(3, 5)") == 0
    assert ev("log(1/27, 3)") == -3 and ev("log(8, 4)") == Fraction(3, 2)
    assert ev("sqrt(9/4) + 8**(2/3)") == Fraction(11, 2)
    assert ev("floor(-7/2) + ceiling(7/2)") == 0
    assert ev("Max(x, 1/3) + Min(x, 1/3)", x="1/7") == Fraction(1, 7) + Fraction(1, 3)
    assert ev("Sum(1/k**2, (k, 1, 4))") == Fraction(205, 144)
    assert ev("exp(0) + log(1) + factorial(5)") == 121


@pytest.mark.parametrize(
    ("text", "true"),
    [
        ("E", lambda: mpmath.e),
        ("pi - 3", lambda: mpmath.pi - 3),
        ("log(2)", lambda: mpmath.log(2)),
        ("sqrt(2)", lambda: mpmath.sqrt(2)),
        ("exp(1/3)", lambda: mpmath.exp(mpmath.mpf(1) / 3)),
        ("factorial(1/2)", lambda: mpmath.gamma(mpmath.mpf(3) / 2)),
        ("binomial(5/2, 1/2)", lambda: mpmath.binomial(mpmath.mpf(5) / 2, mpmath.mpf(1) / 2)),
        ("2**(1/3)*3**(1/2)", lambda: mpmath.cbrt(2) * mpmath.sqrt(3)),
    ],
)
def test_intervals_contain_the_true_value(text: str, true: object) -> None:
    v = ev(text)
    with mpmath.workdps(60):
        lo, hi = endpoints(v)
        assert lo <= true() <= hi and hi - lo < 1e-15  # type: ignore[operator]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("log(x - 3)", Undefined),
        ("log(-x)", Undefined),
        ("1/(x - 3)", Undefined),
        ("(-x)**(1/3)", Undefined),
        ("factorial(-x)", Undefined),
        ("Sum(k, (k, 1, x/2))", Undefined),
        ("log(x, x - 2)", Undefined),
        ("exp(x*10**9)", TooLarge),
        ("x**(10**9)", TooLarge),
        ("Sum(k, (k, 1, x*10**9))", TooLarge),
    ],
)
def test_undefined_and_too_large(text: str, error: type) -> None:
    with pytest.raises(error):
        evaluate(parse_expression(text, {"x"}), {"x": Fraction(3)})


def test_boxes_give_enclosures_or_inconclusive() -> None:
    from mpmath import iv

    box = {"x": iv.mpf([1, 2])}
    lo, hi = endpoints(evaluate(parse_expression("x**2 - x", {"x"}), box))
    assert lo <= 0 and hi >= 2
    with pytest.raises(Inconclusive):
        evaluate(parse_expression("1/(x - 3/2)", {"x"}), box)


@settings(max_examples=60, deadline=None)
@given(
    x=st.fractions(min_value=Fraction(1, 100), max_value=10, max_denominator=1000),
    n=st.integers(1, 30),
)
def test_float_evaluator_agrees_with_the_rigorous_one(x: Fraction, n: int) -> None:
    text = "binomial(n, 2)*x**2 - log(x, 2) + sqrt(x)*exp(-x) + floor(x) + Sum(1/k, (k, 1, n))"
    node = parse_expression(text, {"x", "n"})
    fast = compile_vector(node)({"x": np.array([float(x)]), "n": np.array([float(n)])})[0]
    lo, hi = endpoints(evaluate(node, {"x": x, "n": Fraction(n)}, 128) * 1)
    assert math.isclose(fast, float((lo + hi) / 2), rel_tol=1e-9, abs_tol=1e-9)


# -- the rigorous point check ------------------------------------------------------------------


def test_decide() -> None:
    assert decide("<=", Fraction(0)) == "holds" and decide("<", Fraction(0)) == "violated"
    assert decide("==", Fraction(0)) == "holds" and decide(">", Fraction(-1)) == "violated"


@pytest.mark.parametrize(
    ("statement", "point", "status"),
    [
        ("x*(1 - x) <= 1/4", {"x": "1/2"}, "holds"),  # tight: never refuted by rounding
        ("x**2 > 0", {"x": "0"}, "violated"),
        ("log(x**2) == 2*log(x)", {"x": "3/2"}, "inconclusive"),  # intervals cannot show equality
        ("exp(x) >= 1 + x", {"x": "1e-30"}, "holds"),  # needs more than 53 bits
        ("log(x) <= x", {"x": "-1"}, "undefined"),
        ("x <= 1", {"x": "3"}, "outside"),
    ],
)
def test_check_point(statement: str, point: dict, status: str) -> None:
    claim = Claim.create("c", statement, {"x": {"min": -2, "max": 2}})
    assert check_point(claim, {k: Fraction(v) for k, v in point.items()}).status == status


# -- the search -------------------------------------------------------------------------------


@settings(max_examples=12, deadline=None)
@given(c=st.fractions(min_value=Fraction(1, 10), max_value=Fraction(9, 10), max_denominator=97))
def test_tight_true_claims_are_never_refuted(c: Fraction) -> None:
    claim = Claim.create("tight", f"(x - {c})**2 >= 0", {"x": {"min": 0, "max": 1}})
    out = search_counterexample(claim, Budget(points=1500, descent_iterations=60), seed=1)
    assert out.counterexample is None and out.rechecked > 0  # the ascent reached the tight point
    strict = Claim.create("strict", f"(x - {c})**2 > 0", {"x": {"min": 0, "max": 1}})
    assert search_counterexample(strict, Budget(points=1500), seed=1).counterexample == {"x": c}


@pytest.mark.parametrize("centre", ["0.123456789", "0.5", "0.987654321"])
def test_a_violation_on_an_interval_of_width_1e6_is_found(centre: str) -> None:
    claim = Claim.create("w", f"Abs(x - {centre}) >= 1/2000000", {"x": {"min": 0, "max": 1}})
    out = search_counterexample(claim, Budget(points=3000), seed=0)
    assert out.counterexample is not None
    assert abs(out.counterexample["x"] - Fraction(centre)) < Fraction(1, 2000000)


def test_integer_and_dependent_bounds() -> None:
    claim = Claim.create(
        "binomial",
        "binomial(n, k) <= 2**(n - 2)",
        {
            "n": {"type": "integer", "min": 1, "max": 30},
            "k": {"type": "integer", "min": 0, "max": "n"},
        },
    )
    point = search_counterexample(claim, Budget(points=3000), seed=0).counterexample
    assert point is not None and 0 <= point["k"] <= point["n"] and point["n"].denominator == 1
    assert check_point(claim, point).status == "violated"
    assert point["n"] <= 2  # binomial(n, k) <= 2**(n - 2) fails only for n <= 2


def test_premises_restrict_the_domain() -> None:
    claim = Claim.create("p", "x >= 1", {"x": {"min": -5, "max": 5}}, assume=["x**2 >= 1", "x > 0"])
    assert search_counterexample(claim, Budget(points=3000)).counterexample is None


# -- the provers ------------------------------------------------------------------------------


def test_symbolic_and_certificate_proofs() -> None:
    eq = Claim.create("eq", "log(x**3*y) == 3*log(x) + log(y)", {"x": {"min": 1}, "y": {"min": 1}})
    assert symbolic_proof(eq).steps[-1].endswith(": 0")
    poly = Claim.create("poly", "x**3 + 2 >= 3*x", {"x": {"min": 0, "max": 5}})
    proof = symbolic_proof(poly)
    assert isinstance(proof, Proof)
    false = Claim.create("false", "x**3 + 1 >= 3*x", {"x": {"min": 0, "max": 5}})
    assert symbolic_proof(false) is None


def test_exhaustive_and_interval_proofs() -> None:
    ints = {"n": {"type": "integer", "min": 1, "max": 60}}
    assert exhaustive_proof(Claim.create("a", "2**n >= n + 1", ints), 100).method == "exhaustive"
    bad = exhaustive_proof(Claim.create("b", "2**n >= n**2", ints), 100)
    assert isinstance(bad, Refutation) and bad.point == {"n": Fraction(3)}
    assert exhaustive_proof(Claim.create("c", "2**n >= n", ints), 10) is None  # over the limit
    box = Claim.create("d", "exp(x) > x + 1/2", {"x": {"min": -3, "max": 3}})
    assert interval_proof(box).method == "interval branch-and-bound"
    assert (
        interval_proof(Claim.create("e", "exp(x) >= x + 1", {"x": {"min": -3, "max": 3}}), 300)
        is None
    )


def test_hull_uses_bounds_and_constant_premises() -> None:
    c = Claim.create(
        "h",
        "y <= x",
        {"x": {"min": 1, "max": 4}, "y": {"min": "x/2", "max": "x"}},
        assume=["x >= 2"],
    )
    assert domain_hull(c) == {"x": (2, 4), "y": (1, 4)}  # y >= x/2 >= 1 once x >= 2


def test_engine_verdicts_and_conflicting_proof() -> None:
    false = Claim.create("f", "x <= 1/2", {"x": {"min": 0, "max": 1}})
    bogus = Proof("bogus", ["trust me"])
    r = audit_claim(false, time_limit=5, proof=bogus)
    assert r.verdict == "refuted" and "overrules a bogus proof" in r.reason
    nowhere = Claim.create("n", "log(x) <= 0", {"x": {"min": -3, "max": -1}})
    assert audit_claim(nowhere, time_limit=3).verdict == "unchecked"


def test_time_box_and_isolation() -> None:
    with pytest.raises(PhaseTimeout):
        with time_box(0.2):
            while True:
                pass
    claim = Claim.create("slow", "x <= 1", {"x": {"min": 0, "max": 1}})

    def runaway():  # noqa: ANN202
        time.sleep(60)

    r = run_isolated(runaway, 0.5, _base(claim), grace=0.5)
    assert r.verdict == "unchecked" and "killed after" in r.reason

    def crash():  # noqa: ANN202
        raise RuntimeError("boom")

    r = run_isolated(crash, 5, _base(claim))
    assert r.verdict == "unchecked" and "RuntimeError: boom" in r.reason


def test_claim_files_are_validated() -> None:
    with pytest.raises(InputError, match="unknown keys"):
        claims_from_data({"claim": [{"name": "a", "statement": "1 <= 2", "proof": "x"}]})
    with pytest.raises(InputError, match="two claims are named"):
        claims_from_data({"claim": [{"name": "a", "statement": "1 <= 2"}] * 2})
    with pytest.raises(InputError, match="min 2 > max 1"):
        Claim.create("a", "x <= 1", {"x": {"min": 2, "max": 1}})


# -- the seed slides --------------------------------------------------------------------------


def test_seed_claims_are_well_formed() -> None:
    claims = seed_claims()
    assert len({c.name for c in claims}) == len(claims) >= 30
    assert all(c.slide and c.claim.relation for c in claims)


def test_derivation_refuses_a_wrong_step() -> None:
    import sympy

    x = sympy.Symbol("x", positive=True)
    d = Derivation()
    d.equal("fine", sympy.log(x**2), 2 * sympy.log(x))
    with pytest.raises(StepFailed):
        d.equal("wrong", sympy.log(x + 1), sympy.log(x) + 1)


def test_lueker_recursion_counterexample_is_exact() -> None:
    xs, eps, z = recursion_counterexample()
    assert f(xs, eps, z) == 1 and recursion_rhs(xs[:-1], xs[-1], eps, z) == 0
    assert not -1 <= z - xs[-1] <= 1  # the sum leaves [-1, 1] on the way


def test_selected_seed_verdicts() -> None:
    names = [
        "edge-error-strict",
        "union-bound-layer",
        "mrss-upper-exponent",
        "mrss-lower-sum-bound",
        "second-moment",
        "lueker-f-recursion",
        "lueker-expectation",
    ]
    got = {r.name: r for r in audit_seed(time_limit=6, names=names)}
    assert {n: got[n].verdict for n in names} == {
        "edge-error-strict": "refuted",
        "union-bound-layer": "proved",
        "mrss-upper-exponent": "refuted",
        "mrss-lower-sum-bound": "refuted",
        "second-moment": "proved",
        "lueker-f-recursion": "refuted",
        "lueker-expectation": "checked",
    }
    assert got["edge-error-strict"].counterexample["x"] == "0"
    assert got["mrss-upper-exponent"].counterexample == {
        "C": "8",
        "d": "256",
        "eps": "1/2",
        "n": "2048",
    }
    assert got["mrss-upper-exponent"].values["lhs"] == "-512"
    # the sum bound, re-checked independently at 60 digits
    point = {
        k: int(Fraction(v)) if k != "eps" else Fraction(v)
        for k, v in got["mrss-lower-sum-bound"].counterexample.items()
    }
    n, d, e = point["n"], point["d"], mpmath.mpf(point["eps"].numerator) / point["eps"].denominator
    with mpmath.workdps(60):
        lhs = mpmath.fsum(
            (mpmath.e * n / k) ** k * (e / mpmath.sqrt(k)) ** d for k in range(1, n + 1)
        )
        rhs = n * mpmath.power(
            2,
            n / 2 * mpmath.log(2 * mpmath.e, 2)
            - d * mpmath.log(1 / e, 2)
            - d / 2 * mpmath.log(n / 2, 2),
        )
        assert lhs > rhs
    assert all(s.startswith(("[sympy]", "[argument]")) for s in got["union-bound-layer"].steps)
