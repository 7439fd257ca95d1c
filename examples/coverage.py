"""Covering [-1, 1] with subset sums: the exact verdict, the covering radius, the Lueker process.

Run: python examples/coverage.py
"""

import numpy as np

from solvers.coverage import check_lueker_inequality, covering_radius, is_covered, lueker_process

values = np.random.default_rng(0).uniform(-1, 1, 20)  # n = 20 uniform samples (exact doubles)

# Is every z in [-1, 1] within eps of a subset sum? Exactly, with a witness if not.
for eps in ("1e-3", "1e-5"):
    res = is_covered(values, eps)
    print(f"eps = {eps}: covered = {res.covered}", end="")
    print("" if res.covered else f", witness z = {float(res.witness):.9f} "
          f"at distance {float(res.distance):.3g} (exactly {res.distance})")

# The least eps that works: the covering radius, the point attaining it, the subsets around it.
r = covering_radius(values)
print(f"covering radius = {float(r.radius):.4g} at z = {float(r.point):.6f}: "
      f"between subsets {r.below} and {r.above}")
assert is_covered(values, r.radius).covered and not is_covered(values, r.radius / 2).covered

# The proof's process (only partial sums inside [-1, 1] count) against the true coverage.
tr = lueker_process(values[:12], "1/100")
for t in (0, 4, 8, 12):
    print(f"t = {t:2d}: v_t = {float(tr.v[t]):.4f}, true covered = {float(tr.covered[t]):.4f}, "
          f"E[v_t+1 | X_1..X_t] = {float(tr.expected[t]):.4f} >= {float(tr.bound(t)):.4f}")

# The slides' inequality on 1000 random prefixes, exactly.
chk = check_lueker_inequality(1000)
print(f"inequality on {chk.n_checked} prefixes: holds = {chk.holds}, "
      f"smallest gain ratio = {chk.min_ratio} (>= 1 needed)")
