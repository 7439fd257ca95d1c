"""Hostile and absurd input: every `slth` command answers with exit 2 and one line, never a
traceback, and returns (no hang, no allocation beyond the memory available).

The classes of the reproductions: huge and tiny numbers, memory bombs, unreadable files,
negative seeds, limits, negative fractions read as options; then hypothesis-generated garbage
for the options and files of every subcommand. Commands run in this process through
``verify.cli.main``; the memory available is pretended to be 256 MB so that a memory bomb is
refused at once, and a guard alarm of 120 s turns a hang into a failure (a guard, not a timing).
"""

from __future__ import annotations

import contextlib
import io
import json
import signal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import solvers.memory
from solvers.numbers import short_str
from verify.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
INSTANCE = str(EXAMPLES / "inst.json")
COVER = str(EXAMPLES / "cover.json")
TARGET = str(EXAMPLES / "target.json")
CONJ = str(EXAMPLES / "conj.json")
HANG_GUARD_SECONDS = 120


@pytest.fixture(autouse=True)
def small_machine(monkeypatch):
    """Pretend 256 MB are available, and fail (not hang) after HANG_GUARD_SECONDS."""
    monkeypatch.setattr(solvers.memory, "available_bytes", lambda: 256 * 2**20)

    def hang(signum, frame):
        raise AssertionError(f"still running after {HANG_GUARD_SECONDS} s")

    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(HANG_GUARD_SECONDS)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def slth(*argv: str, cwd: Path | None = None) -> tuple[int, str, str]:
    """Run one command in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.ExitStack() as stack:
        if cwd is not None:
            stack.enter_context(contextlib.chdir(cwd))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        try:
            rc = main(list(argv))
        except SystemExit as exc:
            rc = exc.code
    return rc, out.getvalue(), err.getvalue()


def assert_refused(rc: int, err: str, *, codes: tuple[int, ...] = (2,)) -> None:
    assert "Traceback" not in err, err
    assert rc in codes, f"exit {rc}: {err}"
    # one line says what is wrong, last; before it only progress of work already started
    lines = [ln for ln in err.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ": error: " in ln or ": undecided: " in ln]
    assert len(errors) == 1 and lines[-1] == errors[0], f"expected one error line: {err!r}"
    assert all(ln.startswith(("slth prune: target", "  ")) for ln in lines[:-1]), err
    assert "internal error" not in err, err


def write(tmp_path: Path, name: str, content: object) -> str:
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(p)


# --- the classes of the issue, one reproduction each (or more) ------------------------------


def test_huge_and_tiny_numbers(tmp_path):
    tiny = write(tmp_path, "tiny.json", {"values": [0.5, "1e-99999", 3], "target": 0.1})
    big = write(tmp_path, "big.json", '{"values": [1, %s, 2], "target": 1}' % ("9" * 5000))
    net = write(tmp_path, "inf.json", {"layers": [
        {"weight": [[1e308, 1e308], [1e308, -1e308]], "bias": [1e308, 1e308]},
        {"weight": [[1e308, 1e308]]}]})
    for argv in (
        ["solve", INSTANCE, "--eps", "1e-99999"],
        ["solve", tiny], ["solve", big],
        ["lueker", COVER, "--eps=1e-99999"],
        ["cover", COVER, "--eps", "1e99999"],
        ["prune", TARGET, "--width", "2", "--box=-1e400,1e400", "-o", str(tmp_path / "p")],
        ["prune", net, "--width", "2", "-o", str(tmp_path / "q"), "--no-png"],
        ["solve", INSTANCE, "--time-limit", "1e400"],
        ["solve", INSTANCE, "--time-limit", "nan"],
        ["bench", "prune", "--eps", "nan"],
        ["bench", "prune", "--time-limit", "nan"],
    ):
        assert_refused(*slth(*argv)[::2], codes=(2,))


def test_estimates_take_numbers_beyond_the_doubles(tmp_path):
    # the radius estimate works in floats: beyond them it gives up, the exact run does not
    for values, interval in ((["1e300"] * 3, ["-1", "1"]), ([0.5, 0.25], ["-1e4000", "1e4000"]),
                             (["1e-4000", "3e-4000"], ["-1", "1"]), ([0.01] * 2000, ["-1", "1"])):
        path = write(tmp_path, "v.json", {"values": values})
        for mode in (["--radius"], ["--eps", "1/1000"]):
            rc, out, err = slth("cover", path, *mode, "--interval", *interval)
            assert rc in (0, 1) and "Traceback" not in err and "internal error" not in err, err
        rc, _, err = slth("lueker", path, "--eps", "1/10", "--no-plot")
        assert rc == 0 and "internal error" not in err, err


def test_memory_bombs_are_refused_before_allocating(tmp_path):
    rng = np.random.default_rng(0)
    v60 = write(tmp_path, "v60.json", {"values": rng.uniform(-1, 1, 60).tolist()})
    v40 = write(tmp_path, "v40.json", {"values": rng.uniform(-1, 1, 40).tolist()})
    for n in (200, 10_000):
        conj = write(tmp_path, f"c{n}.json", {"conjecture": "no-subset-within", "eps": "1e-30",
                                               "values": rng.uniform(-1, 1, n).tolist(),
                                               "target": 0.3})
        assert_refused(*slth("check", conj)[::2])
    vec = write(tmp_path, "m.json", {"values": rng.uniform(-1, 1, (200, 2)).tolist(),
                                     "target": [0.3, 0.1]})
    assert_refused(*slth("solve", vec)[::2])
    assert_refused(*slth("prune", TARGET, "--width", "1000000", "-o", str(tmp_path / "w"))[::2])
    # the interval recursion is estimated before it starts: refused (2), one line
    for argv in (["cover", v60, "--eps", "1e-15"], ["cover", v40, "--radius"],
                 ["lueker", v60, "--eps", "1e-15", "--no-plot"],
                 ["lueker", "--check", "--check-eps", "1e-12"],
                 ["lueker", "--check", "--prefixes", "1000000000"],
                 ["sweep", "coverage", "--eps", "1e-15", "--trials", "1", "--no-progress",
                  "--out", str(tmp_path / "s")],
                 ["sweep", "coverage", "--n", "40", "--radius-max-n", "40", "--trials", "1",
                  "--no-progress", "--out", str(tmp_path / "s")]):
        rc, _, err = slth(*argv)
        assert_refused(rc, err)
        assert "would hold" in err or "could hold" in err or "at most" in err, err


def test_huge_common_denominators(tmp_path):
    # 1000-digit denominators, all different: exact sums would need 60,000 digits
    rng = np.random.default_rng(0)
    dens = [10**999 + int(k) for k in rng.integers(1, 10**9, 60)]
    wide = [f"{int(d) // 3}/{d}" for d in dens]
    many = write(tmp_path, "many.json", {"values": wide, "target": "1/3"})
    conj = write(tmp_path, "conj.json", {"conjecture": "no-subset-within", "values": wide,
                                         "target": "1/3", "eps": "1/10"})
    for argv in (["solve", many], ["solve", many, "--time-limit", "5"],
                 ["cover", many, "--eps", "1/10"], ["lueker", many, "--eps", "1/10"],
                 ["check", conj]):
        rc, _, err = slth(*argv)
        assert_refused(rc, err)
        assert "digits" in err


def test_a_time_limit_that_cannot_be_honoured_is_refused():
    # the sparsest-subset search has no time limit: refused, not silently ignored
    rc, _, err = slth("solve", INSTANCE, "--eps", "1/10", "--time-limit", "5")
    assert_refused(rc, err)
    assert "--time-limit does not apply to --eps" in err


def test_time_limit_with_one_huge_denominator(tmp_path):
    # one common denominator 3^2000 (955 digits): every phase (parsing, scaling, lattice
    # bound, engines, the exact re-check) runs on 3000-bit integers, and the limit still holds
    rng = np.random.default_rng(1)
    den = 3**2000
    values = [f"{int(k) * (den // 10**18)}/{den}" for k in rng.integers(-10**18, 10**18, 60)]
    path = write(tmp_path, "wide.json", {"values": values, "target": f"{den // 7}/{den}"})
    signal.alarm(60)  # a guard (the limit is 2 s): fail instead of hanging
    rc, _, err = slth("solve", path, "--time-limit", "2", "--method", "dp")
    assert_refused(rc, err)  # 3000-bit integers: the bitsets of their sums fit nowhere
    assert "dynamic program" in err
    for method in ("auto", "ckk", "mip-highs"):
        rc, out, err = slth("solve", path, "--time-limit", "2", "--method", method, "--json")
        assert rc == 0 and "Traceback" not in err, err
        sol = json.loads(out)
        assert sol["status"] in ("feasible", "optimal", "optimal_within_tolerance")
        assert Fraction(sol["error"]) == abs(sum(Fraction(values[i]) for i in sol["subset"])
                                             - Fraction(den // 7, den))


def test_unwritable_outputs_are_refused_before_the_work(tmp_path):
    truth = str(tmp_path / "t.jsonl")
    assert slth("truth", "rss-uniform", "--n", "5", "--count", "2", "-o", truth,
                "--workers", "1")[0] == 0
    afile = write(tmp_path, "a.json", "{}")
    for bad in (str(tmp_path), f"{afile}/under-a-file.png", "/proc/nowhere/x.png"):
        for argv in (["lueker", COVER, "--eps", "1/10", "--plot", bad],
                     ["score", truth, "--baseline", "greedy", "--plot", bad],
                     ["score", truth, "--baseline", "greedy", "--write-answers", bad]):
            rc, out, err = slth(*argv)
            assert_refused(rc, err)
            assert out == "" and "writable" in err


def test_files(tmp_path):
    notzip = write(tmp_path, "x.npz", b"this is not a zip")
    undecodable = write(tmp_path, "u.jsonl", b"\xff\xfe\x00garbage\n")
    a_list = write(tmp_path, "l.jsonl", "[1, 2, 3]\n")
    folder = tmp_path / "dir"
    folder.mkdir()
    for argv in (
        ["prune", notzip, "--width", "2", "-o", str(tmp_path / "o")],
        ["prune", str(folder), "--width", "2", "-o", str(tmp_path / "o")],
        ["solve", str(folder)],
        ["solve", str(tmp_path / "missing.json")],
        ["score", undecodable, "--baseline", "greedy"],
        ["score", a_list, "--baseline", "greedy"],
        ["check", undecodable],
    ):
        assert_refused(*slth(*argv)[::2])


@pytest.mark.parametrize("argv", [
    ["demo", "--seed", "-1", "--output", "d"],
    ["lueker", "--check", "--seed", "-1"],
    ["score", "t.jsonl", "--baseline", "random-sampling", "--seed", "-1"],
    ["truth", "rss-uniform", "--n", "4", "--count", "2", "--seed", "-1", "-o", "t.jsonl"],
    ["prune", TARGET, "--width", "2", "--seed", "-1", "-o", "p"],
])
def test_negative_seeds(argv, tmp_path):
    rc, _, err = slth(*argv, cwd=tmp_path)
    assert_refused(rc, err)
    assert "--seed" in err


def test_negative_fraction_is_a_value_not_an_option():
    rc, out, err = slth("cover", COVER, "--interval", "-1/2", "1/2", "--eps", "1/10")
    assert rc in (0, 1) and not err, err
    assert "[-1/2, 1/2]" in out


def test_version():
    rc, out, _ = slth("--version")
    assert rc == 0 and out.startswith("slth ")


# --- hypothesis-generated garbage -------------------------------------------------------------

GARBAGE = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "-1e400", "1e-99999", "0x10", "1/0",
                     "--", "-", "", " ", "1,2,3", "1e4000", "9" * 5000, "-0", "1_000"]),
    st.integers(min_value=-(10**30), max_value=-1).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)

#: (command prefix, the option that gets garbage, where its output goes); the options' valid
#: values are cheap, so garbage that happens to be valid still finishes fast. (Commands whose
#: every run is long, demo, bench and audit, are covered by the reproductions above.)
OPTIONS = [
    (["solve", INSTANCE, "--eps"], None),
    (["solve", INSTANCE, "--time-limit"], None),
    (["solve", INSTANCE, "--method"], None),
    (["cover", COVER, "--eps"], None),
    (["cover", COVER, "--eps", "0.1", "--interval", "-1"], None),
    (["lueker", COVER, "--eps"], None),
    (["check", CONJ, "--time-limit"], None),
    (["prune", TARGET, "--width", "2", "--no-png", "--eps"], "o"),
    (["prune", TARGET, "--width", "2", "--no-png", "--box"], "o"),
    (["truth", "rss-uniform", "--n", "4", "--count", "2", "--seed"], "t"),
    (["truth", "rss-uniform", "--count", "2", "--n"], "t"),
    (["sweep", "coverage", "--n", "4:5", "--trials", "1", "--eps"], "s"),
]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=GARBAGE, which=st.sampled_from(range(len(OPTIONS))))
def test_garbage_options(tmp_path, value, which):
    prefix, out = OPTIONS[which]
    argv = [*prefix, value] + (["-o" if out != "s" else "--out", str(tmp_path / out)]
                               if out else [])
    rc, _, err = slth(*argv)
    assert "Traceback" not in err and "internal error" not in err, err
    if rc == 2:
        assert_refused(rc, err)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["values", "target", "eps", "conjecture", "layers", "weight", "bias",
                         "instance", "subset", "cardinality", "norm", "interval", "kind"]),
        inner, max_size=4),
    max_leaves=12)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.one_of(JSON.map(json.dumps), st.binary(max_size=64), st.text(max_size=64)),
       command=st.sampled_from(["solve", "cover", "lueker", "check", "score", "certify",
                                "prune", "audit"]))
def test_garbage_files(tmp_path, content, command):
    suffix = ".toml" if command == "audit" else ".json"
    path = write(tmp_path, f"garbage{suffix}", content.encode() if isinstance(content, str)
                 else content)
    extra = {"cover": ["--eps", "1/10"], "lueker": ["--eps", "1/10", "--no-plot"],
             "score": ["--baseline", "greedy"],
             "prune": ["--width", "2", "--no-png", "-o", str(tmp_path / "p")]}
    rc, _, err = slth(command, path, *extra.get(command, []))
    assert "Traceback" not in err and "internal error" not in err, err
    if rc == 2:
        assert_refused(rc, err)


@pytest.mark.parametrize("kind", ["coverage", "mrss"])
@pytest.mark.parametrize("eps", ["1E400", "1E-400"])
def test_sweeps_take_eps_beyond_the_doubles(tmp_path, kind, eps):
    # exact eps far outside the doubles: log2(1/eps) is computed from the exact rational
    small = ["--d", "1", "--prediction-max-n", "8"] if kind == "mrss" else []
    rc, out, err = slth("sweep", kind, "--n", "4:5", "--trials", "1", "--eps", eps, "--workers",
                      "1", "--no-progress", *small, "--out", str(tmp_path / "s"))
    if kind == "mrss" and eps == "1E400":  # eps >= 1 is trivial in [-1, 1]^d: refused
        assert_refused(rc, err)
        assert "every eps must be < 1" in err
    else:
        assert rc == 0 and "internal error" not in err, err
        assert short_str(Fraction(eps)) in out  # printed from the exact eps, not as 0 or inf


def test_files_with_unprintable_exact_sums_are_refused(tmp_path):
    # values whose exact sums need integers beyond Python's 4300-digit printing limit: every
    # command that reads instances from files (here `slth score` on a truth file) refuses them
    truth = tmp_path / "t.jsonl"
    rc, _, err = slth("truth", "rss-uniform", "--n", "6", "--count", "1", "--workers", "1",
                      "-o", str(truth))
    assert rc == 0, err
    rec = json.loads(truth.read_text())
    rec["instance"]["values"] = [f"1/{10**999 + k}" for k in range(6)]
    truth.write_text(json.dumps(rec) + "\n")
    rc, _, err = slth("score", str(truth), "--baseline", "greedy")
    assert_refused(rc, err)
    assert "4200 digits" in err
