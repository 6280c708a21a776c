"""mpi.survey.bootstrap: the Rao-Wu and unit bootstrap factors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mpi
from mpi.survey.bootstrap import (
    iter_unit_bootstrap_factors,
    rao_wu_factors,
    unit_bootstrap_factors,
)


def _reference_rao_wu(n_h, starts, fpc, replicates, seed):
    """The formula written out PSU by PSU (same generator calls, stratum by stratum)."""
    rng = np.random.default_rng(seed)
    out = np.ones((replicates, int(np.sum(n_h))))
    for h, (lo, n) in enumerate(zip(starts, n_h, strict=True)):
        if n < 2:
            continue
        draws = rng.integers(0, n, size=(replicates, n - 1))
        lam = np.sqrt(fpc[h])
        for b in range(replicates):
            for i in range(n):
                m = int((draws[b] == i).sum())
                out[b, lo + i] = 1.0 - lam + lam * m * n / (n - 1)
    return out


def test_rao_wu_matches_the_formula():
    n_h = np.array([3, 1, 5, 2])
    starts = np.r_[0, np.cumsum(n_h)[:-1]]
    fpc = np.array([1.0, 0.5, 0.9, 1.0])
    got = rao_wu_factors(n_h, starts, fpc, 40, seed=7)
    np.testing.assert_allclose(got, _reference_rao_wu(n_h, starts, fpc, 40, 7), rtol=1e-15)
    assert got.shape == (40, 11)
    assert (got[:, 3] == 1.0).all()  # the lone PSU


def test_rao_wu_without_fpc_has_mean_one_per_stratum():
    n_h = np.array([4, 6])
    f = rao_wu_factors(n_h, [0, 4], [1.0, 1.0], 30, seed=3)
    np.testing.assert_allclose(f[:, :4].sum(axis=1), 4.0)
    np.testing.assert_allclose(f[:, 4:].sum(axis=1), 6.0)
    assert (f >= 0).all()


def test_rao_wu_seed_and_generator():
    a = rao_wu_factors([3, 3], [0, 3], [1.0, 1.0], 5, seed=11)
    b = rao_wu_factors([3, 3], [0, 3], [1.0, 1.0], 5, seed=np.random.default_rng(11))
    c = rao_wu_factors([3, 3], [0, 3], [1.0, 1.0], 5, seed=12)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_rao_wu_n_psu_override_leaves_trailing_psus_at_one():
    f = rao_wu_factors([2], [0], [1.0], 3, seed=0, n_psu=4)
    assert f.shape == (3, 4) and (f[:, 2:] == 1.0).all()


def test_measure_bootstrap_uses_these_factors():
    df = pd.DataFrame(
        {
            "d1": [1, 0, 1, 1, 0, 0, 1, 0],
            "d2": [1, 1, 0, 0, 1, 0, 0, 1],
            "s": [1, 1, 1, 1, 2, 2, 2, 2],
            "psu": [1, 1, 2, 3, 4, 4, 5, 6],
            "w": 1.0,
        }
    )
    spec = mpi.Spec.from_dimensions({"x": ["d1", "d2"]}, k=0.5)
    design = mpi.Design("w", strata="s", psu="psu").bootstrap(20, seed=5)
    res = mpi.measure(df, spec, design=design)
    f = rao_wu_factors([3, 3], [0, 3], [1.0, 1.0], 20, seed=5)
    # H of every replicate from the factors by hand: PSU totals of the poor and of the weights
    c = (df["d1"] + df["d2"]) / 2
    poor = (c >= 0.5).astype(float).groupby(df["psu"]).sum().values
    sumw = df.groupby("psu")["w"].sum().values
    reps = (f @ poor) / (f @ sumw)
    se = np.sqrt(((reps - reps.mean()) ** 2).sum() / (20 - 1))  # mse=False: around the mean
    assert float(res.se.H) == pytest.approx(se, rel=1e-12)


def test_unit_factors_are_multinomial_frequencies():
    f = unit_bootstrap_factors(7, 6, seed=2)
    assert f.shape == (6, 7) and f.dtype == np.float64
    np.testing.assert_array_equal(f.sum(axis=1), 7.0)
    rng = np.random.default_rng(2)
    for row in f:
        expected = np.bincount(rng.integers(0, 7, 7), minlength=7)
        np.testing.assert_array_equal(row, expected)


def test_unit_factors_iterator_and_array_agree():
    rows = list(iter_unit_bootstrap_factors(9, 4, np.random.default_rng(1)))
    assert np.array_equal(np.stack(rows), unit_bootstrap_factors(9, 4, seed=1))
