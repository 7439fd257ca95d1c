"""Random-subset-sum instances: validation at the boundary, exact values, JSON/TOML in and out.

An instance file (DESIGN.md) is ``{"values": [...], "target": x, "targets": [...]?,
"cardinality": k?, "max_cardinality": k?}``; ``cardinality`` asks for ``|S| = k`` and
``max_cardinality`` for ``|S| <= k``. Values given as a list of vectors make a d-dimensional
(MRSS) instance, handled by :mod:`solvers.mrss`.

>>> inst = RSSInstance.from_json({"values": [0.5, "1/3", "-0.25"], "target": "0.1"})
>>> inst.n, inst.target
(3, Fraction(1, 10))
>>> inst.to_json()["values"]
['1/2', '1/3', '-1/4']
>>> RSSInstance.from_json({"values": [1, float("nan")], "target": 0})
Traceback (most recent call last):
...
solvers.numbers.InputError: values[1] is nan: every value must be a finite number
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from solvers.numbers import InputError, fraction_str, to_fraction, to_fractions

__all__ = ["RSSInstance", "read_instance_file", "read_data_file", "check_instance_keys",
           "check_count", "check_file_size",
           "MAX_FILE_BYTES"]

#: Instance and claim files larger than this are refused before parsing.
MAX_FILE_BYTES = 256 * 2**20


INSTANCE_KEYS = {"values", "target", "targets", "cardinality", "max_cardinality", "norm", "eps",
                 "name"}


def check_instance_keys(data: Any, values_kind: str) -> None:
    """The top-level shape shared by 1-D and d-D instance files: an object with 'values' and
    no unknown keys."""
    if not isinstance(data, dict):
        raise InputError(f"instance is a {type(data).__name__}: expected an object with 'values'")
    unknown = set(data) - INSTANCE_KEYS
    if unknown:
        raise InputError(f"instance has unknown keys {sorted(unknown)}")
    if "values" not in data:
        raise InputError(f"instance has no 'values': expected {values_kind}")


def check_count(k: object, name: str, n: int) -> int | None:
    """None, or a subset size between 0 and n (``cardinality``, ``max_cardinality``)."""
    if k is None:
        return None
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise InputError(f"{name} is {k!r}: expected an integer between 0 and n = {n}")
    if not 0 <= int(k) <= n:
        raise InputError(f"{name} is {k}: must be between 0 and n = {n}")
    return int(k)


@dataclass(frozen=True)
class RSSInstance:
    """A 1-D subset-sum instance with exact values: minimise |target - sum_{i in S} values[i]|.

    ``targets`` holds extra targets solved against the same values (many-targets workload).
    """

    values: tuple[Fraction, ...]
    target: Fraction
    cardinality: int | None = None
    max_cardinality: int | None = None
    targets: tuple[Fraction, ...] = ()

    @classmethod
    def create(
        cls,
        values: object,
        target: object,
        *,
        cardinality: object = None,
        max_cardinality: object = None,
        targets: object = None,
    ) -> RSSInstance:
        """Validate user data once, at the boundary, and convert every number exactly."""
        vals = to_fractions(values, "values")
        n = len(vals)  # no values is an instance too: the empty subset, error |target|
        k = check_count(cardinality, "cardinality", n)
        kmax = check_count(max_cardinality, "max_cardinality", n)
        if k is not None and kmax is not None:
            raise InputError("give cardinality (|S| = k) or max_cardinality (|S| <= k), not both")
        extra = () if targets is None else tuple(to_fractions(targets, "targets"))
        return cls(tuple(vals), to_fraction(target, "target"), k, kmax, extra)

    @classmethod
    def from_json(cls, data: Any) -> RSSInstance:
        """Build from the parsed JSON/TOML form (see the module docstring)."""
        check_instance_keys(data, "a list of numbers")
        if "target" not in data and not data.get("targets"):
            raise InputError("instance has no 'target': expected a number")
        targets = data.get("targets")
        target = data["target"] if "target" in data else targets[0]
        return cls.create(
            data["values"],
            target,
            cardinality=data.get("cardinality"),
            max_cardinality=data.get("max_cardinality"),
            targets=targets,
        )

    @property
    def n(self) -> int:
        return len(self.values)

    def to_json(self) -> dict[str, Any]:
        """Exact JSON form: every number as an exact string."""
        out: dict[str, Any] = {
            "values": [fraction_str(v) for v in self.values],
            "target": fraction_str(self.target),
        }
        if self.cardinality is not None:
            out["cardinality"] = self.cardinality
        if self.max_cardinality is not None:
            out["max_cardinality"] = self.max_cardinality
        if self.targets:
            out["targets"] = [fraction_str(t) for t in self.targets]
        return out

    def hash(self) -> str:
        """A stable short hash of the exact instance (values, target, cardinality)."""
        canon = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canon.encode()).hexdigest()[:16]

    def error(self, subset: object) -> Fraction:
        """The exact error |target - sum of values over subset|; validates the indices."""
        return abs(self.target - self.subset_sum(subset))

    def subset_sum(self, subset: object) -> Fraction:
        idx = list(subset)  # type: ignore[call-overload]
        for i in idx:
            if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < self.n:
                raise InputError(f"subset index {i!r} is out of range 0..{self.n - 1}")
        if len(set(int(i) for i in idx)) != len(idx):
            raise InputError(f"subset {sorted(idx)} repeats an index")
        return sum((self.values[int(i)] for i in idx), Fraction(0))

    def admits(self, size: int) -> bool:
        """Whether a subset of this size satisfies the cardinality constraint."""
        if self.cardinality is not None:
            return size == self.cardinality
        if self.max_cardinality is not None:
            return size <= self.max_cardinality
        return True


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


def read_instance_file(path: str | Path) -> RSSInstance:
    """Read a 1-D instance file (JSON, or TOML by suffix)."""
    data = read_data_file(path)
    if isinstance(data, dict) and isinstance(data.get("values"), list) and any(
        isinstance(v, list) for v in data["values"]
    ):
        raise InputError(f"{path} holds vectors: a d-dimensional instance, solved by solvers.mrss")
    return RSSInstance.from_json(data)
