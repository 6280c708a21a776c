"""Turn user data (xarray Dataset or pandas DataFrame) into the kernel's arrays.

Nothing here copies more than one column at a time, and the input is never modified:
float64 columns are passed to the kernel as read-only views, and so are integer 0/1 flags
and small integer codes (int8, bool, uint8 up to 127) when every indicator can be read
as int8 (:func:`encode_indicator` with ``narrow=True``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi import kernels
from mpi.errors import DataError

__all__ = ["Table", "as_table", "encode_weight", "encode_groups", "readonly", "caller_level"]


@dataclass
class Table:
    """Uniform read-only access to the columns of a Dataset or DataFrame."""

    data: Any
    kind: str  # "pandas" | "xarray"
    unit_dim: Hashable
    n: int

    def has(self, name: Hashable) -> bool:
        if self.kind == "pandas":
            return name in self.data.columns
        return name in self.data.variables

    def names(self) -> list[Hashable]:
        if self.kind == "pandas":
            return list(self.data.columns)
        return list(self.data.variables)

    def column(self, name: Hashable, *, role: str) -> pd.Series:
        if not self.has(name):
            close = [c for c in self.names() if str(c).lower() == str(name).lower()]
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise DataError(
                f"{role} variable {name!r} is not in the data.{hint} Available variables: "
                f"{_short_list(self.names())}"
            )
        if self.kind == "pandas":
            col = self.data[name]
            if isinstance(col, pd.DataFrame):
                raise DataError(f"{role} variable {name!r} names several columns of the DataFrame")
            return col
        var = self.data.variables[name]  # the Variable: no DataArray (coordinates) built
        if var.dims != (self.unit_dim,):
            raise DataError(
                f"{role} variable {name!r} has dims {var.dims}; mpi.measure needs variables along "
                f"the single unit dimension {self.unit_dim!r}"
            )
        return pd.Series(var.values, copy=False)


def _short_list(names: Sequence[Hashable], limit: int = 30) -> str:
    names = [str(n) for n in names]
    more = f", … ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def as_table(data: Any, needed: Sequence[Hashable]) -> Table:
    """Wrap a DataFrame or a Dataset with one unit dimension."""
    if isinstance(data, pd.DataFrame):
        if data.columns.has_duplicates:
            dup = sorted({str(c) for c in data.columns[data.columns.duplicated()]})
            raise DataError(f"data has duplicated column names {dup}; rename them")
        return Table(data, "pandas", data.index.name or "unit", len(data))
    if isinstance(data, xr.Dataset):
        dims = {d for name in needed if name in data.variables for d in data[name].dims}
        if len(dims) != 1:
            raise DataError(
                "data must have exactly one unit dimension shared by the indicator variables; "
                f"the variables used have dims {sorted(map(str, dims)) or '()'}. For a panel "
                "pass time='<wave dimension>' (and unit='<unit dimension>') to measure every "
                "wave, select one wave (data.sel(time=...)), or stack the other dimensions first"
            )
        (dim,) = dims
        return Table(data, "xarray", dim, data.sizes[dim])
    if isinstance(data, xr.DataArray):
        raise DataError(
            "data is an xarray.DataArray; pass an xarray.Dataset with one variable per "
            "indicator (e.g. da.to_dataset(dim='indicator')) or a pandas DataFrame"
        )
    raise DataError(
        f"data must be a pandas.DataFrame or an xarray.Dataset; got {type(data).__name__}"
    )


def is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)


def as_float(s: pd.Series) -> np.ndarray:
    """Column as float64 with NaN for missing (a view when it already is float64)."""
    if s.dtype == np.float64:
        arr = s.to_numpy(copy=False)
    elif isinstance(s.dtype, pd.CategoricalDtype):
        arr = np.asarray(s.astype("float64"), dtype=np.float64)
    else:
        arr = s.to_numpy(dtype=np.float64, na_value=np.nan)
    return readonly(arr)


def readonly(arr: np.ndarray) -> np.ndarray:
    """C-contiguous read-only view (no copy when possible).

    Every array handed to a kernel is read-only, which both guarantees the input is never
    modified and gives numba one array type to compile for (pandas copy-on-write arrays
    are read-only already).
    """
    arr = np.ascontiguousarray(arr)
    if arr.flags.writeable:
        arr = arr.view()
        arr.flags.writeable = False
    return arr


def _as_int8(s: pd.Series) -> np.ndarray | None:
    """The column as read-only int8 when it holds booleans or integers in ``[-128, 127]``
    and no missing value (a view for bool, int8 and uint8; one int8 copy for wider
    integers, made only after checking the range); ``None`` otherwise."""
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype)
    ):
        return None
    if not isinstance(dtype, np.dtype) and s.hasnans:  # nullable (masked or Arrow) with NA
        return None
    arr = s.to_numpy()
    if arr.dtype.kind not in "biu":
        return None
    if arr.dtype.kind == "b" or arr.dtype == np.int8:
        return readonly(arr).view(np.int8)
    if arr.dtype == np.int64:  # the range and the copy in one pass
        out = kernels.int8_or_none(arr)
        return None if out is None else readonly(out)
    lo, hi = (int(arr.min()), int(arr.max())) if arr.size else (0, 0)
    if lo < -128 or hi > 127:
        return None
    if arr.dtype == np.uint8:
        return readonly(arr).view(np.int8)
    return readonly(arr.astype(np.int8))


def values_of(s: pd.Series, narrow: bool) -> np.ndarray:
    """Numeric column for the kernel: int8 when ``narrow`` and possible, else float64."""
    out = _as_int8(s) if narrow else None
    return out if out is not None else as_float(s)


#: What :func:`pandas.api.types.infer_dtype` says of an object column that holds only numbers
#: (or booleans) and missing values: read as numbers, as a numeric column would be.
_OBJECT_NUMBERS = {"integer", "floating", "mixed-integer-float", "boolean"}


def object_numbers(s: pd.Series) -> pd.Series:
    """An object column holding only numbers (or only booleans) and missing values (None,
    NaN, pd.NA), as a numeric column: float64 with NaN, or bool without missing values.
    Any other column is returned as it is (text stays text)."""
    if not (isinstance(s.dtype, np.dtype) and s.dtype.kind == "O"):
        return s
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind not in _OBJECT_NUMBERS:
        return s
    if kind == "boolean" and not s.isna().any():
        return pd.Series(s.to_numpy(dtype=bool), index=s.index, name=s.name)
    values = np.array([np.nan if pd.isna(v) else float(v) for v in s.array], dtype=np.float64)
    return pd.Series(values, index=s.index, name=s.name)


def all_missing_untyped(s: pd.Series) -> bool:
    """An object column or a Categorical (whose type comes from the values or categories)
    with every value missing: it is measured as missing everywhere whatever the rule."""
    untyped = isinstance(s.dtype, pd.CategoricalDtype) or (
        isinstance(s.dtype, np.dtype) and s.dtype.kind == "O"
    )
    return untyped and len(s) > 0 and bool(s.isna().all())


def refuse_complex(s: pd.Series, role: str, name: Hashable) -> None:
    """Complex numbers would lose their imaginary part in the float conversion: refuse."""
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    complex_ = pd.api.types.is_complex_dtype(dtype)
    if not complex_ and isinstance(dtype, np.dtype) and dtype.kind == "O":
        kind = pd.api.types.infer_dtype(s, skipna=True)
        complex_ = kind == "complex" or (
            kind in ("mixed", "mixed-integer")  # what complex among other values gives
            and any(isinstance(v, complex | np.complexfloating) for v in s.array)
        )
    if complex_:
        raise DataError(
            f"{role} {name!r} holds complex numbers (dtype {s.dtype}); deprivation rules and "
            "weights need real numbers. If the imaginary part is meant to be dropped, pass "
            f"the real part explicitly: data[{name!r}] = data[{name!r}].to_numpy(complex).real"
        )
















# the mpi package (this module is mpi/_common/table.py)
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def caller_level() -> int:
    """``stacklevel`` of the first frame outside the ``mpi`` package, as seen from the
    function that calls :func:`caller_level` (and then ``warnings.warn``)."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level


def encode_weight(s: pd.Series, name: Hashable) -> np.ndarray:
    """Sampling weights as float64 (NaN = missing; negatives are rejected by the kernel)."""
    refuse_complex(s, "weight variable", name)
    s = object_numbers(s)
    if not (is_numeric(s) or pd.api.types.is_bool_dtype(s.dtype)):
        raise DataError(
            f"weight variable {name!r} must be numeric; got dtype {s.dtype}. "
            "Convert it with pd.to_numeric"
        )
    return as_float(s)


#: A cross-classification of several ``by`` variables is laid out densely (every
#: combination of labels, each variable with a missing slot: today's row-major table, whose
#: result has one dimension per variable) when that table has at most ``DENSE_CELLS``
#: cells, or at most ``DENSE_FILL`` cells per combination that occurs. Otherwise only the
#: occurring combinations are cells (as pandas ``groupby(observed=True)``). 65,536 cells of
#: statistics take a few tens of MB whatever the data; a table at most 4 times fuller than
#: the occurring cells costs at most 4 times what the sparse layout would, and the sparse
#: layout needs one cell per occurring combination anyway (at most one per unit).
DENSE_CELLS = 1 << 16
DENSE_FILL = 4


@dataclass
class Groups:
    """Cross-classified group codes of the units.

    The kernel's cell of unit ``i`` is ``codes[i] - offset``. Each ``by`` variable has its
    labels followed by one *missing* slot (position ``len(labels[b])``); units with a
    missing value in one variable thus stay in the margins of the others.

    *Dense* layout (``cells is None``): cells are row-major over the variables, so
    ``n_cells = prod(len(labels[b]) + 1)``. With ``prune`` the labels no unit carries are
    removed after the kernel ran (integer codes taken as they are, without hashing).

    *Sparse* layout (``cells`` given): only the combinations that occur are cells;
    ``cells[c, b]`` is the position of cell ``c`` in variable ``b`` (the missing slot
    included). The ``n_known`` cells with every label known come first, in lexicographic
    order of the labels (as pandas ``groupby``), then those with a missing slot.
    """

    names: list[str]
    labels: list[np.ndarray]
    codes: np.ndarray
    offset: int
    n_cells: int
    has_missing: bool
    prune: bool = False
    cells: np.ndarray | None = None
    n_known: int = 0

    @property
    def shape(self) -> tuple[int, ...]:
        """Known labels per variable."""
        return tuple(len(lab) for lab in self.labels)

    @property
    def ext_shape(self) -> tuple[int, ...]:
        """Cells per variable including its missing slot (the dense layout's table)."""
        return tuple(len(lab) + 1 for lab in self.labels)

    @property
    def sparse(self) -> bool:
        """Whether the cells are the occurring combinations only (see the class notes)."""
        return self.cells is not None


def _factorize(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Label positions (-1: missing) and the sorted labels (categories in their order)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.cat.codes.to_numpy(dtype=np.int64), np.asarray(s.cat.categories)
    try:
        codes, uniques = pd.factorize(s, sort=True, use_na_sentinel=True)
    except TypeError:  # labels of mixed types (e.g. 1 and "a"): order by type, then text
        codes, uniques = pd.factorize(s, sort=False, use_na_sentinel=True)
        uniques = np.asarray(uniques, dtype=object)
        order = sorted(range(len(uniques)), key=lambda i: _mixed_key(uniques[i]))
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order))
        codes = np.where(codes < 0, -1, rank[np.maximum(codes, 0)])
        uniques = uniques[order]
    return codes.astype(np.int64, copy=False), np.asarray(uniques)


def _mixed_key(x: Any) -> tuple[str, str]:
    return type(x).__name__, str(x)


def encode_groups(table: Table, by: Sequence[str], *, sparse: bool = False) -> Groups:
    """Cross-classify the ``by`` variables into cell codes.

    ``sparse=True`` allows the sparse layout (:class:`Groups`) for a cross-classification
    whose dense table would be large (``DENSE_CELLS``, ``DENSE_FILL``); the default always
    gives the dense one.
    """
    if len(by) == 1:
        s = table.column(by[0], role="by")
        if s.dtype.kind in "iu" and s.dtype == np.int64 and len(s):
            arr = s.to_numpy()
            lo, hi = kernels.int_range(readonly(arr))  # one pass, not min() then max()
            if hi - lo < 1 << 16:  # small integer range: cells straight from the values
                labels = np.arange(lo, hi + 1)
                return Groups(list(by), [labels], readonly(arr), lo, len(labels) + 1, False, prune=True)
    labels: list[np.ndarray] = []
    positions: list[np.ndarray] = []
    has_missing = False
    for name in by:
        c, lab = _factorize(table.column(name, role="by"))
        miss = c < 0
        if miss.any():
            has_missing = True
            c = np.where(miss, len(lab), c)  # the variable's missing slot
        positions.append(c)
        labels.append(lab)
    ext = [len(lab) + 1 for lab in labels]
    n_dense = int(np.prod(ext, dtype=object))  # a Python int: no overflow
    if not sparse or len(by) == 1 or n_dense <= DENSE_CELLS:
        return _dense_groups(list(by), labels, positions, n_dense, has_missing)
    key, compressed = _combined_key(positions, ext)
    codes, uniques = pd.factorize(key, sort=True)
    if not compressed and n_dense <= DENSE_FILL * len(uniques):  # key = the dense cell
        return Groups(list(by), labels, readonly(key), 0, n_dense, has_missing)
    return _sparse_groups(list(by), labels, positions, codes, len(uniques), has_missing)


def _dense_groups(
    names: list[str], labels: list[np.ndarray], positions: list[np.ndarray], n_dense: int,
    has_missing: bool,
) -> Groups:  # fmt: skip
    """Row-major cells over every combination of labels (missing slots included)."""
    codes = positions[0]
    for c, lab in zip(positions[1:], labels[1:], strict=True):
        codes = codes * (len(lab) + 1) + c
    codes = readonly(codes.astype(np.int64, copy=False))
    return Groups(names, labels, codes, 0, n_dense, has_missing)


def _combined_key(positions: list[np.ndarray], ext: list[int]) -> tuple[np.ndarray, bool]:
    """One int64 per unit that orders the units as their label positions do (row-major);
    re-numbered by rank whenever the next variable would overflow int64 (then True)."""
    key = positions[0].astype(np.int64, copy=True)
    size, compressed = ext[0], False
    for c, e in zip(positions[1:], ext[1:], strict=True):
        if size * e > np.iinfo(np.int64).max:
            key, uniques = pd.factorize(key, sort=True)  # ranks keep the order
            key, size, compressed = key.astype(np.int64, copy=False), len(uniques), True
        key = key * e + c
        size *= e
    return key, compressed


def _sparse_groups(
    names: list[str], labels: list[np.ndarray], positions: list[np.ndarray], codes: np.ndarray,
    n_cells: int, has_missing: bool,
) -> Groups:  # fmt: skip
    """Cells = the occurring combinations (``codes``: sorted ranks of the units' keys),
    renumbered with the cells whose labels are all known first."""
    codes = codes.astype(np.int64, copy=False)
    unit = np.empty(n_cells, np.int64)
    unit[codes] = np.arange(len(codes))  # some unit of each cell (any one: they agree)
    cells = np.stack([p[unit] for p in positions], axis=1)
    missing = (cells >= np.array([len(lab) for lab in labels])).any(axis=1)
    order = np.argsort(missing, kind="stable")  # known cells first, each part still sorted
    rank = np.empty(n_cells, np.int64)
    rank[order] = np.arange(n_cells)
    return Groups(
        names,
        labels,
        readonly(rank[codes]),
        0,
        n_cells,
        has_missing,
        cells=readonly(cells[order]),
        n_known=int(n_cells - missing.sum()),
    )
