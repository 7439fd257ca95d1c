"""The claim-audit engine: prove, refute or check each claim, within a time limit.

For one claim, in order: a quick counterexample search (most false claims fall here), a
symbolic proof (30% of the time, at least 2 s when the limit allows), every point of a small
all-integer domain, the full counterexample search (:mod:`proofs.search`), and interval
branch-and-bound over a bounded domain. The verdict is

- ``proved``: by sympy, a polynomial certificate, exhaustion, or branch-and-bound;
- ``refuted``: a counterexample confirmed in exact or interval arithmetic;
- ``checked``: no counterexample in the search described by ``effort``;
- ``unchecked``: nothing could be decided (no point of the domain evaluates; time out).

A proof is cross-checked by a short search: a rigorous counterexample overrules it (and says so).

Every search and proof attempt is bounded by work (points, boxes), so for a given seed the
report is the same on every run; a phase that the time limit cuts first is listed in
``effort["time_cut"]`` (and in ``reason``), since what it reports then depends on the machine.

Each claim runs in a forked child process (:func:`run_isolated`) with a hard time limit and a
memory cap, and inside it each phase has its own alarm: a formula that makes sympy spin costs
its phase, never the audit.

>>> from proofs.claims import Claim
>>> c = Claim.create("binomial-small", "binomial(n, k) <= 2**n",
...                  {"n": {"type": "integer", "min": 0, "max": 30},
...                   "k": {"type": "integer", "min": 0, "max": "n"}})
>>> r = audit_claim(c, time_limit=20)
>>> r.verdict, r.method
('proved', 'exhaustive')
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from proofs.claims import AuditResult, Claim
from proofs.grammar import to_text
from proofs.prove import Proof, Refutation, exhaustive_proof, interval_proof, symbolic_proof
from proofs.search import Budget, SearchOutcome, search_counterexample
from solvers.child import call_in_child
from solvers.numbers import InputError, fraction_str

__all__ = [
    "audit_claim",
    "audit_claims",
    "run_isolated",
    "time_box",
    "warm_up",
    "PhaseTimeout",
]

#: Memory a claim's child process may map beyond what it inherits from its parent.
MEMORY_LIMIT = 3 << 30
_GRACE = 5.0  # seconds a child may overrun its time limit before it is killed
_QUICK = Budget(points=1500, descent_starts=4, descent_iterations=40, confirmations=12)


class PhaseTimeout(Exception):
    """Raised inside a phase when its alarm rings."""


@contextmanager
def time_box(seconds: float) -> Iterator[None]:
    """Raise :class:`PhaseTimeout` in the block after ``seconds`` (main thread, POSIX; else no-op)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or seconds <= 0:
        if seconds <= 0:
            raise PhaseTimeout
        yield
        return

    def ring(signum: int, frame: object) -> None:
        raise PhaseTimeout

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _point_text(point: dict) -> dict[str, str]:
    return {k: fraction_str(v) for k, v in point.items()}


def _base(claim: Claim) -> AuditResult:
    statement = claim.relation.text()
    if claim.assumptions:
        statement = f"{statement}  assuming " + " and ".join(a.text() for a in claim.assumptions)
    return AuditResult(
        claim.name,
        "unchecked",
        "",
        lhs=to_text(claim.relation.lhs),
        rhs=to_text(claim.relation.rhs),
        relation=claim.relation.op,
        statement=statement,
        note=claim.note,
    )


def _confirmed_by(values: tuple[str, str] | None) -> str:
    if values and any(v.startswith("[") for v in values):
        return "interval arithmetic"
    return "exact rational arithmetic"


def audit_claim(
    claim: Claim,
    time_limit: float = 10.0,
    seed: int = 0,
    budget: Budget | None = None,
    proof: Proof | None = None,
) -> AuditResult:
    """Audit one claim in this process (see the module docstring for the phases).

    A ``proof`` given by the caller (a written derivation) replaces the proof attempts; the
    short cross-checking search still runs and a counterexample still overrules it.
    """
    budget = budget or Budget()
    t0 = time.monotonic()
    deadline = t0 + time_limit
    result = _base(claim)
    notes: list[str] = []
    effort: dict[str, object] = {}
    if _refused(claim, time_limit, result):
        return result

    phase = _Phases(deadline, time_limit, effort, notes)
    if proof is None:  # a quick search first: most false claims fall at once
        quick = phase(
            "quick search",
            0.2,
            lambda dl: search_counterexample(claim, _QUICK, seed, 0.9 * (dl - time.monotonic())),
        )
        if isinstance(quick, SearchOutcome) and quick.counterexample is not None:
            return _refuted(result, quick, None, t0, effort, notes)
        symbolic_share = max(0.3, min(0.5, 2.0 / time_limit))  # at least 2 s if it can
        proof = phase("symbolic proof", symbolic_share, lambda dl: symbolic_proof(claim, dl))
    if proof is None:
        proof = phase(
            "exhaustive check", 0.3, lambda dl: exhaustive_proof(claim, budget.exhaustive, dl)
        )
    if isinstance(proof, Refutation):
        result.verdict, result.method = (
            "refuted",
            f"{proof.method}, {_confirmed_by((proof.lhs, proof.rhs))}",
        )
        result.counterexample = _point_text(proof.point)
        result.values = {"lhs": proof.lhs, "rhs": proof.rhs}
        return _finish(result, t0, effort, notes)
    search_budget = budget
    if isinstance(proof, Proof):  # a short cross-check of the proof
        search_budget = Budget(
            points=2000, descent_starts=4, descent_iterations=60, confirmations=16
        )
    # the search stops itself at 90% of its share; the alarm is only a backstop
    outcome = phase(
        "search",
        1.0,
        lambda dl: search_counterexample(claim, search_budget, seed, 0.9 * (dl - time.monotonic())),
    )
    if isinstance(outcome, SearchOutcome):
        effort["points"] = outcome.points
        effort["search"] = outcome.describe()
        if outcome.counterexample is not None:
            return _refuted(result, outcome, proof, t0, effort, notes)
    if not isinstance(proof, Proof):
        proof = phase("interval proof", 1.0, lambda dl: interval_proof(claim, budget.boxes, dl))
    return _conclude(result, proof, outcome, t0, effort, notes)


class _Phases:
    """Runs the phases of one audit, each with its share of the time under its own alarm, and
    lists in ``effort["time_cut"]`` those the time limit cut (what they report then depends on
    the machine)."""

    def __init__(self, deadline: float, time_limit: float, effort: dict, notes: list[str]):
        self.deadline, self.time_limit, self.effort, self.notes = (deadline, time_limit, effort,
                                                                   notes)

    def __call__(self, name: str, share: float, fn: Callable[[float], object]) -> object:
        left = self.deadline - time.monotonic()
        seconds = min(left, share * self.time_limit) if share < 1 else left
        start = time.monotonic()
        try:
            with time_box(seconds):
                out = fn(start + seconds)
        except PhaseTimeout:
            out = None
        except RecursionError:
            self.notes.append(f"{name} gave up: the expression nests too deeply for it")
            return None
        if isinstance(out, SearchOutcome):  # a search says itself whether the time cut it
            was_cut = bool(out.stopped)
        else:  # a proof attempt gives up (None) at its deadline
            was_cut = out is None and time.monotonic() >= start + seconds
        if was_cut:
            self.effort.setdefault("time_cut", []).append(name)
        return out


def _refused(claim: Claim, time_limit: float, result: AuditResult) -> bool:
    """Evaluate the claim's constant sub-formulas under the time limit; on bad input or a
    time-out fill ``result`` in as refused and return True."""
    try:
        with time_box(time_limit):
            claim.check_constants()
    except (InputError, PhaseTimeout) as exc:
        result.verdict, result.method = "unchecked", "refused"
        result.reason = str(exc) if isinstance(exc, InputError) else \
            f"its constants took longer than the {time_limit:g} s time limit to evaluate"
        return True
    return False


def _conclude(result: AuditResult, proof: object, outcome: object, t0: float, effort: dict,
              notes: list[str]) -> AuditResult:
    """The verdict when no counterexample was found: proved, checked or unchecked."""
    if isinstance(proof, Proof):
        result.verdict, result.method, result.steps = "proved", proof.method, proof.steps
        effort.update(proof.effort)
    elif isinstance(outcome, SearchOutcome) and outcome.usable > 0:
        result.verdict, result.method = "checked", "search: no counterexample"
    else:
        result.verdict = "unchecked"
        result.method = "nothing decided"
        result.reason = (
            "no point of the domain could be evaluated (a side undefined or beyond the size "
            "limits everywhere searched, or the premises never hold)"
            if isinstance(outcome, SearchOutcome)
            else "the search did not run within the time limit"
        )
    return _finish(result, t0, effort, notes)


def _refuted(
    result: AuditResult,
    outcome: SearchOutcome,
    proof: object,
    t0: float,
    effort: dict,
    notes: list[str],
) -> AuditResult:
    result.verdict = "refuted"
    result.method = f"search + {_confirmed_by(outcome.values)}"
    result.counterexample = _point_text(outcome.counterexample or {})
    result.values = {"lhs": outcome.values[0], "rhs": outcome.values[1]}  # type: ignore[index]
    effort["points"] = outcome.points
    effort["search"] = outcome.describe()
    if isinstance(proof, Proof):
        notes.append(f"overrules a {proof.method} proof attempt (a bug in it?)")
    return _finish(result, t0, effort, notes)


def _finish(result: AuditResult, t0: float, effort: dict, notes: list[str]) -> AuditResult:
    effort["seconds"] = round(time.monotonic() - t0, 3)
    result.effort = effort
    if effort.get("time_cut"):
        notes.append("cut by the time limit: " + ", ".join(effort["time_cut"]))
    if notes:
        result.reason = "; ".join(filter(None, [result.reason, *notes]))
    return result


def run_isolated(
    fn: Callable[[], AuditResult],
    time_limit: float,
    fallback: AuditResult,
    grace: float = _GRACE,
) -> AuditResult:
    """Run ``fn`` in a forked child (:func:`solvers.child.call_in_child`, with the memory cap
    :data:`MEMORY_LIMIT`) killed after ``time_limit + grace`` seconds; ``fallback`` filled in
    with the reason if it dies or overruns. Without ``fork`` it runs in this process."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return fn()
    out = call_in_child(fn, time_limit, grace=grace, memory_limit=MEMORY_LIMIT)
    if out.status == "returned" and isinstance(out.value, AuditResult):
        return out.value
    fallback.verdict, fallback.method = "unchecked", "nothing decided"
    if isinstance(out.value, MemoryError):
        fallback.reason = f"ran out of its {MEMORY_LIMIT >> 30} GB memory cap"
    elif out.status == "raised":
        fallback.reason = f"internal error: {type(out.value).__name__}: {out.value}"
    elif out.status == "timeout":
        fallback.reason = f"killed after the {time_limit:g} s time limit"
    else:
        fallback.reason = f"the worker process died (exit code {out.exitcode})"
    fallback.effort = {"seconds": round(out.seconds, 3)}
    return fallback


_warm = False


def warm_up() -> None:
    """Load sympy's lazily imported machinery once in this process, so that forked children
    start warm (saves about a second per claim)."""
    global _warm
    if _warm:
        return
    from proofs.claims import Claim as _Claim
    from proofs.prove import symbolic_proof as _symbolic

    for statement in (
        "Max(0, x) - Max(0, -x) == x",
        "x**2 - 2*x + 1 >= 0",
        "log(x*y) == log(x) + log(y)",
    ):
        _symbolic(_Claim.create("warm-up", statement, {"x": {"min": 1}, "y": {"min": 1}}))
    _warm = True


def audit_claims(
    claims: Sequence[Claim],
    time_limit: float = 10.0,
    seed: int = 0,
    budget: Budget | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[AuditResult]:
    """Audit claims one after the other, each isolated in a child process."""
    warm_up()
    out = []
    for i, claim in enumerate(claims):
        if progress is not None:
            progress(i, len(claims), claim.name)
        out.append(
            run_isolated(
                lambda c=claim: audit_claim(c, time_limit, seed, budget),
                time_limit,
                _base(claim),
            )
        )
    return out
