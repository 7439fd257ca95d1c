"""The networkx view: round trips, structured/unstructured classification, dead neurons."""

import numpy as np
import pytest

from solvers.graph import (
    dead_neurons,
    draw_network,
    from_digraph,
    kept_neurons,
    layer_sparsity,
    pruning_kind,
    read_graphml,
    remove_dead,
    to_digraph,
    to_dot,
    write_graphml,
)
from solvers.networks import Network, NetworkMask, construction_network, random_network


def net_and_mask(seed=0):
    net = random_network([3, 4, 3, 2], seed=seed, bias=True)
    mask = NetworkMask.full(net)
    rng = np.random.default_rng(seed)
    for m in mask.weights:
        m &= rng.random(m.shape) < 0.6
    mask.biases[1][0] = False
    return net, mask


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_graphml_round_trip(tmp_path, seed):
    net, mask = net_and_mask(seed)
    write_graphml(to_digraph(net, mask), tmp_path / "g.graphml")
    net2, mask2 = from_digraph(read_graphml(tmp_path / "g.graphml"))
    assert net2 == net
    assert all(np.array_equal(a, b) for a, b in zip(mask.weights, mask2.weights, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(mask.biases, mask2.biases, strict=True))


def test_dot_export_lists_every_edge_and_marks_pruned():
    net, mask = net_and_mask()
    G = to_digraph(net, mask)
    dot = to_dot(G)
    edge_lines = [ln for ln in dot.splitlines() if "->" in ln]
    assert len(edge_lines) == G.number_of_edges() == 3 * 4 + 4 * 3 + 3 * 2
    assert sum("dashed" in ln for ln in edge_lines) == sum(int((~m).sum()) for m in mask.weights)
    assert dot.startswith("digraph network {") and dot.rstrip().endswith("}")


def hand_net():
    return Network.create([np.ones((3, 2)), np.ones((2, 3)), np.ones((1, 2))],
                          [np.ones(3), np.ones(2), np.ones(1)])


def test_classification_on_hand_made_masks():
    net = hand_net()
    m = NetworkMask.full(net)
    assert pruning_kind(to_digraph(net, m)) == "dense"
    # remove hidden neuron (1, 2): its in-edges, its bias, its out-edges
    m.weights[0][2, :] = False
    m.biases[0][2] = False
    m.weights[1][:, 2] = False
    assert pruning_kind(to_digraph(net, m)) == "structured"
    assert kept_neurons(to_digraph(net, m)) == {(1, 0), (1, 1), (2, 0), (2, 1)}
    m.biases[1][0] = False  # a kept neuron loses its bias only
    assert pruning_kind(to_digraph(net, m)) == "unstructured"
    m.biases[1][0] = True
    m.weights[2][0, 1] = False  # one edge between kept neurons
    assert pruning_kind(to_digraph(net, m)) == "unstructured"


def test_dead_neurons_and_their_removal_keep_the_function():
    net = hand_net()
    m = NetworkMask.full(net)
    m.weights[0][0, :] = False
    m.biases[0][0] = False       # (1, 0): no input and no bias: outputs sigma(0) = 0
    m.weights[1][:, 1] = False   # (1, 1): nobody reads it
    m.weights[0][2, :] = False   # (1, 2): bias only: a constant, alive
    G = to_digraph(net, m)
    assert dead_neurons(G) == {(1, 0), (1, 1)}
    cleaned = remove_dead(net, m)
    assert cleaned.kept < m.kept
    assert dead_neurons(to_digraph(net, cleaned)) == set()
    X = np.random.default_rng(0).uniform(-1, 1, (200, 2))
    assert np.array_equal(net.masked(m).forward(X), net.masked(cleaned).forward(X))


def test_layer_sparsity_counts():
    net, mask = net_and_mask(4)
    rows = layer_sparsity(to_digraph(net, mask))
    assert [r["kept"] for r in rows] == [int(m.sum()) for m in mask.weights]
    assert [r["total"] for r in rows] == [m.size for m in mask.weights]


def test_construction_blocks_are_labelled():
    target = Network.create([[[0.5, -0.25]]], [[0.1]])
    rnd, layout = construction_network(target, 3, seed=0)
    G = to_digraph(rnd, None, layout)
    assert [G.nodes[1, i]["block"] for i in range(9)] == (
        ["layer 0 input 0"] * 3 + ["layer 0 input 1"] * 3 + ["layer 0 bias"] * 3)


@pytest.mark.parametrize("max_edges", [3000, 5])
def test_drawing_writes_a_png(tmp_path, max_edges):
    net, mask = net_and_mask()
    draw_network(to_digraph(net, mask), tmp_path / "n.png", max_edges=max_edges)
    assert (tmp_path / "n.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
