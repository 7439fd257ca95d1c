"""The 1-D and d-dimensional solvers speak one vocabulary: the same methods, variants, parameter
names and validation, and old names keep working for one release with a warning."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest

from solvers import mrss, rss
from solvers.numbers import InputError
from verify.check import check_no_subset_within

VALUES = [0.5, 0.25, 0.125, "0.7"]
VECTORS = [[v, 0] for v in VALUES]


def test_mip_highs_is_a_method_of_both():
    one = rss.solve_rss(VALUES, 0.75, method="mip-highs")
    many = mrss.solve_mrss(VECTORS, [0.75, 0], method="mip-highs")
    assert one.status == many.status == "optimal_within_tolerance"
    assert one.error == many.error == rss.solve_rss(VALUES, 0.75).error
    assert {"mip-scip", "mip-highs"} <= set(rss.METHODS) & set(mrss.METHODS)


def test_sparsest_with_eps_zero_on_both():
    one = rss.sparsest_subset([1, 2, 3], 3, 0)
    many = mrss.sparsest_subset([[1], [2], [3]], [3], 0)
    assert one.subset == many.subset == (2,) and one.error == many.error == 0


@pytest.mark.parametrize("limit", [np.int64(5), 0, 2.5])
def test_time_limit_numpy_and_zero_accepted_by_both(limit):
    assert rss.solve_rss(VALUES, 0.75, time_limit=limit).error is not None
    assert mrss.solve_mrss(VECTORS, [0.75, 0], time_limit=limit).error is not None
    v = check_no_subset_within(rss.RSSInstance.create(VALUES, 0.75), "1/100", time_limit=limit)
    assert v.verdict in ("refuted", "confirmed", "undecided")


@pytest.mark.parametrize("bad", [-1, float("nan"), "soon", True])
def test_time_limit_refused_alike(bad):
    messages = set()
    for call in (lambda: rss.solve_rss(VALUES, 0.75, time_limit=bad),
                 lambda: mrss.solve_mrss(VECTORS, [0.75, 0], time_limit=bad)):
        with pytest.raises(InputError) as info:
            call()
        messages.add(str(info.value))
    assert len(messages) == 1 and next(iter(messages)).startswith("time_limit is")


def test_max_cardinality_on_both():
    one = rss.solve_rss([1, 2, 4, 8], 15, max_cardinality=2)
    many = mrss.solve_mrss([[1], [2], [4], [8]], [15], max_cardinality=2)
    assert one.error == many.error == 3 and len(one.subset) <= 2 and len(many.subset) <= 2


def test_many_targets_on_both():
    one = [s.error for s in rss.solve_many_targets([1, 2, 4], [3, "6.5"])]
    many = [s.error for s in mrss.solve_many_targets([[1], [2], [4]], [[3], ["6.5"]])]
    assert one == many == [0, Fraction(1, 2)]


@pytest.mark.parametrize("eps", [-1, "-1/3"])
def test_eps_refused_in_one_wording(eps):
    messages = set()
    for call in (lambda: rss.sparsest_subset([1, 2], 1, eps),
                 lambda: mrss.sparsest_subset([[1], [2]], [1], eps)):
        with pytest.raises(InputError) as info:
            call()
        messages.add(str(info.value))
    assert len(messages) == 1 and "expected a number >= 0" in messages.pop()


# A moved name that its old module still uses itself (MRSSInstance in solvers.mrss) stays an
# ordinary attribute there: it works, without a warning.
@pytest.mark.parametrize("old, new, warns", [
    ("solvers.mrss.solve_mrss_instance", "solvers.mrss.solve_instance", True),
    ("solvers.mrss.solve_mrss_targets", "solvers.mrss.solve_many_targets", True),
    ("solvers.mrss.sparsest_mrss", "solvers.mrss.sparsest_subset", True),
    ("solvers.mrss.integer_scaling", "solvers.numbers.integer_scaling", False),
    ("solvers.mrss.MRSSInstance", "solvers.instances.MRSSInstance", False),
    ("verify.check.MaskProblem", "solvers.instances.MaskProblem", False),
    ("verify.check.enumerate_masks", "solvers.masks.enumerate_masks", False),
    ("verify.check.sup_error_interval", "solvers.piecewise_linear.sup_error_interval", True),
    ("verify.check.subset_instance", "solvers.instances.subset_problem_from_json", True),
])
def test_moved_names_still_work(old, new, warns):
    import importlib

    def resolve(dotted):
        mod, _, name = dotted.rpartition(".")
        return getattr(importlib.import_module(mod), name)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = resolve(old)
    assert got is resolve(new)
    if warns:
        assert any(issubclass(w.category, DeprecationWarning) and new in str(w.message)
                   for w in caught)


def test_optimal_mask_max_kept_and_its_old_name():
    from solvers.networks import Network
    from solvers.pruning import optimal_mask

    t = Network.create([[[1.0]], [[1.0]]])
    r = Network.create([[[1.0], [0.5]], [[1.0, 1.0]]])
    new = optimal_mask(t, r, box=(0.0, 1.0), max_kept=1)
    with pytest.warns(DeprecationWarning, match="max_kept"):
        old = optimal_mask(t, r, box=(0.0, 1.0), budget=1)
    assert new.kept_bits <= 1 and old.kept_bits <= 1 and new.error == old.error


def test_formulations_take_workers_and_their_old_names():
    from solvers.formulations.mrss_mip import solve_mrss_mip
    from solvers.formulations.rss_cpsat import solve_rss_cpsat
    from solvers.instances import MRSSInstance, RSSInstance

    inst = RSSInstance.create([3, 5, 9], 8)
    assert solve_rss_cpsat(inst, workers=1).error == 0
    with pytest.warns(DeprecationWarning, match="workers"):
        assert solve_rss_cpsat(inst, num_workers=1).error == 0
    vec = MRSSInstance.create([[3], [5], [9]], [8])
    with pytest.warns(DeprecationWarning, match="workers"):
        assert solve_mrss_mip(vec, threads=1).error == 0
