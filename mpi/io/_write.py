"""``mpi.io.write``: a DataFrame or Dataset to any format :func:`mpi.io.read` reads back."""

from __future__ import annotations

import json
import os
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi.errors import ValidationError
from mpi.io._arrays import write_netcdf, write_zarr
from mpi.io._formats import (
    ARRAY_FORMATS,
    FORMAT_NAMES,
    as_path,
    one_line,
    require,
    resolve_format,
)
from mpi.io._labels import (
    VALUE_LABELS,
    VARIABLE_LABELS,
    categorical_codes,
    normalise_mapping,
)
from mpi.io._tabular import PARQUET_LABELS

__all__ = ["write"]

#: Rows of an Excel sheet, the header row included.
EXCEL_ROWS = 1_048_576


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a named index turned into columns and an unnamed one dropped."""
    if any(n is not None for n in frame.index.names):
        return frame.reset_index()
    return frame.reset_index(drop=True)


def _mappings(frame: pd.DataFrame) -> dict[Hashable, dict[Any, str]]:
    raw = frame.attrs.get(VALUE_LABELS) or {}
    if not isinstance(raw, Mapping):
        return {}
    return {
        c: normalise_mapping(m) for c, m in raw.items()
        if c in frame.columns and isinstance(m, Mapping)
    }


def _variable_labels(frame: pd.DataFrame) -> dict[str, str]:
    raw = frame.attrs.get(VARIABLE_LABELS) or {}
    if not isinstance(raw, Mapping):
        return {}
    return {str(c): str(t) for c, t in raw.items() if c in frame.columns and t}


def _text_names(frame: pd.DataFrame, fmt: str) -> None:
    bad = [c for c in frame.columns if not isinstance(c, str)]
    if bad:
        raise ValidationError(
            f"{FORMAT_NAMES[fmt]} files need text column names; got {bad[:5]!r}: rename the "
            "columns, e.g. frame.columns = frame.columns.astype(str)"
        )


def _plain_numbers(values: pd.Series) -> pd.Series:
    """Nullable extension numbers (``Int64``, ``boolean``) as numpy numbers, NaN for NA."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(dtype):
        return values
    if isinstance(dtype, np.dtype):
        return values
    if values.isna().any():
        return values.astype("float64")
    return values.astype(dtype.numpy_dtype)


def _stat_frame(frame: pd.DataFrame, fmt: str) -> tuple[pd.DataFrame, dict, dict]:
    """Codes in place of categoricals, with every value-label mapping that goes with them."""
    mappings = _mappings(frame)
    columns: dict[Hashable, pd.Series] = {}
    labels: dict[Hashable, dict[Any, str]] = {}
    for name in frame.columns:
        values = frame[name]
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes, mapping = categorical_codes(values, mappings.get(name))
            columns[name] = codes
            labels[name] = mapping
        elif pd.api.types.is_datetime64_any_dtype(values.dtype):
            # pyreadstat misreads second-resolution datetimes (as 1970): write microseconds
            columns[name] = values.dt.as_unit("us") if values.dt.unit == "s" else values
        else:
            columns[name] = _plain_numbers(values)
            if name in mappings:
                labels[name] = mappings[name]
    if fmt == ".dta":
        for name, mapping in labels.items():
            bad = [c for c in mapping if not isinstance(c, int)]
            if bad:
                raise ValidationError(
                    f"Stata value labels need whole-number codes; column {name!r} has codes "
                    f"{bad[:5]!r}: write .sav (SPSS allows them) or recode the column"
                )
    return pd.DataFrame(columns, index=frame.index), labels, _variable_labels(frame)


def _write_stat(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    pyreadstat = require("pyreadstat", package="pyreadstat", purpose="writing Stata/SPSS files")
    _text_names(frame, fmt)
    data, labels, variables = _stat_frame(frame, fmt)
    common: dict[str, Any] = {"column_labels": variables} if variables else {}
    if fmt == ".dta":
        pyreadstat.write_dta(data, str(path), variable_value_labels=labels, **common)
    else:
        pyreadstat.write_sav(
            data, str(path), variable_value_labels=labels, compress=fmt == ".zsav", **common
        )


def _json_safe(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of ``attrs`` that read back unchanged from JSON (as pandas stores them)."""
    out = {}
    for key, value in attrs.items():
        try:
            if isinstance(key, str) and json.loads(json.dumps(value)) == value:
                out[key] = value
        except (TypeError, ValueError):
            continue
    return out


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    require("pyarrow", package="pyarrow", purpose="writing Parquet files")
    _text_names(frame, ".parquet")
    others = {k: v for k, v in frame.attrs.items() if k not in (VALUE_LABELS, VARIABLE_LABELS)}
    attrs = _json_safe(others)
    pairs = {str(c): [[code, label] for code, label in m.items()] for c, m in _mappings(frame).items()}
    if pairs:
        attrs[PARQUET_LABELS] = pairs
    variables = _variable_labels(frame)
    if variables:
        attrs[VARIABLE_LABELS] = variables
    out = frame.copy(deep=False)
    out.attrs = attrs
    out.to_parquet(path, index=False, engine="pyarrow")


def _write_excel(frame: pd.DataFrame, path: Path) -> None:
    require("openpyxl", package="openpyxl", purpose="writing Excel workbooks")
    if len(frame) + 1 > EXCEL_ROWS:
        raise ValidationError(
            f"the frame has {len(frame):,} rows and an Excel sheet holds {EXCEL_ROWS - 1:,} "
            "below its header: write .csv or .parquet instead"
        )
    frame.to_excel(path, index=False, engine="openpyxl")


def _write_table(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    frame = _plain(frame)
    if fmt in (".csv", ".tsv", ".txt"):
        sep = "," if fmt == ".csv" else "\t"
        frame.to_csv(path, index=False, sep=sep, lineterminator="\n", encoding="utf-8")
    elif fmt in (".parquet", ".pq"):
        _write_parquet(frame, path)
    elif fmt in (".dta", ".sav", ".zsav"):
        _write_stat(frame, path, fmt)
    else:
        _write_excel(frame, path)


def _check_kind(obj: Any, fmt: str) -> None:
    if fmt in ARRAY_FORMATS:
        if isinstance(obj, pd.DataFrame):
            raise ValidationError(
                f"obj is a DataFrame and {FORMAT_NAMES[fmt]} holds arrays: write it as .csv, "
                ".parquet, .xlsx, .dta or .sav, or convert it with "
                "xarray.Dataset.from_dataframe(frame.set_index([...]))"
            )
        if not isinstance(obj, xr.Dataset):
            raise ValidationError(
                f"obj must be an xarray.Dataset to write {FORMAT_NAMES[fmt]}; got "
                f"{type(obj).__name__}"
            )
        return
    if isinstance(obj, xr.Dataset):
        raise ValidationError(
            f"obj is an xarray.Dataset and {FORMAT_NAMES[fmt]} holds a table: write it as "
            ".zarr or .nc, or convert it with ds.to_dataframe().reset_index()"
        )
    if not isinstance(obj, pd.DataFrame):
        raise ValidationError(
            f"obj must be a pandas DataFrame (or an xarray.Dataset for .zarr/.nc); got "
            f"{type(obj).__name__}"
        )


def write(
    obj: pd.DataFrame | xr.Dataset, path: str | os.PathLike[str], *, format: str | None = None
) -> Path:
    """Write a DataFrame or Dataset in any format :func:`mpi.io.read` reads back.

    ==========================================  ============================================
    DataFrame to ``.csv``, ``.tsv``/``.txt``    UTF-8 text, comma or tab; ``.csv.gz`` etc.
                                                compressed; categoricals as their labels
    DataFrame to ``.parquet``/``.pq``           pyarrow; dtypes kept, categoricals as
                                                dictionary columns, label mappings in the
                                                file's pandas metadata
    DataFrame to ``.dta``                       Stata 15 (UTF-8); categoricals as codes with
                                                value labels
    DataFrame to ``.sav``/``.zsav``             SPSS; value labels as for Stata
    DataFrame to ``.xlsx``                      one sheet; categoricals as their labels;
                                                numbers to 16 significant digits (openpyxl)
    Dataset to ``.zarr``                        Zarr format 2 with consolidated metadata
    Dataset to ``.nc``/``.nc4``/``.netcdf``     netCDF-4 (h5netcdf)
    ==========================================  ============================================

    Value labels are written where the format has them (Stata, SPSS; Parquet keeps them in
    its metadata): a categorical column is written as codes labelled by its categories, with
    the file's own codes when ``frame.attrs["value_labels"]`` has them (a frame read by
    :func:`mpi.io.read` writes back the codes it was read with) and ``1, 2, ...`` otherwise;
    a numeric column with a mapping in ``attrs`` keeps its numbers and gets the labels.
    ``attrs["variable_labels"]`` become the variable labels. A named index is written as
    columns; an unnamed index is not written.

    Parameters
    ----------
    obj : pandas.DataFrame or xarray.Dataset
        The data; not modified.
    path : str or os.PathLike
        The file (a directory for Zarr); its folder must exist. An existing file is
        replaced, and so is an existing Zarr store (but no other directory).
    format : str, optional
        The file type when the suffix does not say it, as in :func:`mpi.io.read`.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    mpi.errors.ValidationError
        A suffix that cannot be written, a DataFrame to an array format (or the reverse), a
        missing folder, more rows than an Excel sheet holds, codes Stata cannot label, or a
        failure of the writing library (its message in one line, with the path and format).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from mpi.io import read, write
    >>> frame = pd.DataFrame({"region": pd.Categorical(["North", "South", "North"]),
    ...                       "deprived": [1, 0, 1]})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     back = read(write(frame, Path(folder) / "survey.sav"))
    >>> back["region"].tolist(), back.attrs["value_labels"]
    (['North', 'South', 'North'], {'region': {1: 'North', 2: 'South'}})
    """
    target = as_path(path)
    fmt = resolve_format(target, format, writing=True)
    _check_kind(obj, fmt)
    folder = target.parent
    if not folder.is_dir():
        raise ValidationError(
            f"path '{target}': the folder '{folder}' does not exist; create it first "
            "(e.g. Path(folder).mkdir(parents=True))"
        )
    try:
        if fmt == ".zarr":
            write_zarr(obj, target)
        elif fmt in ARRAY_FORMATS:
            write_netcdf(obj, target)
        else:
            _write_table(obj, target, fmt)
    except ValidationError:
        raise
    except MemoryError:
        raise
    except Exception as exc:
        raise ValidationError(
            f"could not write '{target}' as {FORMAT_NAMES[fmt]} ({one_line(exc)}); check "
            "the column names and types this format allows, or write .parquet or .csv"
        ) from exc
    return target
