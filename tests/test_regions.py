"""Limits of the exact sups by linear regions (solvers.regions)."""

from __future__ import annotations

import pytest

import solvers.regions as regions
from solvers.networks import construction_network, random_network
from solvers.numbers import InputError


def test_too_many_regions_are_refused_while_cutting(monkeypatch):
    target = random_network([2, 2, 1], seed=0, bias=True)
    rnd, _ = construction_network(target, 8, seed=0)
    n = len(regions.linear_regions([target, rnd]))
    assert n > 50
    monkeypatch.setattr(regions, "REGIONS_MAX_POLYGONS", 50)
    with pytest.raises(InputError, match="more than 50 linear regions"):
        regions.sup_error_regions(target, rnd)
