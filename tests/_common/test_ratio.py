"""mpi._common.ratio: the one safe ratio (NaN where the denominator is 0)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from mpi._common.ratio import ratio


def test_zero_denominator_is_nan_whatever_the_numerator():
    out = ratio([0.0, 1.0, -1.0, np.inf, np.nan, 2.0], [0.0, 0.0, 0.0, 0.0, 0.0, -0.0])
    assert np.isnan(out).all()


def test_nonzero_denominators_divide_as_ieee():
    num = np.array([1.0, 3.0, np.nan, 1.0, 5.0, np.inf, 2.0])
    den = np.array([4.0, -2.0, 2.0, np.nan, np.inf, np.inf, 3.0])
    with np.errstate(all="ignore"):
        expected = num / den
    np.testing.assert_array_equal(ratio(num, den), expected)  # NaN where both are NaN


def test_no_warning_and_float64():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ratio(np.array([1, 2], np.int64), np.array([0, 3], np.int64))
        extreme = ratio([np.inf, 1e300], [np.inf, 1e-300])  # invalid and overflow: quiet
    assert out.dtype == np.float64
    assert np.isnan(out[0]) and out[1] == 2 / 3
    assert np.isnan(extreme[0]) and extreme[1] == np.inf


def test_float32_divides_in_double_precision():
    out = ratio(np.float32(1), np.float32(3))
    assert out.dtype == np.float64 and float(out) == 1 / 3


def test_scalars_give_a_0d_array_and_broadcasting_works():
    out = ratio(1, 0)
    assert isinstance(out, np.ndarray) and out.shape == () and np.isnan(out)
    grid = ratio(np.arange(3.0)[:, None], np.array([0.0, 2.0]))
    assert grid.shape == (3, 2)
    assert np.isnan(grid[:, 0]).all()
    np.testing.assert_array_equal(grid[:, 1], [0.0, 0.5, 1.0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bit_identical_to_numpy_division_where_defined(seed):
    rng = np.random.default_rng(seed)
    num = rng.normal(size=(50, 7))
    den = rng.normal(size=(50, 7))
    den[rng.random(den.shape) < 0.2] = 0.0
    out = ratio(num, den)
    ok = den != 0
    assert np.array_equal(out[ok], num[ok] / den[ok])
    assert np.isnan(out[~ok]).all()
