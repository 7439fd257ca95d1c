"""`slth audit`: verdicts on known-true and known-false claims, exit codes, hostile files."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest

from proofs.check import check_point
from proofs.claims import Claim
from verify import cli


def I(lo=None, hi=None):  # noqa: E743, N802 (short declarations)
    return {"type": "integer", "min": lo, "max": hi}


def R(lo=None, hi=None):  # noqa: N802
    return {"type": "real", "min": lo, "max": hi}


# (name, statement, variables, premises, expected verdict)
TRUE_CLAIMS = [
    ("tight-square", "x*(1 - x) <= 1/4", {"x": R(0, 1)}, [], "proved"),
    ("tight-at-one", "x*(2 - x) <= 1", {"x": R(0, 2)}, [], "proved"),
    (
        "log-product",
        "log(x*y) == log(x) + log(y)",
        {"x": R("1/10", 10), "y": R("1/10", 10)},
        [],
        "proved",
    ),
    ("gauss-sum", "Sum(k, (k, 1, n)) == n*(n + 1)/2", {"n": I(0, 200)}, [], "proved"),
    ("central-binomial", "binomial(2*m, m) >= 2**m", {"m": I(0, 40)}, [], "proved"),
    ("cubic-margin", "x**3 - x + 1 > 0", {"x": R(-1, 1)}, [], "proved"),
    ("relu-identity", "w*x == Max(0, w*x) - Max(0, -w*x)", {"w": R(), "x": R()}, [], "proved"),
    ("stirling-lower", "factorial(n) >= (n/E)**n", {"n": I(1, 170)}, [], "proved"),
    ("pi-upper", "pi < 22/7", {}, [], "proved"),
    ("two-squares", "a**2 + b**2 >= 2*a*b", {"a": R(-5, 5), "b": R(-5, 5)}, [], "proved"),
    ("log2-below-n", "log(n, 2) <= n", {"n": I(1, 2000)}, [], "proved"),
    ("premise-square", "x**2 >= 4", {"x": R(-10, 10)}, ["x >= 2"], "proved"),
    ("exp-tangent", "exp(x) >= 1 + x", {"x": R(-5, 5)}, [], "checked"),
    ("am-gm", "(x + y)/2 >= sqrt(x*y)", {"x": R(0, 10), "y": R(0, 10)}, [], "checked"),
    (
        "binomial-upper",
        "binomial(n, k) <= (E*n/k)**k",
        {"n": I(1, 500), "k": I(1, "n")},
        [],
        "checked",
    ),
]
FALSE_CLAIMS = [
    # a violation of 1e-13 on values near 1, in absolute and in relative terms
    ("near-one-1e-13", "x*(2 - x) <= 1 - 1e-13", {"x": R(0, 2)}, [], "refuted"),
    ("relative-1e-13", "(1 + 1e-13)*x <= x + 1e-14", {"x": R("1/2", 1)}, [], "refuted"),
    # false only on an interval of width 1e-6 (and 2e-7 around a point that is no simple fraction)
    ("width-1e-6", "Abs(x - 1/3) >= 1/2000000", {"x": R(0, 1)}, [], "refuted"),
    ("width-2e-7", "(x - 0.7123456)**2 >= 1e-14", {"x": R(0, 1)}, [], "refuted"),
    (
        "log-sum",
        "log(x + y) == log(x) + log(y)",
        {"x": R("1/10", 10), "y": R("1/10", 10)},
        [],
        "refuted",
    ),
    ("binomial-no-e", "binomial(n, k) <= (n/k)**k", {"n": I(1, 50), "k": I(1, "n")}, [], "refuted"),
    ("central-strict", "binomial(2*m, m) > 2**m", {"m": I(0, 40)}, [], "refuted"),
    ("square-positive", "x**2 > 0", {"x": R(-1, 1)}, [], "refuted"),
    (
        "relu-positive-part",
        "Max(0, a*x) == Max(0, a)*Max(0, x)",
        {"a": R(-1, 1), "x": R(-1, 1)},
        [],
        "refuted",
    ),
    (
        "edge-strict",
        "Abs(w*x - s*x) < 2*eps*Abs(x)",
        {"w": R(-1, 1), "s": R(-3, 3), "x": R(-1, 1), "eps": R("1e-6", "1/2")},
        ["Abs(w - s) < 2*eps"],
        "refuted",
    ),
    ("harmonic-low", "Sum(1/k, (k, 1, n)) <= log(n) + 1/2", {"n": I(1, 2000)}, [], "refuted"),
    ("pi-decimal", "pi < 3.14159", {}, [], "refuted"),
    (
        "union-same-C",
        "d**2*exp(-(n - C*log(d/eps))**2/(4*n)) <= eps",
        {"C": R(1, 100), "d": I(1, 1000), "eps": R("1e-12", "1/2"), "n": R(1, "1e7")},
        ["n >= C*log(d**2/eps)"],
        "refuted",
    ),
    (
        "mrss-exponent-C8",
        "n/2 - d*log(1/eps, 2) - d/2*log(n/2, 2) >= 0",
        {"d": I(1, 10**6), "eps": R("1e-9", "1/2"), "n": I(2, 10**8)},
        ["n >= 8*d*log(1/eps, 2)"],
        "refuted",
    ),
    ("powers", "2**n >= n**3", {"n": I(1, 20)}, [], "refuted"),
    ("exp-second-order", "exp(x) >= 1 + x + x**2/2", {"x": R(-1, 1)}, [], "refuted"),
]
ALL = TRUE_CLAIMS + FALSE_CLAIMS


def _toml_value(v: object) -> str:
    if v is None:
        raise AssertionError
    return json.dumps(v) if isinstance(v, str) else str(v)


def _claims_toml(cases: list) -> str:
    out = []
    for name, statement, variables, assume, _ in cases:
        out += ["[[claim]]", f"name = {json.dumps(name)}", f"statement = {json.dumps(statement)}"]
        if assume:
            out.append(f"assume = {json.dumps(assume)}")
        out.append("[claim.variables]")
        for var, spec in variables.items():
            fields = [f'type = "{spec["type"]}"'] + [
                f"{k} = {_toml_value(spec[k])}" for k in ("min", "max") if spec[k] is not None
            ]
            out.append(f"{var} = {{{', '.join(fields)}}}")
        out.append("")
    return "\n".join(out)


def _main(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(cli, "SUBCOMMAND_MODULES", ["verify.audit"])
    return cli.main(argv)


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict]:
    """Audit every known claim once through the command line (JSON output)."""
    path = tmp_path_factory.mktemp("claims") / "known.toml"
    path.write_text(_claims_toml(ALL))
    mp = pytest.MonkeyPatch()
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = _main(["audit", str(path), "--json", "--time-limit", "8"], mp)
    mp.undo()
    return code, json.loads(buf.getvalue())


def test_known_claims_get_their_verdicts(audited: tuple[int, dict]) -> None:
    code, data = audited
    got = {c["name"]: c["verdict"] for c in data["claims"]}
    want = {name: verdict for name, *_, verdict in ALL}
    assert got == want
    assert code == 1  # something is refuted
    assert len(TRUE_CLAIMS) >= 10 and len(FALSE_CLAIMS) >= 10


def test_counterexamples_are_exact_and_recheck(audited: tuple[int, dict]) -> None:
    _, data = audited
    by_name = {c["name"]: c for c in data["claims"]}
    for name, statement, variables, assume, _ in FALSE_CLAIMS:
        record = by_name[name]
        assert set(record) >= {
            "name",
            "verdict",
            "counterexample",
            "lhs",
            "rhs",
            "method",
            "effort",
        }
        point = {k: Fraction(v) for k, v in record["counterexample"].items()}
        claim = Claim.create(name, statement, variables, assume)
        assert check_point(claim, point).status == "violated", name
    assert by_name["near-one-1e-13"]["counterexample"] == {"x": "1"}
    assert by_name["width-1e-6"]["counterexample"] == {"x": "1/3"}
    assert by_name["square-positive"]["counterexample"] == {"x": "0"}
    assert by_name["central-strict"]["counterexample"] == {"m": "0"}
    assert by_name["near-one-1e-13"]["values"] == {
        "lhs": "1",
        "rhs": "9999999999999/10000000000000",
    }


def test_proofs_show_steps_and_checks_state_the_search(audited: tuple[int, dict]) -> None:
    _, data = audited
    for c in data["claims"]:
        if c["verdict"] == "proved":
            assert c["steps"], c["name"]
        if c["verdict"] == "checked":
            assert c["effort"]["points"] > 1000 and "points" in c["effort"]["search"]
    by_name = {c["name"]: c for c in data["claims"]}
    assert by_name["tight-square"]["steps"][-1].endswith(
        "(2*x - 1)**2/4, which sympy shows is >= 0"
    )
    assert by_name["central-binomial"]["method"] == "exhaustive"
    assert by_name["cubic-margin"]["method"] == "interval branch-and-bound"


def test_exit_zero_and_table_when_nothing_is_refuted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "ok.json"
    path.write_text(
        json.dumps(
            {
                "claims": [
                    {
                        "name": "square",
                        "statement": "x**2 - 2*x + 1 >= 0",
                        "variables": {"x": {"min": -3, "max": 3}},
                    },
                ]
            }
        )
    )
    assert _main(["audit", str(path)], monkeypatch) == 0
    out = capsys.readouterr().out
    assert "square  proved   symbolic" in out
    assert out.strip().endswith("1 claim: 1 proved, 0 refuted, 0 checked, 0 unchecked")


def _one(statement: str, variables: str = "") -> str:
    """A claim file with one claim; ``{marker}`` is filled in by the test."""
    table = f"[claim.variables]\n{variables}\n" if variables else ""
    return f'[[claim]]\nname = "x"\nstatement = "{statement}"\n{table}'


TOUCH = "__import__('os').system('touch {marker}')"
HOSTILE = {
    "injection": _one(f"{TOUCH} <= 1"),
    "injection-bare": _one(TOUCH),
    "injection-bound": _one("x <= 1", f'x = {{{{min = "{TOUCH}"}}}}'),
    "injection-lambda": _one("(lambda: open('{marker}', 'w'))() <= 1"),
    "injection-name": _one("x <= 1", "__class__ = {{}}"),
    "tower": _one("10**10**10**10 >= 1"),
    "tower-bound": _one("x >= 1", 'x = {{max = "10**10**10**10"}}'),
    "huge-exp": _one("exp(exp(exp(100))) > 0"),
    "deep-parentheses": _one("(" * 250 + "1" + ")" * 250 + " <= 2"),
    "deep-calls": _one("Abs(" * 60 + "1" + ")" * 60 + " <= 2"),
    "unary-chain": _one("-" * 1500 + "1 <= 2"),
    "long-statement": _one("1+" * 50_000 + "1 <= 2"),
    "malformed-toml": '[[claim]\nname = "x\nstatement = \n',
    "deep-toml": "a = " + "[" * 5000 + "]" * 5000 + "\n",
    "not-a-relation": _one("x + 1", "x = {{}}"),
    "undeclared": _one("y <= 1"),
    "caret": _one("x^2 >= 0", "x = {{}}"),
    "cycle": _one("x <= y", 'x = {{max = "y"}}\ny = {{max = "x"}}'),
    "empty": "",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_files_exit_2_and_execute_nothing(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "hostile.toml"
    path.write_text(HOSTILE[kind].format(marker=marker))
    assert _main(["audit", str(path)], monkeypatch) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("slth audit: error: ") and "\n" not in err and "Traceback" not in err
    assert not marker.exists()


def test_four_megabyte_statement_is_refused_in_a_fresh_process(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "big.toml"
    statement = f"__import__('os').system('touch {marker}') + " + "x+" * (2 << 20) + "x <= 1"
    path.write_text(f'[[claim]]\nname = "big"\nstatement = "{statement}"\n')
    assert path.stat().st_size > 4 << 20
    code = textwrap.dedent("""
        import sys
        import verify.cli as c
        c.SUBCOMMAND_MODULES[:] = ["verify.audit"]
        sys.exit(c.main(["audit", sys.argv[1]]))
    """)
    proc = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("slth audit: error: ") and proc.stderr.count("\n") == 1
    assert not marker.exists()


def test_usage_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _main(["audit"], monkeypatch) == 2
    assert _main(["audit", str(tmp_path / "missing.toml")], monkeypatch) == 2
    path = tmp_path / "c.toml"
    path.write_text('[[claim]]\nname = "a"\nstatement = "1 <= 2"\n')
    assert _main(["audit", str(path), "--time-limit", "0"], monkeypatch) == 2
    assert _main(["audit", str(path), "--seed-claims"], monkeypatch) == 2


def test_a_formula_that_explodes_at_run_time_stays_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    # 2**(2**n) passes every size guard at n = 100 only as "too large": those points are skipped
    path = tmp_path / "c.toml"
    path.write_text(
        '[[claim]]\nname = "tower"\nstatement = "2**(2**n) >= n"\n'
        '[claim.variables]\nn = {type = "integer", min = 1, max = 100}\n'
        '[[claim]]\nname = "big-factorial"\nstatement = "factorial(10**9) > 1"\n'
    )
    assert _main(["audit", str(path), "--json", "--time-limit", "3"], monkeypatch) == 0
    verdicts = {c["name"]: c["verdict"] for c in json.loads(capsys.readouterr().out)["claims"]}
    assert verdicts["tower"] in ("checked", "proved") and verdicts["big-factorial"] in (
        "proved",
        "checked",
    )


def _report(result) -> dict:  # noqa: ANN001 (an AuditResult)
    """An audit result without its timings."""
    out = result.to_json()
    out["effort"] = {k: v for k, v in out["effort"].items() if k != "seconds"}
    return out


def test_same_seed_same_report() -> None:
    from proofs.engine import audit_claims

    claims = [
        # binomial(2m, m) overflows doubles from m = 515: those points are re-scored with intervals
        Claim.create("overflowing", "binomial(2*m, m) >= 2**m", {"m": I(0, 700)}),
        Claim.create("tight-exp", "exp(x) >= 1 + x", {"x": R(-5, 5)}),
        Claim.create("false", "x*(2 - x) <= 1 - 1e-13", {"x": R(0, 2)}),
    ]
    first, second = (audit_claims(claims, 20, seed=3) for _ in range(2))
    assert [_report(r) for r in first] == [_report(r) for r in second]
    assert [r.verdict for r in first] == ["proved", "checked", "refuted"]
    assert not any(r.effort.get("time_cut") for r in first)


def test_a_time_cut_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    import proofs.engine as engine
    from verify.audit import format_table

    # sums of up to 10^5 terms: 20,000 points cannot be searched in the 50 ms the search gets
    claim = Claim.create("basel", "Sum(1/k**2, (k, 1, n)) <= 2", {"n": I(1, 10**5)})
    search = engine.search_counterexample
    monkeypatch.setattr(engine, "search_counterexample",
                        lambda c, budget, seed, _seconds: search(c, budget, seed, 0.05))
    r = engine.audit_claim(claim, 2)
    assert r.verdict == "checked" and r.effort["time_cut"][:1] == ["quick search"]
    assert "search" in r.effort["time_cut"]
    assert "stopped by the time limit" in r.effort["search"]
    assert "cut by the time limit: quick search" in format_table([r]).splitlines()[1]
