"""The result of :func:`mpi.jobs.what_if`: :class:`JobsWhatIf` (income deprivation and
poverty before and after the job matches), with the CF-style metadata of its variables."""

from __future__ import annotations

import pandas as pd
import xarray as xr

from mpi._common.labels import has_text, spec_text, text
from mpi._common.result import ResultBase

__all__ = ["JobsWhatIf", "VARIABLES", "COUNTS", "VARIABLE_ATTRS", "REFERENCES"]

#: Variables of :class:`JobsWhatIf`, per group and overall, in order.
VARIABLES = (
    "households",
    "households_measured",
    "workers_matched",
    "households_with_match",
    "income_added",
    "income_deprived_before",
    "income_deprived_after",
    "H_before",
    "H_after",
    "M0_before",
    "M0_after",
    "M0_change",
)

#: The counts among :data:`VARIABLES` (the first table of the summary).
COUNTS = VARIABLES[:5]

#: CF-style metadata of the variables.
VARIABLE_ATTRS: dict[str, dict[str, str]] = {
    "households": {
        "long_name": "Households",
        "description": "Number of households (rows of households), measured or not.",
        "units": "1",
    },
    "households_measured": {
        "long_name": "Households measured",
        "description": "Households that entered the poverty measures (not dropped for "
        "missing values).",
        "units": "1",
    },
    "workers_matched": {
        "long_name": "Workers matched",
        "description": "Matched workers linked to the households.",
        "units": "1",
    },
    "households_with_match": {
        "long_name": "Households with a match",
        "description": "Households with at least one matched worker.",
        "units": "1",
    },
    "income_added": {
        "long_name": "Household income added",
        "description": "Sum over the households of take_up * months * (sum of the monthly "
        "wages of the household's matched workers): yuan a year.",
        "units": "yuan a-1",
    },
    "income_deprived_before": {
        "long_name": "Share deprived in the income indicator, before",
        "description": "Weighted share of the measured households deprived in the income "
        "indicator (its uncensored headcount) before the matches.",
        "units": "1",
    },
    "income_deprived_after": {
        "long_name": "Share deprived in the income indicator, after",
        "description": "As income_deprived_before, with the wages of the matches added.",
        "units": "1",
    },
    "H_before": {
        "long_name": "Multidimensional headcount ratio (H), before",
        "description": "Weighted share poor (deprivation score c_i >= k) before the matches.",
        "units": "1",
    },
    "H_after": {
        "long_name": "Multidimensional headcount ratio (H), after",
        "description": "Weighted share poor after the matches.",
        "units": "1",
    },
    "M0_before": {
        "long_name": "Adjusted headcount ratio (M0), before",
        "description": "Weighted mean censored deprivation score before the matches.",
        "units": "1",
    },
    "M0_after": {
        "long_name": "Adjusted headcount ratio (M0), after",
        "description": "Weighted mean censored deprivation score after the matches.",
        "units": "1",
    },
    "M0_change": {
        "long_name": "Change in M0",
        "description": "M0_after - M0_before (never positive: income only rises).",
        "units": "1",
    },
}

REFERENCES = (
    "Alkire, S. and Foster, J. (2011). Counting and multidimensional poverty measurement. "
    "Journal of Public Economics 95(7-8), 476-487."
)


# -- the result --------------------------------------------------------------------------------
class JobsWhatIf(ResultBase):
    """Income deprivation and poverty before and after the job matches (:func:`what_if`).

    :meth:`to_dataset` holds the variables of :data:`VARIABLES` along the group dimension
    (named after ``by``) and, as scalars prefixed ``overall_``, for all households; without
    ``by`` only the overall values, unprefixed. :attr:`overall` gives the overall values
    under their own names in both cases, and :meth:`table` the overall row and the groups'
    rows as one table. The attributes give the call's choices (spec,
    income indicator and line, ``take_up``, ``months``) and the counts: ``n_households``,
    ``n_households_measured``, ``n_dropped`` (dropped for missing values),
    ``n_missing_group``, ``n_workers``, ``n_workers_matched``, ``n_workers_unlinked``
    (household id -1 or missing), ``n_workers_unknown_household`` (an id not among the
    households), ``n_matched_left_out`` (matched workers of these two kinds),
    ``n_matched_linked`` and ``n_matched_unmeasured`` (matched workers of households dropped
    for missing values).

    Parameters
    ----------
    overall
        The overall variables (scalars).
    grouped
        The variables by group, or None without ``by``.
    attrs
        The attributes of the call.
    """

    title = "Job matches what-if"
    call = "mpi.jobs.what_if"

    def __init__(self, overall: xr.Dataset, grouped: xr.Dataset | None, attrs: dict) -> None:
        self._overall = overall
        self._grouped_ds = grouped
        if grouped is None:
            ds = overall.copy()
        else:
            ds = grouped.copy()
            for name in VARIABLES:
                ds[f"overall_{name}"] = overall[name]
                ds[f"overall_{name}"].attrs = {
                    **VARIABLE_ATTRS[name],
                    "long_name": f"{VARIABLE_ATTRS[name]['long_name']}, all households",
                }
        ds.attrs = dict(attrs)
        self._ds = ds

    # -- properties ------------------------------------------------------------------------
    @property
    def overall(self) -> xr.Dataset:
        """The variables for all households (scalars; a copy).

        Returns
        -------
        xarray.Dataset
        """
        out = self._overall.copy(deep=True)
        out.attrs = dict(self._ds.attrs)
        return out

    @property
    def by(self) -> str | None:
        """The group variable, or None.

        Returns
        -------
        str or None
        """
        return self._ds.attrs["by"] or None

    def table(self, lang: str = "en") -> pd.DataFrame:
        """The what-if as a table: the overall row first, then one row per group.

        Parameters
        ----------
        lang
            ``"en"`` or ``"zh"``: the overall row's label (the columns keep the variable
            names).

        Returns
        -------
        pandas.DataFrame
            Columns :data:`VARIABLES`; indexed by the group (named after ``by``, or
            ``"group"``), the overall row labelled "Overall" (总体).
        """
        label = text("common.overall", lang)
        row = pd.DataFrame({n: [self._overall[n].item()] for n in VARIABLES}, index=[label])
        if self._grouped_ds is None:
            row.index.name = "group"
            return row
        body = self._grouped_ds[list(VARIABLES)].to_dataframe()[list(VARIABLES)]
        out = pd.concat([row, body])
        out.index = pd.Index(list(out.index), name=self.by, dtype=object)
        return out

    # -- ResultBase hooks ------------------------------------------------------------------
    def _data(self) -> xr.Dataset:
        return self._ds

    def _grouped(self) -> xr.Dataset | None:
        if self._grouped_ds is None:
            return None
        out = self._grouped_ds.copy()
        out.attrs = dict(self._ds.attrs)
        return out

    def _title(self, lang: str) -> str:
        return text("jobs.whatif.title", lang)

    def _header(self, lang: str) -> list[tuple[str, str]]:
        a = self._ds.attrs
        none = text("jobs.whatif.header.none", lang)
        group = _group_label(a["by"], lang) if a["by"] else none
        return [
            (
                text("jobs.whatif.header.spec", lang),
                spec_text(a["spec"], a["spec_indicators"], a["spec_dimensions"], lang),
            ),
            (
                text("jobs.whatif.header.income", lang),
                text(
                    "jobs.whatif.header.income_value",
                    lang,
                    name=a["income_indicator"],
                    variable=a["income_variable"],
                    line=a["income_line"],
                ),
            ),  # fmt: skip
            (text("jobs.whatif.header.take_up", lang), f"{a['take_up']:.0%}"),
            (text("jobs.whatif.header.months", lang), f"{a['months']:g}"),
            (
                text("jobs.whatif.header.households", lang),
                f"{a['n_households']:,} ({a['n_households_measured']:,})",
            ),
            (
                text("jobs.whatif.header.workers", lang),
                f"{a['n_workers']:,} ({a['n_workers_matched']:,})",
            ),
            (text("jobs.whatif.header.left_out", lang), f"{a['n_matched_left_out']:,}"),
            (text("jobs.whatif.header.groups", lang), group),
            (text("jobs.whatif.header.weight", lang), a["weight"] or none),
        ]

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        table = self.table(lang)
        table.columns = [text(f"jobs.whatif.column.{c}", lang) for c in table.columns]
        name = table.index.name
        table.index.name = _group_label(name, lang) if self.by else text("common.group", lang)
        n = len(COUNTS)
        return [
            (text("jobs.whatif.table.counts", lang), table.iloc[:, :n]),
            (text("jobs.whatif.table.effects", lang), table.iloc[:, n:]),
        ]

    def _notes(self, lang: str) -> list[str]:
        a = self._ds.attrs
        notes = [
            text("jobs.whatif.note.formula", lang, income=a["income_variable"],
                 take_up=f"{a['take_up']:g}", months=f"{a['months']:g}", size=a["size"])
        ]  # fmt: skip
        left = a["n_workers_unlinked"] + a["n_workers_unknown_household"]
        if left:
            notes.append(
                text("jobs.whatif.note.left_out", lang, unlinked=a["n_workers_unlinked"],
                     unknown=a["n_workers_unknown_household"], matched=a["n_matched_left_out"])
            )  # fmt: skip
        if a["n_matched_unmeasured"]:
            notes.append(
                text("jobs.whatif.note.unmeasured", lang, n=a["n_matched_unmeasured"],
                     dropped=a["n_dropped"])
            )  # fmt: skip
        if a["n_missing_group"]:
            notes.append(
                text("jobs.whatif.note.missing_group", lang, n=a["n_missing_group"],
                     by=_group_label(a["by"], lang))
            )  # fmt: skip
        return notes

    def __repr__(self) -> str:
        a = self._ds.attrs
        o = self._overall
        return (
            f"<JobsWhatIf: {a['n_matched_linked']:,} matched workers in "
            f"{int(o['households_with_match']):,} households; M0 "
            f"{float(o['M0_before']):.4f} -> {float(o['M0_after']):.4f} "
            f"(take_up={a['take_up']:g}, months={a['months']:g})>"
        )


def _group_label(by: str, lang: str) -> str:
    """A group variable's name in ``lang`` (the catalogue's for village, county, township)."""
    key = f"jobs.whatif.group.{by}"
    return text(key, lang) if has_text(key) else by
