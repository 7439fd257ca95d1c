"""The argument parser of every `slth` command: one-line errors with exit code 2, and kinds.

A command with kinds (``slth bench KIND``, ``slth sweep KIND``) names its kind modules in a
table and adds them with :func:`add_kinds`.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Callable

__all__ = ["SlthParser", "add_kinds", "EXIT_BAD_INPUT"]

EXIT_BAD_INPUT = 2


#: What argparse takes for a negative number rather than an option: besides -3 and -.5 also the
#: exact forms users type (-1/2, -1e-3) and lists (--box -1,1).
NEGATIVE_NUMBER = re.compile(r"^-(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?(/\d+)?([,:].*)?$")


class SlthParser(argparse.ArgumentParser):
    """argparse with a one-line error and exit code 2; ``-1/2`` and ``-1e-3`` are values.

    >>> p = SlthParser(prog="x")
    >>> _ = p.add_argument("--interval", nargs=2)
    >>> p.parse_args(["--interval", "-1/2", "1/2"]).interval
    ['-1/2', '1/2']
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._negative_number_matcher = NEGATIVE_NUMBER

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(EXIT_BAD_INPUT)


def add_kinds(parser: argparse.ArgumentParser, kinds: dict[str, str],
              common: Callable[[argparse.ArgumentParser, str], None] | None = None) -> None:
    """Add ``parser KIND`` for each kind module (name -> module with ``add_arguments`` and
    ``run``); ``common(kind_parser, name)`` adds the options every kind shares."""
    sub = parser.add_subparsers(dest="kind", metavar="KIND", parser_class=SlthParser)
    sub.required = True
    for name, module in kinds.items():
        mod = importlib.import_module(module)
        summary = (mod.__doc__ or "").strip().splitlines()[0] if mod.__doc__ else ""
        p = sub.add_parser(name, help=summary, description=summary)
        if common is not None:
            common(p, name)
        mod.add_arguments(p)
        p.set_defaults(func=mod.run)
