"""Saltelli design and Sobol estimators (mpi.composites.sobol) against exact indices."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mpi.composites.sobol import factor_columns, saltelli_sample, sobol_indices
from mpi.errors import ValidationError


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    z = -np.pi + 2 * np.pi * x
    return np.sin(z[:, 0]) + a * np.sin(z[:, 1]) ** 2 + b * z[:, 2] ** 4 * np.sin(z[:, 0])


def mc_se(y: np.ndarray, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo standard errors of the S_i and ST_i estimates (CLT over the N rows)."""
    ya, yb, yab = y[:n], y[n : 2 * n], y[2 * n :].reshape(d, n)
    var = np.var(y[: 2 * n], ddof=1)
    se_s = ((yb - y[: 2 * n].mean()) * (yab - ya)).std(axis=1, ddof=1) / np.sqrt(n) / var
    se_st = ((ya - yab) ** 2 / 2).std(axis=1, ddof=1) / np.sqrt(n) / var
    return se_s, se_st


def test_design_blocks() -> None:
    rng = np.random.default_rng(1)
    x = saltelli_sample(5, 3, rng)
    assert x.shape == (25, 3)
    base = np.random.default_rng(1).random((5, 6))
    a, b = base[:, :3], base[:, 3:]
    assert np.array_equal(x[:5], a) and np.array_equal(x[5:10], b)
    for i in range(3):
        block = x[(2 + i) * 5 : (3 + i) * 5]
        others = [j for j in range(3) if j != i]
        assert np.array_equal(block[:, i], b[:, i])
        assert np.array_equal(block[:, others], a[:, others])
    assert ((x >= 0) & (x < 1)).all()


def test_design_groups() -> None:
    x = saltelli_sample(4, [1, 3, 2], np.random.default_rng(2))
    assert x.shape == (4 * 5, 6)
    assert factor_columns([1, 3, 2]) == [slice(0, 1), slice(1, 4), slice(4, 6)]
    a, b = x[:4], x[4:8]
    ab2 = x[12:16]  # the group of columns 1..3 from B
    assert np.array_equal(ab2[:, 1:4], b[:, 1:4])
    assert np.array_equal(ab2[:, [0, 4, 5]], a[:, [0, 4, 5]])


def test_ishigami() -> None:
    n = 2**14
    x = saltelli_sample(n, 3, np.random.default_rng(12345))
    y = ishigami(x)
    res = sobol_indices(y, n, 3)
    exact_s = np.array([0.3139, 0.4424, 0.0])
    exact_st = np.array([0.5576, 0.4424, 0.2437])
    se_s, se_st = mc_se(y, n, 3)
    assert (se_s < 0.02).all() and (se_st < 0.015).all()  # the test can fail
    assert (np.abs(res.first - exact_s) < 4 * se_s + 1e-4).all()
    assert (np.abs(res.total - exact_st) < 4 * se_st + 1e-4).all()
    assert res.first.shape == (3,) and res.variance.shape == ()
    # exact variance a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2
    v = 49 / 8 + 0.1 * np.pi**4 / 5 + 0.01 * np.pi**8 / 18 + 0.5
    assert abs(float(res.variance) - v) / v < 0.02


def test_bootstrap_interval_covers_exact() -> None:
    n = 2**12
    x = saltelli_sample(n, 3, np.random.default_rng(7))
    res = sobol_indices(ishigami(x), n, 3, bootstrap=300, level=0.99, rng=3)
    assert res.first_ci is not None and res.total_ci is not None
    assert res.first_ci.shape == (2, 3) and res.n_bootstrap == 300
    assert (res.first_ci[0] <= res.first).all() and (res.first <= res.first_ci[1]).all()
    exact_st = np.array([0.5576, 0.4424, 0.2437])
    assert (res.total_ci[0] < exact_st).all() and (exact_st < res.total_ci[1]).all()
    # same seed, same intervals
    again = sobol_indices(ishigami(x), n, 3, bootstrap=300, level=0.99, rng=3)
    assert np.array_equal(again.first_ci, res.first_ci)


def test_discrete_factors_exact_enumeration() -> None:
    levels = (3, 4, 2)
    table = np.random.default_rng(0).normal(size=levels)  # f on the grid, with interactions
    table += np.arange(3)[:, None, None] * 1.5  # and a main effect of X1

    def model(u: np.ndarray) -> np.ndarray:
        idx = [np.minimum((u[:, j] * k).astype(np.int64), k - 1) for j, k in enumerate(levels)]
        return table[tuple(idx)]

    # exact indices by full enumeration of the (uniform) grid
    var = table.var()
    exact_s, exact_st = [], []
    for j in range(3):
        others = tuple(i for i in range(3) if i != j)
        exact_s.append(table.mean(axis=others).var() / var)
        exact_st.append(table.var(axis=j).mean() / var)
    assert sum(exact_s) <= 1 <= sum(exact_st)
    n = 2**14
    y = model(saltelli_sample(n, 3, np.random.default_rng(99)))
    res = sobol_indices(y, n, 3)
    se_s, se_st = mc_se(y, n, 3)
    assert (se_s < 0.03).all() and (se_st < 0.01).all()
    assert (np.abs(res.first - exact_s) < 4 * se_s).all()
    assert (np.abs(res.total - exact_st) < 4 * se_st).all()
    # the mapping of uniforms to levels is uniform: every cell is hit equally often
    hits = {c: 0 for c in itertools.product(*(range(k) for k in levels))}
    u = saltelli_sample(n, 3, np.random.default_rng(99))[:n]
    for c in zip(
        *[np.minimum((u[:, j] * k).astype(int), k - 1) for j, k in enumerate(levels)], strict=True
    ):
        hits[c] += 1
    assert abs(min(hits.values()) / n - 1 / table.size) < 0.01


def test_additive_first_equals_total() -> None:
    n = 2**13
    x = saltelli_sample(n, 4, np.random.default_rng(5))
    coef = np.array([1.0, 2.0, 0.5, 0.0])
    y = x @ coef
    res = sobol_indices(y, n, 4)
    exact = coef**2 / (coef**2).sum()
    # additive: S_i == ST_i == exact share of variance (within MC error)
    se_s, se_st = mc_se(y, n, 4)
    assert (np.abs(res.first - res.total) <= 4 * np.hypot(se_s, se_st)).all()
    assert (np.abs(res.first - exact) <= 4 * se_s).all()
    assert (np.abs(res.total - exact) <= 4 * se_st).all()
    assert (se_s[:3] > 0).all() and (se_s < 0.05).all()
    assert res.total[3] == 0.0  # a factor with no effect has f_A == f_ABi exactly


def test_vectorised_over_outputs_matches_one_at_a_time() -> None:
    n = 512
    x = saltelli_sample(n, 3, np.random.default_rng(8))
    y = np.stack([ishigami(x), x[:, 0] + x[:, 1] ** 2, np.zeros(len(x))], axis=1)
    y = np.stack([y, 2 * y], axis=2)  # (runs, 3, 2)
    res = sobol_indices(y, n, 3, bootstrap=20, rng=4)
    assert res.first.shape == (3, 3, 2) and res.first_ci is not None
    assert res.first_ci.shape == (2, 3, 3, 2)
    for k in range(2):
        one = sobol_indices(y[:, k, 0], n, 3)
        np.testing.assert_allclose(res.first[:, k, 0], one.first, rtol=1e-12)
        np.testing.assert_allclose(res.total[:, k, 0], one.total, rtol=1e-12)
    # scale invariance across the last axis; a constant output has NaN indices, no warning
    np.testing.assert_allclose(res.first[:, :2, 1], res.first[:, :2, 0], rtol=1e-12)
    assert np.isnan(res.first[:, 2]).all() and np.isnan(res.total[:, 2]).all()


def test_shift_invariant() -> None:
    # the first-order estimator works on the centred output: adding 1000 (ranks) changes nothing
    n = 1024
    x = saltelli_sample(n, 3, np.random.default_rng(11))
    y = ishigami(x)
    a, b = sobol_indices(y, n, 3), sobol_indices(y + 1000.0, n, 3)
    np.testing.assert_allclose(b.first, a.first, atol=1e-9)
    np.testing.assert_allclose(b.total, a.total, atol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"y": np.zeros(10), "n": 4, "d": 2}, "N \\(d \\+ 2\\)"),
        ({"y": np.zeros(16), "n": 4, "d": 2, "bootstrap": 5}, "rng"),
        ({"y": np.zeros(16), "n": 4, "d": 2, "level": 1.5}, "level"),
        ({"y": np.zeros(16), "n": 1, "d": 2}, "n \\(the number"),
        ({"y": np.zeros(16), "n": 4, "d": 0}, "d \\(the number"),
        ({"y": np.zeros(16), "n": 4, "d": 2, "bootstrap": -1}, "bootstrap"),
    ],
)
def test_bad_input(kwargs: dict, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        sobol_indices(**kwargs)


def test_bad_design_input() -> None:
    with pytest.raises(ValidationError, match="rng"):
        saltelli_sample(4, 2, 0)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="sizes"):
        saltelli_sample(4, [], np.random.default_rng(0))
    with pytest.raises(ValidationError, match="sizes"):
        saltelli_sample(4, [1, 0], np.random.default_rng(0))
