"""MIP formulations of masked ReLU networks (OR-Tools MathOpt), in the OMLT style.

The network (:class:`solvers.networks.Network`) is a description; these functions add its
formulation to a MathOpt model and hand back the handles; solving and reading the answer are
a separate step (:func:`solvers.pruning.optimal_mask`).

- :func:`add_mask_variables`: one binary per edge and bias (unstructured) or per hidden
  neuron (structured), with an optional budget on how many are kept.
- :func:`add_masked_network_at`: the masked network evaluated at one fixed input x: for fixed
  x every pre-activation is linear in the bits of its own layer; ReLU gets a big-M encoding,
  and a bit times an activation is linearised (``p <= U m, p <= h, p >= h - U (1 - m)``).
- :func:`add_network`: a fixed network on input variables in a box (the verification MIP).

Big-M bounds come from interval arithmetic over every mask (for a fixed x) or over the box.

>>> from ortools.math_opt.python import mathopt
>>> from solvers.networks import Network
>>> net = Network.create([[[1.0, -1.0]], [[2.0]]], [[0.5], None])
>>> model = mathopt.Model()
>>> bits = add_mask_variables(model, net)
>>> out = add_masked_network_at(model, net, bits, np.array([1.0, 1.0]))
>>> len(bits.all()), len(out)
(4, 1)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ortools.math_opt.python import mathopt

from solvers.networks import Network, NetworkMask

__all__ = [
    "MaskVariables",
    "NetworkHandles",
    "add_mask_variables",
    "add_masked_network_at",
    "add_input_variables",
    "add_network",
]

Expr = mathopt.LinearExpression | mathopt.Variable | float


#: Unstructured masks enumerate the 2^q patterns of a first-layer neuron's q input bits (edges
#: and bias) when q is at most this: the first two layers then need no big-M at all.
PATTERN_MAX_BITS = 5


@dataclass
class MaskVariables:
    """The mask's binaries: per layer ``weights[L]`` (object array of Variables) and
    ``biases[L]`` (unstructured), or ``neurons[L]`` gating the outputs of hidden layer L
    (structured). ``patterns[k]`` (unstructured, small fan-in) are one-hot binaries over the
    input patterns of first-layer neuron k, linked to its edge and bias bits."""

    structured: bool
    weights: list[np.ndarray | None]
    biases: list[np.ndarray | None]
    neurons: list[np.ndarray]
    patterns: list[np.ndarray] = field(default_factory=list)
    ands: dict[tuple[mathopt.Variable, mathopt.Variable], mathopt.Variable] = field(
        default_factory=dict)

    def all(self) -> list[mathopt.Variable]:
        """Every mask bit (not the pattern or product helpers)."""
        out: list[mathopt.Variable] = []
        for arr in (*self.weights, *self.biases, *self.neurons):
            if arr is not None:
                out += list(arr.ravel())
        return out

    def mask(self, net: Network, values: dict[mathopt.Variable, float]) -> NetworkMask:
        """Read the binaries of a solution back as a :class:`NetworkMask` of ``net``."""

        def on(arr: np.ndarray) -> np.ndarray:
            return np.array([values[v] > 0.5 for v in arr.ravel()], dtype=bool).reshape(arr.shape)

        if not self.structured:
            return NetworkMask(tuple(on(w) for w in self.weights),
                               tuple(None if b is None else on(b) for b in self.biases))
        keep = [on(n) for n in self.neurons]
        ws, bs = [], []
        for L, (W, b) in enumerate(zip(net.weights, net.biases, strict=True)):
            rows = keep[L] if L < len(keep) else np.ones(W.shape[0], dtype=bool)
            cols = keep[L - 1] if L > 0 else np.ones(W.shape[1], dtype=bool)
            ws.append(rows[:, None] & cols[None, :])
            bs.append(None if b is None else rows.copy())
        return NetworkMask(tuple(ws), tuple(bs))

    def conj(self, model: mathopt.Model, a: mathopt.Variable, b: mathopt.Variable
             ) -> mathopt.Variable:
        """a AND b for binaries a, b (one shared variable per pair, integral when they are)."""
        key = (a, b)
        if key not in self.ands:
            q = model.add_variable(lb=0.0, ub=1.0, name=f"and_{a.name}_{b.name}")
            model.add_linear_constraint(q <= a)
            model.add_linear_constraint(q <= b)
            model.add_linear_constraint(q >= a + b - 1)
            self.ands[key] = q
        return self.ands[key]


@dataclass
class NetworkHandles:
    """A network added to a model: output expressions, their interval bounds, the binaries."""

    outputs: list[Expr]
    lower: np.ndarray
    upper: np.ndarray
    relu_binaries: list[mathopt.Variable] = field(default_factory=list)


def add_mask_variables(model: mathopt.Model, net: Network, *, structured: bool = False,
                       budget: int | None = None, name: str = "m") -> MaskVariables:
    """Binaries for a mask of ``net``; with ``budget``, at most that many are 1."""
    if structured:
        neurons = [np.array([model.add_binary_variable(name=f"{name}_n{L}_{i}")
                             for i in range(net.sizes[L + 1])], dtype=object)
                   for L in range(net.n_layers - 1)]
        bits = MaskVariables(True, [None] * net.n_layers, [None] * net.n_layers, neurons)
    else:
        ws, bs = [], []
        for L, (W, b) in enumerate(zip(net.weights, net.biases, strict=True)):
            w = np.empty(W.shape, dtype=object)
            for (k, j), _ in np.ndenumerate(W):
                w[k, j] = model.add_binary_variable(name=f"{name}_w{L}_{k}_{j}")
            ws.append(w)
            bs.append(None if b is None else np.array(
                [model.add_binary_variable(name=f"{name}_b{L}_{k}") for k in range(len(b))],
                dtype=object))
        bits = MaskVariables(False, ws, bs, [])
        _no_dead_edges(model, ws, bs)
        q = net.sizes[0] + (net.biases[0] is not None)
        if q <= PATTERN_MAX_BITS:
            for k in range(net.sizes[1]):
                ins = list(ws[0][k]) + ([] if bs[0] is None else [bs[0][k]])
                y = np.array([model.add_binary_variable(name=f"{name}_y{k}_{p}")
                              for p in range(2**q)], dtype=object)
                model.add_linear_constraint(mathopt.fast_sum(y) == 1)
                for i, m in enumerate(ins):
                    model.add_linear_constraint(
                        m == mathopt.fast_sum([y[p] for p in range(2**q) if p >> i & 1]))
                bits.patterns.append(y)
    if budget is not None:
        model.add_linear_constraint(mathopt.fast_sum(bits.all()) <= budget)
    return bits


def _no_dead_edges(model: mathopt.Model, ws: list[np.ndarray], bs: list[np.ndarray | None]
                   ) -> None:
    """A hidden neuron keeps an out-edge only if it keeps an in-edge or its bias, and an
    in-edge or bias only if it keeps an out-edge. Any mask reduces to one of these without
    changing the function (such a neuron outputs sigma(0) = 0, or nobody reads it): the
    optimum is unchanged, the search loses its symmetric copies, and no kept bit is dead."""
    for L in range(len(ws) - 1):
        for i in range(ws[L].shape[0]):
            ins = list(ws[L][i]) + ([] if bs[L] is None else [bs[L][i]])
            outs = list(ws[L + 1][:, i])
            for m in outs:
                model.add_linear_constraint(m <= mathopt.fast_sum(ins))
            for m in ins:
                model.add_linear_constraint(m <= mathopt.fast_sum(outs))


@dataclass
class _Affine:
    """const + sum coef * binary, over binaries shared by every input (no per-input variable)."""

    const: float
    terms: dict[mathopt.Variable, float]

    def bounds(self) -> tuple[float, float]:
        c = np.array(list(self.terms.values()))
        return (self.const + float(np.minimum(c, 0).sum()),
                self.const + float(np.maximum(c, 0).sum()))

    def expr(self) -> Expr:
        return mathopt.fast_sum([c * v for v, c in self.terms.items()]) + self.const


def _add(parts: list[_Affine]) -> _Affine:
    out = _Affine(0.0, {})
    for a in parts:
        out.const += a.const
        for v, c in a.terms.items():
            out.terms[v] = out.terms.get(v, 0.0) + c
    return out


Value = _Affine | mathopt.Variable


def _relu(model: mathopt.Model, z: Expr, lo: float, hi: float, name: str,
          binaries: list[mathopt.Variable]) -> tuple[Expr, float, float]:
    """sigma(z) for z in [lo, hi]: exact when the sign is fixed, big-M otherwise."""
    if isinstance(z, float):
        return max(z, 0.0), max(z, 0.0), max(z, 0.0)
    # interval bounds were computed in floats: widen them so no feasible point is cut off
    pad = 1e-9 * (1.0 + abs(lo) + abs(hi))
    lo, hi = lo - pad, hi + pad
    if hi <= 0:
        return 0.0, 0.0, 0.0
    if lo >= 0:
        return z, lo, hi
    h = model.add_variable(lb=0.0, ub=hi, name=f"{name}_h")
    d = model.add_binary_variable(name=f"{name}_d")
    binaries.append(d)
    model.add_linear_constraint(h >= z)
    model.add_linear_constraint(h <= z - lo * (1 - d))
    model.add_linear_constraint(h <= hi * d)
    return h, 0.0, hi


def _gate(model: mathopt.Model, bits: MaskVariables, bit: mathopt.Variable, h: Value,
          hi: float, name: str) -> Value:
    """bit * h for 0 <= h <= hi: exact products of binaries when h is affine in shared
    binaries, else the big-M linearisation p <= hi bit, p <= h, p >= h - hi (1 - bit)."""
    if isinstance(h, _Affine):
        out = _Affine(0.0, {bit: h.const} if h.const else {})
        for v, c in h.terms.items():
            out.terms[bits.conj(model, bit, v)] = c
        return out
    p = model.add_variable(lb=0.0, ub=max(hi, 0.0), name=name)
    model.add_linear_constraint(p <= hi * bit)
    model.add_linear_constraint(p <= h)
    model.add_linear_constraint(p >= h - hi * (1 - bit))
    return p


def add_masked_network_at(model: mathopt.Model, net: Network, bits: MaskVariables,
                          x: np.ndarray, name: str = "x") -> list[Expr]:
    """The outputs of the network masked by ``bits``, evaluated at the fixed input ``x``.

    The first layer is a constant (structured) or a one-hot choice among precomputed pattern
    values (unstructured): affine in binaries shared by all inputs, like the second layer's
    products. Deeper hidden layers need a big-M ReLU per input; bounds by interval
    arithmetic over every mask (a masked term is its value or 0).
    """
    x = np.asarray(x, dtype=np.float64)
    binaries: list[mathopt.Variable] = []
    last = net.n_layers - 1
    h: list[Value] = []
    his = np.zeros(0)
    for L, (W, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        z: list[tuple[Value, float, float]] = []
        for k in range(W.shape[0]):
            bk = None if b is None else float(b[k])
            if L == 0:
                z.append(_first_layer(bits, W[k], bk, k, x, L == last))
            else:
                z.append(_layer_sum(model, bits, L, W[k], bk, k, h, his, f"{name}_p{L}_{k}"))
        if L == last:
            return [zk.expr() if isinstance(zk, _Affine) else zk for zk, _, _ in z]
        h, his = [], np.zeros(len(z))
        for k, (zk, lo, hi) in enumerate(z):
            if L == 0 and bits.patterns:
                v: Value = zk  # the pattern values are already sigma(z)
            elif isinstance(zk, _Affine) and (lo >= 0 or not zk.terms):
                v = _Affine(max(zk.const, 0.0), {}) if not zk.terms else zk
            elif hi <= 0:
                v = _Affine(0.0, {})
            else:
                v, _, hi = _relu(model, zk.expr() if isinstance(zk, _Affine) else zk, lo, hi,
                                 f"{name}_{L}_{k}", binaries)
            if bits.structured:
                v = _gate(model, bits, bits.neurons[L][k], v, hi, f"{name}_g{L}_{k}")
            h.append(v)
            his[k] = max(hi, 0.0)
    raise AssertionError("unreachable: a network has at least one layer")


def _first_layer(bits: MaskVariables, w: np.ndarray, b: float | None, k: int, x: np.ndarray,
                 is_output: bool) -> tuple[_Affine, float, float]:
    """Neuron k of the first layer at the fixed input x, with bounds over every mask (after
    the ReLU when unstructured with patterns and hidden; the caller applies it otherwise)."""
    contrib = w * x
    if bits.structured:
        z = float(contrib.sum() + (b or 0.0))
        return _Affine(z, {}), z, z
    if bits.patterns:
        vals = np.append(contrib, b) if b is not None else contrib
        terms = {}
        for p, y in enumerate(bits.patterns[k]):
            zp = float(sum(vals[i] for i in range(len(vals)) if p >> i & 1))
            zp = zp if is_output else max(zp, 0.0)
            if zp:
                terms[y] = zp
        cs = list(terms.values())
        return _Affine(0.0, terms), min([0.0, *cs]), max([0.0, *cs])
    terms = {bits.weights[0][k, j]: float(contrib[j]) for j in np.nonzero(contrib)[0]}
    if b is not None and b:
        terms[bits.biases[0][k]] = b
    aff = _Affine(0.0, terms)
    return (aff, *aff.bounds())


def _layer_sum(model: mathopt.Model, bits: MaskVariables, L: int, w: np.ndarray,
               b: float | None, k: int, h: list[Value], his: np.ndarray, name: str
               ) -> tuple[Value, float, float]:
    """Pre-activation of neuron k of layer L >= 1 with interval bounds over every mask: affine
    in shared binaries when every input is, else a general expression."""
    parts: list[_Affine] = []
    general: list[Expr] = []
    lo = hi = 0.0
    for j in np.nonzero(w)[0]:
        hj = h[j]
        if not bits.structured:
            hj = _gate(model, bits, bits.weights[L][k, j], hj, his[j], f"{name}_{j}")
        wj = float(w[j])
        lo += min(0.0, wj * his[j])
        hi += max(0.0, wj * his[j])
        if isinstance(hj, _Affine):
            parts.append(_Affine(wj * hj.const, {v: wj * c for v, c in hj.terms.items()}))
        else:
            general.append(wj * hj)
    if b is not None and b:
        parts.append(_Affine(b, {}) if bits.structured else _Affine(0.0, {bits.biases[L][k]: b}))
        lo += b if bits.structured else min(0.0, b)
        hi += b if bits.structured else max(0.0, b)
    aff = _add(parts)
    if not general:
        a_lo, a_hi = aff.bounds()
        return aff, max(lo, a_lo), min(hi, a_hi)
    return mathopt.fast_sum(general) + aff.expr(), lo, hi


def _sum(terms: list[Expr]) -> Expr:
    """A constant stays a float (so later layers can skip big-M); otherwise an expression."""
    if all(isinstance(t, float) for t in terms):
        return float(sum(terms))
    return mathopt.fast_sum(terms)


def add_input_variables(model: mathopt.Model, lo: np.ndarray, hi: np.ndarray,
                        name: str = "x") -> list[mathopt.Variable]:
    """Continuous inputs in the box lo <= x <= hi."""
    return [model.add_variable(lb=float(a), ub=float(b), name=f"{name}{i}")
            for i, (a, b) in enumerate(zip(lo, hi, strict=True))]


def add_network(model: mathopt.Model, net: Network, x: list[mathopt.Variable],
                lo: np.ndarray, hi: np.ndarray, name: str = "f") -> NetworkHandles:
    """A fixed network on inputs ``x`` in the box [lo, hi] (big-M from interval arithmetic)."""
    h: list[Expr] = list(x)
    h_lo, h_hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    binaries: list[mathopt.Variable] = []
    for L, (W, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        bias = np.zeros(W.shape[0]) if b is None else b
        z_lo = bias + np.where(W > 0, W * h_lo, W * h_hi).sum(axis=1)
        z_hi = bias + np.where(W > 0, W * h_hi, W * h_lo).sum(axis=1)
        z = [_sum([float(W[k, j]) * h[j] for j in np.nonzero(W[k])[0]] + [float(bias[k])])
             for k in range(W.shape[0])]
        if L == net.n_layers - 1:
            return NetworkHandles(z, z_lo, z_hi, binaries)
        h, h_lo, h_hi = [], np.zeros(len(z)), np.zeros(len(z))
        for k, zk in enumerate(z):
            h_k, h_lo[k], h_hi[k] = _relu(model, zk, z_lo[k], z_hi[k], f"{name}_{L}_{k}",
                                          binaries)
            h.append(h_k)
    raise AssertionError("unreachable: a network has at least one layer")
