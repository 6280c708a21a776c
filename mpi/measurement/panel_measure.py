"""Panels in :func:`mpi.measure`: a Dataset with ``unit`` and ``time`` dims measured wave by
wave in one kernel pass, as a flat table of unit-waves whose wave is the last ``by`` variable.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.panel_layout import (
    check_balance,
    check_panel,
    flat_column,
    static_column,
    unit_weights,
)
from mpi.errors import MissingDataWarning, ValidationError
from mpi.measurement.prepare import by_variable_names
from mpi.measurement.spec import Spec

__all__ = ["is_panel", "flatten_panel", "warn_excluded", "measurable_rows", "ROW_DIM"]

#: The dimension of a flattened panel's unit-waves.
ROW_DIM = "_row"


def is_panel(data: Any, spec: Spec, time: Hashable) -> bool:
    """Whether ``data`` is a panel Dataset: indicator variables vary along ``time``."""
    if not isinstance(data, xr.Dataset) or time not in data.dims:
        return False
    return any(v in data.variables and time in data[v].dims for v in spec.variables)


def flatten_panel(
    panel: xr.Dataset,
    spec: Spec,
    *,
    weight: Any,
    by: Any,
    time: Hashable,
    unit: Hashable,
    balance: str,
    missing: str,
) -> tuple[xr.Dataset, list[str], dict]:
    """A panel as a flat table of unit-waves (row ``i * T + t``, views where possible) with
    the wave as the last ``by`` variable; ``balance="balanced"`` keeps the units measurable
    in every wave.

    Returns ``(flat, by, notes)``: the flat Dataset (dim :data:`ROW_DIM`), the ``by`` names with the
    wave last, and the panel's notes (``balance``, ``n_excluded``, ``panel_units``,
    ``panel_waves``). The units excluded by the balance rule are counted in ``n_excluded``,
    not reported: the caller warns once (:func:`warn_excluded`), also for a panel flattened
    block by block of units (the rule is per unit, so the blocks' counts add up)."""
    check_balance(balance)
    layout = check_panel(panel, unit=unit, time=time)
    if weight is not None:  # a bad weight is reported by unit id, as in mpi.transitions
        unit_weights(panel, weight, layout, allow_missing=missing != "raise")
    by_names = by_variable_names(by)
    if str(time) in by_names:
        raise ValidationError(f"by={by!r} names the wave dimension {time!r}; it is added anyway")
    n, T = layout.n_units, layout.n_waves
    flat: dict[Hashable, Any] = {}
    for v in dict.fromkeys(spec.variables):
        flat[v] = (ROW_DIM, flat_column(panel, v, layout, "indicator").to_numpy())
    for v, role in [(weight, "weight")] + [(b, "by") for b in by_names]:
        if v is None:
            continue
        static_column(panel, v, layout, role)
        flat[v] = (ROW_DIM, np.repeat(panel[v].values, T))
    flat[str(time)] = (ROW_DIM, np.tile(np.asarray(layout.times), n))
    notes = {"balance": balance, "n_excluded": 0, "panel_units": n, "panel_waves": T}
    if balance == "balanced" and missing != "raise":
        usable = measurable_rows(flat, spec, missing).reshape(n, T)
        complete = usable.all(axis=1)
        n_excluded = int(n - complete.sum())
        notes["n_excluded"] = n_excluded
        if n_excluded:
            keep = np.repeat(complete, T)
            flat = {k: (ROW_DIM, v[1][keep]) for k, v in flat.items()}
    return xr.Dataset(flat), [*by_names, str(time)], notes


def warn_excluded(n_excluded: int, n_units: int, stacklevel: int) -> None:
    """The :class:`~mpi.MissingDataWarning` for ``n_excluded`` of ``n_units`` panel units
    excluded by ``balance="balanced"`` (nothing when none was)."""
    if not n_excluded:
        return
    warnings.warn(
        f"{n_excluded} of {n_units} panel units excluded: not measurable in every wave "
        f"(balance='balanced'); they are counted in the result's n_excluded attribute. "
        "Use balance='observed' to measure each wave's observed units",
        MissingDataWarning,
        stacklevel=stacklevel + 1,
    )


def measurable_rows(flat: dict, spec: Spec, missing: str) -> np.ndarray:
    """Rows whose AF state is defined: every indicator observed (``drop``), or at least one
    observed indicator in every dimension (``reweight``, the OPHI rule)."""
    n_rows = len(next(iter(flat.values()))[1])
    observed = {}
    for ind in spec:
        x = flat[ind.variable][1]
        observed[ind.name] = ~(np.isnan(x) if x.dtype.kind == "f" else pd.isna(x))
    if missing != "reweight":
        out = np.ones(n_rows, bool)
        for o in observed.values():
            out &= o
        return out
    out = np.ones(n_rows, bool)
    for dim in spec.dimensions:
        any_obs = np.zeros(n_rows, bool)
        for ind in spec:
            if spec.dimension_of(ind) == dim:
                any_obs |= observed[ind.name]
        out &= any_obs
    return out
