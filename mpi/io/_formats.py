"""The file formats of :mod:`mpi.io`: suffixes, format names, paths and optional libraries.

Everything here is about *which* reader or writer a path goes to and whether it can run; the
readers and writers themselves live in :mod:`mpi.io._tabular` and :mod:`mpi.io._arrays`.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import Any

from mpi.errors import ValidationError

__all__ = [
    "FORMATS",
    "FORMAT_NAMES",
    "as_path",
    "ARRAY_FORMATS",
    "TEXT_FORMATS",
    "READABLE",
    "WRITABLE",
    "COMPRESSIONS",
    "ENCODED_FORMATS",
    "resolve_format",
    "existing_path",
    "is_zarr_store",
    "require",
    "one_line",
    "describe_names",
]

#: Every file type :func:`mpi.io.read` knows, by suffix, with what it is.
FORMATS: dict[str, str] = {
    ".csv": "comma-separated text (UTF-8; also compressed: .csv.gz, .csv.zip, .csv.bz2, .csv.xz)",
    ".tsv": "tab-separated text",
    ".txt": "delimited text (comma, tab, semicolon or bar: found from the header line)",
    ".parquet": "Apache Parquet (pyarrow)",
    ".pq": "Apache Parquet (pyarrow)",
    ".dta": "Stata dataset, value and variable labels kept (pyreadstat)",
    ".sav": "SPSS dataset, value and variable labels kept (pyreadstat)",
    ".zsav": "compressed SPSS dataset (pyreadstat)",
    ".por": "SPSS portable file (pyreadstat; read only)",
    ".xlsx": "Excel workbook, one sheet (openpyxl)",
    ".xlsm": "Excel macro-enabled workbook, one sheet (openpyxl; read only)",
    ".zarr": "Zarr store, a directory (xarray, opened lazily; needs zarr)",
    ".nc": "netCDF file (xarray, opened lazily; netCDF-4 needs h5netcdf)",
    ".nc4": "netCDF-4 file (as .nc)",
    ".netcdf": "netCDF file (as .nc)",
}

#: Short names of the formats, for messages.
FORMAT_NAMES: dict[str, str] = {
    ".csv": "CSV",
    ".tsv": "tab-separated text",
    ".txt": "delimited text",
    ".parquet": "Parquet",
    ".pq": "Parquet",
    ".dta": "Stata .dta",
    ".sav": "SPSS .sav",
    ".zsav": "SPSS .zsav",
    ".por": "SPSS portable",
    ".xlsx": "Excel .xlsx",
    ".xlsm": "Excel .xlsm",
    ".zarr": "Zarr",
    ".nc": "netCDF",
    ".nc4": "netCDF",
    ".netcdf": "netCDF",
}

#: Formats whose contents are an :class:`xarray.Dataset` rather than a table.
ARRAY_FORMATS = frozenset({".zarr", ".nc", ".nc4", ".netcdf"})
#: Delimited text formats (pandas' reader; ``encoding=`` and compression apply).
TEXT_FORMATS = frozenset({".csv", ".tsv", ".txt"})
#: Formats with a text encoding a caller may have to name (old Stata and SPSS files too).
ENCODED_FORMATS = frozenset({".csv", ".tsv", ".txt", ".dta", ".sav", ".zsav"})
#: Suffixes :func:`mpi.io.read` accepts and those :func:`mpi.io.write` can produce.
READABLE = frozenset(FORMATS)
WRITABLE = frozenset(FORMATS) - {".xlsm", ".por"}
#: Compression suffixes that may follow a text format's suffix (``data.csv.gz``).
COMPRESSIONS = frozenset({".gz", ".bz2", ".zip", ".xz", ".zst", ".tar"})

#: ``format=`` names besides the suffixes themselves.
_ALIASES = {
    "text": ".csv",
    "stata": ".dta",
    "spss": ".sav",
    "excel": ".xlsx",
    "netcdf": ".nc",
    "parquet": ".parquet",
    "zarr": ".zarr",
}

_ZARR_MARKERS = ("zarr.json", ".zgroup", ".zarray", ".zmetadata")


def _supported(allowed: frozenset[str]) -> str:
    return ", ".join(s for s in FORMATS if s in allowed)


def resolve_format(path: Path, format: str | None, *, writing: bool = False) -> str:
    """The format suffix (a key of :data:`FORMATS`) for ``path``, or ``format`` if given.

    Parameters
    ----------
    path : pathlib.Path
        The file; its suffix names the format when ``format`` is None (a compression suffix
        after a text suffix, as in ``data.csv.gz``, is looked through).
    format : str or None
        A suffix with or without its dot (``"dta"``, ``".dta"``) or a name (``"stata"``,
        ``"spss"``, ``"excel"``, ``"netcdf"``, ``"parquet"``, ``"zarr"``, ``"text"``).
    writing : bool
        Check against the formats :func:`mpi.io.write` produces rather than those
        :func:`mpi.io.read` reads.

    Returns
    -------
    str
        The suffix, lower case with its dot.
    """
    allowed = WRITABLE if writing else READABLE
    if format is not None:
        if not isinstance(format, str) or not format.strip():
            raise ValidationError(
                f"format={format!r} is not a file format; use one of {_supported(allowed)} "
                "(with or without the dot), or leave it None to use the file's suffix"
            )
        key = format.strip().lower()
        key = _ALIASES.get(key, key if key.startswith(".") else f".{key}")
        if key not in allowed:
            raise ValidationError(
                f"format={format!r} is not supported{' for writing' if writing else ''}; "
                f"use one of {_supported(allowed)}"
            )
        return key
    suffixes = [s.lower() for s in path.suffixes]
    if len(suffixes) >= 2 and suffixes[-1] in COMPRESSIONS and suffixes[-2] in TEXT_FORMATS:
        return suffixes[-2]
    suffix = suffixes[-1] if suffixes else ""
    if suffix in allowed:
        return suffix
    if not writing and not suffix and path.is_dir() and is_zarr_store(path):
        return ".zarr"
    verb = "writing" if writing else "reading"
    what = f"file type {suffix!r} is not supported for {verb}" if suffix else (
        f"path '{path}' has no file type suffix"
    )
    raise ValidationError(
        f"{what}; use one of {_supported(allowed)} (or name the type with format=)"
    )


def existing_path(path: Any, argument: str = "path") -> Path:
    """``path`` as a :class:`~pathlib.Path` (``~`` expanded), checked to exist.

    Parameters
    ----------
    path : str or os.PathLike
        The file or directory.
    argument : str
        The argument's name, for the error message.

    Returns
    -------
    pathlib.Path
        The path.
    """
    out = as_path(path, argument)
    if not out.exists():
        where = "" if out.is_absolute() else f" (relative paths start from {Path.cwd()})"
        raise ValidationError(
            f"{argument} '{out}' does not exist; check the name and the folder{where}"
        )
    return out


def as_path(path: Any, argument: str = "path") -> Path:
    """``path`` as a :class:`~pathlib.Path` with ``~`` expanded (the file need not exist).

    Parameters
    ----------
    path : str or os.PathLike
        The path.
    argument : str
        The argument's name, for the error message.

    Returns
    -------
    pathlib.Path
        The path.
    """
    if not isinstance(path, str | os.PathLike) or (isinstance(path, str) and not path.strip()):
        raise ValidationError(
            f"{argument}={path!r} is not a file path; pass a str or pathlib.Path naming the file"
        )
    return Path(path).expanduser()


def is_zarr_store(path: Path) -> bool:
    """Whether the directory ``path`` holds a Zarr store (version 2 or 3 metadata at its top).

    Parameters
    ----------
    path : pathlib.Path
        A directory.

    Returns
    -------
    bool
        True when ``zarr.json``, ``.zgroup``, ``.zarray`` or ``.zmetadata`` is in it.
    """
    return path.is_dir() and any((path / m).is_file() for m in _ZARR_MARKERS)


def require(module: str, *, package: str, purpose: str) -> ModuleType:
    """Import an optional library, or say how to install it.

    Parameters
    ----------
    module : str
        The module to import (``"zarr"``).
    package : str
        What ``pip install`` needs (``"zarr"``, ``"h5netcdf h5py"``).
    purpose : str
        What the library is needed for, for the message (``"reading .zarr stores"``).

    Returns
    -------
    types.ModuleType
        The imported module.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ValidationError(
            f"{purpose} needs the {module} library, which is not installed: "
            f"pip install {package}"
        ) from exc


def one_line(exc: BaseException, limit: int = 240) -> str:
    """The first line of an exception's message (its type when the message is empty).

    Parameters
    ----------
    exc : BaseException
        The exception a library raised.
    limit : int
        At most this many characters are kept.

    Returns
    -------
    str
        ``"TypeName: first line"``, shortened to ``limit`` characters.
    """
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_names(names: list[Any], limit: int = 40) -> str:
    """``names`` as a comma-separated list for a message, at most ``limit`` of them shown.

    Parameters
    ----------
    names : list
        Column or variable names.
    limit : int
        How many to show before ``"... (N more)"``.

    Returns
    -------
    str
        The list as text.
    """
    shown = ", ".join(str(n) for n in names[:limit])
    more = len(names) - limit
    return f"{shown}, ... ({more} more)" if more > 0 else shown
