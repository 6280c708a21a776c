"""mpi.measure on dask-backed Datasets equals mpi.measure on the same data in memory."""

from __future__ import annotations

import warnings

import dask
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from dask.callbacks import Callback

import mpi
from mpi.errors import DataError

SPEC = mpi.presets.global_mpi_2018()


@pytest.fixture(scope="module")
def survey() -> xr.Dataset:
    ds = mpi.datasets.load("mpi_survey", format="xarray")
    assert list(ds.dims) == ["unit"]
    return ds


def _numbers(res) -> list[xr.Dataset]:
    out = [res.to_dataset()]
    if res.inference is not None:
        out.append(res.se)
    return out


def assert_same(mem, lazy) -> None:
    """Same class, variables, dims and coordinates; floats to 1e-12, the rest exactly."""
    assert type(lazy) is type(mem)
    for a, b in zip(_numbers(mem), _numbers(lazy), strict=True):
        assert list(a.data_vars) == list(b.data_vars)
        assert dict(a.sizes) == dict(b.sizes)
        for c in a.coords:
            np.testing.assert_array_equal(a[c].values, b[c].values)
        for v in a.data_vars:
            x, y = a[v].values, b[v].values
            assert a[v].dims == b[v].dims and x.dtype == y.dtype, v
            if x.dtype.kind == "f":
                np.testing.assert_allclose(y, x, rtol=0, atol=1e-12, equal_nan=True, err_msg=v)
            else:
                np.testing.assert_array_equal(y, x, err_msg=v)
    for name in ("n_obs", "n_dropped", "n_missing"):  # unit counts: bit-identical
        np.testing.assert_array_equal(lazy[name].values, mem[name].values)


def measured(data, **kw):
    """The result and the warnings (category, message) of one call."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = mpi.measure(data, kw.pop("spec", SPEC), **kw)
    return res, [(w.category, str(w.message), w.filename) for w in caught]


def check(ds: xr.Dataset, chunks, **kw) -> None:
    original = ds.copy(deep=True)
    mem, w_mem = measured(ds, **kw)
    lazy_ds = ds.chunk({"unit": chunks})
    before = lazy_ds.copy()
    lazy, w_lazy = measured(lazy_ds, **kw)
    assert_same(mem, lazy)
    assert w_lazy == w_mem
    by = kw.get("by")
    if isinstance(by, list) and not mem.sparse:  # the margins come from the extended table
        assert_same(mem.marginal(by[0]), lazy.marginal(by[0]))
        assert_same(mem.overall, lazy.overall)
    xr.testing.assert_identical(lazy_ds, before)  # the inputs are not modified
    xr.testing.assert_identical(ds, original)
    along = [v for v in lazy_ds.data_vars if "unit" in lazy_ds[v].dims]
    assert along and all(lazy_ds[v].chunks is not None for v in along)


def uneven(n: int) -> tuple[int, ...]:
    parts = [1, 7, 1, n // 3, 2]
    return (*parts, n - sum(parts))


@pytest.mark.parametrize("chunks", ["one", "uneven", 333, 1])
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"by": "region"},
        {"by": ["region", "area"], "k": [0.2, "1/3", 0.5]},
        {"weight": "weight", "missing": "reweight", "by": "region"},
        {"weight": "weight", "k": [1 / 3, 0.6], "missing": "drop"},
    ],
    ids=["plain", "by", "by2-klist", "reweight", "weight-klist"],
)
def test_point_estimates_equal_in_memory(survey, chunks, kw):
    ds = survey.isel(unit=slice(0, 40)) if chunks == 1 else survey  # 1-unit chunks: 40 tasks
    n = ds.sizes["unit"]
    size = {"one": n, "uneven": uneven(n)}.get(chunks, chunks)
    check(ds, size, **kw)


def test_missing_weights_groups_and_raise(survey):
    ds = survey.copy()
    w = ds["weight"].values.copy()
    w[[3, 400, 4999]] = np.nan
    region = ds["region"].values.copy()
    region[[5, 6, 2000]] = None
    ds = ds.assign(weight=("unit", w), region=("unit", region))
    check(ds, 700, weight="weight", by=["region", "area"])  # names the weight's NaN count
    lazy = ds.chunk({"unit": 700})
    with pytest.raises(DataError) as mem_err:
        mpi.measure(ds, SPEC, missing="raise")
    with pytest.raises(DataError) as lazy_err:
        mpi.measure(lazy, SPEC, missing="raise")
    assert str(lazy_err.value) == str(mem_err.value)
    with pytest.raises(DataError, match="'nowhere' is not in the data"):
        mpi.measure(lazy, SPEC, by="nowhere")


def test_category_warning_once_for_the_whole_data(survey):
    d = SPEC.to_dict()
    (fuel,) = [i for i in d["indicators"] if i["variable"] == "cooking_fuel"]
    assert fuel["deprived_if"] == "in"
    fuel["cutoff"] = [*fuel["cutoff"], "whale_oil"]  # a category no unit has
    spec = mpi.Spec.from_dict(d)
    mem, w_mem = measured(survey, spec=spec)
    assert [c for c, _, _ in w_mem].count(mpi.CategoryWarning) == 1
    check(survey, uneven(5000), spec=spec)  # once, not once per block


@pytest.fixture(scope="module")
def survey_more(survey) -> xr.Dataset:
    """The survey with more grouping and design variables."""
    rng = np.random.default_rng(1)
    n = survey.sizes["unit"]
    g2 = rng.integers(0, 400, n).astype(float)
    g2[::97] = np.nan
    st, psu = survey["stratum"].values, survey["psu"].values
    within = pd.Series(psu).groupby(st).rank(method="dense").astype(int).to_numpy()
    n_h = pd.Series(psu).groupby(st).transform("nunique").to_numpy()
    return survey.assign(
        g1=("unit", rng.integers(0, 300, n)),  # with g2: a sparse cross-classification
        g2=("unit", g2),
        gi=("unit", rng.choice([3, 7, 100, 9000], n)),  # integers: labels pruned
        gs=("unit", rng.choice(np.array(["b", "a", None], dtype=object), n)),
        pin=("unit", within),  # PSU labels repeating across strata
        fpc=("unit", n_h * 10.0),
        rnd=("unit", np.where(np.arange(n) < 2600, 2019, 2021)),
        sts=("unit", np.array([f"s{x}" for x in st], dtype=object)),
    )


@pytest.mark.parametrize("chunks", [700, (1, 2, 4997)])
@pytest.mark.parametrize(
    "kw",
    [
        {"by": ["g1", "g2"]},
        {"by": "gi"},
        {"by": ["gs", "region"]},
        {"by": ["g1", "g2"], "design": mpi.Design("weight", strata="stratum", psu="psu")},
        {"by": "gi", "design": mpi.Design("weight", strata="stratum", psu="pin", nest=True,
                                          fpc="fpc")},
        {"by": ["gs", "gi"], "design": mpi.Design("weight", strata="sts", psu="psu",
                                                  rounds="rnd", lonely_psu="adjust")},
        {"by": "region", "design": mpi.Design(None, strata="sts", psu="psu",
                                              lonely_psu="average").bootstrap(20, seed=2)},
    ],
    ids=["sparse", "int-pruned", "text-none", "sparse-design", "nest-fpc", "rounds",
         "boot-noweight"],
)  # fmt: skip
def test_group_layouts_and_design_options_equal_in_memory(survey_more, chunks, kw):
    if kw["by"] == ["g1", "g2"]:
        assert measured(survey_more.chunk({"unit": chunks}), **kw)[0].sparse
    check(survey_more, chunks, **kw)


def _spans(psu: np.ndarray, size: int) -> int:
    """PSUs whose units lie in two blocks of ``size`` units."""
    starts = np.arange(size, len(psu), size)
    return int((psu[starts - 1] == psu[starts]).sum())


@pytest.mark.parametrize("chunks", [333, "uneven", "one"])
@pytest.mark.parametrize(
    "design",
    [
        mpi.Design("weight", strata="stratum", psu="psu"),
        mpi.Design("weight", strata="stratum"),  # every unit its own PSU
        mpi.Design("weight", strata="stratum", psu="psu").bootstrap(40, seed=3),
    ],
    ids=["linearized", "unit-psu", "bootstrap"],
)
def test_design_standard_errors_equal_in_memory(survey, design, chunks):
    assert _spans(survey["psu"].values, 333) > 5  # PSUs cut by the blocks
    size = {"one": 5000, "uneven": uneven(5000)}.get(chunks, chunks)
    check(survey, size, design=design, by="region", k=[0.2, "1/3"])
    if chunks == 333:
        check(survey, size, design=design, missing="reweight")


def test_replicate_design_equals_in_memory(survey):
    psu = survey["psu"].values
    reps = {
        f"rw{i}": ("unit", survey["weight"].values * np.where(psu % 4 == i, 0.0, 4 / 3))
        for i in range(4)
    }
    ds = survey.assign(reps)
    design = mpi.ReplicateDesign("weight", list(reps), type="JK1")
    check(ds, 333, design=design, by=["region", "area"])
    bad = ds.assign(rw2=ds["rw2"].where(ds["unit"] % 1000 != 7))  # NaN in 5 blocks
    with pytest.raises(DataError) as mem_err:
        mpi.measure(bad, SPEC, design=design)
    with pytest.raises(DataError) as lazy_err:
        mpi.measure(bad.chunk({"unit": 333}), SPEC, design=design)
    assert str(lazy_err.value) == str(mem_err.value)


class LargestResult(Callback):
    """Records the largest result (in bytes) of any dask task."""

    def __init__(self) -> None:
        super().__init__()
        self.largest = 0

    def _posttask(self, key, result, dsk, state, worker_id) -> None:
        self.largest = max(self.largest, _nbytes(result))


def _nbytes(obj) -> int:
    if isinstance(obj, xr.Dataset | xr.DataArray | np.ndarray):
        return int(obj.nbytes)
    if isinstance(obj, pd.DataFrame | pd.Series | pd.Index):
        return int(obj.memory_usage(deep=True).sum()) if obj.ndim > 1 else int(obj.nbytes)
    if isinstance(obj, tuple | list):
        return sum(_nbytes(o) for o in obj)
    if isinstance(obj, dict):
        return sum(_nbytes(o) for o in obj.values())
    return int(dask.sizeof.sizeof(obj))


def test_no_task_materialises_a_whole_variable():
    rng = np.random.default_rng(5)
    n = 200_000
    data = {f"x{j}": ("unit", rng.random(n)) for j in range(6)}
    data["w"] = ("unit", rng.uniform(0.5, 2.0, n))
    data["g"] = ("unit", rng.integers(0, 5, n))
    data["s"] = ("unit", np.repeat(np.arange(10), n // 10))
    data["p"] = ("unit", np.repeat(np.arange(400), n // 400))
    ds = xr.Dataset(data)
    spec = mpi.Spec.from_dict(
        {
            "k": "1/3",
            "indicators": [
                {"name": f"x{j}", "dimension": "abc"[j // 2], "variable": f"x{j}",
                 "weight": "1/6", "cutoff": 0.3, "deprived_if": "<"}
                for j in range(6)
            ],
        }
    )  # fmt: skip
    lazy = ds.chunk({"unit": 7_001})
    whole = ds["x0"].nbytes
    design = mpi.Design("w", strata="s", psu="p")
    with LargestResult() as rec:
        res = mpi.measure(lazy, spec, by="g", design=design, k=[0.3, 0.5])
    assert 0 < rec.largest < whole  # a block of every variable: 7001 x 10 x 8 bytes
    assert_same(mpi.measure(ds, spec, by="g", design=design, k=[0.3, 0.5]), res)
    with LargestResult() as control:  # the recorder sees a task that loads a variable
        dask.compute(lazy["x0"].data)
    assert control.largest >= whole


@pytest.fixture(scope="module")
def panel() -> xr.Dataset:
    """A registry panel (unit x time) with NaN in a few weights, units missing a wave and
    units without a group."""
    ds = mpi.datasets.generate("registry_panel", n=300, seed=1, format="xarray")
    w = ds["weight"].values.copy()
    w[[4, 17, 250]] = np.nan
    income = ds["income_per_capita"].values.copy()
    income[[9, 120], [2, 5]] = np.nan  # two more units not measurable in some wave
    labour = ds["labour_capacity"].values.copy()
    labour[[2, 21, 50, 201]] = None  # left out of the groups, kept in the totals per wave
    return ds.assign(
        weight=("unit", w),
        income_per_capita=(("unit", "time"), income),
        labour_capacity=("unit", labour),
    )


PANEL_SPEC = mpi.presets.china_2b3g()
#: No indicator encoded by category: with balance="observed" the groups are the units'
#: distinct labels with every wave, without a pass over the indicators.
FLAGS_SPEC = mpi.Spec.from_dimensions(
    {"living": ["food_insecure", "clothing_insecure"], "school": ["dropout_children"]}, k=0.5
)


def check_panel(ds: xr.Dataset, chunks, **kw) -> None:
    """A dask-backed panel measures as in memory: numbers, counts, notes and warnings (one
    MissingDataWarning for the excluded units, with the total)."""
    kw.setdefault("spec", PANEL_SPEC)
    check(ds, chunks, **kw)
    mem, w_mem = measured(ds, **dict(kw))
    lazy, w_lazy = measured(ds.chunk({"unit": chunks}), **dict(kw))
    assert lazy.notes == mem.notes
    assert lazy.to_dataset().attrs["n_excluded"] == mem.to_dataset().attrs["n_excluded"]
    assert w_lazy == w_mem
    excluded = [m for c, m, _ in w_lazy if "panel units excluded" in m]
    if kw.get("balance", "balanced") == "balanced" and kw.get("missing", "drop") != "raise":
        assert len(excluded) == 1
        assert excluded[0].startswith(f"{mem.notes['n_excluded']} of {ds.sizes['unit']} ")
    else:
        assert not excluded


@pytest.mark.parametrize("chunks", [1, "uneven", "one"])
@pytest.mark.parametrize(
    "kw",
    [
        {"weight": "weight"},
        {"weight": "weight", "by": "labour_capacity", "k": [0.2, "1/3", 0.5]},
        {"weight": "weight", "by": "labour_capacity", "balance": "observed"},
        {"by": "labour_capacity", "missing": "reweight", "k": [0.3, 0.6]},
        {"weight": "weight", "missing": "reweight", "balance": "observed"},
        {"spec": FLAGS_SPEC, "weight": "weight", "by": "labour_capacity", "balance": "observed"},
        {"spec": FLAGS_SPEC, "k": [0.5, 1], "balance": "observed"},
        {"spec": FLAGS_SPEC, "weight": "weight", "by": "labour_capacity"},
    ],
    ids=["balanced", "by-klist", "observed-by", "reweight-klist", "reweight-observed",
         "flags-observed-by", "flags-observed-klist", "flags-balanced-by"],
)  # fmt: skip
def test_panel_equals_in_memory(panel, chunks, kw):
    ds = panel.isel(unit=slice(0, 30)) if chunks == 1 else panel  # 1-unit chunks: 30 tasks
    n = ds.sizes["unit"]
    size = {"one": n, "uneven": uneven(n)}.get(chunks, chunks)
    mem = measured(ds, **{"spec": PANEL_SPEC, **kw})[0]
    assert mem.time == "time" and mem.to_dataset().sizes["time"] == 8
    if kw.get("balance") != "observed" and chunks != 1:
        assert mem.notes["n_excluded"] > 0  # the balance rule excluded units
    if kw.get("missing") != "reweight" and chunks != 1:
        assert int(mem["n_dropped"].sum()) > 0  # unit-waves dropped for missing values
    check_panel(ds, size, **kw)


def test_panel_block_with_every_unit_excluded(panel):
    ds = panel.isel(unit=slice(0, 40))
    income = ds["income_per_capita"].values.copy()
    income[10:20, 3] = np.nan  # a whole block of units excluded by balance="balanced"
    ds = ds.assign(income_per_capita=(("unit", "time"), income))
    check_panel(ds, (10, 10, 20), weight="weight", by="labour_capacity")
    all_out = ds.assign(income_per_capita=ds["income_per_capita"].where(ds["time"] != 2016))
    with pytest.warns(mpi.MissingDataWarning, match="40 of 40 panel units excluded"):
        with pytest.raises(DataError) as lazy_err:
            mpi.measure(all_out.chunk({"unit": 10}), PANEL_SPEC)
    with pytest.warns(mpi.MissingDataWarning, match="40 of 40 panel units excluded"):
        with pytest.raises(DataError) as mem_err:
            mpi.measure(all_out, PANEL_SPEC)
    assert str(lazy_err.value) == str(mem_err.value)


def test_lazy_panel_errors_and_per_wave(panel):
    lazy = panel.chunk({"unit": 100})
    with pytest.raises(mpi.ValidationError, match="design= is not supported for panels"):
        mpi.measure(lazy, PANEL_SPEC, design=mpi.Design("weight"))
    for kw in ({"by": "time"}, {"balance": "everything"}):  # the in-memory messages
        with pytest.raises(mpi.ValidationError) as mem_err:
            mpi.measure(panel, PANEL_SPEC, **kw)
        with pytest.raises(mpi.ValidationError) as lazy_err:
            mpi.measure(lazy, PANEL_SPEC, **kw)
        assert str(lazy_err.value) == str(mem_err.value)
    with pytest.raises(DataError) as mem_err:
        mpi.measure(panel, PANEL_SPEC, by="poverty_line")  # not fixed over time
    with pytest.raises(DataError) as lazy_err:
        mpi.measure(lazy, PANEL_SPEC, by="poverty_line")
    assert str(lazy_err.value) == str(mem_err.value)
    wave = measured(lazy.sel(time=2019), spec=PANEL_SPEC, weight="weight")[0]
    assert_same(measured(panel.sel(time=2019), spec=PANEL_SPEC, weight="weight")[0], wave)


def test_no_task_materialises_a_whole_panel_variable(panel):
    lazy = panel.chunk({"unit": 20})
    whole = panel["income_per_capita"].nbytes
    with LargestResult() as rec:
        res = measured(lazy, spec=PANEL_SPEC, weight="weight", by="labour_capacity")[0]
    assert 0 < rec.largest < whole
    assert_same(measured(panel, spec=PANEL_SPEC, weight="weight", by="labour_capacity")[0], res)
