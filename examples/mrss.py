"""Multidimensional random subset sum (structured pruning): exact optima, coverage, moments.

Run: python examples/mrss.py   (about half a minute)
"""

import numpy as np

from proofs.moments import best_k, enumeration_moments, moments
from solvers.mrss import solve_mrss, sparsest_subset
from solvers.mrss_cube import cube_coverage, cube_covered_2d

rng = np.random.default_rng(0)

# 1. One neuron's outgoing weights as a vector: n random vectors in R^3, a target in [-1, 1]^3.
X, z = rng.standard_normal((32, 3)), rng.uniform(-1, 1, 3)
sol = solve_mrss(X, z)
print(f"n=32, d=3: {sol.status}, |S| = {len(sol.subset)}, error {sol.error_float:.3e}")
print(f"  exact error {sol.error} ({sol.seconds:.2f} s, the first call loads the kernels)")
print(f"  proof: {sol.proof}")

# 2. The second-moment method only counts subsets of size k = alpha n.
k_sol = solve_mrss(X, z, cardinality=8)
print(f"|S| = 8: error {k_sol.error_float:.3e}; 1-norm: "
      f"{solve_mrss(X, z, norm='1').error_float:.3e}")

# 3. The smallest ticket: the fewest vectors within eps of the target.
small = sparsest_subset(X[:20], z, "0.05")
print(f"sparsest within 0.05: {small.stats['size']} vectors, error {small.error_float:.3e}")

# 4. Cube coverage in d = 2: an estimate from exactly decided random targets, and the exact
#    verdict (with an uncovered witness point when there is one).
X2 = rng.standard_normal((14, 2)) * 0.5
est = cube_coverage(X2, "0.02", trials=2000, seed=1)
print(f"[-1,1]^2 within 0.02: {est.fraction:.3f} covered "
      f"(95% CI {est.low:.3f}..{est.high:.3f})")
verdict = cube_covered_2d(X2, "0.02")
print(f"exact verdict: covered = {verdict.covered}"
      + ("" if verdict.covered else f", e.g. z = {[float(c) for c in verdict.witness]} "
         f"is {float(verdict.distance):.4f} away"))

# 5. The moments behind the second-moment method, against exact enumeration.
n, z3, eps = 12, ["0.5", "-0.25"], "0.3"
row = best_k(n, z3, eps)
em = enumeration_moments(n, 2, z3, eps, trials=500, seed=2)
k = row.k
print(f"n={n}, d=2, eps={eps}: best k = {k}, bound P[Z_k >= 1] >= {row.bound:.3f} "
      f"(measured {em.hit[k]:.3f})")
print(f"  E[Z_k] = {float(row.mean):.3f} exact vs {em.mean[k]:.3f} +- {em.mean_se[k]:.3f} sampled")
print(f"  E[Z_k^2] = {float(moments(n, z3, eps, ks=[k])[0].second):.2f} exact vs "
      f"{em.second[k]:.2f} +- {em.second_se[k]:.2f} sampled")
