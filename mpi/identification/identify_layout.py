"""The units of :func:`mpi.identification.identify.identify` and its result's layout,
shared by the in-memory path and the dask path
(:mod:`mpi.identification.identify_chunked`): the flat table of units of a DataFrame,
cross-section or panel (:func:`prepare_units`), the per-unit Dataset
(:func:`unit_dataset`), the dropped-units warning and the result's attributes.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Hashable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.exact import fraction_text
from mpi._common.panel_layout import PanelLayout, check_panel
from mpi._common.table import Table, as_table
from mpi._version import __version__
from mpi.errors import DataError, MissingDataWarning, ValidationError
from mpi.identification.identify_core import UnitStates
from mpi.measurement.panel_measure import flatten_panel, is_panel
from mpi.measurement.spec import Spec

__all__ = [
    "Units",
    "prepare_units",
    "needed_variables",
    "dataset_index",
    "panel_index",
    "unit_dataset",
    "check_units",
    "warn_dropped",
    "result_attrs",
]


def _frame_index(data: pd.DataFrame, unit: Hashable | None) -> pd.Index:
    """The index of the result for a DataFrame: its own index, or the ``unit`` column."""
    if unit is None:
        index = data.index
        what = "the DataFrame's index"
        fix = "reset_index() first or pass unit='<id column>'"
    else:
        if not isinstance(unit, Hashable) or unit not in data.columns:
            raise ValidationError(
                f"unit={unit!r} is not a column of the data; pass the name of the unit id "
                f"column (columns: {', '.join(map(str, list(data.columns)[:30]))}) or "
                "unit=None to keep the DataFrame's index"
            )
        ids = data[unit]
        if ids.isna().any():
            raise ValidationError(
                f"unit={unit!r}: {int(ids.isna().sum())} unit id(s) are missing; every unit "
                "needs an id (drop or fill those rows)"
            )
        index = pd.Index(ids.to_numpy(), name=unit)
        what = f"the unit column {unit!r}"
        fix = "merge or drop the duplicates"
    if index.has_duplicates:
        dup = index[index.duplicated()].unique()[:5].tolist()
        raise ValidationError(
            f"{what} has duplicate ids, e.g. {dup}; the result is aligned by id, so every "
            f"unit must appear once ({fix})"
        )
    return index


def dataset_index(data: xr.Dataset, dim: Hashable, unit: Hashable | None) -> pd.Index:
    """The unit ids of a cross-section Dataset: ``unit`` (a variable along the unit dim),
    else the dim's coordinate, else positions."""
    if unit is not None and unit != dim:
        if unit not in data.variables or data[unit].dims != (dim,):
            raise ValidationError(
                f"unit={unit!r} is not a variable along the unit dimension {dim!r}; pass the "
                "name of the id variable, or unit=None to use the dimension's coordinate"
            )
        index = pd.Index(data[unit].values, name=unit)
    elif dim in data.coords:
        index = pd.Index(data[dim].values, name=dim)
    else:
        index = pd.RangeIndex(data.sizes[dim], name=dim)
    if index.has_duplicates:
        dup = index[index.duplicated()].unique()[:5].tolist()
        raise ValidationError(
            f"the unit ids along {dim!r} have duplicates, e.g. {dup}; every unit must appear "
            "once (merge or drop the duplicates)"
        )
    return index


def unit_dataset(
    st: UnitStates,
    spec: Spec,
    ks: list[Fraction],
    k_dim: bool,
    unit_dims: list[str],
    shape: tuple[int, ...],
    coords: dict[str, Any],
    *,
    weighted: bool,
) -> xr.Dataset:
    """The result's Dataset from the flat per-unit arrays (reshaped to ``shape``), with
    ``sampling_weight`` when ``weighted``."""
    udims = tuple(unit_dims)

    def per_k(a: np.ndarray) -> tuple:
        a = a.reshape(*shape, len(ks))
        return (udims + ("k",), a) if k_dim else (udims, a[..., 0])

    dep = st.deprived_t.T.reshape(*shape, len(spec))  # a view: no n x d copy
    censored = dep[..., None] & st.poor.reshape(*shape, 1, len(ks))
    data: dict[str, Any] = {
        "score": (udims, st.score.reshape(shape)),
        "score_numerator": (udims, st.numerator.reshape(shape)),
        "score_denominator": (udims, st.denominator.reshape(shape)),
        "poor": per_k(st.poor),
        "vulnerable": per_k(st.vulnerable),
        "severe": per_k(st.severe),
        "deprived": (udims + ("indicator",), dep),
        "censored": (
            (udims + ("indicator", "k"), censored)
            if k_dim
            else (udims + ("indicator",), censored[..., 0])
        ),
        "missing": (udims, st.dropped.reshape(shape)),
        "n_missing_indicators": (udims, st.n_missing.reshape(shape)),
    }
    if weighted:
        data["sampling_weight"] = (udims, st.sweight.reshape(shape))
    out = xr.Dataset(data, coords={**coords, "indicator": spec.names})
    if k_dim:
        out = out.assign_coords(k=[float(f) for f in ks])
    return out


def needed_variables(spec: Spec, weight: Hashable | None) -> list[Hashable]:
    """The variables identification reads: the indicators' and the weight."""
    return list(dict.fromkeys([*spec.variables, *([weight] if weight is not None else [])]))


@dataclass
class Units:
    """The units to identify: their flat ``table`` (one row per unit, or per unit-wave of a
    panel), the result's ``shape``, ``dims`` and ``coords``, the ``index`` of
    :meth:`IdentificationResult.to_frame` and the wave dimension (panels)."""

    table: Table
    shape: tuple[int, ...]
    dims: list[str]
    coords: dict[str, Any]
    index: pd.Index
    time_dim: str | None


def prepare_units(
    data: Any,
    spec: Spec,
    *,
    weight: Hashable | None,
    missing: str,
    unit: Hashable | None,
    time: Hashable,
) -> Units:
    """The flat table of units of a DataFrame, cross-section Dataset or panel Dataset (see
    :func:`identify`), validated (unit ids, panel layout, weights)."""
    if is_panel(data, spec, time):
        unit_dim = "unit" if unit is None else unit
        layout = check_panel(data, unit=unit_dim, time=time)
        flat, _, _ = flatten_panel(
            data, spec, weight=weight, by=None, time=time, unit=unit_dim,
            balance="observed", missing=missing,
        )  # fmt: skip
        return Units(
            as_table(flat, list(spec.variables)),
            (layout.n_units, layout.n_waves),
            [str(unit_dim), str(time)],
            {str(unit_dim): layout.units, str(time): layout.times},
            panel_index(layout, unit_dim, time),
            str(time),
        )
    table = as_table(data, needed_variables(spec, weight))
    if isinstance(data, pd.DataFrame):
        index = _frame_index(data, unit)
        dims = [str(index.name) if index.name is not None else "unit"]
    else:
        index = dataset_index(data, table.unit_dim, unit)
        dims = [str(index.name)]
    return Units(table, (table.n,), dims, {dims[0]: index.to_numpy()}, index, None)


def panel_index(layout: PanelLayout, unit: Hashable, time: Hashable) -> pd.MultiIndex:
    """The index of a panel's :meth:`IdentificationResult.to_frame`: units x waves."""
    return pd.MultiIndex.from_product([layout.units, layout.times], names=[str(unit), str(time)])


def check_units(n: int) -> None:
    """Refuse data without units (``n`` rows)."""
    if n == 0:
        raise DataError("data has no units (0 rows); nothing to identify")


def warn_dropped(
    spec: Spec,
    missing: str,
    weight: Hashable | None,
    *,
    n_dropped: int,
    n: int,
    missing_by_indicator: np.ndarray,
    weight_missing: bool,
    stacklevel: int,
) -> None:
    """The :class:`~mpi.MissingDataWarning` of :func:`identify`: ``n_dropped`` of ``n``
    units dropped, with the missing values per variable (nothing when none is dropped or
    ``missing="raise"``)."""
    if not n_dropped or missing == "raise":
        return
    per = ", ".join(
        f"{ind.variable}: {int(c)}" for ind, c in zip(spec, missing_by_indicator, strict=True) if c
    )
    warnings.warn(
        f"{n_dropped} of {n} units dropped for missing values ({missing!r} rule): "
        f"missing values per variable: {per or 'none'}"
        + (f", {weight} (weight)" if weight is not None and weight_missing else "")
        + ". They have missing=True and a NaN score in the result",
        MissingDataWarning,
        stacklevel=stacklevel,
    )


def result_attrs(
    spec: Spec,
    ks: list[Fraction],
    k_dim: bool,
    weight: Hashable | None,
    missing: str,
    n_dropped: int,
    time_dim: str | None,
) -> dict[str, Any]:
    """The attributes of the result's Dataset (the call, its cutoffs, ``n_dropped``)."""
    k_text = ", ".join(fraction_text(f) for f in ks) if k_dim else fraction_text(ks[0])
    call = (
        f"mpi.identify(data, spec={spec.name or 'custom'!r}, weight={weight!r}, "
        f"k={k_text}, missing={missing!r})"
    )
    attrs: dict[str, Any] = {
        "spec": spec.name or "custom",
        "n_dimensions": len(spec.dimensions),
        "k": k_text,
        "weight": weight or "",
        "missing": missing,
        "vulnerable": fraction_text(spec.vulnerable),
        "severe": fraction_text(spec.severe),
        "n_dropped": n_dropped,
        "history": f"{_dt.datetime.now(_dt.UTC).isoformat(timespec='seconds')}: {call} "
        f"[xmpi {__version__}]",
    }
    if time_dim is not None:
        attrs["time_dim"] = time_dim
    return attrs
