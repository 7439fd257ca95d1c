"""One-hidden-layer masks at finitely many inputs: a multiple-choice vector subset sum.

With one hidden layer, ``g_mask(x)_k = sum_i [e_ki kept] c_ki relu(sum_{j kept} w_ij x_j +
[b_i kept] b_i) + [b'_k kept] b'_k``: at a fixed input, a neuron's contribution depends only on
its own bits. Each hidden neuron (and each output bias) is a *group*; a mask chooses one
*option* per group (off, or a pattern of kept in-edges and bias with a non-empty set of kept
out-edges); its error over inputs X is ``max_(x, k) |f(x)_k - sum_groups v(option, x)_k|``.
Every mask computes the function of one canonical mask (a neuron with no input outputs
relu(0) = 0, one with no out-edge is never read), so options cover the canonical masks only;
options keeping a weight that is exactly 0 are dropped (the same function with one bit less).

Values are exact integers: at the rational input ``x = P / q`` every row (x, k) is a list of
numerators over the row's denominator ``2^E q``.

>>> from solvers.networks import Network
>>> g = Network.create([[[1.0], [-1.0]], [[1.0, 1.0]]])
>>> ch = MaskChoices.create(g)
>>> [len(opts) for opts in ch.groups]
[1, 1]
>>> f = Network.create([[[1.0]], [[1.0]]])
>>> rows = ch.rows(f, [((-1,), 1), ((1,), 1)])
>>> ch.error(rows, [0, -1]), ch.error(rows, [-1, -1])
(Fraction(0, 1), Fraction(1, 1))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from solvers.networks import Network, NetworkMask, mask_of_bits
from solvers.numbers import InputError
from solvers.piecewise_linear import integer_forward, integer_layers

__all__ = ["Option", "MaskChoices", "Rows"]


@dataclass(frozen=True)
class Option:
    """One way a group can be kept: its mask ``bits`` (the order of
    :func:`solvers.networks.mask_of_bits`), how many bits it keeps, the hidden ``neuron``
    (or ``-1 - k`` for output bias k), its kept ``inputs`` (bit j: input j, bit d: the bias)
    and kept ``outputs`` (bit k: the edge to output k)."""

    bits: int
    kept: int
    neuron: int
    inputs: int
    outputs: int


@dataclass(frozen=True)
class Rows:
    """The master's rows at finitely many inputs: for row r (an input and an output),
    ``values[r][g][o]`` and ``targets[r]`` are numerators over ``dens[r]``."""

    values: list[list[list[int]]]
    targets: list[int]
    dens: list[int]
    points: list[tuple[tuple[int, ...], int]]


@dataclass(frozen=True)
class MaskChoices:
    """The groups and options of the masks of a one-hidden-layer ``random`` network."""

    random: Network
    structured: bool
    groups: tuple[tuple[Option, ...], ...]

    @classmethod
    def create(cls, random: Network, structured: bool = False) -> MaskChoices:
        """The options of every hidden neuron and (unstructured) every output bias."""
        if random.n_layers != 2:
            raise InputError(f"random network of sizes {random.sizes}: the multiple-choice "
                             "view needs exactly one hidden layer")
        (W, W2), (b, b2) = random.weights, random.biases
        h, d = W.shape
        K = W2.shape[0]
        if structured:
            return cls(random, True, tuple((Option(1 << i, 1, i, (1 << (d + 1)) - 1,
                                                   (1 << K) - 1),) for i in range(h)))
        off_w2, off_b = h * d, h * d + K * h
        off_b2 = off_b + (0 if b is None else h)
        groups = []
        for i in range(h):
            ins = [(j, 1 << (i * d + j)) for j in range(d) if W[i, j] != 0]
            if b is not None and b[i] != 0:
                ins.append((d, 1 << (off_b + i)))
            outs = [(k, 1 << (off_w2 + k * h + i)) for k in range(K) if W2[k, i] != 0]
            opts = []
            for p in range(1, 1 << len(ins)):
                for s in range(1, 1 << len(outs)):
                    pin = [ins[a] for a in range(len(ins)) if p >> a & 1]
                    pout = [outs[a] for a in range(len(outs)) if s >> a & 1]
                    opts.append(Option(sum(v for _, v in pin + pout), len(pin) + len(pout), i,
                                       sum(1 << j for j, _ in pin),
                                       sum(1 << k for k, _ in pout)))
            groups.append(tuple(opts))
        if b2 is not None:
            groups += [(Option(1 << (off_b2 + k), 1, -1 - k, 0, 1 << k),) if b2[k] != 0 else ()
                       for k in range(K)]
        return cls(random, False, tuple(groups))

    @property
    def n_bits(self) -> int:
        """Mask bits of the problem: per hidden neuron, or per weight and bias."""
        return self.random.sizes[1] if self.structured else self.random.n_params

    def bits(self, choice: Sequence[int]) -> int:
        """The mask bits of a choice (``choice[g]``: an option index of group g, or -1: off)."""
        return sum(self.groups[g][o].bits for g, o in enumerate(choice) if o >= 0)

    def mask(self, choice: Sequence[int]) -> NetworkMask:
        """The :class:`NetworkMask` of a choice."""
        return mask_of_bits(self.random, self.structured, self.bits(choice))

    def kept(self, choice: Sequence[int]) -> int:
        """Mask bits kept by a choice."""
        return sum(self.groups[g][o].kept for g, o in enumerate(choice) if o >= 0)

    def choice_of_mask(self, mask: NetworkMask) -> list[int]:
        """The choice computing the same function as ``mask`` (its canonical form)."""
        mask.check(self.random)
        (M, M2), (mb, mb2) = mask.weights, mask.biases
        W, b = self.random.weights[0], self.random.biases[0]
        d = W.shape[1]
        out = []
        for g, opts in enumerate(self.groups):
            if g >= M.shape[0]:
                k = g - M.shape[0]
                out.append(0 if opts and mb2 is not None and mb2[k] else -1)
                continue
            ins = sum(1 << j for j in range(d) if M[g, j] and W[g, j] != 0)
            ins |= (1 << d) if b is not None and mb[g] and b[g] != 0 else 0
            outs = sum(1 << k for k in range(M2.shape[0])
                       if M2[k, g] and self.random.weights[1][k, g] != 0)
            if self.structured:
                out.append(0 if (M[g].any() or M2[:, g].any()) else -1)
            else:
                out.append(next((o for o, opt in enumerate(opts)
                                 if opt.inputs == ins and opt.outputs == outs), -1))
        return out

    def rows(self, target: Network, points: Sequence[tuple[Sequence[int], int]]) -> Rows:
        """Exact integer rows at the rational inputs ``P / q`` of ``points``."""
        lf = integer_layers(target)
        (A, B, s1), (A2, B2, s2) = integer_layers(self.random)
        K = len(A2)
        values, targets, dens = [], [], []
        for P, q in points:
            fo, ef = integer_forward(lf, P, q)
            E = max(ef, s1 + s2)
            sh = E - s1 - s2
            per_group = []
            for opts in self.groups:
                per_opt = []
                for opt in opts:
                    if opt.neuron < 0:
                        k = -1 - opt.neuron
                        per_opt.append([(B2[k] * q << s1 << sh) if j == k else 0
                                        for j in range(K)])
                        continue
                    i = opt.neuron
                    z = sum(A[i][j] * P[j] for j in range(len(P)) if opt.inputs >> j & 1)
                    z += B[i] * q if opt.inputs >> len(P) & 1 else 0
                    per_opt.append([(A2[k][i] * z << sh) if z > 0 and opt.outputs >> k & 1
                                    else 0 for k in range(K)])
                per_group.append(per_opt)
            for k in range(K):
                t = fo[k] << (E - ef)
                if self.structured:
                    t -= B2[k] * q << s1 << sh  # structured masks keep the output bias
                targets.append(t)
                dens.append(q << E)
                values.append([[v[k] for v in per_opt] for per_opt in per_group])
        return Rows(values, targets, dens, [(tuple(P), q) for P, q in points])

    def error(self, rows: Rows, choice: Sequence[int]) -> Fraction:
        """Exact ``max_r |target_r - sum_g value_r(choice_g)|`` over the rows."""
        best = Fraction(0)
        for vals, t, den in zip(rows.values, rows.targets, rows.dens, strict=True):
            r = t - sum(vals[g][o] for g, o in enumerate(choice) if o >= 0)
            if abs(r) > best * den:
                best = Fraction(abs(r), den)
        return best
