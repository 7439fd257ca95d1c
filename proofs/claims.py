"""Claims (a relation over typed, bounded variables) and audit results; reading claim files.

A claim file (TOML or JSON) holds a list of claims::

    [[claim]]
    name = "binomial-upper"
    statement = "binomial(n, k) <= (E*n/k)**k"
    assume = ["k <= n"]                                 # optional premises
    [claim.variables]
    n = {type = "integer", min = 1, max = 500}
    k = {type = "integer", min = 1, max = "n"}          # a bound may use other variables
    eps = {type = "real", min = "1e-9", max = "1/2"}    # exact strings; numbers are exact doubles

Bounds are closed; a missing bound leaves that side unbounded. A claim means: for every point
of the domain where the premises hold and both sides are defined (see :mod:`proofs.evaluate`),
the relation holds.

Examples
--------
>>> c = Claim.create("amgm", "(x + y)/2 >= sqrt(x*y)",
...                  {"x": {"min": 0, "max": 10}, "y": {"min": 0, "max": "x"}})
>>> [v.name for v in c.variables], c.relation.op
(['x', 'y'], '>=')
>>> Claim.create("bad", "x <= 1", {"x": {"type": "natural"}})
Traceback (most recent call last):
...
solvers.numbers.InputError: claim 'bad': variable x has type 'natural': expected "integer" or "real"
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from proofs.evaluate import check_constants
from proofs.grammar import (
    Node,
    Relation,
    check_name,
    free_names,
    parse_expression,
    parse_relation,
    to_text,
)
from solvers.files import check_file_size, read_data_file
from solvers.numbers import InputError, to_fraction

__all__ = [
    "Variable",
    "Claim",
    "AuditResult",
    "VERDICTS",
    "read_claims",
    "claims_from_data",
    "MAX_CLAIM_FILE_BYTES",
]

VERDICTS = ("proved", "refuted", "checked", "unchecked")
MAX_CLAIM_FILE_BYTES = 1 << 20
MAX_CLAIMS = 1000
MAX_VARIABLES = 20
MAX_ASSUMPTIONS = 20
_CLAIM_KEYS = {"name", "statement", "variables", "assume", "note"}
_VARIABLE_KEYS = {"type", "min", "max"}


@dataclass(frozen=True)
class Variable:
    """A declared variable: ``kind`` "integer" or "real", closed bounds (None: unbounded)."""

    name: str
    kind: str = "real"
    lower: Node | None = None
    upper: Node | None = None

    @property
    def integer(self) -> bool:
        return self.kind == "integer"

    def describe(self) -> str:
        lo = to_text(self.lower) if self.lower is not None else "-oo"
        hi = to_text(self.upper) if self.upper is not None else "oo"
        return f"{self.name} {self.kind} in [{lo}, {hi}]"


@dataclass(frozen=True)
class Claim:
    """``relation`` holds for all ``variables`` in their bounds where ``assumptions`` hold."""

    name: str
    relation: Relation
    variables: tuple[Variable, ...] = ()
    assumptions: tuple[Relation, ...] = ()
    statement: str = ""
    note: str = ""

    @classmethod
    def create(
        cls,
        name: str,
        statement: str,
        variables: Mapping[str, Mapping[str, Any]] | None = None,
        assume: str | Sequence[str] = (),
        note: str = "",
    ) -> Claim:
        """Validate and parse a claim; raises :class:`InputError` with one clear line."""
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise InputError(f"claim name {name!r:.60}: expected a non-empty string <= 100 chars")
        where = f"claim {name!r}"
        variables = {} if variables is None else variables
        if not isinstance(variables, Mapping):
            raise InputError(f"{where}: variables must be a table of name = {{type, min, max}}")
        if len(variables) > MAX_VARIABLES:
            raise InputError(f"{where}: {len(variables)} variables, at most {MAX_VARIABLES}")
        names = {check_name(n, f"{where}: variable") for n in variables}
        declared = [_variable(where, n, spec, names) for n, spec in variables.items()]
        relation = parse_relation(statement, names, f"{where} statement")
        if isinstance(assume, str):
            assume = [assume]
        if not isinstance(assume, Sequence) or len(assume) > MAX_ASSUMPTIONS:
            raise InputError(
                f"{where}: assume must be a list of at most {MAX_ASSUMPTIONS} relations"
            )
        premises = tuple(
            parse_relation(a, names, f"{where} assume[{i}]") for i, a in enumerate(assume)
        )
        if not isinstance(note, str) or len(note) > 2000:
            raise InputError(f"{where}: note must be a string of at most 2000 characters")
        return cls(name, relation, _dependency_order(where, declared), premises, statement, note)

    @classmethod
    def from_json(cls, data: Any, where: str = "claim") -> Claim:
        """A claim from its parsed TOML/JSON table."""
        if not isinstance(data, Mapping):
            raise InputError(f"{where} is {type(data).__name__}: expected a table with a statement")
        unknown = set(data) - _CLAIM_KEYS
        if unknown:
            raise InputError(
                f"{where} has unknown keys {sorted(unknown)}: allowed {sorted(_CLAIM_KEYS)}"
            )
        for key in ("name", "statement"):
            if key not in data:
                raise InputError(f"{where} has no {key}")
        return cls.create(
            data["name"],
            data["statement"],
            data.get("variables"),
            data.get("assume", ()),
            data.get("note", ""),
        )

    def variable(self, name: str) -> Variable:
        return next(v for v in self.variables if v.name == name)

    def check_constants(self) -> None:
        """Evaluate every constant sub-formula once under the size guards (one clear
        InputError for ``10**10**10**10``); the audit does it inside the claim's
        time-limited child process, never while the file is read."""
        where = f"claim {self.name!r}"
        for node in (self.relation.lhs, self.relation.rhs,
                     *(side for a in self.assumptions for side in (a.lhs, a.rhs)),
                     *(b for v in self.variables for b in (v.lower, v.upper) if b is not None)):
            check_constants(node, where)


def _bound(where: str, spec: object, names: set[str], own: str) -> Node | None:
    if spec is None:
        return None
    if isinstance(spec, str):
        node = parse_expression(spec, names - {own}, where)
        return node
    return Node("num", value=to_fraction(spec, where))


def _variable(where: str, name: str, spec: Any, names: set[str]) -> Variable:
    if not isinstance(spec, Mapping):
        raise InputError(
            f'{where}: variable {name} must be a table like {{type = "real", min = 0}}'
        )
    unknown = set(spec) - _VARIABLE_KEYS
    if unknown:
        raise InputError(
            f"{where}: variable {name} has unknown keys {sorted(unknown)}: allowed type, min, max"
        )
    kind = spec.get("type", "real")
    if kind not in ("integer", "real"):
        raise InputError(
            f'{where}: variable {name} has type {kind!r}: expected "integer" or "real"'
        )
    lo = _bound(f"{where} {name}.min", spec.get("min"), names, name)
    hi = _bound(f"{where} {name}.max", spec.get("max"), names, name)
    if lo is not None and hi is not None and lo.op == "num" and hi.op == "num":
        assert isinstance(lo.value, Fraction) and isinstance(hi.value, Fraction)
        if lo.value > hi.value:
            raise InputError(f"{where}: variable {name} has min {lo.value} > max {hi.value}")
    return Variable(name, kind, lo, hi)


def _dependency_order(where: str, declared: list[Variable]) -> tuple[Variable, ...]:
    """Variables sorted so that every bound uses only earlier variables."""
    deps = {
        v.name: set().union(*(free_names(b) for b in (v.lower, v.upper) if b is not None))
        for v in declared
    }
    done: list[Variable] = []
    placed: set[str] = set()
    pending = list(declared)
    while pending:
        ready = [v for v in pending if deps[v.name] <= placed]
        if not ready:
            cycle = ", ".join(v.name for v in pending)
            raise InputError(f"{where}: the bounds of {cycle} depend on each other in a cycle")
        for v in ready:
            done.append(v)
            placed.add(v.name)
        pending = [v for v in pending if v.name not in placed]
    return tuple(done)


def claims_from_data(data: Any, source: str = "claim file") -> list[Claim]:
    """Claims from a parsed file: ``{"claim": [...]}`` (TOML ``[[claim]]``), ``{"claims": [...]}``
    or a list."""
    if isinstance(data, Mapping):
        unknown = set(data) - {"claim", "claims"}
        if unknown:
            raise InputError(
                f"{source} has unknown top-level keys {sorted(unknown)}: expected claim"
            )
        items = data.get("claim", data.get("claims"))
    else:
        items = data
    if not isinstance(items, list) or not items:
        raise InputError(f"{source} holds no claims: expected [[claim]] tables (TOML) or a list")
    if len(items) > MAX_CLAIMS:
        raise InputError(f"{source} holds {len(items)} claims: at most {MAX_CLAIMS}")
    claims = [Claim.from_json(c, f"claim[{i}]") for i, c in enumerate(items)]
    seen: set[str] = set()
    for c in claims:
        if c.name in seen:
            raise InputError(f"{source}: two claims are named {c.name!r}")
        seen.add(c.name)
    return claims


def read_claims(path: str | Path) -> list[Claim]:
    """Read and validate a claim file (TOML by suffix, JSON otherwise), at most 1 MB."""
    p = check_file_size(path, MAX_CLAIM_FILE_BYTES, "claim files")
    try:
        data = read_data_file(p, MAX_CLAIM_FILE_BYTES)
    except RecursionError:
        raise InputError(f"{path} nests too deeply to be a claim file") from None
    return claims_from_data(data, str(path))


@dataclass
class AuditResult:
    """The verdict on one claim.

    ``verdict`` is ``proved`` (a proof, ``steps`` shows it), ``refuted`` (``counterexample``
    holds exact values, re-checked rigorously; ``values`` the two sides there), ``checked``
    (no counterexample in the search ``effort`` describes; not proved) or ``unchecked``
    (nothing could be decided; ``reason`` says why).
    """

    name: str
    verdict: str
    method: str
    lhs: str = ""
    rhs: str = ""
    relation: str = ""
    statement: str = ""
    counterexample: dict[str, str] | None = None
    values: dict[str, str] | None = None
    effort: dict[str, Any] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)
    reason: str = ""
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
