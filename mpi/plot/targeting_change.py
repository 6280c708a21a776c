"""Chart of the changes over time in the targeting rates of a list
(:class:`~mpi.TargetingChangeResult`, from ``mpi.targeting(...).change("year")``).

Same conventions as :mod:`mpi.plot` and :func:`mpi.plot.changes` (its model): ``ax=None``
makes a new figure, the Axes is returned, ``plt.show()`` is never called, CJK labels get a
CJK font found on the system, and ``lang="en"`` or ``"zh"`` chooses the language of the
chart's words (from the label catalogue, :mod:`mpi._common.labels`). Colours say whether a
change is good news: the blue of a fall in :func:`~mpi.plot.changes` (``EXIT``) for a fall
of an error or a rise of the coverage of the poor, its red (``ENTRY``) for the opposite.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mpi._common.labels import check_lang, text
from mpi._common.result import BOUND, check_level
from mpi.errors import ValidationError
from mpi.identification.evaluate_change import PERIOD, TargetingChangeResult
from mpi.plot._style import (
    ENTRY,
    EXIT,
    STAYERS,
    apply_fonts,
    check_result,
    grid,
    new_ax,
    rows_height,
    style_axes,
)

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.axes import Axes

__all__ = ["targeting_changes", "DIRECTION"]

#: The rates the chart draws (shares, so their changes are in percentage points) and the
#: sign of a good change: ``-1`` an error (a fall is better), ``+1`` a coverage (a rise is
#: better), ``0`` a share with no better direction.
DIRECTION: dict[str, int] = {
    "inclusion_error": -1,
    "exclusion_error": -1,
    "leakage": -1,
    "undercoverage": -1,
    "coverage": 1,
    "targeting_differential": 1,
    "listed_share": 0,
    "poor_share": 0,
}
#: Gap (in rows) between the blocks of two variables.
BLOCK_GAP = 0.5


def _check_variables(variables: Any, ds: xr.Dataset, by: Sequence[str]) -> list[str]:
    """The variables to draw: rates of :data:`DIRECTION` held by the change, each once."""
    names = [variables] if isinstance(variables, str) else list(variables)
    held = [str(v) for v in ds.data_vars]
    drawable = [v for v in held if v in DIRECTION and set(ds[v].dims) <= {PERIOD, *by}]
    if not names:
        raise ValidationError(
            f"targeting_changes(): variables={variables!r} names no rate; choose from {drawable}"
        )
    if len(set(names)) != len(names):
        raise ValidationError(
            f"targeting_changes(): variables={variables!r} names a rate twice; give each once"
        )
    for name in names:
        if name in drawable:
            continue
        if name in DIRECTION:
            raise ValidationError(
                f"targeting_changes(): variables: {name!r} is not in this change (it has "
                f"{held}); compute it with TargetingResult.change(over, "
                f"variables=[..., {name!r}])"
            )
        raise ValidationError(
            f"targeting_changes(): variables: {name!r} is not a rate this chart draws in "
            f"percentage points; choose from {drawable} (read the changes of totals, the "
            "Coady-Grosh-Hoddinott indicator and the deciles from to_frame())"
        )
    return names


def _select_group(
    est: xr.Dataset, ci: xr.Dataset, group: Mapping[str, Any] | None, by: Sequence[str]
) -> tuple[xr.Dataset, xr.Dataset, str | None]:
    """``est`` and ``ci`` at the labels of ``group``, and the one group dim left (or None)."""
    chosen = dict(group or {})
    for dim, label in chosen.items():
        if dim not in by:
            raise ValidationError(
                f"targeting_changes(): group={group!r}: {dim!r} is not a group variable of "
                f"the change; it has {list(by) or 'none'} (evaluate with "
                f"mpi.targeting(..., by=[round, {dim!r}]) for changes per {dim})"
            )
        have = est[dim].values.tolist()
        if label not in have:
            raise ValidationError(
                f"targeting_changes(): group={group!r}: {label!r} is not a value of {dim!r}; "
                f"choose from {have}"
            )
    if chosen:
        est, ci = est.sel(chosen), ci.sel(chosen)
    left = [d for d in by if d not in chosen]
    if len(left) > 1:
        example = {d: est[d].values.tolist()[0] for d in left[:-1]}
        raise ValidationError(
            f"targeting_changes(): the change has the group variables {left}; the chart draws "
            f"one row per group of one of them: select the others with group=, e.g. "
            f"group={example!r}"
        )
    return est, ci, (left[0] if left else None)


def _format_pp(x: float, pos: int | None = None) -> str:
    """A change given as a share as percentage points: ``0.05`` -> ``+5``, ``-0.1`` -> ``−10``."""
    v = round(100.0 * float(x), 6)
    if v == 0:
        return "0"
    return f"+{v:g}" if v > 0 else f"\u2212{-v:g}"


def _colour(name: str, value: float) -> str:
    """Blue for a change for the better, red for the worse, grey otherwise (see :data:`DIRECTION`)."""
    signed = DIRECTION[name] * value
    if not np.isfinite(signed) or signed == 0:
        return STAYERS
    return EXIT if signed > 0 else ENTRY


def targeting_changes(
    change: TargetingChangeResult,
    *,
    variables: Sequence[str] = ("inclusion_error", "exclusion_error"),
    group: Mapping[str, Any] | None = None,
    level: float = 0.95,
    lang: str = "en",
    ax: Axes | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """Changes over time in the errors of a list, with confidence intervals: horizontal bars,
    one row per rate, group and period.

    Each bar is a change ``later - earlier`` of :meth:`~mpi.TargetingChangeResult.to_dataset`
    (a share, so the axis reads in percentage points) and its line the t interval of
    :meth:`~mpi.TargetingChangeResult.ci`, :math:`\\Delta \\pm t_{df}\\, \\widehat{se}(\\Delta)`;
    a change without a standard error (no survey design, or NaN) gets no line, an undefined
    change (NaN) no bar. Blue is a change for the better (an error fell; coverage or the
    targeting differential rose), red a change for the worse, grey no change or a share
    with no better direction (``listed_share``, ``poor_share``); a line marks zero.

    Rows run top to bottom by rate (in ``variables`` order, blocks set apart by a small
    gap), then by group (in the change's order), then by period. A change with one group
    variable besides the rounds (``mpi.targeting(..., by=["year", "county"])``) draws one
    row per group; with several, ``group`` selects all but one of them.

    Parameters
    ----------
    change
        A :class:`~mpi.TargetingChangeResult` (``mpi.targeting(...).change("year")``).
    variables
        The rates to draw, among ``inclusion_error``, ``exclusion_error``, ``leakage``,
        ``undercoverage``, ``coverage``, ``targeting_differential``, ``listed_share`` and
        ``poor_share`` (those the change holds).
    group
        Labels of group variables to draw alone, e.g. ``{"county": "A"}`` (named in the
        title); default: every group.
    level
        Confidence level of the intervals, strictly between 0 and 1.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure (default: 7 inches wide, taller with more rows).
    title
        Chart title (default names what is drawn, and the selected group, in ``lang``).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.containers[0]`` holds the bars (widths: the changes as shares, top row first
        in the order above); with standard errors, ``ax.containers[1]`` the error bar
        (an :class:`~matplotlib.container.ErrorbarContainer`) of the rows that have one,
        in the same order.

    Raises
    ------
    ValidationError
        For a change that is not a ``TargetingChangeResult``, a rate it does not hold or
        the chart does not draw, a group variable or label it does not have, two or more
        group variables left unselected, a ``level`` outside (0, 1) or an unknown ``lang``.
    """
    check_result(change, TargetingChangeResult, "targeting_changes", "mpi.TargetingResult.change")
    check_lang(lang)
    level = check_level(level)
    est = change.to_dataset()
    names = _check_variables(variables, est, change.by)
    ci = change.ci(level)
    est, ci, dim = _select_group(est, ci, group, change.by)
    groups = est[dim].values.tolist() if dim is not None else [None]
    periods = est[PERIOD].values.tolist()

    rows: list[str] = []
    vals, los, his, colours, ys = [], [], [], [], []
    y = 0.0
    for name in names:
        variable = text(f"targeting.var.{name}", lang)
        for g in groups:
            cell_est = est[name] if g is None else est[name].sel({dim: g})
            cell_ci = ci[name] if g is None else ci[name].sel({dim: g})
            for p in periods:
                v = float(cell_est.sel({PERIOD: p}))
                vals.append(v)
                los.append(float(cell_ci.sel({PERIOD: p, BOUND: "lower"})))
                his.append(float(cell_ci.sel({PERIOD: p, BOUND: "upper"})))
                colours.append(_colour(name, v))
                rows.append(
                    text("plot.targeting_change.row", lang, variable=variable, period=p)
                    if g is None
                    else text("plot.targeting_change.row_group", lang, variable=variable,
                              group=g, period=p)
                )  # fmt: skip
                ys.append(-y)
                y += 1.0
        y += BLOCK_GAP
    v, lo, hi, yy = np.array(vals), np.array(los), np.array(his), np.array(ys)

    ax = new_ax(ax, figsize or (7.0, rows_height(int(np.ceil(y)), lo=2.6)))
    style_axes(ax)
    ax.barh(yy, v, color=colours, alpha=0.85, height=0.6)  # NaN: an undefined change, no bar
    ok = np.isfinite(v) & np.isfinite(lo) & np.isfinite(hi)
    if ok.any():
        ax.errorbar(v[ok], yy[ok], xerr=[v[ok] - lo[ok], hi[ok] - v[ok]], fmt="none",
                    ecolor="0.2", elinewidth=1.2, capsize=3)  # fmt: skip
    ax.axvline(0, color="0.3", linewidth=0.8)
    ends = np.concatenate([[0.0], v[np.isfinite(v)], lo[ok], hi[ok]])
    pad = 0.06 * (float(ends.max() - ends.min()) or 0.01)
    ax.set_xlim(float(ends.min()) - pad, float(ends.max()) + pad)  # zero never on the edge
    ax.set_yticks(yy, rows)
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter
    from matplotlib.transforms import ScaledTranslation

    ax.xaxis.set_major_formatter(FuncFormatter(_format_pp))
    ax.set_xlabel(
        text("plot.targeting_change.axis", lang, level=100 * level)
        if ok.any()
        else text("plot.targeting_change.axis_no_ci", lang)
    )
    grid(ax, "x")
    drawn = {c for c, value in zip(colours, v, strict=True) if np.isfinite(value)}
    legend = [
        Patch(color=c, alpha=0.85, label=text(f"plot.targeting_change.{key}", lang))
        for c, key in ((EXIT, "better"), (ENTRY, "worse"), (STAYERS, "neutral"))
        if c in drawn
    ]
    if legend:  # under the axis label, as in mpi.plot.confusion
        below = ax.transAxes + ScaledTranslation(0.0, -0.5, ax.get_figure().dpi_scale_trans)
        ax.legend(handles=legend, frameon=False, fontsize="small", loc="upper left",
                  bbox_to_anchor=(0.0, 0.0), bbox_transform=below, ncols=len(legend))  # fmt: skip
    if title is None:
        title = text("plot.targeting_change.title", lang)
        if group:
            where = text("plot.targeting_change.group_separator", lang).join(
                str(g) for g in dict(group).values()
            )
            title += text("plot.targeting_change.group_suffix", lang, group=where)
    ax.set_title(title, loc="left")
    apply_fonts(ax)
    return ax
