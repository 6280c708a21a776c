"""Panel layout: the validated unit and time dimensions of a ``unit`` x ``time`` Dataset.

Shared by :func:`mpi.measure` (a panel measured wave by wave) and every dynamic estimator:
checks of the panel's dims and ids, per-unit weights and groups, and the balance policy.
Nothing here depends on a poverty specification.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi import kernels
from mpi._common.table import Groups, Table, encode_groups, encode_weight
from mpi.errors import DataError, ValidationError

#: Policies for units not observed in every wave.
BALANCE = ("balanced", "observed")


@dataclass(frozen=True)
class PanelLayout:
    """Validated dimension names, unit ids and wave years of a panel."""

    unit_dim: Hashable
    time_dim: Hashable
    units: np.ndarray
    times: np.ndarray
    years: np.ndarray  # float64 calendar years of the waves

    @property
    def n_units(self) -> int:
        return len(self.units)

    @property
    def n_waves(self) -> int:
        return len(self.times)


def check_panel(
    panel: Any,
    *,
    unit: Hashable = "unit",
    time: Hashable = "time",
    min_waves: int = 1,
    argument: str = "panel",
) -> PanelLayout:
    """Validate the layout of a panel Dataset (dims, unit ids, wave years).

    Raises a :class:`~mpi.DataError` naming the problem and the fix for: a DataFrame or
    DataArray instead of a Dataset, missing dims, duplicate unit ids, a non-numeric,
    unsorted or duplicated ``time`` coordinate, and fewer than ``min_waves`` waves.
    """
    if isinstance(panel, pd.DataFrame):
        raise DataError(
            f"{argument} is a pandas DataFrame; panel estimators need an xarray.Dataset with "
            f"dims ({unit!r}, {time!r}). Build one with mpi.panel_from_long(df, unit=..., "
            "time=...) or mpi.merge_sources(...)"
        )
    if not isinstance(panel, xr.Dataset):
        raise DataError(
            f"{argument} must be an xarray.Dataset with dims ({unit!r}, {time!r}); got "
            f"{type(panel).__name__}"
        )
    for dim, role, name in ((unit, "unit", "unit"), (time, "time", "time")):
        if dim not in panel.dims:
            raise DataError(
                f"{argument} has no {role} dimension {dim!r} (its dims are "
                f"{sorted(map(str, panel.dims))}); pass {name}=<the dimension name>"
            )
    n_units = panel.sizes[unit]
    units = panel[unit].values if unit in panel.coords else np.arange(n_units)
    if n_units and pd.Index(units).has_duplicates:
        dup = pd.Index(units)[pd.Index(units).duplicated()].unique()[:5].tolist()
        raise DataError(
            f"{argument} has duplicate unit ids along {unit!r}, e.g. {dup}; every unit must "
            "appear once (merge or drop the duplicates)"
        )
    if time not in panel.coords:
        raise DataError(
            f"{argument} has no coordinate along {time!r}; assign the waves' calendar years, "
            f"e.g. panel.assign_coords({time}=[2015, 2016, ...])"
        )
    times = panel[time].values
    if not (np.issubdtype(times.dtype, np.integer) or np.issubdtype(times.dtype, np.floating)):
        raise DataError(
            f"the {time!r} coordinate must hold calendar years as numbers (decimals allowed, "
            f"e.g. 2017.5); got dtype {times.dtype}. Convert dates with .dt.year or "
            "a decimal-year formula"
        )
    years = times.astype(np.float64)
    if not np.isfinite(years).all():
        raise DataError(f"the {time!r} coordinate has missing or infinite years: {times.tolist()}")
    diff = np.diff(years)
    if (diff == 0).any():
        dup = sorted({float(y) for y in years[1:][diff == 0]})
        raise DataError(
            f"the {time!r} coordinate repeats the wave(s) {dup}; each wave must appear once "
            "(combine the duplicated waves first)"
        )
    if (diff < 0).any():
        raise DataError(
            f"the {time!r} coordinate is not sorted ({times.tolist()}); sort the panel with "
            f"panel.sortby({time!r})"
        )
    if len(years) < min_waves:
        raise DataError(
            f"{argument} has {len(years)} wave(s) along {time!r}; this estimator needs at "
            f"least {min_waves}"
        )
    return PanelLayout(unit, time, np.asarray(units), np.asarray(times), years)


def unit_table(panel: xr.Dataset, layout: PanelLayout) -> Table:
    """The panel's variables along ``unit`` as an input :class:`~mpi._common.table.Table`."""
    return Table(panel, "xarray", layout.unit_dim, layout.n_units)


def static_column(panel: xr.Dataset, name: Hashable, layout: PanelLayout, role: str) -> None:
    """Raise a :class:`~mpi.DataError` unless ``name`` is a panel variable along ``unit``
    only (a weight, group or history flag is fixed over time)."""
    if name not in panel.variables:
        close = [v for v in panel.variables if str(v).lower() == str(name).lower()]
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise DataError(f"{role} variable {name!r} is not in the panel.{hint}")
    dims = panel[name].dims
    if dims != (layout.unit_dim,):
        fix = (
            f"take one value per unit, e.g. panel[{name!r}].isel({layout.time_dim}=0) for the "
            "baseline"
            if layout.time_dim in dims
            else f"give it the single dimension {layout.unit_dim!r}"
        )
        raise DataError(
            f"{role} variable {name!r} has dims {dims}; a panel {role} must be fixed over time "
            f"(dims ({layout.unit_dim!r},)): {fix}"
        )


def flat_column(panel: xr.Dataset, name: Hashable, layout: PanelLayout, role: str) -> pd.Series:
    """A (unit, time) variable flattened row-major (row ``i * T + t``), a view when possible."""
    if name not in panel.variables:
        close = [v for v in panel.variables if str(v).lower() == str(name).lower()]
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise DataError(f"{role} variable {name!r} is not in the panel.{hint}")
    var = panel[name]
    if set(var.dims) != {layout.unit_dim, layout.time_dim}:
        raise DataError(
            f"{role} variable {name!r} has dims {var.dims}; panel indicators vary over "
            f"({layout.unit_dim!r}, {layout.time_dim!r}). Broadcast a time-invariant variable "
            f"first, e.g. panel[{name!r}].broadcast_like(panel[...])"
        )
    values = var.transpose(layout.unit_dim, layout.time_dim).values
    return pd.Series(np.ascontiguousarray(values).reshape(-1), copy=False)


def parallel_chunks(n_units: int) -> int:
    """Contiguous chunks of units a panel kernel runs in parallel (at least
    :data:`mpi.kernels.panel.CHUNK` units each, at most 64; the kernels use fewer when their
    private sums would take too much memory). A function of the data size only, never of
    the thread count, so every estimate carries the same bits on any machine."""
    return kernels.panel.chunk_count(n_units)


def status_states(panel: xr.Dataset, status: Hashable, layout: PanelLayout) -> np.ndarray:
    """A (unit, time) poverty-status variable from another rule (an income line, a registry
    flag) as states ``(unit, time)`` int8: 2 poor, 0 not poor, -1 unobserved.

    Booleans, or numbers 0/1 with NaN for unobserved; anything else raises a
    :class:`~mpi.DataError` naming the variable, the value and the fix.
    """
    col = flat_column(panel, status, layout, "status")
    kind = col.dtype.kind
    if kind == "b":
        state = np.where(col.to_numpy(), 2, 0).astype(np.int8)
    elif kind in "iuf":
        v = col.to_numpy().astype(np.float64)
        obs = ~np.isnan(v)
        bad = obs & (v != 0) & (v != 1)
        if bad.any():
            raise DataError(
                f"status variable {status!r} must hold 0/1: 1/True (poor), 0/False (not poor) "
                f"or NaN (unobserved); found the value {v[np.flatnonzero(bad)[0]]:g}. Recode "
                f"it, e.g. (panel[{status!r}] > 0).where(panel[{status!r}].notnull())"
            )
        state = np.where(obs, np.where(v == 1, 2, 0), -1).astype(np.int8)
    else:
        raise DataError(
            f"status variable {status!r} must be boolean or numeric 0/1 (NaN = unobserved); "
            f"got dtype {col.dtype}. Convert it, e.g. panel[{status!r}].astype(float)"
        )
    return state.reshape(layout.n_units, layout.n_waves)


def unit_groups(
    panel: xr.Dataset, by: str | Sequence[str] | None, layout: PanelLayout
) -> tuple[list[str], Groups | None]:
    """The ``by`` names and their cross-classified codes per unit (validated: each variable
    exists, lies along ``unit`` only and is named once)."""
    by_names = [by] if isinstance(by, str) else list(by or [])
    if len(set(by_names)) != len(by_names):
        raise ValidationError(f"by names a variable twice: {by_names!r}")
    for b in by_names:
        static_column(panel, b, layout, "by")
    groups = encode_groups(unit_table(panel, layout), by_names) if by_names else None
    return by_names, groups


def unit_weights(
    panel: xr.Dataset,
    weight: Hashable | None,
    layout: PanelLayout,
    *,
    allow_missing: bool = True,
) -> np.ndarray:
    """The fixed panel weight per unit as float64 (ones without ``weight``; NaN = missing).

    Negative or infinite weights, and missing ones unless ``allow_missing``, raise a
    :class:`~mpi.DataError` naming the unit id (the ``unit`` coordinate), not a row of an
    internal table: every panel estimator (and :func:`mpi.measure` on a panel) reports a
    bad weight this way.
    """
    if weight is None:
        return np.ones(layout.n_units)
    static_column(panel, weight, layout, "weight")
    table = unit_table(panel, layout)
    sw = np.array(encode_weight(table.column(weight, role="weight"), weight), dtype=np.float64)
    bad = np.isfinite(sw) & (sw < 0) | np.isinf(sw)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"weight variable {weight!r} must be non-negative and finite; found {sw[i]:g} "
            f"for unit {unit_id(layout, i)!r}. Fix or drop those units first"
        )
    if not allow_missing and np.isnan(sw).any():
        nan = np.flatnonzero(np.isnan(sw))
        raise DataError(
            f"weight variable {weight!r} is missing (NaN) for {len(nan)} unit(s), e.g. unit "
            f"{unit_id(layout, int(nan[0]))!r}, with missing='raise'. Fill or drop those units "
            "first, or use missing='drop' (drops and counts them)"
        )
    return sw


def unit_id(layout: PanelLayout, i: int) -> Any:
    """The id of unit ``i`` (its ``unit`` coordinate) as a plain Python value."""
    unit = layout.units[i]
    return unit.item() if isinstance(unit, np.generic) else unit


def check_by_names(by: Sequence[Hashable], reserved: Sequence[Hashable], where: str) -> None:
    """Raise when a ``by`` variable is named like a dimension/coordinate of the result
    (xarray would merge the two or fail with an unrelated message)."""
    clash = [b for b in by if b in set(reserved)]
    if clash:
        raise ValidationError(
            f"{where}: by variable(s) {clash} clash with the result's dimensions/coordinates "
            f"{sorted(map(str, set(reserved)))}; rename them first, e.g. "
            f"panel.rename({{{clash[0]!r}: 'group'}}) and by='group'"
        )


def check_balance(balance: str, allowed: Sequence[str] = BALANCE) -> str:
    """``balance`` when it is one of ``allowed``, else a :class:`~mpi.ValidationError`."""
    if balance not in allowed:
        raise ValidationError(
            f"balance must be one of {', '.join(map(repr, allowed))}; got {balance!r}. "
            "'balanced' uses the units observed in every wave"
        )
    return balance
