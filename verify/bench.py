"""`slth bench KIND`: this toolkit's engines against the generic formulations, side by side, in one run.

Every solve runs in a fresh child process (the shared loop of :mod:`verify.benchmark`), so a
method that overruns its time limit is stopped from outside, and each row's peak memory is that
solve's own: the resident memory it added at its peak (the interpreter and libraries not
counted). Ratios are times relative to the toolkit's ``auto`` engine at the same n; a method
that did not finish gives a lower bound ``>= x``; ``~x`` marks a ratio with a time below a
millisecond (timer noise). Each kind is a module of :mod:`verify` named in :data:`KINDS`, with
``add_arguments(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse

from verify.parser import add_kinds

__all__ = ["KINDS", "register"]

#: ``slth bench`` kinds: name -> module.
KINDS = {"rss": "verify.bench_rss", "cover": "verify.bench_cover", "mrss": "verify.bench_mrss",
         "prune": "verify.bench_prune", "masks": "verify.bench_masks"}


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``slth bench`` and its kinds."""
    p = sub.add_parser("bench", help="time the exact engines against the generic formulations",
                       description=__doc__.splitlines()[0])
    add_kinds(p, KINDS)
