"""Readers of tables: delimited text, Parquet, Stata, SPSS and Excel, to pandas DataFrames.

Each reader takes the resolved path and format and the requested ``columns`` (None for all)
and returns the frame with ``attrs["value_labels"]`` and ``attrs["variable_labels"]`` set.
The requested columns are checked against what the file holds before the data are read, so a
missing column costs no full read and the message can list what the file has.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from mpi.errors import ValidationError
from mpi.io._formats import FORMATS, describe_names, require
from mpi.io._labels import (
    VALUE_LABELS,
    VARIABLE_LABELS,
    labelled_categorical,
    normalise_mapping,
)

__all__ = ["read_table", "check_columns", "excel_sheet", "text_options", "PARQUET_LABELS"]

#: Key under which :func:`mpi.io.write` keeps value labels in a Parquet file's pandas
#: metadata, as ``{column: [[code, label], ...]}`` (JSON object keys would turn codes to text).
PARQUET_LABELS = "value_label_pairs"

_DELIMITERS = (",", "\t", ";", "|")


def check_columns(wanted: list[Hashable] | None, available: list[Any], path: Path) -> None:
    """A :class:`~mpi.ValidationError` naming the columns of ``wanted`` the file lacks.

    Parameters
    ----------
    wanted : list or None
        The requested columns (None: all, nothing to check).
    available : list
        The columns (variables) the file holds.
    path : pathlib.Path
        The file, for the message.
    """
    if wanted is None:
        return
    have = set(available)
    missing = [c for c in wanted if c not in have]
    if missing:
        raise ValidationError(
            f"columns={missing!r}: not in '{path}' "
            f"({'this column is' if len(missing) == 1 else 'these columns are'} missing); "
            f"the file has: {describe_names(list(available))}"
        )


def _finish(
    frame: pd.DataFrame,
    wanted: list[Hashable] | None,
    value_labels: Mapping[Hashable, Mapping[Any, str]],
    variable_labels: Mapping[Hashable, str],
) -> pd.DataFrame:
    """Columns in the requested order, a plain RangeIndex, the label mappings in ``attrs``."""
    if wanted is not None:
        frame = frame[wanted]
    keep = set(frame.columns)
    frame.attrs = {
        **{k: v for k, v in frame.attrs.items() if k not in (VALUE_LABELS, VARIABLE_LABELS)},
        VALUE_LABELS: {c: dict(m) for c, m in value_labels.items() if c in keep},
        VARIABLE_LABELS: {c: str(t) for c, t in variable_labels.items() if c in keep and t},
    }
    return frame


def _recording(wanted: list[Hashable] | None, seen: list[Any]) -> Callable[[Any], bool] | None:
    """A ``usecols`` callable that keeps ``wanted`` and records every header name it is shown."""
    if wanted is None:
        return None
    keep = set(wanted)

    def use(name: Any) -> bool:
        seen.append(name)
        return name in keep

    return use


def text_options(path: Path, fmt: str, encoding: str) -> dict[str, Any]:
    """The ``sep=`` of pandas' reader for a delimited text file (``.txt``: from its header)."""
    if fmt == ".csv":
        return {"sep": ","}
    if fmt == ".tsv":
        return {"sep": "\t"}
    header = pd.read_csv(
        path,
        sep="\x1f",
        header=None,
        nrows=1,
        dtype=str,
        encoding=encoding,
        keep_default_na=False,
        engine="python",
        quoting=3,
    )
    line = str(header.iloc[0, 0]) if header.size else ""
    counts = {d: line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return {"sep": best} if counts[best] else {"sep": r"\s+"}


def _read_text(path: Path, fmt: str, wanted: list[Hashable] | None, encoding: str | None):
    enc = encoding or "utf-8-sig"  # a byte-order mark (Excel's "CSV UTF-8") is skipped
    options = text_options(path, fmt, enc)
    seen: list[Any] = []
    frame = pd.read_csv(
        path, usecols=_recording(wanted, seen), encoding=enc, low_memory=False, **options
    )
    check_columns(wanted, list(dict.fromkeys(seen)), path)
    return _finish(frame, wanted, {}, {})


def _number_or_text(code: str) -> Any:
    try:
        return float(code)
    except ValueError:
        return code


def _parquet_labels(attrs: Mapping[str, Any]) -> dict[Hashable, dict[Any, str]]:
    """Value labels kept in a Parquet file's pandas metadata (``attrs``), codes restored.

    :func:`mpi.io.write` stores ``[[code, label], ...]`` pairs; a frame with
    ``attrs["value_labels"]`` written by pandas itself has its codes as JSON text keys,
    which are turned back into numbers where they are numbers.
    """
    pairs = attrs.get(PARQUET_LABELS)
    if isinstance(pairs, Mapping):
        return {
            column: normalise_mapping({code: label for code, label in items})
            for column, items in pairs.items()
            if isinstance(items, list) and all(isinstance(p, list) and len(p) == 2 for p in items)
        }
    plain = attrs.get(VALUE_LABELS)
    if isinstance(plain, Mapping):
        return {
            column: normalise_mapping({_number_or_text(str(k)): v for k, v in m.items()})
            for column, m in plain.items()
            if isinstance(m, Mapping)
        }
    return {}


def _read_parquet(path: Path, wanted: list[Hashable] | None) -> pd.DataFrame:
    pq = require("pyarrow.parquet", package="pyarrow", purpose="reading Parquet files")
    schema = pq.read_schema(path)
    names = [n for n in schema.names if not n.startswith("__index_level_")]
    check_columns(wanted, names, path)
    frame = pq.read_table(path, columns=wanted).to_pandas()
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0:
        named = any(n is not None for n in frame.index.names)
        frame = frame.reset_index(drop=not named)
    attrs = dict(frame.attrs)
    labels = _parquet_labels(attrs)
    attrs.pop(PARQUET_LABELS, None)
    frame.attrs = attrs
    if wanted is not None:
        frame = frame[[c for c in wanted if c in frame.columns]]
    variables = attrs.get(VARIABLE_LABELS)
    return _finish(frame, None, labels, variables if isinstance(variables, Mapping) else {})


def _read_stat(
    path: Path, fmt: str, wanted: list[Hashable] | None, encoding: str | None, as_category: bool
) -> pd.DataFrame:
    pyreadstat = require("pyreadstat", package="pyreadstat", purpose="reading Stata/SPSS files")
    reader = {
        ".dta": pyreadstat.read_dta,
        ".sav": pyreadstat.read_sav,
        ".zsav": pyreadstat.read_sav,
        ".por": pyreadstat.read_por,
    }[fmt]
    options: dict[str, Any] = {"encoding": encoding} if encoding else {}
    _, meta = reader(str(path), metadataonly=True, **options)
    check_columns(wanted, list(meta.column_names), path)
    if fmt != ".por":  # portable files have no user-missing codes (and no encoding)
        options["user_missing"] = False
    frame, meta = reader(
        str(path),
        usecols=wanted,
        dates_as_pandas_datetime=True,
        apply_value_formats=False,
        **options,
    )
    for name in frame.columns:  # Stata and SPSS store a missing string as ""
        if pd.api.types.is_string_dtype(frame[name]):
            frame[name] = frame[name].mask(frame[name].str.strip() == "")
    labels = {
        c: normalise_mapping(m)
        for c, m in (meta.variable_value_labels or {}).items()
        if c in frame.columns and m
    }
    if as_category:
        for name, mapping in labels.items():
            frame[name] = labelled_categorical(frame[name], mapping)
    variables = dict(zip(meta.column_names, meta.column_labels or [], strict=False))
    return _finish(frame, wanted, labels, {k: v for k, v in variables.items() if v})


def excel_sheet(path: Path, sheet: str | int | None) -> str:
    """The name of the sheet ``sheet`` designates in the workbook ``path`` (default: the first).

    Parameters
    ----------
    path : pathlib.Path
        An .xlsx or .xlsm workbook.
    sheet : str, int or None
        A sheet name, a 0-based position, or None for the first sheet.

    Returns
    -------
    str
        The sheet's name.
    """
    openpyxl = require("openpyxl", package="openpyxl", purpose="reading Excel workbooks")
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        names = list(book.sheetnames)
    finally:
        book.close()
    if sheet is None:
        return names[0]
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if 0 <= sheet < len(names):
            return names[sheet]
    elif isinstance(sheet, str) and sheet in names:
        return sheet
    raise ValidationError(
        f"sheet={sheet!r} is not a sheet of '{path}'; it has {len(names)}: "
        f"{', '.join(repr(n) for n in names)} (give a name or a 0-based position)"
    )


def _read_excel(path: Path, wanted: list[Hashable] | None, sheet: str | int | None):
    name = excel_sheet(path, sheet)
    seen: list[Any] = []
    frame = pd.read_excel(
        path, sheet_name=name, usecols=_recording(wanted, seen), engine="openpyxl"
    )
    check_columns(wanted, list(dict.fromkeys(seen)), path)
    return _finish(frame, wanted, {}, {})


def read_table(
    path: Path,
    fmt: str,
    *,
    columns: list[Hashable] | None,
    sheet: str | int | None,
    value_labels: str,
    encoding: str | None,
) -> pd.DataFrame:
    """Read a tabular file (any format of :data:`~mpi.io.FORMATS` but Zarr and netCDF).

    Parameters
    ----------
    path : pathlib.Path
        An existing file.
    fmt : str
        Its format suffix.
    columns : list or None
        The columns to read, checked against the file.
    sheet : str, int or None
        Excel only: the sheet.
    value_labels : {"category", "codes"}
        Stata/SPSS only: labelled columns as Categoricals or as their codes.
    encoding : str or None
        Text, Stata and SPSS only: the text encoding when it is not UTF-8 (or, for old
        Stata/SPSS files, not the one the file declares).

    Returns
    -------
    pandas.DataFrame
        The table, ``attrs["value_labels"]`` and ``attrs["variable_labels"]`` set.
    """
    if fmt in (".csv", ".tsv", ".txt"):
        return _read_text(path, fmt, columns, encoding)
    if fmt in (".parquet", ".pq"):
        return _read_parquet(path, columns)
    if fmt in (".dta", ".sav", ".zsav", ".por"):
        return _read_stat(path, fmt, columns, encoding, value_labels == "category")
    if fmt in (".xlsx", ".xlsm"):
        return _read_excel(path, columns, sheet)
    raise ValidationError(f"format {fmt!r} ({FORMATS.get(fmt, 'unknown')}) is not a table format")
