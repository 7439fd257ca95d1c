"""The MRSS moments: closed forms, an independent bivariate-normal check, and enumeration."""

from math import comb

import mpmath
import numpy as np
import pytest
from scipy.stats import multivariate_normal, norm

from proofs.moments import (
    best_k,
    counting_estimates,
    enumeration_moments,
    first_moment,
    hit_probability,
    moments,
    pair_hit_probability,
    predicted_n,
    second_moment,
)
from solvers.numbers import InputError


def test_hit_probability_is_a_normal_interval():
    for k, z, eps in [(1, 0.0, 1.0), (4, 0.5, 0.25), (9, -1.0, 0.1)]:
        want = norm.cdf((z + eps) / np.sqrt(k)) - norm.cdf((z - eps) / np.sqrt(k))
        assert float(hit_probability(k, z, eps)) == pytest.approx(want, rel=1e-12)
    assert hit_probability(0, "0.3", "0.2") == 0 and hit_probability(0, "0.1", "0.2") == 1


@pytest.mark.parametrize(("k", "i", "z", "eps"), [(4, 2, 0.5, 0.5), (6, 5, -0.3, 0.8),
                                                  (10, 1, 1.0, 0.2), (3, 2, 0.0, 2.0)])
def test_pair_probability_against_scipy_bivariate_normal(k, i, z, eps):
    cov = [[k, i], [i, k]]
    lo, hi = z - eps, z + eps
    F = multivariate_normal(mean=[0, 0], cov=cov).cdf
    want = F([hi, hi]) - F([lo, hi]) - F([hi, lo]) + F([lo, lo])
    assert float(pair_hit_probability(k, i, z, eps)) == pytest.approx(want, abs=1e-6)


def test_pair_probability_limits():
    p = hit_probability(5, "0.2", "0.3")
    assert pair_hit_probability(5, 5, "0.2", "0.3") == p
    assert mpmath.almosteq(pair_hit_probability(5, 0, "0.2", "0.3"), p**2)
    # positive correlation: between independence and identity, increasing in i
    qs = [pair_hit_probability(5, i, "0.2", "0.3") for i in range(6)]
    assert all(a < b for a, b in zip(qs, qs[1:], strict=False))


def test_moments_closed_forms():
    # n = 1, k = 1: Z is an indicator, E[Z^2] = E[Z]
    assert second_moment(1, 1, [0.5, 0.5], 0.5) == first_moment(1, 1, [0.5, 0.5], 0.5)
    # k = 1: subsets are singletons, pairs are equal (n terms) or independent (n^2 - n terms)
    n, z, eps = 7, ["0.3", "-0.1"], "0.4"
    p = hit_probability(1, "0.3", eps) * hit_probability(1, "-0.1", eps)
    assert mpmath.almosteq(second_moment(n, 1, z, eps), n * p + (n * n - n) * p**2)
    # the counting: sum over i of C(k, i) C(n - k, k - i) is C(n, k)
    assert sum(comb(3, i) * comb(9, 3 - i) for i in range(4)) == comb(12, 3)
    rows = moments(12, z, eps)
    assert all(0 <= r.bound <= 1 for r in rows) and [r.k for r in rows] == list(range(13))
    assert best_k(12, z, eps) == max(rows, key=lambda r: r.bound)


ENUM_CASES = [
    (12, 2, ["0.5", "-0.25"], "0.3", 1500, None),
    (16, 3, ["0.3", "0.1", "-0.4"], "0.6", 400, [2, 5, 8]),
    (10, 1, ["0.7"], "0.1", 1500, None),
]


@pytest.mark.parametrize(("n", "d", "z", "eps", "trials", "ks"), ENUM_CASES)
def test_moments_agree_with_enumeration(n, d, z, eps, trials, ks):
    em = enumeration_moments(n, d, z, eps, trials=trials, seed=n * 10 + d)
    for row in moments(n, z, eps, ks=ks):
        k = row.k
        assert abs(em.mean[k] - float(row.mean)) <= 3 * em.mean_se[k] + 1e-12, k
        assert abs(em.second[k] - float(row.second)) <= 3 * em.second_se[k] + 1e-12, k
        # the second-moment bound is a lower bound on the measured hit probability
        assert em.hit[k] >= row.bound - 3 * em.hit_se[k] - 1e-12, k


def test_counting_estimates_by_hand():
    est = counting_estimates(40, 3, "0.01")
    assert est["half_log2"] == pytest.approx(20 - 3 * np.log2(100) - 1.5 * np.log2(20))
    assert est["d_log"] == pytest.approx(3 * np.log2(100))
    total = sum((np.e * 40 / k) ** k * (0.01 / np.sqrt(k)) ** 3 for k in range(1, 41))
    assert est["all_log2"] == pytest.approx(np.log2(total))


def test_predicted_n_grows_with_d_and_is_consistent():
    n1 = predicted_n(["0.5"], "0.1", 0.5)
    n2 = predicted_n(["0.5", "0.5"], "0.1", 0.5)
    assert n1 < n2
    assert best_k(n1, ["0.5"], "0.1").bound >= 0.5 > best_k(n1 - 1, ["0.5"], "0.1").bound


def test_bad_input():
    with pytest.raises(InputError, match="eps is"):
        first_moment(5, 2, [0.1], 0)
    with pytest.raises(InputError, match="target has 2 coordinates"):
        enumeration_moments(5, 3, [0.1, 0.2], 0.5, trials=10)
    with pytest.raises(InputError, match="delta is"):
        predicted_n([0.5], 0.1, 1.5)
