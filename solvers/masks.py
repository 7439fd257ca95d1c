"""Provably optimal masks by exhaustive search: every canonical mask evaluated exactly.

The reference for every other mask engine on small networks (up to
:data:`MASK_ENUMERATION_MAX_BITS` bits, one input or a finite input set).
"""

from __future__ import annotations

from fractions import Fraction

from solvers.instances import MaskProblem
from solvers.networks import NetworkMask, is_canonical_mask, mask_of_bits, neuron_bit_masks
from solvers.numbers import InputError

__all__ = ["enumerate_masks", "MASK_ENUMERATION_MAX_BITS"]

#: Exhaustive search over masks up to this many mask bits (2^bits masks enumerated, the
#: canonical ones evaluated exactly).
MASK_ENUMERATION_MAX_BITS = 16


def enumerate_masks(prob: MaskProblem) -> tuple[Fraction, NetworkMask]:
    """The exact optimum over every mask, and the sparsest optimal mask.

    Every canonical mask (:func:`solvers.networks.is_canonical_mask`; structured masks all are) is evaluated exactly.
    Needs exact errors (:attr:`MaskProblem.exact_errors`) and at most
    :data:`MASK_ENUMERATION_MAX_BITS` bits.

    >>> from solvers.networks import Network
    >>> f = Network.create([[[1.0]], [[1.0]]])
    >>> g = Network.create([[[1.0], [-1.0]], [[1.0, 1.0]]])
    >>> err, mask = enumerate_masks(MaskProblem.create(f, g))
    >>> err, mask.kept
    (Fraction(0, 1), 2)
    """
    if not prob.exact_errors:
        raise InputError(f"the networks take {prob.target.sizes[0]} inputs: exact mask errors "
                         "need one input or a finite 'inputs' set")
    if prob.n_bits > MASK_ENUMERATION_MAX_BITS:
        raise InputError(f"{prob.n_bits} mask bits: exhaustive search is limited to "
                         f"{MASK_ENUMERATION_MAX_BITS}")
    best: tuple[Fraction, int, NetworkMask] | None = None
    neurons = [] if prob.structured else neuron_bit_masks(prob.random)
    for bits in range(1 << prob.n_bits):
        if not is_canonical_mask(bits, neurons):
            continue
        mask = mask_of_bits(prob.random, prob.structured, bits)
        err = prob.error(mask)
        if best is None or (err, mask.kept) < best[:2]:
            best = (err, mask.kept, mask)
    return best[0], best[2]
