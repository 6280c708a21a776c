"""Publication tables of a measurement: "estimate (SE) [CI]" by group, as a statistical
release prints them (:func:`publication_table`), the same numbers for spreadsheets
(:func:`estimates_table`), and the long results frame (:func:`results_frame`, from
:mod:`mpi.reporting.frames`).

Every word of a table (headers, the overall row, the footnotes) comes from the label
catalogue (:mod:`mpi._common.labels`) in ``lang``; indicator names come from the spec's own
labels. Small cells are suppressed or flagged by a :class:`~mpi.reporting.suppression.Suppression`
rule, stated in the footnotes (``frame.attrs["notes"]``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mpi._common.labels import check_lang, has_text, measure_label, text
from mpi._common.result import check_level
from mpi.errors import ValidationError
from mpi.measurement.estimands import PROPORTIONS
from mpi.measurement.result import MeasureResult
from mpi.reporting.frames import (
    GROUP_SEPARATOR,
    UNWEIGHTED,
    check_result,
    is_share,
    results_frame,
    select_k,
    shared_results_frame,
    spec_and_weight,
)
from mpi.reporting.suppression import Suppression

__all__ = ["publication_table", "estimates_table", "results_frame"]

#: Kinds of change shown in the tables of a ChangeResult (all are in :func:`results_frame`).
TABLE_CHANGES = ("absolute", "relative")
_STATS = ("b", "se", "ll", "ul")
_STAT_KEYS = {
    "b": "common.estimate",
    "se": "common.se",
    "ll": "common.lower",
    "ul": "common.upper",
    "pval": "common.p_value",
}


@dataclass
class _Grid:
    """A table's numbers: rows (groups) × columns (measure, indicator, change)."""

    index: pd.Index
    columns: list[tuple[str, str, str]]
    values: dict[str, np.ndarray]
    n: np.ndarray
    hit: np.ndarray
    inference: bool
    change: bool
    notes: list[str] = field(default_factory=list)


def _check_measures(measures: Any, available: list[str]) -> list[str]:
    names = [measures] if isinstance(measures, str) else measures
    ok = isinstance(names, Sequence) and len(names) > 0
    ok = ok and all(isinstance(m, str) for m in names) and len(set(names)) == len(names)
    if not ok:
        raise ValidationError(
            f"measures must be a non-empty sequence of distinct measure names, e.g. "
            f"('H', 'A', 'M0'); got {measures!r}"
        )
    unknown = [m for m in names if m not in available]
    if unknown:
        raise ValidationError(
            f"measures={measures!r}: {unknown} not in this result; choose from {available}"
        )
    return list(names)


def _subgroup(result: Any, by: Any) -> str:
    """The ``subgroup`` of :func:`results_frame` that the table's rows show."""
    groups = list(result.groups if isinstance(result, MeasureResult) else result.by)
    full = GROUP_SEPARATOR.join(groups)
    if by is None:
        return full
    wanted = [by] if isinstance(by, str) else list(by) if isinstance(by, Sequence) else None
    if wanted is not None and sorted(wanted) == sorted(groups):
        return full
    if isinstance(result, MeasureResult) and wanted is not None:
        if not wanted:
            return ""
        if len(wanted) == 1 and wanted[0] in groups:
            return wanted[0]
    options = [None, full] if not isinstance(result, MeasureResult) else [None, (), *groups]
    raise ValidationError(
        f"by={by!r} is not a grouping of this result (its by variables: {groups}); use one "
        f"of {options}"
        + (
            ""
            if isinstance(result, MeasureResult)
            else " (a ChangeResult has only the groups it was measured by)"
        )
    )


def _check_common(result: Any, lang: str, level: Any, suppression: Any, function: str) -> float:
    check_result(result, function)
    check_lang(lang)
    if suppression is not None and not isinstance(suppression, Suppression):
        raise ValidationError(
            f"suppression must be a mpi.Suppression(min_cell=..., max_cv=..., "
            f"action=...) or None (no rule); got {suppression!r}"
        )
    return check_level(level)


def _grid(
    result: Any,
    measures: Any,
    by: Any,
    k: Any,
    level: float,
    lang: str,
    suppression: Suppression | None,
) -> _Grid:
    """The numbers of a table, its hit cells and its notes (shared by both tables)."""
    change = not isinstance(result, MeasureResult)
    frame = shared_results_frame(result, level)
    ktext = select_k(result, k)
    names = _check_measures(measures, list(dict.fromkeys(frame["measure"])))
    sub = _subgroup(result, by)
    keep = frame["measure"].isin(names) & (frame["k"] == ktext)
    # a row pooling separate survey rounds (Design(rounds=...)) is no estimate of anything
    rounds = None if change else getattr(result.design, "rounds", None)
    pooled_rounds = rounds is not None and rounds == sub
    keep &= frame["subgroup"].isin([sub] if change or pooled_rounds else ["", sub])
    if change:
        keep &= frame["change"].isin(TABLE_CHANGES)
    f = frame[keep]
    overall = text("common.overall", lang)
    labels = f["subgroup_value"].where(f["subgroup"] != "", overall).to_numpy(object)
    extra = (
        "time" if "time" in f else ("period" if change and result.periods.shape[0] > 1 else None)
    )
    keys = list(zip(labels, f[extra], strict=True)) if extra else list(labels)
    rows = list(dict.fromkeys(keys))
    ckeys = list(
        zip(f["measure"], f["indicator"], f["change"] if change else [""] * len(f), strict=True)
    )
    order = {m: i for i, m in enumerate(names)}
    cols = sorted(dict.fromkeys(ckeys), key=lambda c: order[c[0]])  # stable: indicator order
    r = _positions(rows, keys)
    c = _positions(cols, ckeys)
    values = {}
    for stat in (*_STATS, "pval"):
        arr = np.full((len(rows), len(cols)), np.nan)
        arr[r, c] = f[stat].to_numpy(dtype=float)
        values[stat] = arr
    n = np.full(len(rows), np.nan)
    n[r] = f["n"].to_numpy(dtype=float, na_value=np.nan)
    inference = bool(np.isfinite(values["se"]).any())
    if suppression is None or change:
        hit = np.zeros((len(rows), len(cols)), dtype=bool)
    else:
        hit = suppression.mask(n[:, None], values["b"], values["se"] if inference else None)
    group_header = sub or text("common.group", lang)
    if extra:
        second = text("common.wave" if extra == "time" else "table.period", lang)
        index = pd.MultiIndex.from_tuples(rows, names=[group_header, second])
    else:
        index = pd.Index(rows, name=group_header, dtype=object)
    grid = _Grid(index, cols, values, n, hit, inference, change)
    grid.notes = _notes(result, grid, names, ktext, level, lang, suppression, sub)
    return grid


def _positions(items: list, keys: list) -> np.ndarray:
    where = {key: i for i, key in enumerate(items)}
    return np.array([where[key] for key in keys], dtype=np.intp)


def _notes(
    result: Any,
    grid: _Grid,
    names: list[str],
    ktext: str,
    level: float,
    lang: str,
    suppression: Suppression | None,
    sub: str,
) -> list[str]:
    notes = [text("table.note.k", lang, k=ktext)] if ktext else []
    if grid.change:
        periods = result.periods
        if len(periods) == 1:
            notes.append(
                text(
                    "table.note.period",
                    lang,
                    start=periods["start"].iloc[0],
                    end=periods["end"].iloc[0],
                )
            )
        notes.append(text("table.note.cell", lang, level=level * 100))
        notes.append(text("table.note.ci_wald", lang, df=result.df))
        notes += [
            text(f"table.note.{key}", lang) for key in ("variance_change", "relative", "p_value")
        ]
    elif grid.inference:
        notes.append(text("table.note.cell", lang, level=level * 100))
        if any(m in PROPORTIONS for m in names):
            notes.append(text("table.note.ci_logit", lang, df=result.df))
        if any(m not in PROPORTIONS for m in names):
            notes.append(text("table.note.ci_wald", lang, df=result.df))
        kind = result.se[names[0]].attrs.get("method", "")
        if has_text(f"table.note.variance_{kind}"):
            notes.append(text(f"table.note.variance_{kind}", lang))
    else:
        notes.append(text("table.note.no_design", lang))
    weight = spec_and_weight(result)[1]
    if weight != UNWEIGHTED:
        notes.append(text("table.note.weight", lang, weight=weight))
    else:
        notes.append(text("table.note.unweighted", lang))
    if isinstance(result, MeasureResult) and sub and not result.time:
        missing = int(result.to_dataset()["n_missing_group"].sum())
        if missing:
            notes.append(text("table.note.missing_group", lang, n=missing))
    if (np.isnan(grid.values["b"]) & ~grid.hit).any():
        notes.append(text("table.note.not_available", lang, mark=text("table.not_available", lang)))
    if suppression is not None:
        notes.append(
            text("table.note.change_suppression", lang)
            if grid.change
            else suppression.describe(lang)
        )
    return notes


def _label(result: Any, measure: str, indicator: str, lang: str, short: bool) -> str:
    """A measure's header: its catalogue label, with the indicator's label when it has one."""
    label = measure_label(measure, lang, short=short)
    if not indicator:
        return label
    names = {}
    if isinstance(result, MeasureResult):
        names = {i.name: i.label or i.name for i in result.spec}
    return text(
        "table.indicator_header", lang, measure=label, indicator=names.get(indicator, indicator)
    )


def _change_header(result: Any, col: tuple[str, str, str], lang: str, percent: bool) -> str:
    measure, indicator, kind = col
    label = _label(result, measure, indicator, lang, short=True)
    if kind == "relative":
        return text("table.change.relative", lang, measure=label)
    pp = percent and is_share(measure)
    return text("table.change.absolute_pp" if pp else "table.change.absolute", lang, measure=label)


def _number(x: float, decimals: int, na: str) -> str:
    return na if not np.isfinite(x) else f"{x:,.{decimals}f}"


def _pvalue(p: float, na: str) -> str:
    return na if not np.isfinite(p) else "<0.001" if p < 0.001 else f"{p:.3f}"


def publication_table(
    result: Any,
    measures: Sequence[str] | str = ("H", "A", "M0"),
    *,
    by: str | Sequence[str] | None = None,
    k: Any = None,
    level: float = 0.95,
    lang: str = "en",
    percent: bool = True,
    digits: int = 1,
    suppression: Suppression | None = Suppression(),  # noqa: B008 (frozen, immutable)
) -> pd.DataFrame:
    """A statistical-release table: "estimate (SE) [CI]" by group, as text.

    Parameters
    ----------
    result : MeasureResult or ChangeResult
        From :func:`mpi.measure` (with or without a design) or :func:`mpi.change`.
    measures : sequence of str
        Variables of the result, one column each (an indicator-level measure such as
        ``"censored_headcount"`` gives one column per indicator).
    by : str, sequence of str or None
        The rows: None, all the result's ``by`` variables (their cross-classification);
        one ``by`` variable (its groups, :meth:`MeasureResult.marginal`); ``()`` the
        whole population only. A table of a MeasureResult starts with the overall row.
    k : Fraction, str or float, optional
        The poverty cutoff, any form :func:`mpi.measure` accepts; needed when the result
        has several.
    level : float
        Confidence level of the intervals.
    lang : {"en", "zh"}
        Language of the headers, the overall row and the notes.
    percent : bool
        Show shares in percent (absolute changes of shares in percentage points).
    digits : int
        Decimals shown (a measure that is not a share, ``intensity_variance``, gets
        ``digits + 2`` when ``percent``; with ``percent=False`` pass e.g. ``digits=3``).
    suppression : Suppression or None
        The small-cell rule; None publishes every cell.

    Returns
    -------
    pandas.DataFrame
        Strings; the index holds the groups (a second level the waves of a panel, or the
        periods of a ChangeResult with several). MeasureResult: one column per measure,
        cells "12.3 (1.4) [9.6, 15.1]" (estimate, standard error, confidence interval;
        the estimate alone without a design), then the unweighted units with thousands
        separators. ChangeResult: per measure the absolute change (percentage points),
        its p-value and the relative change (%). A suppressed cell shows "—", a flagged
        one its value followed by "*"; ".." (zh "…") marks a value that does not exist.
        ``attrs``: ``"notes"`` (footnotes: k, the interval and variance method, weighting,
        the suppression rule), ``"suppressed"`` (a bool DataFrame of the table's shape:
        the cells under the rule), ``"title"``, ``"k"`` ("1/3"), ``"mark"``.

    Examples
    --------
    >>> import warnings, mpi
    >>> from mpi.reporting.tables import publication_table
    >>> warnings.simplefilter("ignore", mpi.MissingDataWarning)
    >>> df = mpi.datasets.load("mpi_survey")
    >>> res = mpi.measure(df, mpi.presets.global_mpi_2018(), weight="weight", by="region")
    >>> table = publication_table(res)
    >>> list(table.columns)
    ['Headcount ratio (H), %', 'Intensity (A), %', 'Adjusted headcount ratio (M0), %', \
'Units (unweighted)']
    """
    level = _check_common(result, lang, level, suppression, "publication_table")
    if not isinstance(percent, bool):
        raise ValidationError(f"percent must be True or False; got {percent!r}")
    if isinstance(digits, bool) or not isinstance(digits, int | np.integer) or digits < 0:
        raise ValidationError(f"digits must be a whole number >= 0 (e.g. 1); got {digits!r}")
    grid = _grid(result, measures, by, k, level, lang, suppression)
    na = text("table.not_available", lang)
    mark = suppression.mark if suppression is not None else ""
    flag = suppression is not None and suppression.action == "flag"
    columns: dict[str, list[str]] = {}
    hits: dict[str, np.ndarray] = {}
    for j, col in enumerate(grid.columns):
        measure, _, kind = col
        share = is_share(measure)
        scale = 100.0 if percent and share and kind != "relative" else 1.0
        dec = int(digits) if share or not percent or kind == "relative" else int(digits) + 2
        cells = []
        for i in range(len(grid.index)):
            b, se, lo, hi = (grid.values[s][i, j] * scale for s in _STATS)
            if grid.hit[i, j] and not flag:
                cells.append(mark)
                continue
            cell = _number(b, dec, na) + (mark if grid.hit[i, j] and np.isfinite(b) else "")
            if grid.inference and np.isfinite(b) and np.isfinite(se):
                cell += (
                    f" ({_number(se, dec, na)}) [{_number(lo, dec, na)}, {_number(hi, dec, na)}]"
                )
            cells.append(cell)
        if grid.change:
            header = _change_header(result, col, lang, percent)
        else:
            label = _label(result, measure, col[1], lang, short=False)
            header = text("table.percent_header", lang, label=label) if scale != 1 else label
        columns[header], hits[header] = cells, grid.hit[:, j]
        if grid.change and kind == "absolute":
            header = text(
                "table.change.p_value",
                lang,
                measure=_label(result, measure, col[1], lang, short=True),
            )
            columns[header] = [_pvalue(p, na) for p in grid.values["pval"][:, j]]
            hits[header] = np.zeros(len(grid.index), dtype=bool)
    if not grid.change:
        header = text("measure.n_obs", lang)
        columns[header] = [_number(n, 0, na) for n in grid.n]
        hits[header] = np.zeros(len(grid.index), dtype=bool)
    table = pd.DataFrame(columns, index=grid.index, dtype=object)
    suppressed = pd.DataFrame(hits, index=grid.index, dtype=bool)
    _attrs(table, result, grid, suppressed, suppression, k=select_k(result, k), lang=lang)
    return table


def _attrs(
    table: pd.DataFrame,
    result: Any,
    grid: _Grid,
    suppressed: pd.DataFrame,
    suppression: Suppression | None,
    *,
    k: str,
    lang: str,
) -> None:
    table.attrs.update(
        notes=list(grid.notes),
        suppressed=suppressed,
        title=text("table.title.change" if grid.change else "table.title.measure", lang),
        k=k,
        mark=suppression.mark if suppression is not None else None,
    )


def estimates_table(
    result: Any,
    measures: Sequence[str] | str = ("H", "A", "M0"),
    *,
    by: str | Sequence[str] | None = None,
    k: Any = None,
    level: float = 0.95,
    lang: str = "en",
    suppression: Suppression | None = Suppression(),  # noqa: B008 (frozen, immutable)
) -> pd.DataFrame:
    """The numbers of :func:`publication_table`, numeric, for spreadsheets.

    Parameters
    ----------
    result : MeasureResult or ChangeResult
        From :func:`mpi.measure` or :func:`mpi.change`.
    measures, by, k, level, lang, suppression
        As in :func:`publication_table`.

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`publication_table`; MultiIndex columns (measure, statistic) with
        the statistics Estimate, Standard error, Lower and Upper bound (Estimate alone
        without a design; a ChangeResult adds the p-value and has the absolute and the
        relative change of each measure), readable in ``lang``, then the unweighted units
        (MeasureResult). The values are those of ``result.to_dataset()``, ``se`` and
        ``ci(level)`` unscaled (shares as fractions; relative changes in %). A cell under
        the rule is NaN when ``suppression.action == "suppress"`` (kept when flagged).
        ``attrs``: ``"suppressed"`` (bool DataFrame of the same shape), ``"formats"``
        ({column: "percent" | "integer" | "decimal" | "text"}), ``"notes"``, ``"title"``,
        ``"k"``, ``"mark"``.
    """
    level = _check_common(result, lang, level, suppression, "estimates_table")
    grid = _grid(result, measures, by, k, level, lang, suppression)
    stats = (*_STATS, "pval") if grid.change else _STATS if grid.inference else ("b",)
    blank = suppression is not None and suppression.action == "suppress"
    data: dict[tuple[str, str], np.ndarray] = {}
    hits: dict[tuple[str, str], np.ndarray] = {}
    formats: dict[tuple[str, str], str] = {}
    for j, col in enumerate(grid.columns):
        measure, indicator, kind = col
        if grid.change:
            header = _change_header(result, col, lang, percent=False)
            fmt = "decimal"
        else:
            header = _label(result, measure, indicator, lang, short=False)
            fmt = "percent" if is_share(measure) else "decimal"
        for s in stats:
            key = (header, text(_STAT_KEYS[s], lang))
            values = grid.values[s][:, j].copy()
            if blank:
                values[grid.hit[:, j]] = np.nan
            data[key], hits[key] = values, grid.hit[:, j].copy()
            formats[key] = "decimal" if s == "pval" else fmt
    if not grid.change:
        key = (text("measure.n_obs", lang), "")
        data[key] = pd.array(grid.n, dtype="Int64") if np.isfinite(grid.n).all() else grid.n
        hits[key], formats[key] = np.zeros(len(grid.index), dtype=bool), "integer"
    columns = pd.MultiIndex.from_tuples(list(data))
    table = pd.DataFrame(dict(enumerate(data.values())), index=grid.index)
    table.columns = columns
    suppressed = pd.DataFrame(dict(enumerate(hits.values())), index=grid.index, dtype=bool)
    suppressed.columns = columns
    _attrs(table, result, grid, suppressed, suppression, k=select_k(result, k), lang=lang)
    table.attrs["formats"] = formats
    return table
