"""``mpi.io.read``: one call for every file type a statistics office holds."""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterable, Mapping
from typing import Any, Literal

import pandas as pd
import xarray as xr

from mpi.errors import ValidationError
from mpi.io._arrays import dask_chunks, read_netcdf, read_zarr
from mpi.io._formats import (
    ARRAY_FORMATS,
    ENCODED_FORMATS,
    FORMAT_NAMES,
    existing_path,
    one_line,
    resolve_format,
)
from mpi.io._tabular import read_table

__all__ = ["read"]

_VALUE_LABELS = ("category", "codes")


def _columns(columns: Any) -> list[Hashable] | None:
    if columns is None:
        return None
    if isinstance(columns, str) or not isinstance(columns, Iterable):
        columns = [columns]
    out = list(dict.fromkeys(columns))
    if not out:
        raise ValidationError(
            "columns=[] selects no column; name the columns to read, or pass None for all"
        )
    for c in out:
        if not isinstance(c, Hashable):
            raise ValidationError(
                f"columns={columns!r} holds {c!r}, which is not a column name; pass names"
            )
    return out


def _check_options(
    fmt: str, sheet: Any, value_labels: Any, encoding: Any
) -> None:
    if value_labels not in _VALUE_LABELS:
        raise ValidationError(
            f"value_labels={value_labels!r} is not an option; use 'category' (labelled "
            "Stata/SPSS columns become Categoricals of their labels) or 'codes' (numbers kept)"
        )
    if sheet is not None and fmt not in (".xlsx", ".xlsm"):
        raise ValidationError(
            f"sheet={sheet!r} applies to Excel workbooks (.xlsx, .xlsm) only, and this is a "
            f"{FORMAT_NAMES[fmt]} file; leave sheet=None"
        )
    if sheet is not None and (
        isinstance(sheet, bool) or not isinstance(sheet, str | int)
    ):
        raise ValidationError(
            f"sheet={sheet!r} is not a sheet; give its name (str) or 0-based position (int)"
        )
    if encoding is not None:
        if fmt not in ENCODED_FORMATS:
            raise ValidationError(
                f"encoding={encoding!r} applies to text, Stata and SPSS files only, and this "
                f"is a {FORMAT_NAMES[fmt]} file (it stores its own encoding); leave it None"
            )
        if not isinstance(encoding, str):
            raise ValidationError(
                f"encoding={encoding!r} is not an encoding name; use e.g. 'utf-8' or 'gb18030'"
            )


def _failure(path: os.PathLike[str], fmt: str, exc: Exception) -> ValidationError:
    name = FORMAT_NAMES[fmt]
    if isinstance(exc, UnicodeDecodeError):
        return ValidationError(
            f"could not read '{path}' as {name}: its text is not in the expected encoding "
            f"({one_line(exc)}); pass encoding= the file's encoding, e.g. encoding='gb18030' "
            "for Chinese text saved by Excel"
        )
    if isinstance(exc, LookupError) and "encoding" in str(exc):
        return ValidationError(
            f"could not read '{path}': {one_line(exc)}; pass a known encoding name such as "
            "'utf-8' or 'gb18030'"
        )
    return ValidationError(
        f"could not read '{path}' as {name} ({one_line(exc)}); check that it is a complete "
        f"{name} file, or name its real type with format="
    )


def read(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    sheet: str | int | None = None,
    columns: str | Iterable[Hashable] | None = None,
    value_labels: Literal["category", "codes"] = "category",
    encoding: str | None = None,
    chunks: Mapping[Hashable, int] | None = None,
) -> pd.DataFrame | xr.Dataset:
    """Read a survey or registry file into a DataFrame (tables) or a Dataset (arrays).

    The file type comes from the suffix (see :data:`mpi.io.FORMATS`) or ``format=``:

    ============================  ===============================================
    ``.csv`` ``.tsv`` ``.txt``    pandas (``.txt``: comma, tab, ``;`` or ``|`` as
                                  the header line shows); compressed too
                                  (``.csv.gz``); UTF-8 unless ``encoding=``
    ``.parquet`` ``.pq``          pyarrow
    ``.dta``                      Stata, with pyreadstat
    ``.sav`` ``.zsav`` ``.por``   SPSS, with pyreadstat
    ``.xlsx`` ``.xlsm``           one sheet, with openpyxl
    ``.zarr`` (a directory)       :func:`xarray.open_zarr`, lazy (dask)
    ``.nc`` ``.nc4`` ``.netcdf``  :func:`xarray.open_dataset`, lazy (dask)
    ============================  ===============================================

    Zarr stores and netCDF files are opened, never loaded: every variable is a dask array
    whose blocks are the file's own chunks (or ``chunks=``), so the estimators of the
    package (``measure``, ``identify``, ``panel_states``, ...) run on them block by block
    without holding the data in memory (see the how-to "Bigger than memory").

    Tables come back with a plain ``RangeIndex``, and with two entries in ``frame.attrs``:
    ``"value_labels"``, ``{column: {code: label}}`` (Stata/SPSS value labels; empty for other
    formats) and ``"variable_labels"``, ``{column: label}``. With ``value_labels="category"``
    a labelled column becomes a :class:`pandas.Categorical` whose categories are the labels
    in the order of their codes (a value without a label keeps its code as text, ``"9"``;
    every labelled code is a category even when no row has it); with ``"codes"`` the numbers
    are kept, to be labelled later, column by column, with
    :func:`~mpi.io.apply_value_labels`. Stata and SPSS missing values (``.``, ``.a``-``.z``,
    SPSS user-missing codes) and blank strings read as missing.

    Parameters
    ----------
    path : str or os.PathLike
        The file (a directory for a Zarr store). ``~`` is expanded.
    format : str, optional
        The file type when the suffix does not say it: a suffix of :data:`mpi.io.FORMATS`
        with or without its dot (``"dta"``) or one of ``"stata"``, ``"spss"``, ``"excel"``,
        ``"parquet"``, ``"netcdf"``, ``"zarr"``, ``"text"``.
    sheet : str or int, optional
        Excel only: the sheet's name or 0-based position; default the first sheet.
    columns : str or list of str, optional
        Read only these columns (variables, for Zarr/netCDF), in this order. A name the file
        does not have is an error listing what it has.
    value_labels : {"category", "codes"}
        Stata/SPSS labelled columns as Categoricals of their labels (default) or as their
        numeric codes. Either way the mapping is kept in ``frame.attrs["value_labels"]``.
        Parquet categoricals are dictionary columns and stay Categoricals either way.
    encoding : str, optional
        Text, Stata and SPSS files only: the text encoding when it is not UTF-8 (delimited
        text; a byte-order mark is skipped) or not what an old Stata/SPSS file declares,
        e.g. ``"gb18030"`` for Chinese text from older software.
    chunks : mapping, optional
        Zarr and netCDF only: the dask blocks as ``{dimension: size}``, e.g.
        ``{"unit": 1_000_000}`` (units per block); default the file's own chunks (a Zarr
        chunk, a netCDF-4 chunk; a contiguous netCDF variable is one block). Needs dask.

    Returns
    -------
    pandas.DataFrame or xarray.Dataset
        A DataFrame for tables; an :class:`xarray.Dataset` for Zarr and netCDF, opened lazily
        (a netCDF file stays open until ``ds.close()``, or use it in a ``with`` block).

    Raises
    ------
    mpi.errors.ValidationError
        The path does not exist; the suffix is not a supported type; a directory is not a
        Zarr store; a requested column is missing; the file cannot be parsed as its type
        (the library's message in one line, with the path and format); an optional library
        (pyarrow, zarr, h5netcdf) is not installed (the ``pip install`` line is given);
        ``chunks=`` for a table, or not a mapping of a dimension of the file to a positive
        integer.

    See Also
    --------
    mpi.io.write : The same formats, written.
    mpi.io.apply_value_labels : Label the coded columns of a ``"codes"`` frame.

    Examples
    --------
    A Stata file keeps its value labels: ``region`` comes back as a Categorical.

    >>> import tempfile
    >>> from pathlib import Path
    >>> import mpi
    >>> from mpi.io import read, write
    >>> survey = mpi.datasets.load("dhs_rounds")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write(survey, Path(folder) / "dhs.dta")
    ...     frame = read(path, columns=["region", "weight"])
    ...     codes = read(path, columns=["region"], value_labels="codes")
    >>> frame["region"].cat.categories.tolist()
    ['Capital', 'Coast', 'Central', 'Lakes', 'Highlands', 'North']
    >>> frame.attrs["value_labels"]["region"][1]
    'Capital'
    >>> frame["region"].head(3).tolist(), codes["region"].head(3).tolist()
    (['Lakes', 'Lakes', 'Lakes'], [4, 4, 4])
    """
    target = existing_path(path)
    if target.is_dir() and format is None:
        fmt = ".zarr"  # a directory can only be a Zarr store; read_zarr says if it is not
    else:
        fmt = resolve_format(target, format)
    _check_options(fmt, sheet, value_labels, encoding)
    if chunks is not None and fmt not in ARRAY_FORMATS:
        raise ValidationError(
            f"chunks={chunks!r} applies to Zarr stores and netCDF files only, and this is a "
            f"{FORMAT_NAMES[fmt]} file; leave chunks=None (read a big table in pieces with "
            "mpi.io.read_pieces)"
        )
    blocks = dask_chunks(chunks)
    wanted = _columns(columns)
    if target.is_dir() and fmt != ".zarr":
        raise ValidationError(
            f"path '{target}' is a directory, not a {FORMAT_NAMES[fmt]} file; name the file"
        )
    try:
        if fmt == ".zarr":
            return read_zarr(target, wanted, blocks)
        if fmt in ARRAY_FORMATS:
            return read_netcdf(target, wanted, blocks)
        return read_table(
            target, fmt, columns=wanted, sheet=sheet, value_labels=value_labels,
            encoding=encoding,
        )
    except ValidationError:
        raise
    except MemoryError:
        raise
    except Exception as exc:
        raise _failure(target, fmt, exc) from exc
