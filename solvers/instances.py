"""Every problem the toolkit solves, in one place: validated once, exact, JSON in and out.

- :class:`RSSInstance`: 1-D subset sum, ``min_S |target - sum_{i in S} values[i]|``;
- :class:`MRSSInstance`: d-dimensional subset sum in the infinity norm or the 1-norm;
- :class:`CoverageProblem`: does every z in [a, b] have a subset sum within eps?
- :class:`MaskProblem`: prune a random ReLU network so that it matches a target network.

They share :class:`Problem` (``to_json``, ``from_json``, a stable ``hash``) and the subset
problems share :class:`SubsetProblem` (index checks, cardinality rules: ``cardinality`` asks for
``|S| = k``, ``max_cardinality`` for ``|S| <= k``). :func:`problem_from_json` reads any of them;
the shape of the values decides between 1-D and d-dimensional.

An instance file is ``{"values": [...], "target": x, "targets": [...]?, "cardinality": k?,
"max_cardinality": k?, "norm": "inf" | "1"?}``: values a list of numbers (1-D) or of vectors.
JSON numbers are the doubles they denote; strings are exact (``"0.1"``, ``"-3/7"``).

>>> inst = RSSInstance.from_json({"values": [0.5, "1/3", "-0.25"], "target": "0.1"})
>>> inst.n, inst.target
(3, Fraction(1, 10))
>>> inst.to_json()["values"]
['1/2', '1/3', '-1/4']
>>> RSSInstance.from_json({"values": [1, float("nan")], "target": 0})
Traceback (most recent call last):
...
solvers.numbers.InputError: values[1] is nan: every value must be a finite number
>>> type(problem_from_json({"values": [[1, 0], [0, 1]], "target": [1, 1]})).__name__
'MRSSInstance'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from solvers.deprecation import moved_names
from solvers.files import read_data_file
from solvers.networks import Network, NetworkMask, mask_of_bits, same_mask
from solvers.numbers import (
    InputError,
    check_count,
    check_eps,
    check_exact_size,
    fraction_str,
    to_fraction,
    to_fractions,
)
from solvers.piecewise_linear import (
    BOX_SUP_MAX_INPUTS,
    breakpoints,
    check_comparable,
    exact_forward,
    exact_parameters,
    sup_error_at_breakpoints,
    sup_error_box,
)
from solvers.regions import REGIONS_MAX_INPUTS, sup_error_regions

__all__ = ["Problem", "SubsetProblem", "RSSInstance", "MRSSInstance", "CoverageProblem",
           "MaskProblem", "NORMS", "problem_from_json", "subset_problem_from_json",
           "read_instance_file", "check_instance_keys", "check_vectors", "norm_value"]

NORMS = ("inf", "1")

INSTANCE_KEYS = {"values", "target", "targets", "cardinality", "max_cardinality", "norm", "eps",
                 "name"}


class Problem:
    """What every problem shares: an exact JSON form and a stable hash of it."""

    def to_json(self) -> dict[str, Any]:  # pragma: no cover - every problem defines it
        raise NotImplementedError

    def hash(self) -> str:
        """A stable short hash of the exact problem (its canonical JSON)."""
        canon = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canon.encode()).hexdigest()[:16]


class SubsetProblem(Problem):
    """A problem over subsets of ``n`` items with an optional cardinality rule."""

    cardinality: int | None
    max_cardinality: int | None

    @property
    def n(self) -> int:  # pragma: no cover - every subset problem defines it
        raise NotImplementedError

    def check_subset(self, subset: object) -> list[int]:
        """The indices of ``subset`` as ints; one clear InputError if out of range or repeated."""
        if isinstance(subset, (str, bytes, dict)):
            raise InputError(f"subset is {subset!r:.40}: expected a list of indices")
        try:
            idx = list(subset)  # type: ignore[call-overload]
        except TypeError:
            raise InputError(f"subset is {subset!r:.40}: expected a list of indices") from None
        for i in idx:
            if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < self.n:
                raise InputError(f"subset index {i!r:.40} is out of range 0..{self.n - 1}")
        if len(set(int(i) for i in idx)) != len(idx):
            raise InputError(f"subset {sorted(idx)} repeats an index")
        return [int(i) for i in idx]

    def admits(self, size: int) -> bool:
        """Whether a subset of this size satisfies the cardinality constraint."""
        if self.cardinality is not None:
            return size == self.cardinality
        if self.max_cardinality is not None:
            return size <= self.max_cardinality
        return True

    def size_range(self) -> tuple[int, int]:
        """The admissible subset sizes as an inclusive range."""
        if self.cardinality is not None:
            return self.cardinality, self.cardinality
        return 0, self.n if self.max_cardinality is None else self.max_cardinality


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


@dataclass(frozen=True)
class RSSInstance(SubsetProblem):
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
        inst = cls.create(
            data["values"],
            target,
            cardinality=data.get("cardinality"),
            max_cardinality=data.get("max_cardinality"),
            targets=targets,
        )
        # a file's numbers must keep their exact sums printable (Python's 4300-digit limit)
        check_exact_size([*inst.values, inst.target, *inst.targets])
        return inst

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

    def error(self, subset: object) -> Fraction:
        """The exact error |target - sum of values over subset|; validates the indices."""
        return abs(self.target - self.subset_sum(subset))

    def subset_sum(self, subset: object) -> Fraction:
        """The exact sum over ``subset``; validates the indices."""
        return sum((self.values[i] for i in self.check_subset(subset)), Fraction(0))


def _check_norm(norm: object) -> str:
    if isinstance(norm, (int, np.integer)) and not isinstance(norm, bool) and int(norm) == 1:
        return "1"
    if norm not in NORMS:
        raise InputError(f"norm is {norm!r}: expected 'inf' or '1'")
    return str(norm)


def check_vectors(values: object, name: str = "values") -> tuple[tuple[Fraction, ...], ...]:
    """Validate a list of equal-length vectors of exact numbers (d-dimensional values)."""
    if isinstance(values, np.ndarray):
        if values.ndim != 2:
            raise InputError(f"{name} has shape {values.shape}: expected n vectors of d numbers")
        values = values.tolist()
    if isinstance(values, (str, bytes, dict)) or not isinstance(values, Sequence):
        raise InputError(f"{name} is {values!r:.60}: expected a list of vectors")
    if not values:
        raise InputError(f"{name} is empty: give at least one vector")
    out = []
    for i, v in enumerate(values):
        if isinstance(v, (str, bytes, dict)) or not isinstance(v, (Sequence, np.ndarray)):
            raise InputError(f"{name}[{i}] is {v!r:.60}: expected a vector (a list of numbers)")
        out.append(tuple(to_fractions(v, f"{name}[{i}]")))
        if len(out[i]) != len(out[0]):
            raise InputError(
                f"{name}[{i}] has {len(out[i])} coordinates: every vector must have "
                f"d = {len(out[0])} coordinates like {name}[0]"
            )
    if not out[0]:
        raise InputError(f"{name}[0] is empty: vectors need at least one coordinate")
    return tuple(out)


def _point(x: object, d: int, name: str) -> tuple[Fraction, ...]:
    if isinstance(x, (str, bytes, dict)) or not isinstance(x, (Sequence, np.ndarray)):
        raise InputError(f"{name} is {x!r:.60}: expected a list of d = {d} numbers")
    p = tuple(to_fractions(x, name))
    if len(p) != d:
        raise InputError(
            f"{name} has {len(p)} coordinates: expected d = {d}, the length of each vector"
        )
    return p


def norm_value(r: Sequence[Any], norm: str) -> Any:
    """The 1-norm or the infinity norm of a residual vector (exact for Fractions and ints)."""
    return sum(abs(x) for x in r) if norm == "1" else max(abs(x) for x in r)


@dataclass(frozen=True)
class MRSSInstance(SubsetProblem):
    """A d-dimensional subset-sum instance: minimise ``||target - sum_{i in S} vectors[i]||``.

    ``norm`` is ``"inf"`` or ``"1"``; ``cardinality`` asks for ``|S| = k``, ``max_cardinality``
    for ``|S| <= k``; ``targets`` holds extra targets solved against the same vectors.

    >>> inst = MRSSInstance.create([[0.5, "1/3"], [1, -1]], [1, 0], norm="1")
    >>> inst.n, inst.d, inst.error([0, 1])
    (2, 2, Fraction(7, 6))
    >>> inst.to_json()
    {'values': [['1/2', '1/3'], ['1', '-1']], 'target': ['1', '0'], 'norm': '1'}
    """

    vectors: tuple[tuple[Fraction, ...], ...]
    target: tuple[Fraction, ...]
    norm: str = "inf"
    cardinality: int | None = None
    max_cardinality: int | None = None
    targets: tuple[tuple[Fraction, ...], ...] = ()

    @classmethod
    def create(
        cls,
        vectors: object,
        target: object,
        *,
        norm: object = "inf",
        cardinality: object = None,
        max_cardinality: object = None,
        targets: object = None,
    ) -> MRSSInstance:
        """Validate user data once, at the boundary, and convert every number exactly."""
        vecs = check_vectors(vectors)
        n, d = len(vecs), len(vecs[0])
        k = check_count(cardinality, "cardinality", n)
        kmax = check_count(max_cardinality, "max_cardinality", n)
        if k is not None and kmax is not None:
            raise InputError("give cardinality (|S| = k) or max_cardinality (|S| <= k), not both")
        extra: tuple[tuple[Fraction, ...], ...] = ()
        if targets is not None:
            if isinstance(targets, (str, bytes, dict)) or not isinstance(
                targets, (Sequence, np.ndarray)
            ):
                raise InputError(f"targets is {targets!r:.60}: expected a list of vectors")
            extra = tuple(_point(t, d, f"targets[{i}]") for i, t in enumerate(targets))
        return cls(vecs, _point(target, d, "target"), _check_norm(norm), k, kmax, extra)

    @classmethod
    def from_json(cls, data: Any) -> MRSSInstance:
        """Build from the parsed JSON/TOML form ``{"values": [[...], ...], "target": [...]}``."""
        check_instance_keys(data, "a list of vectors")
        targets = data.get("targets")
        if "target" not in data and not targets:
            raise InputError("instance has no 'target': expected a list of numbers")
        inst = cls.create(
            data["values"],
            data["target"] if "target" in data else targets[0],
            norm=data.get("norm", "inf"),
            cardinality=data.get("cardinality"),
            max_cardinality=data.get("max_cardinality"),
            targets=targets,
        )
        check_exact_size([x for v in (*inst.vectors, inst.target, *inst.targets) for x in v])
        return inst

    @property
    def n(self) -> int:
        return len(self.vectors)

    @property
    def d(self) -> int:
        return len(self.target)

    def to_json(self) -> dict[str, Any]:
        """Exact JSON form: every number as an exact string."""
        out: dict[str, Any] = {
            "values": [[fraction_str(x) for x in v] for v in self.vectors],
            "target": [fraction_str(x) for x in self.target],
            "norm": self.norm,
        }
        if self.cardinality is not None:
            out["cardinality"] = self.cardinality
        if self.max_cardinality is not None:
            out["max_cardinality"] = self.max_cardinality
        if self.targets:
            out["targets"] = [[fraction_str(x) for x in t] for t in self.targets]
        return out

    def subset_sum(self, subset: object) -> tuple[Fraction, ...]:
        """The exact vector sum over ``subset``; validates the indices."""
        idx = self.check_subset(subset)
        return tuple(sum((self.vectors[i][j] for i in idx), Fraction(0)) for j in range(self.d))

    def error(self, subset: object, target: Sequence[Fraction] | None = None) -> Fraction:
        """The exact error ``||target - sum over subset||`` in this instance's norm."""
        z = self.target if target is None else target
        s = self.subset_sum(subset)
        return norm_value([z[j] - s[j] for j in range(self.d)], self.norm)



    def size_range(self) -> tuple[int, int]:
        """The admissible subset sizes as an inclusive range."""
        if self.cardinality is not None:
            return self.cardinality, self.cardinality
        return 0, self.n if self.max_cardinality is None else self.max_cardinality


@dataclass(frozen=True)
class CoverageProblem(Problem):
    """Is every z in ``interval`` within ``eps`` of a subset sum of ``values``?

    >>> CoverageProblem.from_json({"values": [1, 2], "eps": "1/2"}).to_json()
    {'values': ['1', '2'], 'interval': ['-1', '1'], 'eps': '1/2'}
    """

    values: tuple[Fraction, ...]
    interval: tuple[Fraction, Fraction] = (Fraction(-1), Fraction(1))
    eps: Fraction | None = None

    @classmethod
    def create(cls, values: object, *, interval: object = (-1, 1), eps: object = None
               ) -> CoverageProblem:
        """Validate once: 1-D values, an interval a <= b, eps > 0 when given."""
        if isinstance(values, (list, tuple)) and any(isinstance(v, (list, tuple)) for v in values):
            raise InputError("values holds vectors: coverage is about 1-D values")
        vals = tuple(to_fractions(values, "values"))
        if isinstance(interval, (str, bytes)) or not isinstance(interval, (Sequence, np.ndarray)) \
                or len(interval) != 2:
            raise InputError(f"interval is {interval!r:.40}: expected two numbers a <= b")
        a, b = (to_fraction(x, f"interval[{i}]") for i, x in enumerate(interval))
        if a > b:
            raise InputError(f"interval is [{fraction_str(a)}, {fraction_str(b)}]: expected a <= b")
        return cls(vals, (a, b), None if eps is None else check_eps(eps, positive=True))

    @classmethod
    def from_json(cls, data: Any) -> CoverageProblem:
        """From ``{"values": [...], "interval"?: [a, b], "eps"?: e}``."""
        if not isinstance(data, dict) or "values" not in data:
            raise InputError("a coverage problem needs 'values': a list of numbers")
        prob = cls.create(data["values"], interval=data.get("interval", (-1, 1)),
                          eps=data.get("eps"))
        check_exact_size([*prob.values, *prob.interval, *([prob.eps] if prob.eps else [])])
        return prob

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"values": [fraction_str(v) for v in self.values],
                               "interval": [fraction_str(x) for x in self.interval]}
        if self.eps is not None:
            out["eps"] = fraction_str(self.eps)
        return out


@dataclass(frozen=True, eq=False)
class MaskProblem(Problem):
    """Prune ``random`` to match ``target``: the error of a mask is max ||f(x) - g_mask(x)||_inf
    over the box [lo, hi]^d_0, or over a finite ``inputs`` set when one is given.

    >>> f = Network.create([[[1.0]], [[1.0]]])
    >>> g = Network.create([[[1.0], [-1.0]], [[1.0, 1.0]]])
    >>> prob = MaskProblem.create(f, g)
    >>> prob.n_bits, prob.exact_errors, prob.error(NetworkMask.full(g))
    (4, True, Fraction(1, 1))
    """

    target: Network
    random: Network
    structured: bool = False
    box: tuple[Fraction, Fraction] = (Fraction(-1), Fraction(1))
    inputs: tuple[tuple[Fraction, ...], ...] | None = None

    @classmethod
    def create(cls, target: Network, random: Network, *, structured: object = False,
               box: object = (-1, 1), inputs: object = None) -> MaskProblem:
        """Validate sizes, the box and the inputs once."""
        check_comparable(target, random, "the random network")
        if not isinstance(structured, bool):
            raise InputError(f"structured is {structured!r}: expected true or false")
        if isinstance(box, (str, bytes)) or not isinstance(box, (Sequence, np.ndarray)) \
                or len(box) != 2:
            raise InputError(f"box is {box!r:.40}: expected two numbers lo < hi")
        lo, hi = to_fraction(box[0], "box[0]"), to_fraction(box[1], "box[1]")
        if not lo < hi:
            raise InputError(f"box is [{fraction_str(lo)}, {fraction_str(hi)}]: expected lo < hi")
        xs = None
        if inputs is not None:
            if isinstance(inputs, (str, bytes)) or not isinstance(inputs, (Sequence, np.ndarray)) \
                    or len(inputs) == 0:
                raise InputError(f"inputs is {inputs!r:.40}: expected a non-empty list of inputs")
            xs = tuple(tuple(to_fractions(x, f"inputs[{i}]")) for i, x in enumerate(inputs))
            if any(len(x) != target.sizes[0] for x in xs):
                raise InputError(f"inputs must hold vectors of d_0 = {target.sizes[0]} numbers")
        return cls(target, random, structured, (lo, hi), xs)

    @classmethod
    def from_json(cls, data: Any) -> MaskProblem:
        """From ``{"target": NETWORK, "random": NETWORK, "structured"?, "box"?, "inputs"?}``."""
        if not isinstance(data, dict):
            raise InputError(f"mask problem is a {type(data).__name__}: expected an object")
        for key in ("target", "random"):
            if key not in data:
                raise InputError(f"a mask problem needs '{key}': a network "
                                 '{"layers": [{"weight": [[...]], "bias": [...]}, ...]}')
        return cls.create(Network.from_json(data["target"]), Network.from_json(data["random"]),
                          structured=data.get("structured", False), box=data.get("box", (-1, 1)),
                          inputs=data.get("inputs"))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"target": self.target.to_json(), "random": self.random.to_json(),
                               "structured": self.structured,
                               "box": [fraction_str(x) for x in self.box]}
        if self.inputs is not None:
            out["inputs"] = [[fraction_str(v) for v in x] for x in self.inputs]
        return out

    @property
    def n_bits(self) -> int:
        """Mask bits: one per weight and bias, or (structured) one per hidden neuron."""
        return sum(self.random.sizes[1:-1]) if self.structured else self.random.n_params

    @property
    def exact_errors(self) -> bool:
        """Whether mask errors are exact: a finite input set, networks of one input, or
        one-hidden-layer networks of at most ``BOX_SUP_MAX_INPUTS`` inputs (the sup over the
        box at the vertices of their hyperplane arrangement), networks of any depth with at
        most ``REGIONS_MAX_INPUTS`` inputs (at the vertices of their linear regions)."""
        return self.inputs is not None or self.target.sizes[0] <= REGIONS_MAX_INPUTS or (
            self.target.sizes[0] <= BOX_SUP_MAX_INPUTS
            and max(self.target.n_layers, self.random.n_layers) <= 2)

    def mask_from_json(self, data: Any) -> NetworkMask:
        """A mask of ``random`` read from JSON; a structured problem needs a neuron mask."""
        mask = NetworkMask.from_json(data)
        mask.check(self.random)
        if self.structured:
            bits, pos = 0, 0
            for L in range(self.random.n_layers - 1):
                used = mask.weights[L].any(axis=1) | mask.weights[L + 1].any(axis=0)
                bits |= sum(int(u) << (pos + i) for i, u in enumerate(used))
                pos += len(used)
            if not same_mask(mask, mask_of_bits(self.random, True, bits)):
                raise InputError("the mask is not a structured (whole-neuron) mask")
        return mask

    @cached_property
    def _exact(self) -> tuple[list, list, list[Fraction]]:
        """The exact parameters of both networks, and the target's breakpoints (one input)."""
        pf = exact_parameters(self.target)
        points = breakpoints(pf, *self.box) if self.target.sizes[0] == 1 else []
        return pf, exact_parameters(self.random), points

    def error(self, mask: NetworkMask) -> Fraction | None:
        """The exact error of a mask, or None when it is not exact (deeper networks of three
        or more inputs over a box: the sup is a MIP in floating point)."""
        mask.check(self.random)
        pf, pr, points = self._exact
        zero = Fraction(0)
        pg = [([[w if keep else zero for w, keep in zip(row, mrow, strict=True)]
                for row, mrow in zip(W, mW, strict=True)],
               [v if mb is None or mb[k] else zero for k, v in enumerate(b)])
              for (W, b), mW, mb in zip(pr, mask.weights, mask.biases, strict=True)]
        if self.inputs is None and self.target.sizes[0] == 1:
            return sup_error_at_breakpoints(pf, points, pg, *self.box)[0]
        if self.inputs is None and max(self.target.n_layers, self.random.n_layers) > 2:
            return sup_error_regions(self.target, self.random.masked(mask), self.box)[0] \
                if self.exact_errors else None
        if self.inputs is None:
            return sup_error_box(self.target, self.random.masked(mask), self.box)[0] \
                if self.exact_errors else None
        return max(max(abs(a - b) for a, b in zip(exact_forward(pf, x)[1], exact_forward(pg, x)[1],
                                                  strict=True)) for x in self.inputs)


def _holds_vectors(data: Any) -> bool:
    vals = data.get("values") if isinstance(data, dict) else None
    return isinstance(vals, list) and any(isinstance(v, list) for v in vals)


def subset_problem_from_json(data: Any) -> RSSInstance | MRSSInstance:
    """The 1-D or d-dimensional subset-sum instance of a file, a conjecture or a result record.

    Vectors as values make it d-dimensional; a 1-D instance accepts any ``norm`` (all are |.|).
    Keys that are not the instance's (``conjecture``, ``eps``) are ignored.
    """
    if not isinstance(data, dict):
        raise InputError(f"instance is a {type(data).__name__}: expected an object with 'values'")
    fields = {k: v for k, v in data.items() if k not in ("conjecture", "eps")}
    if _holds_vectors(fields):
        return MRSSInstance.from_json(fields)
    if fields.get("norm") not in (None, "inf", "1"):
        raise InputError(f"norm is {fields['norm']!r}: expected \"inf\" or \"1\"")
    fields.pop("norm", None)
    return RSSInstance.from_json(fields)


def problem_from_json(data: Any) -> Problem:
    """Any problem from its JSON form: a mask problem has ``random``, a subset-sum instance
    ``target``/``targets``, a coverage problem only ``values`` (and ``eps``, ``interval``)."""
    if isinstance(data, dict) and "random" in data:
        return MaskProblem.from_json({k: v for k, v in data.items()
                                      if k not in ("conjecture", "eps")})
    if isinstance(data, dict) and "target" not in data and "targets" not in data \
            and "values" in data:
        return CoverageProblem.from_json({k: v for k, v in data.items() if k != "conjecture"})
    return subset_problem_from_json(data)


def read_instance_file(path: str | Path) -> RSSInstance:
    """Read a 1-D instance file (JSON, or TOML by suffix)."""
    data = read_data_file(path)
    if isinstance(data, dict) and isinstance(data.get("values"), list) and any(
        isinstance(v, list) for v in data["values"]
    ):
        raise InputError(f"{path} holds vectors: a d-dimensional instance, solved by solvers.mrss")
    return RSSInstance.from_json(data)


__getattr__ = moved_names(__name__, {
    "read_data_file": "solvers.files.read_data_file",
    "check_file_size": "solvers.files.check_file_size",
    "MAX_FILE_BYTES": "solvers.files.MAX_FILE_BYTES",
    "check_count": "solvers.numbers.check_count",
})
