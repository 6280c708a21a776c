"""Charts of cross-section measurement: :class:`~mpi.MeasureResult`,
:class:`~mpi.ChangeResult`, :class:`~mpi.RobustnessResult` and :class:`~mpi.WaldTest`.

Every function takes ``ax=None`` (a new figure is made when omitted), returns the
:class:`matplotlib.axes.Axes` and never calls ``plt.show()``. Labels in Chinese (or any CJK
script) are drawn with a CJK font when one is installed (see :func:`mpi.plot.cjk_font`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from mpi.errors import ValidationError
from mpi.measurement.change import ChangeResult
from mpi.measurement.result import MeasureResult
from mpi.measurement.robustness import RobustnessResult
from mpi.plot._style import (
    LINE_COLORS,
    MEASURE_LABELS,
    PALETTES,
    apply_fonts,
    check_result,
    grid,
    new_ax,
    style_axes,
)
from mpi.survey.hypothesis import WaldTest

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["contributions", "k_curve", "estimates", "changes", "robustness", "contrasts"]


def _indicator_colors(result: MeasureResult) -> list[Any]:
    """One colour per indicator: shades of its dimension's palette."""
    from matplotlib import colormaps

    spec = result.spec
    dims = spec.dimensions
    colors = []
    for ind in spec:
        dim = spec.dimension_of(ind)
        members = [i.name for i in spec if spec.dimension_of(i) == dim]
        cmap = colormaps[PALETTES[dims.index(dim) % len(PALETTES)]]
        pos = members.index(ind.name)
        colors.append(cmap(0.85 - 0.5 * pos / max(1, len(members) - 1 or 1)))
    return colors


def _select_k(ds: xr.Dataset, k: Any, result: MeasureResult) -> xr.Dataset:
    """The cutoff ``k`` of ``ds`` (nearest), or ``ds`` when it has no k dimension."""
    if "k" in ds.dims:
        if k is None:
            raise ValidationError(
                f"the result has several k {[float(f) for f in result.ks]}; pass k= to choose one"
            )
        return ds.sel(k=float(k), method="nearest")
    return ds


def contributions(
    result: MeasureResult,
    *,
    by: str | None = None,
    level: str = "indicator",
    relative: bool = False,
    k: Any = None,
    sort: bool = True,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (8.0, 4.5),
    title: str | None = None,
) -> Axes:
    """Stacked bars of each group's M0 split into indicator (or dimension) contributions.

    Parameters
    ----------
    result
        A result of :func:`mpi.measure`, with or without groups.
    by
        Grouping variable to show (default: the result's only one). An "Overall" bar is
        always added.
    level
        ``"indicator"`` or ``"dimension"``.
    relative
        Show percentage contributions (bars sum to 100%) instead of absolute contributions
        ``w_j h_j`` (bars sum to M0).
    k
        The cutoff to show when the result has several.
    sort
        Order groups by M0 (highest on top).
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure.
    title
        Chart title (a default names what is drawn).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if level not in ("indicator", "dimension"):
        raise ValidationError(f"level must be 'indicator' or 'dimension'; got {level!r}")
    if by is None and len(result.by) == 1:
        by = result.by[0]
    if by is not None and by not in result.by:
        raise ValidationError(f"by={by!r} is not a grouping variable of the result ({result.by})")
    overall = _select_k(result.overall.to_dataset(), k, result)
    frames = [("Overall", overall)]
    if by is not None:
        grouped = _select_k(result.marginal(by).to_dataset(), k, result)
        order = list(grouped[by].values)
        if sort:
            m0 = grouped["M0"].fillna(-1).values
            order = [order[i] for i in np.argsort(m0)]
        else:
            order = order[::-1]
        frames = [(str(g), grouped.sel({by: g})) for g in order] + frames
    var = "contribution" if level == "indicator" else "dimension_contribution"
    names = list(overall[level].values)
    if level == "indicator":
        labels = [i.label or i.name for i in result.spec]
        colors = _indicator_colors(result)
    else:
        from matplotlib import colormaps

        labels = [str(n) for n in names]
        colors = [colormaps[p](0.7) for p in PALETTES[: len(names)]]
    ax = new_ax(ax, figsize)
    style_axes(ax)
    ypos = np.arange(len(frames))
    left = np.zeros(len(frames))
    for j, (name, label) in enumerate(zip(names, labels, strict=True)):
        share = np.array([float(ds[var].sel({level: name}).fillna(0)) for _, ds in frames])
        m0 = np.array([float(ds["M0"].fillna(0)) for _, ds in frames])
        width = share * (100.0 if relative else m0)
        ax.barh(ypos, width, left=left, color=colors[j], label=label, height=0.7,
                edgecolor="white", linewidth=0.5)
        left += width
    ax.set_yticks(ypos, [name for name, _ in frames])
    ax.set_xlabel("Contribution to M0 (%)" if relative else "Adjusted headcount ratio M0")
    if by is not None:
        ax.axhline(len(frames) - 1.5, color="0.6", linewidth=0.8)
    ax.grid(axis="x", color="0.9", linewidth=0.8)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small",
              title=level.capitalize())
    kk = result.ks[0] if not result.k_dim else k
    ax.set_title(title if title is not None else
                 f"Contributions to M0 by {level}" + (f" and {by}" if by else "")
                 + (f" (k = {kk})" if kk is not None else ""), loc="left")
    apply_fonts(ax)
    return ax


def k_curve(
    result: MeasureResult,
    *,
    measures: Sequence[str] = ("M0", "H", "A"),
    group: Any = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.5, 4.0),
    title: str | None = None,
) -> Axes:
    """Measures as functions of the poverty cutoff k (robustness to k).

    Parameters
    ----------
    result
        A result computed with several k (``mpi.measure(..., k=[...])``).
    measures
        Which measures to draw (any scalar measure of the result).
    group
        A group label to draw instead of the overall population (single ``by`` only).
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure.
    title
        Chart title (a default names what is drawn).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not result.k_dim or len(result.ks) < 2:
        raise ValidationError(
            "k_curve needs a result computed over several k, e.g. "
            "mpi.measure(data, spec, k=[0.2, 1/3, 0.5])"
        )
    if group is None:
        ds = result.overall.to_dataset()
    else:
        if len(result.by) != 1:
            raise ValidationError("group= needs a result with exactly one by variable")
        ds = result.to_dataset().sel({result.by[0]: group})
    ax = new_ax(ax, figsize)
    style_axes(ax)
    k = ds["k"].values
    order = np.argsort(k)
    markers = "osD^v<>"
    for i, m in enumerate(measures):
        if m not in ds or ds[m].dims != ("k",):
            raise ValidationError(f"{m!r} is not a measure with a k dimension in the result")
        ax.plot(k[order], ds[m].values[order], marker=markers[i % len(markers)], markersize=4,
                linewidth=1.6, label=MEASURE_LABELS.get(m, m))
    spec_k = float(result.spec.k)
    if k.min() <= spec_k <= k.max():
        ax.axvline(spec_k, color="0.5", linestyle="--", linewidth=0.9)
        ax.annotate(f"k = {result.spec.k}", (spec_k, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(3, -12), textcoords="offset points", fontsize="small", color="0.35")
    ax.set_xlabel("Poverty cutoff k (share of weighted deprivations)")
    ax.set_ylabel("Value")
    ax.set_ylim(0, 1.02)
    ax.grid(color="0.9", linewidth=0.8)
    ax.legend(frameon=False, fontsize="small")
    where = "" if group is None else f" — {group}"
    ax.set_title(title if title is not None else f"Robustness to the poverty cutoff{where}",
                 loc="left")
    apply_fonts(ax)
    return ax


def estimates(
    result: MeasureResult,
    measure: str = "M0",
    *,
    level: float = 0.95,
    method: str = "logit",
    k: Any = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.5, 4.0),
    title: str | None = None,
) -> Axes:
    """A measure by group with design-based confidence intervals (dot-and-whisker).

    Parameters
    ----------
    result
        A result with one ``by`` variable, computed with ``design=`` (for the intervals).
    measure
        Any estimand with the group dimension (``"M0"``, ``"H"``, ``"A"`` …).
    level, method
        Confidence level and interval type (see :meth:`MeasureResult.ci`).
    k
        Which cutoff, when the result has several.
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure.
    title
        Chart title (a default names what is drawn).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if len(result.by) != 1:
        raise ValidationError("estimates() needs a result with exactly one by variable")
    if not result.has_design:
        raise ValidationError(
            "estimates() draws confidence intervals: measure with design=mpi.Design(...)"
        )
    group = result.by[0]
    ds = _select_k(result.to_dataset(), k, result)
    ci = _select_k(result.ci(level, method), k, result)
    if measure not in ds or ds[measure].dims != (group,):
        raise ValidationError(f"{measure!r} is not a measure by {group!r} in the result")
    val = ds[measure].values
    lo = ci[measure].sel(bound="lower").values
    hi = ci[measure].sel(bound="upper").values
    order = np.argsort(val)
    labels = [str(x) for x in ds[group].values[order]]
    ax = new_ax(ax, figsize)
    style_axes(ax)
    y = np.arange(len(order))
    ax.errorbar(val[order], y, xerr=[val[order] - lo[order], hi[order] - val[order]],
                fmt="o", color="#b2182b", ecolor="0.35", elinewidth=1.2, capsize=3, markersize=5)
    overall = float(_select_k(result.overall.to_dataset(), k, result)[measure])
    ax.axvline(overall, color="0.5", linestyle="--", linewidth=0.9)
    ax.annotate("overall", (overall, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -12),
                textcoords="offset points", fontsize="small", color="0.35")
    ax.set_yticks(y, labels)
    ax.set_xlabel(f"{MEASURE_LABELS.get(measure, measure)}, {level:.0%} CI ({method})")
    ax.grid(axis="x", color="0.9", linewidth=0.8)
    default = f"{MEASURE_LABELS.get(measure, measure)} by {group}"
    ax.set_title(title if title is not None else default, loc="left")
    apply_fonts(ax)
    return ax


def changes(
    change: ChangeResult,
    *,
    measures: Sequence[str] = ("M0", "H", "A"),
    kind: str = "annualized_absolute",
    level: float = 0.95,
    group: Mapping[str, Any] | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.5, 3.5),
    title: str | None = None,
) -> Axes:
    """Changes over time with confidence intervals, one row per measure and period.

    Parameters
    ----------
    change
        A :class:`mpi.ChangeResult` (``result.change("round")``).
    measures
        Measures to draw.
    kind
        ``"absolute"``, ``"relative"``, ``"annualized_absolute"`` or
        ``"annualized_relative"``.
    level
        Confidence level of the intervals.
    group
        For a change by group: the group to draw, e.g. ``{"region": "North"}`` (one label
        per group dimension).
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure.
    title
        Chart title (a default names what is drawn).

    Returns
    -------
    matplotlib.axes.Axes
    """
    est = change.to_dataset().sel(change=kind)
    ci = change.ci(level).sel(change=kind)
    if group:
        est, ci = est.sel(dict(group)), ci.sel(dict(group))
    rows, vals, los, his = [], [], [], []
    for m in measures:
        if m not in est:
            raise ValidationError(
                f"{m!r} is not in the change result; it has {list(est.data_vars)}"
            )
        if set(est[m].dims) != {"period"}:
            raise ValidationError(
                "changes() draws one series of periods; the change has group dims "
                f"{sorted(set(est[m].dims) - {'period'})}: pass group={{dim: label}}"
            )
        for p in est["period"].values:
            rows.append(f"{m}  {p}")
            vals.append(float(est[m].sel(period=p)))
            los.append(float(ci[m].sel(period=p, bound="lower")))
            his.append(float(ci[m].sel(period=p, bound="upper")))
    v, lo, hi = np.array(vals), np.array(los), np.array(his)
    ax = new_ax(ax, figsize)
    style_axes(ax)
    y = np.arange(len(rows))[::-1]
    colors = ["#2166ac" if x < 0 else "#b2182b" for x in v]
    ax.barh(y, v, color=colors, alpha=0.85, height=0.6)
    ax.errorbar(v, y, xerr=[v - lo, hi - v], fmt="none", ecolor="0.2", elinewidth=1.2, capsize=3)
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_yticks(y, rows)
    unit = {"absolute": "", "relative": " (%)", "annualized_absolute": " per year",
            "annualized_relative": " (% per year)"}[kind]
    ax.set_xlabel(f"{kind.replace('_', ' ').capitalize()} change{unit}, {level:.0%} CI")
    ax.grid(axis="x", color="0.9", linewidth=0.8)
    where = ", ".join(f"{v}" for v in dict(group).values()) if group else ""
    default = "Changes over time" + (f" — {where}" if where else "")
    ax.set_title(title if title is not None else default, loc="left")
    apply_fonts(ax)
    return ax


def robustness(
    result: RobustnessResult,
    *,
    pairs: Sequence[tuple[Any, Any]] | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (7.0, 4.2),
    title: str | None = None,
) -> Axes:
    """Differences between groups across the poverty cutoffs k, significance marked.

    One line per pair ``a − b`` and specification (the baseline solid, alternative weights
    dashed) over the grid of k; a filled marker is a difference significant at the
    result's level, a hollow one is not. The legend gives each pair's robust share (the
    settings where it keeps its baseline direction and is significant).

    Parameters
    ----------
    result
        A :class:`~mpi.RobustnessResult` (``mpi.robustness(...)``).
    pairs
        The pairs ``(a, b)`` to draw (default: all).
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure.
    title
        Chart title.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.lines`` holds one line per pair and specification (x = k, y = difference).

    Raises
    ------
    ValidationError
        For a result that is not a ``RobustnessResult`` or a pair it does not hold.
    """
    check_result(result, RobustnessResult, "robustness", "mpi.robustness")
    comp = result.comparisons
    table = result.pairs.set_index(["a", "b"])
    chosen = list(table.index) if pairs is None else [tuple(p) for p in pairs]
    unknown = [p for p in chosen if p not in table.index]
    if unknown:
        raise ValidationError(f"pairs {unknown} are not in the result; it has {list(table.index)}")
    specs = list(dict.fromkeys(comp["spec"]))
    ax = new_ax(ax, figsize)
    style_axes(ax)
    for i, (a, b) in enumerate(chosen):
        color = LINE_COLORS[i % len(LINE_COLORS)]
        rows = comp[(comp["a"] == a) & (comp["b"] == b)]
        share = float(table.loc[(a, b), "robust_share"])
        for j, spec in enumerate(specs):
            part = rows[rows["spec"] == spec].sort_values("k")
            k = part["k"].to_numpy(dtype=float)
            diff = part["difference"].to_numpy(dtype=float)
            sig = part["significant"].to_numpy(dtype=bool)
            label = f"{a} − {b} (robust in {share:.0%})" if j == 0 else None
            ax.plot(k, diff, color=color, linewidth=1.8 if j == 0 else 1.0,
                    linestyle="-" if j == 0 else (0, (4, 2)), label=label)
            ax.scatter(k[sig], diff[sig], color=color, s=22, zorder=3)
            ax.scatter(k[~sig], diff[~sig], facecolor="white", edgecolor=color, s=22, zorder=3)
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set_xlabel("Poverty cutoff k (share of weighted deprivations)")
    ax.set_ylabel(f"Difference in {result.variable} (a − b)")
    grid(ax, "y")
    notes = f"filled: significant at {result.level:g}" + (
        "; dashed: alternative weights" if len(specs) > 1 else ""
    )
    ax.legend(frameon=False, fontsize="small", title=notes, title_fontsize="small",
              loc="upper left", bbox_to_anchor=(1.01, 1.0))
    default = f"Differences in {result.variable} between values of {result.over}, by k"
    ax.set_title(title if title is not None else default, loc="left")
    apply_fonts(ax)
    return ax


def contrasts(
    test: WaldTest,
    *,
    level: float = 0.95,
    ax: Axes | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """The contrasts of a Wald test with normal confidence intervals (dot-and-whisker).

    Each row is one restriction (each value minus the first, for a test of equality);
    the title gives the test statistic, its degrees of freedom and the p-value.

    Parameters
    ----------
    test
        A :class:`~mpi.WaldTest` (``result.wald_test(...)`` or ``mpi.wald_test(...)``).
    level
        Confidence level of the intervals ``estimate ± z se``.
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure (default: grows with the number of contrasts).
    title
        Chart title.

    Returns
    -------
    matplotlib.axes.Axes
        The error bar's line holds the contrasts (x) at rows 0, 1, ... (y, top first).

    Raises
    ------
    ValidationError
        For an argument that is not a ``WaldTest``.
    """
    check_result(test, WaldTest, "contrasts", "mpi.wald_test")
    table = test.contrasts
    est = table["estimate"].to_numpy(dtype=float)
    se = table["se"].to_numpy(dtype=float)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    rows = [
        "  ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in np.atleast_1d(key))
        for key in table.index
    ]
    if figsize is None:
        figsize = (6.5, max(2.4, 1.4 + 0.32 * len(rows)))
    ax = new_ax(ax, figsize)
    style_axes(ax)
    y = np.arange(len(rows))[::-1]
    ax.errorbar(est, y, xerr=z * se, fmt="o", color="#b2182b", ecolor="0.35", elinewidth=1.2,
                capsize=3, markersize=5)
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_yticks(y, rows)
    ax.set_ylabel(" × ".join(str(n) for n in table.index.names if n is not None) or "Contrast")
    ax.set_xlabel(f"Contrast (each value minus the first), {level:.0%} CI (normal)")
    grid(ax, "x")
    dist = "χ²" if test.method == "chi2" else "F"
    dof = f"{test.df1:g}" if test.method == "chi2" else f"{test.df1:g}, {test.df2:g}"
    default = f"Wald test: {dist}({dof}) = {test.statistic:.2f}, p = {test.p_value:.3g}"
    ax.set_title(title if title is not None else default, loc="left")
    apply_fonts(ax)
    return ax
