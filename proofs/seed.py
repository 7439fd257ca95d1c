"""The seed slides' quantitative claims, each with its check: proved, refuted or checked.

Every step of the slides' bound algebra (F. Mallmann-Trenn, *The Strong Lottery Ticket Hypothesis and the Random Subset Sum
Problem*, lecture slides, King's College London, 2025, after F. d'Amore's slides: the one-edge
RSS construction, the ReLU trick, the union bounds, the MRSS counting estimates, the second
moment method, the chi-squared step of structured pruning and the Lueker process) is a
:class:`SeedClaim`: the slide's words, a statement in the claim language, and a check.
A check is either the audit engine alone, or a written derivation whose algebraic steps are each
verified by sympy (steps marked ``[sympy]``; steps marked ``[argument]`` are one-line reasons a
reader checks by eye) followed by the engine's counterexample search as a cross-check, or a
custom exact computation (the Lueker recursion, the MRSS exponent for every C).

:func:`audit_seed` runs them all (each in its own child process) and returns the results in
slide order; ``slth audit --seed-claims`` prints the table.

>>> names = [c.name for c in seed_claims()]
>>> len(names) >= 25, names[0]
(True, 'relu-identity')
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from proofs.check import check_point
from proofs.claims import AuditResult, Claim
from proofs.engine import _base, audit_claim, run_isolated, warm_up
from proofs.lueker import recursion_counterexample, recursion_lower_bound_check
from proofs.prove import Proof

__all__ = ["SeedClaim", "seed_claims", "audit_seed", "Derivation", "StepFailed"]


class StepFailed(AssertionError):
    """A step of a written derivation that sympy could not verify."""


class Derivation:
    """Proof steps: ``equal`` steps are verified by sympy before they are recorded."""

    def __init__(self) -> None:
        self.steps: list[str] = []

    def equal(self, text: str, a: object, b: object) -> None:
        """Record ``a = b`` after sympy shows ``a - b`` rewrites to 0."""
        import sympy

        diff = a - b  # type: ignore[operator]
        for rewrite in (
            lambda e: e,
            sympy.expand,
            lambda e: sympy.expand(sympy.expand_log(e)),
            sympy.gammasimp,
            sympy.simplify,
        ):
            if rewrite(diff) == 0:
                self.steps.append(f"[sympy] {text}: {a} = {b}")
                return
        raise StepFailed(f"{text}: sympy cannot show {a} = {b}")

    def argue(self, text: str) -> None:
        """Record a one-line argument (not machine-checked)."""
        self.steps.append(f"[argument] {text}")

    def proof(self) -> Proof:
        return Proof("derivation (sympy-checked steps)", self.steps)


Check = Callable[["SeedClaim", float, int], AuditResult]


@dataclass(frozen=True)
class SeedClaim:
    """One claim of the slides: ``slide`` quotes it, ``claim`` states it, ``check`` judges it."""

    name: str
    slide: str
    claim: Claim
    check: Check


def _engine(sc: SeedClaim, time_limit: float, seed: int) -> AuditResult:
    return audit_claim(sc.claim, time_limit, seed)


def _derived(steps: Callable[[Derivation], None]) -> Check:
    """Check by a written derivation, cross-checked by the counterexample search."""

    def check(sc: SeedClaim, time_limit: float, seed: int) -> AuditResult:
        d = Derivation()
        try:
            steps(d)
        except StepFailed as exc:
            r = audit_claim(sc.claim, time_limit, seed)
            r.reason = "; ".join(filter(None, [r.reason, f"the written proof failed: {exc}"]))
            return r
        return audit_claim(sc.claim, time_limit, seed, proof=d.proof())

    return check


def _sym(names: str, **assumptions: bool):  # noqa: ANN202 (sympy symbols)
    import sympy

    return sympy.symbols(names, **assumptions)


def _I(lo: object = None, hi: object = None) -> dict:  # noqa: N802 (a short declaration helper)
    return {"type": "integer", "min": lo, "max": hi}


def _R(lo: object = None, hi: object = None) -> dict:  # noqa: N802
    return {"type": "real", "min": lo, "max": hi}


# -- derivations ------------------------------------------------------------------------------


def _edge_error(d: Derivation) -> None:
    import sympy

    w, s, x = _sym("w s x", real=True)
    d.equal("w x - s x factors", w * x - s * x, x * (w - s))
    d.equal("|x (w - s)| = |x| |w - s|", sympy.Abs(x * (w - s)), sympy.Abs(x) * sympy.Abs(w - s))
    d.argue("so the two sides are equal, and <= holds")


def _relu_x_positive(d: Derivation) -> None:
    import sympy

    xp = sympy.Symbol("x", nonnegative=True)
    ap, an = sympy.Symbol("a", nonnegative=True), sympy.Symbol("a", negative=True)
    d.equal("case a >= 0: sigma(a x) = a x = a^+ sigma(x)", sympy.Max(0, ap * xp), ap * xp)
    d.equal("case a < 0: sigma(a x) = 0 = a^+ sigma(x)", sympy.Max(0, an * xp), 0 * xp)
    d.argue(
        "so for x >= 0 each term b_i sigma(a_i x) equals b_i a_i^+ sigma(x), and both sides agree"
    )


def _naive_samples(d: Derivation) -> None:
    w, eps = _sym("w eps", real=True)
    d.argue("the premise |w| <= 1 - eps gives w + eps <= 1 and w - eps >= -1")
    d.argue("so Min(w + eps, 1) = w + eps and Max(w - eps, -1) = w - eps")
    d.equal(
        "the probability that U ~ Unif[-1, 1] lands within eps of w",
        ((w + eps) - (w - eps)) / 2,
        eps,
    )
    d.argue("the number of samples until one lands is geometric with mean 1/eps: 'roughly 1/eps'")


def _union_bound(layers: bool) -> Callable[[Derivation], None]:
    def steps(d: Derivation) -> None:
        import sympy

        n, C, dd, eps, a, ell = _sym("n C d eps a l", positive=True)
        width = ell * dd**2 if layers else dd**2
        per_weight = ell * dd if layers else dd
        L = sympy.log(width / eps)
        star = C + 2 + 2 * sympy.sqrt(C + 1)
        d.argue(
            f"union bound over the {'l d^2' if layers else 'd^2'} weights, each approximated to "
            f"eps/{'(l d)' if layers else 'd'} (an output sums {'l ' if layers else ''}d such errors)"
        )
        d.equal(
            "L = log(weights/eps) exceeds log(1/per-weight accuracy) by",
            L - sympy.log(per_weight / eps),
            sympy.log(dd),
        )
        d.argue(
            "d, l >= 1, so C log(per-weight) <= C L, and n >= a* L >= C L makes n - C log(...) >= n - C L >= 0"
        )
        d.equal(
            "with a = n/L: (a - C)^2 - 4a factors as (a - a*)(a - a_)",
            (a - C) ** 2 - 4 * a,
            (a - star) * (a - (C + 2 - 2 * sympy.sqrt(C + 1))),
        )
        d.argue("a >= a* = C + 2 + 2 sqrt(C + 1) >= a_, so (a - C)^2 >= 4a")
        d.equal(
            "(n - C L)^2/(4n) at n = a L",
            ((a * L - C * L) ** 2 / (4 * a * L)),
            L * (a - C) ** 2 / (4 * a),
        )
        d.argue("hence (n - C log(...))^2/(4n) >= (n - C L)^2/(4n) >= L")
        d.equal("and the union bound is then at most", width * sympy.exp(-L), eps)

    return steps


def _central_binomial(d: Derivation) -> None:
    import sympy

    m = sympy.Symbol("m", integer=True, nonnegative=True)
    i = sympy.Symbol("i", integer=True, positive=True)
    d.equal(
        "binomial(2m, m) is a product of m factors",
        sympy.product((m + i) / i, (i, 1, m)),
        sympy.binomial(2 * m, m),
    )
    d.equal("each factor minus 2", (m + i) / i - 2, (m - i) / i)
    d.argue("(m - i)/i >= 0 for 1 <= i <= m, so each factor is >= 2 and the product >= 2^m")


def _mrss_upper_repaired(d: Derivation) -> None:
    import sympy

    n = sympy.Symbol("n", positive=True)
    d.equal("log2(n/2)", sympy.log(n / 2, 2), sympy.log(n, 2) - 1)
    d.argue("log2(n) - 1 <= 2 log2(n) for n >= 1/2, so (d/2) log2(n/2) <= d log2(n)")
    d.argue("exponent >= n/2 - d (log2(1/eps) + log2(n)) >= n/2 - n/4 = n/4 by the premise")


def _binomial_upper(d: Derivation) -> None:
    n, k = _sym("n k", positive=True)
    import sympy

    d.argue("binomial(n, k) = n(n-1)...(n-k+1)/k! <= n^k/k!: each of the k factors is <= n")
    d.argue("e^k = sum_j k^j/j! >= k^k/k!, so 1/k! <= e^k/k^k")
    d.equal("n^k e^k / k^k", n**k * sympy.E**k / k**k, (sympy.E * n / k) ** k)


def _mrss_lower_conclusion(d: Derivation) -> None:
    import sympy

    n, k, eps, dd = _sym("n k eps d", positive=True)
    d.equal("d/dk [k log(e n/k)]", sympy.diff(k * sympy.log(sympy.E * n / k), k), sympy.log(n / k))
    d.argue("log(n/k) >= 0 on 1 <= k <= n: k log(e n/k) increases, so (e n/k)^k <= e^n")
    d.argue("(eps/sqrt(k))^d <= eps^d as k >= 1")
    d.equal("eps^d as a power of 2", eps**dd, 2 ** (-dd * sympy.log(1 / eps, 2)))
    d.argue("the premise n <= d log2(1/eps)/2 gives eps^d <= 2^(-2n) = 4^(-n)")
    d.argue("so the sum of n terms is <= n e^n 4^(-n) = n (e/4)^n")
    d.equal("d/dn [log(n)/n]", sympy.diff(sympy.log(n) / n, n), (1 - sympy.log(n)) / n**2)
    d.argue("log(n)/n is largest at n = e, so log(n) <= n/e")
    gap = Claim.create("gap", "2*log(2) - 1 - exp(-1) > 0")
    status = check_point(gap, {}).status
    if status != "holds":
        raise StepFailed("the interval check of 2 log 2 - 1 > 1/e failed")
    d.steps.append("[intervals] 2 log 2 - 1 - 1/e > 0 (mpmath interval arithmetic)")
    d.argue("so log(n) <= n/e < n (2 log 2 - 1) = n log(4/e): n (e/4)^n < 1 for every n >= 1")


def _second_moment_intersection(d: Derivation) -> None:

    n, k = _sym("n k", positive=True)
    d.argue("|S cap T| = sum_i 1[i in S] 1[i in T], S and T independent uniform k-subsets")
    d.equal("E|S cap T| by linearity: n (k/n)(k/n)", n * (k / n) * (k / n), k**2 / n)
    d.argue("with k = alpha n this is alpha^2 n, the slides' 'average intersection'")


def _structured_norm(d: Derivation) -> None:
    import sympy

    x, u = _sym("x u", real=True)
    d.equal("|x u_j| = |x| |u_j|", sympy.Abs(x * u), sympy.Abs(x) * sympy.Abs(u))
    d.argue("max_j (c |u_j|) = c max_j |u_j| for c = |x| >= 0: the two sides are equal")


def _lueker_decay(d: Derivation) -> None:
    n = _sym("n", positive=True)
    d.argue("the premise n >= 2a with a >= 0 gives n - a >= n/2 >= 0, so (n - a)^2 >= n^2/4")
    d.equal("(n/2)^2/(4n)", (n / 2) ** 2 / (4 * n), n / 16)
    d.argue("exp is increasing: exp(-(n - a)^2/(4n)) <= exp(-n/16)")


def _lueker_monotone(d: Derivation) -> None:
    n1, n2, a = _sym("n1 n2 a", positive=True)
    d.equal(
        "the difference factors",
        (n2 - a) ** 2 / (4 * n2) - (n1 - a) ** 2 / (4 * n1),
        (n2 - n1) * (n1 * n2 - a**2) / (4 * n1 * n2),
    )
    d.argue("n2 >= n1 >= a >= 0: n2 - n1 >= 0 and n1 n2 >= a^2, so the difference is >= 0")


# -- custom checks ----------------------------------------------------------------------------


def _result(sc: SeedClaim, verdict: str, method: str, t0: float, **fields: object) -> AuditResult:
    r = _base(sc.claim)
    r.verdict, r.method = verdict, method
    for key, value in fields.items():
        setattr(r, key, value)
    r.effort = {"seconds": round(time.monotonic() - t0, 3), **r.effort}
    return r


def _mrss_upper_exponent(sc: SeedClaim, time_limit: float, seed: int) -> AuditResult:
    import sympy

    t0 = time.monotonic()
    C = sympy.Symbol("C", positive=True, integer=True)
    d = Derivation()
    d.argue("a larger C only shrinks the premise, so refuting every integer C refutes every C")
    d.argue("take eps = 1/2, d = 2^C, n = C 2^C: then n = C d log2(1/eps), the premise holds")
    exponent = C * 2**C / 2 - 2**C * sympy.log(2, 2) - 2**C / 2 * sympy.log(C * 2**C / 2, 2)
    d.equal(
        "the exponent n/2 - d log2(1/eps) - (d/2) log2(n/2) there",
        exponent,
        -(2 ** (C - 1)) * (1 + sympy.log(C, 2)),
    )
    d.argue("-(2^(C-1))(1 + log2 C) < 0: the bound 2^exponent on E[#] is < 1, not 2^Omega(n)")
    d.argue(
        "the exponent is below n/4 as soon as d log2(n) is comparable to n: it needs n >= C d log(n/eps)"
    )
    found = None
    for c in (8, 1000):
        point = {
            "C": Fraction(c),
            "d": Fraction(2**c),
            "eps": Fraction(1, 2),
            "n": Fraction(c * 2**c),
        }
        r = check_point(sc.claim, point)
        if r.status != "violated":
            raise AssertionError(f"the family point at C = {c} did not check: {r.status}")
        how = "intervals" if r.lhs.startswith("[") else "exact"
        d.steps.append(
            f"[{how}] C = {c}, d = 2^{c}, n = {c}*2^{c}, eps = 1/2: exponent {r.lhs} < 0"
        )
        found = found or (point, r)
    point, r = found  # type: ignore[misc]
    return _result(
        sc,
        "refuted",
        "derivation for every C + exact check",
        t0,
        counterexample={k: str(v) for k, v in point.items()},
        values={"lhs": r.lhs, "rhs": r.rhs},
        steps=d.steps,
    )


def _second_moment(sc: SeedClaim, time_limit: float, seed: int) -> AuditResult:
    import sympy

    t0 = time.monotonic()
    d = Derivation()
    d.argue("Z >= 0 integer with law p_0, p_1, ...: P[Z >= 1] = sum_{i>=1} p_i")
    i, j = _sym("i j", real=True)
    d.equal(
        "coefficient of p_i p_j (i != j) in P[Z>=1] E[Z^2] - E[Z]^2",
        i**2 + j**2 - 2 * i * j,
        (i - j) ** 2,
    )
    ps = sympy.symbols("p1:7", nonnegative=True)
    mass = sum(ps)
    first = sum(k * p for k, p in enumerate(ps, 1))
    second = sum(k**2 * p for k, p in enumerate(ps, 1))
    lagrange = sum(ps[a] * ps[b] * (a - b) ** 2 for a in range(6) for b in range(a + 1, 6))
    d.equal("Lagrange's identity for support {0..6}", mass * second - first**2, lagrange)
    d.argue("so P[Z >= 1] E[Z^2] >= E[Z]^2 (Cauchy-Schwarz); divide by E[Z^2] > 0")
    return _result(sc, "proved", "derivation (sympy-checked steps)", t0, steps=d.steps)


def _structured_variance(sc: SeedClaim, time_limit: float, seed: int) -> AuditResult:
    import sympy

    t0 = time.monotonic()
    d = Derivation()
    m = 5
    a = sympy.symbols(f"a1:{m + 1}", real=True)
    b = sympy.symbols(f"B1:{m + 1}")
    square = sympy.Poly(sympy.expand(sum(x * y for x, y in zip(a, b, strict=True)) ** 2), *b)
    moments = {0: 1, 1: 0, 2: 1}  # E[B^e] for B ~ N(0, 1)
    expectation = sum(
        coeff * sympy.prod(moments[e] for e in exps) for exps, coeff in square.terms()
    )
    d.argue(
        "conditional on the a's, X_S = sum_S a_i b_i; the coordinates of the b_i are i.i.d. N(0, 1)"
    )
    d.equal(
        f"E[(sum_i a_i B_i)^2] for |S| = {m} (E[B_i B_j] = [i = j])",
        expectation,
        sum(x**2 for x in a),
    )
    d.argue(
        "the same expansion for any |S|: Var(X_S[j] | a) = sum_S a_i^2 per coordinate, covariance 0 across"
    )
    d.argue(
        "a linear combination of independent Gaussians is Gaussian: X_S ~ N(0, sum_S a_i^2 I_d)"
    )
    return _result(sc, "proved", "derivation (sympy-checked steps)", t0, steps=d.steps)


def _lueker_recursion(sc: SeedClaim, time_limit: float, seed: int) -> AuditResult:
    t0 = time.monotonic()
    xs, eps, z = recursion_counterexample(seed)
    t = len(xs) - 1
    point = {f"X_{i + 1}": str(x) for i, x in enumerate(xs)} | {"eps": str(eps), "z": str(z)}
    steps = [
        f"[exact] search over random instances (values k/20, t <= 3, z on the grid k/100): t = {t}",
        f"[exact] f_{t + 1}(z) = 1 but f_{t}(z) = 0 and f_{t}(z - X_{t + 1}) = 0: z - X_{t + 1} = "
        f"{z - xs[-1]} lies outside [-1, 1]",
        "[argument] f_t only sees x in [-1, 1]: sums whose partial sums leave [-1, 1] are lost",
    ]
    try:
        from solvers.coverage import lueker_process

        trace = lueker_process(xs, eps)
        steps.append(
            f"[solvers.coverage] on this instance v_{len(xs)} = {trace.v[-1]} < true covered "
            f"fraction {trace.covered[-1]}"
        )
    except ImportError:
        pass
    return _result(
        sc,
        "refuted",
        "exact search",
        t0,
        counterexample=point,
        values={"lhs": "1", "rhs": "0"},
        steps=steps,
    )


def _lueker_recursion_inside(sc: SeedClaim, time_limit: float, seed: int) -> AuditResult:
    t0 = time.monotonic()
    instances, points = recursion_lower_bound_check(seed)
    steps = [
        "[argument] the right side is 1 iff f_t(z) = 1 or f_t(z - X_{t+1}) = 1",
        "[argument] f_t(z) = 1: the same S in [t] is in [t+1], so f_{t+1}(z) = 1",
        "[argument] f_t(z - X_{t+1}) = 1: some S in [t] has |z - X_{t+1} - sum_S| < 2 eps, "
        "so S + {t+1} works for z, and z is in [-1, 1] by hypothesis: f_{t+1}(z) = 1",
        f"[exact] checked on {instances} random instances, {points} points z: no exception",
    ]
    return _result(
        sc,
        "proved",
        "derivation + exact check",
        t0,
        steps=steps,
        effort={"instances": instances, "points": points},
    )


def _lueker_expectation(sc: SeedClaim, time_limit: float, seed: int) -> AuditResult:
    t0 = time.monotonic()
    try:
        from solvers.coverage import check_lueker_inequality
    except ImportError:
        return _result(
            sc,
            "unchecked",
            "needs solvers.coverage",
            t0,
            reason="solvers.coverage.check_lueker_inequality is not available in this install",
        )
    chk = check_lueker_inequality(1000, seed=seed)
    effort = {"prefixes": chk.n_checked, "eps": "1/10, 1/30, 1/100, 1/1000", "t_max": 20}
    search = (
        f"{chk.n_checked} random prefixes (X uniform, t <= 20, eps in 1/10..1/1000), "
        "E[v_{t+1} | prefix] computed exactly by solvers.coverage"
    )
    if chk.violations:
        e, prefix, slack = chk.violations[0]
        point = {f"X_{i + 1}": str(x) for i, x in enumerate(prefix)} | {"eps": str(e)}
        return _result(
            sc,
            "refuted",
            "exact (solvers.coverage)",
            t0,
            counterexample=point,
            values={"lhs": "E[v_t+1 | prefix]", "rhs": f"bound + {-slack}"},
            effort={**effort, "search": search},
        )
    ratio = float(chk.min_ratio) if chk.min_ratio is not None else None
    steps = [
        f"[exact] smallest slack E[v_t+1 | prefix] - v_t (1 + (1 - v_t)/4): {chk.min_slack}"
        " (it is 0 once v_t = 1)",
        f"[exact] smallest ratio gain / (v_t (1 - v_t)/4) over 0 < v_t < 1: {ratio}",
    ]
    return _result(
        sc,
        "checked",
        "exact check of random prefixes",
        t0,
        steps=steps,
        effort={**effort, "search": search},
    )


# -- the claims, in slide order -----------------------------------------------------------------

# f_{t+1}(z), f_t(z), f_t(z - X_{t+1}): the statement of the recursion over its 0/1 values
_FLAGS = {"f_t1_z": _I(0, 1), "f_t_z": _I(0, 1), "f_t_z_shifted": _I(0, 1)}


def seed_claims() -> list[SeedClaim]:
    """The slides' claims (see the module docstring), in the order the slides make them."""
    eps = _R("1e-12", "1/2")
    chi_upper = (
        "exp(-(m + sqrt(2*m*x) + x))*Sum((m + sqrt(2*m*x) + x)**j/factorial(j), (j, 0, m - 1))"
    )
    chi_lower = "1 - exp(-(m - sqrt(2*m*x)))*Sum((m - sqrt(2*m*x))**j/factorial(j), (j, 0, m - 1))"
    mrss_sum = "Sum((E*n/k)**k*(eps/sqrt(k))**d, (k, 1, n))"
    exponent = "n/2 - d*log(1/eps, 2) - d/2*log(n/2, 2)"
    union = "d**2*exp(-(n - C*log(d/eps))**2/(4*n)) <= eps"
    union_vars = {"C": _R(1, 100), "d": _I(1, 1000), "eps": eps, "n": _R(1, "1e7")}
    items = [
        (
            "relu-identity",
            "Property of ReLU: w x = sigma(w x) - sigma(-w x)",
            "w*x == Max(0, w*x) - Max(0, -w*x)",
            {"w": _R(), "x": _R()},
            (),
            _engine,
        ),
        (
            "edge-error",
            "|w x - sum_S w_i x| <= |x| |w - sum_S w_i| (s stands for sum_S w_i)",
            "Abs(w*x - s*x) <= Abs(x)*Abs(w - s)",
            {"w": _R(), "s": _R(), "x": _R()},
            (),
            _derived(_edge_error),
        ),
        (
            "edge-error-strict",
            "|w - sum_S w_i| < 2 eps  ==>  |w x - sum_S w_i x| < 2 eps |x|",
            "Abs(w*x - s*x) < 2*eps*Abs(x)",
            {"w": _R(-1, 1), "s": _R(-4, 4), "x": _R(-1, 1), "eps": eps},
            ("Abs(w - s) < 2*eps",),
            _engine,
        ),
        (
            "naive-samples",
            "naive approach: sample w_i ~ Unif[-1, 1] until one is within eps of w: "
            "roughly 1/eps samples",
            "(Min(w + eps, 1) - Max(w - eps, -1))/2 == eps",
            {"w": _R(-1, 1), "eps": eps},
            ("Abs(w) <= 1 - eps",),
            _derived(_naive_samples),
        ),
        (
            "relu-hidden-layer",
            "w >= 0: |sigma(w x) - sum b_i sigma(a_i x)| = "
            "|sigma(w x) - sum b_i a_i^+ sigma(x)| (one neuron)",
            "Abs(Max(0, w*x) - b*Max(0, a*x)) == Abs(Max(0, w*x) - b*Max(0, a)*Max(0, x))",
            {"w": _R(0, 1), "a": _R(-1, 1), "b": _R(-1, 1), "x": _R(-1, 1)},
            (),
            _engine,
        ),
        (
            "relu-hidden-layer-x-positive",
            "if x > 0, then RSS holds: the same identity for x >= 0",
            "Abs(Max(0, w*x) - b*Max(0, a*x)) == Abs(Max(0, w*x) - b*Max(0, a)*Max(0, x))",
            {"w": _R(0, 1), "a": _R(-1, 1), "b": _R(-1, 1), "x": _R(0, 1)},
            (),
            _derived(_relu_x_positive),
        ),
        (
            "relu-hidden-layer-x-negative",
            "if x <= 0, easy (with a_i >= 0 every term vanishes)",
            "Abs(Max(0, w*x) - b*Max(0, a*x)) == 0",
            {"w": _R(0, 1), "a": _R(0, 1), "b": _R(-1, 1), "x": _R(-1, 0)},
            (),
            _engine,
        ),
        (
            "union-bound-layer-same-C",
            "n >= C log(d^2/eps) with the C of Lueker's theorem: "
            "the union bound over d^2 weights (accuracy eps/d each) is <= eps",
            union,
            union_vars,
            ("n >= C*log(d**2/eps)",),
            _engine,
        ),
        (
            "union-bound-layer",
            "n >= C' log(d^2/eps) with C' = C + 2 + 2 sqrt(C + 1): "
            "the union bound over d^2 weights is <= eps",
            union,
            union_vars,
            ("n >= (C + 2 + 2*sqrt(C + 1))*log(d**2/eps)",),
            _derived(_union_bound(False)),
        ),
        (
            "union-bound-network",
            "n >= C log(l d^2/eps) for l layers (accuracy eps/(l d) per weight, C' as above)",
            "l*d**2*exp(-(n - C*log(l*d/eps))**2/(4*n)) <= eps",
            {**union_vars, "l": _I(1, 100)},
            ("n >= (C + 2 + 2*sqrt(C + 1))*log(l*d**2/eps)",),
            _derived(_union_bound(True)),
        ),
        (
            "cube-count",
            "number of eps-cubes: 1/eps^d = 2^(d log 1/eps)",
            "(1/eps)**d == 2**(d*log(1/eps, 2))",
            {"d": _I(1, 1000), "eps": eps},
            (),
            _engine,
        ),
        (
            "central-binomial",
            "subsets of size n/2: binomial(n, n/2) >= 2^(n/2) (n = 2m)",
            "binomial(2*m, m) >= 2**m",
            {"m": _I(0, 2000)},
            (),
            _derived(_central_binomial),
        ),
        (
            "mrss-upper-identity",
            "2^(n/2) (eps/sqrt(n/2))^d = 2^(n/2 - d log 1/eps - d/2 log n/2) (log = log2)",
            f"2**(n/2)*(eps/sqrt(n/2))**d == 2**({exponent})",
            {"n": _I(2, 10**6), "d": _I(1, 1000), "eps": eps},
            (),
            _engine,
        ),
        (
            "mrss-upper-identity-natural-log",
            "the same identity read with natural logarithms",
            "2**(n/2)*(eps/sqrt(n/2))**d == 2**(n/2 - d*log(1/eps) - d/2*log(n/2))",
            {"n": _I(2, 10**6), "d": _I(1, 1000), "eps": eps},
            (),
            _engine,
        ),
        (
            "mrss-upper-exponent",
            "= 2^(O(n)) [meant: 2^Omega(n), > 1] if n >= C d log 1/eps, for some constant C",
            f"{exponent} > 0",
            {"C": _R(1), "d": _I(1), "n": _I(2), "eps": _R("1e-300", "1/2")},
            ("n >= C*d*log(1/eps, 2)",),
            _mrss_upper_exponent,
        ),
        (
            "mrss-upper-exponent-repaired",
            "repair: n >= 4 d (log2(1/eps) + log2 n) gives an exponent >= n/4",
            f"{exponent} >= n/4",
            {"n": _I(2, 10**12), "d": _I(1, 10**6), "eps": eps},
            ("n >= 4*d*(log(1/eps, 2) + log(n, 2))",),
            _derived(_mrss_upper_repaired),
        ),
        (
            "binomial-upper",
            "possible subsets of size k: binomial(n, k) <= (e n/k)^k",
            "binomial(n, k) <= (E*n/k)**k",
            {"n": _I(1, 10**4), "k": _I(1, "n")},
            (),
            _derived(_binomial_upper),
        ),
        (
            "mrss-lower-identity",
            "(e n/k)^k (eps/sqrt k)^d = 2^(k log(en/k) - d log 1/eps - d/2 log k) (log2)",
            "(E*n/k)**k*(eps/sqrt(k))**d == 2**(k*log(E*n/k, 2) - d*log(1/eps, 2) - d/2*log(k, 2))",
            {"n": _I(1, 10**4), "k": _I(1, "n"), "d": _I(1, 1000), "eps": eps},
            (),
            _engine,
        ),
        (
            "mrss-lower-sum-bound",
            "sum_k 2^(k log(en/k) - ...) <= n 2^(n/2 log(2e) - d log 1/eps - d/2 log n/2)",
            f"{mrss_sum} <= n*2**(n/2*log(2*E, 2) - d*log(1/eps, 2) - d/2*log(n/2, 2))",
            {"n": _I(2, 200), "d": _I(1, 200), "eps": _R("1e-9", "1/2")},
            (),
            _engine,
        ),
        (
            "mrss-lower-conclusion",
            "< 1 if n <= c d log 1/eps for c small enough (c = 1/2 works)",
            f"{mrss_sum} < 1",
            {"n": _I(1, 300), "d": _I(1, 10**4), "eps": _R("1e-100", "1/2")},
            ("n <= d*log(1/eps, 2)/2",),
            _derived(_mrss_lower_conclusion),
        ),
        (
            "second-moment",
            "P[Z_n >= 1] >= E[Z_n]^2 / E[Z_n^2] (Z_n >= 0, integer)",
            "P_Z_positive*E_Z2 >= E_Z**2",
            {"P_Z_positive": _R(0, 1), "E_Z": _R(0), "E_Z2": _R(0)},
            (),
            _second_moment,
        ),
        (
            "second-moment-intersection",
            "subsets of size alpha n: the average intersection is alpha^2 n (k = alpha n)",
            "Sum(j*binomial(k, j)*binomial(n - k, k - j), (j, 0, k)) == k**2/n*binomial(n, k)",
            {"n": _I(1, 60), "k": _I(0, "n")},
            (),
            _derived(_second_moment_intersection),
        ),
        (
            "structured-norm",
            "||x_1 w_1 - sum x_1 a_1i b_i||_inf <= |x_1| ||w_1 - sum a_1i b_i||_inf (d = 3)",
            "Max(Abs(x*u1), Abs(x*u2), Abs(x*u3)) <= Abs(x)*Max(Abs(u1), Abs(u2), Abs(u3))",
            {"x": _R(), "u1": _R(), "u2": _R(), "u3": _R()},
            (),
            _derived(_structured_norm),
        ),
        (
            "structured-variance",
            "conditional on a_1i, X_S ~ N(0, sum_S a_1i^2 I_d)",
            "Var_X_S == sum_a_squared",
            {"Var_X_S": _R(), "sum_a_squared": _R()},
            (),
            _structured_variance,
        ),
        (
            "chi-squared-upper-tail",
            "sum_S a_1i^2 is chi-squared: concentration (Laurent-Massart upper tail, k = 2m)",
            f"{chi_upper} <= exp(-x)",
            {"m": _I(1, 100), "x": _R("1/1000", 50)},
            (),
            _engine,
        ),
        (
            "chi-squared-lower-tail",
            "... and the lower tail P[chi2_k <= k - 2 sqrt(k x)] <= e^-x (k = 2m)",
            f"{chi_lower} <= exp(-x)",
            {"m": _I(1, 100), "x": _R("1/1000", 50)},
            ("2*x <= m",),
            _engine,
        ),
        (
            "lueker-bound-decay",
            "probability 1 - exp(-(n - C log 1/eps)^2/4n): with a = C log 1/eps "
            "and n >= 2a the failure is <= e^(-n/16)",
            "exp(-(n - a)**2/(4*n)) <= exp(-n/16)",
            {"a": _R(0, 10**4), "n": _R("1e-9", 10**6)},
            ("n >= 2*a",),
            _derived(_lueker_decay),
        ),
        (
            "lueker-bound-monotone",
            "... and it only improves as n grows (n >= a)",
            "(n2 - a)**2/(4*n2) >= (n1 - a)**2/(4*n1)",
            {"a": _R(0, 10**4), "n1": _R("a", 10**6), "n2": _R("n1", 10**6)},
            (),
            _derived(_lueker_monotone),
        ),
        (
            "lueker-f-recursion",
            "f_{t+1}(z) = f_t(z) + (1 - f_t(z)) f_t(z - X_{t+1})",
            "f_t1_z == f_t_z + (1 - f_t_z)*f_t_z_shifted",
            _FLAGS,
            (),
            _lueker_recursion,
        ),
        (
            "lueker-f-recursion-inside",
            "... holds as >= for z in [-1, 1] (what the proof needs)",
            "f_t1_z >= f_t_z + (1 - f_t_z)*f_t_z_shifted",
            _FLAGS,
            (),
            _lueker_recursion_inside,
        ),
        (
            "lueker-expectation",
            "for all 0 <= t < n: E[v_{t+1} | X_1..X_t] >= v_t (1 + (1 - v_t)/4)",
            "E_v_next >= v_t*(1 + (1 - v_t)/4)",
            {"E_v_next": _R(0, 1), "v_t": _R(0, 1)},
            (),
            _lueker_expectation,
        ),
    ]
    return [
        SeedClaim(name, slide, Claim.create(name, statement, variables, assume, note=slide), check)
        for name, slide, statement, variables, assume, check in items
    ]


def audit_seed(
    time_limit: float = 8.0,
    seed: int = 0,
    progress: Callable[[int, int, str], None] | None = None,
    names: list[str] | None = None,
) -> list[AuditResult]:
    """Audit the slides' claims (optionally only ``names``), each in its own child process."""
    warm_up()
    out = []
    todo = [c for c in seed_claims() if names is None or c.name in names]
    for i, sc in enumerate(todo):
        if progress is not None:
            progress(i, len(todo), sc.name)
        out.append(
            run_isolated(lambda sc=sc: sc.check(sc, time_limit, seed), time_limit, _base(sc.claim))
        )
    return out
