"""The one result type every solver returns, and its JSON form.

A :class:`Solution` says what was found (``subset`` or ``mask``), its exact ``error`` recomputed
from that subset, and how much of it is proven (``status``, ``lower_bound``, ``proof``).

Statuses:

- ``optimal``: proven in exact arithmetic on the instance as given;
- ``optimal_within_tolerance``: a floating-point solver's claim, re-checked exactly, with the
  tolerance stated in ``proof``;
- ``feasible``: a valid solution, optimality not proven (e.g. a time limit);
- ``infeasible``: proven that no solution exists (e.g. a cardinality no subset has);
- ``unknown``: nothing proven and nothing found.

>>> from fractions import Fraction
>>> s = Solution("optimal", subset=(0, 2), error=Fraction(1, 3), lower_bound=Fraction(1, 3),
...              method="brute", proof="enumerated all 8 subsets")
>>> s.to_json()["error"], s.error_float
('1/3', 0.3333333333333333)
>>> Solution.from_json(s.to_json()) == s
True
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from solvers.numbers import fraction_str, nearest_float, parse_fraction_str

__all__ = ["Solution", "STATUSES"]

STATUSES = ("optimal", "optimal_within_tolerance", "feasible", "infeasible", "unknown")


@dataclass
class Solution:
    """A solver's answer with its exact error and the proof of its status.

    Attributes
    ----------
    status : one of :data:`STATUSES`.
    subset : 0-based indices of the chosen values (1-D and d-D subset sum), or None.
    mask : per-layer 0/1 masks (pruning), or None.
    error : the exact error of ``subset``/``mask`` on the instance as given, or None.
    lower_bound : an exact proven lower bound on the optimum, or None.
    method : the engine that produced the answer ("mitm", "cpsat", ...).
    proof : one line: how the status was established.
    seconds : wall-clock time of the solve.
    instance_hash : :func:`solvers.instances.RSSInstance.hash` of the instance solved.
    stats : engine details (list sizes, candidates re-checked, ...).
    """

    status: str
    subset: tuple[int, ...] | None = None
    error: Fraction | None = None
    lower_bound: Fraction | None = None
    method: str = ""
    proof: str = ""
    seconds: float = 0.0
    instance_hash: str | None = None
    mask: list | None = None
    stats: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} is not one of {STATUSES}")
        if self.subset is not None:
            self.subset = tuple(sorted(int(i) for i in self.subset))

    @property
    def error_float(self) -> float | None:
        """The exact error rounded to the nearest double (for plots and tables only)."""
        return None if self.error is None else nearest_float(self.error)

    def to_json(self) -> dict[str, Any]:
        """The JSON form: exact numbers as "p/q" strings, floats beside them for reading."""
        out: dict[str, Any] = {
            "status": self.status,
            "subset": None if self.subset is None else list(self.subset),
            "error": None if self.error is None else fraction_str(self.error),
            "error_float": self.error_float,
            "lower_bound": None if self.lower_bound is None else fraction_str(self.lower_bound),
            "method": self.method,
            "proof": self.proof,
            "seconds": round(self.seconds, 6),
            "instance_hash": self.instance_hash,
        }
        if self.mask is not None:
            out["mask"] = self.mask
        if self.stats:
            out["stats"] = self.stats
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Solution:
        """Read the JSON form back (exact strings become Fractions)."""

        def frac(key: str) -> Fraction | None:
            v = data.get(key)
            return None if v is None else parse_fraction_str(str(v), key)

        return cls(
            status=data["status"],
            subset=None if data.get("subset") is None else tuple(data["subset"]),
            error=frac("error"),
            lower_bound=frac("lower_bound"),
            method=data.get("method", ""),
            proof=data.get("proof", ""),
            seconds=float(data.get("seconds", 0.0)),
            instance_hash=data.get("instance_hash"),
            mask=data.get("mask"),
            stats=data.get("stats", {}),
        )

    def replace(self, **changes: Any) -> Solution:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)
