"""The `slth` command line: one console script, a subcommand per workflow.

Exit codes: 0 success, 2 bad input or usage (one line on stderr, no traceback); verdict
commands document their own (``slth check``: 0 confirmed, 1 refuted, 3 undecided).
Each subcommand lives in its own module of :mod:`verify`, named in :data:`SUBCOMMAND_MODULES`,
and exposes ``register(subparsers)``; a command with kinds (``slth bench KIND``, ``slth sweep
KIND``) names its kind modules in a table (:func:`verify.parser.add_kinds`).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from solvers.numbers import InputError
from verify.parser import EXIT_BAD_INPUT, SlthParser

__all__ = ["main", "build_parser", "SlthParser", "EXIT_BAD_INPUT"]

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


def build_parser() -> SlthParser:
    parser = SlthParser(prog="slth", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=SlthParser)
    sub.required = True
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `slth` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        sys.stderr.write(f"slth {args.command}: error: {exc}\n")
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        sys.stderr.write(f"slth {args.command}: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
