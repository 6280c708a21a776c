"""``mpi.io.read_pieces``: a table bigger than memory, read as consecutive DataFrames."""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterable, Iterator
from typing import Any

import pandas as pd

from mpi.errors import ValidationError
from mpi.io._formats import FORMAT_NAMES, TEXT_FORMATS, existing_path, require, resolve_format
from mpi.io._tabular import check_columns, text_options

__all__ = ["read_pieces", "PIECE_FORMATS"]

#: Formats :func:`read_pieces` reads in pieces: delimited text and Parquet.
PIECE_FORMATS = frozenset({*TEXT_FORMATS, ".parquet", ".pq"})


def _columns(columns: Any) -> list[Hashable] | None:
    if columns is None:
        return None
    if isinstance(columns, str) or not isinstance(columns, Iterable):
        return [columns]
    out = list(dict.fromkeys(columns))
    if not out:
        raise ValidationError("columns=[] selects no column; name the columns, or pass None")
    return out


def _text(
    path: os.PathLike[str], fmt: str, wanted: list[Hashable] | None, rows: int, encoding: str | None
) -> Iterator[pd.DataFrame]:
    enc = encoding or "utf-8-sig"
    options = text_options(path, fmt, enc)
    header = pd.read_csv(path, nrows=0, encoding=enc, **options)
    check_columns(wanted, list(header.columns), path)
    with pd.read_csv(
        path, usecols=wanted, chunksize=rows, encoding=enc, low_memory=False, **options
    ) as reader:
        for piece in reader:
            yield piece[wanted].reset_index(drop=True) if wanted else piece.reset_index(drop=True)


def _parquet(
    path: os.PathLike[str], wanted: list[Hashable] | None, rows: int
) -> Iterator[pd.DataFrame]:
    pq = require("pyarrow.parquet", package="pyarrow", purpose="reading Parquet files")
    file = pq.ParquetFile(path)
    names = [n for n in file.schema_arrow.names if not n.startswith("__index_level_")]
    check_columns(wanted, names, path)
    for batch in file.iter_batches(batch_size=rows, columns=wanted or names):
        yield batch.to_pandas().reset_index(drop=True)


def read_pieces(
    path: str | os.PathLike[str],
    *,
    rows: int = 1_000_000,
    columns: str | Iterable[Hashable] | None = None,
    format: str | None = None,
    encoding: str | None = None,
) -> Iterator[pd.DataFrame]:
    """Read a delimited-text or Parquet table in consecutive pieces of ``rows`` rows.

    For tables bigger than memory: only one piece is in memory at a time. The pieces, put
    end to end, are the table (same rows in the same order, a fresh ``RangeIndex`` each);
    a text column's dtype is inferred per piece (a column with gaps in one piece only is
    float there and integer elsewhere), so combine pieces with :func:`pandas.concat`.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.csv``/``.tsv``/``.txt`` file (compressed too) or a ``.parquet``/``.pq`` file.
    rows : int, default 1_000_000
        Rows per piece (Parquet: at most this many; the file's row groups may cut sooner).
    columns : str or list, optional
        Read only these columns, in this order.
    format : str, optional
        The file type when the suffix does not say it (``"csv"``, ``"parquet"``, ...).
    encoding : str, optional
        Text files only: the encoding when it is not UTF-8.

    Returns
    -------
    iterator of pandas.DataFrame
        The pieces, read as the iterator is consumed (the file is checked at once).

    Raises
    ------
    mpi.errors.ValidationError
        A missing file, a format other than text or Parquet, a requested column the file
        does not have, ``rows`` not a positive integer.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from mpi.io import read_pieces
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "long.csv"
    ...     pd.DataFrame({"id": [1, 1, 2, 3, 3], "x": [0.5, 1.0, 2.0, 3.0, 4.0]}).to_csv(
    ...         path, index=False)
    ...     [len(p) for p in read_pieces(path, rows=2)]
    [2, 2, 1]
    """
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise ValidationError(f"rows={rows!r} is not a positive integer; pass e.g. 1_000_000")
    target = existing_path(path)
    fmt = resolve_format(target, format)
    if fmt not in PIECE_FORMATS:
        raise ValidationError(
            f"read_pieces reads delimited text and Parquet, and '{target}' is a "
            f"{FORMAT_NAMES[fmt]} file; convert it (mpi.io.write) or read it whole (mpi.io.read)"
        )
    if encoding is not None and fmt not in TEXT_FORMATS:
        raise ValidationError(
            f"encoding={encoding!r} applies to text files only, and '{target}' is "
            f"{FORMAT_NAMES[fmt]}; leave it None"
        )
    wanted = _columns(columns)
    if fmt in TEXT_FORMATS:
        text_options(target, fmt, encoding or "utf-8-sig")  # fails now on a bad file
        return _text(target, fmt, wanted, rows, encoding)
    require("pyarrow.parquet", package="pyarrow", purpose="reading Parquet files")
    return _parquet(target, wanted, rows)
