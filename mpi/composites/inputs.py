"""Inputs of :func:`mpi.composite`: the table's indicator values, weights, groups and unit ids.

:func:`read_inputs` checks a pandas DataFrame (one row per unit) or an xarray Dataset with one
dimension (the units) against a composite spec and returns :class:`CompositeInputs`: the
``(n, m)`` float64 matrix of raw indicator values in the spec's order (NaN = missing) that the
engine (:mod:`mpi.composites.engine`) takes, the population weights, the unit ids and the
codes of the ``by`` groups (the combinations of the ``by`` variables that occur, sorted;
``-1`` where a ``by`` value is missing). Units with a missing weight are left out (and
counted); nothing else is dropped here (missing indicator values are the engine's rule).
The table is never modified: every array is a new one.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.table import all_missing_untyped, object_numbers
from mpi.errors import ValidationError

__all__ = ["CompositeInputs", "read_inputs", "by_names", "UNIT_DIM"]

#: Name of the unit dimension of :meth:`mpi.CompositeResult.to_dataset`.
UNIT_DIM = "unit"


@dataclass(frozen=True)
class CompositeInputs:
    """What :func:`read_inputs` read from the table (units with a missing weight left out).

    Attributes
    ----------
    values
        ``(n, m)`` float64 raw indicator values in ``spec.indicator_names`` order (NaN =
        missing; booleans as 0/1).
    weight
        ``(n,)`` float64 population weights (1 when no ``weight`` was given).
    ids
        The ``n`` unit ids (the table's index, the Dataset's coordinate or the ``id`` column).
    codes
        ``(n,)`` int64 group of each unit (``-1``: a ``by`` value is missing, or no ``by``).
    groups
        The occurring combinations of the ``by`` variables, row ``g`` for code ``g``: a
        :class:`pandas.Index` (one ``by``) or :class:`pandas.MultiIndex`; None without ``by``.
    by
        The ``by`` variable names.
    weight_name
        The ``weight`` argument.
    n_input
        Rows of the table.
    n_missing_weight
        Units left out because their weight is missing.
    n_missing_group
        Units kept whose ``by`` value is missing (in no group; in the overall aggregate).
    """

    values: np.ndarray
    weight: np.ndarray
    ids: pd.Index
    codes: np.ndarray
    groups: pd.Index | None
    by: list[str]
    weight_name: str | None
    n_input: int
    n_missing_weight: int
    n_missing_group: int


def by_names(by: Any) -> list[str]:
    """The ``by`` argument as a list of distinct column names.

    Parameters
    ----------
    by
        None, a column name, or a list of column names.

    Returns
    -------
    list of str

    Raises
    ------
    ValidationError
        For something else, or a name given twice.
    """
    if by is None:
        return []
    names = [by] if isinstance(by, str) else by
    if not isinstance(names, Sequence) or not all(isinstance(b, str) for b in names):
        raise ValidationError(
            f"by must be a column name or a list of column names; got {by!r}. "
            "E.g. by='province' or by=['province', 'type']"
        )
    if not names:
        raise ValidationError("by=[] names no column; pass by=None for no groups")
    if len(set(names)) != len(names):
        raise ValidationError(f"by names a column twice: {list(names)!r}; give each once")
    return list(names)


def _columns(table: Any) -> tuple[dict[Hashable, Any], pd.Index, str]:
    """The table's columns (name -> array-like), its default ids and what it is (for messages)."""
    if isinstance(table, pd.DataFrame):
        if table.columns.has_duplicates:
            dup = sorted({str(c) for c in table.columns[table.columns.duplicated()]})
            raise ValidationError(f"table has duplicated column names {dup}; rename them")
        return {c: table[c] for c in table.columns}, table.index, "the DataFrame's index"
    if isinstance(table, xr.Dataset):
        if len(table.sizes) != 1:
            raise ValidationError(
                f"table: an xarray.Dataset must have exactly one dimension (the units); got "
                f"dims {dict(table.sizes)}. Select one slice (table.sel(year=2016)) or stack "
                "the dimensions into one (table.stack(unit=[...]))"
            )
        (dim,) = table.sizes
        for name, var in table.variables.items():
            if var.dims not in ((dim,), ()):
                raise ValidationError(f"table variable {name!r} has dims {var.dims}")
        if dim in table.indexes:
            ids = table.indexes[dim].copy()
        else:
            ids = pd.RangeIndex(table.sizes[dim], name=str(dim))
        cols = {n: pd.Series(np.asarray(v.values)) for n, v in table.variables.items() if v.dims}
        return cols, ids, f"the coordinate of dimension {dim!r}"
    if isinstance(table, xr.DataArray):
        raise ValidationError(
            "table is an xarray.DataArray; pass an xarray.Dataset with one variable per "
            "indicator (da.to_dataset(dim='indicator')) or a pandas DataFrame"
        )
    raise ValidationError(
        f"table must be a pandas.DataFrame or an xarray.Dataset; got {type(table).__name__}"
    )


def _numeric(col: Any, name: Hashable, role: str) -> np.ndarray:
    """A numeric (or boolean) column as a new float64 array, NaN where missing."""
    s = col if isinstance(col, pd.Series) else pd.Series(np.asarray(col))
    if all_missing_untyped(s):  # every value missing: a missing column, whatever its dtype
        return np.full(len(s), np.nan)
    s = object_numbers(s)
    dtype = s.dtype
    numeric = pd.api.types.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype)
    if not numeric or pd.api.types.is_complex_dtype(dtype):
        shown = [repr(v) for v in s.dropna().unique()[:3].tolist()]
        raise ValidationError(
            f"{role} column {name!r} must be numeric (or bool); got dtype {dtype} with values "
            f"such as {', '.join(shown) or 'none'}. Convert it, e.g. "
            f"pd.to_numeric(table[{name!r}], errors='coerce')"
        )
    return np.array(s.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64, copy=True)


def _missing_columns(cols: dict[Hashable, Any], names: Sequence[str], role: str, spec: Any) -> None:
    missing = [n for n in names if n not in cols]
    if missing:
        where = f" of spec {spec.name!r}" if role == "indicator" else ""
        available = ", ".join(map(str, list(cols)[:30]))
        raise ValidationError(
            f"{role} column(s) {missing}{where} not in the table; available columns: "
            f"{available}. Rename the columns or change the spec"
        )


def _indicator_values(cols: dict[Hashable, Any], spec: Any, n: int) -> np.ndarray:
    names = list(spec.indicator_names)
    _missing_columns(cols, names, "indicator", spec)
    values = np.empty((n, len(names)), dtype=np.float64, order="F")  # column by column
    for j, name in enumerate(names):
        x = _numeric(cols[name], name, "indicator")
        bad = np.isinf(x)
        if bad.any():
            rows = np.flatnonzero(bad)[:5].tolist()
            raise ValidationError(
                f"indicator column {name!r} of spec {spec.name!r} has {int(bad.sum())} "
                f"infinite value(s) (at rows {rows}); use NaN for a missing value, or fix them"
            )
        values[:, j] = x
    return values


def _weights(cols: dict[Hashable, Any], weight: Any, n: int) -> np.ndarray:
    if weight is None:
        return np.ones(n)
    if not isinstance(weight, str):
        raise ValidationError(
            f"weight must be the name of a population column (or None); got {weight!r}"
        )
    _missing_columns(cols, [weight], "weight", None)
    w = _numeric(cols[weight], weight, "weight")
    bad = ~np.isnan(w) & (~np.isfinite(w) | (w < 0))
    if bad.any():
        shown = sorted({float(v) for v in w[bad]})[:5]
        raise ValidationError(
            f"weight column {weight!r} has {int(bad.sum())} negative or infinite value(s) "
            f"(e.g. {shown}); population weights must be finite and >= 0. Fix those rows"
        )
    return w


def _ids(cols: dict[Hashable, Any], id: Any, default: pd.Index, what: str) -> pd.Index:
    if id is None:
        ids, source = default, what
    else:
        if not isinstance(id, str):
            raise ValidationError(f"id must be the name of a column of unit ids; got {id!r}")
        _missing_columns(cols, [id], "id", None)
        ids = pd.Index(np.asarray(cols[id]), name=id)
        source = f"id column {id!r}"
    if isinstance(ids, pd.MultiIndex):
        bad = np.zeros(len(ids), bool)
        for level in range(ids.nlevels):
            bad |= np.asarray(pd.isna(ids.get_level_values(level)))
    else:
        bad = np.asarray(pd.isna(ids), dtype=bool)
    if bad.any():
        raise ValidationError(
            f"{source} has {int(bad.sum())} missing unit id(s) (at rows "
            f"{np.flatnonzero(bad)[:5].tolist()}); give every unit an id, or pass id='<column>'"
        )
    if ids.has_duplicates:
        dup = ids[ids.duplicated()].unique()[:5].tolist()
        raise ValidationError(
            f"{source} has duplicated unit ids, e.g. {dup}; unit ids must be unique. Pass "
            "id='<column of unique ids>' or reset the index (table.reset_index(drop=True))"
        )
    return ids


def _group_codes(
    cols: dict[Hashable, Any], by: list[str], keep: np.ndarray
) -> tuple[np.ndarray, pd.Index | None]:
    """Codes of the ``by`` combinations that occur among the rows ``keep`` (sorted; -1 where
    a value is missing) and those combinations (row ``g`` for code ``g``)."""
    n = int(keep.sum())
    if not by:
        return np.full(n, -1, np.int64), None
    _missing_columns(cols, by, "by", None)
    frame = pd.DataFrame(index=pd.RangeIndex(n))
    for b in by:
        col = cols[b]
        if isinstance(getattr(col, "dtype", None), pd.CategoricalDtype):
            frame[b] = pd.Categorical(col)[keep]
        else:
            frame[b] = np.asarray(col, dtype=object)[keep]
    known = ~frame.isna().any(axis=1).to_numpy()
    keys = frame[known]
    codes = np.full(n, -1, np.int64)
    if keys.empty:
        empty = pd.MultiIndex.from_frame(keys) if len(by) > 1 else pd.Index([], name=by[0])
        return codes, empty
    try:
        codes[known] = keys.groupby(by, sort=True, observed=True).ngroup().to_numpy(np.int64)
    except TypeError:  # labels that do not sort (e.g. 1 and "a"): first-appearance order
        codes[known] = keys.groupby(by, sort=False, observed=True).ngroup().to_numpy(np.int64)
    _, at = np.unique(codes[known], return_index=True)  # first unit of each code, by code
    first = keys.iloc[at]
    if len(by) == 1:
        return codes, pd.Index(first[by[0]].tolist(), name=by[0])
    return codes, pd.MultiIndex.from_frame(first[by].reset_index(drop=True))


def read_inputs(
    table: Any, spec: Any, weight: Any = None, by: Any = None, id: Any = None
) -> CompositeInputs:
    """Check ``table`` against ``spec`` and read the engine's arrays.

    Parameters
    ----------
    table
        A pandas DataFrame (one row per unit) or an xarray Dataset with exactly one
        dimension (the units).
    spec
        A :class:`~mpi.composites.spec.CompositeSpec`.
    weight
        Column of population weights (finite, >= 0; a unit with a missing weight is left
        out and counted), or None for weights of 1.
    by
        Column name(s) of the groups, or None.
    id
        Column of unique, non-missing unit ids; None: the DataFrame's index, or the
        Dataset dimension's coordinate (0, 1, ... when it has none).

    Returns
    -------
    CompositeInputs

    Raises
    ------
    ValidationError
        For another type of table, a Dataset with several dimensions, an indicator column
        missing, not numeric or with infinite values, a negative or infinite weight, a
        missing or duplicated unit id, or a bad ``by``.
    """
    names = by_names(by)
    cols, default_ids, what = _columns(table)
    n = len(default_ids)
    values = _indicator_values(cols, spec, n)
    w = _weights(cols, weight, n)
    ids = _ids(cols, id, default_ids, what)
    keep = ~np.isnan(w)
    codes, groups = _group_codes(cols, names, keep)
    n_missing_weight = int(n - keep.sum())
    if n_missing_weight:
        values, w, ids = values[keep], w[keep], ids[keep]
    return CompositeInputs(
        values=values,
        weight=w,
        ids=ids,
        codes=codes,
        groups=groups,
        by=names,
        weight_name=weight,
        n_input=n,
        n_missing_weight=n_missing_weight,
        n_missing_group=int(((codes < 0) & bool(names)).sum()),
    )
