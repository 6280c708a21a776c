"""Helpers shared by :func:`mpi.chronic` and :func:`mpi.duration_adjusted`: the duration
cutoff, the balance policy's unit counts, the variables' metadata and the base of their
results (grouped variables ``<name>_by_group`` next to the overall ones)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.exact import to_fraction
from mpi._common.labels import text
from mpi._common.result import label_table
from mpi.dynamics.result import DynamicsResult
from mpi.errors import DataError, SpecError, ValidationError

__all__ = [
    "META",
    "GroupedResult",
    "add_group_variables",
    "annotate",
    "duration_cutoff",
    "min_observed_waves",
    "require_units",
    "split_groups",
    "unit_counts",
]

# long_name, units of every variable (grouped "<name>_by_group" variables reuse them)
META: dict[str, tuple[str, str]] = {
    "M0": ("chronic adjusted headcount ratio M^C", "1"),
    "H": ("chronic headcount ratio H^C (share of units chronically poor)", "1"),
    "D": ("average duration D^C: share of waves poor among the chronically poor", "1"),
    "A": ("average intensity A^C over the poor waves of the chronically poor", "1"),
    "M0_transient": ("transient adjusted headcount ratio M^T", "1"),
    "H_transient": ("transient headcount ratio H^T (poor in some wave, not chronically)", "1"),
    "D_transient": ("average duration D^T among the transient poor", "1"),
    "A_transient": ("average intensity A^T over the poor waves of the transient poor", "1"),
    "censored_headcount": ("chronic censored headcount ratio h_j^C", "1"),
    "censored_headcount_transient": ("transient censored headcount ratio h_j^T", "1"),
    "contribution": ("percentage contribution of the indicator w_j h_j^C / M^C", "1"),
    "duration_of_deprivation": (
        "average duration of deprivation D_j^C = h_j^C / H^C among the chronically poor",
        "1",
    ),
    "share_by_periods_poor": ("share n_s of units poor in exactly s waves", "1"),
    "duration_by_periods_poor": ("duration of the units poor in s waves (s/T)", "1"),
    "intensity_by_periods_poor": ("intensity A_s over the poor waves of those units", "1"),
    "chronic_by_periods_poor": ("share of the units poor in s waves that are chronic", "1"),
    "contribution_by_periods_poor": ("contribution of those units to M^C", "1"),
    "M0_period": ("chronic adjusted headcount of the wave M^C_t", "1"),
    "M0_cross_section": ("adjusted headcount ratio M0_t of the wave (units used)", "1"),
    "H_cross_section": ("headcount ratio H_t of the wave (units used)", "1"),
    "uncensored_headcount": ("share of units chronically deprived in the indicator", "1"),
    "population_share": ("population share v_g of the group", "1"),
    "group_contribution": ("contribution of the group v_g M_g / M", "1"),
    "n_used": ("units used", "1"),
    "K": ("duration-adjusted FGT measure K_alpha", "1"),
    "G": ("average of gap^alpha over the poor waves of the chronically poor G_alpha", "1"),
    "FGT_cross_section": ("FGT measure P_alpha of the wave (units used)", "1"),
}


def duration_cutoff(value: Any, argument: str = "tau") -> Fraction:
    if value is None:
        raise ValidationError(
            f"{argument} is required: the duration cutoff, a share of waves in (0, 1], e.g. "
            "tau='1/2' (poor in at least half of the waves)"
        )
    try:
        frac = to_fraction(value, argument=argument)
    except SpecError as exc:
        raise ValidationError(str(exc)) from None
    if not 0 < frac <= 1:
        raise ValidationError(
            f"{argument} must be a share of waves in (0, 1]; got {value!r}. Use 1/T for "
            "'ever poor' (union) and 1 for 'always poor' (intersection)"
        )
    return frac


def min_observed_waves(balance: str, min_waves: Any, n_waves: int) -> int:
    if balance == "balanced":
        if min_waves is not None:
            raise ValidationError(
                f"min_waves={min_waves!r} applies to balance='observed' only; under "
                "balance='balanced' every unit used is observed in all waves. Drop min_waves "
                "or pass balance='observed'"
            )
        return n_waves
    mw = 2 if min_waves is None else min_waves
    if isinstance(mw, bool) or not isinstance(mw, int | np.integer) or mw < 1:
        raise ValidationError(
            f"min_waves must be a positive integer (the fewest observed waves a unit needs); "
            f"got {min_waves!r}"
        )
    if mw > n_waves:
        raise ValidationError(
            f"min_waves={mw} exceeds the {n_waves} waves of the panel; use at most {n_waves}"
        )
    return int(mw)


def split_groups(groups: Any, arr: np.ndarray, dims: Sequence[str]) -> xr.DataArray:
    """Cells as the first axis -> one dim per ``by`` variable (as PanelStates.split_cells)."""
    shaped = arr.reshape(groups.ext_shape + arr.shape[1:])
    known = shaped[tuple(slice(0, n) for n in groups.shape)]
    coords = {b: np.asarray(lab) for b, lab in zip(groups.names, groups.labels, strict=True)}
    return xr.DataArray(known, dims=[*groups.names, *dims], coords=coords)


def annotate(ds: xr.Dataset, extra: Mapping[str, str] | None = None) -> xr.Dataset:
    for name in ds.data_vars:
        base = str(name).removesuffix("_by_group")
        long_name, units = META.get(base, (base, "1"))
        if str(name).endswith("_by_group"):
            long_name += ", by group"
        ds[name].attrs.update({"long_name": long_name, "units": units})
        if extra and base in extra:
            ds[name].attrs["comment"] = extra[base]
    return ds


def unit_counts(count: np.ndarray) -> dict[str, int]:
    used, drop_w, drop_wt = (int(count[:, j].sum()) for j in range(3))
    return {
        "n_used": used,
        "n_dropped": drop_w + drop_wt,
        "n_dropped_waves": drop_w,
        "n_dropped_weight": drop_wt,
    }


def require_units(sw: float, counts: dict[str, int], balance: str) -> None:
    if counts["n_used"] == 0 or not sw > 0:
        if counts["n_used"] and not sw > 0:  # units left, but their weights sum to zero
            fix = "the weights of the units used sum to zero; check the weight variable"
        elif counts["n_dropped_weight"] and not counts["n_dropped_waves"]:
            fix = "every unit lacks a weight (NaN); fill the weight variable or pass another"
        elif balance == "balanced":
            fix = (
                "no unit is observed in every wave; pass balance='observed' to use each "
                "unit's observed waves"
            )
        else:
            fix = "lower min_waves or fill the gaps"
        raise DataError(
            f"no units to measure under balance={balance!r} ({counts['n_used']} used, total "
            f"weight {sw:g}; {counts['n_dropped_waves']} dropped for too few observed "
            f"waves, {counts['n_dropped_weight']} for a missing weight): {fix}"
        )


def add_group_variables(ds: xr.Dataset, over: dict[str, np.ndarray], split: Any) -> None:
    """Grouped variables ``<name>_by_group`` from per-cell arrays (cells first)."""
    new = {}
    for name, (arr, dims) in over.items():
        target = name if name in ("population_share", "group_contribution") else f"{name}_by_group"
        new[target] = split(arr, dims)
    ds.update(new)  # one merge (assigning one by one re-aligns the Dataset each time)


class GroupedResult(DynamicsResult):
    """Base of the chronic-poverty results, whose Dataset holds the grouped variables
    (``<name>_by_group``, ``population_share``, ``group_contribution``) next to the overall
    ones; :meth:`by_group` gives them with the suffix removed."""

    def _grouped(self) -> xr.Dataset | None:
        names = [
            n
            for n in self._ds.data_vars
            if str(n).endswith("_by_group") or n in ("population_share", "group_contribution")
        ]
        if not names:  # no by=
            return None
        ds = self._ds[names]
        return ds.rename(
            {
                n: str(n).removesuffix("_by_group")
                for n in names
                if n != str(n).removesuffix("_by_group")
            }
        )

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        out = super()._tables(lang)
        ds = self._ds
        ind = [
            n
            for n in (
                "censored_headcount",
                "contribution",
                "duration_of_deprivation",
                "uncensored_headcount",
            )
            if n in ds
        ]
        if ind:
            table = label_table(ds[ind].to_dataframe()[ind], lang)
            out.append((text("result.table.by_indicator", lang), table))
        dur = [n for n in ds.data_vars if str(n).endswith("_by_periods_poor")]
        if dur:
            table = label_table(ds[dur].to_dataframe()[dur], lang)
            out.append((text("result.table.by_periods_poor", lang), table))
        grp = [
            n
            for n in (
                "population_share",
                "M0_by_group",
                "H_by_group",
                "group_contribution",
                "K_by_group",
            )
            if n in ds
        ]
        if grp:
            frame = ds[grp].to_dataframe()
            table = frame[grp] if "alpha" not in frame.index.names else frame[grp].unstack("alpha")
            out.append((text("result.table.by_group", lang), label_table(table, lang)))
        return out
