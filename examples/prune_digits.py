"""Prune a random network into a digits classifier, with no training of the random network.

A small ReLU target (64 -> 32 -> 10) is trained on scikit-learn's digits data (8x8 images,
shipped inside scikit-learn: no download). The subset-sum construction then prunes seeded
random networks of several widths into it, every per-weight subset-sum problem solved
exactly. Inputs are pixel intensities scaled to [0, 1], so the error bound is over the box
[0, 1]^64 (and only the x > 0 halves are needed).

Printed (a Markdown table): target and pruned test accuracy, the rigorous error bound, the
largest error actually seen on the test set, and the kept weights.

Run:  python examples/prune_digits.py [--widths 4 8 16 32] [--seed 0]
Needs scikit-learn.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

try:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
except ImportError:
    if __name__ == "__main__":
        sys.stderr.write('prune_digits.py needs scikit-learn: pip install -e ".[examples]" '
                         "(or pip install scikit-learn)\n")
        sys.exit(2)
    raise

from solvers.construction import subset_sum_construction
from solvers.networks import Network, construction_network


def train_target(seed: int) -> tuple[Network, np.ndarray, np.ndarray]:
    """The trained target as a Network, and the test inputs and labels."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=seed)
    mlp = MLPClassifier(hidden_layer_sizes=(32,), activation="relu", max_iter=2000,
                        random_state=seed).fit(X_train, y_train)
    target = Network.create([W.T for W in mlp.coefs_], list(mlp.intercepts_))
    # the Network is the same function as the classifier
    assert np.array_equal(target.forward(X_test).argmax(axis=1), mlp.predict(X_test))
    return target, X_test, y_test


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[4, 8, 16, 32])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    target, X_test, y_test = train_target(args.seed)
    f = target.forward(X_test)
    acc_target = float(np.mean(f.argmax(axis=1) == y_test))
    print(f"target {target.sizes}, {target.n_params} parameters, largest |weight| "
          f"{max(np.abs(W).max() for W in target.weights):.3g}\n")
    print("| width | random params | target acc. | pruned acc. | error bound (box) "
          "| max error seen (test) | kept | kept / target | seconds |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for width in args.widths:
        rnd, layout = construction_network(target, width, seed=args.seed)
        start = time.perf_counter()
        res = subset_sum_construction(target, rnd, layout, box=(0.0, 1.0))
        seconds = time.perf_counter() - start
        g = res.pruned.forward(X_test)
        acc = float(np.mean(g.argmax(axis=1) == y_test))
        seen = float(np.abs(f - g).max())
        assert res.status == "optimal" and seen <= res.error_bound
        print(f"| {width} | {rnd.n_params} | {acc_target:.4f} | {acc:.4f} | "
              f"{res.error_bound:.3g} | {seen:.3g} | {res.mask.kept} | "
              f"{res.kept_vs_target:.2f}x | {seconds:.1f} |")


if __name__ == "__main__":
    main()
