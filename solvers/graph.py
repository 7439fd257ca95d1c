"""The networkx view of a network and its mask: structured vs unstructured pruning, dead neurons.

Nodes are ``(layer, index)`` (layer 0 the inputs, layer l the outputs) with attributes
``layer``, ``index``, ``bias`` and ``bias_kept`` (where the layer has biases) and ``block``
(the construction's block of a hidden neuron, when a layout is given); edges
``(layer, j) -> (layer + 1, k)`` carry ``weight`` = W[k, j] and ``kept``. Pruned edges stay in
the graph (``kept=False``), so a graph holds both the random network and its mask.

A pruning is **structured** when it removes whole neurons: the kept edges are exactly the
edges between kept neurons (inputs and outputs always count as kept), and kept neurons keep
their biases. Otherwise it is **unstructured** (edges removed anywhere).

>>> from solvers.networks import Network, NetworkMask
>>> net = Network.create([[[1.0, 2.0], [3.0, 4.0]], [[1.0, 1.0]]])
>>> m = NetworkMask.full(net)
>>> pruning_kind(to_digraph(net, m))
'dense'
>>> m.weights[0][1, :] = False; m.weights[1][0, 1] = False   # drop hidden neuron 1
>>> pruning_kind(to_digraph(net, m))
'structured'
>>> m.weights[0][0, 0] = False                                # and one more edge
>>> pruning_kind(to_digraph(net, m))
'unstructured'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from solvers.networks import ConstructionLayout, Network, NetworkMask
from solvers.numbers import InputError

__all__ = [
    "to_digraph",
    "from_digraph",
    "kept_subgraph",
    "kept_neurons",
    "pruning_kind",
    "layer_sparsity",
    "mask_sparsity",
    "dead_neurons",
    "remove_dead",
    "write_graphml",
    "read_graphml",
    "to_dot",
    "draw_network",
    "draw_pruning_comparison",
    "draw_sparsity",
]

Node = tuple[int, int]


def to_digraph(net: Network, mask: NetworkMask | None = None,
               layout: ConstructionLayout | None = None) -> nx.DiGraph:
    """The layered DiGraph of ``net`` with ``mask`` (all kept when None).

    >>> G = to_digraph(Network.create([[[0.5, -1.0]]], [[0.25]]))
    >>> sorted(G.nodes), G.edges[(0, 1), (1, 0)]["weight"], G.nodes[1, 0]["bias"]
    ([(0, 0), (0, 1), (1, 0)], -1.0, 0.25)
    """
    mask = NetworkMask.full(net) if mask is None else mask
    mask.check(net)
    G = nx.DiGraph(sizes=",".join(map(str, net.sizes)))
    for L, d in enumerate(net.sizes):
        for i in range(d):
            G.add_node((L, i), layer=L, index=i)
    for L, (W, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        m = mask.weights[L]
        for k in range(W.shape[0]):
            if b is not None:
                G.nodes[L + 1, k].update(bias=float(b[k]), bias_kept=bool(mask.biases[L][k]))
            for j in range(W.shape[1]):
                G.add_edge((L, j), (L + 1, k), weight=float(W[k, j]), kept=bool(m[k, j]))
    if layout is not None:
        for L in range(len(layout.target_sizes) - 1):
            for j in range(layout.n_blocks(L)):
                label = "bias" if j == layout.target_sizes[L] else f"input {j}"
                for i in range(layout.block(L, j).start, layout.block(L, j).stop):
                    G.nodes[2 * L + 1, i]["block"] = f"layer {L} {label}"
    return G


def from_digraph(G: nx.DiGraph) -> tuple[Network, NetworkMask]:
    """The network and mask a graph of :func:`to_digraph` (or :func:`read_graphml`) holds."""
    try:
        sizes = [int(s) for s in str(G.graph["sizes"]).split(",")]
    except (KeyError, ValueError):
        raise InputError("graph has no 'sizes' attribute: expected one made by to_digraph") \
            from None
    ws, bs, ms, mbs = [], [], [], []
    for L in range(len(sizes) - 1):
        W = np.zeros((sizes[L + 1], sizes[L]))
        M = np.zeros(W.shape, dtype=bool)
        for j in range(sizes[L]):
            for k in range(sizes[L + 1]):
                e = G.edges[(L, j), (L + 1, k)]
                W[k, j], M[k, j] = e["weight"], e["kept"]
        outs = [G.nodes[L + 1, k] for k in range(sizes[L + 1])]
        has_bias = "bias" in outs[0]
        ws.append(W)
        ms.append(M)
        bs.append(np.array([o["bias"] for o in outs]) if has_bias else None)
        mbs.append(np.array([o["bias_kept"] for o in outs], dtype=bool) if has_bias else None)
    net = Network.create(ws, bs)
    return net, NetworkMask(tuple(ms), tuple(mbs))


def kept_subgraph(G: nx.DiGraph) -> nx.DiGraph:
    """All nodes, only the kept edges."""
    H = nx.DiGraph(**G.graph)
    H.add_nodes_from(G.nodes(data=True))
    H.add_edges_from((u, v, d) for u, v, d in G.edges(data=True) if d["kept"])
    return H


def _last_layer(G: nx.DiGraph) -> int:
    return max(d["layer"] for _, d in G.nodes(data=True))


def kept_neurons(G: nx.DiGraph) -> set[Node]:
    """Hidden neurons touching a kept edge or keeping their bias."""
    last = _last_layer(G)
    out = set()
    for n, d in G.nodes(data=True):
        if 0 < d["layer"] < last and (d.get("bias_kept") or any(
                G.edges[e]["kept"] for e in (*G.in_edges(n), *G.out_edges(n)))):
            out.add(n)
    return out


def pruning_kind(G: nx.DiGraph) -> str:
    """``"dense"`` (nothing pruned), ``"structured"`` or ``"unstructured"`` (module docstring)."""
    if all(d["kept"] for _, _, d in G.edges(data=True)) and all(
            d.get("bias_kept", True) for _, d in G.nodes(data=True)):
        return "dense"
    last = _last_layer(G)
    alive = kept_neurons(G) | {n for n, d in G.nodes(data=True) if d["layer"] in (0, last)}
    for u, v, d in G.edges(data=True):
        if u in alive and v in alive and not d["kept"]:
            return "unstructured"
    if any(not G.nodes[n].get("bias_kept", True) for n in alive):
        return "unstructured"
    return "structured"


def mask_sparsity(net: Network, mask: NetworkMask) -> list[dict[str, Any]]:
    """Per layer of edges: kept and total edges, the kept fraction, and the kept neurons it
    feeds (hidden: touching a kept edge or keeping its bias; outputs always count). Computed
    on the arrays, so it also serves networks too big for a graph.

    >>> net = Network.create([[[1.0, 2.0], [3.0, 4.0]], [[1.0, 1.0]]])
    >>> m = NetworkMask.full(net); m.weights[0][1, :] = False; m.weights[1][0, 1] = False
    >>> [(r["kept"], r["total"], r["kept_neurons"]) for r in mask_sparsity(net, m)]
    [(2, 4, 1), (1, 2, 1)]
    """
    mask.check(net)
    rows = []
    for L, m in enumerate(mask.weights):
        if L + 1 == net.n_layers:
            alive = m.shape[0]
        else:
            touched = m.any(axis=1) | mask.weights[L + 1].any(axis=0)
            if mask.biases[L] is not None:
                touched |= mask.biases[L]
            alive = int(touched.sum())
        rows.append({"layer": L, "kept": int(m.sum()), "total": m.size,
                     "kept_fraction": float(m.sum()) / m.size, "neurons": m.shape[0],
                     "kept_neurons": alive})
    return rows


def layer_sparsity(G: nx.DiGraph) -> list[dict[str, Any]]:
    """:func:`mask_sparsity` of the network and mask a graph holds."""
    return mask_sparsity(*from_digraph(G))


def dead_neurons(G: nx.DiGraph) -> set[Node]:
    """Kept hidden neurons whose removal cannot change the function.

    Dead: no kept path from a source (an input, or a neuron keeping a nonzero bias), so it
    always outputs sigma(0) = 0; or no kept path to an output, so nobody reads it. (Neurons
    with nothing kept are pruned, not dead.)
    """
    H = kept_subgraph(G)
    last = _last_layer(G)
    sources = {n for n, d in G.nodes(data=True)
               if d["layer"] == 0 or (d.get("bias_kept") and d.get("bias"))}
    outputs = {n for n, d in G.nodes(data=True) if d["layer"] == last}
    fed = set(sources)
    for s in sources:
        fed |= nx.descendants(H, s)
    read = set(outputs)
    for o in outputs:
        read |= nx.ancestors(H, o)
    return {n for n in kept_neurons(G) if n not in fed or n not in read}


def remove_dead(net: Network, mask: NetworkMask) -> NetworkMask:
    """The mask with every edge and bias of a dead neuron pruned (same function, fewer weights).

    >>> net = Network.create([[[1.0], [2.0]], [[1.0, 0.0]]])
    >>> m = NetworkMask.full(net); m.weights[1][0, 1] = False
    >>> remove_dead(net, m).kept, m.kept
    (2, 3)
    """
    dead = dead_neurons(to_digraph(net, mask))
    ws = [m.copy() for m in mask.weights]
    bs = [None if m is None else m.copy() for m in mask.biases]
    for L, i in dead:
        ws[L - 1][i, :] = False
        ws[L][:, i] = False
        if bs[L - 1] is not None:
            bs[L - 1][i] = False
    return NetworkMask(tuple(ws), tuple(bs))


def _relabel(n: Node) -> str:
    return f"{n[0]}_{n[1]}"


def write_graphml(G: nx.DiGraph, path: str | Path) -> None:
    """GraphML with node ids ``"layer_index"`` (doubles are written exactly)."""
    nx.write_graphml(nx.relabel_nodes(G, _relabel), str(path))


def read_graphml(path: str | Path) -> nx.DiGraph:
    """Read a graph written by :func:`write_graphml` back with ``(layer, index)`` nodes."""
    try:
        H = nx.read_graphml(str(path))
    except Exception as exc:  # networkx raises several parser errors
        raise InputError(f"cannot read {path} as GraphML: {exc}") from None

    def node(s: str) -> Node:
        a, b = s.split("_")
        return int(a), int(b)

    return nx.relabel_nodes(H, {s: node(s) for s in H.nodes})


def to_dot(G: nx.DiGraph) -> str:
    """Graphviz DOT text: one rank per layer, kept edges solid, pruned edges dashed grey.

    >>> from solvers.networks import Network
    >>> print(to_dot(to_digraph(Network.create([[[0.5]]]))))
    digraph network {
      rankdir=LR;
      subgraph layer0 { rank=same; "0_0"; }
      subgraph layer1 { rank=same; "1_0"; }
      "0_0" -> "1_0" [label="0.5"];
    }
    """
    lines = ["digraph network {", "  rankdir=LR;"]
    for L in range(_last_layer(G) + 1):
        names = " ".join(f'"{_relabel(n)}";' for n, d in sorted(G.nodes(data=True))
                         if d["layer"] == L)
        lines.append(f"  subgraph layer{L} {{ rank=same; {names} }}")
    for u, v, d in sorted(G.edges(data=True)):
        style = "" if d["kept"] else ", style=dashed, color=grey"
        lines.append(f'  "{_relabel(u)}" -> "{_relabel(v)}" [label="{d["weight"]:.6g}"{style}];')
    lines.append("}")
    return "\n".join(lines)


def _layered_positions(G: nx.DiGraph) -> dict[Node, tuple[float, float]]:
    """Each layer a column spread over the full height: a 2-neuron layer next to an 80-neuron
    one stays readable (networkx's multipartite layout bunches small layers in the middle)."""
    sizes = _sizes(G)
    return {(layer, index): (float(layer), 1.0 - (index + 0.5) / sizes[layer])
            for (layer, index) in G.nodes}


def _sizes(G: nx.DiGraph) -> list[int]:
    """The widths (d_0, ..., d_l) of the network a graph holds."""
    return [int(x) for x in str(G.graph["sizes"]).split(",")]


def _legend_handles() -> list[Any]:
    from matplotlib.lines import Line2D

    return [
        Line2D([], [], color="tab:blue", lw=2, label="kept edge, weight > 0"),
        Line2D([], [], color="tab:red", lw=2, label="kept edge, weight < 0"),
        Line2D([], [], color="0.3", lw=0.6, label="thin: small |weight|"),
        Line2D([], [], color="0.3", lw=2.6, label="thick: |weight| >= 1"),
        Line2D([], [], color="0.85", lw=1, label="pruned edge"),
        Line2D([], [], ls="", marker="o", color="black", label="kept neuron"),
        Line2D([], [], ls="", marker="o", color="0.8", label="pruned neuron"),
        Line2D([], [], ls="", marker="o", color="tab:orange", label="dead neuron (no path)"),
    ]


def _draw_on(ax: Any, G: nx.DiGraph, title: str) -> None:
    """One network with its mask on ``ax``: edges by sign and size, neurons by state, layers."""
    pos = _layered_positions(G)
    kept = [(u, v) for u, v, d in G.edges(data=True) if d["kept"]]
    pruned = [(u, v) for u, v, d in G.edges(data=True) if not d["kept"]]
    dense = G.number_of_edges() > 400  # thin, light lines keep a dense layer from smearing
    nx.draw_networkx_edges(G, pos, edgelist=pruned, edge_color="0.85",
                           width=0.15 if dense else 0.4, alpha=0.5 if dense else 1.0, ax=ax,
                           arrows=False)
    colors = ["tab:red" if G.edges[e]["weight"] < 0 else "tab:blue" for e in kept]
    scale = 1.2 if dense else 2.0
    widths = [0.4 + scale * min(abs(G.edges[e]["weight"]), 1.0) for e in kept]
    nx.draw_networkx_edges(G, pos, edgelist=kept, edge_color=colors, width=widths, ax=ax,
                           arrows=False, alpha=0.85)
    dead, alive = dead_neurons(G), kept_neurons(G)
    last = _last_layer(G)
    node_colors = ["tab:orange" if n in dead else "black"
                   if n in alive or G.nodes[n]["layer"] in (0, last) else "0.8" for n in G.nodes]
    sizes = _sizes(G)
    biggest = max(sizes)
    size = max(3.0, min(60.0, 1500.0 / max(biggest, 1)))
    nx.draw_networkx_nodes(G, pos, node_size=size, node_color=node_colors, ax=ax)
    for layer, n in enumerate(sizes):
        name = "input" if layer == 0 else "output" if layer == len(sizes) - 1 else \
            f"hidden {layer}"
        ax.text(layer, -0.04, f"{name}\n({n})", ha="center", va="top", fontsize=8)
    ax.set_ylim(-0.14, 1.02)
    ax.set_axis_off()
    ax.set_title(title, fontsize=10)


def draw_network(G: nx.DiGraph, path: str | Path, *, max_edges: int = 3000,
                 title: str = "") -> None:
    """PNG drawing with a legend: each layer a labelled column, kept edges coloured by sign
    (blue +, red -) and as wide as |weight|, pruned edges light grey; neurons black (kept),
    grey (pruned), orange (dead).

    Above ``max_edges`` edges a drawing is unreadable: a per-layer sparsity chart is drawn.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if G.number_of_edges() > max_edges:
        draw_sparsity(layer_sparsity(G), path, title=title)
        return
    fig, ax = plt.subplots(figsize=(11, 6))
    _draw_on(ax, G, title or f"{pruning_kind(G)} pruning of a random network "
                              f"{tuple(_sizes(G))}")
    fig.legend(handles=_legend_handles(), loc="center right", fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0, 0.8, 1))
    fig.savefig(str(path), dpi=110)
    plt.close(fig)


def draw_pruning_comparison(panels: list[tuple[nx.DiGraph, str]], path: str | Path, *,
                            title: str = "") -> None:
    """Networks with their masks side by side (e.g. one random network pruned structured and
    unstructured), one panel each with its caption, and one legend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels) + 2.5, 5.5))
    for ax, (G, caption) in zip(np.atleast_1d(axes), panels, strict=True):
        _draw_on(ax, G, caption)
    fig.legend(handles=_legend_handles(), loc="center right", fontsize=8, frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 1 - 2.3 / (5.5 * len(panels) + 2.5), 1))
    fig.savefig(str(path), dpi=110)
    plt.close(fig)


def draw_sparsity(rows: list[dict[str, Any]], path: str | Path, *, title: str = "") -> None:
    """PNG bar chart of kept and total edges per layer (rows of :func:`mask_sparsity`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 6))
    layers = [r["layer"] for r in rows]
    ax.bar(layers, [r["total"] for r in rows], color="0.85", label="pruned")
    ax.bar(layers, [max(r["kept"], 1e-9) for r in rows], color="tab:blue", label="kept")
    ax.set_yscale("log")
    ax.set_xticks(layers)
    ax.set_xlabel("layer of weights")
    ax.set_ylabel("edges")
    ax.legend()
    ax.set_title(title or "kept edges per layer")
    fig.tight_layout()
    fig.savefig(str(path), dpi=100)
    plt.close(fig)

