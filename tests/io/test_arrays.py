"""Zarr stores and netCDF files: the bundled registry panel round trip, opened lazily."""

from __future__ import annotations

import dask.array
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi
from mpi.io import read, write


def _same(back: xr.Dataset, original: xr.Dataset) -> None:
    assert sorted(back.data_vars) == sorted(original.data_vars)
    assert back.sizes == original.sizes
    for name, variable in original.variables.items():
        got = back[name].variable
        assert got.dims == variable.dims, name
        if variable.dtype.kind == "O":  # strings come back as fixed or variable width str
            assert got.dtype.kind in "OUT", name
            missing = pd.isnull(variable.values)
            np.testing.assert_array_equal(pd.isnull(got.values), missing, name)
            np.testing.assert_array_equal(
                got.values[~missing].astype(object), variable.values[~missing], name
            )
        else:
            assert got.dtype == variable.dtype, name
            np.testing.assert_array_equal(got.values, variable.values, name)
        assert got.attrs.keys() == variable.attrs.keys(), name
    assert back.attrs.keys() == original.attrs.keys()
    for key, value in original.attrs.items():
        np.testing.assert_equal(np.asarray(back.attrs[key]), np.asarray(value), err_msg=key)


def test_zarr_round_trip_is_lazy(registry_panel, tmp_path) -> None:
    before = registry_panel.copy(deep=True)
    store = write(registry_panel, tmp_path / "panel.zarr")
    assert (store / ".zmetadata").is_file()
    back = read(store)
    assert isinstance(back["income_per_capita"].data, dask.array.Array)  # not loaded
    _same(back, registry_panel)
    xr.testing.assert_identical(registry_panel, before)
    # a store without the suffix is still recognised, and a store may be replaced
    plain = write(registry_panel[["weight"]], tmp_path / "plain", format="zarr")
    assert list(read(plain).data_vars) == ["weight"]
    write(registry_panel[["alive"]], plain, format="zarr")
    assert list(read(plain).data_vars) == ["alive"]


def test_zarr_version_3_store_is_read(registry_panel, tmp_path) -> None:
    small = registry_panel[["weight", "income_per_capita"]]
    small.to_zarr(tmp_path / "v3.zarr", zarr_format=3, consolidated=False)
    back = read(tmp_path / "v3.zarr")  # no warning about consolidated metadata
    _same(back, small)


@pytest.mark.parametrize("suffix", [".nc", ".nc4", ".netcdf"])
def test_netcdf_round_trip_is_lazy(suffix, registry_panel, tmp_path) -> None:
    path = write(registry_panel, tmp_path / f"panel{suffix}")
    with read(path) as back:
        assert not back["income_per_capita"].variable._in_memory  # opened, not loaded
        _same(back, registry_panel)


def test_netcdf3_file_is_read_with_scipy(registry_panel, tmp_path) -> None:
    small = xr.Dataset({"weight": ("unit", registry_panel["weight"].values)})
    small.to_netcdf(tmp_path / "classic.nc", engine="scipy")
    with read(tmp_path / "classic.nc") as back:
        np.testing.assert_array_equal(back["weight"].values, small["weight"].values)


@pytest.mark.parametrize("suffix", [".zarr", ".nc"])
def test_columns_select_variables(suffix, registry_panel, tmp_path) -> None:
    path = write(registry_panel, tmp_path / f"panel{suffix}")
    back = read(path, columns=["weight", "income_per_capita"])
    assert list(back.data_vars) == ["weight", "income_per_capita"]
    np.testing.assert_array_equal(back["weight"].values, registry_panel["weight"].values)
    with pytest.raises(mpi.errors.ValidationError) as info:
        read(path, columns=["weight", "incme"])
    assert "columns=['incme']: not in" in str(info.value)
    assert "income_per_capita" in str(info.value) and "\n" not in str(info.value)
    back.close()


def test_measure_on_read_panel_equals_in_memory(registry_panel, tmp_path, quiet_missing) -> None:
    spec = mpi.presets.china_2b3g()
    path = write(registry_panel, tmp_path / "panel.zarr")
    lazy = read(path)
    assert isinstance(lazy["income_per_capita"].data, dask.array.Array)
    for kw in ({"weight": "weight"}, {"weight": "weight", "by": "labour_capacity"}):
        expected = mpi.measure(registry_panel, spec, **kw)
        for data in (lazy, lazy.chunk({"unit": 97})):  # the store's chunks, and smaller ones
            got = mpi.measure(data, spec, **kw)  # block by block of units, never loaded whole
            assert got.notes == expected.notes and got.notes["n_excluded"] > 0
            frame, exp = got.to_frame(), expected.to_frame()
            assert len(frame) == len(exp) > 10
            assert (frame.index == exp.index).all()
            np.testing.assert_allclose(
                frame["estimate"].to_numpy(float), exp["estimate"].to_numpy(float), rtol=0,
                atol=1e-12,
            )  # fmt: skip
            np.testing.assert_array_equal(got["n_obs"].values, expected["n_obs"].values)
    assert isinstance(lazy["income_per_capita"].data, dask.array.Array)  # still not loaded
    wave = registry_panel["time"].values[-1]  # one wave: a lazy cross-section
    by_wave = mpi.measure(lazy.sel(time=wave), spec, weight="weight").to_frame()
    in_memory = mpi.measure(registry_panel.sel(time=wave), spec, weight="weight").to_frame()
    np.testing.assert_allclose(
        by_wave["estimate"].to_numpy(float), in_memory["estimate"].to_numpy(float), atol=1e-12
    )


def test_conversion_between_array_formats(registry_panel, tmp_path) -> None:
    small = registry_panel[["weight", "housing_grade", "income_per_capita"]]
    with read(write(small, tmp_path / "a.nc")) as from_nc:
        store = write(from_nc, tmp_path / "b.zarr")  # encodings of one format do not leak
    again = write(read(store), tmp_path / "c.nc")
    with read(again) as back:
        _same(back, small)
        assert int(pd.isnull(back["housing_grade"].values).sum()) == int(
            pd.isnull(small["housing_grade"].values).sum()
        ) > 0
