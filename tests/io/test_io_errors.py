"""Every way reading or writing can fail gives one ValidationError line that says the fix."""

from __future__ import annotations

import sys

import pandas as pd
import pytest
import xarray as xr

from mpi.errors import ValidationError
from mpi.io import read, write


def _error(call, *args, **kwargs) -> str:
    with pytest.raises(ValidationError) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message and message
    return message


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"g": pd.Categorical(["a", "b"]), "x": [1.0, 2.0]})


@pytest.fixture
def dataset() -> xr.Dataset:
    return xr.Dataset({"x": ("unit", [1.0, 2.0])}, coords={"unit": [1, 2]})


def test_missing_file(tmp_path, monkeypatch) -> None:
    message = _error(read, tmp_path / "x.csv")
    assert message == f"path '{tmp_path / 'x.csv'}' does not exist; check the name and the folder"
    monkeypatch.chdir(tmp_path)
    message = _error(read, "x.csv")
    assert message.startswith("path 'x.csv' does not exist")
    assert f"(relative paths start from {tmp_path})" in message


def test_unknown_suffix(tmp_path) -> None:
    path = tmp_path / "data.foo"
    path.write_text("a\n1\n")
    message = _error(read, path)
    assert message.startswith("file type '.foo' is not supported for reading; use one of .csv,")
    assert ".parquet" in message and ".dta" in message and ".zarr" in message
    assert "format=" in message
    nameless = tmp_path / "data"
    nameless.write_text("a\n1\n")
    assert "has no file type suffix" in _error(read, nameless)
    assert "format='foo' is not supported" in _error(read, path, format="foo")
    assert "format=3 is not a file format" in _error(read, path, format=3)


def test_directory_that_is_not_a_zarr_store(tmp_path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello")
    message = _error(read, folder)
    assert f"path '{folder}' is not a Zarr store" in message and "zarr.json" in message
    fake = tmp_path / "fake.zarr"
    fake.write_text("not a directory")
    assert "is not a Zarr store: it is a file" in _error(read, fake)
    assert "is a directory, not a CSV file" in _error(read, folder, format="csv")


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("bad.dta", b"this is not stata", "Stata .dta"),
        ("bad.sav", b"this is not spss", "SPSS .sav"),
        ("bad.parquet", b"PAR1 but not really", "Parquet"),
        ("bad.xlsx", b"PK not a zip", "Excel .xlsx"),
        ("bad.csv", b"", "CSV"),
        ("bad.nc", b"\x89HDF\r\n\x1a\nbroken", "netCDF"),
    ],
)
def test_unreadable_file(name, content, kind, tmp_path) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    message = _error(read, path)
    assert message.startswith(f"could not read '{path}' as {kind} (")
    assert "format=" in message


def test_not_a_netcdf_file(tmp_path) -> None:
    path = tmp_path / "text.nc"
    path.write_text("plain text")
    assert "neither a netCDF-4 (HDF5) nor a netCDF-3 file" in _error(read, path)


def test_broken_zarr_store(tmp_path) -> None:
    store = tmp_path / "broken.zarr"
    store.mkdir()
    (store / "zarr.json").write_text("{not json")
    assert _error(read, store).startswith(f"could not read '{store}' as Zarr (")


def test_missing_optional_libraries(monkeypatch, tmp_path, frame, dataset) -> None:
    store = write(dataset, tmp_path / "d.zarr")
    nc = write(dataset, tmp_path / "d.nc")
    parquet = write(frame, tmp_path / "f.parquet")
    monkeypatch.setitem(sys.modules, "zarr", None)
    monkeypatch.setitem(sys.modules, "h5netcdf", None)
    monkeypatch.setitem(sys.modules, "netCDF4", None)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    assert "needs the zarr library, which is not installed: pip install zarr" in _error(
        read, store
    )
    assert "pip install zarr" in _error(write, dataset, tmp_path / "e.zarr")
    assert "pip install h5netcdf h5py" in _error(read, nc)
    assert "pip install h5netcdf h5py" in _error(write, dataset, tmp_path / "e.nc")
    assert "pip install pyarrow" in _error(read, parquet)
    assert "pip install pyarrow" in _error(write, frame, tmp_path / "g.parquet")


def test_bad_options(tmp_path, frame) -> None:
    csv = write(frame, tmp_path / "f.csv")
    parquet = write(frame, tmp_path / "f.parquet")
    assert "value_labels='labels' is not an option" in _error(read, csv, value_labels="labels")
    assert "sheet='data' applies to Excel workbooks" in _error(read, csv, sheet="data")
    assert "encoding='gbk' applies to text, Stata and SPSS" in _error(
        read, parquet, encoding="gbk"
    )
    assert "columns=[] selects no column" in _error(read, csv, columns=[])
    assert "is not a file path" in _error(read, 42)
    xlsx = write(frame, tmp_path / "f.xlsx")
    assert "sheet=1.5 is not a sheet" in _error(read, xlsx, sheet=1.5)


def test_write_errors(tmp_path, frame, dataset) -> None:
    message = _error(write, dataset, tmp_path / "d.csv")
    assert "obj is an xarray.Dataset" in message and "to_dataframe" in message
    assert "obj is a DataFrame and Zarr holds arrays" in _error(write, frame, tmp_path / "f.zarr")
    assert "must be a pandas DataFrame" in _error(write, [1, 2], tmp_path / "f.csv")
    assert "the folder" in _error(write, frame, tmp_path / "no" / "such" / "f.csv")
    assert "file type '.xlsm' is not supported for writing" in _error(
        write, frame, tmp_path / "f.xlsm"
    )
    folder = tmp_path / "keep"
    folder.mkdir()
    (folder / "precious.txt").write_text("keep me")
    assert "exists and is not a Zarr store" in _error(write, dataset, folder, format="zarr")
    assert (folder / "precious.txt").read_text() == "keep me"
    numbered = pd.DataFrame({0: [1.0], 1: [2.0]})
    assert "need text column names" in _error(write, numbered, tmp_path / "n.dta")
    bad_name = pd.DataFrame({"has space": [1.0]})
    assert _error(write, bad_name, tmp_path / "b.dta").startswith(
        f"could not write '{tmp_path / 'b.dta'}' as Stata .dta ("
    )


def test_excel_row_limit(tmp_path, monkeypatch) -> None:
    import mpi.io._write as writer

    monkeypatch.setattr(writer, "EXCEL_ROWS", 3)
    big = pd.DataFrame({"x": range(3)})
    assert "an Excel sheet holds 2 below its header" in _error(write, big, tmp_path / "b.xlsx")
