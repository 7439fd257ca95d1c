"""Reading the files users give: a size cap before parsing, JSON or TOML by suffix, one clear error.

>>> import json, tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "inst.json"
>>> _ = p.write_text(json.dumps({"values": [1, 2], "target": 3}))
>>> read_data_file(p)
{'values': [1, 2], 'target': 3}
"""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path
from typing import Any

from solvers.numbers import InputError

__all__ = ["read_data_file", "read_capped", "check_file_size", "check_writable", "MAX_FILE_BYTES"]

#: Instance, network and claim files larger than this are refused before parsing.
MAX_FILE_BYTES = 256 * 2**20


def check_file_size(path: str | Path, limit: int = MAX_FILE_BYTES, what: str = "files") -> Path:
    """The path of a readable regular file of at most ``limit`` bytes, or one clear InputError.

    Devices, FIFOs and directories are refused before they are opened (``/dev/zero`` never
    ends; a FIFO blocks until someone writes). The size is a first check only: readers go
    through :func:`read_capped`, which stops after ``limit`` bytes whatever the file claims.
    """
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path} is not a regular file (a device, FIFO or directory): refused")
    if st.st_size > limit:
        raise InputError(f"{path} is {st.st_size} bytes: {what} above {limit} bytes are refused")
    return p


def check_writable(path: str | Path, what: str = "output") -> Path:
    """The path of a file that can be written (created or replaced), or one clear InputError:
    checked before the work whose result it will hold.

    >>> check_writable("/proc/nowhere/out.png", "--plot")
    Traceback (most recent call last):
    ...
    solvers.numbers.InputError: --plot /proc/nowhere/out.png is in no writable folder: give a writable file path
    """
    p = Path(path)
    folder = p.parent
    if p.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK) or (
            p.exists() and not os.access(p, os.W_OK)):
        why = "is a folder" if p.is_dir() else "is in no writable folder" if not (
            folder.is_dir() and os.access(folder, os.W_OK)) else "is not writable"
        raise InputError(f"{what} {path} {why}: give a writable file path")
    return p


def read_capped(path: str | Path, limit: int = MAX_FILE_BYTES, what: str = "files") -> bytes:
    """The bytes of a regular file, reading at most ``limit`` of them (more: InputError).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "f.txt"
    >>> _ = p.write_text("abcdef")
    >>> read_capped(p, 3)
    Traceback (most recent call last):
    ...
    solvers.numbers.InputError: ... files above 3 bytes are refused
    """
    p = check_file_size(path, limit, what)
    try:
        with p.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > limit:
        raise InputError(f"{path} is larger than {limit} bytes: {what} above {limit} bytes are "
                         "refused")
    return data


def read_data_file(path: str | Path, limit: int = MAX_FILE_BYTES) -> Any:
    """Parse a JSON or TOML file (by suffix; JSON otherwise), or raise one clear InputError."""
    p = Path(path)
    try:
        text = read_capped(p, limit).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    if p.suffix.lower() == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{path} is not valid TOML: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise InputError(f"{path} nests too deeply to be an instance") from None
    except ValueError as exc:  # an integer literal beyond Python's int-to-str digit limit
        raise InputError(f"{path} holds a number that is too long: {exc}".split(";")[0]) from None
