"""The runtime of every workflow: a computation in a child process under a time limit, JSON Lines
output appended record by record, and the resumable executor.

The executor (reused by every sweep kind and by ``slth truth``)
---------------------------------------------------------------
``run_tasks(tasks, fn, out_path, workers=None, scheduler=None, progress=True, desc="tasks")``

- ``tasks``: an iterable of ``(key, arg)`` pairs; ``key`` is a string naming the task uniquely
  (make it depend on every parameter that changes the result), ``arg`` is any picklable value.
- ``fn(arg)``: a module-level (importable, picklable) function returning one JSON-serialisable
  dict, or a list of them. It runs in a worker: build OR-Tools models inside it.
- ``out_path``: a JSON Lines file. Each finished task's records are appended at once, each
  record carrying ``"key"`` (and ``"part": [i, m]`` when ``fn`` returned m records), and
  flushed. Re-running with the same file skips the tasks whose records are all there; a line
  cut by an interrupt, or a task with only some of its parts, is dropped (the file is rewritten
  without it) and the task runs again. An interrupt loses nothing already written.
- ``workers``: local processes (default: the CPU count); ``workers=1`` runs in this process.
  Workers start by forkserver: as with any multiprocessing code, a script calling
  ``run_tasks`` must do so under ``if __name__ == "__main__":``.
- ``scheduler``: ``"tcp://HOST:PORT"`` of a running Dask distributed scheduler: the same tasks
  run on its workers (they must be able to import this project: install it, or set PYTHONPATH,
  on every worker).
- ``progress``: a progress bar on stderr (a line per 10 % when stderr is not a terminal);
  ``False`` for none.
- A task that raises is reported on stderr and in the result's ``failed`` list, and is retried
  by the next run; the other tasks go on.

It returns a :class:`RunReport`; :func:`read_records` reads the complete records of a file.

>>> import tempfile, os
>>> out = os.path.join(tempfile.mkdtemp(), "squares.jsonl")
>>> run_tasks([(f"sq{i}", i) for i in range(4)], _square, out, workers=1).done
4
>>> sorted(r["square"] for r in read_records(out))
[0, 1, 4, 9]
>>> run_tasks([(f"sq{i}", i) for i in range(6)], _square, out, workers=1).skipped
4
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from solvers.numbers import InputError

__all__ = ["run_tasks", "read_records", "RunReport", "run_in_child"]


# --- the executor ------------------------------------------------------------------------------


@dataclass
class RunReport:
    """What :func:`run_tasks` did: counts, failures ``(key, message)``, wall time."""

    total: int
    skipped: int
    done: int
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def _square(i: int) -> dict:
    """A tiny task for the docstring example."""
    return {"square": i * i}


def _complete_lines(path: Path) -> tuple[list[dict], bool]:
    """The parsed complete lines of a JSON Lines file, and whether a line had to be dropped."""
    records, dropped = [], False
    with path.open("rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                dropped = True  # cut by an interrupt
                continue
            try:
                records.append(json.loads(raw))
            except json.JSONDecodeError:
                dropped = True
    return records, dropped


def _finished(records: list[dict]) -> tuple[list[dict], set[str]]:
    """Keep the records of tasks whose parts are all present; return them and their keys."""
    parts: dict[str, set[int]] = defaultdict(set)
    expected: dict[str, int] = {}
    for r in records:
        key = r.get("key")
        if isinstance(key, str):
            i, m = r.get("part", (0, 1))
            parts[key].add(i)
            expected[key] = m
    done = {k for k, got in parts.items() if len(got) == expected[k]}
    return [r for r in records if r.get("key") in done], done


def read_records(path: str | os.PathLike) -> list[dict]:
    """The complete records of a :func:`run_tasks` output file (missing file: none)."""
    p = Path(path)
    if not p.exists():
        return []
    return _finished(_complete_lines(p)[0])[0]


def _prepare_output(path: Path) -> set[str]:
    """Finished task keys; rewrite the file without cut lines and incomplete tasks."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        return set()
    records, dropped = _complete_lines(path)
    kept, done = _finished(records)
    if dropped or len(kept) != len(records):
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w") as fh:
            for r in kept:
                fh.write(json.dumps(r) + "\n")
        os.replace(tmp, path)
    return done


class _Progress:
    """A progress bar on stderr (a line per 10 % when stderr is not a terminal)."""

    def __init__(self, total: int, desc: str, enabled: bool) -> None:
        self.total, self.desc, self.enabled = total, desc, enabled and total > 0
        self.count, self.start, self.last = 0, time.perf_counter(), 0.0
        self.tty = sys.stderr.isatty()
        self.next_decile = 1

    def update(self) -> None:
        self.count += 1
        if not self.enabled:
            return
        now = time.perf_counter()
        if self.tty and (now - self.last > 0.2 or self.count == self.total):
            self.last = now
            sys.stderr.write("\r" + self._line(now))
            sys.stderr.flush()
        elif not self.tty and self.count * 10 >= self.next_decile * self.total:
            self.next_decile = self.count * 10 // self.total + 1
            sys.stderr.write(self._line(now) + "\n")

    def _line(self, now: float) -> str:
        frac = self.count / self.total
        bar = "#" * int(30 * frac) + "." * (30 - int(30 * frac))
        rate = self.count / max(now - self.start, 1e-9)
        eta = (self.total - self.count) / rate if rate > 0 else 0.0
        return (f"{self.desc} [{bar}] {self.count}/{self.total} {rate:.1f}/s "
                f"ETA {int(eta) // 60}m{int(eta) % 60:02d}s")

    def close(self) -> None:
        if self.enabled and self.tty:
            sys.stderr.write("\n")


def _records_of(key: str, result: Any) -> list[dict]:
    if isinstance(result, dict):
        return [{**result, "key": key}]
    items = list(result)
    return [{**r, "key": key, "part": [i, len(items)]} for i, r in enumerate(items)]


def _pool_context() -> Any:
    # workers start clean (no inherited threads or locks): forkserver where it exists
    methods = mp.get_all_start_methods()
    return mp.get_context("forkserver" if "forkserver" in methods else "spawn")


def run_tasks(tasks: Iterable[tuple[str, Any]], fn: Callable[[Any], Any],
              out_path: str | os.PathLike, *, workers: int | None = None,
              scheduler: str | None = None, progress: bool = True,
              desc: str = "tasks") -> RunReport:
    """Run ``fn(arg)`` for every ``(key, arg)`` not finished in ``out_path`` (module docstring)."""
    start = time.perf_counter()
    path = Path(out_path)
    todo_all = list(tasks)
    keys = [k for k, _ in todo_all]
    if len(set(keys)) != len(keys):
        raise ValueError("task keys must be unique")
    if workers is not None and workers < 1:
        raise InputError(f"--workers is {workers}: expected an integer >= 1")
    done = _prepare_output(path)
    todo = [(k, a) for k, a in todo_all if k not in done]
    report = RunReport(total=len(todo_all), skipped=len(todo_all) - len(todo), done=0)
    bar = _Progress(len(todo), desc, progress)
    with path.open("a") as out:

        def finish(key: str, result: Any = None, error: BaseException | None = None) -> None:
            if error is None:
                out.write("".join(json.dumps(r) + "\n" for r in _records_of(key, result)))
                out.flush()
                report.done += 1
            else:
                msg = f"{type(error).__name__}: {error}"
                report.failed.append((key, msg))
                if len(report.failed) <= 5:
                    sys.stderr.write(f"task {key} failed: {msg}\n")
            bar.update()

        try:
            if scheduler:
                _run_dask(todo, fn, scheduler, finish)
            elif (workers or os.cpu_count() or 1) == 1:
                for key, arg in todo:
                    try:
                        result = fn(arg)
                    except Exception as exc:  # reported, retried by the next run
                        finish(key, error=exc)
                    else:
                        finish(key, result)
            else:
                _run_pool(todo, fn, workers or os.cpu_count() or 1, finish)
        finally:
            bar.close()
    report.seconds = time.perf_counter() - start
    return report


def _run_pool(todo: list[tuple[str, Any]], fn: Callable[[Any], Any], workers: int,
              finish: Callable[..., None]) -> None:
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context())
    try:
        pending = {pool.submit(fn, arg): key for key, arg in todo}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                key = pending.pop(fut)
                exc = fut.exception()
                if isinstance(exc, BrokenProcessPool):
                    raise RuntimeError(f"a worker process died ({exc}); finished tasks are "
                                       "saved, re-run to resume") from None
                finish(key, None if exc else fut.result(), exc)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_dask(todo: list[tuple[str, Any]], fn: Callable[[Any], Any], scheduler: str,
              finish: Callable[..., None]) -> None:
    from dask.distributed import Client, as_completed

    try:
        client = Client(scheduler, timeout=30)
    except OSError as exc:
        raise InputError(f"--scheduler is {scheduler!r}: cannot connect ({exc})") from None
    try:
        futures = client.map(fn, [a for _, a in todo], pure=False)
        key_of = {f.key: k for f, (k, _) in zip(futures, todo, strict=True)}
        try:
            for fut in as_completed(futures):
                exc = fut.exception()
                finish(key_of[fut.key], None if exc else fut.result(), exc)
        finally:
            client.cancel(futures)
    finally:
        client.close()


# --- child processes ---------------------------------------------------------------------------


def _child(fn: Callable[..., dict], kwargs: dict, queue: Any) -> None:
    start = time.perf_counter()
    try:
        out = fn(**kwargs)
        out["seconds"] = out.pop("solve_seconds", time.perf_counter() - start)
    except Exception as exc:  # reported as a row, never hidden
        out = {"error_message": f"{type(exc).__name__}: {exc}"}
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(out)


def run_in_child(fn: Callable[..., dict], kwargs: dict, time_limit: float,
                 grace: float = 30) -> dict:
    """Run ``fn(**kwargs)`` in a fresh process; return its dict plus seconds and peak_mb.

    ``seconds`` is the child's own ``solve_seconds`` when it reports one (the solve alone,
    without imports and compilation), else the whole call.

    A child still running at ``time_limit`` plus ``grace`` seconds (imports, compilation) is
    terminated and reported with ``"timeout": True``.
    """
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn, kwargs, queue))
    start = time.perf_counter()
    proc.start()
    try:
        out = queue.get(timeout=time_limit + grace)
    except Exception:
        proc.terminate()
        out = {"timeout": True, "seconds": time.perf_counter() - start}
    proc.join(5)
    if proc.is_alive():
        proc.kill()
    return out
