"""The policy-brief page that opens a report: headline numbers, the ranking of groups with
confidence intervals, the indicators' contributions and the change over time, each with one
sentence in the report's language.

It reads the first :class:`~mpi.MeasureResult` and the first :class:`~mpi.ChangeResult` of
the report. When the measured result holds several survey rounds (the rounds of the
change) or the waves of a panel, the brief shows the latest one (:mod:`mpi.reporting.views`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from mpi._common.exact import fraction_text
from mpi._common.labels import measure_label, text
from mpi.measurement.change import ChangeResult
from mpi.plot import changes as changes_chart
from mpi.reporting.charts import brief_chart, draw, ranking, shares
from mpi.reporting.document import Card, Section
from mpi.reporting.formatting import interval_text, kind_of, number_text
from mpi.reporting.views import View, headline_view, select_k

if TYPE_CHECKING:
    from mpi.measurement.result import MeasureResult

__all__ = ["brief_section", "change_ranking", "HEADLINE"]

#: The headline measures of the brief, in order.
HEADLINE = ("H", "A", "M0")


def _value(ds: xr.Dataset | None, name: str, bound: str | None = None) -> float:
    if ds is None or name not in ds:
        return float("nan")
    da = ds[name]
    if bound is not None:
        da = da.sel(bound=bound)
    return float(da.values) if da.ndim == 0 else float("nan")


def _where(view: View, lang: str, sentence: bool = False) -> str:
    """Which slice the brief shows: for a chart title, or to open a sentence."""
    if view.over is None:
        return text("report.brief.in_all" if sentence else "report.brief.where_all", lang)
    key = "report.brief.in_at" if sentence else "report.brief.where_at"
    name = text("common.wave", lang) if view.over == view.result.time else view.over
    return text(key, lang, name=name, value=view.at)


def _cards(view: View, level: float, lang: str) -> list[Card]:
    out = []
    for name in HEADLINE:
        value = _value(view.overall, name)
        kind = kind_of(name)
        detail = interval_text(
            _value(view.overall_ci, name, "lower"),
            _value(view.overall_ci, name, "upper"),
            kind,
            level,
            lang,
        )
        out.append(Card(measure_label(name, lang), number_text(value, kind, lang), detail, value))
    n = _value(view.overall, "n_obs")
    out.append(Card(measure_label("n_obs", lang), number_text(n, "integer", lang), "", n))
    return out


def _headline_sentence(view: View, lang: str) -> str:
    ov = view.overall
    return text(
        "report.brief.headline",
        lang,
        where=_where(view, lang, sentence=True),
        H=number_text(_value(ov, "H"), "percent", lang),
        A=number_text(_value(ov, "A"), "percent", lang),
        M0=number_text(_value(ov, "M0"), "decimal", lang),
        k=fraction_text(view.k),
        n=number_text(_value(ov, "n_obs"), "integer", lang),
    )


def _ranking(view: View, level: float, lang: str, key: str) -> tuple[list[str], list]:
    """The sentence and the chart of the groups ranked by M0."""
    ds, ci = view.groups, view.groups_ci
    if ds is None or view.group is None or "M0" not in ds or ds["M0"].ndim != 1:
        return [], []
    labels = [str(v) for v in ds[view.group].values]
    m0 = ds["M0"].values.astype(float)
    if not np.isfinite(m0).any():
        return [], []
    lo = ci["M0"].sel(bound="lower").values if ci is not None else None
    hi = ci["M0"].sel(bound="upper").values if ci is not None else None
    top, bottom = int(np.nanargmax(m0)), int(np.nanargmin(m0))
    sentence = text(
        "report.brief.ranking",
        lang,
        group=view.group,
        top=labels[top],
        top_value=number_text(m0[top], "decimal", lang),
        bottom=labels[bottom],
        bottom_value=number_text(m0[bottom], "decimal", lang),
    )
    title = text(
        "report.brief.ranking_title",
        lang,
        measure=measure_label("M0", lang),
        group=view.group,
        where=_where(view, lang),
    )
    xlabel = measure_label("M0", lang)
    if ci is not None:
        xlabel = text(
            "report.axis_ci", lang, label=xlabel, ci=text("common.ci", lang, level=100 * level)
        )
    ax = ranking(
        labels,
        m0,
        lo,
        hi,
        reference=_value(view.overall, "M0"),
        reference_label=text("common.overall", lang),
        xlabel=xlabel,
        title=title,
        percent=False,
    )
    return [sentence], [brief_chart(f"{key}_ranking", title, ax)]


def _contributions(view: View, lang: str, key: str) -> tuple[list[str], list]:
    ov = view.overall
    if "contribution" not in ov or ov["contribution"].dims != ("indicator",):
        return [], []
    share = ov["contribution"].values.astype(float)
    if not np.isfinite(share).any():
        return [], []
    labels = [str(v) for v in ov["indicator_label"].values]
    order = np.argsort(-np.nan_to_num(share), kind="stable")[:3]
    parts = [
        text(
            "report.brief.item", lang, name=labels[i], value=number_text(share[i], "percent", lang)
        )
        for i in order
    ]
    sentence = text(
        "report.brief.contributions", lang, items=text("report.list_sep", lang).join(parts)
    )
    title = text("report.brief.contributions_title", lang, where=_where(view, lang))
    ax = shares(labels, share, xlabel=measure_label("contribution", lang), title=title)
    return [sentence], [brief_chart(f"{key}_contributions", title, ax)]


def _at_k(ds: xr.Dataset, k: Any) -> xr.Dataset:
    """``ds`` at cutoff ``k`` (the first when None) when it has a ``k`` dimension."""
    if "k" not in ds.dims:
        return ds
    return select_k(ds, k) if k is not None and float(k) in ds["k"].values else ds.isel(k=0)


def _change_cards(est: xr.Dataset, ci: xr.Dataset, level: float, lang: str) -> list[Card]:
    cards = []
    for name, kind, form, key in (
        ("M0", "absolute", "signed", "absolute"),
        ("H", "absolute", "points", "points"),
        ("M0", "annualized_relative", "relative", "annual"),
    ):
        if name not in est:
            continue
        v = float(est[name].sel(change=kind))
        lo = float(ci[name].sel(change=kind, bound="lower"))
        hi = float(ci[name].sel(change=kind, bound="upper"))
        label = text(f"report.change.{key}", lang, measure=measure_label(name, lang, short=True))
        cards.append(
            Card(label, number_text(v, form, lang), interval_text(lo, hi, form, level, lang), v)
        )
    return cards


def _change_part(
    change: ChangeResult, k: Any, level: float, lang: str, key: str
) -> tuple[list[Card], list[str], list]:
    """Cards, sentences and chart of the change over the last period."""
    est = _at_k(change.to_dataset(), k).isel(period=-1)
    ci = _at_k(change.ci(level), k).isel(period=-1)
    period = str(est["period"].values)
    groups = [d for d in est["M0"].dims if d != "change"] if "M0" in est else []
    if groups or "M0" not in est:
        return [], *change_ranking(change, k, level, lang, key)
    v = float(est["M0"].sel(change="absolute"))
    lo = float(ci["M0"].sel(change="absolute", bound="lower"))
    hi = float(ci["M0"].sel(change="absolute", bound="upper"))
    verdict = "down" if hi < 0 else "up" if lo > 0 else "flat"
    sentence = text(
        f"report.brief.change_{verdict}",
        lang,
        start=est["start"].values,
        end=est["end"].values,
        delta=number_text(v, "signed", lang),
        ci=interval_text(lo, hi, "signed", level, lang),
        level=100 * level,
    )
    title = text("report.brief.change_title", lang, period=period)
    measures = [m for m in ("M0", "H", "A") if m in est]
    pick = {"group": {"k": float(est["k"])}} if "k" in change.to_dataset().dims else {}
    chart = draw(
        f"{key}_change",
        title,
        changes_chart,
        change,
        lang=lang,
        kind="absolute",
        level=level,
        measures=measures,
        title=title,
        **pick,
    )
    return _change_cards(est, ci, level, lang), [sentence], [chart]


def change_ranking(
    change: ChangeResult, k: Any, level: float, lang: str, key: str
) -> tuple[list[str], list]:
    """The change of M0 by group over the last period, ranked with its intervals.

    Parameters
    ----------
    change
        A change over time by one grouping variable.
    k
        The cutoff when the change has several (None: the first).
    level
        Confidence level.
    lang
        The report's language.
    key
        File-safe prefix of the chart.

    Returns
    -------
    tuple
        The sentence (how many groups saw a significant fall) and the chart, as lists (empty
        when the change is not by exactly one grouping variable).
    """
    est = _at_k(change.to_dataset(), k).isel(period=-1)
    ci = _at_k(change.ci(level), k).isel(period=-1)
    groups = [d for d in est["M0"].dims if d != "change"] if "M0" in est else []
    if len(groups) != 1:
        return [], []
    group = groups[0]
    period = str(est["period"].values)
    v = est["M0"].sel(change="absolute").values.astype(float)
    lo = ci["M0"].sel(change="absolute", bound="lower").values.astype(float)
    hi = ci["M0"].sel(change="absolute", bound="upper").values.astype(float)
    labels = [str(x) for x in est[group].values]
    up = int(np.sum(lo > 0))
    sentence = text(
        "report.brief.change_groups_both" if up else "report.brief.change_groups",
        lang,
        period=period,
        group=group,
        down=int(np.sum(hi < 0)),
        up=up,
        total=len(labels),
        level=100 * level,
    )
    measure = measure_label("M0", lang, short=True)
    title = text(
        "report.brief.change_groups_title", lang, period=period, group=group, measure=measure
    )
    xlabel = text("report.change.absolute", lang, measure=measure)
    ax = ranking(
        labels,
        v,
        lo,
        hi,
        reference=0.0,
        reference_label="0",
        xlabel=text(
            "report.axis_ci", lang, label=xlabel, ci=text("common.ci", lang, level=100 * level)
        ),
        title=title,
        percent=False,
    )
    return [sentence], [brief_chart(f"{key}_change_by_{group}", title, ax)]


def brief_section(
    measure: MeasureResult | None,
    change: ChangeResult | None,
    *,
    level: float,
    lang: str,
) -> Section:
    """The policy-brief section.

    Parameters
    ----------
    measure
        The report's first result of :func:`mpi.measure` (None: none).
    change
        The report's first result of :func:`mpi.change` (None: none).
    level
        Confidence level of the intervals.
    lang
        The report's language.

    Returns
    -------
    Section
    """
    section = Section("brief", text("report.brief.title", lang))
    k = None
    if measure is not None:
        view = headline_view(measure, change, level=level)
        k = view.k
        section.cards = _cards(view, level, lang)
        section.paragraphs.append(_headline_sentence(view, lang))
        for part in (_ranking(view, level, lang, "brief"), _contributions(view, lang, "brief")):
            section.paragraphs += part[0]
            section.charts += part[1]
        if view.overall_ci is not None:
            section.notes.append(text("report.brief.ci_note", lang, level=100 * level))
    if change is not None:
        cards, sentences, charts = _change_part(change, k, level, lang, "brief")
        section.cards += cards
        section.paragraphs += sentences
        section.charts += charts
    if measure is None and change is None:
        section.paragraphs.append(text("report.brief.none", lang))
    return section
