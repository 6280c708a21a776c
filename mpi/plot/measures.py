"""Charts of cross-section measurement (:class:`~mpi.MeasureResult`): contributions of the
indicators, measures over the poverty cutoff k, and groups ranked with confidence intervals.
Changes over time, robustness and Wald contrasts are in :mod:`mpi.plot.comparisons`.

Every function takes ``ax=None`` (a new figure is made when omitted), returns the
:class:`matplotlib.axes.Axes` and never calls ``plt.show()``. Labels in Chinese (or any CJK
script) are drawn with a CJK font found on the system (see :func:`mpi.plot.cjk_font`).
Every function takes ``lang="en"`` or ``"zh"``: its titles, axis labels and legends come
from the label catalogue (:mod:`mpi._common.labels`), indicator names from the spec's
labels. A ``k=`` argument takes every form :func:`mpi.measure` accepts (``Fraction(1, 3)``,
``"1/3"``, ``1/3``, ``0.2``, ``"0.2"``) and selects that cutoff exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mpi._common.labels import check_lang, measure_label, text
from mpi.errors import ValidationError
from mpi.measurement.result import MeasureResult
from mpi.plot._style import (
    PALETTES,
    apply_fonts,
    check_result,
    grid,
    k_text,
    new_ax,
    rows_height,
    select_k,
    style_axes,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["contributions", "k_curve", "estimates"]


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


def _single_k(result: MeasureResult) -> Any:
    """The result's one cutoff when it has no ``k`` dimension, else None."""
    return None if result.k_dim else result.ks[0]


def contributions(
    result: MeasureResult,
    *,
    by: str | None = None,
    level: str = "indicator",
    relative: bool = False,
    k: Any = None,
    sort: bool = True,
    lang: str = "en",
    ax: Axes | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """Stacked bars of each group's M0 split into indicator (or dimension) contributions.

    The bar of a group has length :math:`M_0 = \\sum_j w_j h_j` (the censored headcount
    ratios :math:`h_j` weighted), split into the indicators' absolute contributions
    :math:`w_j h_j`; with ``relative`` the percentage contributions
    :math:`100\\, w_j h_j / M_0` (Alkire and Foster 2011, section 4.2).

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
        The cutoff to show when the result has several, in any form :func:`mpi.measure`
        accepts (``Fraction(1, 3)``, ``"1/3"``, ``1/3``, ``0.2``, ``"0.2"``).
    sort
        Order groups by M0 (highest on top).
    lang
        Language of the chart's words, ``"en"`` or ``"zh"`` (indicator names are the
        spec's labels).
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure (default: 8 inches wide, taller with more groups).
    title
        Chart title (a default names what is drawn).

    Returns
    -------
    matplotlib.axes.Axes
        One bar container per indicator (dimension), in spec order; bar ``i`` of each is
        group ``i`` from the bottom (the overall population last, on top).

    Raises
    ------
    ValidationError
        For a bad ``level``, ``by``, ``lang`` or a ``k`` the result does not have.
    """
    check_result(result, MeasureResult, "contributions", "mpi.measure")
    check_lang(lang)
    if level not in ("indicator", "dimension"):
        raise ValidationError(f"level must be 'indicator' or 'dimension'; got {level!r}")
    if by is None and len(result.groups) == 1:
        by = result.groups[0]
    if by is not None and by not in result.groups:
        raise ValidationError(
            f"by={by!r} is not a grouping variable of the result ({result.groups})"
        )
    overall, kk = select_k(
        result.overall.to_dataset(), k, func="contributions", single=_single_k(result)
    )
    frames = [(text("common.overall", lang), overall)]
    if by is not None:
        grouped, _ = select_k(
            result.marginal(by).to_dataset(), k, func="contributions", single=_single_k(result)
        )
        order = list(grouped[by].values)
        if sort:
            m0 = grouped["M0"].fillna(-1).values
            order = [order[i] for i in np.argsort(m0, kind="stable")]
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
        colors = [colormaps[PALETTES[i % len(PALETTES)]](0.7) for i in range(len(names))]
    ax = new_ax(ax, figsize or (8.0, rows_height(len(frames), lo=3.0)))
    style_axes(ax)
    ypos = np.arange(len(frames))
    left = np.zeros(len(frames))
    m0 = np.array([float(ds["M0"].fillna(0)) for _, ds in frames])
    for j, (name, label) in enumerate(zip(names, labels, strict=True)):
        share = np.array([float(ds[var].sel({level: name}).fillna(0)) for _, ds in frames])
        width = share * (100.0 if relative else m0)
        ax.barh(ypos, width, left=left, color=colors[j], label=label, height=0.7,
                edgecolor="white", linewidth=0.5)
        left += width
    ax.set_yticks(ypos, [name for name, _ in frames])
    ax.set_xlabel(
        text("plot.measures.contribution_percent_axis", lang) if relative
        else measure_label("M0", lang)
    )  # fmt: skip
    if by is not None:
        ax.axhline(len(frames) - 1.5, color="0.6", linewidth=0.8)
    grid(ax, "x")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small",
              title=text(f"common.{level}", lang))
    if title is None:
        what = text(f"plot.measures.level_{level}", lang)
        title = (
            text("plot.measures.contributions_title_by", lang, level=what, by=by) if by
            else text("plot.measures.contributions_title", lang, level=what)
        )  # fmt: skip
        if kk is not None:
            title += text("plot.measures.k_suffix", lang, k=k_text(kk))
    ax.set_title(title, loc="left")
    apply_fonts(ax)
    return ax


def k_curve(
    result: MeasureResult,
    *,
    measures: Sequence[str] = ("M0", "H", "A"),
    group: Any = None,
    lang: str = "en",
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
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure.
    title
        Chart title (a default names what is drawn).

    Returns
    -------
    matplotlib.axes.Axes
        One line per measure (``ax.lines``, in ``measures`` order; x = k ascending).

    Raises
    ------
    ValidationError
        For a result with one k, a bad ``group``, ``measures`` or ``lang``.
    """
    check_result(result, MeasureResult, "k_curve", "mpi.measure")
    check_lang(lang)
    if not result.k_dim or len(result.ks) < 2:
        raise ValidationError(
            "k_curve needs a result computed over several k, e.g. "
            "mpi.measure(data, spec, k=[0.2, 1/3, 0.5])"
        )
    if group is None:
        ds = result.overall.to_dataset()
    else:
        if len(result.groups) != 1:
            raise ValidationError("group= needs a result with exactly one by variable")
        ds = result.to_dataset().sel({result.groups[0]: group})
    ax = new_ax(ax, figsize)
    style_axes(ax)
    k = ds["k"].values
    order = np.argsort(k)
    markers = "osD^v<>"
    for i, m in enumerate(measures):
        if m not in ds or ds[m].dims != ("k",):
            raise ValidationError(f"{m!r} is not a measure with a k dimension in the result")
        ax.plot(k[order], ds[m].values[order], marker=markers[i % len(markers)], markersize=4,
                linewidth=1.6, label=measure_label(m, lang))
    spec_k = float(result.spec.k)
    if k.min() <= spec_k <= k.max():
        ax.axvline(spec_k, color="0.5", linestyle="--", linewidth=0.9)
        ax.annotate(text("plot.measures.k_mark", lang, k=k_text(result.spec.k)), (spec_k, 1.0),
                    xycoords=("data", "axes fraction"), xytext=(3, -12),
                    textcoords="offset points", fontsize="small", color="0.35")
    ax.set_xlabel(text("plot.measures.k_axis", lang))
    ax.set_ylabel(text("plot.measures.value", lang))
    ax.set_ylim(0, 1.02)
    grid(ax)
    ax.legend(frameon=False, fontsize="small")
    if title is None:
        title = text("plot.measures.k_curve_title", lang)
        if group is not None:
            title += text("plot.measures.group_suffix", lang, group=group)
    ax.set_title(title, loc="left")
    apply_fonts(ax)
    return ax


def estimates(
    result: MeasureResult,
    measure: str = "M0",
    *,
    by: str | None = None,
    level: float = 0.95,
    method: str = "logit",
    k: Any = None,
    lang: str = "en",
    ax: Axes | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """A measure by group, ranked, with design-based confidence intervals when there are.

    A result computed with ``design=`` gets dot-and-whisker intervals
    (:meth:`MeasureResult.ci`); a result without a design gets its point estimates only,
    and the axis label says so. A dashed line marks the overall population.

    Parameters
    ----------
    result
        A result with groups (one ``by`` variable, or ``by=`` naming one of several).
    measure
        Any estimand with the group dimension (``"M0"``, ``"H"``, ``"A"`` …).
    by
        The grouping variable to rank (default: the result's only one); with several,
        its margin (:meth:`MeasureResult.marginal`).
    level, method
        Confidence level and interval type, ``"logit"`` or ``"wald"`` (see
        :meth:`MeasureResult.ci`); unused without a design.
    k
        Which cutoff, when the result has several, in any form :func:`mpi.measure`
        accepts (``Fraction(1, 3)``, ``"1/3"``, ``1/3``, ``0.2``, ``"0.2"``).
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure (default: 6.5 inches wide, taller with more groups).
    title
        Chart title (a default names what is drawn).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.lines[0]`` holds the estimates (x) of the groups in ranked order (y = 0, 1,
        …, lowest first); with a design the error bars are ``ax.collections``.

    Raises
    ------
    ValidationError
        For a result without groups, an unknown ``by``, ``measure``, ``method``, ``lang``
        or a ``k`` the result does not have.
    """
    check_result(result, MeasureResult, "estimates", "mpi.measure")
    check_lang(lang)
    if method not in ("logit", "wald"):
        raise ValidationError(f"method must be 'logit' or 'wald'; got {method!r}")
    if by is None:
        if len(result.groups) != 1:
            raise ValidationError(
                f"estimates() ranks the groups of one by variable; the result has "
                f"{result.groups}: pass by= one of them"
            )
        by = result.groups[0]
    if by not in result.groups:
        raise ValidationError(
            f"by={by!r} is not a grouping variable of the result ({result.groups})"
        )
    source = result.marginal(by) if len(result.groups) > 1 else result
    single = _single_k(result)
    ds, _ = select_k(source.to_dataset(), k, func="estimates", single=single)
    if measure not in ds or ds[measure].dims != (by,):
        raise ValidationError(f"{measure!r} is not a measure by {by!r} in the result")
    val = ds[measure].values
    order = np.argsort(val, kind="stable")
    labels = [str(x) for x in ds[by].values[order]]
    ax = new_ax(ax, figsize or (6.5, rows_height(len(order))))
    style_axes(ax)
    y = np.arange(len(order))
    name = measure_label(measure, lang)
    if result.has_design:
        ci, _ = select_k(source.ci(level, method), k, func="estimates", single=single)
        lo = ci[measure].sel(bound="lower").values[order]
        hi = ci[measure].sel(bound="upper").values[order]
        ax.errorbar(val[order], y, xerr=[val[order] - lo, hi - val[order]], fmt="o",
                    color="#b2182b", ecolor="0.35", elinewidth=1.2, capsize=3, markersize=5)
        ax.set_xlabel(text("plot.measures.ci_axis", lang, measure=name, level=100 * level,
                           method=text(f"plot.measures.method_{method}", lang)))
    else:
        ax.plot(val[order], y, linestyle="none", marker="o", color="#b2182b", markersize=5)
        ax.set_xlabel(text("plot.measures.point_axis", lang, measure=name))
    overall = float(select_k(result.overall.to_dataset(), k, func="estimates",
                             single=single)[0][measure])
    ax.axvline(overall, color="0.5", linestyle="--", linewidth=0.9)
    ax.annotate(text("common.overall", lang), (overall, 1.0), xycoords=("data", "axes fraction"),
                xytext=(3, -12), textcoords="offset points", fontsize="small", color="0.35")
    ax.set_yticks(y, labels)
    grid(ax, "x")
    if title is None:
        title = text("plot.measures.by_title", lang, measure=name, group=by)
    ax.set_title(title, loc="left")
    apply_fonts(ax)
    return ax
