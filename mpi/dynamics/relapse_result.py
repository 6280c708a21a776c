"""The result of :func:`mpi.relapse`: life tables, period rates, composition and their
inference (linearised SE of the survival; bootstrap SEs and percentile intervals)."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import text
from mpi._common.result import BOUND, check_level, label_table, normal_interval
from mpi.dynamics.result import DynamicsResult
from mpi.dynamics.states import PanelStates
from mpi.errors import ValidationError

__all__ = ["RelapseResult", "describe", "Replicates"]

#: Replicate measures of the overall result: ``name -> (array [replicate, ...], dims)``.
Replicates = dict[str, tuple[np.ndarray, list[str]]]

_META: dict[str, tuple[str, str]] = {
    "at_risk": ("weighted exit spells at risk of re-entry e waves after the exit", "1"),
    "events": ("weighted re-entries e waves after the exit", "1"),
    "censored": ("weighted exit spells censored after e waves at risk (gap or panel end)", "1"),
    "at_risk_count": ("unweighted exit spells at risk e waves after the exit", "1"),
    "events_count": ("unweighted re-entries e waves after the exit", "1"),
    "censored_count": ("unweighted exit spells censored after e waves at risk", "1"),
    "hazard": ("re-entry hazard lambda(e) = d_e / n_e", "1"),
    "survival": ("Kaplan-Meier survival out of poverty S(e) = prod_{u<=e} (1 - lambda(u))", "1"),
    "survival_se": ("standard error of S(e), linearised over units (Binder 1992)", "1"),
    "cumulative_relapse": ("probability of relapse within e waves of exit F(e) = 1 - S(e)", "1"),
    "years": ("mean years y_{t_x+e} - y_{t_x} of the spells at risk at e", "years"),
    "exits_without_followup": (
        "weighted exits with no observed wave after the exit (no exit spell at risk)",
        "1",
    ),
    "relapse_rate": (
        "period relapse rate RR_t = P(poor_t | ever exited before t, nonpoor_t-1)",
        "1",
    ),
    "first_entry_rate": (
        "first-entry rate FE_t = P(poor_t | never observed poor before t, nonpoor_t-1)",
        "1",
    ),
    "stock_ratio": (
        "stock ratio: poor at t among the units that ever exited by t (observed at t)",
        "1",
    ),
    "exits": ("weighted exits at wave t (poor at t-1, nonpoor at t)", "1"),
    "reentries": ("weighted re-entries at t (ever exited before t, nonpoor t-1, poor t)", "1"),
    "relapse_at_risk": ("weighted units ever exited before t, nonpoor at t-1, observed at t", "1"),
    "first_entries": ("weighted first entries at t (never poor before t, nonpoor t-1)", "1"),
    "first_entry_at_risk": ("weighted units never poor before t, nonpoor t-1, observed t", "1"),
    "ever_exited": ("weighted units that exited at a wave <= t and are observed at t", "1"),
    "reentered": ("weighted units poor at t after an earlier exit", "1"),
    "reentry_newly_deprived_share": (
        "share of re-entries newly deprived in the indicator (g_j,t-1 = 0, g_jt = 1)",
        "1",
    ),
    "reentry_deprived_share": ("share of re-entries deprived in the indicator at re-entry", "1"),
    "mean_score_at_reentry": ("mean deprivation score c_it at re-entry (relapse depth)", "1"),
    "weighted_exits": ("weighted exit events", "1"),
    "weighted_reentries": ("weighted re-entries (all waves)", "1"),
    "n_exits": ("exit events (unweighted)", "1"),
    "n_reentries": ("re-entries (unweighted)", "1"),
    "n_units": ("units used (unweighted)", "1"),
}

_LINEAR_SE = {
    "survival_se": "",
    "survival_by_band_se": " (by band at exit)",
    "survival_years_se": " (in years since exit)",
}


def _meta(name: str) -> tuple[str, str]:
    """(long_name, units) of a result variable, built from its base name and suffixes."""
    if name in _META:
        return _META[name]
    if name in _LINEAR_SE:
        return _META["survival_se"][0] + _LINEAR_SE[name], "1"
    base, extra = name, ""
    for sfx, what in (
        ("_bse", ", bootstrap standard error"),
        ("_se", ", bootstrap standard error"),
        ("_lower", ", bootstrap percentile 95% interval, lower bound"),
        ("_upper", ", bootstrap percentile 95% interval, upper bound"),
    ):
        if base.endswith(sfx):
            base, extra = base[: -len(sfx)], what
            break
    for sfx, what in (("_by_band", " (by band at exit)"), ("_years", " (in years since exit)")):
        if base.endswith(sfx):
            base, extra = base[: -len(sfx)], what + extra
    if base.endswith("_count"):
        base = base[: -len("_count")]
    long_name, units = _META.get(base, (base, "1"))
    if extra.startswith(" (in years"):
        long_name = long_name.replace("e waves", "tau years").replace("(e)", "(tau)")
    return long_name + extra, units


def describe(ds: xr.Dataset) -> xr.Dataset:
    """Set ``long_name`` and ``units`` of every variable of a relapse Dataset (in place)."""
    for name, var in ds.data_vars.items():
        long_name, units = _meta(str(name))
        var.attrs.update({"long_name": long_name, "units": units})
    return ds


class RelapseResult(DynamicsResult):
    """Relapse after exit: life tables of re-entry, period relapse rates, composition.

    :meth:`to_dataset` holds the overall result (all units, whatever their group);
    :meth:`by_group` the same per ``by`` group (leading dims = the ``by`` variables).
    See :func:`relapse` for the variables.
    """

    kind = "Relapse after exit (re-entry into poverty)"
    headline = (
        "hazard",
        "survival",
        "cumulative_relapse",
        "relapse_rate",
        "first_entry_rate",
        "stock_ratio",
        "mean_score_at_reentry",
        "n_exits",
        "n_reentries",
    )

    call = "mpi.relapse"

    def __init__(
        self,
        ds: xr.Dataset,
        states: PanelStates | None = None,
        grouped: Callable[[], xr.Dataset] | None = None,
        replicates: Replicates | None = None,
    ) -> None:
        super().__init__(ds, states, grouped)
        self._replicates = replicates or {}

    # -- inference -----------------------------------------------------------------------
    def _se_name(self, name: str) -> str | None:
        """The stored SE of estimate ``name``: the bootstrap's where the result has one
        (``<name>_bse`` / ``<name>_se``), else the linearised SE of the survival (also the
        SE of the cumulative relapse ``F = 1 - S``)."""
        ds = self._ds
        if name in self._replicates:
            return next((c for c in (f"{name}_bse", f"{name}_se") if c in ds), None)
        linear = name.replace("cumulative_relapse", "survival") + "_se"
        return linear if linear in _LINEAR_SE and linear in ds else None

    def _estimates(self) -> list[str]:
        """Variables that are estimates (not one of their SEs or interval bounds)."""
        suffixes = ("_se", "_bse", "_lower", "_upper")
        return [str(n) for n in self._ds.data_vars if not str(n).endswith(suffixes)]

    def _standard_errors(self) -> xr.Dataset | None:
        ses = {n: self._se_name(n) for n in self._estimates()}
        data = {n: self._ds[s] for n, s in ses.items() if s is not None}
        if not data:
            return None
        out = xr.Dataset(data)
        out.attrs["method"] = (
            "bootstrap standard errors (unit-cluster, ddof 1) of the bootstrapped measures; "
            "linearised SE of the survival elsewhere"
            if self._replicates
            else "linearised standard error of the survival (Binder 1992)"
        )
        return out

    def ci(self, level: float = 0.95) -> xr.Dataset:
        """Confidence intervals at ``level``: bootstrap percentile intervals of the measures
        with replicates (``bootstrap=``), normal (Wald) intervals from the linearised SE of
        the survival otherwise.

        At ``level=0.95`` the percentile bounds equal the stored ``<name>_lower`` /
        ``<name>_upper`` variables.

        Parameters
        ----------
        level
            Confidence level, strictly between 0 and 1.

        Returns
        -------
        xarray.Dataset
            The estimates with an SE, with a leading ``bound`` dim (``lower``, ``upper``).
        """
        level = check_level(level)
        out = normal_interval(self._ds, self.se, level)
        tail = round(50.0 * (1.0 - level), 10)  # percent in each tail (2.5 at 95%)
        with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN replicates
            for name, (x, dims) in self._replicates.items():
                if name in out:
                    bounds = np.nanpercentile(x, [tail, 100.0 - tail], axis=0)
                    order = out[name].dims
                    bounds = xr.DataArray(bounds, dims=[BOUND, *dims]).transpose(*order)
                    out[name] = out[name].copy(data=bounds.values)
                    out[name].attrs["interval"] = "bootstrap percentile"
        if self._replicates:
            out.attrs["interval"] = (
                "bootstrap percentile for the bootstrapped measures; normal (Wald) from the "
                "linearised SE elsewhere"
            )
        return out

    def life_table(self, scale: str = "waves") -> pd.DataFrame:
        """The life table as a DataFrame.

        Parameters
        ----------
        scale : {"waves", "years"}
            ``"waves"`` (index ``time_since_exit``) or ``"years"`` (index
            ``years_since_exit``).

        Returns
        -------
        pandas.DataFrame
            At risk, events, censored, hazard, survival (with its SEs) and cumulative
            relapse per time since exit.
        """
        ds = self._ds
        if scale == "waves":
            cols = ["at_risk", "events", "censored", "hazard", "survival", "survival_se"]
            cols += ["cumulative_relapse"] + [c for c in ("hazard_se", "survival_bse") if c in ds]
        elif scale == "years":
            cols = [
                "at_risk_years",
                "events_years",
                "censored_years",
                "hazard_years",
                "survival_years",
                "survival_years_se",
                "cumulative_relapse_years",
            ]
        else:
            raise ValidationError(f"scale must be 'waves' or 'years'; got {scale!r}")
        return ds[cols].to_dataframe()[cols]

    def period_table(self) -> pd.DataFrame:
        """Exits, period relapse and first-entry rates and the stock ratio by wave.

        Returns
        -------
        pandas.DataFrame
            One row per wave (the later wave of each pair).
        """
        cols = ["exits", "reentries", "relapse_rate", "first_entry_rate", "stock_ratio"]
        return self._ds[cols].to_dataframe()[cols]

    def composition_table(self) -> pd.DataFrame:
        """Shares of re-entries newly deprived / deprived in each indicator.

        Returns
        -------
        pandas.DataFrame
            One row per indicator.

        Raises
        ------
        ValidationError
            For a result measured with ``status=`` (no deprivation scores).
        """
        if "reentry_deprived_share" not in self._ds:
            raise ValidationError(
                "the composition of re-entries needs deprivation scores; it is unavailable "
                "with status= (poverty status from another rule)"
            )
        cols = ["reentry_newly_deprived_share", "reentry_deprived_share"]
        return self._ds[cols].to_dataframe()[cols]

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        ds = self._ds
        names = ["n_exits", "n_reentries", "weighted_exits", "weighted_reentries"]
        if "mean_score_at_reentry" in ds:
            names.append("mean_score_at_reentry")
        head = pd.Series({n: float(ds[n]) for n in names}).to_frame("value")
        parts = [("headline", head), ("life_table_waves", self.life_table("waves"))]
        if not ds.attrs.get("even_spacing", 1):
            parts.append(("life_table_years", self.life_table("years")))
        parts.append(("period_rates", self.period_table()))
        if "reentry_deprived_share" in ds:
            parts.append(("reentry_composition", self.composition_table()))
        return [
            (text(f"result.table.{key}", lang), label_table(table, lang)) for key, table in parts
        ]

    def _repr_values(self) -> str:
        ds = self._ds
        f = ds["cumulative_relapse"].values
        first = f"{f[0]:.4f}" if f.size else "nan"
        return (
            f"n_exits={int(ds['n_exits'])} n_reentries={int(ds['n_reentries'])} "
            f"cumulative_relapse(1)={first}"
        )
