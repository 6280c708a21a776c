"""Fast reading of comma- and tab-separated text with pyarrow's multithreaded CSV parser.

:func:`read_csv_arrow` returns exactly the frame pandas' C parser returns (same columns, dtypes
and values; missing values NaN) or None when the file holds something that pyarrow would read
differently (dates or times it would parse, a column with no value, missing values in a column
of booleans, numbers of 2**63 or more, repeated or absent header names, no rows) or when
pyarrow is not installed; the
caller then reads the file with pandas' C parser. Only the requested columns are converted.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["read_csv_arrow", "NA_VALUES", "BLOCK_SIZE"]

#: pandas' default missing-value strings (``pandas.read_csv``'s ``na_values`` default); pyarrow's
#: own list lacks ``"<NA>"``, ``"None"`` and ``"-NaN"`` variants, so it is given explicitly.
NA_VALUES = sorted(
    {
        "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
        "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
    }
)  # fmt: skip


#: Bytes parsed per pyarrow task: 16 MiB (pyarrow's 1 MiB default costs a third more CPU on
#: a 10-million-row file: per-block type inference and chunk bookkeeping).
BLOCK_SIZE = 1 << 24


def _arrow() -> Any:
    """``(pyarrow, pyarrow.csv)``, or None when pyarrow is not installed."""
    try:
        import pyarrow as pa
        import pyarrow.compute
        import pyarrow.csv as pa_csv
    except ImportError:
        return None
    return pa, pa_csv


def _header(path: Path, sep: str, pa_csv: Any) -> list[str]:
    """The header names of the file (pyarrow reads only the first block)."""
    with pa_csv.open_csv(path, parse_options=pa_csv.ParseOptions(delimiter=sep)) as reader:
        return list(reader.schema.names)


def _same_as_pandas(chunked: Any, pa: Any) -> bool:
    """Whether pyarrow's type of one column converts to what pandas' C parser gives."""
    kind = chunked.type
    if pa.types.is_integer(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return True  # ints with missing values become float64 with NaN, as in pandas
    if pa.types.is_boolean(kind):
        return chunked.null_count == 0  # pandas: object True/False/NaN; pyarrow: None
    if pa.types.is_floating(kind):
        # pyarrow reads integers beyond int64 as floats; pandas as uint64 or objects
        big = pa.compute.greater_equal(pa.compute.abs(chunked), 2.0**63)
        return not pa.compute.any(pa.compute.and_(big, pa.compute.is_finite(chunked))).as_py()
    return False


def read_csv_arrow(path: Path, sep: str, wanted: list[Hashable] | None) -> pd.DataFrame | None:
    """Read a UTF-8 delimited text file with pyarrow as pandas' C parser would.

    Parameters
    ----------
    path : pathlib.Path
        The file (UTF-8, a byte-order mark allowed).
    sep : {",", "\\t"}
        The delimiter.
    wanted : list or None
        The columns to read (all when None), all in the file (the caller checked).

    Returns
    -------
    pandas.DataFrame or None
        The frame (columns in the file's order, a RangeIndex), or None when pyarrow is
        missing or would read the file differently from pandas (then read it with pandas).
    """
    modules = _arrow()
    if modules is None or sep not in (",", "\t"):
        return None
    pa, pa_csv = modules
    try:
        return _read(path, sep, wanted, pa, pa_csv)
    except (pa.ArrowException, UnicodeDecodeError):  # malformed: pandas says what is wrong
        return None


def _read(path: Path, sep: str, wanted: list[Hashable] | None, pa: Any, pa_csv: Any):
    names = _header(path, sep, pa_csv)
    if len(set(names)) != len(names) or any(not n for n in names):
        return None
    keep = names if wanted is None else [n for n in names if n in set(wanted)]
    if wanted is not None and len(keep) != len(set(wanted)):
        return None
    table = pa_csv.read_csv(
        path,
        read_options=pa_csv.ReadOptions(block_size=BLOCK_SIZE),
        parse_options=pa_csv.ParseOptions(delimiter=sep),
        convert_options=pa_csv.ConvertOptions(
            include_columns=keep,
            null_values=NA_VALUES,
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    if table.num_rows == 0:
        return None
    if not all(_same_as_pandas(table.column(name), pa) for name in keep):
        return None
    # one multithreaded conversion into pandas' blocks (a per-column conversion and then
    # DataFrame(...) copies every value twice)
    return table.to_pandas()
