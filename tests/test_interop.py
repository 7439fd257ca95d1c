"""PyTorch interop without torch: files built here with safetensors and onnx, as PyTorch writes
them, read into exact networks; masks written in the torch.nn.utils.prune convention."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
safetensors_numpy = pytest.importorskip("safetensors.numpy")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from solvers.networks import Network, NetworkMask, random_network  # noqa: E402
from solvers.numbers import InputError  # noqa: E402
from solvers.piecewise_linear import exact_forward, exact_parameters  # noqa: E402
from solvers.torch_io import (  # noqa: E402
    read_masks_safetensors,
    read_network_file,
    read_onnx,
    read_safetensors,
    write_masks_safetensors,
    write_safetensors,
)
from verify.cli import main  # noqa: E402


def torch_state_dict(seed: int = 0) -> dict[str, np.ndarray]:
    """What ``model.state_dict()`` of nn.Sequential(Linear(3, 5), ReLU(), Linear(5, 4), ReLU(),
    Linear(4, 2)) holds, as float32 arrays."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, (o, i) in (("0", (5, 3)), ("2", (4, 5)), ("4", (2, 4))):
        out[f"{name}.weight"] = rng.uniform(-1, 1, (o, i)).astype(np.float32)
        out[f"{name}.bias"] = rng.uniform(-0.1, 0.1, o).astype(np.float32)
    return out


def forward(sd: dict[str, np.ndarray], x: np.ndarray, names=("0", "2", "4")) -> np.ndarray:
    h = x
    for k, name in enumerate(names):
        h = h @ sd[f"{name}.weight"].astype(np.float64).T + sd[f"{name}.bias"]
        if k < len(names) - 1:
            h = np.maximum(h, 0)
    return h


def onnx_file(path, sd, *, matmul: bool = False) -> None:
    """What torch.onnx.export writes: Gemm(transB=1) per Linear, or MatMul then Add."""
    nodes, inits, prev = [], [], "input"
    names = ["0", "2", "4"]
    for k, name in enumerate(names):
        w, b = sd[f"{name}.weight"], sd[f"{name}.bias"]
        out = f"/{name}/out"
        if matmul:
            inits += [numpy_helper.from_array(np.ascontiguousarray(w.T), f"onnx::MatMul_{k}"),
                      numpy_helper.from_array(b, f"{name}.bias")]
            nodes += [helper.make_node("MatMul", [prev, f"onnx::MatMul_{k}"], [out + "m"]),
                      helper.make_node("Add", [out + "m", f"{name}.bias"], [out])]
        else:
            inits += [numpy_helper.from_array(w, f"{name}.weight"),
                      numpy_helper.from_array(b, f"{name}.bias")]
            nodes.append(helper.make_node("Gemm", [prev, f"{name}.weight", f"{name}.bias"], [out],
                                          alpha=1.0, beta=1.0, transB=1))
        prev = out
        if k < len(names) - 1:
            nodes.append(helper.make_node("Relu", [out], [out + "r"]))
            prev = out + "r"
    graph = helper.make_graph(
        nodes, "seq", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3])],
        [helper.make_tensor_value_info(prev, TensorProto.FLOAT, [1, 2])], inits)
    onnx.save(helper.make_model(graph), str(path))


def test_safetensors_state_dict_reads_exactly(tmp_path):
    sd = torch_state_dict()
    path = tmp_path / "model.safetensors"
    safetensors_numpy.save_file(sd, str(path))
    net, names = read_safetensors(path)
    assert names == ["0", "2", "4"] and net.sizes == (3, 5, 4, 2)
    # float32 weights are exact doubles: every weight is the float32 value, exactly
    assert Fraction(float(net.weights[1][2, 3])) == Fraction(float(sd["2.weight"][2, 3]))
    x = [Fraction(1, 4), Fraction(-1, 2), Fraction(3, 4)]
    _, out = exact_forward(exact_parameters(net), x)
    assert np.allclose([float(v) for v in out], forward(sd, np.array([0.25, -0.5, 0.75])),
                       rtol=0, atol=1e-12)


def test_layers_are_ordered_naturally_and_must_chain(tmp_path):
    rng = np.random.default_rng(1)
    sd = {"fc10.weight": rng.uniform(-1, 1, (2, 4)), "fc2.weight": rng.uniform(-1, 1, (4, 3))}
    path = tmp_path / "m.safetensors"
    safetensors_numpy.save_file(sd, str(path))
    net, names = read_safetensors(path)
    assert names == ["fc2", "fc10"] and net.sizes == (3, 4, 2)
    bad = {"a.weight": np.ones((2, 4)), "b.weight": np.ones((4, 3))}  # b after a: no chain
    safetensors_numpy.save_file(bad, str(path))
    with pytest.raises(InputError, match="layer b takes 3 inputs but layer a gives 2"):
        read_safetensors(path)


@pytest.mark.parametrize("matmul", [False, True])
def test_onnx_gemm_and_matmul_add(tmp_path, matmul):
    sd = torch_state_dict(2)
    path = tmp_path / "model.onnx"
    onnx_file(path, sd, matmul=matmul)
    net, _ = read_onnx(path)
    assert net.sizes == (3, 5, 4, 2)
    ref, _ = read_safetensors_from(sd, tmp_path)
    for a, b in zip(net.weights, ref.weights, strict=True):
        assert np.array_equal(a, b)
    for a, b in zip(net.biases, ref.biases, strict=True):
        assert np.array_equal(a, b)


def read_safetensors_from(sd, tmp_path):
    path = tmp_path / "ref.safetensors"
    safetensors_numpy.save_file(sd, str(path))
    return read_safetensors(path)


def test_onnx_refuses_other_ops(tmp_path):
    node = helper.make_node("Sigmoid", ["input"], ["y"])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("input",
                                                                          TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    path = tmp_path / "s.onnx"
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(InputError, match="Sigmoid is not supported"):
        read_onnx(path)
    (tmp_path / "junk.onnx").write_bytes(b"\x00\x01not a protobuf")
    with pytest.raises(InputError):
        read_onnx(tmp_path / "junk.onnx")


def test_masks_in_torch_prune_convention_round_trip(tmp_path):
    net = random_network([3, 6, 2], seed=3, bias=True)
    mask = NetworkMask.full(net)
    mask.weights[0][1, :] = False
    mask.weights[1][0, 4] = False
    mask.biases[0][1] = False
    path = tmp_path / "mask.safetensors"
    write_masks_safetensors(net, mask, path)
    stored = safetensors_numpy.load_file(str(path))
    assert set(stored) == {"0.weight_orig", "0.weight_mask", "0.bias_orig", "0.bias_mask",
                           "2.weight_orig", "2.weight_mask", "2.bias_orig", "2.bias_mask"}
    assert stored["2.bias_mask"].tolist() == [1.0, 1.0]
    assert stored["0.weight_mask"].dtype == np.float32
    assert stored["0.weight_mask"][1].sum() == 0 and stored["2.weight_mask"][0, 4] == 0
    back = read_masks_safetensors(path, net)
    assert all(np.array_equal(a, b) for a, b in zip(back.weights, mask.weights, strict=True))
    # read as a network, the pruned file is weight_orig * weight_mask: the masked network
    pruned, _ = read_safetensors(path)
    expect = net.masked(mask)
    assert all(np.array_equal(a, b) for a, b in zip(pruned.weights, expect.weights, strict=True))
    assert np.array_equal(pruned.biases[0], expect.biases[0])


def test_cli_prune_check_and_files(tmp_path, capsys):
    sd = torch_state_dict(4)
    sd = {k: v for k, v in sd.items() if not k.startswith("4.")}  # 3 -> 5 -> 4
    sd = {"0.weight": sd["0.weight"][:2, :2], "0.bias": sd["0.bias"][:2],
          "2.weight": sd["2.weight"][:1, :2]}
    target = tmp_path / "target.safetensors"
    safetensors_numpy.save_file(sd, str(target))
    out = tmp_path / "pruned"
    assert main(["prune", str(target), "--width", "4", "-o", str(out), "--safetensors",
                 "--no-png", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rnd, _ = read_safetensors(out / "random.safetensors")
    assert rnd.sizes == tuple(report["random_sizes"])
    mask = read_masks_safetensors(out / "mask.safetensors", rnd)
    assert mask.kept == report["kept"]
    pruned, _ = read_safetensors(out / "pruned.safetensors")
    assert all(np.array_equal(a, b) for a, b in zip(pruned.weights, rnd.masked(mask).weights,
                                                    strict=True))
    small = random_network([2, 3, 1], seed=5, bias=True)  # 13 mask bits: searched exhaustively
    write_safetensors(small, tmp_path / "random.safetensors")
    conj = tmp_path / "conj.json"
    conj.write_text(json.dumps({"conjecture": "no-mask-within", "target": "target.safetensors",
                                "random": "random.safetensors", "eps": "1e6"}))
    assert main(["check", str(conj), "--time-limit", "60"]) == 1  # eps 1e6: refuted
    assert "REFUTED" in capsys.readouterr().out
    assert read_network_file(target).sizes == (2, 2, 1)


def test_score_reads_a_mask_from_safetensors(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["truth", "network-masks", "--n", "2", "--count", "1", "--seed", "0",
                 "-o", "truth.jsonl", "--workers", "1"]) == 0
    record = json.loads((tmp_path / "truth.jsonl").read_text().splitlines()[0])
    random = Network.from_json(record["instance"]["random"])
    best = NetworkMask.from_json(record["solution"]["mask"])
    write_masks_safetensors(random, best, tmp_path / "best.safetensors")
    write_masks_safetensors(random, NetworkMask.full(random), tmp_path / "full.safetensors")
    verdicts = []
    for name in ("best.safetensors", "full.safetensors"):
        answer = {"index": 0, "instance_hash": record["instance_hash"], "mask": name}
        (tmp_path / "answers.jsonl").write_text(json.dumps(answer) + "\n")
        capsys.readouterr()
        assert main(["score", "truth.jsonl", "answers.jsonl", "--json"]) == 0
        verdicts.append(json.loads(capsys.readouterr().out)["rows"][0]["verdict"])
    # the optimal mask read back from PyTorch's convention scores optimal; keeping every
    # parameter is a valid mask, scored against the optimum (optimal only if it ties)
    assert verdicts[0] == "optimal" and verdicts[1] in ("optimal", "suboptimal")
