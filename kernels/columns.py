"""The kernels' list of indicator columns, built by a cached kernel (numpy + numba only).

The AF and panel kernels take their ``d`` indicator columns as one ``numba.typed.List`` (a
tuple would make ``d`` part of the type: a new compilation of the whole kernel per number of
indicators). Built in Python (``List()``, ``.append``), a typed List compiles numba's own
list internals in every process (about half a second; numba does not cache them); built here,
by a kernel taking the columns as ``*cols``, those internals are compiled once into this
kernel and kept in its disk cache with it. The builder is specialised per ``(dtype, d)``,
a small function (about 0.3 s to compile, then loaded from the cache).

Never index the returned list from Python (``cols[0]`` there compiles numba's ``getitem``
again): pass lengths alongside it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba.typed import List

from ._config import kernel

__all__ = ["column_list", "readonly_view", "int_range"]


@kernel
def _build(*cols):
    """The columns ``cols`` (a tuple of arrays of one type) as a typed List."""
    out = List()
    for c in cols:
        out.append(c)
    return out


def readonly_view(arr: np.ndarray) -> np.ndarray:
    """A read-only view of ``arr`` (no copy): every input a kernel only reads is passed
    read-only, so that one compiled specialisation serves every caller (numba types a
    read-only array differently from a writable one).

    Parameters
    ----------
    arr : numpy.ndarray
        The array.

    Returns
    -------
    numpy.ndarray
        ``arr`` itself when already read-only, else a read-only view of it.
    """
    if not arr.flags.writeable:
        return arr
    view = arr.view()
    view.flags.writeable = False
    return view


def column_list(columns: Any) -> Any:
    """The indicator columns as the ``numba.typed.List`` the kernels take.

    Parameters
    ----------
    columns : sequence of numpy.ndarray
        One 1-D C-contiguous column per indicator, all of one dtype (float64 or int8) and
        length; each is passed read-only (a view, never a copy).

    Returns
    -------
    numba.typed.List
        The columns, in order.

    Raises
    ------
    ValueError
        When ``columns`` is empty, or the columns differ in dtype or are not 1-D and
        C-contiguous.
    """
    cols = [readonly_view(np.asarray(c)) for c in columns]
    if not cols:
        raise ValueError("columns must hold at least one column")
    dtype = cols[0].dtype
    for j, c in enumerate(cols):
        if c.ndim != 1 or not c.flags.c_contiguous or c.dtype != dtype:
            raise ValueError(
                f"column {j} is {c.ndim}-D {c.dtype} (contiguous: {c.flags.c_contiguous}); "
                f"every column must be 1-D, C-contiguous and {dtype}: pass "
                "np.ascontiguousarray(column, dtype)"
            )
    return _build(*cols)


@kernel
def _int_range(arr):
    """``(min, max)`` of a non-empty int64 array in one pass."""
    lo = arr[0]
    hi = arr[0]
    for i in range(1, arr.shape[0]):
        v = arr[i]
        lo = min(lo, v)
        hi = max(hi, v)
    return lo, hi


def int_range(arr: np.ndarray) -> tuple[int, int]:
    """Smallest and largest value of an int64 array in one pass over it (numpy's ``min()``
    then ``max()`` read it twice: 11 ms of a 1e7-unit ``mpi.measure``).

    Parameters
    ----------
    arr : numpy.ndarray
        1-D int64 values (read-only arrays are read in place).

    Returns
    -------
    tuple of int
        ``(min, max)``; ``(0, 0)`` for an empty array.
    """
    arr = np.ascontiguousarray(arr, dtype=np.int64)
    if arr.size == 0:
        return 0, 0
    lo, hi = _int_range(readonly_view(arr))
    return int(lo), int(hi)
