"""Readers and writers for the files statistics offices hold.

:func:`read` opens CSV/TSV text, Parquet, Stata ``.dta``, SPSS ``.sav``/``.zsav``/``.por``
and Excel ``.xlsx``/``.xlsm`` as a :class:`pandas.DataFrame` (Stata/SPSS value labels kept as
categories, or as codes with the mapping in ``frame.attrs``), and Zarr stores and netCDF files
as a lazily opened :class:`xarray.Dataset` (dask arrays, read block by block).
:func:`read_pieces` reads a text or Parquet table bigger than memory in consecutive pieces.
:func:`write` writes the same formats (all but ``.xlsm`` and ``.por``), so the same data can
be had in every one of them. :data:`FORMATS` lists the suffixes.

This layer sits just above :mod:`mpi._common`: it knows files, not poverty measures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mpi._common import lazy_exports

#: Public name -> ``"module:attribute"``, imported on first use (PEP 562).
_LAZY: dict[str, str] = {
    "FORMATS": "mpi.io._formats:FORMATS",
    "apply_value_labels": "mpi.io._labels:apply_value_labels",
    "read_pieces": "mpi.io._pieces:read_pieces",
    "read": "mpi.io._read:read",
    "write": "mpi.io._write:write",
}

__all__ = ["FORMATS", "apply_value_labels", "read", "read_pieces", "write"]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

if TYPE_CHECKING:  # type checkers and IDEs see the eager imports
    from mpi.io._formats import FORMATS
    from mpi.io._labels import apply_value_labels
    from mpi.io._pieces import read_pieces
    from mpi.io._read import read
    from mpi.io._write import write
