"""Zarr stores and netCDF files, read lazily to and written from :class:`xarray.Dataset`.

A registry panel (``unit`` x ``time``) or any gridded input is kept as an
:class:`xarray.Dataset`: the readers open it without loading the arrays (Zarr through dask
chunks when dask is installed, netCDF through xarray's lazy backend arrays), so a selection
of variables or units reads only what it needs.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi.errors import ValidationError
from mpi.io._formats import is_zarr_store, require
from mpi.io._tabular import check_columns

__all__ = [
    "read_zarr", "read_netcdf", "write_zarr", "write_netcdf", "netcdf_engine", "dask_chunks",
]

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_CDF_MAGIC = b"CDF"


def _select(ds: xr.Dataset, columns: list[Hashable] | None, path: Path) -> xr.Dataset:
    if columns is None:
        return ds
    check_columns(columns, [*ds.data_vars, *ds.coords], path)
    return ds[columns]


def _zarr_consolidated(path: Path) -> bool:
    """Whether the store carries consolidated metadata (so opening it reads one file)."""
    if (path / ".zmetadata").is_file():
        return True
    meta = path / "zarr.json"
    if meta.is_file():
        try:
            return bool(json.loads(meta.read_text(encoding="utf-8")).get("consolidated_metadata"))
        except (ValueError, OSError):
            return False
    return False


def _has_dask() -> bool:
    try:
        import dask.array  # noqa: F401
    except ImportError:
        return False
    return True


def dask_chunks(chunks: Any) -> dict[Hashable, int] | None:
    """``read``'s ``chunks=`` checked: a mapping ``{dimension: size}`` (positive integers).

    Parameters
    ----------
    chunks : mapping or None
        The requested blocks; None keeps the file's own chunks.

    Returns
    -------
    dict or None
        The mapping (a copy), or None.
    """
    if chunks is None:
        return None
    if not isinstance(chunks, Mapping) or not chunks:
        raise ValidationError(
            f"chunks={chunks!r} is not a mapping of dimension to block size; pass e.g. "
            "chunks={'unit': 100_000} (units per block), or None for the file's own chunks"
        )
    out: dict[Hashable, int] = {}
    for dim, size in chunks.items():
        if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
            raise ValidationError(
                f"chunks={chunks!r}: the block size of {dim!r} is {size!r}; give a positive "
                "integer number of entries per block, e.g. {'unit': 100_000}"
            )
        out[dim] = int(size)
    if not _has_dask():
        raise ValidationError(
            f"chunks={chunks!r} needs dask, which is not installed: pip install 'xmpi[dask]'"
        )
    return out


def _check_dims(ds: xr.Dataset, chunks: dict[Hashable, int] | None, path: Path) -> None:
    unknown = [d for d in chunks or {} if d not in ds.dims]
    if unknown:
        ds.close()
        raise ValidationError(
            f"chunks names {unknown!r}, which '{path}' does not have as dimensions; its "
            f"dimensions are {list(ds.dims)!r}"
        )


def read_zarr(
    path: Path, columns: list[Hashable] | None, chunks: dict[Hashable, int] | None = None
) -> xr.Dataset:
    """Open a Zarr store lazily, as dask arrays (when dask is installed).

    Parameters
    ----------
    path : pathlib.Path
        The store's directory.
    columns : list or None
        Variables to keep (data variables or coordinates); None keeps all.
    chunks : dict or None
        Blocks ``{dimension: size}``; None: the store's own chunks (one dask block per
        Zarr chunk). Checked by :func:`dask_chunks`. Blocks that cut the store's chunks
        work (a chunk shared by two blocks is read by both): multiples of them are faster.

    Returns
    -------
    xarray.Dataset
        The store, its arrays not loaded: each variable is a dask array whose tasks read
        one block of the store each.
    """
    if not is_zarr_store(path):
        what = "a file" if path.is_file() else "a directory without Zarr metadata"
        raise ValidationError(
            f"path '{path}' is not a Zarr store: it is {what} (a store is a directory holding "
            "zarr.json, or .zgroup/.zarray for Zarr version 2); point to the store's top "
            "directory, or pass format= if the file is of another type"
        )
    require("zarr", package="zarr", purpose="reading .zarr stores")
    with warnings.catch_warnings():
        # blocks that cut the store's chunks read some chunks twice: slower, still right
        warnings.filterwarnings("ignore", "The specified chunks separate", UserWarning)
        ds = xr.open_zarr(path, consolidated=_zarr_consolidated(path), chunks=chunks or {})
    _check_dims(ds, chunks, path)
    return _select(ds, columns, path)


def netcdf_engine(path: Path | None) -> str:
    """The xarray engine for the netCDF file ``path`` (None: for writing netCDF-4).

    netCDF-4 files are HDF5: h5netcdf (with h5py) or netCDF4 reads them. netCDF-3 (classic)
    files open with netCDF4 or scipy (a dependency of xmpi).

    Parameters
    ----------
    path : pathlib.Path or None
        An existing file to read, or None to choose the writer's engine.

    Returns
    -------
    str
        ``"h5netcdf"``, ``"netcdf4"`` or ``"scipy"``.
    """
    kind = "netCDF-4"
    if path is not None:
        with open(path, "rb") as fh:
            head = fh.read(8)
        if head.startswith(_CDF_MAGIC):
            kind = "netCDF-3"
        elif not head.startswith(_HDF5_MAGIC):
            raise ValidationError(
                f"could not read '{path}' as netCDF: it is neither a netCDF-4 (HDF5) nor a "
                "netCDF-3 file (its first bytes are not a netCDF signature); check the file, "
                "or pass format= if it is of another type"
            )
    candidates = [("h5netcdf", ("h5netcdf", "h5py")), ("netcdf4", ("netCDF4",))]
    if kind == "netCDF-3":  # HDF5 readers (h5netcdf) cannot read the classic format
        candidates = [("netcdf4", ("netCDF4",)), ("scipy", ("scipy.io",))]
    for engine, modules in candidates:
        try:
            for module in modules:
                require(module, package=module, purpose="netCDF")
        except ValidationError:
            continue
        return engine
    verb = "reading" if path is not None else "writing"
    needs = "h5netcdf and h5py" if kind == "netCDF-4" else "scipy (or netCDF4)"
    install = "h5netcdf h5py" if kind == "netCDF-4" else "scipy"
    raise ValidationError(
        f"{verb} {kind} files needs the {needs} libraries, which are not installed: "
        f"pip install {install}"
    )


def read_netcdf(
    path: Path, columns: list[Hashable] | None, chunks: dict[Hashable, int] | None = None
) -> xr.Dataset:
    """Open a netCDF file lazily, as dask arrays (when dask is installed).

    Parameters
    ----------
    path : pathlib.Path
        The file.
    columns : list or None
        Variables to keep (data variables or coordinates); None keeps all.
    chunks : dict or None
        Blocks ``{dimension: size}``; None: the file's own chunks (netCDF-4/HDF5 chunks; a
        contiguous variable, and every variable of a netCDF-3 file, is one block).

    Returns
    -------
    xarray.Dataset
        The file's contents, arrays not loaded (dask arrays; without dask, xarray's lazy
        backend arrays); the file stays open until the Dataset is closed (``ds.close()`` or
        a ``with`` block).
    """
    if path.is_dir():
        raise ValidationError(
            f"path '{path}' is a directory, not a netCDF file; name the .nc file itself"
        )
    lazy = chunks or ({} if _has_dask() else None)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The specified chunks separate", UserWarning)
        ds = xr.open_dataset(path, engine=netcdf_engine(path), chunks=lazy)
    _check_dims(ds, chunks, path)
    try:
        return _select(ds, columns, path)
    except ValidationError:
        ds.close()
        raise


def _string_encoding(ds: xr.Dataset) -> dict[Hashable, dict[str, str]]:
    """``_FillValue=""`` for text variables with missing values (else they read back as "").

    Zarr and netCDF store variable-length text without a missing value of their own; with
    the empty string declared as the fill value, xarray writes a missing value as ``""`` and
    decodes it back to NaN (so an empty string in such a variable also reads as missing,
    as Stata and SPSS treat blank strings).
    """
    out = {}
    for name, variable in ds.variables.items():
        if variable.dtype.kind not in "OUT" or "_FillValue" in variable.encoding:
            continue
        if variable.dtype.kind == "O" and pd.isnull(np.asarray(variable.values)).any():
            out[name] = {"_FillValue": ""}
    return out


def _as_text(block: np.ndarray) -> np.ndarray:
    """A block of a text variable with its missing values as ``""`` (the fill value)."""
    out = np.array(block, dtype=object)
    out[pd.isnull(out)] = ""
    return out


def _write_lazy_text(ds: xr.Dataset, names: list[Hashable], path: Path) -> None:
    """Dask-backed text variables into the store, block by block (xarray would load them)."""
    import dask.array as da

    zarr = require("zarr", package="zarr", purpose="writing .zarr stores")
    group = zarr.open_group(str(path), mode="r+", zarr_format=2)
    for name in names:
        variable = ds.variables[name]
        chunks = tuple(max(1, int(c[0])) if c else 1 for c in variable.data.chunks)
        array = group.create_array(
            str(name), shape=variable.shape, chunks=chunks, dtype=str, fill_value=""
        )
        array.attrs.update(
            {**variable.attrs, "_ARRAY_DIMENSIONS": [str(d) for d in variable.dims]}
        )
        # dask blocks may not match the store's chunks: writes are serialised by da.store
        da.store(variable.data.map_blocks(_as_text, dtype=object), array, lock=True)
    zarr.consolidate_metadata(str(path), zarr_format=2)


def write_zarr(ds: xr.Dataset, path: Path) -> None:
    """Write ``ds`` as a Zarr store (format 2, consolidated metadata: read by every Zarr tool).

    Missing values of text variables are kept (as the fill value ``""``). A dask-backed
    Dataset is written block by block (its dask chunks become the store's chunks), text
    variables included, so a lazily opened store can be copied without loading it.

    Parameters
    ----------
    ds : xarray.Dataset
        The data.
    path : pathlib.Path
        The store's directory; an existing store there is replaced, anything else there is
        an error (so that no directory of other files is deleted).
    """
    if path.exists() and not is_zarr_store(path):
        raise ValidationError(
            f"path '{path}' exists and is not a Zarr store; writing would replace it: "
            "choose a new name or remove it first"
        )
    require("zarr", package="zarr", purpose="writing .zarr stores")
    lazy_text = [
        name for name, v in ds.variables.items()
        if v.dtype.kind == "O" and v.chunks is not None and name not in ds.indexes
    ]
    rest = ds.drop_vars(lazy_text)
    rest.to_zarr(
        path, mode="w", zarr_format=2, consolidated=True, encoding=_string_encoding(rest)
    )
    if lazy_text:
        _write_lazy_text(ds, lazy_text, path)


def write_netcdf(ds: xr.Dataset, path: Path) -> None:
    """Write ``ds`` as a netCDF-4 file (missing text values kept, as for Zarr).

    Parameters
    ----------
    ds : xarray.Dataset
        The data.
    path : pathlib.Path
        The file (replaced if it exists).
    """
    if path.is_dir():
        raise ValidationError(
            f"path '{path}' is a directory; a netCDF file needs a file name such as data.nc"
        )
    ds.to_netcdf(path, engine=netcdf_engine(None), encoding=_string_encoding(ds))
