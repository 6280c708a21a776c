"""Charts of a composite index (:class:`~mpi.CompositeResult`): the ranking of the units with
each indicator's (or dimension's) contribution, the weighted group means, and the
distribution of the index; and the chart of the poor areas identified from such an index or
from area indicators (:class:`~mpi.identification.areas_result.PoorAreasResult`).

Same conventions as :mod:`mpi.plot`: ``ax=None`` makes a new figure (a matplotlib
:class:`~matplotlib.figure.Figure`, not pyplot), the Axes is returned, ``plt.show()`` is never
called, CJK labels get a CJK font found on the system, and ``lang="en"`` or ``"zh"`` chooses
the language of the chart's words (from the label catalogue, :mod:`mpi._common.labels`;
indicator and dimension names are the spec's labels).
"""

from __future__ import annotations

import textwrap
from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np

from mpi._common.exact import to_fraction
from mpi._common.labels import check_lang, text
from mpi.composites.result import CompositeResult
from mpi.errors import ValidationError
from mpi.identification.areas_result import PoorAreasResult
from mpi.plot._style import (
    ENTRY,
    EXIT,
    LINE_COLORS,
    MUTED,
    NET,
    PALETTES,
    apply_fonts,
    check_result,
    grid,
    new_ax,
    rows_height,
    style_axes,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["composite", "poor_areas", "KINDS", "LEVELS", "check_top", "group_names"]

#: The charts of :func:`composite`.
KINDS = ("ranking", "groups", "distribution")
#: The parts a ranking bar is split into.
LEVELS = ("indicator", "dimension")


def check_top(top: Any, func: str) -> int:
    """``top`` as a positive integer, else a :class:`~mpi.ValidationError` naming it.

    Parameters
    ----------
    top
        The number of units to show (at each end of a ranking).
    func
        The chart function's name, for the message.

    Returns
    -------
    int
    """
    if isinstance(top, bool) or not isinstance(top, Integral) or int(top) < 1:
        raise ValidationError(f"{func}(top={top!r}): give a positive integer, e.g. top=15")
    return int(top)


def group_names(index: pd.Index, lang: str) -> list[str]:
    """Display names of the rows of :meth:`CompositeResult.groups` (combinations joined).

    Parameters
    ----------
    index
        The index of the group table (a MultiIndex for several ``by`` variables).
    lang
        ``"en"`` or ``"zh"``.

    Returns
    -------
    list of str
    """
    sep = text("plot.composite.group_separator", lang)
    return [sep.join(map(str, v)) if isinstance(v, tuple) else str(v) for v in index]


def _index_name(result: CompositeResult) -> str:
    attrs = result.to_dataset().attrs
    return str(attrs.get("title") or attrs.get("spec") or "")


def _part_colors(result: CompositeResult, level: str, names: list[str]) -> list[Any]:
    """One colour per dimension (its palette), or per indicator (shades of its dimension's;
    distinct colours when all the indicators belong to one dimension)."""
    from matplotlib import colormaps

    spec = result.spec
    dims = [d.name for d in spec.dimensions]
    if level == "dimension":
        return [colormaps[PALETTES[dims.index(n) % len(PALETTES)]](0.7) for n in names]
    dim_of = {i.name: i.dimension for i in spec.indicators}
    if len({dim_of[n] for n in names}) == 1:
        # one dimension: shades of one hue cannot tell eight indicators apart
        qualitative = colormaps["tab10"]
        return [qualitative(k % 10) for k in range(len(names))]
    colors = []
    for name in names:
        dim = dim_of[name]
        members = [n for n in names if dim_of[n] == dim]
        cmap = colormaps[PALETTES[dims.index(dim) % len(PALETTES)]]
        pos = members.index(name)
        colors.append(cmap(0.85 - 0.5 * pos / max(1, len(members) - 1)))
    return colors


def _parts(result: CompositeResult, level: str) -> tuple[list[str], list[str], np.ndarray]:
    """Names, display labels and contributions ``(unit, part)`` at ``level``."""
    ds = result.to_dataset()
    contrib = np.asarray(ds["contribution"].transpose("unit", "indicator").values, dtype=float)
    indicators = [str(i) for i in ds["indicator"].values]
    spec = result.spec
    by_name = {i.name: i for i in spec.indicators}
    if level == "indicator":
        labels = [by_name[n].label or n for n in indicators]
        return indicators, labels, contrib
    dims = [str(d) for d in ds["dimension"].values]
    dim_label = {d.name: d.label or d.name for d in spec.dimensions}
    code = np.array([dims.index(by_name[n].dimension) for n in indicators], dtype=np.int64)
    out = np.zeros((contrib.shape[0], len(dims)))
    for j, c in enumerate(code):
        out[:, c] += contrib[:, j]  # left to right, as the engine sums
    return dims, [dim_label[d] for d in dims], out


def composite(
    result: CompositeResult,
    ax: Axes | None = None,
    *,
    kind: str = "ranking",
    top: int = 15,
    level: str = "indicator",
    lang: str = "en",
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """The ranking of the units by a composite index, its group means, or its distribution.

    ``kind="ranking"``: horizontal stacked bars of the ``top`` highest- and ``top``
    lowest-ranked units (every unit when there are at most ``2 top``), rank 1 at the top, each
    bar split into the Euler contributions :math:`c_{ij}` of the indicators (or, with
    ``level="dimension"``, of the dimensions: :math:`\\sum_{j \\in d} c_{ij}`), which sum to
    the unit's index :math:`I_i = \\sum_j c_{ij}` (see :func:`mpi.composites.engine.evaluate`).
    Negative contributions (z-scores) stack to the left of zero, and a black tick then marks
    each unit's index. A grey line separates the top from the bottom units.

    ``kind="groups"``: the weighted group means of the index (:meth:`CompositeResult.groups`,
    :math:`\\bar I_g = \\sum_{i \\in g} w_i I_i / \\sum_{i \\in g} w_i`) as a dot chart,
    highest on top, with the mean of all units as a dashed line.

    ``kind="distribution"``: a histogram of the index over the units measured (a count of
    units), the weighted mean of all units as a dashed line and, with groups, each group's
    weighted mean as a triangle near the top edge (named in the legend for up to 7 groups).

    Parameters
    ----------
    result
        A result of :func:`mpi.composite`.
    ax
        Axes to draw on; a new figure is created when omitted.
    kind
        ``"ranking"``, ``"groups"`` or ``"distribution"``.
    top
        ``"ranking"``: units shown at each end of the ranking.
    level
        ``"ranking"``: split the bars into ``"indicator"`` or ``"dimension"`` contributions.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    figsize
        Size of the new figure (default: 8 inches wide, taller with more rows).
    title
        Chart title (default names the index and what is drawn, in ``lang``).

    Returns
    -------
    matplotlib.axes.Axes
        ``"ranking"``: one bar container per indicator (dimension) in the order of the
        result's ``indicator`` (``dimension``) coordinate, bar ``i`` of each the ``i``-th unit
        shown (best rank first); y tick labels ``"<rank>. <unit>"``;
        ``ax.lines``: the dotted separator (when units are left out), then, with negative
        contributions, the index marks and the zero line. ``"groups"``: the overall
        mean as ``ax.lines[0]`` and the group means as ``ax.lines[1]`` (x data: the means,
        lowest first, drawn at the bottom; y tick labels: the groups in that order). ``"distribution"``: the histogram's bar container,
        the overall mean as ``ax.lines[0]`` and, with groups, the group means after it, in
        the order of ``groups()``: one line per group (its own colour and legend entry) for
        up to 7 groups, else one line holding all the means.

    Raises
    ------
    ValidationError
        For a bad ``kind``, ``top``, ``level`` or ``lang``; ``kind="groups"`` for a result
        without groups; a result whose units were all dropped.
    """
    check_result(result, CompositeResult, "composite", "mpi.composite")
    check_lang(lang)
    if kind not in KINDS:
        raise ValidationError(
            f"composite(kind={kind!r}): kind must be one of {list(KINDS)}, e.g. kind='ranking'"
        )
    top = check_top(top, "composite")
    if level not in LEVELS:
        raise ValidationError(
            f"composite(level={level!r}): level must be 'indicator' or 'dimension'"
        )
    index = np.asarray(result.to_dataset()["index"].values, dtype=float)
    if not np.isfinite(index).any():
        raise ValidationError(
            "composite(): every unit of the result was dropped (no index to draw); see "
            "result.summary() for the missing values"
        )
    if kind == "ranking":
        ax = _ranking(result, ax, top=top, level=level, lang=lang, figsize=figsize)
    elif kind == "groups":
        ax = _groups(result, ax, lang=lang, figsize=figsize)
    else:
        ax = _distribution(result, ax, lang=lang, figsize=figsize)
    if title is not None:
        ax.set_title(title, loc="left")
    apply_fonts(ax)
    return ax


def _ranking(
    result: CompositeResult,
    ax: Axes | None,
    *,
    top: int,
    level: str,
    lang: str,
    figsize: tuple[float, float] | None,
) -> Axes:
    ds = result.to_dataset()
    rank = np.asarray(ds["rank"].values, dtype=float)
    index = np.asarray(ds["index"].values, dtype=float)
    units = [str(u) for u in ds["unit"].values]
    ranked = np.flatnonzero(np.isfinite(rank))
    ranked = ranked[np.lexsort((ranked, rank[ranked]))]
    split = len(ranked) > 2 * top
    rows = np.concatenate([ranked[:top], ranked[-top:]]) if split else ranked
    names, labels, contrib = _parts(result, level)
    colors = _part_colors(result, level, names)
    n = len(rows)
    ypos = np.arange(n, dtype=float)
    if split:
        ypos[top:] += 1.0  # a gap row between the top and the bottom units
    ax = new_ax(ax, figsize or (8.0, rows_height(n + int(split), lo=3.0)))
    style_axes(ax)
    if split:
        ax.axhline(top, color="0.6", linewidth=0.8, linestyle=":")
    right = np.zeros(n)
    left = np.zeros(n)
    values = contrib[rows]
    for j, label in enumerate(labels):
        width = np.nan_to_num(values[:, j])
        start = np.where(width >= 0, right, left)
        ax.barh(ypos, width, left=start, color=colors[j], label=label, height=0.72,
                edgecolor="white", linewidth=0.5)  # fmt: skip
        right += np.where(width >= 0, width, 0.0)
        left += np.where(width < 0, width, 0.0)
    if (left < 0).any():
        ax.plot(index[rows], ypos, linestyle="none", marker="|", markersize=11,
                markeredgewidth=2, color=NET, label=text("plot.composite.index_marker", lang))  # fmt: skip
        ax.axvline(0, color="0.4", linewidth=0.8)
    ticks = [
        text("plot.composite.unit_rank", lang, rank=f"{rank[i]:.0f}", unit=units[i]) for i in rows
    ]
    ax.set_yticks(ypos, ticks)
    ax.set_ylim(ypos[-1] + 0.7, -0.7)  # rank 1 on top
    grid(ax, "x")
    ax.set_xlabel(text("plot.composite.index_axis", lang))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small",
              title=text(f"common.{level}", lang))  # fmt: skip
    what = text(f"plot.composite.level_{level}", lang)
    key = "plot.composite.ranking_title" if split else "plot.composite.ranking_title_all"
    heading = text(key, lang, name=_index_name(result), n=top, level=what)
    ax.set_title(textwrap.fill(heading, 70 if lang == "en" else 36), loc="left")
    return ax


def _groups(
    result: CompositeResult,
    ax: Axes | None,
    *,
    lang: str,
    figsize: tuple[float, float] | None,
) -> Axes:
    if not result.by:
        raise ValidationError(
            "composite(kind='groups'): the result has no groups; call "
            "mpi.composite(..., by='<column>') or draw kind='ranking'"
        )
    table = result.groups(overall=True)
    overall = float(table["index"].iloc[-1])
    g = table.iloc[:-1]
    means = g["index"].to_numpy(dtype=float)
    names = group_names(g.index, lang)
    order = np.lexsort((np.arange(len(means)), np.nan_to_num(means, nan=-np.inf)))
    n = len(order)
    ax = new_ax(ax, figsize or (7.0, rows_height(n, lo=2.6)))
    style_axes(ax)
    ax.axvline(overall, color=ENTRY, linestyle="--", linewidth=1.2,
               label=text("plot.composite.overall_mean", lang, value=overall))  # fmt: skip
    ax.plot(means[order], np.arange(n), linestyle="none", marker="o", markersize=7,
            color=EXIT, label=text("plot.composite.group_axis", lang))  # fmt: skip
    ax.set_yticks(np.arange(n), [names[i] for i in order])
    ax.set_ylim(-0.6, n - 0.4)
    grid(ax, "both")
    ax.set_xlabel(text("plot.composite.group_axis", lang))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small")
    by = text("plot.composite.group_separator", lang).join(result.by)
    ax.set_title(
        text("plot.composite.groups_title", lang, name=_index_name(result), by=by), loc="left"
    )
    return ax


def _distribution(
    result: CompositeResult,
    ax: Axes | None,
    *,
    lang: str,
    figsize: tuple[float, float] | None,
) -> Axes:
    from matplotlib.transforms import blended_transform_factory

    index = np.asarray(result.to_dataset()["index"].values, dtype=float)
    values = index[np.isfinite(index)]
    table = result.groups(overall=True)
    overall = float(table["index"].iloc[-1])
    ax = new_ax(ax, figsize or (7.0, 4.0))
    style_axes(ax)
    bins = int(np.clip(np.ceil(np.sqrt(len(values))), 5, 40))
    ax.hist(values, bins=bins, color=MUTED, edgecolor="white", linewidth=0.5)
    ax.axvline(overall, color=ENTRY, linestyle="--", linewidth=1.2,
               label=text("plot.composite.overall_mean", lang, value=overall))  # fmt: skip
    if result.by:
        g = table.iloc[:-1]
        means = g["index"].to_numpy(dtype=float)
        by = text("plot.composite.group_separator", lang).join(result.by)
        trans = blended_transform_factory(ax.transData, ax.transAxes)
        if len(means) <= len(LINE_COLORS):
            for i, (name, x) in enumerate(zip(group_names(g.index, lang), means, strict=True)):
                ax.plot([x], [0.97], transform=trans, linestyle="none", marker="v",
                        markersize=8, color=LINE_COLORS[i], markeredgecolor="white",
                        label=text("plot.composite.group_mean", lang, group=name, value=x))  # fmt: skip
        else:
            ax.plot(means, np.full(len(means), 0.97), transform=trans, linestyle="none",
                    marker="v", markersize=7, color=EXIT, markeredgecolor="white",
                    label=text("plot.composite.group_means", lang, by=by))  # fmt: skip
    grid(ax, "y")
    ax.set_xlabel(text("plot.composite.distribution_axis", lang))
    ax.set_ylabel(text("plot.composite.units_axis", lang))
    ax.legend(frameon=False, loc="upper left", fontsize="small")
    ax.set_title(
        text("plot.composite.distribution_title", lang, name=_index_name(result), n=len(values)),
        loc="left",
    )
    return ax


def poor_areas(
    result: PoorAreasResult,
    ax: Axes | None = None,
    *,
    lang: str = "en",
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """The index (or deprivation score) of every area, poorest first, poor areas highlighted.

    One bar per area kept (dropped areas have no rank), ordered by rank from the poorest
    (rank 1: the lowest index, or the highest deprivation score on the Alkire-Foster way; ties
    in data order), the poor areas red and the others grey; a dashed line marks the rule:
    the ``cutoff`` (poor below it), the boundary value of the ``count`` lowest areas, or the
    poverty cutoff ``k`` of the deprivation score. With an official list, a black tick at the
    top marks each area on it (the comparison itself is ``result.targeting``). Area ids label
    the bars when there are at most 60 areas.

    Parameters
    ----------
    result
        A result of :func:`mpi.poor_areas`.
    ax
        Axes to draw on; a new figure is created when omitted.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    figsize
        Size of the new figure (default: 8 by 4 inches).
    title
        Chart title (default gives the number of poor areas, in ``lang``).

    Returns
    -------
    matplotlib.axes.Axes
        Two bar containers: the poor areas, then the others; bar ``x`` positions are the
        areas' places in the order (0 = the poorest). ``ax.lines``: the dashed rule line,
        then (with an official list) the marks of the listed areas (x data: their places).

    Raises
    ------
    ValidationError
        For a result that is not a :class:`~mpi.identification.areas_result.PoorAreasResult`
        or a bad ``lang``.
    """
    from matplotlib.transforms import blended_transform_factory

    check_result(result, PoorAreasResult, "poor_areas", "mpi.poor_areas")
    check_lang(lang)
    ds = result.to_dataset()
    var = result.value_name
    value = np.asarray(ds[var].values, dtype=float)
    rank = np.asarray(ds["rank"].values, dtype=float)
    poor = np.asarray(ds["poor"].values, dtype=bool)
    ids = ds["unit"].values
    kept = np.flatnonzero(np.isfinite(rank))
    order = kept[np.lexsort((kept, rank[kept]))]
    n = len(order)
    x = np.arange(n, dtype=float)
    is_poor = poor[order]
    ax = new_ax(ax, figsize or (8.0, 4.0))
    style_axes(ax)
    width = 0.8 if n <= 60 else 1.0
    edge = {"edgecolor": "white", "linewidth": 0.4} if n <= 60 else {"linewidth": 0}
    ax.bar(x[is_poor], value[order][is_poor], width=width, color=ENTRY,
           label=text("plot.composite.poor", lang), **edge)  # fmt: skip
    ax.bar(x[~is_poor], value[order][~is_poor], width=width, color=MUTED,
           label=text("plot.composite.not_poor", lang), **edge)  # fmt: skip
    a = ds.attrs
    if a["method"] == "cutoff":
        level, label = float(a["cutoff"]), text("plot.composite.cutoff", lang, cutoff=a["cutoff"])
    elif a["method"] == "count":
        level = float(a["boundary"])
        label = text("plot.composite.boundary", lang, count=a["count"], boundary=level)
    else:
        level = float(to_fraction(str(a["k"]), argument="k"))
        label = text("plot.composite.k_line", lang, k=a["k"])
    ax.axhline(level, color=NET, linestyle="--", linewidth=1.1, label=label)
    if "official" in ds:
        listed = np.asarray(ds["official"].values, dtype=float)[order] == 1
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo, hi + 0.08 * (hi - lo))  # room for the marks above the bars
        trans = blended_transform_factory(ax.transData, ax.transAxes)
        ax.plot(x[listed], np.full(int(listed.sum()), 0.98), transform=trans,
                linestyle="none", marker="|", markersize=8, markeredgewidth=1.4, color=NET,
                label=text("plot.composite.official", lang))  # fmt: skip
    if n <= 60:
        ax.set_xticks(x, [str(ids[i]) for i in order], rotation=90, fontsize="small")
    else:
        ax.set_xticks([])
    ax.set_xlim(-0.6, n - 0.4)
    grid(ax, "y")
    ax.set_xlabel(text("plot.composite.areas_axis", lang))
    ax.set_ylabel(text(f"plot.composite.areas_{var}", lang))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small")
    default = text("plot.composite.areas_title", lang, n_poor=int(poor.sum()), n=n)
    ax.set_title(title if title is not None else default, loc="left")
    apply_fonts(ax)
    return ax
