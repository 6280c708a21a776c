"""The dask-native estimators on a ``dask.distributed`` cluster of two worker processes.

A small Zarr store is opened lazily with :func:`mpi.read`; ``measure``, ``identify``,
``panel_states`` and ``transitions`` run with a :class:`distributed.Client` active (the
blocks are loaded and reduced in the worker processes) and must equal the in-memory results.
The numba thread count inside dask tasks is checked too: numba threads x dask worker threads
stays within the machine's cores.
"""

from __future__ import annotations

import logging
import os
import warnings
from fractions import Fraction

import numba
import numpy as np
import pytest
import xarray as xr

distributed = pytest.importorskip("distributed")

import mpi  # noqa: E402
from mpi._common.chunked import reduce_blocks  # noqa: E402
from mpi.kernels import task_thread_count, task_threads  # noqa: E402

SPEC = mpi.presets.global_mpi_2018()
TOL = 1e-12


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # a free port: two test workers may each start a cluster
        silence_logs=logging.ERROR,
    )
    with cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stores")
    survey = mpi.datasets.load("mpi_survey", format="xarray").isel(unit=slice(0, 1200))
    mpi.io.write(survey.chunk({"unit": 250}), folder / "survey.zarr")  # chunks of 250 units
    rng = np.random.default_rng(5)
    n, waves, d = 160, 4, 4
    g = (rng.random((n, waves, d)) < 0.35).astype(float)
    g[rng.random((n, waves)) < 0.1] = np.nan
    panel = xr.Dataset(
        {f"i{j}": (("unit", "time"), g[:, :, j]) for j in range(d)}
        | {"w": ("unit", rng.uniform(0.5, 3.0, n)), "region": ("unit", rng.integers(0, 3, n))},
        coords={"unit": np.arange(100, 100 + n), "time": np.arange(2015, 2015 + waves)},
    )
    panel.chunk({"unit": 45}).to_zarr(folder / "panel.zarr", zarr_format=2, consolidated=True)
    return survey, folder / "survey.zarr", panel, folder / "panel.zarr"


def _quiet(func, *args, **kwargs):
    """``func(*args, **kwargs)`` and the messages of the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = func(*args, **kwargs)
    return out, [str(w.message) for w in caught]


def _panel_spec() -> mpi.Spec:
    inds = [mpi.Indicator(f"i{j}", weight=Fraction(1, 4), dimension=f"d{j % 2}") for j in range(4)]
    return mpi.Spec(inds, k=Fraction(1, 2))


def _same(a: xr.Dataset, b: xr.Dataset) -> None:
    a, b = a.compute(), b.compute()
    for ds in (a, b):
        ds.attrs.pop("history", None)
    assert list(a.data_vars) == list(b.data_vars)
    for name in [*a.coords, *a.data_vars]:
        x, y = a[name].values, b[name].values
        assert a[name].dims == b[name].dims and x.dtype == y.dtype, name
        if x.dtype.kind == "f":
            np.testing.assert_allclose(y, x, rtol=TOL, atol=TOL, equal_nan=True, err_msg=name)
        else:
            np.testing.assert_array_equal(y, x, err_msg=name)


def test_measure_on_the_cluster_equals_in_memory(client, stores) -> None:
    survey, path, _, _ = stores
    lazy = mpi.read(path)
    assert lazy["weight"].chunks[0] == lazy["region"].chunks[0] == (250, 250, 250, 250, 200)
    for kw in ({}, {"weight": "weight", "by": "region", "k": [Fraction(1, 3), 0.5]}):
        mem, said = _quiet(mpi.measure, survey, SPEC, **kw)
        res, says = _quiet(mpi.measure, lazy, SPEC, **kw)
        assert says == said and said  # the same missing-data warning, once
        assert type(res) is type(mem)
        _same(mem.to_dataset(), res.to_dataset())
        np.testing.assert_array_equal(res["n_obs"].values, mem["n_obs"].values)
    design = mpi.Design("weight", strata="stratum", psu="psu")
    mem, _ = _quiet(mpi.measure, survey, SPEC, design=design)
    res, _ = _quiet(mpi.measure, lazy, SPEC, design=design)
    _same(mem.to_dataset(), res.to_dataset())
    _same(mem.se, res.se)
    assert client.run(lambda: True)  # both workers alive


def test_identify_on_the_cluster_equals_in_memory(client, stores) -> None:
    survey, path, _, _ = stores
    mem, said = _quiet(mpi.identify, survey, SPEC, weight="weight")
    res, says = _quiet(mpi.identify, mpi.read(path), SPEC, weight="weight")
    assert says == said
    out = res.to_dataset()
    assert out["score"].chunks is not None  # per-unit outputs stay lazy
    _same(mem.to_dataset(), out)
    assert str(mem.summary()) == str(res.summary())


def test_panel_dynamics_on_the_cluster_equal_in_memory(client, stores) -> None:
    _, _, panel, path = stores
    spec = _panel_spec()
    lazy = mpi.read(path)
    assert lazy["i0"].chunks[0] == (45, 45, 45, 25)
    for kw in ({}, {"by": "region"}):
        mem_states = mpi.panel_states(panel, spec, weight="w", **kw)
        lazy_states = mpi.panel_states(lazy, spec, weight="w", **kw)
        mem = mpi.transitions(mem_states)
        res = mpi.transitions(lazy_states)
        assert type(res) is type(mem)
        _same(mem.to_dataset(), res.to_dataset())
    _same(
        mpi.transitions(panel, spec, weight="w").to_dataset(),
        mpi.transitions(lazy, spec, weight="w").to_dataset(),
    )


def _threads_in_task(block: xr.Dataset) -> list[int]:
    # no task_threads() here: reduce_blocks itself must limit the task's numba threads
    return [numba.get_num_threads()]


def test_numba_threads_times_worker_threads_fit_the_cores(client, stores) -> None:
    _, path, _, _ = stores
    workers = client.scheduler_info()["workers"].values()
    slots = sum(w["nthreads"] for w in workers)
    assert slots == 2
    seen = reduce_blocks(
        _threads_in_task, mpi.read(path), "unit", combine=lambda a, b: a + b, variables=["weight"]
    )
    assert len(seen) == 5 and set(seen) == {task_thread_count()} == {1}
    assert max(seen) * slots <= max(os.cpu_count() or 1, slots)
    # outside a task, each worker keeps numba's full pool (restored after every task)
    assert set(client.run(numba.get_num_threads).values()) == {numba.config.NUMBA_NUM_THREADS}


def test_task_threads_is_thread_local_and_restored() -> None:
    before = numba.get_num_threads()
    with task_threads() as n:
        assert n == numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
    with task_threads(10_000) as n:  # capped at numba's pool
        assert n == numba.config.NUMBA_NUM_THREADS
    assert task_thread_count("2") == min(2, numba.config.NUMBA_NUM_THREADS)
    for bad in ("zero", 0):
        with pytest.raises(ValueError, match="XMPI_TASK_THREADS"):
            task_thread_count(bad)
