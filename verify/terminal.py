"""Text for a terminal: user strings escaped so that they cannot forge lines or colours.

A claim name, a file's text or a task key printed as it is could carry a newline (a fake row,
a fake summary line) or an ANSI escape (rewriting what is already on the screen).
:func:`printable` shows every control or invisible formatting character as its Python escape.

>>> printable("ok\\nproved  1 claim\\x1b[2K")
'ok\\\\nproved  1 claim\\\\x1b[2K'
"""

from __future__ import annotations

import unicodedata

__all__ = ["printable"]

# control, format (bidi overrides, zero width), line and paragraph separators, surrogates,
# private use, unassigned
_HIDDEN = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


def printable(text: object) -> str:
    """``str(text)`` with every control or invisible character shown as its escape."""
    s = str(text)
    if s.isprintable():
        return s
    return "".join(repr(ch)[1:-1] if unicodedata.category(ch) in _HIDDEN else ch for ch in s)
