"""The report's section of a change over time (:func:`mpi.change`): the changes with their
standard errors, intervals and p-values, the decomposition of the change in M0, the
``mpitb``-style results frame, and a chart."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import xarray as xr

from mpi._common.labels import text
from mpi.measurement.change import ChangeResult
from mpi.plot import changes
from mpi.reporting.brief import change_ranking
from mpi.reporting.charts import draw
from mpi.reporting.document import Section, Table
from mpi.reporting.frames import shared_results_frame
from mpi.reporting.shared import TABLE_MEASURES, pair_table, row_title
from mpi.reporting.suppression import Suppression

__all__ = ["change_section"]


def _decomposition_table(change: ChangeResult, k: Any, key: str, lang: str) -> Table:
    dec = change.decomposition()
    if "k" in dec.dims:
        dec = dec.sel(k=float(k))
    names = ("delta_M0", "H_part", "A_part")
    data, formats = {}, {}
    for n in names:
        label = text(f"report.col.{n}", lang)
        data[label] = dec[n].reset_coords(drop=True)
        data[text("report.col.joined", lang, measure=label, stat=text("common.se", lang))] = dec[
            f"{n}_se"
        ].reset_coords(drop=True)
    frame = xr.Dataset(data).to_dataframe().reset_index()
    for c in frame.columns:
        formats[c] = "se" if c.endswith(text("common.se", lang)) else "decimal"
    rename = {
        d: text("table.period", lang)
        if d == "period"
        else text("report.col.group_variable", lang, name=d)
        for d in frame.columns
        if d not in data
    }
    frame = frame.rename(columns=rename)
    for col in rename.values():
        frame[col] = frame[col].astype(str)
        formats[col] = "text"
    return Table(
        key,
        text("report.table.decomposition", lang),
        frame,
        formats,
        notes=[text("report.table.decomposition_note", lang)],
        sheet=text("report.sheet.decomposition", lang),
    )


def change_section(
    name: str,
    change: ChangeResult,
    key: str,
    *,
    k: Fraction | None,
    level: float,
    lang: str,
    suppression: Suppression | None,
) -> Section:
    """The section of a change over time (:func:`mpi.change`).

    Parameters
    ----------
    name
        The section's title.
    change
        The result.
    key
        File-safe prefix of its tables and charts.
    k
        The cutoff to show when the change has several (None: the first).
    level
        Confidence level.
    lang
        The report's language.
    suppression
        The small-cell rule (stated; it applies to the rounds' estimates, not to changes).

    Returns
    -------
    Section
    """
    ds = change.to_dataset()
    if "k" in ds.dims:
        k = (
            k
            if k is not None and float(k) in ds["k"].values
            else Fraction(float(ds["k"].values[0])).limit_denominator(10**6)
        )
    periods = change.periods
    facts = [
        (
            text("report.fact.rounds", lang, over=change.over),
            ", ".join(f"{a} → {b}" for a, b in zip(periods["start"], periods["end"], strict=True)),
        ),
        (text("report.design.df", lang), f"{change.df:,}"),
    ]
    section = Section(key, name, facts=facts)
    measures = [m for m in TABLE_MEASURES if m in ds]
    kw: dict[str, Any] = dict(measures=measures, level=level, suppression=suppression)
    if "k" in ds.dims:
        kw["k"] = k
    section.tables.append(
        pair_table(
            change,
            key=f"{key}_changes",
            title=row_title(text("table.title.change", lang), tuple(change.by) or None, lang),
            sheet=text("report.sheet.changes", lang),
            lang=lang,
            **kw,
        )
    )
    section.tables.append(_decomposition_table(change, k, f"{key}_decomposition", lang))
    section.tables.append(
        Table(
            f"{key}_results_frame",
            text("report.table.results_frame", lang),
            shared_results_frame(change, level),
            {
                "b": "decimal",
                "se": "se",
                "ll": "decimal",
                "ul": "decimal",
                "pval": "decimal",
                "yt0": "decimal",
                "yt1": "decimal",
            },
            notes=[text("report.table.results_frame_note", lang)],
            sheet=text("report.sheet.results_frame_change", lang),
            in_page=False,
        )
    )
    groups = [d for d in ds["M0"].dims if d not in ("period", "change", "k")]
    title = text("report.chart.changes", lang)
    if not groups:
        pick = {"group": {"k": float(k)}} if "k" in ds.dims else {}
        section.charts.append(
            draw(
                f"{key}_changes",
                title,
                changes,
                change,
                lang=lang,
                kind="absolute",
                level=level,
                measures=measures,
                **pick,
            )
        )
    else:
        section.charts += change_ranking(change, k, level, lang, key)[1]
    return section
