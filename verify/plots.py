"""What every plot of an estimated probability shares: Wilson confidence bands, integer axes.

>>> lo, hi = wilson_interval(8, 10)
>>> round(lo, 3), round(hi, 3)
(0.49, 0.943)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["wilson_interval", "wilson_band", "integer_axis", "CONFIDENCE"]

#: The confidence of every band drawn around an estimated probability.
CONFIDENCE = 0.95
_Z = 1.959963984540054  # the normal quantile of (1 + CONFIDENCE) / 2


def wilson_interval(successes: int, trials: int, z: float = _Z) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion (sound near 0 and 1, unlike the
    normal interval; Wilson 1927). ``trials = 0`` gives the whole [0, 1]."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    den = 1 + z * z / trials
    mid = (p + z * z / (2 * trials)) / den
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / den
    return max(0.0, mid - half), min(1.0, mid + half)


def wilson_band(ax: Any, xs: Sequence[float], successes: Sequence[int], trials: Sequence[int],
                color: str, label: str | None = None) -> None:
    """Shade the Wilson interval of each estimated probability along a curve."""
    lo, hi = np.array([wilson_interval(k, n) for k, n in zip(successes, trials,
                                                              strict=True)]).reshape(-1, 2).T
    ax.fill_between(xs, lo, hi, color=color, alpha=0.18, lw=0, label=label)


def integer_axis(axis: Any) -> None:
    """Ticks at integers only on an axis that counts (n, d, layers)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))
