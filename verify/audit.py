"""`slth audit`: prove, refute or check the claims of a claim file, or of the seed slides.

Exit codes: 0 nothing refuted, 1 some claim refuted, 2 a bad file or bad usage.

>>> import os, tempfile
>>> from verify.cli import SlthParser
>>> import argparse
>>> parser = SlthParser(prog="slth")
>>> register(parser.add_subparsers(parser_class=SlthParser))
>>> path = os.path.join(tempfile.mkdtemp(), "c.toml")
>>> _ = open(path, "w").write('''
... [[claim]]
... name = "square"
... statement = "x**2 >= 2*x - 1"
... variables.x = {min = -10, max = 10}
... ''')
>>> args = parser.parse_args(["audit", path, "--time-limit", "20"])
>>> args.func(args)
claim   verdict  method    details
square  proved   symbolic  factor: lhs - rhs = (x - 1)**2, which sympy shows is >= 0
<BLANKLINE>
1 claim: 1 proved, 0 refuted, 0 checked, 0 unchecked
0
"""

from __future__ import annotations

import argparse
import json
import sys

from proofs.claims import AuditResult, read_claims
from proofs.engine import audit_claims
from solvers.numbers import InputError
from verify.progress import QUIET_SECONDS, ProgressBar
from verify.terminal import printable

__all__ = ["register", "run", "format_table", "summary"]

DEFAULT_TIME_LIMIT = 10.0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "audit",
        help="prove, refute or check claims (inequalities, identities) from a file",
        description=(
            "Judge each claim of CLAIMS (TOML or JSON): proved (with its steps), refuted (an "
            "exact counterexample, re-checked rigorously) or checked (no counterexample in the "
            "stated search). Exit 0 if nothing is refuted, 1 if something is, 2 for a bad file."
        ),
    )
    p.add_argument("claims", nargs="?", help="claim file: [[claim]] name, statement, variables")
    p.add_argument(
        "--seed-claims", action="store_true", help="audit the claims of the seed slides instead"
    )
    p.add_argument(
        "--time-limit",
        type=float,
        default=DEFAULT_TIME_LIMIT,
        metavar="S",
        help=f"seconds per claim (default {DEFAULT_TIME_LIMIT:g})",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed of the search (default 0)")
    p.add_argument("--steps", action="store_true", help="print proof steps and values too")
    p.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    p.set_defaults(func=run)


def _detail(r: AuditResult) -> str:
    cut = r.effort.get("time_cut")
    text = _verdict_detail(r)
    if cut and r.verdict != "unchecked":  # its counts then depend on the machine's speed
        text = "; ".join(filter(None, [text, "cut by the time limit: " + ", ".join(cut)]))
    return text


def _verdict_detail(r: AuditResult) -> str:
    if r.verdict == "refuted" and r.counterexample is not None:
        return ", ".join(f"{k} = {v}" for k, v in r.counterexample.items()) or "(no variables)"
    if r.verdict == "proved":
        if r.method in ("symbolic", "polynomial certificate") and len(r.steps[-1]) <= 70:
            return r.steps[-1]
        extra = [f"{r.effort[k]} {k}" for k in ("points", "boxes", "instances") if k in r.effort]
        if r.method in ("exhaustive", "interval branch-and-bound"):
            return r.steps[-1] if r.steps else ""
        return f"{len(r.steps)} steps (--steps)" + (f"; cross-check: {extra[0]}" if extra else "")
    if r.verdict == "checked":
        if "prefixes" in r.effort:
            return f"no violation in {r.effort['prefixes']} prefixes"
        return f"no counterexample in {r.effort.get('points', 0)} points"
    return r.reason


def summary(results: list[AuditResult]) -> dict[str, int]:
    """How many claims got each verdict."""
    return {
        v: sum(r.verdict == v for r in results)
        for v in ("proved", "refuted", "checked", "unchecked")
    }


def format_table(results: list[AuditResult], steps: bool = False) -> str:
    """The human table of verdicts (one row per claim), then a summary line."""
    rows = [("claim", "verdict", "method", "details")]
    # user text (names, statements, notes) is escaped: it must not forge rows or lines
    rows += [tuple(printable(x) for x in (r.name, r.verdict, r.method, _detail(r)))
             for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row[:3], widths, strict=True)) + "  " + row[3]
        for row in rows
    ]
    lines = [line.rstrip() for line in lines]
    if steps:
        for r in results:
            block = [f"{r.name}: {r.verdict} ({r.method})", f"  claim: {r.statement}"]
            if r.note:
                block.append(f"  slide: {r.note}")
            block += [f"  {s}" for s in r.steps]
            if r.values:
                block.append(
                    f"  at the counterexample: lhs = {r.values['lhs']}, rhs = {r.values['rhs']}"
                )
            if r.effort.get("search"):
                block.append(f"  search: {r.effort['search']}")
            if r.reason:
                block.append(f"  note: {r.reason}")
            lines += ["", *(printable(line) for line in block)]
    counts = summary(results)
    total = len(results)
    lines += [
        "",
        f"{total} claim{'s' if total != 1 else ''}: "
        + ", ".join(f"{n} {v}" for v, n in counts.items()),
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if (args.claims is None) == (not args.seed_claims):
        raise InputError("give a claim file or --seed-claims (one of them)")
    if not 0 < args.time_limit <= 3600:
        raise InputError(f"--time-limit is {args.time_limit}: expected seconds in (0, 3600]")
    bar = ProgressBar("  claims", enabled=not args.json, delay=QUIET_SECONDS)

    def progress(i: int, n: int, name: str) -> None:
        bar(i / n, f"{i + 1}/{n} {printable(name)[:40]}")

    if args.seed_claims:
        from proofs.seed import audit_seed

        results = audit_seed(args.time_limit, args.seed, progress)
    else:
        claims = read_claims(args.claims)
        results = audit_claims(claims, args.time_limit, args.seed, progress=progress)
    bar(1.0, f"{len(results)}/{len(results)}")
    bar.close()
    if args.json:
        print(
            json.dumps(
                {"claims": [r.to_json() for r in results], "summary": summary(results)}, indent=1
            )
        )
    else:
        print(format_table(results, args.steps))
    refused = [r for r in results if r.method == "refused"]
    if refused:  # bad input found inside a claim's time-limited child: exit 2, one line
        sys.stderr.write(f"slth audit: error: {printable(refused[0].reason)}\n")
        return 2
    return 1 if any(r.verdict == "refuted" for r in results) else 0
