"""Names that moved keep working for one release, with a DeprecationWarning that says where to.

A module whose public names moved ends with ``__getattr__ = moved_names(__name__, {...})``.

>>> import warnings
>>> getattr_ = moved_names("old.place", {"thing": "solvers.numbers.fraction_str"})
>>> with warnings.catch_warnings(record=True) as w:
...     warnings.simplefilter("always")
...     f = getattr_("thing")
>>> f.__name__, str(w[0].message)
('fraction_str', 'old.place.thing moved to solvers.numbers.fraction_str; the old name goes in the next release')
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable

__all__ = ["moved_names", "renamed_argument"]


def moved_names(module: str, moves: dict[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` serving each moved name from its new home ("package.module.name")."""

    def __getattr__(name: str) -> object:
        if name not in moves:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        where, _, new = moves[name].rpartition(".")
        warnings.warn(f"{module}.{name} moved to {moves[name]}; the old name goes in the next "
                      "release", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(where), new)

    return __getattr__


def renamed_argument(function: str, old: str, new: str, old_value: object, value: object
                     ) -> object:
    """The value of a renamed keyword: ``old_value`` (with a DeprecationWarning) when the caller
    still used the old name, else ``value``."""
    if old_value is None:
        return value
    warnings.warn(f"{function}({old}=) is now {new}=; the old name goes in the next release",
                  DeprecationWarning, stacklevel=3)
    return old_value
