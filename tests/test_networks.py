"""ReLU networks: validation, exact file round trips, forward passes, masks, random constructions."""

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.networks import (
    Network,
    NetworkMask,
    construction_network,
    random_network,
    read_network,
    write_network,
)
from solvers.numbers import InputError


def small_net(seed=0, sizes=(3, 4, 2), bias=True):
    rng = np.random.default_rng(seed)
    ws = [rng.standard_normal((sizes[i + 1], sizes[i])) for i in range(len(sizes) - 1)]
    bs = [rng.standard_normal(sizes[i + 1]) if bias else None for i in range(len(sizes) - 1)]
    return Network.create(ws, bs)


@pytest.mark.parametrize("layers, message", [
    ([{"weight": [[1.0, 2.0]]}, {"weight": [[1.0, 2.0]]}],
     "layers[1].weight has 2 columns but layers[0] has 1 outputs"),
    ([{"weight": [[1.0, float("nan")]]}], "layers[0].weight[0][1] is nan"),
    ([{"weight": [[1.0], [2.0]], "bias": [1.0]}], "layers[0].bias has 1 entries"),
    ([{"weight": [[1.0, 2.0], [3.0]]}], "ragged"),
    ([{"weight": [["0.1"]]}], "not exactly a double"),
    ([], "at least one layer"),
    ([{"weight": [[1.0]], "extra": 1}], "unknown keys"),
])
def test_bad_networks_get_one_clear_line(layers, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Network.from_json({"layers": layers})


def test_exact_string_weights_are_accepted():
    net = Network.from_json({"layers": [{"weight": [["0.5", "-3/4"]], "bias": ["1/8"]}]})
    assert net.weights[0].tolist() == [[0.5, -0.75]] and net.biases[0].tolist() == [0.125]


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_file_round_trip_is_bit_exact(tmp_path, suffix):
    net = small_net(1)
    write_network(net, tmp_path / f"net{suffix}")
    assert read_network(tmp_path / f"net{suffix}") == net


def test_toml_network(tmp_path):
    (tmp_path / "n.toml").write_text('[[layers]]\nweight = [[1.0, -2.0]]\nbias = [0.5]\n')
    net = read_network(tmp_path / "n.toml")
    assert net.forward([1.0, 1.0]).tolist() == [-0.5]


def test_npz_missing_layers_is_bad_input(tmp_path):
    np.savez(tmp_path / "x.npz", W1=np.ones((1, 1)))
    with pytest.raises(InputError, match="W0"):
        read_network(tmp_path / "x.npz")


def test_forward_matches_exact_forward():
    net = small_net(2, (3, 5, 4, 2))
    rng = np.random.default_rng(0)
    for x in rng.uniform(-1, 1, (5, 3)):
        exact = net.forward_exact(x.tolist())
        assert np.allclose(net.forward(x), [float(v) for v in exact], rtol=0, atol=1e-12)
    assert net.forward(rng.uniform(-1, 1, (7, 3))).shape == (7, 2)


def test_forward_exact_hand_computed():
    net = Network.create([[[1.0, -2.0], [0.5, 0.5]], [[3.0, -1.0]]], [[0.25, 0.0], [1.0]])
    # hidden: relu(1 - 2*(1/3) + 1/4) = 7/12, relu(1/2 + 1/6) = 2/3; out = 3*7/12 - 2/3 + 1
    assert net.forward_exact([1, Fraction(1, 3)]) == [Fraction(7, 4) - Fraction(2, 3) + 1]


def test_masked_zeroes_exactly_the_pruned_entries():
    net = small_net(3)
    mask = NetworkMask.full(net)
    mask.weights[0][1, 2] = False
    mask.biases[1][0] = False
    pruned = net.masked(mask)
    assert pruned.weights[0][1, 2] == 0 and pruned.biases[1][0] == 0
    assert np.array_equal(pruned.weights[1], net.weights[1])
    assert mask.kept == net.n_params - 2
    assert NetworkMask.from_json(json.loads(json.dumps(mask.to_json()))).kept == mask.kept


def test_mask_shape_mismatch_is_bad_input():
    with pytest.raises(InputError, match="mask has 1 layers"):
        small_net().masked(NetworkMask.full(Network.create([[[1.0]]])))


@pytest.mark.parametrize("dist", ["uniform", "gaussian"])
def test_random_weights_on_the_grid_have_exact_products(dist):
    net = random_network([30, 40, 5], seed=4, dist=dist, bias=True)
    a, b = net.weights[0].ravel()[:1000], net.weights[1].ravel()[:200]
    prods = np.outer(a, b)
    exact = [Fraction(float(x)) * Fraction(float(y)) for x in a[:40] for y in b[:40]]
    assert exact == [Fraction(float(p)) for p in prods[:40, :40].ravel()]
    assert random_network([30, 40, 5], seed=4, dist=dist, bias=True) == net
    if dist == "uniform":
        assert np.abs(net.weights[0]).max() <= 1


def test_construction_network_layout():
    target = Network.create([[[0.5, -0.25, 0.1]], [[1.0], [2.0]]], [[0.1], None])
    rnd, layout = construction_network(target, 5, seed=0)
    assert rnd.sizes == (3, 20, 1, 5, 2)
    assert layout.hidden(0) == 20 and layout.n_blocks(1) == 1
    assert layout.block(0, 3) == slice(15, 20)  # the bias block
    assert rnd.biases[0] is not None and rnd.biases[1] is None and rnd.biases[2] is None


@pytest.mark.parametrize("width", [0, -3, 2.5, True])
def test_bad_width(width):
    with pytest.raises(InputError, match="width"):
        construction_network(Network.create([[[1.0]]]), width)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=2, max_size=4), st.booleans(),
       st.integers(0, 2**31))
def test_json_round_trip_property(sizes, bias, seed):
    net = random_network(sizes, seed=seed, bias=bias)
    assert Network.from_json(json.loads(json.dumps(net.to_json()))) == net
