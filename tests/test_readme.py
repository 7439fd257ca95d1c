"""The README runs as written: every `$ ` command of its code blocks, from a fresh checkout.

How: every line of a fenced code block that starts with ``$ `` is a command. ``slth ...`` runs
in this process (``verify.cli.main``), ``python ...`` and ``cat ...`` as themselves, in an
empty folder holding only a link to the repository's ``examples/`` (so a README command can use
nothing but files the repository ships). ``;`` separates commands and ``> FILE`` redirects.

A command runs exactly as printed unless it is listed in :data:`REDUCED` (long sweeps and
benches: the test runs the same command with smaller sizes and says why). The exit code must be
the one in :data:`EXIT_CODES` (0 otherwise), and the first output line the README shows under a
command that runs unreduced must appear in what the command printed, so the shown outputs do not
drift from the code. Blocks without ``$`` lines (installation, a Dask cluster) are not run; they
must be listed in :data:`NOT_RUN`.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from verify.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

#: README command -> (what the test runs instead, why).
REDUCED = {
    "slth sweep coverage --n 4:60 --eps 1e-1 1e-2 1e-3 1e-4 --trials 200 --out sweep-coverage": (
        "slth sweep coverage --n 4:8 --eps 1e-1 --trials 3 --out sweep-coverage",
        "11,400 trials take minutes"),
    "slth sweep mrss --out sweep-mrss": (
        "slth sweep mrss --d 1 --eps 0.1 --n 2:6 --trials 3 --out sweep-mrss",
        "10,412 exact solves take 20 minutes"),
    "slth truth rss-uniform --n 30 --count 1000 --seed 0 -o truth.jsonl --workers 2": (
        "slth truth rss-uniform --n 12 --count 20 --seed 0 -o truth.jsonl --workers 1",
        "1,000 instances of n = 30 take 10 s and more"),
    "slth score truth.jsonl --baseline karmarkar-karp --plot kk.png": (
        "slth score truth.jsonl --baseline karmarkar-karp --plot kk.png",
        "as printed, on the reduced truth.jsonl: its figures differ from the README's"),
    "slth bench masks --hidden 8 12 16 --time-limit 120": (
        "slth bench masks --hidden 4 --time-limit 10",
        "a benchmark: the printed run takes minutes; the test runs the smallest network"),
    "slth bench masks --no-hidden --construction-widths 1 2 3 4 5 6 --structured "
    "--time-limit 240": (
        "slth bench masks --no-hidden --construction-widths 1 --structured --time-limit 30",
        "a benchmark: the printed run takes 25 minutes; the test runs width 1"),
    "slth bench masks --no-hidden --no-master --construction-widths 1 2 --time-limit 200": (
        "slth bench masks --no-hidden --no-master --construction-widths 1 --time-limit 30",
        "a benchmark: width 2 takes minutes; the test runs width 1"),
    "slth certify truth.jsonl": (
        "slth certify truth.jsonl", "as printed, on the reduced truth.jsonl: other counts"),
}

#: README command -> its exit code where it is not 0.
EXIT_CODES = {
    "slth cover examples/cover.json --eps 1/100": 1,
    "slth solve examples/ragged.json": 2,
    "slth audit examples/claims.toml": 1,
    "slth certify result.json": 1,
}

#: The first words of every code block that is shown but not run, and why.
NOT_RUN = {
    "python3 -m venv": "installs into a new virtual environment (what `.ci/run` does)",
    "solvers/   exact": "the folder layout",
    "from solvers.rss import": "a Python sketch; examples/solve_rss.py is the runnable one",
    "  n  method": "output of `slth bench rss|mrss` (minutes), the command is in the prose",
    "dask scheduler": "needs a Dask cluster",
    "workload               solver": "output of `slth bench rss --peers` (minutes; needs the "
                                     "optional extra 'peers')",
    "[[claim]]": "an excerpt of examples/claims.toml",
    "claim                            verdict": "output of `slth audit --seed-claims` (a minute)",
    "row                            status": "output of `slth bench prune` at Pensia scale",
    "# in PyTorch": "needs PyTorch; tests/test_interop.py writes the same files without it",
    "slth prune target.safetensors": "needs that PyTorch file; tests/test_interop.py runs "
                                     "the same command on one it builds",
    "from torch.nn.utils import prune": "needs PyTorch; tests/test_interop.py checks the "
                                        "file's keys and round trip",
}


def blocks() -> list[list[str]]:
    """The fenced code blocks of the README, as lists of lines."""
    return [b.strip("\n").splitlines() for b in re.findall(r"^```[^\n]*\n(.*?)^```", README,
                                                              flags=re.S | re.M)]


def readme_commands() -> list[tuple[str, str | None]]:
    """Every ``$ `` command of the README with the first output line shown under it."""
    found = []
    for lines in blocks():
        for i, line in enumerate(lines):
            if line.startswith("$ "):
                shown = lines[i + 1] if i + 1 < len(lines) else None
                cmd = shlex.join(shlex.split(line[2:], comments=True))
                found.append((cmd, None if shown is None or shown.startswith("$") else shown))
    return found


def run_one(cmd: str, cwd: Path) -> tuple[int, str]:
    """Run one README command in cwd; the exit code and everything it printed."""
    words = shlex.split(cmd)
    target = None
    if ">" in words:
        at = words.index(">")
        words, target = words[:at], cwd / words[at + 1]
    if words[0] == "cat":
        return 0, (cwd / words[1]).read_text(encoding="utf-8")
    if words[0] == "python":
        res = subprocess.run([sys.executable, *words[1:]], cwd=cwd, capture_output=True,
                             text=True, timeout=120)
        return res.returncode, res.stdout + res.stderr
    assert words[0] == "slth", f"the README runs {words[0]!r}: the test knows slth, python, cat"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(words[1:])
        except SystemExit as exc:
            rc = exc.code
    if target is not None:
        target.write_text(out.getvalue(), encoding="utf-8")
    return rc, out.getvalue() + err.getvalue()


def test_every_block_is_run_or_listed():
    for lines in blocks():
        if any(line.startswith("$ ") for line in lines):
            continue
        assert any(lines[0].startswith(k) for k in NOT_RUN), f"block not run: {lines[0]!r}"


def test_reduced_and_exit_tables_name_readme_commands():
    cmds = {c for c, _ in readme_commands()}
    for table in (REDUCED, EXIT_CODES):
        for cmd in table:
            assert cmd in cmds, f"{cmd!r} is no longer in the README"


def test_readme_limits_match_the_code():
    from solvers.rss import BIGINT_MAX_N, MITM_MAX_N

    assert f"`mitm` (n <= {MITM_MAX_N}, `solvers.rss.MITM_MAX_N`" in README
    assert f"n <= {MITM_MAX_N} by `auto`" in README
    assert f"exact Python integers up to n = {BIGINT_MAX_N}" in README
    assert not re.search(rf"meet-in-the-middle[^.,;]*n <= (?!{MITM_MAX_N})\d+", README)


@pytest.mark.slow
def test_readme_commands_run_as_written(tmp_path):
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    for cmd, shown in readme_commands():
        run, why = REDUCED.get(cmd, (cmd, None))
        rc, printed = run_one(run, tmp_path)
        assert rc == EXIT_CODES.get(cmd, 0), f"`{run}` exited {rc}:\n{printed[-2000:]}"
        assert "Traceback" not in printed, f"`{run}`:\n{printed[-2000:]}"
        if why is None and shown is not None:
            squash = " ".join(shown.split())
            assert squash in " ".join(printed.split()), f"`{cmd}` no longer prints {shown!r}"
