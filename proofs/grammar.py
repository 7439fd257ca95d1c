"""The claim language: a whitelist over Python's ``ast``, mapped onto a small expression tree.

A statement is one relation (``<=``, ``<``, ``>=``, ``>``, ``==``) between expressions in
declared variables, with ``+ - * / **``, the constants ``E`` and ``pi``, and the functions
``log`` (natural, or ``log(x, base)``), ``exp``, ``sqrt``, ``binomial``, ``factorial``,
``Sum(body, (k, lo, hi))``, ``Abs``, ``Min``, ``Max``, ``floor``, ``ceiling``.

User text never reaches ``eval``, ``sympify`` or ``parse_expr``: it is parsed by
:func:`ast.parse` (after a length check), every node is checked against the whitelist, and the
result is a tree of :class:`Node` objects. Constant sub-expressions are evaluated once with size
guards, so ``10**10**10**10`` is refused in microseconds. The sympy form (:func:`to_sympy`) is
built only when a symbolic proof is attempted, inside a time limit.

Examples
--------
>>> rel = parse_relation("binomial(n, k) <= (E*n/k)**k", {"n", "k"})
>>> rel.op, to_text(rel.lhs), to_text(rel.rhs)
('<=', 'binomial(n, k)', '(E*n/k)**k')
>>> to_text(parse_expression("1e-9 + 0.5", set()))
'1/1000000000 + 1/2'
>>> parse_expression("__import__('os').system('x')", set())
Traceback (most recent call last):
...
solvers.numbers.InputError: expression "__import__('os').system('x')": a call of an attribute is not allowed; only log, exp, sqrt, binomial, factorial, Sum, Abs, Min, Max, floor, ceiling
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from fractions import Fraction

from solvers.numbers import InputError, parse_fraction_str

__all__ = [
    "Node",
    "Relation",
    "parse_expression",
    "parse_relation",
    "to_text",
    "to_sympy",
    "free_names",
    "check_name",
    "FUNCTIONS",
    "RELATIONS",
    "MAX_CHARS",
]

#: Longest statement or bound accepted, in characters.
MAX_CHARS = 2000
#: Most syntax-tree nodes and deepest nesting accepted in one formula.
MAX_NODES = 400
MAX_DEPTH = 40
#: Largest decimal exponent in a literal ("1e-300" is fine, "1e-5000" is not).
MAX_LITERAL_EXPONENT = 1000
MAX_LITERAL_DIGITS = 1000

RELATIONS = ("<=", "<", ">=", ">", "==")
_COMPARE = {ast.LtE: "<=", ast.Lt: "<", ast.GtE: ">=", ast.Gt: ">", ast.Eq: "=="}
_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
#: Whitelisted functions: canonical name -> (min arity, max arity).
FUNCTIONS = {
    "log": (1, 2),
    "exp": (1, 1),
    "sqrt": (1, 1),
    "binomial": (2, 2),
    "factorial": (1, 1),
    "Sum": (2, 2),
    "Abs": (1, 1),
    "Min": (2, 16),
    "Max": (2, 16),
    "floor": (1, 1),
    "ceiling": (1, 1),
}
_ALIASES = {"abs": "Abs", "min": "Min", "max": "Max", "ceil": "ceiling", "ln": "log"}
CONSTANTS = ("E", "pi")
_RESERVED = set(FUNCTIONS) | set(_ALIASES) | set(CONSTANTS)


@dataclass(frozen=True)
class Node:
    """One node of a formula.

    ``op`` is ``num`` (``value`` a Fraction), ``var`` (``value`` the name), ``const``
    (``value`` "E" or "pi"), ``neg``, ``add``, ``sub``, ``mul``, ``div``, ``pow``, ``call``
    (``value`` the function name) or ``sum`` (``value`` the index name; ``args`` are body,
    lower and upper bound).
    """

    op: str
    args: tuple[Node, ...] = ()
    value: object = None


@dataclass(frozen=True)
class Relation:
    """``lhs op rhs`` with ``op`` one of :data:`RELATIONS`."""

    op: str
    lhs: Node
    rhs: Node

    def text(self) -> str:
        """The relation as normalised text."""
        return f"{to_text(self.lhs)} {self.op} {to_text(self.rhs)}"


def check_name(name: object, what: str = "variable") -> str:
    """Validate a variable name: an identifier, not a function or constant, <= 32 chars.

    >>> check_name("eps")
    'eps'
    >>> check_name("log")
    Traceback (most recent call last):
    ...
    solvers.numbers.InputError: variable 'log' is a function or constant name: choose another name
    """
    if not isinstance(name, str) or not name.isidentifier() or not name.isascii():
        raise InputError(f"{what} name {name!r} is not an identifier like n, eps or x_1")
    if name.startswith("_") or len(name) > 32:
        raise InputError(f"{what} name {name!r}: at most 32 characters, not starting with _")
    if name in _RESERVED:
        raise InputError(f"{what} {name!r} is a function or constant name: choose another name")
    return name


class _Converter:
    """Python ``ast`` -> :class:`Node`, rejecting everything outside the whitelist."""

    def __init__(self, text: str, names: Collection[str], what: str):
        self.text, self.names, self.what = text, set(names), what

    def fail(self, problem: str) -> InputError:
        shown = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        return InputError(f'{self.what} "{shown}": {problem}')

    def convert(self, node: ast.AST, depth: int, bound: frozenset[str]) -> Node:
        if depth > MAX_DEPTH:
            raise self.fail(f"nests deeper than {MAX_DEPTH} levels")
        d = depth + 1
        if isinstance(node, ast.BinOp):
            op = _BINARY.get(type(node.op))
            if op is None:
                if isinstance(node.op, ast.BitXor):
                    raise self.fail("^ is not a power here: write ** (x**2)")
                raise self.fail(f"the operator {type(node.op).__name__} is not allowed")
            return Node(op, (self.convert(node.left, d, bound), self.convert(node.right, d, bound)))
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return Node("neg", (self.convert(node.operand, d, bound),))
            if isinstance(node.op, ast.UAdd):
                return self.convert(node.operand, d, bound)
            raise self.fail(f"the operator {type(node.op).__name__} is not allowed")
        if isinstance(node, ast.Constant):
            return Node("num", value=self.number(node))
        if isinstance(node, ast.Name):
            name = node.id
            if name in CONSTANTS:
                return Node("const", value=name)
            if name in bound or name in self.names:
                return Node("var", value=name)
            if name in _RESERVED:
                raise self.fail(f"{name} is a function: call it, as in {name}(x)")
            hint = "write E for Euler's number, or " if name == "e" else ""
            raise self.fail(f"unknown name {name!r} ({hint}declare it as a variable)")
        if isinstance(node, ast.Call):
            return self.call(node, d, bound)
        if isinstance(node, ast.Compare):
            raise self.fail("a relation is allowed only once, at the top of a statement")
        raise self.fail(f"{type(node).__name__} is not allowed in a formula")

    def number(self, node: ast.Constant) -> Fraction:
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(f"the literal {v!r} is not a real number")
        if isinstance(v, int):
            if v.bit_length() > 4 * MAX_LITERAL_DIGITS:
                raise self.fail(f"an integer literal of {v.bit_length()} bits is too long")
            return Fraction(v)
        # A float literal means the decimal the user wrote, not the nearest double.
        src = (ast.get_source_segment(self.text, node) or repr(v)).replace("_", "")
        mantissa, _, exponent = src.lower().partition("e")
        if len(mantissa) > MAX_LITERAL_DIGITS or (
            exponent and abs(int(exponent)) > MAX_LITERAL_EXPONENT
        ):
            raise self.fail(f"the literal {src[:40]} is beyond 1e+-{MAX_LITERAL_EXPONENT}")
        return parse_fraction_str(src, "literal")

    def call(self, node: ast.Call, d: int, bound: frozenset[str]) -> Node:
        allowed = ", ".join(FUNCTIONS)
        if not isinstance(node.func, ast.Name):
            kind = "an attribute" if isinstance(node.func, ast.Attribute) else "an expression"
            raise self.fail(f"a call of {kind} is not allowed; only {allowed}")
        name = _ALIASES.get(node.func.id, node.func.id)
        if name not in FUNCTIONS:
            raise self.fail(f"the function {node.func.id!r} is not allowed; only {allowed}")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(f"{name}() takes plain positional arguments only")
        lo, hi = FUNCTIONS[name]
        if not lo <= len(node.args) <= hi:
            want = str(lo) if lo == hi else f"{lo} to {hi}"
            raise self.fail(f"{name}() takes {want} arguments, not {len(node.args)}")
        if name == "Sum":
            return self.summation(node, d, bound)
        return Node("call", tuple(self.convert(a, d, bound) for a in node.args), name)

    def summation(self, node: ast.Call, d: int, bound: frozenset[str]) -> Node:
        spec = node.args[1]
        if not (
            isinstance(spec, ast.Tuple)
            and len(spec.elts) == 3
            and isinstance(spec.elts[0], ast.Name)
        ):
            raise self.fail("write a sum as Sum(body, (k, lower, upper))")
        index = spec.elts[0].id
        if index in self.names or index in bound:
            raise self.fail(f"the summation index {index!r} is already a variable")
        check_name(index, "summation index")
        lower = self.convert(spec.elts[1], d, bound)
        upper = self.convert(spec.elts[2], d, bound)
        body = self.convert(node.args[0], d, bound | {index})
        return Node("sum", (body, lower, upper), index)


def _parse(text: object, names: Collection[str], what: str, relation: bool) -> Node | Relation:
    if not isinstance(text, str):
        raise InputError(f"{what} is {type(text).__name__} {text!r:.60}: expected a string")
    if len(text) > MAX_CHARS:
        raise InputError(f"{what} has {len(text)} characters: at most {MAX_CHARS} allowed")
    conv = _Converter(text, names, what)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        msg = exc.msg if isinstance(exc, SyntaxError) else type(exc).__name__
        raise conv.fail(f"not a formula ({msg})") from None
    count = sum(1 for _ in ast.walk(tree))
    if count > MAX_NODES:
        raise conv.fail(f"{count} syntax nodes: at most {MAX_NODES} allowed")
    body = tree.body
    conv.text = text.strip()
    if relation:
        if not isinstance(body, ast.Compare):
            raise conv.fail("a statement is one relation: lhs <= rhs (or <, >=, >, ==)")
        if len(body.ops) != 1:
            raise conv.fail("one relation per statement (a < b < c: write two claims)")
        op = _COMPARE.get(type(body.ops[0]))
        if op is None:
            raise conv.fail(f"the relation {type(body.ops[0]).__name__} is not one of {RELATIONS}")
        out: Node | Relation = Relation(
            op,
            conv.convert(body.left, 1, frozenset()),
            conv.convert(body.comparators[0], 1, frozenset()),
        )
        return out
    return conv.convert(body, 1, frozenset())


def parse_expression(text: object, names: Collection[str], what: str = "expression") -> Node:
    """Parse one expression in the given variable names (see the module docstring)."""
    out = _parse(text, names, what, relation=False)
    assert isinstance(out, Node)
    return out


def parse_relation(text: object, names: Collection[str], what: str = "statement") -> Relation:
    """Parse one relation ``lhs op rhs`` in the given variable names."""
    out = _parse(text, names, what, relation=True)
    assert isinstance(out, Relation)
    return out


def free_names(node: Node) -> frozenset[str]:
    """The variable names a formula depends on (summation indices excluded)."""
    if node.op == "var":
        return frozenset({node.value})  # type: ignore[arg-type]
    if node.op == "sum":
        body, lo, hi = node.args
        return (free_names(body) - {node.value}) | free_names(lo) | free_names(hi)
    out: frozenset[str] = frozenset()
    for a in node.args:
        out |= free_names(a)
    return out


# Printing: precedence levels of Python's grammar.
_PREC = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}
_SYMBOL = {"add": " + ", "sub": " - ", "mul": "*", "div": "/", "pow": "**"}


def _prec(node: Node) -> int:
    if node.op == "num":
        x = node.value
        assert isinstance(x, Fraction)
        return 2 if x.denominator != 1 else (3 if x < 0 else 5)
    return _PREC.get(node.op, 5)


def to_text(node: Node) -> str:
    """Normalised text of a formula: parseable again, numbers as exact fractions.

    >>> to_text(parse_expression("-(a - b)**2 / (2*c)", {"a", "b", "c"}))
    '-(a - b)**2/(2*c)'
    """
    op = node.op
    if op == "num":
        return str(node.value)
    if op in ("var", "const"):
        return str(node.value)
    if op == "neg":
        inner = node.args[0]
        s = to_text(inner)
        return f"-({s})" if _prec(inner) < 3 else f"-{s}"
    if op in _SYMBOL:
        a, b = node.args
        p = _PREC[op]
        sa, sb = to_text(a), to_text(b)
        if op == "pow":  # right-associative, binds tighter than unary minus on its left
            sa = f"({sa})" if _prec(a) <= p else sa
            sb = f"({sb})" if _prec(b) < 3 else sb
        else:
            sa = f"({sa})" if _prec(a) < p else sa
            right_paren = _prec(b) <= p if op in ("sub", "div") else _prec(b) < p
            sb = f"({sb})" if right_paren else sb
        return f"{sa}{_SYMBOL[op]}{sb}"
    if op == "call":
        return f"{node.value}({', '.join(to_text(a) for a in node.args)})"
    if op == "sum":
        body, lo, hi = node.args
        return f"Sum({to_text(body)}, ({node.value}, {to_text(lo)}, {to_text(hi)}))"
    raise ValueError(f"unknown node {op}")


def to_sympy(node: Node, symbols: Mapping[str, object]):  # noqa: ANN201 (sympy type)
    """The sympy expression of a formula, with the given Symbols for the variable names.

    Built with sympy's automatic evaluation: call it only inside a time limit.

    >>> import sympy
    >>> x = sympy.Symbol("x", positive=True)
    >>> to_sympy(parse_expression("log(x**2, 2)", {"x"}), {"x": x})
    log(x**2)/log(2)
    """
    import sympy

    op = node.op
    if op == "num":
        x = node.value
        assert isinstance(x, Fraction)
        return sympy.Rational(x.numerator, x.denominator)
    if op == "var":
        return symbols[node.value]  # type: ignore[index]
    if op == "const":
        return sympy.E if node.value == "E" else sympy.pi
    if op == "sum":
        body, lo, hi = node.args
        k = sympy.Symbol(str(node.value), integer=True)
        inner = dict(symbols)
        inner[str(node.value)] = k
        return sympy.Sum(to_sympy(body, inner), (k, to_sympy(lo, symbols), to_sympy(hi, symbols)))
    args = [to_sympy(a, symbols) for a in node.args]
    if op == "neg":
        return -args[0]
    if op == "add":
        return args[0] + args[1]
    if op == "sub":
        return args[0] - args[1]
    if op == "mul":
        return args[0] * args[1]
    if op == "div":
        return args[0] / args[1]
    if op == "pow":
        return args[0] ** args[1]
    funcs = {
        "log": sympy.log,
        "exp": sympy.exp,
        "sqrt": sympy.sqrt,
        "binomial": sympy.binomial,
        "factorial": sympy.factorial,
        "Abs": sympy.Abs,
        "Min": sympy.Min,
        "Max": sympy.Max,
        "floor": sympy.floor,
        "ceiling": sympy.ceiling,
    }
    return funcs[str(node.value)](*args)
