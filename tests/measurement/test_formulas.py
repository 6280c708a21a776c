"""mpi.measurement.formulas: one table of AF formulas for the point estimates and the SEs.

The Dataset of :meth:`mpi.MeasureResult.to_dataset` (``finalize``, numpy arrays) and the
:class:`mpi.Estimate` values behind ``se``/``ci`` (``estimates``, linearised totals) are two
evaluations of the same :data:`FORMULAS`: every formula is produced by both, patching one
formula in the table changes both, and the two agree.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi
from mpi.measurement.estimands import ESTIMANDS, PROPORTIONS, estimates
from mpi.measurement.finalize import finalize
from mpi.measurement.formulas import (
    COMBINED,
    FORMULAS,
    ArrayOps,
    Formula,
    Labeled,
    Terms,
    aligned,
    dimension_membership,
    evaluate,
    formula_names,
)


def _survey(seed: int = 0, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({f"d{j}": (rng.random(n) < 0.3 + 0.1 * j).astype(int) for j in range(4)})
    df["x"] = rng.uniform(0, 2, n)  # a cardinal indicator (M1, M2 differ from M0)
    df["g"] = rng.choice(["a", "b", "c"], n)
    df.loc[rng.random(n) < 0.05, "g"] = None  # units with a missing group
    df["s"] = rng.integers(0, 4, n)
    df["psu"] = df["s"] * 10 + rng.integers(0, 5, n)
    df["w"] = rng.uniform(0.5, 2.0, n)
    return df


SPEC = mpi.Spec(
    [
        mpi.Indicator("d0", dimension="A", weight="1/6"),
        mpi.Indicator("d1", dimension="A", weight="1/6"),
        mpi.Indicator("d2", dimension="B", weight="1/6"),
        mpi.Indicator("d3", dimension="B", weight="1/6"),
        mpi.Indicator("x", cutoff=1.0, dimension="C", weight="1/3"),
    ],
    k="1/3",
    severe="1/2",
)


def _measure(**kw) -> mpi.MeasureResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        return mpi.measure(
            _survey(), SPEC, by="g", design=mpi.Design("w", strata="s", psu="psu"), **kw
        )


def _estimates(res: mpi.MeasureResult) -> dict[str, mpi.Estimate]:
    return estimates(
        res.statistics,
        res.inference,
        res.spec,
        missing=res.missing,
        k_dim=res.k_dim,
        cell_dims=res.cell_dims,
        above_severe=res.above_severe,
        missing_group=res.missing_group_statistics,
    )


@pytest.mark.parametrize("k", [None, ["1/5", "1/3", "3/5"]])
def test_every_formula_is_produced_by_both_paths(k):
    res = _measure(**({"k": k} if k else {}))
    ds = res.to_dataset()
    ests = _estimates(res)
    assert list(ests) == list(FORMULAS)  # the estimates: every formula, in table order
    published = [n for n, f in FORMULAS.items() if f.in_dataset]
    assert [n for n in ds.data_vars if n in FORMULAS] == published
    assert list(ESTIMANDS) == published
    assert set(res.se.data_vars) == set(published)


def test_the_array_path_also_evaluates_every_formula():
    res = _measure()
    terms = Terms(
        lambda name, t: (
            Labeled.of(res.statistics.variables[name])
            if name not in COMBINED
            else Labeled.of(res.statistics[name.split("_")[0]].sum("g"))
        ),
        ArrayOps(),
        membership=dimension_membership(SPEC),
        above_severe=None,
    )
    out = evaluate(terms, formula_names(groups=True))
    assert list(out) == list(FORMULAS)
    # absolute contributions (an estimand only) sum to M0 over the indicators
    np.testing.assert_allclose(
        out["absolute_contribution"].values.sum(axis=-1), out["M0"].values, rtol=1e-14
    )


def test_group_formulas_only_with_groups():
    names = formula_names(groups=False)
    assert "population_share" not in names and "group_contribution" not in names
    assert set(formula_names(groups=True)) - set(names) == {
        "population_share",
        "group_contribution",
    }


@pytest.mark.parametrize("k", [None, ["1/5", "1/3", "3/5"]])
def test_the_two_paths_agree(k):
    res = _measure(**({"k": k} if k else {}))
    ds = res.to_dataset()
    for name, est in _estimates(res).items():
        if name not in ds:
            continue
        value = est.value.transpose(*ds[name].dims)
        np.testing.assert_allclose(value.values, ds[name].values, rtol=1e-15, atol=1e-16)
        ci = res.ci()[name]
        assert ((ci.sel(bound="lower") <= ds[name] + 1e-12) | ds[name].isnull()).all()


def test_a_patched_formula_changes_both_outputs(monkeypatch):
    before = _measure()  # results are lazy: read them before the table changes
    m0, m0_est, m0_se, h = before.M0, before.estimate("M0").value, before.se.M0, before.H
    old = FORMULAS["M0"]
    patched = Formula("M0", old.needs, lambda t, ops: old.fn(t, ops) * 2.0)
    monkeypatch.setitem(FORMULAS, "M0", patched)
    after = _measure()
    np.testing.assert_allclose(after.M0.values, 2 * m0.values, rtol=1e-15)
    np.testing.assert_allclose(after.estimate("M0").value.values, 2 * m0_est.values, rtol=1e-15)
    np.testing.assert_allclose(after.se.M0.values, 2 * m0_se.values, rtol=1e-14)
    xr.testing.assert_identical(after.H, h)  # the others are untouched


def test_a_new_formula_reaches_both_outputs(monkeypatch):
    ratio_a = Formula("M0_over_H", ("M0", "H"), lambda t, ops: ops.ratio(t.M0, t.H))
    monkeypatch.setitem(FORMULAS, ratio_a.name, ratio_a)
    monkeypatch.setattr(
        "mpi.measurement.finalize.VARIABLE_ATTRS",
        {**mpi.measurement.finalize.VARIABLE_ATTRS, "M0_over_H": {"long_name": "M0 / H"}},
    )
    res = _measure()
    ds = res.to_dataset()
    np.testing.assert_allclose(ds["M0_over_H"].values, ds["A"].values, rtol=1e-14)
    est = _estimates(res)["M0_over_H"]
    np.testing.assert_allclose(est.se, res.se["A"].values, rtol=1e-10)


def test_formulas_read_only_what_they_declare():
    res = _measure(k=["1/5", "1/3", "3/5"])
    stats = res.statistics

    def needs_closure(name: str) -> set[str]:
        out: set[str] = set()
        for need in FORMULAS[name].needs:
            if need in FORMULAS and need != name:
                out |= needs_closure(need)
            else:
                out.add(need)
        return out

    for name in FORMULAS:
        read: set[str] = set()

        def fetch(stat: str, t: Terms, read=read) -> Labeled:
            read.add(stat)
            if stat in COMBINED:
                return Labeled.of(stats[stat.split("_")[0]].sum("g"))
            return Labeled.of(stats.variables[stat])

        above = np.array([False, True, True])
        terms = Terms(fetch, ArrayOps(), membership=dimension_membership(SPEC), above_severe=above)
        terms[name]
        allowed = needs_closure(name) - {"membership", "above_severe"}
        assert read <= allowed, (name, read - allowed)


def test_proportions_are_the_bounded_estimands():
    assert set(ESTIMANDS) - PROPORTIONS == {"intensity_variance"}


def test_finalize_adds_group_shares_like_the_result():
    res = _measure()
    stats = res.statistics
    ds = finalize(
        stats,
        dimension_membership(SPEC),
        res.above_severe,
        group_dims=["g"],
        missing_group=res.missing_group_statistics,
    )
    ref = res.to_dataset()
    for name in ("population_share", "group_contribution"):
        got = ds[name].squeeze("k", drop=True) if "k" in ds[name].dims else ds[name]
        np.testing.assert_array_equal(got.values, ref[name].values)


def test_labeled_broadcasts_by_name():
    a = Labeled(("g", "k"), np.arange(6.0).reshape(2, 3))
    b = Labeled(("k", "i"), np.ones((3, 4)) * 2)
    c = a * b
    assert c.dims == ("g", "k", "i") and c.values.shape == (2, 3, 4)
    np.testing.assert_array_equal(c.values, a.values[:, :, None] * np.full(4, 2.0))
    d = 1.0 - Labeled(("k", "g"), a.values.T)  # transposed operand: aligned by name
    assert d.dims == ("k", "g")
    np.testing.assert_array_equal(d.values, 1.0 - a.values.T)
    dims, (x, y) = aligned(Labeled(("k",), np.ones(3)), a)
    assert dims == ("k", "g") and x.shape == (3, 1) and y.shape == (3, 2)


def test_array_select_and_dot():
    ops = ArrayOps()
    poor = Labeled(("g", "k"), np.array([[1.0, 2.0], [3.0, 4.0]]))
    severe = Labeled(("g",), np.array([9.0, 8.0]))
    out = ops.select(np.array([False, True]), poor, severe)
    np.testing.assert_array_equal(out.values, [[9.0, 2.0], [8.0, 4.0]])
    m = xr.DataArray([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]], dims=("dimension", "indicator"))
    x = Labeled(("indicator", "g"), np.arange(6.0).reshape(3, 2))
    y = ops.dot(x, m, "indicator")
    assert y.dims == ("g", "dimension")
    np.testing.assert_array_equal(y.values, x.values.T @ m.values.T)
