"""``panel_from_long(..., store=)``: a panel built into a Zarr store, block of units by block.

A long table bigger than memory arrives in pieces (DataFrames, or a CSV/Parquet file read
in pieces). Three passes over it, each holding one piece or one block of units in memory:

1. **scan**: check every piece's columns and keys and collect the distinct unit ids and
   years (the panel's coordinates; they must fit in memory, the table need not). A
   generator's pieces are kept in a temporary file, since they can be read only once;
2. **sort into blocks**: the units, sorted, are cut into blocks of ``chunk_units``; every
   piece's rows are appended, in input order, to the temporary file of their block;
3. **place**: each block's rows go through :func:`mpi.dynamics.build_steps.place_rows`, the very
   code of the in-memory panel, with the block's units as coordinates, and are written
   into the block's region of the store (:mod:`mpi.io._zarr_blocks`).

Units never span blocks and a block holds every row of its units, in input order, so
duplicated keys, static columns and gaps are resolved exactly as in memory. One thing is
global: an integer or boolean column stays integer only if *every* block is complete, so
when such a column exists the blocks are placed twice (first only to learn their dtypes).
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.progress import progress as progress_bar
from mpi.dynamics._long import (
    DuplicateRule,
    check_frame,
    column,
    panel_coords,
    parse_duplicates,
    positions,
    sorted_union,
)
from mpi.dynamics.build_steps import (
    Grid,
    LongColumns,
    long_columns,
    long_keys,
    panel_attrs,
    place_rows,
)
from mpi.errors import ValidationError
from mpi.io import read, read_pieces
from mpi.io._formats import as_path
from mpi.io._zarr_blocks import create_blocks_store, finish_blocks_store, write_block

__all__ = ["panel_to_store"]

_PICKLE = pickle.HIGHEST_PROTOCOL


def _positive(value: Any, name: str, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValidationError(f"{name}={value!r} is not a positive integer; pass e.g. {example}")
    return int(value)


def _append(path: Path, frame: pd.DataFrame) -> None:
    with open(path, "ab") as fh:
        pickle.dump(frame, fh, protocol=_PICKLE)


def _load(path: Path) -> Iterator[pd.DataFrame]:
    # only files this module wrote, in a private temporary folder, are unpickled
    with open(path, "rb") as fh:
        while True:
            try:
                yield pickle.load(fh)
            except EOFError:
                return


def _source(
    df: Any, rows: int, spill: Path
) -> tuple[Callable[[], Iterator[pd.DataFrame]], Iterator[pd.DataFrame], bool]:
    """(re-reader, first reading, whether the first reading must be spilled to ``spill``)."""
    if isinstance(df, pd.DataFrame):
        return (lambda: iter([df])), iter([df]), False
    if isinstance(df, str | os.PathLike):
        return (lambda: read_pieces(df, rows=rows)), read_pieces(df, rows=rows), False
    if isinstance(df, Sequence):
        return (lambda: iter(df)), iter(df), False
    if isinstance(df, Iterable):
        return (lambda: _load(spill)), iter(df), True
    raise ValidationError(
        f"df is a {type(df).__name__}; pass a pandas.DataFrame, an iterable of DataFrame "
        "pieces, or the path of a CSV or Parquet file"
    )


class _Union:
    """Distinct values of many arrays, compacted as they come (memory ~ the distinct values)."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.size = 0
        self.kept = 1 << 20

    def add(self, values: np.ndarray) -> None:
        self.parts.append(np.asarray(pd.unique(values)))
        self.size += len(self.parts[-1])
        if self.size > 2 * self.kept:
            self.parts = [np.asarray(pd.unique(np.concatenate(self.parts)))]
            self.size = self.kept = max(len(self.parts[0]), 1 << 20)

    def values(self) -> np.ndarray:
        return sorted_union(self.parts)


def _known_dtype(dtypes: list[Any]) -> np.dtype | None:
    """The output dtype of a column whose pieces have ``dtypes``, if it does not depend on
    the gaps (float and text columns); None for integers, booleans and the rest."""
    if all(pd.api.types.is_float_dtype(d) for d in dtypes):
        return np.result_type(*[getattr(d, "numpy_dtype", d) for d in dtypes])
    text = all(
        not pd.api.types.is_numeric_dtype(d)
        and not pd.api.types.is_bool_dtype(d)
        and not pd.api.types.is_datetime64_any_dtype(d)
        and not pd.api.types.is_timedelta64_dtype(d)
        for d in dtypes
    )
    return np.dtype(object) if text else None


def _promote(dtypes: list[np.dtype]) -> np.dtype:
    if all(d == dtypes[0] for d in dtypes):
        return dtypes[0]
    if all(d.kind in "biuf" for d in dtypes):
        return np.result_type(*dtypes)
    return np.dtype(object)


class _Blocks:
    """The temporary block files and the placing of one block."""

    def __init__(
        self,
        folder: Path,
        cols: LongColumns,
        needed: list[Hashable],
        units: np.ndarray,
        times: np.ndarray,
        per: int,
        options: dict[str, Any],
    ):
        self.folder, self.cols, self.needed = folder, cols, needed
        self.units, self.times, self.per, self.options = units, times, per, options
        self.count = -(-len(units) // per)

    def file(self, b: int) -> Path:
        return self.folder / f"block-{b}.pkl"

    def sort(self, piece: pd.DataFrame, where: str) -> None:
        piece = piece[self.needed]
        ids, _ = long_keys(piece, self.cols, where)
        block = positions(ids, self.units) // self.per
        order = np.argsort(block, kind="stable")  # input order kept within each block
        cuts = np.flatnonzero(np.diff(block[order])) + 1
        for rows in np.split(order, cuts):
            if len(rows):
                _append(self.file(int(block[rows[0]])), piece.iloc[rows])

    def place(self, b: int) -> tuple[int, Grid]:
        frame = pd.concat(list(_load(self.file(b))), ignore_index=True)
        lo = b * self.per
        units = self.units[lo : lo + self.per]
        ids, years = long_keys(frame, self.cols)
        grid = place_rows(
            frame,
            self.cols,
            positions(ids, units),
            positions(years, self.times),
            units,
            self.times,
            **self.options,
        )
        return lo, grid


def _scan(
    first: Iterator[pd.DataFrame], spill: Path | None, args: dict[str, Any], extra: list[Hashable]
) -> tuple[LongColumns, np.ndarray, np.ndarray, dict]:
    cols: LongColumns | None = None
    ids_seen, years_seen = _Union(), _Union()
    dtypes: dict[Hashable, list[Any]] = {}
    for i, piece in enumerate(first):
        where = f"piece {i} of df"
        piece = check_frame(piece, where)
        if cols is None:
            cols = long_columns(piece, where=where, **args)
            dtypes = {name: [] for name in [*cols.variables, *cols.static]}
        for name in [*cols.read, *extra]:
            column(piece, name, where=where, role="variables")
        ids, years = long_keys(piece, cols, where)
        ids_seen.add(ids.to_numpy())
        years_seen.add(years)
        for name, seen in dtypes.items():
            seen.append(piece[name].dtype)
        if spill is not None:
            _append(spill, piece[list(dict.fromkeys([*cols.read, *extra]))])
    if cols is None:
        raise ValidationError("df has no pieces (an empty iterable); pass at least one table")
    return cols, ids_seen.values(), np.sort(years_seen.values()), dtypes


def panel_to_store(
    df: Any,
    *,
    unit: Hashable,
    time: Hashable,
    variables: Sequence[Hashable] | None,
    static: Sequence[Hashable] | None,
    unit_dim: str,
    time_dim: str,
    duplicates: DuplicateRule,
    progress: bool | None,
    store: str | os.PathLike[str],
    chunk_units: int,
    rows: int,
) -> xr.Dataset:
    """:func:`mpi.panel_from_long` with ``store=``: see there for the arguments.

    Returns
    -------
    xarray.Dataset
        The store, opened lazily with :func:`mpi.io.read` (chunked by ``chunk_units``).
    """
    path = as_path(store, "store")
    per = _positive(chunk_units, "chunk_units", "chunk_units=100_000")
    rows = _positive(rows, "rows", "rows=1_000_000")
    _, by = parse_duplicates(duplicates, "df")
    extra = [] if by is None else [by]
    args = {
        "unit": unit,
        "time": time,
        "variables": variables,
        "static": static,
        "unit_dim": unit_dim,
        "time_dim": time_dim,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".xmpi-panel-", dir=path.parent) as tmp:
        folder = Path(tmp)
        again, first, spill = _source(df, rows, folder / "pieces.pkl")
        cols, units, times, dtypes = _scan(
            first, folder / "pieces.pkl" if spill else None, args, extra
        )
        needed = list(dict.fromkeys([*cols.read, *extra]))
        blocks = _Blocks(
            folder,
            cols,
            needed,
            units,
            times,
            per,
            {"duplicates": duplicates, "unit_dim": unit_dim, "time_dim": time_dim},
        )
        for i, piece in enumerate(again()):
            blocks.sort(piece, f"piece {i} of df")
        (folder / "pieces.pkl").unlink(missing_ok=True)
        out = {name: _known_dtype(seen) for name, seen in dtypes.items()}
        out["observed"] = np.dtype(bool)
        passes = 1 if all(d is not None for d in out.values()) else 2
        with progress_bar(
            total=blocks.count * passes, desc="panel_from_long", unit="blocks", enabled=progress
        ) as bar:
            if passes == 2:
                found: dict[Hashable, list[np.dtype]] = {name: [] for name in out}
                for b in range(blocks.count):
                    for name, variable in blocks.place(b)[1].data_vars.items():
                        found[name].append(variable.dtype)
                    bar.update(1)
                out = {name: _promote(seen) for name, seen in found.items()}
            dims = {name: (unit_dim, time_dim) for name in [*cols.variables, "observed"]}
            dims.update({name: (unit_dim,) for name in cols.static})
            create_blocks_store(
                path,
                {
                    name: (
                        dims[name],
                        out[name],
                        {"long_name": "unit-wave has a record"} if name == "observed" else {},
                    )
                    for name in [*cols.variables, *cols.static, "observed"]
                },
                panel_coords(units, times, unit_dim, time_dim),
                dim=unit_dim,
                block=per,
            )
            dropped = duplicated = 0
            for b in range(blocks.count):
                lo, grid = blocks.place(b)
                dropped += grid.dropped
                duplicated += grid.duplicated_keys
                variables_ = {
                    name: v.astype(out[name]) if v.dtype != out[name] else v
                    for name, v in grid.data_vars.items()
                }
                write_block(path, xr.Dataset(variables_), dim=unit_dim, start=lo)
                bar.update(1)
    finish_blocks_store(path, panel_attrs(cols, duplicates, dropped, duplicated))
    return read(path)[[*cols.variables, *cols.static, "observed"]]  # the in-memory order
