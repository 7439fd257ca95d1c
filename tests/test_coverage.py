"""Tests of solvers.coverage and `slth cover` / `slth lueker`: exact agreement with full
enumeration of the 2^n subset sums, hand-computed cases, the Lueker expectation against an
independent exact integration, and bad input."""

from __future__ import annotations

import bisect
import json
import random
import re
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvers.coverage import (
    ESTIMATE_SLACK,
    IntervalLimitExceeded,
    check_lueker_inequality,
    covering_radius,
    estimated_intervals,
    estimated_radius,
    is_covered,
    lueker_process,
)
from solvers.numbers import InputError

# --- the reference: every subset sum, exactly ------------------------------------------------


def subset_sums(values):
    sums = {Fraction(0)}
    for v in values:
        sums |= {s + Fraction(v) for s in sums}
    return sorted(sums)


def dist(sums, z):
    """Distance from z to the sorted list of sums."""
    k = bisect.bisect_left(sums, z)
    return min(abs(z - sums[i]) for i in (k - 1, k) if 0 <= i < len(sums))


def brute_radius(values, a, b):
    """sup over [a, b] of the distance to the sums: at a, b or a midpoint of two sums."""
    P = subset_sums(values)
    cands = [a, b] + [(p + q) / 2 for p, q in zip(P, P[1:], strict=False) if a <= (p + q) / 2 <= b]
    return max(dist(P, z) for z in cands), P


def check_against_brute(values, a, b, extra_eps=(), order="desc"):
    r, P = brute_radius(values, a, b)
    res = covering_radius(values, (a, b), order=order)
    assert res.radius == r
    assert a <= res.point <= b and dist(P, res.point) == r
    sides = []
    if res.below is not None:
        assert sum((Fraction(values[i]) for i in res.below), Fraction(0)) == res.below_sum
        sides.append(res.point - res.below_sum)
    if res.above is not None:
        assert sum((Fraction(values[i]) for i in res.above), Fraction(0)) == res.above_sum
        sides.append(res.above_sum - res.point)
    assert min(sides) == r
    if res.below is None:  # then no sum below the point is within the radius
        assert all(s >= res.point or res.point - s > r for s in P)
    if res.above is None:
        assert all(s <= res.point or s - res.point > r for s in P)
    for eps in (r, r / 2, 2 * r, r - r / 1000, r + r / 1000, *extra_eps):
        c = is_covered(values, eps, (a, b), order=order)
        assert c.covered == (r <= eps), (values, a, b, eps)
        if not c.covered:
            assert a <= c.witness <= b
            assert dist(P, c.witness) == c.distance > eps


# --- agreement with enumeration (property tests) ---------------------------------------------

fractions = st.builds(Fraction, st.integers(-16, 16), st.sampled_from([1, 2, 3, 4, 8]))
floats = st.floats(-1, 1, allow_nan=False).map(Fraction)
ends = st.builds(Fraction, st.integers(-12, 12), st.sampled_from([1, 2, 4, 3]))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.one_of(fractions, floats), min_size=1, max_size=10), a=ends,
       width=st.builds(Fraction, st.integers(1, 16), st.sampled_from([1, 2, 4])),
       order=st.sampled_from(["desc", "asc", "given"]))
def test_agrees_with_enumeration(values, a, width, order):
    check_against_brute(values, a, a + width, order=order)


@settings(max_examples=120, deadline=None)
@given(values=st.lists(st.builds(Fraction, st.integers(0, 6), st.just(4)), min_size=1,
                       max_size=12))
def test_adversarial_duplicates_zeros_positive(values):
    # small grid values: many duplicates and zeros, all >= 0, every end a possible sum
    check_against_brute(values, Fraction(0), Fraction(3))
    check_against_brute(values, Fraction(-1), Fraction(1))


@settings(max_examples=60, deadline=None)
@given(values=st.lists(floats, min_size=2, max_size=8), data=st.data())
def test_interval_ends_exactly_on_subset_sums(values, data):
    P = subset_sums(values)
    a = data.draw(st.sampled_from(P))
    b = data.draw(st.sampled_from([p for p in P if p > a] or [a + 1]))
    check_against_brute(values, a, b)


def test_big_integers_path_agrees():
    # denominators 3^44: beyond int64 after scaling, so the Python-integer path runs
    rng = random.Random(5)
    for _ in range(20):
        values = [Fraction(rng.randint(-(3**45), 3**45), 3**44) for _ in range(6)]
        assert covering_radius(values).stats["arithmetic"] == "python-int"
        check_against_brute(values, Fraction(-1), Fraction(1))


def test_hand_computed():
    # sums {0, 1, 2, 3, 4, 5, 6, 7}: [0, 7] within 1/2, and 8 is 1 from the largest sum
    assert is_covered([1, 2, 4], "1/2", interval=(0, 7)).covered
    res = is_covered([1, 2, 4], "1/2", interval=(0, 8))
    assert (res.covered, res.witness, res.distance) == (False, 8, 1)
    r = covering_radius([1, 2, 4], interval=(0, 8))
    assert (r.radius, r.point, r.below, r.above) == (1, 8, (0, 1, 2), None)
    # sums {0, 1/3, 2/3}: eps exactly the radius 1/3 (at z = 1) counts as covered
    assert covering_radius(["1/3", "1/3"], interval=(0, 1)).radius == Fraction(1, 3)
    assert is_covered(["1/3", "1/3"], "1/3", interval=(0, 1)).covered
    assert not is_covered(["1/3", "1/3"], "1/3", interval=(0, "1.000001")).covered
    # no subset sum near the interval: the witness is still exact
    res = is_covered(["1/1000"], "1/10000", interval=(5, 6))
    assert (res.covered, res.witness, res.distance) == (False, 6, Fraction(5999, 1000))


def test_orders_agree_on_random_instances():
    rng = np.random.default_rng(0)
    for n in (14, 18):
        x = rng.uniform(-1, 1, n)
        radii = {covering_radius(x, order=o).radius for o in ("desc", "asc", "given")}
        assert len(radii) == 1
        r = radii.pop()
        assert all(is_covered(x, r, order=o).covered and not is_covered(x, r / 2, order=o).covered
                   for o in ("desc", "asc", "given"))


def test_interval_limit_is_reported_not_guessed():
    # within the estimate's slack (at most 2^6 sums), beyond the limit once run
    x = np.random.default_rng(1).uniform(-1, 1, 6)
    with pytest.raises(IntervalLimitExceeded, match="beyond max_intervals = 20"):
        is_covered(x, "1e-6", max_intervals=20)
    with pytest.raises(IntervalLimitExceeded):
        covering_radius(x, max_intervals=10)


def test_runs_that_cannot_fit_are_refused_before_they_start():
    x = np.random.default_rng(1).uniform(-1, 1, 60)
    with pytest.raises(InputError, match=r"n = 60 values at eps = 1e-15 would hold about 1e\+15 "
                                         r"intervals \(about 1.3e\+05 TB\)"):
        is_covered(x, "1e-15")
    with pytest.raises(InputError, match="the covering radius of n = 40 values"):
        covering_radius(x[:40])
    # repeated values have few sums: 61 here, however small eps is
    assert is_covered([0.1] * 60, "1e-15", interval=(0, 6)).covered is False
    assert estimated_intervals([0.1] * 60, "1e-15") == 61
    # the estimate is near the measured peak for values in general position
    for n, eps in ((20, "1e-5"), (30, "1e-6")):
        y = np.random.default_rng(n).uniform(-1, 1, n)
        peak = is_covered(y, eps).stats["peak_intervals"]
        assert peak <= ESTIMATE_SLACK * estimated_intervals(y, eps)
        assert estimated_intervals(y, eps) <= 10 * peak
        radius = covering_radius(y).radius
        assert radius <= estimated_radius(y) <= 10 * radius


def test_bad_input():
    for kwargs, msg in [({"eps": 0}, "eps is 0"), ({"eps": "-1/2"}, "eps is -1/2"),
                        ({"eps": float("nan")}, "eps is nan"),
                        ({"eps": 0.1, "interval": (1, 1)}, "interval is [1, 1]"),
                        ({"eps": 0.1, "interval": (1, 0)}, "interval is [1, 0]"),
                        ({"eps": 0.1, "interval": (0,)}, "interval is (0,)"),
                        ({"eps": 0.1, "order": "random"}, "order is 'random'")]:
        with pytest.raises(InputError, match=re.escape(msg)):
            is_covered([0.5, 0.25], **kwargs)
    with pytest.raises(InputError, match="values is empty"):
        covering_radius([])
    with pytest.raises(InputError, match=r"values\[1\] is nan"):
        covering_radius([0.5, float("nan")])


# --- the Lueker process ----------------------------------------------------------------------


def measure_within(intervals, lo, hi):
    """Measure of a union of intervals restricted to [lo, hi]."""
    total, reach = Fraction(0), lo
    for a, b in sorted(intervals):
        a, b = max(a, reach), min(b, hi)
        if b > a:
            total += b - a
            reach = b
    return total


def expected_by_breakpoints(C, G):
    """integral_{-1}^{1} |(C + x) intersect G| dx: the integrand is piecewise linear in x with
    breaks where an end of C + x meets an end of G, so the trapezoid rule on them is exact."""
    ends_c = [e for iv in C for e in iv]
    ends_g = [e for iv in G for e in iv]
    xs = sorted({Fraction(-1), Fraction(1)} | {g - c for g in ends_g for c in ends_c
                                                if -1 <= g - c <= 1})

    def f(x):
        return sum(max(Fraction(0), min(b + x, d) - max(a + x, c)) for a, b in C for c, d in G)

    return sum((f(x0) + f(x1)) / 2 * (x1 - x0) for x0, x1 in zip(xs, xs[1:], strict=False))


def lueker_reference(values, eps):
    """The process, the true fraction and E[v_{t+1}] by direct interval bookkeeping."""
    rho = 2 * Fraction(eps)
    C = [(max(-rho, Fraction(-1)), min(rho, Fraction(1)))]
    v, true, expected = [], [], []
    for t in range(len(values) + 1):
        v.append(measure_within(C, -1, 1) / 2)
        sums = subset_sums(values[:t])
        true.append(measure_within([(s - rho, s + rho) for s in sums], -1, 1) / 2)
        G, prev = [], Fraction(-1)
        for a, b in sorted(C):
            if a > prev:
                G.append((prev, a))
            prev = max(prev, b)
        if prev < 1:
            G.append((prev, Fraction(1)))
        expected.append(v[-1] + expected_by_breakpoints(C, G) / 4)
        if t < len(values):
            x = Fraction(values[t])
            moved = [(max(a + x, Fraction(-1)), min(b + x, Fraction(1))) for a, b in C]
            merged = []
            for a, b in sorted(C + [m for m in moved if m[1] > m[0]]):
                if merged and a <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], b))
                else:
                    merged.append((a, b))
            C = merged
    return v, true, expected


def test_lueker_hand_computed():
    # eps 1/8: C_0 = (-1/4, 1/4); E|(C + X) in G| = (1/2)(15/16 - 1/4) for X uniform
    tr = lueker_process([0.5], "1/8")
    assert tr.v == (Fraction(1, 4), Fraction(1, 2))
    assert tr.expected[0] == Fraction(1, 4) + Fraction(11, 64)
    assert tr.bound(0) == Fraction(19, 64) and tr.slack(0) == Fraction(27 - 19, 64)


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.one_of(floats, fractions.map(lambda f: f / 4)), max_size=7),
       eps=st.sampled_from(["1/10", "1/7", "3/100", "1/3", "0.6"]))
def test_lueker_against_reference(values, eps):
    tr = lueker_process(values, eps)
    v, true, expected = lueker_reference(values, eps)
    assert list(tr.v) == v
    assert list(tr.covered) == true
    assert list(tr.expected) == expected
    assert all(a <= b for a, b in zip(tr.v, tr.covered, strict=True))  # it under-counts


def test_lueker_inequality_check_runs_1000_prefixes():
    chk = check_lueker_inequality(1000, eps=["1/10", "1/100", "1/1000"], t_max=24, seed=3)
    assert chk.n_checked == 1000 and chk.holds and not chk.violations
    assert chk.min_slack >= 0 and chk.min_ratio >= 1
    # the reported prefix reproduces the reported ratio exactly
    tr = lueker_process(chk.min_ratio_prefix, chk.min_ratio_eps)
    t = len(chk.min_ratio_prefix)
    assert (tr.expected[t] - tr.v[t]) / (tr.v[t] * (1 - tr.v[t]) / 4) == chk.min_ratio
    with pytest.raises(InputError, match="n_prefixes is 0"):
        check_lueker_inequality(0)


# --- the command line ------------------------------------------------------------------------


@pytest.fixture
def slth(monkeypatch, capsys):
    import verify.cli as cli

    monkeypatch.setattr(cli, "SUBCOMMAND_MODULES", ["verify.cover"])

    def run(*argv):
        code = cli.main([str(a) for a in argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.fixture
def instance(tmp_path):
    path = tmp_path / "inst.json"
    path.write_text(json.dumps({"values": [0.9, -0.35, 0.6, 0.12, -0.05, 0.3, "1/7"]}))
    return path


def test_cli_cover_json_is_exact(slth, instance):
    values = [0.9, -0.35, 0.6, 0.12, -0.05, 0.3, Fraction(1, 7)]
    r, P = brute_radius(values, Fraction(-1), Fraction(1))
    code, out, _ = slth("cover", instance, "--radius", "--json")
    data = json.loads(out)
    assert code == 0 and Fraction(data["radius"]) == r == Fraction(data["distance"])
    assert dist(P, Fraction(data["witness"])) == r
    code, out, _ = slth("cover", instance, "--eps", str(r / 2), "--json")
    data = json.loads(out)
    assert code == 1 and data["covered"] is False and data["radius"] is None
    assert dist(P, Fraction(data["witness"])) == Fraction(data["distance"]) > r / 2
    code, out, _ = slth("cover", instance, "--eps", str(r))
    assert code == 0 and out.startswith("covered    yes")


@pytest.mark.parametrize("args, msg", [
    (["--eps", "0"], "eps is 0: expected a number > 0"),
    (["--eps=-1e-3"], "eps is -1/1000"),
    (["--eps", "nan"], "eps is 'nan'"),
    (["--eps", "0.1", "--interval", "1", "1"], "interval is [1, 1]: expected A < B"),
    (["--eps", "0.1", "--interval", "1", "-1"], "interval is [1, -1]: expected A < B"),
    (["--eps", "0.1", "--interval", "0", "nan"], "interval[1] is 'nan'"),
    ([], "give --eps E"),
])
def test_cli_bad_input_exits_2(slth, instance, args, msg):
    code, out, err = slth("cover", instance, *args)
    assert code == 2 and out == ""
    assert err.startswith("slth cover: error: ") and msg in err and err.count("\n") == 1


def test_cli_undecided_exits_3(slth, instance):
    code, out, err = slth("cover", instance, "--eps", "1e-9", "--max-intervals", "40")
    assert code == 3 and out == "" and err.startswith("slth cover: undecided: ")


def test_cli_refuses_what_cannot_fit(slth, instance):
    code, out, err = slth("cover", instance, "--eps", "1e-9", "--max-intervals", "10")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("slth cover: error: deciding coverage of n = ") and "intervals" in err


def test_cli_bad_file_exits_2(slth, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"values": [1, [2, 3]]}))
    code, _, err = slth("cover", path, "--eps", "0.1")
    assert code == 2 and "holds vectors" in err
    code, _, err = slth("cover", tmp_path / "missing.json", "--eps", "0.1")
    assert code == 2 and "cannot read" in err


def test_cli_lueker(slth, instance, tmp_path):
    png = tmp_path / "trace.png"
    code, out, _ = slth("lueker", instance, "--eps", "1/50", "--plot", png)
    assert code == 0 and png.stat().st_size > 1000
    assert out.splitlines()[0].split()[:4] == ["t", "X_t", "v_t", "true"]
    code, out, _ = slth("lueker", instance, "--eps", "1/50", "--json", "--no-plot")
    rows = json.loads(out)["trace"]
    tr = lueker_process([0.9, -0.35, 0.6, 0.12, -0.05, 0.3, Fraction(1, 7)], "1/50")
    assert [Fraction(r["expected_next"]) for r in rows] == list(tr.expected)
    code, out, _ = slth("lueker", "--check", "--prefixes", "50", "--json")
    assert code == 0 and json.loads(out)["n_checked"] == 50
    code, _, err = slth("lueker", instance, "--eps", "0")
    assert code == 2 and "eps is 0" in err
