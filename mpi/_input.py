"""Turn user data (xarray Dataset or pandas DataFrame) into the kernel's arrays.

Nothing here copies more than one column at a time, and the input is never modified:
float64 columns are passed to the kernel as read-only views.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .errors import DataError
from .spec import Indicator

__all__ = ["Table", "as_table", "encode_indicator", "encode_weight", "encode_groups"]


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
        var = self.data[name]
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


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)


def _as_float(s: pd.Series) -> np.ndarray:
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


def encode_indicator(s: pd.Series, ind: Indicator) -> tuple[np.ndarray, str, float]:
    """Column -> (float64 values, kernel rule, numeric cutoff).

    Category rules (``in``, string ``==``/``!=``) are evaluated here into a 0/1 flag with
    NaN kept for missing values; numeric rules are left to the kernel.
    """
    where = f"variable {ind.variable!r} of indicator {ind.name!r}"
    dtype = s.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        raise DataError(f"{where} has dtype {dtype}; deprivation rules need numbers or categories")
    numeric = _is_numeric(s) or pd.api.types.is_bool_dtype(dtype)
    if isinstance(dtype, pd.CategoricalDtype):
        numeric = pd.api.types.is_numeric_dtype(dtype.categories.dtype)
    if ind.cutoff is None:
        if not numeric:
            raise DataError(
                f"{where} must hold 0/1 or booleans (1 = deprived) because the indicator has "
                f"no cutoff; got dtype {dtype}. Give the indicator a cutoff and deprived_if "
                "(e.g. deprived_if='in', cutoff=[...categories...]) to derive the deprivation"
            )
        return _as_float(s), "flag", 0.0
    rule = ind.deprived_if
    categorical_rule = rule == "in" or isinstance(ind.cutoff, str | bool)
    if rule in ("<", "<=", ">", ">=") and not numeric:
        raise DataError(
            f"{where} has non-numeric dtype {dtype}, but the rule {rule!r} {ind.cutoff!r} "
            "needs numbers. Convert the variable (pd.to_numeric) or use deprived_if='in' "
            "with a list of categories"
        )
    if not categorical_rule and numeric:
        return _as_float(s), rule, float(ind.cutoff)
    cats = list(ind.cutoff) if rule == "in" else [ind.cutoff]
    has_str = any(isinstance(c, str) for c in cats)
    if numeric and has_str:
        raise DataError(
            f"{where} is numeric (dtype {dtype}) but the categories {cats!r} are strings; "
            "write the categories as numbers or recode the variable"
        )
    if not numeric and not has_str:
        raise DataError(
            f"{where} holds text (dtype {dtype}) but the categories {cats!r} are numbers; "
            "write the categories as they appear in the data"
        )
    if isinstance(dtype, pd.CategoricalDtype) and has_str:
        unknown = [c for c in cats if c not in set(dtype.categories)]
        if len(unknown) == len(cats):
            raise DataError(
                f"none of the categories {cats!r} of indicator {ind.name!r} occurs among the "
                f"categories of {ind.variable!r} ({list(dtype.categories)}); check the spelling"
            )
    member = s.isin(cats).to_numpy(dtype=bool)
    dep = member if rule in ("in", "==") else ~member
    out = dep.astype(np.float64)
    out[s.isna().to_numpy(dtype=bool)] = np.nan
    return readonly(out), "flag", 0.0


def encode_weight(s: pd.Series, name: Hashable) -> np.ndarray:
    """Sampling weights as float64 (NaN = missing; negatives are rejected by the kernel)."""
    if not (_is_numeric(s) or pd.api.types.is_bool_dtype(s.dtype)):
        raise DataError(
            f"weight variable {name!r} must be numeric; got dtype {s.dtype}. "
            "Convert it with pd.to_numeric"
        )
    return _as_float(s)


@dataclass
class Groups:
    """Cross-classified group codes of the units.

    The kernel's cell of unit ``i`` is ``codes[i] - offset``. Cells are row-major over the
    ``by`` variables, each with its labels followed by one *missing* slot (position
    ``len(labels[b])``), so ``n_cells = prod(len(labels[b]) + 1)``. Units with a missing
    value in one variable thus stay in the margins of the others. With ``prune`` the labels
    no unit carries are removed after the kernel ran (integer codes taken as they are,
    without hashing).
    """

    names: list[str]
    labels: list[np.ndarray]
    codes: np.ndarray
    offset: int
    n_cells: int
    has_missing: bool
    prune: bool = False

    @property
    def shape(self) -> tuple[int, ...]:
        """Known labels per variable."""
        return tuple(len(lab) for lab in self.labels)

    @property
    def ext_shape(self) -> tuple[int, ...]:
        """Cells per variable including its missing slot."""
        return tuple(len(lab) + 1 for lab in self.labels)


def _factorize(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.cat.codes.to_numpy(dtype=np.int64), np.asarray(s.cat.categories)
    codes, uniques = pd.factorize(s, sort=True, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), np.asarray(uniques)


def encode_groups(table: Table, by: Sequence[str]) -> Groups:
    """Cross-classify the ``by`` variables into cell codes."""
    if len(by) == 1:
        s = table.column(by[0], role="by")
        if s.dtype.kind in "iu" and s.dtype == np.int64 and len(s):
            arr = s.to_numpy()
            lo, hi = int(arr.min()), int(arr.max())
            if hi - lo < 1 << 16:  # small integer range: cells straight from the values
                labels = np.arange(lo, hi + 1)
                return Groups(list(by), [labels], readonly(arr), lo, len(labels) + 1, False, prune=True)
    labels: list[np.ndarray] = []
    codes = None
    has_missing = False
    for name in by:
        c, lab = _factorize(table.column(name, role="by"))
        miss = c < 0
        if miss.any():
            has_missing = True
            c = np.where(miss, len(lab), c)  # the variable's missing slot
        codes = c if codes is None else codes * (len(lab) + 1) + c
        labels.append(lab)
    assert codes is not None
    n_cells = int(np.prod([len(lab) + 1 for lab in labels]))
    codes = readonly(codes.astype(np.int64, copy=False))
    return Groups(list(by), labels, codes, 0, n_cells, has_missing)
