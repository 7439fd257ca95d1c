"""Reading the files users give: a size cap before parsing, JSON or TOML by suffix, one clear error.

>>> import json, tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "inst.json"
>>> _ = p.write_text(json.dumps({"values": [1, 2], "target": 3}))
>>> read_data_file(p)
{'values': [1, 2], 'target': 3}
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from solvers.numbers import InputError

__all__ = ["read_data_file", "check_file_size", "MAX_FILE_BYTES"]

#: Instance, network and claim files larger than this are refused before parsing.
MAX_FILE_BYTES = 256 * 2**20


def check_file_size(path: str | Path, limit: int = MAX_FILE_BYTES, what: str = "files") -> Path:
    """The path of a readable file of at most ``limit`` bytes, or one clear InputError."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    if size > limit:
        raise InputError(f"{path} is {size} bytes: {what} above {limit} bytes are refused")
    return p


def read_data_file(path: str | Path) -> Any:
    """Parse a JSON or TOML file (by suffix; JSON otherwise), or raise one clear InputError."""
    p = check_file_size(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
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
