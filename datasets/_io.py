"""File helpers shared by the dataset generators."""

from __future__ import annotations

import gzip
import os

import pandas as pd

__all__ = ["write_csv_gz"]


def write_csv_gz(df: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write ``df`` as a byte-reproducible gzipped CSV (no timestamp or name in the header).

    Parameters
    ----------
    df : pandas.DataFrame
        The table, written without its index and with ``\\n`` line ends.
    path : str or os.PathLike
        Destination file.
    """
    text = df.to_csv(index=False, lineterminator="\n")
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as fh,
    ):
        fh.write(text.encode("utf-8"))
