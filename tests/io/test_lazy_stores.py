"""Zarr and netCDF open lazily; panels are built into Zarr stores from long tables in pieces."""

from __future__ import annotations

import dask
import dask.array
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from dask.callbacks import Callback

from mpi._common.chunked import is_lazy
from mpi.dynamics.build import panel_from_long
from mpi.errors import DataError, ValidationError
from mpi.io import read, read_pieces, write


class _Tasks(Callback):
    """Counts the dask tasks run and records the largest result any of them returned."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.largest = 0

    def _posttask(self, key, result, dsk, state, worker_id) -> None:
        self.count += 1
        self.largest = max(self.largest, int(getattr(result, "nbytes", 0)))


@pytest.fixture
def wide(tmp_path):
    """A 4,000-unit cross-section stored in 40 chunks of 100 units."""
    rng = np.random.default_rng(3)
    n = 4000
    ds = xr.Dataset(
        {
            "x": ("unit", rng.random(n)),
            "y": (("unit", "k"), rng.random((n, 5))),
            "weight": ("unit", rng.uniform(0.5, 2.0, n)),
        },
        coords={"unit": np.arange(n), "k": np.arange(5)},
    )
    store = tmp_path / "wide.zarr"
    ds.chunk({"unit": 100}).to_zarr(store, zarr_format=2, consolidated=True)
    ds.to_netcdf(tmp_path / "wide.nc", engine="h5netcdf")
    return ds, store, tmp_path / "wide.nc"


def test_zarr_opens_without_running_a_task_and_reads_one_block(wide) -> None:
    ds, store, _ = wide
    with _Tasks() as tasks:
        lazy = read(store)
    assert tasks.count == 0  # opening read no array
    assert isinstance(lazy["y"].data, dask.array.Array)
    assert lazy["y"].chunks == ((100,) * 40, (5,))  # the store's own chunks, not merged
    with _Tasks() as tasks:
        one = lazy["y"].isel(unit=slice(200, 210)).values
    np.testing.assert_array_equal(one, ds["y"].values[200:210])
    assert 0 < tasks.largest <= 100 * 5 * 8  # one chunk, never the whole variable
    assert tasks.largest < ds["y"].nbytes / 10


def test_zarr_reblocked_on_request(wide) -> None:
    ds, store, _ = wide
    lazy = read(store, chunks={"unit": 1000})
    assert lazy["x"].chunks == ((1000,) * 4,)
    with _Tasks() as tasks:
        total = float(lazy["x"].sum().compute())
    assert total == pytest.approx(float(ds["x"].sum()), rel=1e-12)
    assert tasks.largest <= 1000 * 8


def test_netcdf_opens_as_dask_arrays(wide) -> None:
    ds, _, nc = wide
    with _Tasks() as tasks, read(nc) as lazy:
        assert isinstance(lazy["x"].data, dask.array.Array)
        assert is_lazy(lazy, ["x", "weight"])
    assert tasks.count == 0
    with read(nc, chunks={"unit": 500}) as lazy:
        assert lazy["y"].chunks[0] == (500,) * 8
        with _Tasks() as tasks:
            np.testing.assert_array_equal(lazy["y"][:500].values, ds["y"].values[:500])
        assert tasks.largest <= 500 * 5 * 8


@pytest.mark.parametrize(
    ("chunks", "words"),
    [
        ({"unit": 0}, "positive integer"),
        ({"unit": 2.5}, "positive integer"),
        ({}, "mapping"),
        (100, "mapping"),
        ({"household": 10}, "does not have as dimensions"),
    ],
)
def test_bad_chunks_are_refused(wide, chunks, words) -> None:
    _, store, nc = wide
    for path in (store, nc):
        with pytest.raises(ValidationError, match=words):
            read(path, chunks=chunks)


def test_chunks_on_a_table_is_refused(tmp_path) -> None:
    path = write(pd.DataFrame({"a": [1, 2]}), tmp_path / "t.csv")
    with pytest.raises(ValidationError, match="Zarr stores and netCDF files only"):
        read(path, chunks={"unit": 1})


# --- read_pieces ------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".tsv"])
def test_read_pieces_put_together_are_the_table(suffix, tmp_path) -> None:
    frame = pd.DataFrame(
        {"id": np.arange(25) // 3, "x": np.linspace(0, 1, 25), "s": list("abcde") * 5}
    )
    path = write(frame, tmp_path / f"t{suffix}")
    pieces = list(read_pieces(path, rows=7))
    assert [len(p) for p in pieces] == [7, 7, 7, 4]
    pd.testing.assert_frame_equal(
        pd.concat(pieces, ignore_index=True), read(path), check_like=False
    )
    only = list(read_pieces(path, rows=10, columns=["x", "id"]))
    assert list(only[0].columns) == ["x", "id"]


def test_read_pieces_refuses_bad_arguments(tmp_path) -> None:
    path = write(pd.DataFrame({"id": [1, 2]}), tmp_path / "t.csv")
    with pytest.raises(ValidationError, match="rows=0"):
        read_pieces(path, rows=0)
    with pytest.raises(ValidationError, match="'nope'"):
        list(read_pieces(path, columns=["nope"]))
    stata = write(pd.DataFrame({"id": [1, 2]}), tmp_path / "t.dta")
    with pytest.raises(ValidationError, match="delimited text and Parquet"):
        read_pieces(stata)


# --- panel_from_long(store=) ------------------------------------------------------------------
def _long(seed: int = 0, n_units: int = 57, waves=(2015, 2016, 2018, 2019)) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    keys = [
        (u, t)
        for u in rng.permutation(np.arange(1000, 1000 + n_units))
        for t in waves
        if rng.random() < 0.8
    ]
    ids = np.array([k[0] for k in keys])
    years = np.array([k[1] for k in keys])
    n = len(keys)
    weight = (ids % 7 + 1) / 2.0
    frame = pd.DataFrame(
        {
            "hh": ids,
            "year": years,
            "income": rng.normal(3000, 500, n),
            "members": rng.integers(1, 8, n),  # int with gaps -> float64
            "water": rng.random(n) < 0.7,  # bool with gaps -> float64
            "region": np.array(["north", "south", "east"])[ids % 3],  # text, static
            "weight": np.where(rng.random(n) < 0.1, np.nan, weight),  # static with some gaps
            "status": rng.choice(["a", "b", None], n),  # text with missing values
            "rec": np.arange(n),
        }
    )
    dup = frame.sample(9, random_state=seed).assign(income=-1.0, rec=lambda f: f["rec"] + 10_000)
    return pd.concat([frame, dup], ignore_index=True).sample(frac=1.0, random_state=seed + 1)


def _assert_same_panel(lazy: xr.Dataset, eager: xr.Dataset) -> None:
    loaded = lazy.load()
    assert list(loaded.data_vars) == list(eager.data_vars)
    for name in [*eager.coords, *eager.data_vars]:
        a, b = loaded[name], eager[name]
        assert a.dims == b.dims, name
        if b.dtype == object:
            assert a.dtype == object, name
            np.testing.assert_array_equal(pd.isna(a.values), pd.isna(b.values), err_msg=name)
            seen = ~pd.isna(b.values)
            np.testing.assert_array_equal(a.values[seen], b.values[seen], err_msg=name)
        else:
            assert a.dtype == b.dtype, name
            np.testing.assert_array_equal(a.values, b.values, err_msg=name)
    keys = set(eager.attrs) - {"history"}
    assert {k: loaded.attrs[k] for k in keys} == {k: eager.attrs[k] for k in keys}


OPTIONS = {"unit": "hh", "time": "year", "static": ["region", "weight"]}


@pytest.mark.parametrize("duplicates", ["first", "last", ("last", "rec")])
@pytest.mark.parametrize("chunk_units", [1, 5, 13, 1000])
def test_store_panel_equals_in_memory_panel(duplicates, chunk_units, tmp_path) -> None:
    frame = _long()
    before = frame.copy()
    eager = panel_from_long(frame, duplicates=duplicates, **OPTIONS)
    pieces = [frame.iloc[i : i + 40] for i in range(0, len(frame), 40)]
    lazy = panel_from_long(
        pieces, duplicates=duplicates, store=tmp_path / "p.zarr", chunk_units=chunk_units, **OPTIONS
    )
    assert isinstance(lazy["income"].data, dask.array.Array)
    expect = min(chunk_units, lazy.sizes["unit"])
    assert lazy["income"].chunks[0][0] == expect
    assert lazy.attrs["duplicates_dropped"] == 9
    _assert_same_panel(lazy, eager)
    pd.testing.assert_frame_equal(frame, before)  # the input is not modified
    assert [p.name for p in tmp_path.iterdir()] == ["p.zarr"]  # temporary files removed


def test_store_panel_from_a_generator_and_from_files(tmp_path) -> None:
    frame = _long(seed=4).drop(columns=["status"])
    eager = panel_from_long(frame, duplicates="last", **OPTIONS)
    gen = (frame.iloc[i : i + 33] for i in range(0, len(frame), 33))
    lazy = panel_from_long(
        gen, duplicates="last", store=tmp_path / "g.zarr", chunk_units=8, **OPTIONS
    )
    _assert_same_panel(lazy, eager)
    for suffix in (".csv", ".parquet"):
        path = write(frame, tmp_path / f"long{suffix}")
        whole = panel_from_long(read(path), duplicates="last", **OPTIONS)
        lazy = panel_from_long(
            path,
            duplicates="last",
            store=tmp_path / f"f{suffix}.zarr",
            chunk_units=6,
            rows=50,
            **OPTIONS,
        )
        _assert_same_panel(lazy, whole)


def test_store_panel_keeps_integers_when_every_block_is_complete(tmp_path) -> None:
    ids = np.repeat(np.arange(20), 3)
    frame = pd.DataFrame({"id": ids, "t": np.tile([1, 2, 3], 20), "n": ids * 2, "ok": ids % 2 == 0})
    eager = panel_from_long(frame, unit="id", time="t")
    lazy = panel_from_long(
        [frame[:31], frame[31:]], unit="id", time="t", store=tmp_path / "i.zarr", chunk_units=7
    )
    assert lazy["n"].dtype == np.int64 and lazy["ok"].dtype == bool
    _assert_same_panel(lazy, eager)
    # one gap in the last block only: every block's integers become float, as in memory
    gap = frame.drop(index=59)
    lazy = panel_from_long(
        [gap[:31], gap[31:]], unit="id", time="t", store=tmp_path / "i.zarr", chunk_units=7
    )
    assert lazy["n"].dtype == np.float64
    _assert_same_panel(lazy, panel_from_long(gap, unit="id", time="t"))


def test_store_panel_reports_the_errors_of_the_in_memory_panel(tmp_path) -> None:
    frame = _long()
    with pytest.raises(DataError, match="duplicated key"):
        panel_from_long([frame], store=tmp_path / "d.zarr", **OPTIONS)
    bad = frame.assign(region=np.where(frame["rec"] == 3, "west", frame["region"]))
    with pytest.raises(DataError, match="not constant within units"):
        panel_from_long([bad], duplicates="last", store=tmp_path / "s.zarr", **OPTIONS)
    with pytest.raises(DataError, match="income2"):
        panel_from_long(
            [frame, frame.rename(columns={"income": "income2"})],
            duplicates="last",
            store=tmp_path / "c.zarr",
            **OPTIONS,
        )


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"chunk_units": 0}, "chunk_units=0"),
        ({"rows": -1}, "rows=-1"),
        ({"duplicates": "newest"}, "duplicates"),
    ],
)
def test_store_panel_refuses_bad_arguments(kwargs, words, tmp_path) -> None:
    with pytest.raises(ValidationError, match=words):
        panel_from_long([_long()], store=tmp_path / "x.zarr", **{**OPTIONS, **kwargs})


def test_pieces_need_a_store_and_a_store_must_be_a_store(tmp_path) -> None:
    frame = _long()
    with pytest.raises(ValidationError, match="store="):
        panel_from_long([frame], duplicates="last", **OPTIONS)
    with pytest.raises(ValidationError, match="no pieces"):
        panel_from_long([], store=tmp_path / "e.zarr", **OPTIONS)
    other = tmp_path / "notes"
    other.mkdir()
    (other / "a.txt").write_text("keep me")
    with pytest.raises(ValidationError, match="not a Zarr store"):
        panel_from_long([frame], duplicates="last", store=other, **OPTIONS)
    assert (other / "a.txt").read_text() == "keep me"


def test_a_lazy_dataset_with_text_is_written_block_by_block(wide, tmp_path) -> None:
    ds, store, _ = wide
    labels = np.array(["north", "south", None, "east"], dtype=object)[np.arange(4000) % 4]
    eager = ds[["x"]].assign(region=("unit", labels))
    lazy = read(store, columns=["x"]).assign(region=("unit", labels)).chunk({"unit": 400})
    with _Tasks() as tasks:
        copy = write(lazy, tmp_path / "copy.zarr")  # no warning: text is not loaded whole
    assert tasks.largest <= 400 * 8 * 2  # a block (object pointers), never the whole variable
    back = read(copy)
    assert back["region"].chunks == ((400,) * 10,)
    np.testing.assert_array_equal(pd.isna(back["region"].values), pd.isna(labels))
    seen = ~pd.isna(labels)
    np.testing.assert_array_equal(back["region"].values[seen], labels[seen])
    np.testing.assert_array_equal(back["x"].values, eager["x"].values)
