"""`slth sweep KIND`: phase-transition sweeps, many independent trials on a process pool or a
Dask cluster, resumable (the executor is :func:`verify.runtime.run_tasks`).

Each kind is a module of :mod:`verify` named in :data:`KINDS`, with ``add_arguments(parser)``
and ``run(args) -> int``; the options every sweep shares (``--out``, ``--workers``,
``--scheduler``, ``--seed``, ``--no-progress``, ``--json``) are added for it here.
"""

from __future__ import annotations

import argparse

from verify.parser import add_kinds

__all__ = ["KINDS", "register", "add_common_arguments"]

#: ``slth sweep`` kinds: name -> module.
KINDS = {"coverage": "verify.sweep_coverage", "mrss": "verify.sweep_mrss"}


def add_common_arguments(p: argparse.ArgumentParser, kind: str) -> None:
    """The options of every sweep kind."""
    p.add_argument("--out", default=f"sweep-{kind}", metavar="DIR",
                   help="output directory; re-running with it resumes (default sweep-KIND)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="local worker processes (default: the CPU count; 1 runs in-process)")
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="run on this Dask distributed scheduler instead of local processes")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``slth sweep`` and its kinds."""
    p = sub.add_parser("sweep", help="phase-transition sweeps on a process pool or Dask cluster",
                       description=__doc__.splitlines()[0])
    add_kinds(p, KINDS, add_common_arguments)
