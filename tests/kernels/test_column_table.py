"""The AF kernel's columns read through their addresses (:class:`mpi.kernels.columns.ColumnTable`):
the same values as the arrays, checked inputs, and a view that never copies."""

from __future__ import annotations

import numpy as np
import pytest

from mpi.kernels import columns as kc
from mpi.kernels._config import kernel


@kernel
def _column_sums(table):
    out = np.zeros(table.addresses.shape[0])
    for j in range(table.addresses.shape[0]):
        col = kc.column(table, j)
        for i in range(col.shape[0]):
            out[j] += col[i]
    return out


@kernel
def _one_value(table, j, i):
    return kc.column(table, j)[i]


@pytest.mark.parametrize("dtype", [np.float64, np.int8])
def test_kernel_reads_each_column_through_its_address(dtype) -> None:
    rng = np.random.default_rng(3)
    cols = [rng.integers(0, 2, 1001).astype(dtype) for _ in range(7)]
    table, arrays = kc.column_table(cols)
    assert table.n == 1001 and table.addresses.shape == (7,)
    assert table.like.dtype == dtype and table.like.size == 0
    got = _column_sums(table)
    np.testing.assert_array_equal(got, [c.sum() for c in cols])
    assert _one_value(table, 4, 17) == cols[4][17]
    # read-only views of the inputs, never copies; the inputs stay writable
    for a, c in zip(arrays, cols, strict=True):
        assert np.shares_memory(a, c) and not a.flags.writeable
        assert c.flags.writeable
    assert not table.addresses.flags.writeable


def test_column_table_follows_a_slice_view() -> None:
    """A contiguous slice of a larger array is read from its own first value."""
    base = np.arange(20, dtype=np.float64)
    table, _ = kc.column_table([base[5:15], base[10:20]])
    np.testing.assert_array_equal(_column_sums(table), [base[5:15].sum(), base[10:20].sum()])


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ([], "at least one column"),
        ([np.zeros(3), np.zeros(4)], "column 1 has 4 values and column 0 has 3"),
        ([np.zeros(3), np.zeros(3, np.int8)], "every column must be 1-D, C-contiguous and float64"),
        ([np.zeros(6)[::2]], "C-contiguous"),
        ([np.zeros((2, 3))], "2-D"),
    ],
)
def test_column_table_rejects_bad_columns(columns, message) -> None:
    with pytest.raises(ValueError, match=message):
        kc.column_table(columns)
