"""PyTorch interop without PyTorch: Linear+ReLU stacks from safetensors or ONNX, masks back.

The networks people prune live in PyTorch. This module reads them from the two files PyTorch
writes without pickles, and writes results that load straight back:

- :func:`read_safetensors`: a state dict (``torch.save`` is a pickle; ``safetensors.torch.
  save_file(model.state_dict(), path)`` is not) of a Linear+ReLU stack: ``NAME.weight``
  (out, in) and ``NAME.bias`` per layer, layers ordered by their names read naturally (``0``,
  ``2``, ``10``; ``fc1``, ``fc2``) and checked to chain (each layer's inputs are the previous
  one's outputs). A layer pruned with ``torch.nn.utils.prune`` (``NAME.weight_orig`` and the
  buffer ``NAME.weight_mask``) is read as its pruned weights ``weight_orig * weight_mask``.
- :func:`read_onnx`: what ``torch.onnx.export`` writes for ``nn.Sequential(Linear, ReLU, ...)``:
  ``Gemm`` nodes (or ``MatMul`` then ``Add``) with weights as initializers, ``Relu`` between
  them (``Identity`` and ``Flatten`` are skipped). Anything else is refused by name.
- :func:`write_safetensors`: a network's weights and biases under the layer names.
- :func:`write_masks_safetensors`: a pruning in the ``torch.nn.utils.prune`` convention:
  ``NAME.weight_orig`` (the random weights) and the 0/1 buffer ``NAME.weight_mask``, the same
  for biases (``bias_orig``, ``bias_mask``). After ``prune.identity(layer, "weight")`` (and
  ``"bias"``) on each Linear, ``model.load_state_dict(safetensors.torch.load_file(path))``
  loads it, and ``layer.weight`` is the pruned weight.

Weights are read as the exact doubles of their float32 (or float16/float64) values and written
as float64 (``load_state_dict`` rounds them into a float32 model). Needs the optional packages
``safetensors`` and ``onnx`` (``pip install -e ".[torch]"``).

>>> import tempfile, pathlib
>>> from solvers.networks import Network
>>> net = Network.create([[[1.0, -2.0], [0.5, 0.0]], [[1.0, 1.0]]], [[0.0, 1.0], None])
>>> path = pathlib.Path(tempfile.mkdtemp()) / "net.safetensors"
>>> write_safetensors(net, path)
>>> back, names = read_safetensors(path)
>>> names, back.sizes, back.weights[0].tolist()
(['0', '2'], (2, 2, 1), [[1.0, -2.0], [0.5, 0.0]])
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from solvers.files import check_file_size
from solvers.networks import Network, NetworkMask, read_network
from solvers.numbers import InputError

__all__ = [
    "TORCH_SUFFIXES",
    "read_network_file",
    "read_safetensors",
    "read_onnx",
    "write_safetensors",
    "write_masks_safetensors",
    "read_masks_safetensors",
    "sequential_names",
]

#: The PyTorch file suffixes :func:`read_network_file` reads.
TORCH_SUFFIXES = (".safetensors", ".onnx")
_INSTALL = 'pip install -e ".[torch]" (or pip install safetensors onnx)'


def _need(module: str) -> Any:
    """Import an optional package or say in one line how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise InputError(f"reading PyTorch files needs the package {module.split('.')[0]}: "
                         f"{_INSTALL}") from None


def sequential_names(n_layers: int) -> list[str]:
    """The state-dict names of the Linear layers of ``nn.Sequential(Linear, ReLU, Linear, ...)``.

    >>> sequential_names(3)
    ['0', '2', '4']
    """
    return [str(2 * i) for i in range(n_layers)]


def _natural_key(name: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _as_float64(name: str, a: np.ndarray, path: object) -> np.ndarray:
    if a.dtype.kind != "f":
        raise InputError(f"{path}: {name} has dtype {a.dtype}: expected floating-point weights")
    out = a.astype(np.float64)  # float16/32 values are exact doubles
    if not np.isfinite(out).all():
        raise InputError(f"{path}: {name} holds nan or inf: every weight must be finite")
    return out


def _load_safetensors(path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    numpy_io = _need("safetensors.numpy")
    safetensors = _need("safetensors")
    p = check_file_size(path)
    try:
        with safetensors.safe_open(str(p), framework="np") as f:
            meta = f.metadata() or {}
        return numpy_io.load_file(str(p)), meta
    except Exception as exc:  # the Rust reader raises its own error types
        raise InputError(f"cannot read {path} as safetensors: {str(exc)[:200]}") from None


def read_safetensors(path: str | Path) -> tuple[Network, list[str]]:
    """The Linear+ReLU stack of a safetensors state dict, and its layer names (see the module
    docstring). The last layer is linear, ReLU between layers, as in the rest of the toolkit."""
    tensors, meta = _load_safetensors(path)
    weights: dict[str, np.ndarray] = {}
    for key, a in tensors.items():
        if key.endswith(".weight") or key.endswith(".weight_orig"):
            name = key.rsplit(".", 1)[0]
            w = _as_float64(key, a, path)
            if key.endswith(".weight_orig"):
                mask = tensors.get(f"{name}.weight_mask")
                if mask is None:
                    raise InputError(f"{path}: {key} without {name}.weight_mask")
                w = w * (np.asarray(mask) != 0)
            weights[name] = w
    if not weights:
        raise InputError(f"{path} holds no NAME.weight tensors: expected the state dict of a "
                         "stack of Linear layers")
    names = meta.get("layers", "").split(",") if meta.get("layers") else sorted(
        weights, key=_natural_key)
    ws, bs = [], []
    for name in names:
        w = weights.get(name)
        if w is None or w.ndim != 2:
            raise InputError(f"{path}: {name}.weight is not a 2-D Linear weight (out, in)")
        b = tensors.get(f"{name}.bias")
        if b is None and f"{name}.bias_orig" in tensors:
            b = tensors[f"{name}.bias_orig"] * (tensors[f"{name}.bias_mask"] != 0)
        ws.append(w)
        bs.append(None if b is None else _as_float64(f"{name}.bias", np.asarray(b), path))
    _check_chain(names, ws, path)
    return Network.create(ws, bs), names


def _check_chain(names: Sequence[str], ws: Sequence[np.ndarray], path: object) -> None:
    for L in range(1, len(ws)):
        if ws[L].shape[1] != ws[L - 1].shape[0]:
            raise InputError(
                f"{path}: layer {names[L]} takes {ws[L].shape[1]} inputs but layer "
                f"{names[L - 1]} gives {ws[L - 1].shape[0]}: expected one chain of Linear "
                f"layers (found, in order: {', '.join(names)})")


def read_onnx(path: str | Path) -> tuple[Network, list[str]]:
    """The Linear+ReLU stack of an ONNX graph (Gemm, or MatMul then Add; Relu between), and
    the names of its weight initializers' layers (see the module docstring)."""
    onnx = _need("onnx")
    numpy_helper = _need("onnx.numpy_helper")
    p = check_file_size(path)
    try:
        model = onnx.load(str(p))
    except Exception as exc:  # protobuf raises DecodeError and friends
        raise InputError(f"cannot read {path} as ONNX: {str(exc)[:200]}") from None
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    ws: list[np.ndarray] = []
    bs: list[np.ndarray | None] = []
    names: list[str] = []
    relu_after: list[bool] = []
    for node in model.graph.node:
        op = node.op_type
        if op in ("Identity", "Flatten"):
            continue
        if op == "Relu":
            if not ws or relu_after[-1]:
                raise InputError(f"{path}: a Relu not after a linear layer")
            relu_after[-1] = True
        elif op in ("Gemm", "MatMul"):
            if ws and not relu_after[-1]:
                raise InputError(f"{path}: two linear layers without a Relu between them")
            w, b = _onnx_linear(node, init, path)
            ws.append(w), bs.append(b), relu_after.append(False)
            names.append(_layer_name(node.input[1]))
        elif op == "Add" and ws and not relu_after[-1] and bs[-1] is None:
            bias = next((init[i] for i in node.input if i in init), None)
            if bias is None:
                raise InputError(f"{path}: an Add without a constant bias")
            bs[-1] = _as_float64(node.name or "bias", bias.reshape(-1), path)
        else:
            raise InputError(f"{path}: ONNX op {op} is not supported: expected a Linear+ReLU "
                             "stack (Gemm, MatMul, Add, Relu)")
    if not ws:
        raise InputError(f"{path} has no Gemm or MatMul node: expected a Linear+ReLU stack")
    if relu_after[-1]:
        raise InputError(f"{path} ends with a Relu: the last layer must be linear")
    _check_chain(names, ws, path)
    return Network.create(ws, bs), names


def _onnx_linear(node: Any, init: dict[str, np.ndarray], path: object
                 ) -> tuple[np.ndarray, np.ndarray | None]:
    """Weight (out, in) and bias of a Gemm (alpha, beta, transB) or MatMul node."""
    if len(node.input) < 2 or node.input[1] not in init:
        raise InputError(f"{path}: {node.op_type} {node.name!r} has no constant weight")
    w = _as_float64(node.input[1], init[node.input[1]], path)
    if node.op_type == "MatMul":
        return w.T, None  # x @ W with W (in, out)
    att = {a.name: a for a in node.attribute}
    if "transA" in att and att["transA"].i:
        raise InputError(f"{path}: Gemm with transA = 1 is not a Linear layer")
    alpha = att["alpha"].f if "alpha" in att else 1.0
    beta = att["beta"].f if "beta" in att else 1.0
    w = alpha * (w if "transB" in att and att["transB"].i else w.T)
    b = None
    if len(node.input) > 2 and node.input[2]:
        if node.input[2] not in init:
            raise InputError(f"{path}: Gemm {node.name!r} has no constant bias")
        b = beta * _as_float64(node.input[2], init[node.input[2]].reshape(-1), path)
    return w, b


def _layer_name(weight_name: str) -> str:
    """``0.weight`` -> ``0`` (the torch name); ONNX's own names (``onnx::MatMul_12``) as given."""
    return weight_name[: -len(".weight")] if weight_name.endswith(".weight") else weight_name


def read_network_file(path: str | Path) -> Network:
    """A network from any file the toolkit reads, by suffix: ``.safetensors`` and ``.onnx``
    here, ``.json``, ``.toml`` and ``.npz`` by :func:`solvers.networks.read_network`."""
    suffix = Path(path).suffix.lower()
    if suffix == ".onnx":
        return read_onnx(path)[0]
    if suffix == ".safetensors":
        return read_safetensors(path)[0]
    return read_network(path)


def _names(net: Network, names: Sequence[str] | None) -> list[str]:
    names = sequential_names(net.n_layers) if names is None else list(names)
    if len(names) != net.n_layers:
        raise InputError(f"names has {len(names)} entries: expected one per layer "
                         f"({net.n_layers})")
    return names


def _save(tensors: dict[str, np.ndarray], names: list[str], path: str | Path) -> None:
    numpy_io = _need("safetensors.numpy")
    try:
        numpy_io.save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(path),
                           metadata={"layers": ",".join(names)})
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None


def write_safetensors(net: Network, path: str | Path, names: Sequence[str] | None = None
                      ) -> None:
    """Write ``NAME.weight`` and ``NAME.bias`` (float64) per layer; ``names`` default to
    ``nn.Sequential``'s (``0``, ``2``, ...)."""
    names = _names(net, names)
    tensors: dict[str, np.ndarray] = {}
    for name, w, b in zip(names, net.weights, net.biases, strict=True):
        tensors[f"{name}.weight"] = np.asarray(w, dtype=np.float64)
        if b is not None:
            tensors[f"{name}.bias"] = np.asarray(b, dtype=np.float64)
    _save(tensors, names, path)


def write_masks_safetensors(net: Network, mask: NetworkMask, path: str | Path,
                            names: Sequence[str] | None = None) -> None:
    """Write a pruning as ``torch.nn.utils.prune`` keeps it: ``NAME.weight_orig`` and the 0/1
    buffer ``NAME.weight_mask`` (float32) per layer, and ``NAME.bias_orig``, ``NAME.bias_mask``
    for a layer with biases (after ``prune.identity`` on ``weight`` and ``bias`` of every Linear,
    ``load_state_dict`` takes the file as it is)."""
    names = _names(net, names)
    tensors: dict[str, np.ndarray] = {}
    for L, name in enumerate(names):
        tensors[f"{name}.weight_orig"] = np.asarray(net.weights[L], dtype=np.float64)
        tensors[f"{name}.weight_mask"] = np.asarray(mask.weights[L], dtype=np.float32)
        b, mb = net.biases[L], mask.biases[L]
        if b is not None:  # prune.identity(layer, "bias") expects bias_orig and bias_mask
            tensors[f"{name}.bias_orig"] = np.asarray(b, dtype=np.float64)
            tensors[f"{name}.bias_mask"] = np.ones(b.shape, dtype=np.float32) if mb is None \
                else np.asarray(mb, dtype=np.float32)
    _save(tensors, names, path)


def read_masks_safetensors(path: str | Path, net: Network) -> NetworkMask:
    """The mask of ``net`` from the ``NAME.weight_mask`` buffers of a safetensors file (written
    by :func:`write_masks_safetensors` or by PyTorch after ``torch.nn.utils.prune``)."""
    tensors, meta = _load_safetensors(path)
    found = sorted({k.rsplit(".", 1)[0] for k in tensors if k.endswith(".weight_mask")},
                   key=_natural_key)
    names = meta.get("layers", "").split(",") if meta.get("layers") else found
    if len(names) != net.n_layers:
        raise InputError(f"{path} has {len(found)} weight masks: expected one per layer of the "
                         f"network ({net.n_layers})")
    wm, bm = [], []
    for L, name in enumerate(names):
        m = tensors.get(f"{name}.weight_mask")
        if m is None or m.shape != net.weights[L].shape:
            raise InputError(f"{path}: {name}.weight_mask is missing or not of shape "
                             f"{net.weights[L].shape}")
        wm.append(np.asarray(m) != 0)
        b = tensors.get(f"{name}.bias_mask")
        bm.append(None if net.biases[L] is None else
                  np.ones(net.biases[L].shape, dtype=bool) if b is None else np.asarray(b) != 0)
    return NetworkMask(tuple(wm), tuple(bm))
