"""Hostile groups (issue 14, points 6, 8, 9): huge sparse cross-classifications, units with a
missing group value, zero sampling weights.

* A cross-classification whose dense table would be large is encoded over the combinations
  that occur (as pandas ``groupby(observed=True)``): the result has one stacked ``cell``
  dimension with a MultiIndex of the ``by`` variables; marginals and the overall sum the
  additive statistics of the cells. Checked against ``tests/reference.py``, a plain
  numpy/pandas computation, ``mpi.measure(by=one variable)`` and the dense layout (forced by
  raising the density cap) for point estimates and design-based standard errors.
* Units with a missing group value are counted (``n_missing_group``, overall and per
  ``by`` variable) and reported with a :class:`mpi.MissingDataWarning`.
* Zero total sampling weight over the whole sample raises; a group with units but no
  measurable weight is flagged (``empty``) and named in a warning.
"""

from __future__ import annotations

import datetime
import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from reference import reference_measure

import mpi
import mpi._common.table as mpi_input

SPEC = mpi.Spec.from_dimensions({"x": ["d1", "d2"], "y": ["d3", "d4"]}, k="1/2")
FLAGS = ["d1", "d2", "d3", "d4"]


def survey(
    n: int,
    levels: list[int],
    *,
    seed: int,
    missing_group: float = 0.0,
    missing_flag: float = 0.0,
    psus: int = 0,
) -> pd.DataFrame:
    """Flags d1..d4, weight w, group variables g0, g1, ... (``levels[i]`` labels each,
    text labels for the first variable, integers for the others)."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({f: (rng.random(n) < 0.4).astype(float) for f in FLAGS})
    if missing_flag:
        df.loc[rng.random(n) < missing_flag, "d2"] = np.nan
    df["w"] = rng.uniform(0.5, 3.0, n)
    for i, m in enumerate(levels):
        codes = rng.integers(0, m, n)
        col = pd.Series([f"L{c:05d}" for c in codes] if i == 0 else codes, dtype=object)
        if missing_group:
            col[rng.random(n) < missing_group] = None
        df[f"g{i}"] = col if i == 0 or missing_group else col.astype(np.int64)
    if psus:
        df["stratum"] = np.arange(n) % 4
        df["psu"] = df["stratum"] * 1000 + rng.integers(0, psus // 4, n)
    return df


def quiet(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        return mpi.measure(*args, **kw)


def cell_keys(ds: xr.Dataset) -> list[tuple]:
    return list(ds.indexes["cell"])


def assert_same(a: xr.Dataset, b: xr.Dataset, names, rtol=1e-12, atol=1e-14) -> None:
    for v in names:
        np.testing.assert_allclose(
            a[v].transpose(*b[v].dims).values, b[v].values, rtol=rtol, atol=atol, err_msg=v
        )


MEASURES = [
    "H", "A", "M0", "M1", "M2", "vulnerable", "severe", "intensity_variance", "n_obs",
    "n_dropped", "uncensored_headcount", "censored_headcount", "contribution",
    "dimension_contribution", "population_share", "group_contribution",
]  # fmt: skip


def dense_at(dense: xr.Dataset, keys: list[tuple], by: list[str]) -> xr.Dataset:
    """The dense result's values at the sparse result's cells (vectorised selection)."""
    sel = {b: xr.DataArray([k[i] for k in keys], dims="cell") for i, b in enumerate(by)}
    return dense.sel(sel).drop_vars(by)


# -- point 6: sparse cells ------------------------------------------------------------------
def test_encoding_counts_only_occurring_combinations():
    df = survey(3000, [2000, 2000], seed=1, missing_group=0.02)
    table = mpi_input.as_table(df, ["g0", "g1"])
    g = mpi_input.encode_groups(table, ["g0", "g1"], sparse=True)
    occurring = df.groupby(["g0", "g1"], dropna=False).ngroups
    assert g.n_cells == occurring  # not 2001 * 2001
    assert g.sparse and 0 < g.n_known < g.n_cells
    # known cells first, each with every label known; then the cells with a missing slot
    assert (g.cells[: g.n_known] < np.array(g.shape)).all()
    assert (g.cells[g.n_known :] >= np.array(g.shape)).any(axis=1).all()
    # every unit's cell holds its own labels
    codes = np.asarray(g.codes) - g.offset
    for b, name in enumerate(["g0", "g1"]):
        lab = np.append(g.labels[b].astype(object), None)
        got = lab[g.cells[codes, b]]
        want = df[name].to_numpy(dtype=object)
        assert all((x is None and y is None) or x == y for x, y in zip(got, want, strict=True))
    # a small cross table keeps today's dense row-major layout
    small = mpi_input.encode_groups(table, ["g0", "g1"], sparse=False)
    dense = (df["g0"].nunique() + 1) * (df["g1"].nunique() + 1)
    assert not small.sparse and small.n_cells == dense > 10 * occurring


def test_dense_layout_kept_for_small_tables():
    df = survey(400, [5, 3], seed=2)
    ds = mpi.measure(df, SPEC, weight="w", by=["g0", "g1"]).to_dataset()
    assert ds["M0"].dims == ("g0", "g1") and "cell" not in ds.dims


def reference_cells(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Plain pandas: per occurring combination of known labels, H, M0, A, n_obs, n_dropped
    (missing='drop', equal nested weights 1/4, k = 1/2)."""
    flags = df[FLAGS].to_numpy()
    complete = ~np.isnan(flags).any(axis=1)
    c = np.nan_to_num(flags).sum(axis=1) / 4
    poor = (c >= 0.5) & complete
    s = df["w"].to_numpy() * complete
    frame = df[by].assign(
        s=s, sp=s * poor, scp=s * c * poor, used=complete.astype(int), drop=(~complete).astype(int)
    )
    agg = frame.groupby(by, sort=True, dropna=True).sum()
    return pd.DataFrame(
        {
            "H": agg["sp"] / agg["s"],
            "M0": agg["scp"] / agg["s"],
            "A": agg["scp"] / agg["sp"],
            "n_obs": agg["used"],
            "n_dropped": agg["drop"],
        }
    )


def test_two_10k_level_variables_over_200k_rows_in_bounded_memory():
    n = 200_000
    df = survey(n, [10_000, 10_000], seed=3)
    df.loc[df.index[::50], "d3"] = np.nan
    quiet(df.head(2000), SPEC, weight="w", by=["g0", "g1"])  # compile outside the trace
    tracemalloc.start()
    try:
        res = quiet(df, SPEC, weight="w", by=["g0", "g1"])
        ds = res.to_dataset()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 30, f"peak {peak / 2**30:.2f} GiB"
    ref = reference_cells(df, ["g0", "g1"])
    assert ds.sizes["cell"] == len(ref)
    assert cell_keys(ds) == list(ref.index)  # sorted like pandas groupby
    for v in ["H", "M0", "A", "n_obs", "n_dropped"]:
        np.testing.assert_allclose(ds[v].values, ref[v].to_numpy(), rtol=1e-12, err_msg=v)
    for name in ["g0", "g1"]:
        alone = quiet(df, SPEC, weight="w", by=name).to_dataset()
        assert_same(res.marginal(name).to_dataset(), alone, MEASURES)
    plain = quiet(df, SPEC, weight="w").to_dataset()
    assert_same(res.overall.to_dataset(), plain, MEASURES[:-2])


def _reference_groups(df, by, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return reference_measure(df, SPEC, by=by, **kw)


#: The measures compared cell by cell with the reference.
CELL_MEASURES = [
    "H", "A", "M0", "M1", "M2", "vulnerable", "severe", "n_obs", "n_dropped",
    "uncensored_headcount", "censored_headcount", "population_share", "group_contribution",
]  # fmt: skip


def _assert_cells_match_reference(ds: xr.Dataset, exp: dict, rtol=1e-11) -> None:
    """Every cell of ``ds`` against the reference: a cell the reference has (units kept)
    matches it in every measure of :data:`CELL_MEASURES` (one comparison per measure over
    all cells, naming the cells that differ), any other cell holds no unit."""
    groups = {k: v for k, v in exp["groups"].items() if v["n_obs"] > 0}
    keys = cell_keys(ds)
    norm = [tuple(x.item() if hasattr(x, "item") else x for x in k) for k in keys]
    assert set(groups) <= set(norm)
    known = [i for i, key in enumerate(norm) if key in groups]
    others = [i for i, key in enumerate(norm) if key not in groups]
    if others:  # occur, but every unit was dropped
        rest = ds.isel(cell=others)
        assert (rest["n_obs"].values == 0).all() and rest["empty"].values.all()
    cells = ds.isel(cell=known)
    for v in CELL_MEASURES:
        got = np.asarray(cells[v].transpose("cell", ...).values, float)
        want = np.stack([np.asarray(groups[norm[i]][v], float) for i in known])
        ok = np.isclose(got, want, rtol=rtol, atol=1e-13, equal_nan=True)
        bad = [norm[i] for i, row in zip(known, ok.reshape(len(known), -1), strict=True) if not row.all()]
        np.testing.assert_allclose(
            got, want, rtol=rtol, atol=1e-13, equal_nan=True, err_msg=f"{v}: cells {bad[:5]}"
        )


def test_sparse_cells_match_the_reference_with_missing_values():
    df = survey(1500, [400, 400], seed=4, missing_group=0.03, missing_flag=0.02)
    with pytest.warns(mpi.MissingDataWarning) as rec:
        res = mpi.measure(df, SPEC, weight="w", by=["g0", "g1"])
    messages = " ".join(str(w.message) for w in rec)
    assert "missing value in a by variable" in messages and "dropped" in messages
    ds = res.to_dataset()
    assert ds["M0"].dims == ("cell",)
    _assert_cells_match_reference(ds, _reference_groups(df, ["g0", "g1"], weight="w"))
    # units with a missing group: counted, overall and per variable
    miss0, miss1 = df["g0"].isna(), df["g1"].isna()
    assert int(ds.n_missing_group) == int((miss0 | miss1).sum())
    per = ds.n_missing_group_by
    assert int(per.sel(group_variable="g0")) == int(miss0.sum())
    assert int(per.sel(group_variable="g1")) == int(miss1.sum())
    assert int(ds.n_obs.sum() + ds.n_dropped.sum() + ds.n_missing_group) == len(df)
    for name in ["g0", "g1"]:
        alone = quiet(df, SPEC, weight="w", by=name)
        marg = res.marginal(name)
        assert_same(marg.to_dataset(), alone.to_dataset(), MEASURES)
        assert int(marg.to_dataset().n_missing_group) == int(df[name].isna().sum())
    assert_same(res.overall.to_dataset(), quiet(df, SPEC, weight="w").to_dataset(), MEASURES[:-2])
    frame = res.to_frame()
    assert {"g0", "g1"} <= set(frame.columns)
    m0 = frame.query("measure == 'M0'")
    assert len(m0) == ds.sizes["cell"]
    text = res.summary()
    assert "Units with a missing group" in text
    assert f"first 50 of {ds.sizes['cell']:,} groups shown" in text  # not one line per cell


def test_three_by_variables():
    df = survey(2000, [60, 50, 40], seed=5, missing_group=0.01)
    with pytest.warns(mpi.MissingDataWarning, match="missing value in a by variable"):
        res = mpi.measure(df, SPEC, weight="w", by=["g0", "g1", "g2"], k=[0.25, 0.5])
    ds = res.to_dataset()
    assert ds["M0"].dims == ("cell", "k")
    assert list(ds.indexes["cell"].names) == ["g0", "g1", "g2"]
    for j in range(2):
        exp = _reference_groups(df, ["g0", "g1", "g2"], weight="w", k=[0.25, 0.5])[j]
        _assert_cells_match_reference(ds.isel(k=j), exp)
    for name in ["g0", "g1", "g2"]:
        alone = quiet(df, SPEC, weight="w", by=name, k=[0.25, 0.5])
        assert_same(res.marginal(name).to_dataset(), alone.to_dataset(), MEASURES)


def test_sparse_equals_dense_layout(monkeypatch):
    df = survey(1200, [300, 250], seed=6, missing_group=0.02, missing_flag=0.01)
    sparse = quiet(df, SPEC, weight="w", by=["g0", "g1"]).to_dataset()
    monkeypatch.setattr(mpi_input, "DENSE_CELLS", 10**9)
    dense = quiet(df, SPEC, weight="w", by=["g0", "g1"]).to_dataset()
    assert "cell" not in dense.dims
    assert_same(sparse, dense_at(dense, cell_keys(sparse), ["g0", "g1"]), MEASURES)
    # the dense table's other cells hold no unit
    assert int(dense.n_obs.sum() + dense.n_dropped.sum()) == int(
        sparse.n_obs.sum() + sparse.n_dropped.sum()
    )


@pytest.mark.parametrize(
    "design",
    [
        mpi.Design("w", strata="stratum", psu="psu"),
        mpi.Design("w", strata="stratum", psu="psu").bootstrap(replicates=20, seed=1),
        mpi.ReplicateDesign("w", ["r0", "r1", "r2", "r3"], type="JK1"),
    ],
    ids=["linearized", "bootstrap", "replicates"],
)
def test_design_standard_errors_with_sparse_cells(monkeypatch, design):
    df = survey(1500, [270, 260], seed=7, missing_group=0.02, psus=40)
    rng = np.random.default_rng(0)
    for r in range(4):
        df[f"r{r}"] = df["w"] * rng.uniform(0.5, 1.5, len(df))
    sparse = quiet(df, SPEC, by=["g0", "g1"], design=design)
    assert "cell" in sparse.to_dataset().dims
    keys = cell_keys(sparse.to_dataset())
    monkeypatch.setattr(mpi_input, "DENSE_CELLS", 10**9)
    dense = quiet(df, SPEC, by=["g0", "g1"], design=design)
    names = ["H", "A", "M0", "population_share", "group_contribution", "censored_headcount"]
    assert_same(sparse.to_dataset(), dense_at(dense.to_dataset(), keys, ["g0", "g1"]), names)
    assert_same(sparse.se, dense_at(dense.se, keys, ["g0", "g1"]), names, rtol=1e-9, atol=1e-12)
    for name in ["g0", "g1"]:
        marg, alone = sparse.marginal(name), quiet(df, SPEC, by=name, design=design)
        assert_same(marg.se, alone.se, names, rtol=1e-9, atol=1e-12)
    assert_same(sparse.overall.se, quiet(df, SPEC, design=design).se, names[:3], rtol=1e-9)
    if isinstance(design, mpi.Design):
        ddf = sparse.domain_df()
        assert ddf.dims == ("cell",)
        want = dense.domain_df().sel(
            {b: xr.DataArray([k[i] for k in keys], dims="cell") for i, b in enumerate(["g0", "g1"])}
        )
        np.testing.assert_array_equal(ddf.values, want.values)
        sub = sparse.to_dataset().isel(cell=slice(0, 3))
        assert sub.sizes["cell"] == 3
        vc = sparse.vcov("H")
        np.testing.assert_allclose(np.sqrt(np.diag(vc.values)), sparse.se.H.values, rtol=1e-9)
        assert {"g0", "g1"} <= set(vc.index.names)
        ci = sparse.ci(df="domain")
        assert ci.H.dims == ("bound", "cell")
        with pytest.raises(mpi.ValidationError, match="sparse table"):
            sparse.change("g0")
        with pytest.raises(mpi.ValidationError, match="sparse table"):
            mpi.change(sparse, "g0")  # the function as well as the method


# -- point 8: missing group values ----------------------------------------------------------
def test_missing_group_values_are_counted_and_reported():
    df = pd.DataFrame(
        {
            "d1": [1, 0, 1, 1, 0, 1.0],
            "d2": [0, 0, 1, 0, 1, 1.0],
            "d3": [1, 1, 0, 0, 0, 1.0],
            "d4": [0, 1, 1, 0, 0, 0.0],
            "a": ["x", None, "y", "x", None, "y"],
            "b": ["p", "q", None, "q", "p", "p"],
        }
    )
    with pytest.warns(mpi.MissingDataWarning, match=r"3 of 6 units have a missing value") as rec:
        res = mpi.measure(df, SPEC, by=["a", "b"])
    text = str(rec[0].message)
    assert "'a': 2" in text and "'b': 1" in text and "n_missing_group" in text
    assert "overall" in text
    ds = res.to_dataset()
    assert int(ds.n_missing_group) == 3
    assert ds.n_missing_group_by.sel(group_variable="a").item() == 2
    assert ds.n_missing_group_by.sel(group_variable="b").item() == 1
    assert int(res.marginal("a").to_dataset().n_missing_group) == 2
    assert int(res.marginal("b").to_dataset().n_missing_group) == 1
    summary = res.summary()
    assert "Units with a missing group" in summary and "3 (a: 2, b: 1)" in summary
    with pytest.warns(mpi.MissingDataWarning, match=r"2 of 6 units have a missing value in the"):
        one = mpi.measure(df, SPEC, by="a")
    assert int(one.to_dataset().n_missing_group) == 2


def test_no_warning_and_zero_counts_without_missing_groups():
    df = survey(200, [3, 2], seed=8)
    res = mpi.measure(df, SPEC, weight="w", by=["g0", "g1"])  # filterwarnings=error
    ds = res.to_dataset()
    assert int(ds.n_missing_group) == 0
    assert ds.n_missing_group_by.values.tolist() == [0, 0]
    assert "Units with a missing group" not in res.summary()


# -- point 9: zero weights --------------------------------------------------------------------
def test_all_weights_zero_raises():
    df = survey(50, [3], seed=9).assign(w=0.0)
    with pytest.raises(mpi.DataError, match=r"weight variable 'w'.*sum to 0"):
        mpi.measure(df, SPEC, weight="w")
    with pytest.raises(mpi.DataError, match=r"weight variable 'w'.*sum to 0"):
        mpi.measure(df, SPEC, weight="w", by="g0")
    with pytest.raises(mpi.DataError, match=r"weight variable 'w'.*sum to 0"):
        mpi.measure(df, SPEC, design=mpi.Design("w"))


def test_weights_zero_after_dropping_missing_raises():
    df = survey(20, [2], seed=10)
    df["w"] = 0.0
    df.loc[0, "w"] = 5.0
    df.loc[0, "d1"] = np.nan  # the only unit with weight is dropped
    with pytest.raises(mpi.DataError, match=r"weight variable 'w'.*sum to 0"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", mpi.MissingDataWarning)
            mpi.measure(df, SPEC, weight="w")


def test_zero_weight_group_is_flagged_and_named():
    df = survey(60, [3], seed=12)
    df["g0"] = np.repeat(["A", "B", "C"], 20)
    df.loc[df["g0"] == "B", "w"] = 0.0
    with pytest.warns(mpi.MissingDataWarning, match=r"1 group.*no measurable weight.*B"):
        res = mpi.measure(df, SPEC, weight="w", by="g0")
    ds = res.to_dataset()
    assert ds.empty.values.tolist() == [False, True, False]
    assert ds.empty.dtype == bool
    assert np.isnan(float(ds.M0.sel(g0="B"))) and int(ds.n_obs.sel(g0="B")) == 20
    assert np.isfinite(ds.M0.sel(g0=["A", "C"])).all()
    assert "Empty groups" in res.summary() and "B" in res.summary()
    # a group whose every unit is dropped is empty too
    df2 = survey(60, [3], seed=13)
    df2["g0"] = np.repeat(["A", "B", "C"], 20)
    df2.loc[df2["g0"] == "C", "d1"] = np.nan
    with pytest.warns(mpi.MissingDataWarning) as rec:
        res2 = mpi.measure(df2, SPEC, weight="w", by="g0")
    assert any("no measurable weight" in str(w.message) and "C" in str(w.message) for w in rec)
    assert res2.to_dataset().empty.values.tolist() == [False, False, True]


def test_unit_free_cells_are_empty_but_not_warned():
    # a dense cross table and a categorical's unused category: no units, no warning
    df = survey(100, [2, 2], seed=14)
    df["g0"] = pd.Categorical(df["g0"], categories=[*sorted(df["g0"].unique()), "unused"])
    res = mpi.measure(df, SPEC, weight="w", by=["g0", "g1"])  # filterwarnings=error
    ds = res.to_dataset()
    assert bool(ds.empty.sel(g0="unused").all())
    assert not bool(ds.empty.sel(g0=ds.g0.values[:2]).any())
    assert "Empty groups" not in res.summary()


def test_unorderable_labels_are_grouped_not_a_type_error():
    # pandas cannot sort dates among numbers: labels ordered by type name, then text
    df = survey(40, [2], seed=15)
    df["g0"] = pd.Series([1, datetime.date(2020, 1, 1), 2, "a"] * 10, dtype=object)
    ds = mpi.measure(df, SPEC, weight="w", by="g0").to_dataset()
    assert [str(x) for x in ds.g0.values] == ["2020-01-01", "1", "2", "a"]
    assert ds.n_obs.values.tolist() == [10, 10, 10, 10]
