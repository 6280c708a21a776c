"""int64 columns narrowed to int8 in one pass (:func:`mpi.kernels.columns.int8_or_none`), as
``mpi.measure`` does with 0/1 flags and small codes read from a CSV file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mpi
from mpi.kernels.columns import int8_or_none


@pytest.mark.parametrize(
    "values",
    [[0, 1, 1, 0], [-128, 127, 0], [5], [3, 3, 3], list(range(-128, 128))],
    ids=["flags", "bounds", "one", "constant", "every int8"],
)
def test_in_range_is_the_int8_copy(values) -> None:
    arr = np.array(values, np.int64)
    before = arr.copy()
    out = int8_or_none(arr)
    assert out is not None and out.dtype == np.int8
    np.testing.assert_array_equal(out, arr.astype(np.int8))
    np.testing.assert_array_equal(arr, before)  # the input is not changed


@pytest.mark.parametrize("bad", [128, -129, 256, 2**40, -(2**63)], ids=str)
@pytest.mark.parametrize("at", [0, 500, 999], ids=["first", "middle", "last"])
def test_one_value_out_of_range_gives_none(bad, at) -> None:
    arr = np.zeros(1000, np.int64)
    arr[at] = bad  # wraps to an int8 value in the copy: only the range can tell
    assert int8_or_none(arr) is None


def test_empty_read_only_and_strided() -> None:
    assert int8_or_none(np.empty(0, np.int64)).shape == (0,)
    arr = np.arange(20, dtype=np.int64)
    ro = arr.view()
    ro.flags.writeable = False
    np.testing.assert_array_equal(int8_or_none(ro), arr)
    np.testing.assert_array_equal(int8_or_none(arr[::3]), arr[::3])


def test_measure_on_int64_flags_equals_float_flags() -> None:
    rng = np.random.default_rng(4)
    n = 30_000
    flags = {f"d{j}": (rng.random(n) < 0.2 + 0.05 * j).astype(np.int64) for j in range(4)}
    df = pd.DataFrame({**flags, "w": rng.uniform(0.5, 2, n), "g": rng.integers(0, 3, n)})
    big = df.copy()
    big.loc[7, "d2"] = 300  # outside int8 and not 0/1: refused as a flag value either way
    spec = mpi.Spec.from_dimensions({"a": ["d0", "d1"], "b": ["d2", "d3"]}, k="1/2")
    as_int = mpi.measure(df, spec, weight="w", by="g").to_dataset()
    as_float = mpi.measure(df.astype({c: float for c in flags}), spec, weight="w", by="g")
    for v in ("H", "A", "M0"):
        np.testing.assert_array_equal(as_int[v].values, as_float.to_dataset()[v].values)
    with pytest.raises(mpi.errors.DataError, match="300"):
        mpi.measure(big, spec, weight="w", by="g")
