"""The lean AF pass's test of a clean block, as integer maximum reductions (numpy + numba
only).

A block of units is *clean* when every weight is finite and >= 0, every cell lies in the
chunk's range and, with major codes, every minor code is below ``n_minor``; such a block is
summed without per-unit checks (:mod:`.af_sums`). The tests are maxima over unsigned
integers, which vectorise: a float64 weight is finite and >= 0 iff its bits, read as uint64,
are below those of +inf, and a negative difference of codes wraps to a huge value.
"""

from __future__ import annotations

import numpy as np

from ._config import kernel

__all__ = ["W_BITS_END", "weights_cells_max", "weights_cells_ok"]

#: The bits of +inf: a float64 is finite and >= 0 iff its bits, read as an unsigned integer,
#: are below these (NaN, -inf, every negative number and -0.0 are above).
W_BITS_END = np.uint64(0x7FF0000000000000)


@kernel(inline="always")
def weights_cells_max(wbits, cell, cell_major, n_minor, cell_offset, c_first, i0, m):
    """Maxima over units ``i0 .. i0 + m - 1`` of the weights' bits ``wbits`` (the weights
    as uint64), of their cells less ``c_first`` and, with ``cell_major``, of their minor
    codes, all as unsigned integers (a negative difference wraps to a huge value): integer
    maximum reductions, which vectorise, instead of a test per unit. See
    :func:`weights_cells_ok`."""
    wm = np.uint64(0)
    for r in range(m):
        wm = max(wm, wbits[i0 + r])
    cm = np.uint64(0)
    mm = np.uint64(0)
    if cell_major.shape[0] > 0:
        for r in range(m):
            q = cell[i0 + r] - cell_offset
            mm = max(mm, np.uint64(q))
            cm = max(cm, np.uint64(q + cell_major[i0 + r] * n_minor - c_first))
    else:
        for r in range(m):
            cm = max(cm, np.uint64(cell[i0 + r] - cell_offset - c_first))
    return wm, cm, mm


@kernel(inline="always")
def weights_cells_ok(wm, cm, mm, span, u_minor):
    """Whether maxima from :func:`weights_cells_max` (or the same reductions elsewhere)
    show every weight finite and >= 0 (not -0.0: such a block takes the checked loop,
    which sums the same), every cell in the chunk's ``span`` cells and every minor code
    below ``u_minor`` (1 without major codes)."""
    return wm < W_BITS_END and cm < span and mm < u_minor
