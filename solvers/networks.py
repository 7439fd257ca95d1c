"""ReLU networks, their masks, random overparameterised constructions, and file formats.

A network is a list of layers ``(weight, bias)`` with the weight in the (out, in) orientation;
ReLU between layers, the last layer linear: ``f(x) = W_l sigma(... sigma(W_1 x + b_1) ...) + b_l``.
Files: JSON ``{"layers": [{"weight": [[...]], "bias": [...]}, ...]}`` (TOML too) and
``.npz`` with arrays ``W0, b0, W1, ...`` for big ones. Weights are IEEE doubles; a JSON string
weight must denote a double exactly.

Random weights are drawn on a dyadic grid (uniform: multiples of 2^-26 in [-1, 1]; Gaussian:
multiples of 2^-24), fine enough to be indistinguishable from continuous draws at any eps this
toolkit meets, and coarse enough that the product of two weights is an exact double: the
subset-sum instances of :mod:`solvers.construction` are then exactly the network's.

>>> net = Network.create([[[1.0, -2.0]], [[3.0]]], [[0.5], None])
>>> net.sizes, net.forward([1.0, 0.25]).tolist()
((2, 1, 1), [3.0])
>>> Network.from_json(net.to_json()) == net
True
>>> Network.create([[[1.0, 2.0]], [[1.0], [2.0]], [[1.0, 1.0, 1.0]]])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
solvers.numbers.InputError: layers[2].weight has 3 columns but layers[1] has 2 outputs: ...
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from solvers.files import check_file_size, read_data_file
from solvers.numbers import InputError, to_fraction

__all__ = [
    "Network",
    "NetworkMask",
    "mask_of_bits",
    "neuron_bit_masks",
    "is_canonical_mask",
    "same_mask",
    "ConstructionLayout",
    "random_network",
    "construction_network",
    "read_network",
    "write_network",
    "DISTRIBUTIONS",
    "UNIFORM_GRID_BITS",
    "GAUSSIAN_GRID_BITS",
]

DISTRIBUTIONS = ("uniform", "gaussian")
#: Uniform weights are multiples of 2^-26 in [-1, 1]: products are multiples of 2^-52, exact.
UNIFORM_GRID_BITS = 26
#: Gaussian weights are multiples of 2^-24: products below 32 in magnitude are exact doubles.
GAUSSIAN_GRID_BITS = 24


def _weight_array(data: object, name: str, ndim: int) -> np.ndarray:
    """A finite float64 array of the given rank from an array or nested lists of user numbers."""
    if isinstance(data, np.ndarray):
        if data.dtype.kind not in "fiu":
            raise InputError(f"{name} has dtype {data.dtype}: expected numbers")
        arr = data.astype(np.float64)
    else:
        arr = _exact_doubles(data, name)
    if arr.ndim != ndim or 0 in arr.shape:
        what = "a non-empty matrix (list of rows)" if ndim == 2 else "a non-empty list of numbers"
        raise InputError(f"{name} has shape {arr.shape}: expected {what}")
    bad = np.argwhere(~np.isfinite(arr))
    if len(bad):
        idx = "][".join(str(int(i)) for i in bad[0])
        raise InputError(f"{name}[{idx}] is {arr[tuple(bad[0])]}: every weight must be a finite "
                         "number")
    arr.flags.writeable = False
    return arr


def _exact_doubles(data: object, name: str) -> np.ndarray:
    """Nested lists of numbers; a string must denote a double exactly ("0.5", "-3/4")."""

    def conv(x: object, where: str) -> object:
        if isinstance(x, (list, tuple)):
            return [conv(v, f"{where}[{i}]") for i, v in enumerate(x)]
        if isinstance(x, float):
            return x
        q = to_fraction(x, where)
        f = float(q)
        if Fraction(f) != q:
            raise InputError(f"{where} is {x!r}: not exactly a double; network weights are "
                             "float64 (give a JSON number or an exact binary fraction)")
        return f

    nested = conv(data, name)
    try:
        return np.array(nested, dtype=np.float64)
    except ValueError:
        raise InputError(f"{name} is ragged: every row must have the same length") from None


@dataclass(frozen=True, eq=False)
class Network:
    """A ReLU network: ``weights[L]`` of shape (out, in), ``biases[L]`` of shape (out,) or None.

    Build with :meth:`create` (validates once). Arrays are read-only float64.
    """

    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray | None, ...]

    @classmethod
    def create(cls, weights: Sequence[object], biases: Sequence[object] | None = None) -> Network:
        """Validate shapes (each layer's input size = previous output size) and finiteness."""
        if isinstance(weights, (str, bytes)) or not isinstance(weights, Sequence) or not weights:
            raise InputError("layers is empty: a network needs at least one layer")
        biases = [None] * len(weights) if biases is None else list(biases)
        if len(biases) != len(weights):
            raise InputError(f"biases has {len(biases)} entries: expected one per layer "
                             f"({len(weights)}), None for no bias")
        ws, bs = [], []
        for L, (w, b) in enumerate(zip(weights, biases, strict=True)):
            W = _weight_array(w, f"layers[{L}].weight", 2)
            if ws and W.shape[1] != ws[-1].shape[0]:
                raise InputError(
                    f"layers[{L}].weight has {W.shape[1]} columns but layers[{L - 1}] has "
                    f"{ws[-1].shape[0]} outputs: each layer's input size must equal the previous "
                    "layer's output size")
            B = None if b is None else _weight_array(b, f"layers[{L}].bias", 1)
            if B is not None and B.shape[0] != W.shape[0]:
                raise InputError(f"layers[{L}].bias has {B.shape[0]} entries but the weight has "
                                 f"{W.shape[0]} rows: one bias per output")
            ws.append(W)
            bs.append(B)
        return cls(tuple(ws), tuple(bs))

    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer widths (d_0, d_1, ..., d_l), inputs first."""
        return (self.weights[0].shape[1], *(W.shape[0] for W in self.weights))

    @property
    def n_layers(self) -> int:
        return len(self.weights)

    @property
    def n_params(self) -> int:
        """Number of weights plus biases."""
        return sum(W.size for W in self.weights) + sum(b.size for b in self.biases if b is not None)

    def forward(self, x: object) -> np.ndarray:
        """The float64 forward pass for one input (d_0,) or a batch (m, d_0)."""
        X = np.asarray(x, dtype=np.float64)
        one = X.ndim == 1
        H = X[None, :] if one else X
        if H.ndim != 2 or H.shape[1] != self.sizes[0]:
            raise InputError(f"x has shape {X.shape}: expected ({self.sizes[0]},) or "
                             f"(m, {self.sizes[0]})")
        for L, (W, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            H = H @ W.T
            if b is not None:
                H = H + b
            if L < self.n_layers - 1:
                H = np.maximum(H, 0.0)
        return H[0] if one else H

    def forward_exact(self, x: Sequence[object]) -> list[Fraction]:
        """The exact rational forward pass for one input (small networks; Fractions throughout)."""
        h = [to_fraction(v, f"x[{i}]") for i, v in enumerate(x)]
        if len(h) != self.sizes[0]:
            raise InputError(f"x has {len(h)} entries: expected {self.sizes[0]}")
        for L, (W, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = []
            for k in range(W.shape[0]):
                row = zip(W[k].tolist(), h, strict=True)
                s = sum((Fraction(w) * v for w, v in row if w and v), Fraction(0))
                z.append(s + (Fraction(float(b[k])) if b is not None else 0))
            h = [max(v, Fraction(0)) for v in z] if L < self.n_layers - 1 else z
        return h

    def masked(self, mask: NetworkMask) -> Network:
        """The same layers with pruned weights and biases set to 0."""
        mask.check(self)
        ws = [np.where(m, W, 0.0) for W, m in zip(self.weights, mask.weights, strict=True)]
        bs = [None if b is None else np.where(m, b, 0.0)
              for b, m in zip(self.biases, mask.biases, strict=True)]
        return Network.create(ws, bs)

    def to_json(self) -> dict[str, Any]:
        """The JSON form; floats are written with ``repr`` so they read back bit for bit."""
        layers = []
        for W, b in zip(self.weights, self.biases, strict=True):
            layer: dict[str, Any] = {"weight": W.tolist()}
            if b is not None:
                layer["bias"] = b.tolist()
            layers.append(layer)
        return {"layers": layers}

    @classmethod
    def from_json(cls, data: Any) -> Network:
        """Read ``{"layers": [{"weight": [[...]], "bias": [...]?}, ...]}``."""
        if not isinstance(data, dict) or not isinstance(data.get("layers"), list):
            raise InputError("network has no 'layers' list: expected "
                             '{"layers": [{"weight": [[...]], "bias": [...]}, ...]}')
        ws, bs = [], []
        for L, layer in enumerate(data["layers"]):
            if not isinstance(layer, dict) or "weight" not in layer:
                raise InputError(f"layers[{L}] has no 'weight': expected an object with a matrix")
            unknown = set(layer) - {"weight", "bias"}
            if unknown:
                raise InputError(f"layers[{L}] has unknown keys {sorted(unknown)}")
            ws.append(layer["weight"])
            bs.append(layer.get("bias"))
        return cls.create(ws, bs)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Network) or self.sizes != other.sizes:
            return False
        return all(np.array_equal(a, b) for a, b in zip(self.weights, other.weights, strict=True)) \
            and all((a is None and b is None) or (a is not None and b is not None
                                                  and np.array_equal(a, b))
                    for a, b in zip(self.biases, other.biases, strict=True))

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, eq=False)
class NetworkMask:
    """Binary masks of a network: ``weights[L]`` bool (out, in), ``biases[L]`` bool (out,) or None.

    >>> net = Network.create([[[1.0, 2.0], [3.0, 4.0]]], [[1.0, 1.0]])
    >>> m = NetworkMask.full(net)
    >>> m.kept, NetworkMask.from_json(m.to_json()).kept
    (6, 6)
    """

    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray | None, ...]

    @classmethod
    def full(cls, net: Network, value: bool = True) -> NetworkMask:
        """Keep everything (or, with value=False, nothing)."""
        return cls(tuple(np.full(W.shape, value) for W in net.weights),
                   tuple(None if b is None else np.full(b.shape, value) for b in net.biases))

    @property
    def kept(self) -> int:
        """Number of kept parameters (weights plus biases)."""
        return int(sum(m.sum() for m in self.weights)
                   + sum(m.sum() for m in self.biases if m is not None))

    @property
    def total(self) -> int:
        return sum(m.size for m in self.weights) + sum(m.size for m in self.biases if m is not None)

    def check(self, net: Network) -> None:
        """Raise InputError unless the mask has the network's shapes."""
        if len(self.weights) != net.n_layers:
            raise InputError(f"mask has {len(self.weights)} layers: the network has {net.n_layers}")
        for L, (m, W, mb, b) in enumerate(zip(self.weights, net.weights, self.biases, net.biases,
                                               strict=True)):
            if m.shape != W.shape:
                raise InputError(f"mask layers[{L}].weight has shape {m.shape}: expected {W.shape}")
            if (mb is None) != (b is None) or (mb is not None and mb.shape != b.shape):
                raise InputError(f"mask layers[{L}].bias does not match the network's bias")

    def to_json(self) -> dict[str, Any]:
        layers = []
        for m, mb in zip(self.weights, self.biases, strict=True):
            layer: dict[str, Any] = {"weight": m.astype(int).tolist()}
            if mb is not None:
                layer["bias"] = mb.astype(int).tolist()
            layers.append(layer)
        return {"layers": layers}

    @classmethod
    def from_json(cls, data: Any) -> NetworkMask:
        net = Network.from_json(data)
        for L, (W, b) in enumerate(zip(net.weights, net.biases, strict=True)):
            for name, a in (("weight", W), ("bias", b)):
                if a is not None and not np.all((a == 0) | (a == 1)):
                    raise InputError(f"mask layers[{L}].{name} holds values other than 0 and 1")
        return cls(tuple(W != 0 for W in net.weights),
                   tuple(None if b is None else b != 0 for b in net.biases))


# --- masks as bit strings (exhaustive search) ----------------------------------------------


def same_mask(a: NetworkMask, b: NetworkMask) -> bool:
    """Whether two masks keep the same weights and biases."""
    return all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights, strict=True)) and all(
        (x is None and y is None) or np.array_equal(x, y)
        for x, y in zip(a.biases, b.biases, strict=True))


def mask_of_bits(random: Network, structured: bool, bits: int) -> NetworkMask:
    """The mask whose bits (one per hidden neuron, or per weight then per bias) are ``bits``."""
    if structured:
        keep, pos = [], 0
        for L in range(random.n_layers - 1):
            width = random.sizes[L + 1]
            keep.append(np.array([bits >> (pos + i) & 1 for i in range(width)], dtype=bool))
            pos += width
        ws, bs = [], []
        for L, (W, b) in enumerate(zip(random.weights, random.biases, strict=True)):
            rows = keep[L] if L < len(keep) else np.ones(W.shape[0], dtype=bool)
            cols = keep[L - 1] if L > 0 else np.ones(W.shape[1], dtype=bool)
            ws.append(rows[:, None] & cols[None, :])
            bs.append(None if b is None else rows.copy())
        return NetworkMask(tuple(ws), tuple(bs))
    arrays, pos = [], 0
    for a in (*random.weights, *random.biases):
        if a is None:
            arrays.append(None)
            continue
        arrays.append(np.array([bits >> (pos + i) & 1 for i in range(a.size)],
                               dtype=bool).reshape(a.shape))
        pos += a.size
    L = random.n_layers
    return NetworkMask(tuple(arrays[:L]), tuple(arrays[L:]))


def neuron_bit_masks(random: Network) -> list[tuple[int, int]]:
    """Per hidden neuron, the bit masks (in the order of :func:`mask_of_bits`) of its inputs
    (in-edges and bias) and of its out-edges."""
    offsets, pos = [], 0
    for a in (*random.weights, *random.biases):
        offsets.append(pos)
        pos += 0 if a is None else a.size
    L = random.n_layers
    out = []
    for layer in range(L - 1):
        rows, cols = random.weights[layer].shape
        nxt = random.weights[layer + 1].shape[0]
        for i in range(rows):
            ins = sum(1 << (offsets[layer] + i * cols + j) for j in range(cols))
            if random.biases[layer] is not None:
                ins |= 1 << (offsets[L + layer] + i)
            outs = sum(1 << (offsets[layer + 1] + k * rows + i) for k in range(nxt))
            out.append((ins, outs))
    return out


def is_canonical_mask(bits: int, neurons: list[tuple[int, int]]) -> bool:
    """Whether every hidden neuron keeps an out-edge exactly when it keeps an in-edge or its bias.

    Any other mask computes the same function as a canonical one with fewer bits (a neuron
    with no input outputs relu(0) = 0; one with no output is never read), so the search may
    skip it (the same rule the optimal-mask formulations impose).
    """
    return all(bool(bits & ins) == bool(bits & outs) for ins, outs in neurons)


@dataclass(frozen=True)
class ConstructionLayout:
    """Where each hidden neuron of the subset-sum construction sits.

    Target layer L (d_in -> d_out) becomes random layers 2L (left) and 2L+1 (right). The left
    layer's neurons come in blocks of ``width``: block j (j < d_in) serves input j, and, when
    the target layer has a bias, block d_in is the bias block (neurons with a random bias and
    no input). Neuron i of block j is left-layer row ``j * width + i``.
    """

    target_sizes: tuple[int, ...]
    width: int
    has_bias: tuple[bool, ...]

    def n_blocks(self, L: int) -> int:
        return self.target_sizes[L] + int(self.has_bias[L])

    def hidden(self, L: int) -> int:
        """Number of neurons between random layers 2L and 2L+1."""
        return self.width * self.n_blocks(L)

    def block(self, L: int, j: int) -> slice:
        """Rows of left layer 2L (and columns of right layer 2L+1) of block j."""
        return slice(j * self.width, (j + 1) * self.width)

    def random_sizes(self) -> tuple[int, ...]:
        sizes = [self.target_sizes[0]]
        for L in range(len(self.target_sizes) - 1):
            sizes += [self.hidden(L), self.target_sizes[L + 1]]
        return tuple(sizes)


def _sample(rng: np.random.Generator, shape: tuple[int, ...], dist: str) -> np.ndarray:
    """Weights on the dyadic grid of the module docstring."""
    if dist == "uniform":
        g = 2**UNIFORM_GRID_BITS
        return rng.integers(-g, g, size=shape, endpoint=True).astype(np.float64) / g
    g = float(2**GAUSSIAN_GRID_BITS)
    return np.round(rng.standard_normal(shape) * g) / g


def _check_dist(dist: str) -> None:
    if dist not in DISTRIBUTIONS:
        raise InputError(f"dist is {dist!r}: expected one of {', '.join(DISTRIBUTIONS)}")


def _check_seed(seed: object) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed is {seed!r}: expected a non-negative integer")
    return int(seed)


def random_network(sizes: Sequence[int], *, seed: int | None = None, dist: str = "uniform",
                   bias: bool = False) -> Network:
    """A dense random network of the given widths (d_0, ..., d_l), weights i.i.d. on the grid.

    >>> random_network([2, 3, 1], seed=0).sizes
    (2, 3, 1)
    """
    _check_dist(dist)
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise InputError(f"sizes is {sizes}: expected at least two widths, each >= 1")
    rng = np.random.default_rng(_check_seed(seed))
    ws = [_sample(rng, (sizes[L + 1], sizes[L]), dist) for L in range(len(sizes) - 1)]
    bs = [_sample(rng, (sizes[L + 1],), dist) if bias else None for L in range(len(sizes) - 1)]
    return Network.create(ws, bs)


def construction_network(target: Network, width: int, *, seed: int | None = None,
                         dist: str = "uniform") -> tuple[Network, ConstructionLayout]:
    """The random network of the slides' construction for ``target``, and its layout.

    Each target layer (d_in -> d_out) becomes a dense random left layer (d_in blocks of
    ``width`` neurons, plus a bias block with random biases when the target layer has a bias)
    and a dense random right layer (d_out rows, no bias). Networks are nested: for one seed,
    each block of the width-w network is the first w neurons of that block at any larger
    width, so optimal errors never grow with the width. Pruning (see
    :func:`solvers.construction.subset_sum_construction`) keeps one input per left neuron and, per
    output and input, a subset of the block.

    >>> target = Network.create([[[0.5, -0.25]], [[1.0]]], [[0.1], None])
    >>> rnd, layout = construction_network(target, 4, seed=1)
    >>> rnd.sizes, layout.hidden(0), layout.hidden(1)
    ((2, 12, 1, 4, 1), 12, 4)
    >>> wide, _ = construction_network(target, 6, seed=1)
    >>> bool((wide.weights[0][6:10] == rnd.weights[0][4:8]).all())  # block 1, first 4 neurons
    True
    """
    _check_dist(dist)
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
        raise InputError(f"width is {width!r}: expected an integer >= 1")
    has_bias = tuple(b is not None for b in target.biases)
    layout = ConstructionLayout(target.sizes, int(width), has_bias)
    base = _check_seed(seed)
    base = np.random.SeedSequence().entropy if base is None else base
    ws, bs = [], []
    for L in range(target.n_layers):
        d_in, d_out, w = target.sizes[L], target.sizes[L + 1], layout.width
        left, bias, right = [], [], []
        for j in range(layout.n_blocks(L)):
            # one stream per (layer, block, role): a narrower network is a prefix of a wider one
            left.append(_sample(np.random.default_rng([base, L, j, 0]), (w, d_in), dist))
            bias.append(_sample(np.random.default_rng([base, L, j, 1]), (w,), dist))
            right.append(_sample(np.random.default_rng([base, L, j, 2]), (w, d_out), dist).T)
        ws += [np.vstack(left), np.hstack(right)]
        bs += [np.concatenate(bias) if layout.has_bias[L] else None, None]
    return Network.create(ws, bs), layout


def read_network(path: str | Path) -> Network:
    """Read a network from ``.json``/``.toml`` or ``.npz`` (arrays ``W0, b0, W1, ...``)."""
    p = Path(path)
    if p.suffix.lower() != ".npz":
        return Network.from_json(read_data_file(p))
    check_file_size(p)  # a FIFO or device would block np.load, a huge file exhaust memory
    if p.is_file() and not zipfile.is_zipfile(p):
        raise InputError(f"cannot read {path} as .npz: it is not a zip archive of arrays")
    try:
        with np.load(p, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {path} as .npz: {exc}") from None
    n = sum(1 for k in arrays if k.startswith("W"))
    if n == 0 or any(f"W{L}" not in arrays for L in range(n)):
        raise InputError(f"{path} holds {sorted(arrays)}: expected arrays W0, b0?, W1, ...")
    return Network.create([arrays[f"W{L}"] for L in range(n)],
                          [arrays.get(f"b{L}") for L in range(n)])


def write_network(net: Network, path: str | Path) -> None:
    """Write ``.npz`` (by suffix) or JSON."""
    p = Path(path)
    if p.suffix.lower() == ".npz":
        arrays = {f"W{L}": W for L, W in enumerate(net.weights)}
        arrays |= {f"b{L}": b for L, b in enumerate(net.biases) if b is not None}
        np.savez_compressed(p, **arrays)
        return
    p.write_text(json.dumps(net.to_json(), separators=(",", ":")) + "\n", encoding="utf-8")

