"""Audit claims from Python: prove, refute or check, then re-check a counterexample yourself.

Run: python examples/audit_claims.py
"""

from fractions import Fraction

from proofs.check import check_point
from proofs.claims import Claim
from proofs.engine import audit_claims

claims = [
    # Lueker's bound on the failure probability: n >= 2a makes it at most exp(-n/16)
    Claim.create(
        "lueker-decay",
        "exp(-(n - a)**2/(4*n)) <= exp(-n/16)",
        {"a": {"min": 0, "max": 100}, "n": {"min": "1/10", "max": 1000}},
        assume=["n >= 2*a"],
    ),
    # C(n, k) <= (n/k)^k is false without the factor e
    Claim.create(
        "binomial-without-e",
        "binomial(n, k) <= (n/k)**k",
        {
            "n": {"type": "integer", "min": 1, "max": 50},
            "k": {"type": "integer", "min": 1, "max": "n"},
        },
    ),
    # a violation only on an interval of width 1e-6
    Claim.create("narrow", "Abs(x - 1/3) >= 1/2000000", {"x": {"min": 0, "max": 1}}),
]

for claim, result in zip(claims, audit_claims(claims, time_limit=5), strict=True):
    print(f"{result.name:20} {result.verdict:8} {result.method}")
    if result.verdict == "refuted":
        point = {k: Fraction(v) for k, v in result.counterexample.items()}
        print(
            f"{'':20} counterexample {result.counterexample}: lhs = {result.values['lhs']}, "
            f"rhs = {result.values['rhs']}"
        )
        # anyone can re-check it: exact rationals, or intervals where the formula needs them
        assert check_point(claim, point).status == "violated"
    elif result.verdict == "checked":
        print(f"{'':20} {result.effort['search']}")
