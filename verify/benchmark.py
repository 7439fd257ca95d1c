"""The loop every ``slth bench`` kind shares: each row in a fresh process, a method dropped once
it overruns, times relative to a reference method, and each row's own peak memory.

A row's task runs in a spawned child (:func:`verify.runtime.run_in_child`) and measures its
solve with :func:`measure`: ``seconds`` is the solve alone (imports and compilation excluded)
and ``peak_mb`` the resident memory the solve added at its peak (the process's high-water mark
is reset just before it, so the interpreter and libraries are not counted). A ratio with a time
below :data:`NOISE_SECONDS` on either side is dominated by timer noise, and is marked ``~``.
A row still running after a couple of seconds shows a bar of its time against the limit on
stderr (:func:`verify.progress.elapsed`).

>>> rows = [{"n": 4, "bench_method": "auto", "status": "optimal", "seconds": 0.5},
...         {"n": 4, "bench_method": "cpsat", "status": "feasible", "seconds": 2.0}]
>>> add_ratios(rows, "auto", "ratio_vs_auto")
>>> ratio_text(rows[1], "ratio_vs_auto")
'>=4'
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from solvers.child import peak_memory
from solvers.numbers import InputError, check_time_limit
from verify.progress import elapsed
from verify.runtime import run_in_child

__all__ = ["measure", "bench_row", "bench_rows", "add_ratios", "ratio_text", "NOISE_SECONDS",
           "check_bench_time_limit"]

#: Times below this many seconds are timer noise: their ratios are marked ``~``.
NOISE_SECONDS = 1e-3
_FINISHED = ("optimal", "optimal_within_tolerance")


def measure(solve: Callable[[], Any]) -> tuple[Any, dict[str, Any]]:
    """``solve()`` and its cost: ``solve_seconds`` and ``solve_mb`` (the resident memory it
    added at its peak; ``mb_is_lower_bound`` where the peak could not be reset)."""
    with peak_memory() as mem:
        start = time.perf_counter()
        out = solve()
        seconds = time.perf_counter() - start
    return out, {"solve_seconds": seconds, "solve_mb": mem.mb,
                 "mb_is_lower_bound": not mem.exact}


def bench_row(task: Callable[..., dict], kwargs: dict, time_limit: float,
              log: Callable[[str], None], progress: bool = True, **labels: Any) -> dict:
    """One row: ``task(**kwargs)`` in a fresh process, labelled, logged on one line; a row
    still running after a couple of seconds shows a bar of its time against the limit."""
    what = " ".join(str(labels[k]) for k in ("bench_method", "method", "eps")
                    if labels.get(k) is not None)
    with elapsed(f"  n={labels.get('n', ''):<3} {what}", time_limit, enabled=progress):
        out = run_in_child(task, kwargs, time_limit)
    out.update(labels)
    state = out.get("status") or ("killed at limit" if out.get("timeout") else "failed"
                                  if out.get("died") or "error_message" in out else "done")
    log(f"  n={labels.get('n', ''):<3} {what:<26} {state:<24}"
        f"{out.get('seconds', float('nan')):9.3f} s\n")
    return out


def bench_rows(ns: Iterable[int], methods: list[str], task: Callable[..., dict],
               kwargs_of: Callable[[int, str], dict], time_limit: float,
               log: Callable[[str], None], skip: Callable[[int, str], bool] | None = None,
               progress: bool = True, **labels: Any) -> list[dict]:
    """One row per (n, method) run; a method that overruns or does not finish is not run at
    larger n, and ``skip(n, method)`` leaves out a row."""
    rows: list[dict] = []
    dropped: set[str] = set()
    for n in ns:
        for method in methods:
            if method in dropped or (skip is not None and skip(n, method)):
                continue
            out = bench_row(task, kwargs_of(n, method), time_limit, log, progress, n=n,
                            bench_method=method, **labels)
            finished = out.get("status") in _FINISHED
            if out.get("timeout") or not finished or out.get("seconds", 0) > time_limit:
                dropped.add(method)
            rows.append(out)
    return rows


def add_ratios(rows: list[dict], reference: str, key: str, field: str = "bench_method") -> None:
    """``row[key]``: the row's time over the ``reference`` row's at the same n (a lower bound
    when the row did not finish; noise when either time is below :data:`NOISE_SECONDS`)."""
    ref = {r["n"]: r["seconds"] for r in rows if r.get(field) == reference
           and _finished(r) and r.get("status", "optimal") == "optimal" and r.get("seconds")}
    for r in rows:
        if r["n"] in ref and "seconds" in r:
            r[key] = r["seconds"] / ref[r["n"]]
            r["ratio_is_lower_bound"] = not _finished(r)
            r["ratio_is_noise"] = min(r["seconds"], ref[r["n"]]) < NOISE_SECONDS


def _finished(row: dict) -> bool:
    """Did the row's computation finish (a solve: with a proven status)?"""
    if "status" in row:
        return row["status"] in _FINISHED
    return not (row.get("timeout") or row.get("died") or "error_message" in row)


def ratio_text(row: dict, key: str) -> str:
    """The ratio as printed: ``>=x`` a lower bound, ``~x`` timer noise, blank when none."""
    ratio = row.get(key)
    if ratio is None:
        return ""
    mark = "~" if row.get("ratio_is_noise") else ">=" if row.get("ratio_is_lower_bound") else ""
    return f"{mark}{ratio:.3g}"


def check_bench_time_limit(seconds: object) -> float:
    """A bench's ``--time-limit``: finite seconds > 0 (a row needs time to run at all).

    >>> check_bench_time_limit(60)
    60.0
    """
    limit = check_time_limit(seconds, "--time-limit")
    if limit is None or limit <= 0:
        raise InputError(f"--time-limit is {seconds}: expected seconds > 0")
    return limit
