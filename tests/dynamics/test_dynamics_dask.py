"""Panel dynamics on dask panels (chunked along units) equal the in-memory results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi

dask = pytest.importorskip("dask")
from dask.callbacks import Callback  # noqa: E402

SPEC = mpi.presets.china_2b3g()
# uneven chunks, one chunk of a single unit
UNEVEN = (50, 1, 130, 19, 200, 200)
CHUNKS = [97, UNEVEN]
KWARGS = [
    {"weight": "weight", "by": "county"},
    {},
    {"by": ["county", "head_sex"], "weight": "w2"},
]


@pytest.fixture(scope="module")
def panel() -> xr.Dataset:
    ds = mpi.datasets.generate("registry_panel", n=600, seed=1, format="xarray")
    rng = np.random.default_rng(3)
    w2 = rng.uniform(0.5, 3.0, ds.sizes["unit"])
    w2[[5, 77, 400]] = np.nan  # units without a weight: dropped and counted
    return ds.assign(w2=("unit", w2), hist=("unit", np.arange(ds.sizes["unit"]) % 3 == 0))


def _same(a: xr.Dataset, b: xr.Dataset) -> None:
    assert not any(v.chunks for v in b.data_vars.values())  # results are in memory
    xr.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert a.attrs == b.attrs  # unit counts (used, dropped, no weight) add up
    for name, var in a.data_vars.items():  # integer counts are exact
        if var.dtype.kind in "iu":
            np.testing.assert_array_equal(var.values, b[name].values)


def _results(res_a, res_b, grouped: bool) -> None:
    _same(res_a.to_dataset(), res_b.to_dataset())
    if grouped:
        _same(res_a.by_group(), res_b.by_group())


@pytest.mark.parametrize("chunks", [*CHUNKS, 1])
def test_panel_states_lazy_and_equal(panel: xr.Dataset, chunks) -> None:
    ds = panel.isel(unit=slice(0, 40)) if chunks == 1 else panel
    a = mpi.panel_states(ds, SPEC, weight="w2", by=["county", "head_sex"])
    b = mpi.panel_states(ds.chunk({"unit": chunks}), SPEC, weight="w2", by=["county", "head_sex"])
    assert b.lazy and not a.lazy
    assert b.state.chunks is not None  # kept lazy: dask arrays
    for f in ("num", "pattern", "state", "weight"):
        np.testing.assert_array_equal(getattr(a, f), np.asarray(getattr(b, f)))
        assert getattr(a, f).dtype == getattr(b, f).dtype
    np.testing.assert_array_equal(a.cell, np.asarray(b.cell))
    assert a.n_unobserved == b.n_unobserved > 0
    lazy_ds = b.to_dataset()
    assert lazy_ds["state"].chunks is not None
    xr.testing.assert_identical(a.to_dataset(), lazy_ds.compute())
    pd.testing.assert_frame_equal(a.summary().tables[0][1], b.summary().tables[0][1])
    _same(a.by_group(), b.by_group())
    for name, values in a.group_values().items():
        got = b.unit_group_values(np.arange(ds.sizes["unit"]))[name]
        assert list(got.categories) == list(values.categories)
        np.testing.assert_array_equal(got.codes, values.codes)


def test_lazy_states_reused(panel: xr.Dataset) -> None:
    states = mpi.panel_states(panel.chunk({"unit": 97}), SPEC, weight="weight", by="county")
    _results(
        mpi.transitions(panel, SPEC, weight="weight", by="county"), mpi.transitions(states), True
    )
    with pytest.raises(mpi.errors.ValidationError, match="weight"):
        mpi.transitions(states, weight="w2")


@pytest.mark.parametrize("chunks", CHUNKS)
@pytest.mark.parametrize("kw", KWARGS)
@pytest.mark.parametrize("opts", [{}, {"states": "bands", "balance": "pairs"}, {"pooled": True}])
def test_transitions(panel: xr.Dataset, chunks, kw, opts) -> None:
    a = mpi.transitions(panel, SPEC, **kw, **opts)
    b = mpi.transitions(panel.chunk({"unit": chunks}), SPEC, **kw, **opts)
    _results(a, b, "by" in kw)


@pytest.mark.parametrize("chunks", CHUNKS)
@pytest.mark.parametrize("kw", KWARGS)
@pytest.mark.parametrize("balance", ["balanced", "observed"])
def test_spells(panel: xr.Dataset, chunks, kw, balance) -> None:
    a = mpi.spells(panel, SPEC, balance=balance, **kw)
    b = mpi.spells(panel.chunk({"unit": chunks}), SPEC, balance=balance, **kw)
    _results(a, b, "by" in kw)
    assert len(a) == len(b) > 0
    pd.testing.assert_frame_equal(a.table(), b.table())
    pd.testing.assert_series_equal(a.spells_per_unit(), b.spells_per_unit())


@pytest.mark.parametrize("chunks", CHUNKS)
@pytest.mark.parametrize("kw", KWARGS)
@pytest.mark.parametrize("order", ["time_first", "dimensions_first"])
@pytest.mark.parametrize("balance", ["balanced", "observed"])
def test_chronic(panel: xr.Dataset, chunks, kw, order, balance) -> None:
    a = mpi.chronic(panel, SPEC, tau=0.5, order=order, balance=balance, **kw)
    b = mpi.chronic(
        panel.chunk({"unit": chunks}), SPEC, tau=0.5, order=order, balance=balance, **kw
    )
    _results(a, b, "by" in kw)


@pytest.mark.parametrize("chunks", CHUNKS)
@pytest.mark.parametrize("kw", KWARGS)
@pytest.mark.parametrize("opts", [{}, {"balance": "pairs", "history": "hist"}, {"chained": False}])
def test_decompose_change(panel: xr.Dataset, chunks, kw, opts) -> None:
    a = mpi.decompose_change(panel, SPEC, **kw, **opts)
    b = mpi.decompose_change(panel.chunk({"unit": chunks}), SPEC, **kw, **opts)
    _same(a.to_dataset(), b.to_dataset())


@pytest.mark.parametrize("chunks", CHUNKS)
@pytest.mark.parametrize("kw", KWARGS)
def test_relapse(panel: xr.Dataset, chunks, kw) -> None:
    a = mpi.relapse(panel, SPEC, **kw)
    b = mpi.relapse(panel.chunk({"unit": chunks}), SPEC, **kw)
    _results(a, b, "by" in kw)


def test_chunks_of_one_unit(panel: xr.Dataset) -> None:
    small = panel.isel(unit=slice(0, 40))
    lazy = small.chunk({"unit": 1})
    kw = {"weight": "w2", "by": "county"}
    _results(mpi.transitions(small, SPEC, **kw), mpi.transitions(lazy, SPEC, **kw), True)
    _results(mpi.spells(small, SPEC, **kw), mpi.spells(lazy, SPEC, **kw), True)
    _results(mpi.chronic(small, SPEC, tau=0.5, **kw), mpi.chronic(lazy, SPEC, tau=0.5, **kw), True)
    _same(
        mpi.decompose_change(small, SPEC, balance="pairs", **kw).to_dataset(),
        mpi.decompose_change(lazy, SPEC, balance="pairs", **kw).to_dataset(),
    )
    _results(mpi.relapse(small, SPEC, **kw), mpi.relapse(lazy, SPEC, **kw), True)


def _nbytes(obj) -> int:
    if isinstance(obj, tuple | list):
        return sum(_nbytes(o) for o in obj)
    if isinstance(obj, dict):
        return sum(_nbytes(o) for o in obj.values())
    return int(getattr(obj, "nbytes", 0))


class _Largest(Callback):
    """Records the largest result of any dask task."""

    def __init__(self) -> None:
        super().__init__()
        self.largest = 0
        self.tasks = 0

    def _posttask(self, key, result, dsk, state, id) -> None:  # noqa: A002
        self.tasks += 1
        self.largest = max(self.largest, _nbytes(result))


def test_no_task_materialises_the_panel() -> None:
    big = mpi.datasets.generate("registry_panel", n=3000, seed=2, format="xarray")
    big["hist"] = ("unit", np.arange(3000) % 2 == 0)
    lazy = big.chunk({"unit": 100})  # 30 blocks
    one_variable = big["income_per_capita"].nbytes  # float64 (unit, time): the whole panel
    kw = {"weight": "weight", "by": "county"}
    with _Largest() as rec:
        states = mpi.panel_states(lazy, SPEC, **kw)
        mpi.transitions(states).by_group()
        mpi.spells(states).by_group()
        mpi.chronic(states, tau=0.5, order="dimensions_first").by_group()
        mpi.chronic(states, tau=0.5).by_group()
        mpi.decompose_change(lazy, SPEC, history="hist", **kw)
        mpi.relapse(states).by_group()
        states.summary()
    assert rec.tasks > 6 * 30  # every estimator ran block by block
    # the largest results are relapse's statistics (fixed size: cells x waves^2), then the
    # blocks (100 units); the whole panel's variable is never a task result
    assert 0 < rec.largest < one_variable / 2


@pytest.mark.parametrize("chunks", CHUNKS)
def test_relapse_bootstrap(panel: xr.Dataset, chunks) -> None:
    kw = {"weight": "w2", "by": "county", "bootstrap": 12, "seed": 4}
    a = mpi.relapse(panel, SPEC, **kw)
    b = mpi.relapse(panel.chunk({"unit": chunks}), SPEC, **kw)
    _results(a, b, True)
    assert float(a.to_dataset()["survival_bse"][0]) > 0


def test_bootstrap_frequencies_do_not_depend_on_blocks(monkeypatch) -> None:
    from mpi.dynamics import bootstrap_chunked as bc

    monkeypatch.setattr(bc, "BUCKET", 7)  # several levels of the tree on 100 units
    m = 100
    whole = bc.unit_frequencies(5, 3, m, 0, m)
    assert whole.sum() == m
    cuts = [(0, 1), (1, 30), (30, 31), (31, 64), (64, 100)]
    parts = np.concatenate([bc.unit_frequencies(5, 3, m, a, b) for a, b in cuts])
    np.testing.assert_array_equal(whole, parts)
    f = np.array([bc.unit_frequencies(9, r, m, 0, m) for r in range(2000)])
    assert (f.sum(axis=1) == m).all()
    # multinomial(m; 1/m): mean 1, variance 1 - 1/m
    assert abs(f.mean() - 1) < 1e-12
    assert abs(f.var() - (1 - 1 / m)) < 0.03


def _status_panel(panel: xr.Dataset) -> xr.Dataset:
    """A 0/1 status with NaN (unobserved) waves, and a boolean one."""
    rng = np.random.default_rng(11)
    st = (panel["income_per_capita"] < panel["poverty_line"]).astype(float).values
    st[rng.random(st.shape) < 0.05] = np.nan
    return panel.assign(st=(("unit", "time"), st), st_bool=panel["latent_poor"].astype(bool))


@pytest.mark.parametrize("chunks", [*CHUNKS, 1, 600])
@pytest.mark.parametrize(
    "kw",
    [
        {"status": "st", "weight": "w2", "by": "county"},
        {"status": "st_bool"},
        {"status": "st", "by": ["county", "head_sex"], "weight": "weight"},
    ],
)
def test_relapse_status(panel: xr.Dataset, chunks, kw) -> None:
    ds = _status_panel(panel)
    if chunks == 1:  # chunks of one unit on 40 units
        ds = ds.isel(unit=slice(0, 40))
    a = mpi.relapse(ds, **kw)
    lazy = ds.chunk({"unit": chunks})
    b = mpi.relapse(lazy, **kw)
    assert b.states.lazy and not a.states.lazy  # the status stayed lazy
    _results(a, b, "by" in kw)
    assert "survival_by_band" not in b.to_dataset()
    assert int(a.to_dataset()["n_exits"]) > 0


@pytest.mark.parametrize("chunks", CHUNKS)
def test_relapse_status_bootstrap(panel: xr.Dataset, chunks) -> None:
    ds = _status_panel(panel)
    kw = {"status": "st", "weight": "w2", "by": "county", "bootstrap": 8, "seed": 2}
    a = mpi.relapse(ds, **kw)
    b = mpi.relapse(ds.chunk({"unit": chunks}), **kw)
    _results(a, b, True)
    assert float(a.to_dataset()["survival_bse"][0]) > 0


def test_relapse_status_errors_lazy(panel: xr.Dataset) -> None:
    ds = _status_panel(panel).chunk({"unit": 97})
    with pytest.raises(mpi.errors.DataError, match="'nope' is not in the panel"):
        mpi.relapse(ds, status="nope")
    with pytest.raises(mpi.errors.DataError, match="'county' has dims"):
        mpi.relapse(ds, status="county")  # refused at the call
    text = ds.assign(sx=ds["st"].astype(str))
    with pytest.raises(mpi.errors.DataError, match="must be boolean or numeric"):
        mpi.relapse(text, status="sx")
    bad = ds.assign(st=ds["st"].where(ds["unit"] != ds["unit"][300], 2.0))
    with pytest.raises(mpi.errors.DataError, match="found the value 2"):
        mpi.relapse(bad, status="st")


def test_relapse_status_no_task_materialises_the_panel() -> None:
    big = mpi.datasets.generate("registry_panel", n=3000, seed=2, format="xarray")
    lazy = big.chunk({"unit": 100})  # 30 blocks
    one_variable = big["latent_poor"].astype(np.float64).nbytes  # the whole status
    with _Largest() as rec:
        res = mpi.relapse(lazy, status="latent_poor", weight="weight", by="county")
        res.by_group()
    assert rec.tasks > 30
    assert 0 < rec.largest < one_variable / 2
    ref = mpi.relapse(big, status="latent_poor", weight="weight", by="county")
    _same(ref.to_dataset(), res.to_dataset())
