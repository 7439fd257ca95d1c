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
- The output file is ours alone: a file whose first line is not a record of this executor (a
  notes file, an instance) is refused, never overwritten; a second run on the same file while
  one is writing it is refused (an ``fcntl`` lock on a hidden ``.NAME.lock`` beside it, gone
  with its writer); a record written twice is read once, and the rewrite drops the copy; a
  damaged line (not UTF-8, not JSON, not a record) is moved to ``NAME.damaged`` and reported
  on stderr, never crashed on. So every record is in the file exactly once.
- Ctrl-C (SIGINT) stops a run at once: the workers ignore it, and the main process kills them
  instead of waiting for their tasks (which re-run on resume). Workers die with the main
  process even when it is killed outright (SIGKILL, the OOM killer): no orphan keeps computing.
- A run holds at most :data:`MAX_TASKS` tasks; callers refuse larger runs before building them
  (:func:`check_task_count`).
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

import contextlib
import fcntl
import json
import multiprocessing as mp
import os
import signal
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from solvers.child import call_in_child, die_with_parent, peak_memory
from solvers.files import MAX_FILE_BYTES, check_file_size
from solvers.numbers import InputError
from verify.terminal import printable

__all__ = ["run_tasks", "read_records", "read_jsonl", "RunReport", "run_in_child",
           "check_task_count", "MAX_TASKS"]

#: Tasks one run may hold; a larger sweep or truth run is refused before any task is built.
MAX_TASKS = 200_000
#: Longest line read at once from a JSON Lines file (a longer one is damaged, not a record).
MAX_LINE_BYTES = 64 << 20


# --- JSON Lines ---------------------------------------------------------------------------------


def _lines(path: str | os.PathLike, limit: int | None
           ) -> Iterator[tuple[int, bytes, Any]]:
    """(line number, raw bytes, parsed value or InputError) of each non-blank line: the one
    JSON Lines reader. At most ``limit`` bytes are read (None: no cap), a line at most
    :data:`MAX_LINE_BYTES` at a time (a longer one is damaged); only regular files are read."""
    p = check_file_size(path, 2**62 if limit is None else limit)
    read = 0
    with p.open("rb") as fh:
        for num, raw in enumerate(iter(lambda: fh.readline(MAX_LINE_BYTES), b""), 1):
            read += len(raw)
            if limit is not None and read > limit:
                raise InputError(f"{path} is larger than {limit} bytes: refused")
            if not raw.strip():
                continue
            try:
                value = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                value = InputError(f"{path} line {num} is not UTF-8 text")
            except (json.JSONDecodeError, RecursionError) as exc:
                value = InputError(f"{path} line {num} is not valid JSON: {exc}")
            yield num, raw, value


def read_jsonl(path: str | os.PathLike, *, strict: bool, limit: int | None = MAX_FILE_BYTES
               ) -> Iterator[tuple[int, Any]]:
    """(line number, parsed value) of each non-blank line of a JSON Lines file.

    A damaged line (not UTF-8, not JSON) raises its InputError when ``strict``, else it is
    yielded as an ``InputError`` for the caller to report. At most ``limit`` bytes are read
    (None: no cap); only regular files are read.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.jsonl"
    >>> _ = p.write_bytes(b'{"a": 1}\\n\\xff\\n[2]\\n')
    >>> [(n, v if isinstance(v, list | dict) else "damaged") for n, v in
    ...  read_jsonl(p, strict=False)]
    [(1, {'a': 1}), (2, 'damaged'), (3, [2])]
    """
    for num, _, value in _lines(path, limit):
        if strict and isinstance(value, InputError):
            raise value
        yield num, value


@dataclass
class _Scan:
    """A run_tasks output file read: its records and what else it holds."""

    records: list[dict] = field(default_factory=list)
    damaged: list[tuple[int, str, bytes]] = field(default_factory=list)  # (line, why, bytes)
    duplicates: int = 0
    cut: bool = False  # the last line was cut by an interrupt
    foreign: bool = False  # its first line is not a record of ours: not our file


def _is_record(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("key"), str)


def _scan(path: Path) -> _Scan:
    """Read an output file of :func:`run_tasks`, tolerating damage (never raising on content)."""
    scan = _Scan()
    seen: set[tuple[str, int]] = set()
    first = True
    for num, raw, value in _lines(path, None):
        if _is_record(value):
            ident = (value["key"], _part(value)[0])
            if ident in seen:
                scan.duplicates += 1
            else:
                seen.add(ident)
                scan.records.append(value)
        elif first:
            scan.foreign = True
            return scan
        elif not raw.endswith(b"\n"):
            scan.cut = True  # the last line, cut by an interrupt
        else:
            why = str(value) if isinstance(value, InputError) else \
                f"{path} line {num} is not a record of this tool"
            scan.damaged.append((num, why, raw))
        first = False
    return scan


def _part(record: dict) -> tuple[int, int]:
    part = record.get("part", (0, 1))
    ok = isinstance(part, list | tuple) and len(part) == 2 and all(
        isinstance(x, int) for x in part)
    return (int(part[0]), int(part[1])) if ok else (0, 1)


def _finished(records: list[dict]) -> tuple[list[dict], set[str]]:
    """Keep the records of tasks whose parts are all present; return them and their keys."""
    parts: dict[str, set[int]] = defaultdict(set)
    expected: dict[str, int] = {}
    for r in records:
        i, m = _part(r)
        parts[r["key"]].add(i)
        expected[r["key"]] = m
    done = {k for k, got in parts.items() if len(got) == expected[k]}
    return [r for r in records if r["key"] in done], done


def read_records(path: str | os.PathLike) -> list[dict]:
    """The complete records of a :func:`run_tasks` output file, each (key, part) once.

    A missing file, or a file that is not ours, holds none; damaged lines are skipped (the
    next :func:`run_tasks` on the file reports them and moves them aside).
    """
    p = Path(path)
    if not p.is_file():
        return []
    return _finished(_scan(p).records)[0]


def _prepare_output(path: Path) -> set[str]:
    """Finished task keys of an output file we own, rewritten without cut lines, duplicates
    and incomplete tasks; damaged lines are moved to ``NAME.damaged`` and reported. A file
    that is not ours is refused, never overwritten."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        return set()
    if not path.is_file():
        raise InputError(f"{path} is not a regular file: refusing to write records to it")
    scan = _scan(path)
    if scan.foreign:
        raise InputError(f"{path} holds something other than records of this tool: refusing "
                         "to overwrite it (choose another output)")
    kept, done = _finished(scan.records)
    if scan.damaged:
        aside = path.with_name(path.name + ".damaged")
        with aside.open("ab") as fh:
            fh.writelines(raw if raw.endswith(b"\n") else raw + b"\n"
                          for _, _, raw in scan.damaged)
        why = scan.damaged[0][1]
        sys.stderr.write(printable(f"{len(scan.damaged)} damaged line(s) moved to {aside}; the "
                                   f"first: {why}"[:300]) + "\n")
    if scan.cut or scan.damaged or scan.duplicates or len(kept) != len(scan.records):
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w") as fh:
            for r in kept:
                fh.write(json.dumps(r) + "\n")
        os.replace(tmp, path)
    return done


@contextlib.contextmanager
def _output_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock (fcntl) on ``path`` for one writer; a second is refused."""
    lock = path.with_name(f".{path.name}.lock")
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise InputError(f"{path} is being written by another run (pid {holder}): wait for "
                             "it to finish, or choose another output") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the holder removed the lock file as we opened it: take the new one
    try:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)
        os.close(fd)


def check_task_count(count: int, what: str) -> int:
    """``count`` if a run may hold that many tasks, else one clear InputError."""
    if count > MAX_TASKS:
        raise InputError(f"{what} makes {count} tasks: at most {MAX_TASKS} per run (split it "
                         "into several runs on the same output)")
    return count


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


def _records_of(key: str, result: Any) -> list[dict]:
    if isinstance(result, dict):
        return [{**result, "key": key}]
    items = list(result)
    return [{**r, "key": key, "part": [i, len(items)]} for i, r in enumerate(items)]


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
    check_task_count(len(todo_all), "this run")
    keys = [k for k, _ in todo_all]
    if len(set(keys)) != len(keys):
        raise ValueError("task keys must be unique")
    if workers is not None and workers < 1:
        raise InputError(f"--workers is {workers}: expected an integer >= 1")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    with _output_lock(path):
        done = _prepare_output(path)
        todo = [(k, a) for k, a in todo_all if k not in done]
        report = RunReport(total=len(todo_all), skipped=len(todo_all) - len(todo), done=0)
        _execute(todo, fn, path, report, workers, scheduler, _Progress(len(todo), desc, progress))
    report.seconds = time.perf_counter() - start
    return report


def _execute(todo: list[tuple[str, Any]], fn: Callable[[Any], Any], path: Path,
             report: RunReport, workers: int | None, scheduler: str | None,
             bar: _Progress) -> None:
    """Run the tasks, appending each one's records to ``path`` as it finishes."""
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
                    sys.stderr.write(printable(f"task {key} failed: {msg}") + "\n")
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


def _worker_start() -> None:
    """Each pool worker: Ctrl-C is the main process's to handle, and the worker dies with the
    process that forked it, the forkserver. The forkserver exits when the last holder of its
    "alive" pipe closes it: the main process, and every worker unless the worker lets it go
    (multiprocessing keeps it private), else a killed main process leaves the forkserver and
    its workers waiting on each other forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    with contextlib.suppress(ImportError, AttributeError, OSError, TypeError):
        from multiprocessing import forkserver

        alive = forkserver._forkserver._forkserver_alive_fd
        if alive is not None:
            os.close(alive)
            forkserver._forkserver._forkserver_alive_fd = None


def _run_pool(todo: list[tuple[str, Any]], fn: Callable[[Any], Any], workers: int,
              finish: Callable[..., None]) -> None:
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context(),
                               initializer=_worker_start)
    queue = iter(todo)
    pending: dict[Any, str] = {}
    try:
        while True:
            for key, arg in queue:  # a bounded number in flight: an interrupt stops at once
                pending[pool.submit(fn, arg)] = key
                if len(pending) >= 2 * workers:
                    break
            if not pending:
                break
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                key = pending.pop(fut)
                exc = fut.exception()
                if isinstance(exc, BrokenProcessPool):
                    raise RuntimeError(f"a worker process died ({exc}); finished tasks are "
                                       "saved, re-run to resume") from None
                finish(key, None if exc else fut.result(), exc)
    except BaseException:
        _stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool at once: its workers are killed, not waited for (their tasks re-run on
    resume). ``_processes`` is private, but the executor has no public way to stop a running
    task before Python 3.14."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for proc in procs:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            proc.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            proc.join(1)


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


def _measured(fn: Callable[..., dict], kwargs: dict) -> dict:
    """``fn(**kwargs)`` as a row: an exception becomes ``error_message``, never hidden."""
    start = time.perf_counter()
    try:
        with peak_memory() as mem:
            out = fn(**kwargs)
    except Exception as exc:  # noqa: BLE001 - reported as a row
        return {"error_message": f"{type(exc).__name__}: {exc}",
                "seconds": time.perf_counter() - start}
    out["seconds"] = out.pop("solve_seconds", time.perf_counter() - start)
    out["peak_mb"] = out.pop("solve_mb", mem.mb)
    return out


def run_in_child(fn: Callable[..., dict], kwargs: dict, time_limit: float,
                 grace: float = 30.0) -> dict:
    """Run ``fn(**kwargs)`` in a fresh interpreter (:func:`solvers.child.call_in_child`,
    spawned); return its dict plus ``seconds`` and ``peak_mb``.

    ``seconds`` and ``peak_mb`` are the child's own ``solve_seconds`` and ``solve_mb`` when it
    reports them (the solve alone, without imports and compilation: see
    :func:`verify.benchmark.measure`), else those of the whole call; ``peak_mb`` is resident
    memory added at the peak, the interpreter's own not counted. An exception in the child is
    reported as ``error_message``; a child still running at ``time_limit`` plus ``grace`` is
    killed and reported with ``"timeout": True``, one that dies with ``"died": True``.
    """
    out = call_in_child(partial(_measured, fn, kwargs), time_limit, grace=grace, start="spawn")
    if out.status == "returned":
        return out.value
    if out.status == "raised":
        return {"error_message": f"{type(out.value).__name__}: {out.value}",
                "seconds": out.seconds}
    return {out.status if out.status == "timeout" else "died": True, "seconds": out.seconds,
            "error_message": "killed at its time limit" if out.status == "timeout" else
            f"the process died (exit code {out.exitcode})"}
