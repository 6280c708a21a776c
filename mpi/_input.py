"""Turn user data (xarray Dataset or pandas DataFrame) into the kernel's arrays.

Nothing here copies more than one column at a time, and the input is never modified:
float64 columns are passed to the kernel as read-only views, and so are integer 0/1 flags
and small integer codes (int8, bool, uint8 up to 127) when every indicator can be read
as int8 (:func:`encode_indicator` with ``narrow=True``).
"""

from __future__ import annotations

import difflib
import os
import sys
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .errors import CategoryWarning, DataError
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
    lo, hi = (int(arr.min()), int(arr.max())) if arr.size else (0, 0)
    if lo < -128 or hi > 127:
        return None
    if arr.dtype == np.uint8:
        return readonly(arr).view(np.int8)
    return readonly(arr.astype(np.int8))


def _values(s: pd.Series, narrow: bool) -> np.ndarray:
    """Numeric column for the kernel: int8 when ``narrow`` and possible, else float64."""
    out = _as_int8(s) if narrow else None
    return out if out is not None else _as_float(s)


#: What :func:`pandas.api.types.infer_dtype` says of an object column that holds only numbers
#: (or booleans) and missing values: read as numbers, as a numeric column would be.
_OBJECT_NUMBERS = {"integer", "floating", "mixed-integer-float", "boolean"}


def _object_numbers(s: pd.Series) -> pd.Series:
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


def _all_missing_untyped(s: pd.Series) -> bool:
    """An object column or a Categorical (whose type comes from the values or categories)
    with every value missing: it is measured as missing everywhere whatever the rule."""
    untyped = isinstance(s.dtype, pd.CategoricalDtype) or (
        isinstance(s.dtype, np.dtype) and s.dtype.kind == "O"
    )
    return untyped and len(s) > 0 and bool(s.isna().all())


def _refuse_complex(s: pd.Series, role: str, name: Hashable) -> None:
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


def encode_indicator(
    s: pd.Series, ind: Indicator, *, narrow: bool = False
) -> tuple[np.ndarray, str, float]:
    """Column -> (values, kernel rule, numeric cutoff).

    Category rules (``in``, string ``==``/``!=``) are evaluated here into a 0/1 flag with
    NaN kept for missing values; numeric rules are left to the kernel. The values are
    float64 (NaN = missing), or with ``narrow=True`` int8 when the column (or the flag)
    holds booleans or integers in ``[-128, 127]`` without a missing value (a view of the
    input where possible).

    A listed category that a Categorical does not have raises a :class:`DataError`; one
    that never occurs in a column of another dtype gives a :class:`CategoryWarning` (``in``
    rules and string ``==``/``!=``): a misspelt category lowers the deprivation count
    silently.
    """
    where = f"variable {ind.variable!r} of indicator {ind.name!r}"
    dtype = s.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        raise DataError(f"{where} has dtype {dtype}; deprivation rules need numbers or categories")
    _refuse_complex(s, "variable", ind.variable)
    if _all_missing_untyped(s):  # no value to tell numbers from text: every value missing
        return readonly(np.full(len(s), np.nan)), "flag", 0.0
    s = _object_numbers(s)
    dtype = s.dtype
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
        return _values(s, narrow), "flag", 0.0
    rule = ind.deprived_if
    categorical_rule = rule == "in" or isinstance(ind.cutoff, str | bool)
    if rule in ("<", "<=", ">", ">=") and not numeric:
        raise DataError(
            f"{where} has non-numeric dtype {dtype}, but the rule {rule!r} {ind.cutoff!r} "
            "needs numbers. Convert the variable (pd.to_numeric) or use deprived_if='in' "
            "with a list of categories"
        )
    if not categorical_rule and numeric:
        return _values(s, narrow), rule, float(ind.cutoff)
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
    member, missing = _membership(s, cats, ind, check=rule == "in" or has_str)
    dep = member if rule in ("in", "==") else ~member
    if narrow and not missing.any():
        return readonly(dep).view(np.int8), "flag", 0.0
    out = dep.astype(np.float64)
    out[missing] = np.nan
    return readonly(out), "flag", 0.0


def _membership(
    s: pd.Series, cats: list, ind: Indicator, *, check: bool
) -> tuple[np.ndarray, np.ndarray]:
    """``(member, missing)`` boolean arrays of a category rule. Listed categories that a
    Categorical lacks raise (:func:`_check_declared`); with ``check``, those that never
    occur in a column of another dtype warn (:func:`_warn_absent`)."""
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        _check_declared(dtype.categories, cats, ind)
        codes = s.cat.codes.to_numpy()
        hit = np.append(dtype.categories.isin(cats), False)  # code -1 (missing) -> False
        return hit[codes], codes < 0
    if _is_numeric(s) or pd.api.types.is_bool_dtype(dtype):
        member = s.isin(cats).to_numpy(dtype=bool)
        missing = s.isna().to_numpy(dtype=bool)
        if check:
            absent = [c for c in cats if not bool(s.eq(c).any())]
            if absent:
                _warn_absent(absent, lambda: pd.unique(s.dropna()), ind)
        return member, missing
    # text: one hash pass gives membership, missing values and the values that occur
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    hit = pd.Index(uniques).isin(cats)
    if check:
        found = set(pd.Index(uniques)[hit])
        absent = [c for c in cats if c not in found]
        if absent:
            _warn_absent(absent, lambda: uniques, ind)
    return np.append(hit, False)[codes], codes < 0


def _closest(value: Any, choices: Sequence[Any]) -> Any | None:
    """The choice closest to ``value``: equal up to case, else the best difflib match of the
    texts (only among at most 10 000 choices), else None."""
    text = str(value).casefold()
    by_text = {str(c).casefold(): c for c in choices}
    if text in by_text:
        return by_text[text]
    if len(by_text) > 10_000:
        return None
    close = difflib.get_close_matches(text, list(by_text), n=1, cutoff=0.6)
    return by_text[close[0]] if close else None


def _guesses(unknown: list, choices: Sequence[Any]) -> str:
    """``"did you mean 'primary' for 'Primary'?"`` (empty without a close match)."""
    pairs = [(u, _closest(u, choices)) for u in unknown]
    pairs = [(u, m) for u, m in pairs if m is not None]
    if not pairs:
        return ""
    if len(unknown) == 1:
        return f"did you mean {pairs[0][1]!r}?"
    return "did you mean " + ", ".join(f"{m!r} for {u!r}" for u, m in pairs) + "?"


def _sorted_values(values: Any, limit: int = 30) -> str:
    vals = [v.item() if isinstance(v, np.generic) else v for v in values]
    try:
        vals = sorted(vals)
    except TypeError:
        vals = sorted(vals, key=str)
    more = f", … ({len(vals) - limit} more)" if len(vals) > limit else ""
    return ", ".join(repr(v) for v in vals[:limit]) + more


def _check_declared(categories: pd.Index, cats: list, ind: Indicator) -> None:
    """Every listed category must be a category of the Categorical: raise otherwise."""
    known = set(categories)
    unknown = [c for c in cats if c not in known]
    if not unknown:
        return
    listed = (
        _sorted_values(categories)
        if len(categories) > 30
        else ", ".join(repr(c) for c in categories)
    )
    lead = (
        f"none of the categories {cats!r} of indicator {ind.name!r} occurs"
        if len(unknown) == len(cats)
        else f"indicator {ind.name!r} lists unknown categories {unknown!r}, not"
    )
    guess = _guesses(unknown, list(categories))
    raise DataError(
        f"{lead} among the categories of variable {ind.variable!r} ({listed}); check the "
        f"spelling (categories are case-sensitive{'; ' + guess if guess else ''}), or add the "
        "category to the Categorical (series.cat.add_categories) if it is real"
    )


def _warn_absent(absent: list, values: Any, ind: Indicator) -> None:
    """Warn that listed categories never occur; ``values()`` gives the values that do."""
    present = list(values())
    noun = "category" if len(absent) == 1 else "categories"
    verb = "occurs" if len(absent) == 1 else "occur"
    guess = _guesses(absent, present)
    warnings.warn(
        CategoryWarning(
            f"indicator {ind.name!r}: the {noun} {absent!r} never {verb} in variable "
            f"{ind.variable!r}{' (' + guess + ')' if guess else ''}. Its values are "
            f"{_sorted_values(present) or 'all missing'}. A misspelt category lowers the "
            "deprivation count silently: check the categories (spelling and case); if one is "
            "simply absent from these data, ignore this warning (mpi.CategoryWarning)",
            ind.name,
            tuple(absent),
        ),
        stacklevel=_caller_level(),
    )


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _caller_level() -> int:
    """``stacklevel`` of the first frame outside the ``mpi`` package, as seen from the
    function that calls :func:`_caller_level` (and then ``warnings.warn``)."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level


def encode_weight(s: pd.Series, name: Hashable) -> np.ndarray:
    """Sampling weights as float64 (NaN = missing; negatives are rejected by the kernel)."""
    _refuse_complex(s, "weight variable", name)
    s = _object_numbers(s)
    if not (_is_numeric(s) or pd.api.types.is_bool_dtype(s.dtype)):
        raise DataError(
            f"weight variable {name!r} must be numeric; got dtype {s.dtype}. "
            "Convert it with pd.to_numeric"
        )
    return _as_float(s)


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
            lo, hi = int(arr.min()), int(arr.max())
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
