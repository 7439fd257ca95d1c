"""Solve random subset sum exactly: one instance, its proof, and the checker beside it.

Run: python examples/solve_rss.py
"""

import numpy as np

from solvers.rss import rss_error, solve_rss, solve_rss_batch, sparsest_subset

rng = np.random.default_rng(0)
values = rng.uniform(-1, 1, 40)
target = 0.3

sol = solve_rss(values, target)  # method="auto": meet-in-the-middle for n <= 50
print(sol.status, sol.subset, sol.error, f"({sol.error_float:.3e})")
print("proof:", sol.proof)
assert rss_error(values, target, sol.subset) == sol.error  # the exact checker agrees

# |S| = 5 exactly, and the smallest ticket within 1e-3
print("|S| = 5:", solve_rss(values, target, cardinality=5).error_float)
print("sparsest within 1e-3:", sparsest_subset(values[:20], target, "1e-3").subset)

# many independent n = 21 instances, as in the per-weight SLTH construction
res = solve_rss_batch(rng.uniform(-1, 1, (1000, 21)), rng.normal(0, 0.05, 1000))
print("batch: max exact error", max(res.errors), "over", len(res.errors), "instances")
