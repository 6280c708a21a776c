"""Compilation and chunking policy shared by every kernel.

``XMPI_NUMBA_CACHE`` (default ``1``) keeps compiled kernels on disk next to the source, so a
new process does not pay the JIT cost again; set it to ``0`` on read-only installs.
``XMPI_NUMBA_PARALLEL`` (default ``1``) runs the unit loop on all threads; set it to ``0``
inside thread pools that are unsafe for numba's threading layer.

The parallel kernels split the units into contiguous chunks, each with private sums merged
in chunk order at the end. The chunks depend on the data only (:func:`fixed_chunks`,
:func:`cap_chunks`), never on the number of threads, so every result has the same bits on
any machine and for any ``numba.set_num_threads``.
"""

from __future__ import annotations

import os

import numba as nb
import numpy as np

CACHE = os.environ.get("XMPI_NUMBA_CACHE", "1") != "0"
PARALLEL = os.environ.get("XMPI_NUMBA_PARALLEL", "1") != "0"

#: Extra cells after each parallel chunk's private sums, so that two threads never write to
#: one cache line (with a single group a chunk's sums fit in a few lines, and threads
#: updating neighbouring lines run slower than one thread alone).
PAD = 16

#: Most chunks a kernel splits its units into. Chunks are fixed by the data size alone and
#: their private sums are merged in chunk order, so results carry the same bits for any
#: thread count; ``prange`` spreads the chunks over whatever threads exist.
MAX_CHUNKS = 64
#: The chunks' private sums together take at most one byte per ``UNITS_PER_PRIVATE_BYTE``
#: units and at most ``CHUNK_BUDGET`` bytes; a kernel with larger private sums (many cells,
#: pattern tables) uses fewer chunks, but never fewer than two. Fresh memory is not free:
#: zeroing it faults its pages in (about 1.5 ns per byte on a VM, measured), which at one
#: byte per 4 units stays within about 2% of the cheapest kernel's time per unit.
UNITS_PER_PRIVATE_BYTE = 4
CHUNK_BUDGET = 64 << 20


def fixed_chunks(n: int, per: int) -> int:
    """Number of contiguous chunks for ``n`` units of at least ``per`` units each.

    ``n // per`` capped at :data:`MAX_CHUNKS` and rounded down to a power of two (equal
    shares for 1, 2, 4, ... threads); 1 below ``2 * per`` units. A function of the data size
    only, never of the thread count: with the chunks' sums merged in chunk order, the
    results are bit-identical on any machine.

    >>> fixed_chunks(100_000, 4096), fixed_chunks(5000, 4096), fixed_chunks(10**9, 4096)
    (16, 1, 64)
    """
    k = min(MAX_CHUNKS, int(n) // max(1, int(per)))
    return 1 << (k.bit_length() - 1) if k > 1 else 1


@nb.njit(cache=CACHE, nogil=True)
def cap_chunks(n_chunks, n, private):
    """``n_chunks`` halved until ``n_chunks`` private sums of ``private`` bytes each fit
    ``min(CHUNK_BUDGET, n // UNITS_PER_PRIVATE_BYTE)`` bytes, but not below 2 (nor raised).

    Depends on the data (``n`` units, the size of the private sums) only, like
    :func:`fixed_chunks`: more chunks than their memory, its page faults and the final merge
    are worth (many cells, few units) would only cost time.
    """
    limit = min(CHUNK_BUDGET, n // UNITS_PER_PRIVATE_BYTE)
    while n_chunks > 2 and n_chunks * private > limit:
        n_chunks = max(2, n_chunks // 2)
    return n_chunks


@nb.njit(cache=CACHE, nogil=True, inline="always")
def chunk_size(n, n_chunks):
    """Units per chunk (the last may be shorter): chunk ``c`` holds units
    ``c * size .. min(n, (c + 1) * size) - 1``."""
    return (n + n_chunks - 1) // n_chunks


@nb.njit(cache=CACHE, nogil=True)
def merge_chunks(private, n_rows):
    """``private[:, :n_rows]`` (C-contiguous, chunks first) summed over the chunks, adding
    them in chunk order, so the sums carry the same bits for any number of threads.

    A plain loop in a function of its own: in a ``parallel=True`` kernel every array
    expression (``out += private[c]``) is a parallel region, which costs microseconds on an
    idle machine and a scheduler time slice on a busy one, once per chunk.
    """
    k = private.shape[0]
    flat = private.reshape((k, -1))
    m = n_rows * (flat.shape[1] // max(private.shape[1], 1))
    out = np.zeros(m, private.dtype)
    for c in range(k):
        row = flat[c]
        for j in range(m):
            out[j] += row[j]
    return out.reshape((n_rows,) + private.shape[2:])
