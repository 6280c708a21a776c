"""The panel variables a monitoring call reads, as ``(unit, time)`` arrays (read only).

:func:`read_inputs` reads, in order, the income, the monitoring line of every unit-wave,
the household size, rigid expenditure, disaster losses, hardship events, the exited flag
(carried forward), labour capacity and, with a spec, the deprivation rule.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.panel_layout import static_column
from mpi.dynamics.monitoring.rules import MonitoringRules
from mpi.dynamics.states import panel_states
from mpi.errors import DataError, ValidationError
from mpi.measurement.spec import Spec

__all__ = ["MonitoringInputs", "read_inputs", "panel_values", "numeric", "flag"]


@dataclass(frozen=True, eq=False)
class MonitoringInputs:
    """The ``(unit, time)`` inputs of the rules (None: the rule is off).

    Attributes
    ----------
    income, line
        Income and monitoring line (float64; the line NaN before ``start``).
    expenditure, loss
        Rigid expenditure and disaster losses (summed, per capita with a ``size``).
    event
        Any hardship event set.
    exited
        Exited the registry at or before the wave.
    no_labour
        No labour capacity (all false without a ``labour`` variable).
    deprived, deprivation_observed
        With a spec: the deprivation rule fires; the selected indicators are observed.
    """

    income: np.ndarray
    line: np.ndarray
    expenditure: np.ndarray | None
    loss: np.ndarray | None
    event: np.ndarray | None
    exited: np.ndarray | None
    no_labour: np.ndarray
    deprived: np.ndarray | None
    deprivation_observed: np.ndarray | None


def read_inputs(
    panel: xr.Dataset,
    rules: MonitoringRules,
    lay: Any,
    need: np.ndarray,
    *,
    spec: Spec | None,
    k: Any,
    unit: Hashable,
    time: Hashable,
) -> MonitoringInputs:
    """Read and check the variables the rules name.

    Parameters
    ----------
    panel
        The panel.
    rules
        The rules.
    lay
        The panel layout.
    need
        Monitored waves (bool per wave); the line is needed only there.
    spec, k
        The deprivation rule (None: off).
    unit, time
        Dimension names.

    Returns
    -------
    MonitoringInputs
    """
    income = numeric(panel_values(panel, rules.income, lay, "income"), rules.income, "income")
    line = resolve_line(panel, rules, lay, need)
    size = _household_size(panel, rules, lay)
    expend = _share_rule(panel, rules.expenditure, lay, size, "expenditure")
    loss = _share_rule(panel, rules.loss, lay, size, "loss")
    event = None
    for name in rules.events:
        e = flag(panel_values(panel, name, lay, "events"), None, name, "events")
        event = e if event is None else event | e
    exited = None
    if rules.exited is not None:
        values = panel_values(panel, rules.exited, lay, "exited")
        ex = flag(values, rules.exited_values, rules.exited, "exited")
        exited = np.logical_or.accumulate(ex, axis=1)  # once exited, always exited
    no_labour = np.zeros((lay.n_units, lay.n_waves), bool)
    if rules.labour is not None:
        values = panel_values(panel, rules.labour, lay, "labour")
        no_labour = flag(values, rules.no_labour_values, rules.labour, "labour")
    deprived = dep_obs = None
    if spec is not None:
        deprived, dep_obs = _deprivation(panel, spec, k, rules, unit, time)
    return MonitoringInputs(income, line, expend, loss, event, exited, no_labour, deprived, dep_obs)


# ------------------------------------------------------------------------------ variables
def panel_values(panel: xr.Dataset, name: str, lay: Any, role: str) -> np.ndarray:
    """A panel variable as a (N, T) array (broadcasting unit-only or time-only ones).

    Parameters
    ----------
    panel
        The panel.
    name
        The variable.
    lay
        The panel layout.
    role
        The rule's argument, for messages.

    Returns
    -------
    numpy.ndarray
        A view where possible (never written).
    """
    if name not in panel.variables:
        close = [v for v in panel.variables if str(v).lower() == str(name).lower()]
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise DataError(
            f"{role} variable {name!r} is not in the panel.{hint} Add it (e.g. merge the "
            "department table) or change the rule"
        )
    var = panel[name]
    u, t = lay.unit_dim, lay.time_dim
    if not set(var.dims) <= {u, t}:
        raise DataError(
            f"{role} variable {name!r} has dims {var.dims}; it must vary over ({u!r}, {t!r}), "
            f"({u!r},) or ({t!r},)"
        )
    shape = (lay.n_units, lay.n_waves)
    if var.dims == (u, t):
        return var.values
    if var.dims == (t, u):
        return var.values.T
    if var.dims == (u,):
        return np.broadcast_to(var.values[:, None], shape)
    if var.dims == (t,):
        return np.broadcast_to(var.values[None, :], shape)
    return np.broadcast_to(var.values, shape)


def numeric(arr: np.ndarray, name: str, role: str) -> np.ndarray:
    """``arr`` as float64, or a :class:`~mpi.DataError` naming the variable.

    Returns
    -------
    numpy.ndarray
    """
    try:
        return np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(
            f"{role} variable {name!r} must be numeric; got dtype {arr.dtype}. Convert it first"
        ) from None


def flag(arr: np.ndarray, values: Sequence | None, name: str, role: str) -> np.ndarray:
    """Boolean array: values in ``values`` (or nonzero numeric/boolean when None).

    Returns
    -------
    numpy.ndarray
        False where the value is missing.
    """
    if values is None:
        if arr.dtype == bool:
            return np.asarray(arr)
        x = numeric(arr, name, role)
        return np.isfinite(x) & (x != 0)
    flat = np.asarray(arr).reshape(-1)
    codes, uniques = pd.factorize(flat, use_na_sentinel=True)
    hit = np.append(pd.Index(uniques).isin(list(values)), False)  # last slot: missing
    return hit[codes].reshape(arr.shape)


def _household_size(panel: xr.Dataset, rules: MonitoringRules, lay: Any) -> np.ndarray | None:
    """The household size (positive or NaN), or None without ``size``."""
    if rules.size is None:
        return None
    size = numeric(panel_values(panel, rules.size, lay, "size"), rules.size, "size")
    bad = np.flatnonzero((size <= 0).ravel())
    if bad.size:
        raise DataError(
            f"size variable {rules.size!r} must be positive (a household size); found "
            f"{size.ravel()[bad[0]]:g} in {bad.size} unit-wave(s). Fix or set those to NaN"
        )
    return size


def _share_rule(
    panel: xr.Dataset, names: tuple[str, ...], lay: Any, size: np.ndarray | None, role: str
) -> np.ndarray | None:
    """Sum of the amounts ``names`` (NaN only where all are missing), per capita with a size."""
    if not names:
        return None
    total = None
    for name in names:
        x = numeric(panel_values(panel, name, lay, role), name, role)
        if (x < 0).any():
            raise DataError(f"{role} variable {name!r} has negative values; amounts must be >= 0")
        total = (
            x.copy()
            if total is None
            else np.where(np.isnan(total), x, np.where(np.isnan(x), total, total + x))
        )
    assert total is not None
    return total / size if size is not None else total


def _deprivation(
    panel: xr.Dataset, spec: Spec, k: Any, rules: MonitoringRules, unit: Hashable, time: Hashable
) -> tuple[np.ndarray, np.ndarray]:
    """(deprived, observed) booleans (N, T) from the spec: any selected indicator deprived
    (each indicator scored on its own, so a missing one does not hide the others), or
    AF-poor at ``k`` when ``k`` is given."""
    if k is not None:
        if rules.deprivations is not None:
            raise ValidationError(
                "pass either k (deprived = AF-poor at k over all the spec's indicators) or "
                "rules.deprivations (deprived = any of those indicators), not both"
            )
        st = panel_states(panel, spec, k=k, unit=unit, time=time, min_waves=1).state
        return st >= 2, st >= 0
    names = spec.names if rules.deprivations is None else list(rules.deprivations)
    unknown = [n for n in names if n not in spec.names]
    if unknown:
        raise ValidationError(
            f"rules.deprivations names {unknown}, not indicators of the spec; its indicators "
            f"are {spec.names}"
        )
    dep = obs = None
    for name in names:
        one = Spec([spec[name].replace(weight=1)], k=1, name=name)
        st = panel_states(panel, one, unit=unit, time=time, min_waves=1).state
        d, o = st >= 2, st >= 0
        dep = d if dep is None else dep | d
        obs = o if obs is None else obs & o
    assert dep is not None and obs is not None
    return dep, obs


# ------------------------------------------------------------------------------ line
def resolve_line(
    panel: xr.Dataset, rules: MonitoringRules, lay: Any, need: np.ndarray
) -> np.ndarray:
    """The monitoring line of every unit-wave as float64 (N, T).

    Parameters
    ----------
    panel, rules, lay
        The panel, the rules and the panel layout.
    need
        Monitored waves: a line must exist there (a table's line is NaN elsewhere).

    Returns
    -------
    numpy.ndarray
    """
    if isinstance(rules.line, float):
        return np.full((lay.n_units, lay.n_waves), rules.line)
    if isinstance(rules.line, str):
        return _line_from_variable(panel, rules.line, lay, need)
    table = rules.line_table
    assert table is not None
    if rules.region is None:
        return _line_by_year(table, lay, need)
    return _line_by_region(panel, table, rules.region, lay, need)


def _line_from_variable(panel: xr.Dataset, name: str, lay: Any, need: np.ndarray) -> np.ndarray:
    """A line variable of the panel, positive in every monitored wave."""
    out = numeric(panel_values(panel, name, lay, "line"), name, "line")
    bad = need[None, :] & ~(np.isfinite(out) & (out > 0))
    if bad.any():
        i, t = (int(a[0]) for a in np.nonzero(bad))
        raise DataError(
            f"line variable {name!r} has no positive line for the wave "
            f"{lay.years[t]:g} (unit {lay.units[i]!r}: {out[i, t]!r}); fill it, or start "
            f"monitoring later with start=<first year with a line>"
        )
    return out


def _line_by_year(table: pd.DataFrame, lay: Any, need: np.ndarray) -> np.ndarray:
    """A ``(year, line)`` table's line of every monitored wave (NaN elsewhere)."""
    years = lay.years
    lookup = dict(zip(table["year"], table["line"], strict=True))
    miss = [f"{years[t]:g}" for t in np.flatnonzero(need) if years[t] not in lookup]
    if miss:
        raise DataError(
            f"line table has no line for the wave(s) {miss} (it covers "
            f"{sorted(lookup)}); add those years or set start= later"
        )
    row = np.array([lookup.get(y, np.nan) if need[t] else np.nan for t, y in enumerate(years)])
    return np.broadcast_to(row[None, :], (lay.n_units, lay.n_waves))


def _line_by_region(
    panel: xr.Dataset, table: pd.DataFrame, region: str, lay: Any, need: np.ndarray
) -> np.ndarray:
    """A ``(region, year, line)`` table's line of every unit in every monitored wave."""
    static_column(panel, region, lay, "region")
    reg = pd.Series(panel[region].values)
    if reg.isna().any():
        i = int(np.flatnonzero(reg.isna().to_numpy())[0])
        raise DataError(
            f"region variable {region!r} is missing for {int(reg.isna().sum())} "
            f"unit(s), e.g. unit {lay.units[i]!r}; their line cannot be looked up. "
            "Fill the region or drop those units"
        )
    codes, uniq = pd.factorize(reg, sort=True)
    mat = np.full((len(uniq), lay.n_waves), np.nan)
    wide = table.pivot(index="region", columns="year", values="line")
    missing = []
    for r, lab in enumerate(uniq):
        for t in np.flatnonzero(need):
            y = lay.years[t]
            v = wide.at[lab, y] if lab in wide.index and y in wide.columns else np.nan
            if not np.isfinite(v):
                missing.append((lab, float(y)))
            mat[r, t] = v
    if missing:
        raise DataError(
            f"line table has no line for {len(missing)} (region, year) pair(s) the "
            f"panel needs, e.g. {missing[:4]}; add the rows (region = values of "
            f"{region!r}) or set start= later"
        )
    return mat[codes]
