"""Unit bootstrap frequencies that do not depend on how the units are chunked.

The unit bootstrap of :func:`mpi.relapse` draws ``m`` units with replacement among the
``m`` units with a weight: the frequencies ``f_i`` are multinomial ``(m; 1/m, ..., 1/m)``.
To draw them block by block with the same numbers for any chunking, the multinomial is
split down a fixed binary tree over *buckets* of :data:`BUCKET` consecutive units (the
units with a weight, in panel order): a node holding ``c`` draws gives its left half
``Binomial(c, size_left / size_node)`` of them, and a bucket's ``c`` draws fall on its
units uniformly. Every node and bucket has its own generator, seeded by ``(seed,
replicate, node)``, so any block of units computes its own frequencies from the root
down its path only, and the frequencies of the whole panel are the same whether it is
scored at once or in blocks. The splitting is exact: the frequencies are multinomial.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["BUCKET", "bootstrap_entropy", "unit_frequencies"]

#: Units per bucket of the tree (draws inside a bucket use one generator).
BUCKET = 4096


def bootstrap_entropy(seed: Any) -> int:
    """The root entropy of the bootstrap tree.

    Parameters
    ----------
    seed : int, None or numpy.random.Generator
        A non-negative integer (used as is), None (fresh entropy from the operating
        system) or a Generator (one integer drawn from it).

    Returns
    -------
    int
        A non-negative integer seeding every node of the tree.
    """
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63))
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    return int(seed)


def _bucket_counts(entropy: int, replicate: int, m: int, lo: int, hi: int) -> dict[int, int]:
    """Draws per bucket overlapping units ``[lo, hi)`` of ``m`` (root: ``m`` draws)."""
    n_buckets = -(-m // BUCKET)
    first, last = lo // BUCKET, -(-hi // BUCKET)
    out: dict[int, int] = {}
    stack = [(0, n_buckets, m)]
    while stack:
        a, b, c = stack.pop()
        if b - a == 1:
            out[a] = c
            continue
        mid = (a + b) // 2
        size = min(b * BUCKET, m) - a * BUCKET
        left = mid * BUCKET - a * BUCKET
        rng = np.random.default_rng([entropy, replicate, 0, a, b])
        c_left = int(rng.binomial(c, left / size))
        if first < mid:
            stack.append((a, mid, c_left))
        if last > mid:
            stack.append((mid, b, c - c_left))
    return out


def unit_frequencies(entropy: int, replicate: int, m: int, lo: int, hi: int) -> np.ndarray:
    """How often each of the units ``lo .. hi-1`` (of ``m``) is drawn in one replicate.

    Parameters
    ----------
    entropy : int
        :func:`bootstrap_entropy`.
    replicate : int
        The replicate's number.
    m : int
        Units that can be drawn (those with a weight); ``m`` draws with replacement.
    lo, hi : int
        The units asked for, as positions among the ``m``.

    Returns
    -------
    numpy.ndarray
        float64 frequencies of shape ``(hi - lo,)``; over ``0 .. m`` they sum to ``m``.
    """
    out = np.zeros(hi - lo)
    if hi <= lo:
        return out
    for bucket, c in _bucket_counts(entropy, replicate, m, lo, hi).items():
        start = bucket * BUCKET
        size = min(start + BUCKET, m) - start
        rng = np.random.default_rng([entropy, replicate, 1, bucket])
        f = np.bincount(rng.integers(0, size, c), minlength=size)
        a, b = max(lo, start), min(hi, start + size)
        out[a - lo : b - lo] = f[a - start : b - start]
    return out
