"""How the kernels take their ``d`` indicator columns (numpy + numba only).

A tuple of columns would make ``d`` part of the type (a new compilation of the whole kernel
per number of indicators). A ``numba.typed.List`` of them brings numba's list internals into
every compilation (with an empty cache, the first ``panel_states`` call compiled 18 of
numba's own functions with a typed List and 10 without: 4.9 s against 4.3 s), and each item
read adds and removes a reference to the column, an atomic operation on a counter the
threads share. So the kernels (the AF kernel, :func:`.af.af_statistics`, and the panel
kernels, :func:`.panel.panel_scores`) take a :class:`ColumnTable`: the columns' addresses,
one empty array of their dtype and their length, read in a kernel with :func:`column`. No
reference count is touched, so the threads share nothing while they read, and ``d`` is not
part of a compiled signature.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numba as nb
import numpy as np
from numba import types
from numba.extending import intrinsic

from ._config import kernel

__all__ = ["ColumnTable", "column_table", "column", "readonly_view", "int_range", "int8_or_none"]


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


def _checked(columns: Any) -> list[np.ndarray]:
    """The columns as read-only views, checked: at least one, each 1-D, C-contiguous and of
    the first one's dtype."""
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
    return cols


class ColumnTable(NamedTuple):
    """The indicator columns as the kernels read them without a typed List: the address of
    each column's first value, one empty array of their dtype and their length.

    A kernel takes column ``j`` as :func:`column` ``(table, j)``, a view built from the
    address: no reference count is touched, where each read of a typed List's item adds
    and removes a reference to the column, an atomic operation on a counter the threads
    share (at 1e7 units in blocks of 512, a third of the AF pass went there). The type
    holds the dtype only, so ``d`` is not part of a compiled signature.

    The table does not keep the columns alive: whoever builds it holds the arrays until
    the kernel returns (:func:`column_table` returns them with it).
    """

    addresses: np.ndarray
    like: np.ndarray
    n: int


def column_table(columns: Any) -> tuple[ColumnTable, list[np.ndarray]]:
    """The columns as a :class:`ColumnTable`, with the arrays it points into.

    Parameters
    ----------
    columns : sequence of numpy.ndarray
        One 1-D C-contiguous column per indicator, all of one dtype (float64 or int8) and
        length; never copied.

    Returns
    -------
    table : ColumnTable
        Addresses (read-only uint64[d]), an empty read-only array of the columns' dtype and
        the length.
    arrays : list of numpy.ndarray
        The columns (read-only views): keep this list alive while a kernel reads ``table``.

    Raises
    ------
    ValueError
        When ``columns`` is empty, or the columns differ in dtype or length or are not
        1-D and C-contiguous.
    """
    arrays = _checked(columns)
    n = arrays[0].shape[0]
    for j, c in enumerate(arrays):
        if c.shape[0] != n:
            raise ValueError(
                f"column {j} has {c.shape[0]} values and column 0 has {n}: every column "
                "must have one value per unit"
            )
    addresses = readonly_view(np.array([c.ctypes.data for c in arrays], np.uint64))
    like = readonly_view(np.empty(0, arrays[0].dtype))
    return ColumnTable(addresses, like, int(n)), arrays


@intrinsic
def _pointer_to(typingctx, address, like):
    """``address`` (an integer) as a pointer to ``like``'s dtype."""
    if not isinstance(like, types.Array):
        return None
    sig = types.CPointer(like.dtype)(address, like)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], context.get_value_type(signature.return_type))

    return sig, codegen


@kernel(inline="always")
def column(table, j):
    """Column ``j`` of a :class:`ColumnTable` (a C-contiguous view of its ``n`` values;
    the kernels only read it)."""
    return nb.carray(_pointer_to(table.addresses[j], table.like), table.n)


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


@kernel
def _to_int8(arr, out):
    """``out[i] = arr[i]`` cut to int8 (a value outside ``[-128, 127]`` wraps) and
    ``(min, max)`` of a non-empty int64 array, in one vectorisable pass."""
    lo = arr[0]
    hi = arr[0]
    for i in range(arr.shape[0]):
        v = arr[i]
        lo = min(lo, v)
        hi = max(hi, v)
        out[i] = np.int8(v)
    return lo, hi


def int8_or_none(arr: np.ndarray) -> np.ndarray | None:
    """An int64 array as a new int8 array when every value lies in ``[-128, 127]``, else
    None: the range and the copy in one pass (numpy's ``min()``, ``max()`` and
    ``astype(np.int8)`` read it three times: 0/1 flags read from a CSV file are int64).

    Parameters
    ----------
    arr : numpy.ndarray
        1-D int64 values (read in place, never changed).

    Returns
    -------
    numpy.ndarray or None
        The values as int8 (a new array), or None when one is outside ``[-128, 127]``.

    Examples
    --------
    >>> import numpy as np
    >>> from mpi.kernels.columns import int8_or_none
    >>> int8_or_none(np.array([0, 1, 1, -3]))
    array([ 0,  1,  1, -3], dtype=int8)
    >>> int8_or_none(np.array([0, 1, 200])) is None
    True
    """
    arr = readonly_view(np.ascontiguousarray(arr, dtype=np.int64))
    out = np.empty(arr.shape[0], np.int8)
    if arr.shape[0] == 0:
        return out
    lo, hi = _to_int8(arr, out)
    return out if -128 <= lo and hi <= 127 else None
