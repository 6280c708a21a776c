"""``mpi.identify`` on dask-backed Datasets equals the in-memory path, lazily and block by block."""

from __future__ import annotations

import warnings
from fractions import Fraction

import dask
import dask.array as da
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from dask.callbacks import Callback
from dask.sizeof import sizeof
from panel_data import random_panel

import mpi
from mpi.errors import DataError, MissingDataWarning, ValidationError
from mpi.identification.identify import identify

TOL = 1e-12


@pytest.fixture(autouse=True)
def _threads():
    with dask.config.set(scheduler="threads"):
        yield


def _spec(d: int) -> mpi.Spec:
    raw = [3, 1, 2, 2, 1, 4, 1][:d]
    inds = [
        mpi.Indicator(f"x{j}", weight=Fraction(raw[j], sum(raw)), dimension=f"d{j % 3}")
        for j in range(d)
    ]
    return mpi.Spec(inds, k=Fraction(1, 3), vulnerable=Fraction(1, 5), severe=Fraction(1, 2))


def _cross_section(n: int = 36, d: int = 5, seed: int = 0, coord: bool = True) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    g = (rng.random((n, d)) < 0.35).astype(float)
    g[rng.random((n, d)) < 0.06] = np.nan
    data = {f"x{j}": ("obs", g[:, j]) for j in range(d)}
    w = rng.uniform(0.2, 4.0, n)
    w[[3, n - 5]] = np.nan  # missing weights: dropped units
    data["w"] = ("obs", w)
    data["hhid"] = ("obs", 1000 + 7 * np.arange(n))
    coords = {"obs": np.arange(n) * 2 + 5} if coord else {}
    return xr.Dataset(data, coords=coords)


def _record(func, *args, **kwargs):
    """``(result, [(category, message)])`` of a call, every warning recorded."""
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        out = func(*args, **kwargs)
    return out, [(w.category, str(w.message)) for w in got]


def _check_equal(ref, res) -> None:
    """The lazy result equals the in-memory one: values bit for bit, totals, summary, frame."""
    assert res.lazy and not ref.lazy
    a, b = ref.to_dataset(), res.to_dataset()
    assert all(isinstance(v.data, da.Array) for v in b.data_vars.values())
    b = b.compute()
    for ds in (a, b):
        ds.attrs.pop("history")
    xr.testing.assert_identical(a, b)
    sa, sb = ref.shares(), res.shares()
    xr.testing.assert_allclose(sa, sb, rtol=0, atol=TOL)
    assert repr(ref) == repr(res)
    assert str(ref.summary()) == str(res.summary())
    assert str(ref.summary(lang="zh")) == str(res.summary(lang="zh"))
    pd.testing.assert_frame_equal(ref.to_frame(), res.to_frame())
    assert res.to_dataset().attrs["n_dropped"] == int(a["missing"].sum())


@pytest.mark.parametrize("chunks", [1, (5, 20, 3, 8), 36])
@pytest.mark.parametrize("missing", ["drop", "reweight"])
@pytest.mark.parametrize("k", [None, [0.2, Fraction(1, 3), 0.6]])
def test_cross_section_equals_in_memory(chunks, missing, k):
    ds = _cross_section()
    ref, w_ref = _record(identify, ds, _spec(5), weight="w", k=k, missing=missing)
    res, w_res = _record(
        identify, ds.chunk({"obs": chunks}), _spec(5), weight="w", k=k, missing=missing
    )
    assert w_ref and w_res == w_ref  # the same MissingDataWarning, once, with the same counts
    assert w_ref[0][0] is MissingDataWarning
    _check_equal(ref, res)
    assert res.to_dataset()["score"].chunks[0] == ds.chunk({"obs": chunks})["x0"].chunks[0]
    if missing == "reweight":  # the OPHI rule mattered: larger denominators
        assert (ref.to_dataset()["score_denominator"] > _spec(5).integer_weights[1]).any()


@pytest.mark.parametrize("chunks", [1, 13])
def test_unit_ids_positions_and_single_k(chunks):
    ds = _cross_section(n=30, coord=False)
    spec = _spec(4)
    lazy = ds.chunk({"obs": chunks})
    lazy["hhid"] = ds["hhid"]  # in-memory unit ids
    for kw in ({"unit": "hhid"}, {}):
        ref, w_ref = _record(identify, ds, spec, **kw)
        res, w_res = _record(identify, lazy, spec, **kw)
        assert w_res == w_ref
        _check_equal(ref, res)
    # unweighted, nothing missing: no warning either way
    full = ds.fillna(0)
    ref, w_ref = _record(identify, full, spec, k="1/2")
    res, w_res = _record(identify, full.chunk({"obs": chunks}), spec, k="1/2")
    assert w_ref == w_res == []
    _check_equal(ref, res)


@pytest.mark.parametrize("chunks", [{"unit": 1}, {"unit": 9}, {"unit": (10, 3, 11), "time": 1}])
@pytest.mark.parametrize("missing", ["drop", "reweight"])
def test_panel_equals_in_memory(chunks, missing):
    panel = random_panel(np.random.default_rng(3), n=24, waves=3, d=4, gap_rate=0.15)
    spec = mpi.Spec(
        [mpi.Indicator(f"i{j}", weight=Fraction(1, 4), dimension=f"d{j % 2}") for j in range(4)],
        k=Fraction(1, 2),
    )
    for k in (None, [0.25, 0.5]):
        ref, w_ref = _record(identify, panel, spec, weight="w", k=k, missing=missing)
        res, w_res = _record(identify, panel.chunk(chunks), spec, weight="w", k=k, missing=missing)
        assert w_res == w_ref
        _check_equal(ref, res)
        assert res.to_dataset()["score"].dims == ("unit", "time")
        assert res.to_frame().index.names == ["unit", "time"] + (["k"] if k else [])


def _nbytes(value) -> int:
    """Bytes held by a task result (xarray objects and arrays by their ``nbytes``)."""
    if isinstance(value, (tuple, list)):
        return sum(_nbytes(v) for v in value)
    n = getattr(value, "nbytes", None)
    return int(n) if isinstance(n, (int, np.integer)) else int(sizeof(value))


class _Largest(Callback):
    """The largest task result and the number of tasks run."""

    def __init__(self) -> None:
        super().__init__()
        self.largest = 0
        self.tasks = 0

    def _posttask(self, key, result, dsk, state, id) -> None:  # noqa: A002 (dask's name)
        self.tasks += 1
        self.largest = max(self.largest, _nbytes(result))


@pytest.mark.filterwarnings("ignore::mpi.errors.MissingDataWarning")
def test_no_task_materialises_a_whole_variable():
    n = 8000
    ds = _cross_section(n=n, d=5, seed=1).chunk({"obs": 100})
    # one variable of the whole data: 64,000 bytes; a quarter of it is below every whole
    # output variable (deprived: 40,000 bytes) and above a block's outputs (about 9,800)
    whole = ds["x0"].nbytes
    with _Largest() as cb:
        res = identify(ds, _spec(5), weight="w", k=[0.2, 0.5], missing="reweight")
    assert cb.tasks >= 80 and 0 < cb.largest < whole / 4
    out = res.to_dataset()
    with _Largest() as cb:
        totals = dask.compute(
            out["poor"].sum("obs"), out["deprived"].sum("obs"), out["score"].max(),
            out["censored"].any("obs"),
        )  # fmt: skip
    assert cb.tasks >= 80 and 0 < cb.largest < whole / 4
    ref = ds.compute()
    mem = identify(ref, _spec(5), weight="w", k=[0.2, 0.5], missing="reweight").to_dataset()
    np.testing.assert_array_equal(totals[0].values, mem["poor"].sum("obs").values)
    np.testing.assert_array_equal(totals[1].values, mem["deprived"].sum("obs").values)
    assert float(totals[2]) == float(mem["score"].max())
    # the check can fail: loading one whole variable is seen
    with _Largest() as cb:
        ds["x0"].compute()
    assert cb.largest >= whole


@pytest.mark.filterwarnings("ignore::mpi.errors.MissingDataWarning")
def test_nothing_computed_until_asked():
    ds = _cross_section(n=200, seed=2).chunk({"obs": 25})
    with _Largest() as cb:
        res = identify(ds, _spec(5), weight="w", k=[0.2, 0.5])
    at_call = cb.tasks  # the one pass of the totals: every block read once
    assert at_call > 0
    with _Largest() as cb:
        repr(res)
        res.summary()
        res.summary(lang="zh")
        res.shares()
        out = res.to_dataset()
        res["poor"].isel(obs=slice(0, 10))
        _ = res.k_dim, res.lazy
    assert cb.tasks == 0  # the per-unit outputs are not computed
    assert isinstance(out["score"].data, da.Array)
    with _Largest() as cb:
        out["score"].compute()
    assert cb.tasks > 0


def test_blocks_of_the_outputs_run_only_when_computed():
    """A source whose blocks raise once a flag is set: the call reads them, nothing after."""
    state = {"closed": False}
    base = _cross_section(n=30, seed=4, coord=False).fillna(0)

    def guarded(x: np.ndarray) -> np.ndarray:
        if state["closed"]:
            raise AssertionError("a block was read after the call")
        return x

    lazy = xr.Dataset(
        {v: ("obs", da.from_array(base[v].values, chunks=6).map_blocks(guarded)) for v in base}
    )
    res = identify(lazy, _spec(5), weight="w")
    state["closed"] = True
    res.summary()
    repr(res)
    out = res.to_dataset()
    with pytest.raises(AssertionError, match="read after the call"):
        out["poor"].compute()
    state["closed"] = False
    xr.testing.assert_identical(
        out["poor"].compute(), identify(base, _spec(5), weight="w").to_dataset()["poor"]
    )


def test_errors_at_the_call():
    ds = _cross_section(n=30, seed=5)
    with pytest.raises(DataError, match="missing='raise'"):
        identify(ds.chunk({"obs": 4}), _spec(5), weight="w", missing="raise")
    bad = ds.fillna(0)
    bad["x2"][17] = 2.0
    with pytest.raises(DataError, match="must hold 0/1"):
        identify(bad.chunk({"obs": 4}), _spec(5))
    lazy_ids = ds.fillna(0).chunk({"obs": 4})
    with pytest.raises(ValidationError, match="unit='hhid' is a dask-backed variable"):
        identify(lazy_ids, _spec(5), unit="hhid")
    with pytest.raises(DataError, match="no units"):
        identify(ds.isel(obs=slice(0, 0)).chunk({"obs": 1}), _spec(5))


@pytest.mark.filterwarnings("ignore::mpi.errors.MissingDataWarning")
def test_input_not_mutated_and_k_frame():
    ds = _cross_section(n=24, seed=6).chunk({"obs": 5})
    before = ds.copy(deep=True)
    res = identify(ds, _spec(5), weight="w", k=[0.2, 0.5])
    ref = identify(ds.compute(), _spec(5), weight="w", k=[0.2, 0.5])
    xr.testing.assert_identical(ds, before)
    pd.testing.assert_frame_equal(
        res.to_frame(["poor", "deprived_x1"], k=0.5), ref.to_frame(["poor", "deprived_x1"], k=0.5)
    )


def _message(func, *args, **kwargs) -> str:
    with pytest.raises(DataError) as err:
        func(*args, **kwargs)
    return str(err.value)


@pytest.mark.parametrize("chunks", [1, (5, 20, 3, 8), 36])
def test_raise_messages_count_the_whole_data(chunks):
    ds = _cross_section(n=36, seed=5)  # missing values in several blocks, missing weights
    ref = _message(identify, ds, _spec(5), weight="w", missing="raise")
    assert ref == _message(
        identify, ds.chunk({"obs": chunks}), _spec(5), weight="w", missing="raise"
    )
    # the whole data's counts, not one block's
    n_missing = int(ds[[f"x{j}" for j in range(5)]].to_array().isnull().any("variable").sum())
    assert f"missing values in {n_missing + 2} unit(s)" in ref
    assert "w (weight): 2" in ref
    full = ds.assign(w=ds["w"].fillna(1.0))  # indicators missing only
    ref = _message(identify, full, _spec(5), weight="w", missing="raise")
    assert "(weight)" not in ref
    assert ref == _message(
        identify, full.chunk({"obs": chunks}), _spec(5), weight="w", missing="raise"
    )


@pytest.mark.parametrize("chunks", [1, (5, 20, 3, 8), 36])
@pytest.mark.parametrize("missing", ["drop", "raise"])
def test_negative_weight_names_the_global_row(chunks, missing):
    ds = _cross_section(n=36, seed=5)
    if missing == "raise":
        ds = ds.fillna(1.0)
    w = ds["w"].values.copy()
    w[[27, 31]] = [-2.5, np.inf]  # the first bad weight is row 27 (in the 3rd or later block)
    bad = ds.assign(w=("obs", w))
    ref = _message(identify, bad, _spec(5), weight="w", missing=missing)
    assert "found -2.5 (row 27)" in ref
    assert ref == _message(
        identify, bad.chunk({"obs": chunks}), _spec(5), weight="w", missing=missing
    )


@pytest.mark.parametrize("chunks", [{"unit": 1}, {"unit": (10, 3, 11)}])
def test_panel_raise_messages_count_the_whole_data(chunks):
    panel = random_panel(np.random.default_rng(3), n=24, waves=3, d=4, gap_rate=0.15)
    spec = mpi.Spec(
        [mpi.Indicator(f"i{j}", weight=Fraction(1, 4), dimension=f"d{j % 2}") for j in range(4)],
        k=Fraction(1, 2),
    )
    kw = {"weight": "w", "missing": "raise"}
    cases = [panel.drop_vars("w").assign(w=("unit", np.ones(24)))]  # indicators missing only
    w = np.ones(24)
    w[[13, 20]] = np.nan  # missing panel weights: counted over the whole panel
    cases.append(panel.assign(w=("unit", w)))
    w = w.copy()
    w[[17, 22]] = [-1.0, -3.0]  # a negative weight: the first unit of the whole panel
    cases.append(panel.assign(w=("unit", w)))
    for case in cases:
        ref = _message(identify, case, spec, **kw)
        assert ref == _message(identify, case.chunk(chunks), spec, **kw)
    assert "for 2 unit(s)" in _message(identify, cases[1], spec, **kw)
    assert "found -1" in _message(identify, cases[2], spec, **kw)


@pytest.mark.parametrize("chunks", [1, (5, 20, 3, 8), 36])
def test_invalid_flag_message_is_the_whole_datas(chunks):
    ds = _cross_section(n=36, seed=5).fillna(0)
    ds["x3"][30] = 7.0  # a later indicator, an earlier block
    ds["x1"][33] = 3.0  # the first indicator holding an invalid value: reported
    ds["x1"][34] = 5.0
    w = ds["w"].values.copy()
    w[2] = -1.0  # a negative weight: the invalid flag comes first, as in memory
    ds["w"] = ("obs", w)
    ref = _message(identify, ds, _spec(5), weight="w")
    assert "'x1'" in ref and "found the value 3" in ref
    assert ref == _message(identify, ds.chunk({"obs": chunks}), _spec(5), weight="w")
