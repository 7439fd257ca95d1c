"""The `slth` command line: one console script, a subcommand per workflow.

Exit codes: 0 success, 2 bad input or usage (one line on stderr, no traceback); verdict
commands document their own (``slth check``: 0 confirmed, 1 refuted, 3 undecided).
Each subcommand lives in its own module of :mod:`verify`, named in :data:`SUBCOMMAND_MODULES`,
and exposes ``register(subparsers)``; a command with kinds (``slth bench KIND``, ``slth sweep
KIND``) names its kind modules in a table (:func:`verify.parser.add_kinds`).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import math
import os
import sys
import tomllib
import warnings
from collections.abc import Sequence
from pathlib import Path

from solvers.numbers import MAX_TIME_LIMIT, InputError, check_seed
from verify.parser import EXIT_BAD_INPUT, SlthParser

__all__ = ["main", "build_parser", "version", "check_common", "SlthParser", "EXIT_BAD_INPUT",
           "EXIT_INTERNAL"]

#: An unexpected failure: a bug in this toolkit, not in the input (sysexits' EX_SOFTWARE).
EXIT_INTERNAL = 70

# Modules of `verify` that contribute subcommands, in the order `slth --help` lists them.
SUBCOMMAND_MODULES = [
    "verify.solve",
    "verify.cover",
    "verify.sweep",
    "verify.audit",
    "verify.check",
    "verify.truth",
    "verify.score",
    "verify.certify",
    "verify.prune",
    "verify.compare",
    "verify.bench",
    "verify.demo",
]


def version() -> str:
    """The installed distribution's version; in a source checkout, pyproject.toml's."""
    try:
        return importlib.metadata.version("slth-toolkit")
    except importlib.metadata.PackageNotFoundError:
        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        try:
            return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "unknown"


def build_parser() -> SlthParser:
    parser = SlthParser(prog="slth", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"slth {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=SlthParser)
    sub.required = True
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def check_common(args: argparse.Namespace) -> None:
    """Options many commands share, checked once for all: ``--seed``, ``--time-limit``."""
    if getattr(args, "seed", None) is not None:
        check_seed(args.seed, "--seed")
    limit = getattr(args, "time_limit", None)
    if isinstance(limit, float) and not (math.isfinite(limit) and 0 <= limit <= MAX_TIME_LIMIT):
        raise InputError(f"--time-limit is {limit:g}: expected seconds between 0 and "
                         f"{MAX_TIME_LIMIT} (a week; omit it for no limit)")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `slth` console script; returns the exit code.

    Bad input exits 2 with one line; anything unexpected is a bug, reported in one line with
    exit code 70 (``SLTH_DEBUG=1`` re-raises it with its traceback).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    # float passes that overflow are caught and redone exactly: numpy's warning is noise here
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"numpy\.")
    try:
        check_common(args)
        return int(args.func(args) or 0)
    except InputError as exc:
        sys.stderr.write(f"slth {args.command}: error: {exc}\n")
        return EXIT_BAD_INPUT
    except MemoryError:
        sys.stderr.write(f"slth {args.command}: error: out of memory: the request is too large "
                         "for this machine\n")
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        sys.stderr.write(f"slth {args.command}: interrupted\n")
        return 130
    except Exception as exc:
        if os.environ.get("SLTH_DEBUG"):
            raise
        first = str(exc).splitlines()[0] if str(exc) else ""
        sys.stderr.write(f"slth {args.command}: internal error (please report it): "
                         f"{type(exc).__name__}: {first[:300]}\n")
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
