"""The report's section of a result of :func:`mpi.measure`: publication tables by group
(and by k), deprivations and contributions by indicator, the ``mpitb``-style results frame
with the small-cell rule applied, and charts."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from mpi._common.exact import fraction_text
from mpi._common.labels import measure_label, text
from mpi.measurement.result import MeasureResult
from mpi.plot import contributions, estimates, k_curve
from mpi.reporting.charts import draw
from mpi.reporting.document import Section, Table, slug
from mpi.reporting.frames import shared_results_frame
from mpi.reporting.shared import TABLE_MEASURES, flat_table, pair_table, row_title
from mpi.reporting.suppression import Suppression
from mpi.reporting.tables import estimates_table, publication_table
from mpi.reporting.views import headline_k, select_k

__all__ = ["measure_section", "INDICATOR_MEASURES"]

#: The indicator-level measures of the indicator table.
INDICATOR_MEASURES = ("uncensored_headcount", "censored_headcount", "contribution")


def _measure_facts(result: MeasureResult, lang: str) -> list[tuple[str, str]]:
    spec = result.spec
    ov = result.overall.to_dataset()
    n = ov["n_obs"]
    lo, hi = int(n.min()), int(n.max())
    return [
        (
            text("report.fact.spec", lang),
            f"{spec.name or 'custom'}" + (f" — {spec.title}" if spec.title else ""),
        ),
        (
            text("report.fact.indicators", lang),
            text("report.fact.indicators_value", lang, n=len(spec), d=len(spec.dimensions)),
        ),
        (text("common.k", lang), ", ".join(fraction_text(f) for f in result.ks)),
        (text("report.fact.weight", lang), result.weight or text("report.fact.unweighted", lang)),
        (text("report.fact.groups", lang), ", ".join(result.groups) or text("report.na", lang)),
        (measure_label("n_obs", lang), f"{hi:,}" if lo == hi else f"{lo:,}–{hi:,}"),
    ]


def _cell(b: float, se: float, lo: float, hi: float, inference: bool, na: str) -> str:
    """A share as a release shows it: "29.2 (1.2) [27.0, 31.6]" (percent, 1 decimal)."""
    if not np.isfinite(b):
        return na
    out = f"{100 * b:.1f}"
    if inference and np.isfinite(se):
        out += f" ({100 * se:.1f}) [{100 * lo:.1f}, {100 * hi:.1f}]"
    return out


def _marked(cell: str, mark: str, blank: bool) -> str:
    """A cell under the small-cell rule: the mark alone (suppressed), or the estimate
    followed by the mark (flagged: "12.3* (1.4) [9.6, 15.1]")."""
    if blank:
        return mark
    head, _, tail = cell.partition(" ")
    return f"{head}{mark} {tail}" if tail else head + mark


def _indicator_table(
    result: MeasureResult,
    over: str | None,
    k: Fraction,
    key: str,
    level: float,
    lang: str,
    suppression: Suppression | None,
) -> Table:
    """Deprivations and contributions by indicator (per round or wave when there are), the
    small-cell rule applied to each cell (its units: those of the round or wave)."""
    source = (
        result.overall
        if over is None or over == result.time
        else (result if result.groups == [over] else result.marginal(over))
    )
    ds = select_k(source.to_dataset(), k)
    inference = source.has_inference
    se = select_k(source.se, k) if inference else None
    ci = select_k(source.ci(level), k) if inference else None
    order = [*([over] if over else []), "indicator"]
    labels = dict(zip(ds["indicator"].values, ds["indicator_label"].values, strict=True))
    data: dict[str, Any] = {}
    formats: dict[str, str] = {}
    shown: dict[str, list[str]] = {}
    hits: dict[str, np.ndarray] = {}
    na = text("report.na", lang)
    n = ds["n_obs"].reset_coords(drop=True).broadcast_like(ds["contribution"]).transpose(*order)
    blank = suppression is not None and suppression.action == "suppress"
    for name in INDICATOR_MEASURES:
        label = measure_label(name, lang)
        parts = [(label, ds[name], "percent")]
        if se is not None and ci is not None:
            parts += [
                (text("report.col.joined", lang, measure=label, stat=text(s, lang)), v, f)
                for s, v, f in (
                    ("common.se", se[name], "se"),
                    ("common.lower", ci[name].sel(bound="lower"), "percent"),
                    ("common.upper", ci[name].sel(bound="upper"), "percent"),
                )
            ]
        values = ds[name].reset_coords(drop=True).transpose(*order).values
        errors = (
            se[name].reset_coords(drop=True).transpose(*order).values if se is not None else None
        )
        hit = (
            suppression.mask(n.values, values, errors).ravel()
            if suppression is not None
            else np.zeros(values.size, dtype=bool)
        )
        for col, da, fmt in parts:
            arr = da.reset_coords(drop=True).transpose(*order).values.ravel().astype(float)
            if blank:
                arr[hit] = np.nan
            data[col], formats[col], hits[col] = arr, fmt, hit
        cols = [data[c] for c, _, _ in parts]
        if len(cols) == 1:
            cols += [np.full_like(cols[0], np.nan)] * 3
        mark = suppression.mark if suppression is not None else ""
        header = text("table.percent_header", lang, label=label)
        shown[header] = [
            _marked(_cell(b, e, lo, hi, inference, na), mark, blank)
            if h
            else _cell(b, e, lo, hi, inference, na)
            for b, e, lo, hi, h in zip(*cols, hit, strict=True)
        ]
        hits[header] = hit
    coords = n.to_dataframe(name="_n").reset_index()
    frame = pd.concat([coords[order], pd.DataFrame(data)], axis=1)
    frame["indicator"] = frame["indicator"].map(labels)
    rename = {"indicator": text("common.indicator", lang)}
    if over is not None:
        rename[over] = text("report.col.group_variable", lang, name=over)
    frame = frame.rename(columns=rename)
    keys = [rename[d] for d in order]
    for col in keys:
        frame[col] = frame[col].astype(str)
        formats[col] = "text"
    frame = frame[keys + [c for c in frame.columns if c not in keys]]
    index = (
        pd.MultiIndex.from_frame(frame[keys])
        if len(keys) > 1
        else pd.Index(frame[keys[0]], name=keys[0])
    )
    display = pd.DataFrame(shown, index=index)
    title = text("report.table.indicators", lang, k=fraction_text(k))
    notes = [text("table.note.cell", lang, level=100 * level)] if inference else []
    notes.append(text("table.note.percent", lang))
    table = Table(
        key,
        title,
        frame,
        formats,
        display=display,
        notes=notes,
        sheet=text("report.sheet.indicators_measures", lang),
    )
    if suppression is not None:
        notes.append(suppression.describe(lang))
        if any(h.any() for h in hits.values()):
            table.suppressed = pd.DataFrame(
                {c: hits.get(c, np.zeros(len(frame), dtype=bool)) for c in frame.columns}
            )
            table.display_suppressed = pd.DataFrame(
                {c: hits[c] for c in display.columns}, index=display.index
            )
    return table


def _k_table(
    result: MeasureResult, key: str, level: float, lang: str, suppression: Suppression | None
) -> Table:
    """The overall headline measures at every cutoff k."""
    shown, numbers = [], []
    for f in result.ks:
        kw = dict(by=(), k=f, level=level, suppression=suppression)
        p = publication_table(result, TABLE_MEASURES, lang=lang, **kw)
        e = estimates_table(result, TABLE_MEASURES, lang=lang, **kw)
        label = fraction_text(f)
        p.index = pd.Index([label], name=text("common.k", lang))
        e.index = pd.Index([label], name=text("common.k", lang))
        shown.append(p)
        numbers.append(e)
    combined = pd.concat(numbers)
    combined.attrs = {
        "formats": numbers[0].attrs["formats"],
        "suppressed": pd.concat([e.attrs["suppressed"] for e in numbers]),
        "notes": numbers[0].attrs.get("notes", []),
    }
    table = flat_table(
        combined,
        key=key,
        title=text("report.table.by_k", lang),
        lang=lang,
        sheet=text("report.sheet.by_k", lang),
    )
    table.display = pd.concat(shown)
    hits = pd.concat([p.attrs["suppressed"] for p in shown])
    table.display_suppressed = hits if bool(hits.to_numpy().any()) else None
    k_notes = {text("table.note.k", lang, k=fraction_text(f)) for f in result.ks}
    table.notes = [n for n in shown[0].attrs.get("notes", []) if n not in k_notes]
    return table


def _frame_table(
    result: MeasureResult, key: str, level: float, lang: str, suppression: Suppression | None
) -> Table:
    """The ``mpitb``-style results frame with the small-cell rule applied (column
    ``suppressed``; a suppressing rule empties the numbers of the cells it hits)."""
    frame = shared_results_frame(result, level)
    notes = [text("report.table.results_frame_note", lang)]
    if suppression is not None:
        se = frame["se"] if frame["se"].notna().any() else None
        hit = suppression.mask(frame["n"].to_numpy(dtype=float), frame["b"], se)
        frame["suppressed"] = hit
        if suppression.action == "suppress":
            frame.loc[hit, ["b", "se", "ll", "ul", "pval"]] = float("nan")
        notes.append(text("report.table.results_frame_suppressed", lang))
    return Table(
        key,
        text("report.table.results_frame", lang),
        frame,
        {
            "b": "decimal",
            "se": "se",
            "ll": "decimal",
            "ul": "decimal",
            "pval": "decimal",
            "n": "integer",
            "suppressed": "text",
        },
        notes=notes,
        sheet=text("report.sheet.results_frame", lang),
        in_page=False,
    )


def measure_section(
    name: str,
    result: MeasureResult,
    key: str,
    *,
    over: str | None,
    level: float,
    lang: str,
    suppression: Suppression | None,
) -> Section:
    """The section of a result of :func:`mpi.measure`.

    Parameters
    ----------
    name
        The section's title.
    result
        The result.
    key
        File-safe prefix of its tables and charts.
    over
        The round variable of a change over time measured from this result (or None).
    level
        Confidence level.
    lang
        The report's language.
    suppression
        The small-cell rule (None: none).

    Returns
    -------
    Section
    """
    section = Section(key, name, facts=_measure_facts(result, lang))
    k = headline_k(result)
    groups = result.groups
    rows: list[Any] = [None] if len(groups) <= 1 else [*groups, None]
    base = text("table.title.measure", lang)
    for by in rows:
        suffix = "" if by is None and len(groups) <= 1 else f"_{slug(by or 'cross')}"
        title = row_title(base, by if by is not None else (groups or None), lang)
        if len(result.ks) > 1:
            title += " " + text("report.table.at_k", lang, k=fraction_text(k))
        section.tables.append(
            pair_table(
                result,
                key=f"{key}_estimates{suffix}",
                title=title,
                sheet=text("report.sheet.estimates", lang)
                + (f" {by}" if by else f" {'×'.join(groups)}" if len(groups) > 1 else ""),
                lang=lang,
                measures=TABLE_MEASURES,
                by=by,
                k=k,
                level=level,
                suppression=suppression,
            )
        )
    if len(result.ks) > 1:
        section.tables.append(_k_table(result, f"{key}_by_k", level, lang, suppression))
    slice_by = over if over in groups or over == result.time else (result.time or None)
    section.tables.append(
        _indicator_table(result, slice_by, k, f"{key}_indicators", level, lang, suppression)
    )
    section.tables.append(_frame_table(result, f"{key}_results_frame", level, lang, suppression))
    section.charts += _measure_charts(result, key, over, k, level, lang)
    return section


def _measure_charts(
    result: MeasureResult, key: str, over: str | None, k: Fraction, level: float, lang: str
) -> list:
    charts = []
    if result.time:
        charts.append(
            draw(f"{key}_trend", text("report.chart.trend", lang), result.plot, lang=lang)
        )
        return charts
    groups = result.groups
    chosen = [over] if over in groups else groups
    for b in chosen:
        target = result if groups == [b] and not result.sparse else result.marginal(b)
        m0 = measure_label("M0", lang)
        charts.append(
            draw(
                f"{key}_m0_by_{slug(b)}",
                text("report.chart.estimates", lang, measure=m0, by=b),
                estimates,
                target,
                "M0",
                lang=lang,
                k=k,
                level=level,
            )
        )
        charts.append(
            draw(
                f"{key}_contributions_by_{slug(b)}",
                text("report.chart.contributions", lang, by=b),
                contributions,
                target,
                lang=lang,
                by=b,
                k=k,
            )
        )
    if not groups:
        charts.append(
            draw(
                f"{key}_contributions",
                text("report.chart.contributions_all", lang),
                contributions,
                result,
                lang=lang,
                k=k,
            )
        )
    if len(result.ks) > 1:
        charts.append(
            draw(f"{key}_k_curve", text("report.chart.k_curve", lang), k_curve, result, lang=lang)
        )
    return charts
