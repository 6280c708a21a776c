"""The kernels' software prefetch (:func:`mpi.kernels.prefetch.prefetch`): a hint that is
compiled to the processor's prefetch instruction and changes nothing else."""

from __future__ import annotations

import platform

import numba as nb
import numpy as np
import pytest
from numba.core.errors import TypingError

from mpi.kernels.prefetch import prefetch


@nb.njit(cache=False)
def _sum_with_prefetch(a, ahead):
    s = 0.0
    n = a.shape[0]
    for i in range(n):
        if (i & 7) == 0:
            prefetch(a, min(i + ahead, n - 1))
        s += a[i]
    return s


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int8, np.int64])
def test_values_are_unchanged_for_any_dtype_and_layout(dtype) -> None:
    a = (np.arange(10_000) % 97).astype(dtype)
    ro = a.view()
    ro.flags.writeable = False
    strided = a[::3]
    for arr in (a, ro, strided):
        before = arr.copy()
        assert _sum_with_prefetch(arr, 512) == float(arr.astype(np.float64).sum())
        np.testing.assert_array_equal(arr, before)


@pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64"),
    reason="the instruction checked (prefetcht0) is x86-64's; other processors have their own",
)
def test_compiles_to_the_prefetch_instruction() -> None:
    a = np.arange(100.0)
    _sum_with_prefetch(a, 8)
    asm = _sum_with_prefetch.inspect_asm(_sum_with_prefetch.signatures[0])
    assert "prefetcht0" in asm


def test_a_non_array_is_refused() -> None:
    @nb.njit(cache=False)
    def bad(x):
        prefetch(x, 0)

    with pytest.raises(TypingError):
        bad(1.0)
