"""The result of :func:`mpi.monitoring`: :class:`MonitoringResult`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import text
from mpi._common.result import label_table
from mpi.dynamics.monitoring.categories import (
    CATEGORY_NAMES,
    REASONS,
    RISK_ELIMINATED,
    SUDDEN_HARDSHIP,
    UNSTABLE_EXITED,
    category_labels,
)
from mpi.dynamics.monitoring.rules import MonitoringRules
from mpi.dynamics.result import DynamicsResult
from mpi.dynamics.states import none_value
from mpi.errors import ValidationError

__all__ = ["MonitoringResult"]

#: Per-group variables of the Dataset and their names in :meth:`MonitoringResult.by_group`.
_GROUP_VARIABLES = {
    "group_count": "count",
    "group_weighted_count": "weighted_count",
    "group_share": "share",
}


class MonitoringResult(DynamicsResult):
    """Monitoring categories per unit-wave, their reasons, counts and transitions.

    ``to_dataset()`` holds ``category`` (unit, time) int8 with CF ``flag_values`` /
    ``flag_meanings``, one boolean per reason (``below_line``, ``near_line``,
    ``deprived``, ``expenditure``, ``disaster_loss``, ``hardship_event``,
    ``income_drop``), ``monitored``, ``identified`` and ``eliminated`` (unit, time),
    ``line`` (unit, time), ``no_labour`` (unit), and along (time, category_name):
    ``count`` (unweighted), ``weighted_count`` and ``share`` (of the weighted units), with
    ``by``: the same as ``group_count`` / ``group_weighted_count`` / ``group_share`` per
    group; along (time, from_category, to_category): ``transition_count`` and
    ``transition_weighted`` between consecutive waves (``time`` = the later wave).

    The tidy unit of :meth:`to_frame` is the household-wave (unit-wave): one row per
    monitored unit-wave with its category and reasons. :meth:`by_group` gives ``count``,
    ``weighted_count`` and ``share`` per group (with ``by``).

    Parameters
    ----------
    ds
        The finished Dataset (made by :func:`mpi.monitoring`).
    rules
        The rules that made it (attribute :attr:`rules`).
    """

    kind = "Relapse-prevention monitoring (防止返贫动态监测)"
    call = "mpi.monitoring"
    headline = ("share",)

    def __init__(self, ds: xr.Dataset, rules: MonitoringRules) -> None:
        has_groups = all(name in ds for name in _GROUP_VARIABLES)
        super().__init__(ds, None, self._group_result if has_groups else None)
        self.rules = rules

    def _group_result(self) -> xr.Dataset:
        """``count``, ``weighted_count`` and ``share`` per group (made on first use)."""
        ds = self._data()
        grouped = xr.Dataset({new: ds[old] for old, new in _GROUP_VARIABLES.items()})
        grouped.attrs = dict(ds.attrs)
        return grouped

    def categories(self, labels: str = "en") -> pd.DataFrame:
        """Wide table (units x waves) of the categories as pandas categoricals.

        Parameters
        ----------
        labels : {"en", "zh"}
            Category labels: the English names or Chinese.

        Returns
        -------
        pandas.DataFrame
            Index: the units; columns: the waves.
        """
        names = category_labels(labels)
        cat = self._data()["category"]
        codes = cat.values.astype(np.int64) + 1
        u, t = cat.dims
        return pd.DataFrame(
            {
                tt: pd.Categorical.from_codes(codes[:, j], categories=list(names))
                for j, tt in enumerate(cat[t].values)
            },
            index=pd.Index(cat[u].values, name=u),
        ).rename_axis(columns=t)

    def to_frame(self, *, labels: str = "en", include_eliminated: bool = True) -> pd.DataFrame:  # type: ignore[override]
        """Long table of the monitored unit-waves with category and reasons as text.

        The tidy unit is the household-wave (unit-wave), not an estimate: one row per
        monitored unit-wave. The estimates (counts and shares per wave and category) are in
        :meth:`to_dataset` and :meth:`by_group`.

        Parameters
        ----------
        labels : {"en", "zh"}
            Language of the categories and reasons.
        include_eliminated : bool
            Keep the ``risk_eliminated`` unit-waves.

        Returns
        -------
        pandas.DataFrame
            Rows: unit-waves whose category is ``unstable_exited``, ``edge`` or
            ``sudden_hardship`` (and ``risk_eliminated`` with ``include_eliminated``).
            Columns: unit, time, ``category``, ``reasons`` (the rules firing that wave,
            joined with "; "; empty when the unit is kept monitored without a rule firing),
            ``identified``, ``eliminated`` and one boolean column per reason.
        """
        names = category_labels(labels)
        ds = self._data()
        cat = ds["category"].values
        u, t = ds["category"].dims
        last = RISK_ELIMINATED if include_eliminated else SUDDEN_HARDSHIP
        ii, tt = np.nonzero((cat >= UNSTABLE_EXITED) & (cat <= last))
        flags = {r: ds[r].values[ii, tt] for r in REASONS}
        return pd.DataFrame(
            {
                u: ds[u].values[ii],
                t: ds[t].values[tt],
                "category": pd.Categorical.from_codes(cat[ii, tt] + 1, categories=list(names)),
                "reasons": _reason_text(flags, labels),
                "identified": ds["identified"].values[ii, tt],
                "eliminated": ds["eliminated"].values[ii, tt],
                **flags,
            }
        )

    def compare(self, other: Any, *, labels: str = "en") -> pd.DataFrame:
        """Cross-table of the computed categories against other labels.

        Parameters
        ----------
        other : xarray.DataArray or array-like
            Labels over (unit, time), e.g. a registry's ``monitoring`` variable.
        labels : {"en", "zh"}
            Labels of the computed categories.

        Returns
        -------
        pandas.DataFrame
            Computed categories (rows) by ``other`` (columns), over the monitored waves
            (from ``start``) and the unit-waves where ``other`` is not missing.
        """
        ds = self._data()
        cat = ds["category"]
        other = (
            other.transpose(*cat.dims).values
            if isinstance(other, xr.DataArray)
            else np.asarray(other)
        )
        if other.shape != cat.shape:
            raise ValidationError(
                f"other has shape {other.shape}; expected {cat.shape} (unit, time)"
            )
        years = cat[cat.dims[1]].values.astype(np.float64)
        start = ds.attrs.get("start", "first wave")
        cols = np.ones(len(years), bool) if start == "first wave" else years >= float(start)
        mine = cat.values[:, cols].reshape(-1)
        theirs = pd.Series(other[:, cols].reshape(-1))
        ok = theirs.notna().to_numpy()
        rows = pd.Categorical.from_codes(mine[ok] + 1, categories=list(category_labels(labels)))
        return pd.crosstab(
            pd.Series(rows, name="computed"), theirs[ok].rename("other").to_numpy(), dropna=False
        ).rename_axis(columns="other")

    # -- ResultBase hooks -----------------------------------------------------------------
    def _header(self, lang: str) -> list[tuple[str, str]]:
        a = self._data().attrs

        def label(key: str) -> str:
            return text(f"result.header.{key}", lang)

        return [
            (label("waves"), str(a.get("waves", ""))),
            (label("monitoring_from"), str(a.get("start"))),
            (label("spec"), none_value(a.get("spec"), lang)),
            (label("panel_weight"), none_value(a.get("weight", "none"), lang)),
            (label("groups"), none_value(a.get("by", "none"), lang)),
            (label("units_in_panel"), f"{a.get('n_units', 0):,}"),
            (label("units_used"), f"{a.get('n_used', 0):,}"),
            (label("units_dropped"), f"{a.get('n_dropped', 0):,}"),
        ]

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        return [
            (text(f"result.table.monitoring_{name}", lang), self._category_table(name, lang))
            for name in ("share", "count")
        ]

    def _category_table(self, name: str, lang: str) -> pd.DataFrame:
        """``share`` or ``count`` by wave (rows) and category (columns, named in ``lang``)."""
        table = label_table(self._data()[name].to_pandas(), lang)
        if lang != "en":
            names = dict(zip(CATEGORY_NAMES, category_labels(lang), strict=True))
            table.columns = pd.Index(
                [names.get(c, c) for c in table.columns], name=table.columns.name
            )
        return table

    def _frame_variables(self) -> list[str]:
        """The estimates: counts and weighted shares per wave and category."""
        return ["count", "weighted_count", "share"]

    def __repr__(self) -> str:
        ds = self._data()
        a = ds.attrs
        last = ds["share"].isel(time=-1)
        mon = float(last.sel(category_name=list(CATEGORY_NAMES[2:5])).sum())
        return (
            f"<mpi.MonitoringResult units={a.get('n_units', 0):,} waves={a.get('n_waves')} "
            f"start={a.get('start')} monitored_last_wave={mon:.4f}>"
        )


def _reason_text(flags: dict[str, np.ndarray], labels: str) -> np.ndarray:
    """The reasons firing in each row, joined ("; " in English, "；" in Chinese)."""
    lang = 0 if labels == "en" else 1
    sep = "; " if labels == "en" else "；"
    text = np.full(len(next(iter(flags.values()))), "", dtype=object)
    for r, descriptions in REASONS.items():
        label = descriptions[lang]
        f = flags[r]
        text[f] = np.where(text[f] == "", label, text[f] + sep + label)
    return text
