"""Ctrl-C during a solver's search: the one way every CP-SAT and MathOpt solve is called.

A solver's search runs in C++: Python's SIGINT handler (the ``KeyboardInterrupt``) runs only
when the call returns, and CP-SAT and SCIP install SIGINT handlers of their own that end the
search *quietly*, as if a time limit had been reached, so a run went on with its next solve
(an optimal-mask search ignored Ctrl-C for 100 s). Here CP-SAT's handler is switched off;
Python's C-level handler writes the signal to a wakeup socket (``signal.set_wakeup_fd``) even
while the search runs, a watcher thread reading it stops the search at once, and the
``KeyboardInterrupt`` is raised as soon as the solve returns.

>>> from ortools.sat.python import cp_model
>>> model = cp_model.CpModel()
>>> x = model.new_int_var(0, 10, "x")
>>> model.maximize(x)
>>> solver = cp_model.CpSolver()
>>> solve_cp(solver, model) == cp_model.OPTIMAL, solver.value(x)
(True, 10)
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["run_interruptibly", "solve_cp", "solve_mathopt", "STOP_WAIT"]

T = TypeVar("T")

#: Seconds the watcher is given to end after the solve.
STOP_WAIT = 1.0


def run_interruptibly(solve: Callable[[], T], stop: Callable[[], None]) -> T:
    """``solve()``, with ``stop()`` called from a watcher thread as soon as SIGINT arrives;
    ``KeyboardInterrupt`` is raised when ``solve()`` returns (also when the solver swallowed
    the interrupt and returned as if it had finished).

    >>> run_interruptibly(lambda: 6 * 7, lambda: None)
    42
    """
    if threading.current_thread() is not threading.main_thread():
        return solve()  # only the main thread may watch signals
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    done, seen = threading.Event(), threading.Event()

    def watch() -> None:
        while not done.is_set():
            got = reader.recv(64)
            if not got or done.is_set():
                return
            if signal.SIGINT in got:
                seen.set()
                stop()

    watcher = threading.Thread(target=watch, name="Ctrl-C watcher", daemon=True)
    watcher.start()
    try:
        value = solve()
        if seen.is_set():  # a solver may swallow the interrupt and return normally
            raise KeyboardInterrupt
        return value
    finally:
        done.set()
        signal.set_wakeup_fd(previous)
        with contextlib.suppress(OSError):
            writer.send(b"\0")  # wakes the watcher
        watcher.join(STOP_WAIT)
        reader.close()
        writer.close()


def solve_cp(solver: Any, model: Any) -> Any:
    """``solver.solve(model)`` for a ``cp_model.CpSolver``, stopped at once by Ctrl-C."""
    solver.parameters.catch_sigint_signal = False
    return run_interruptibly(lambda: solver.solve(model), solver.stop_search)


def solve_mathopt(model: Any, solver_type: Any, *, params: Any = None) -> Any:
    """``mathopt.solve(model, solver_type, params=params)``, ended by Ctrl-C with a
    ``KeyboardInterrupt``. SCIP's own Ctrl-C handler, which MathOpt leaves off, is switched on
    (it stops the search at once; a MathOpt interrupter makes this build of SCIP fail with an
    event-handler error); HiGHS is stopped through a MathOpt interrupter. Either way the
    solve reports the limit ``INTERRUPTED``, which is raised here, not read as a time limit."""
    from ortools.math_opt.python import mathopt

    if solver_type == mathopt.SolverType.GSCIP:
        params = mathopt.SolveParameters() if params is None else params
        params.gscip.bool_params["misc/catchctrlc"] = True
        result = mathopt.solve(model, solver_type, params=params)
    else:
        from ortools.util.python.solve_interrupter import SolveInterrupter

        interrupter = SolveInterrupter()
        result = run_interruptibly(
            lambda: mathopt.solve(model, solver_type, params=params, interrupter=interrupter),
            interrupter.interrupt)
    if result.termination.limit == mathopt.Limit.INTERRUPTED:
        raise KeyboardInterrupt
    return result
