"""One random network pruned two ways: the optimal unstructured mask against the optimal
structured one, drawn side by side (examples/figures/structured_vs_unstructured.png).

The target is a random 2-2-1 ReLU network, the random network a 2-8-1 one (both with biases);
each mask minimises the worst error over [-1, 1]^2 (``solvers.pruning.optimal_mask``, a MIP
loop: ``optimal_within_tolerance``, the error re-evaluated exactly at the worst input).
Unstructured pruning keeps any edges; structured pruning keeps whole neurons.

Run:  python examples/structured_vs_unstructured.py [--out PNG] [--hidden 8]
"""

from __future__ import annotations

import argparse

from solvers import graph
from solvers.networks import random_network
from solvers.pruning import optimal_mask


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="examples/figures/structured_vs_unstructured.png")
    ap.add_argument("--hidden", type=int, default=8, help="hidden neurons of the random network")
    args = ap.parse_args()
    target = random_network([2, 2, 1], seed=0, bias=True)
    rnd = random_network([2, args.hidden, 1], seed=1, bias=True)
    panels = []
    for structured in (False, True):
        res = optimal_mask(target, rnd, structured=structured, time_limit=60)
        kind = "structured (whole neurons)" if structured else "unstructured (any edge)"
        print(f"{kind:28} {res.status:25} worst error {float(res.error):.4f}, "
              f"kept {res.mask.kept} of {rnd.n_params} parameters")
        caption = (f"{kind}: worst error {float(res.error):.3f}\n"
                   f"kept {res.mask.kept} of {rnd.n_params} parameters ({res.status})")
        panels.append((graph.to_digraph(rnd, res.mask), caption))
    graph.draw_pruning_comparison(
        panels, args.out,
        title=f"one random network {rnd.sizes} pruned into a random target {target.sizes}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
