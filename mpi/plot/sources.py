"""Chart of :class:`~mpi.MergeReport`: conflicting values per variable of a merge.

Same conventions as :mod:`mpi.plot`: ``ax=None`` makes a new figure, the Axes is returned,
``plt.show()`` is never called, CJK labels get a CJK font found on the system, and
``lang="en"`` or ``"zh"`` chooses the language of the chart's words (from the label
catalogue, :mod:`mpi._common.labels`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mpi._common.labels import check_lang, text
from mpi.dynamics.build import MergeReport
from mpi.plot._style import (
    ENTRY,
    LINE_COLORS,
    MUTED,
    apply_fonts,
    check_result,
    grid,
    new_ax,
    style_axes,
    years_text,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["conflicts", "coverage", "merge_chart"]


def conflicts(
    report: MergeReport,
    *,
    differing: bool = True,
    annotate: bool = True,
    lang: str = "en",
    ax: Axes | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """Horizontal bars of the conflicting values per variable held by several sources.

    A conflict is a key (unit, wave) whose sources disagree beyond the variable's
    tolerance ``rtol``; with ``differing`` a light bar behind shows the keys whose values
    differ at all. Variables are sorted by their number of conflicts (most on top).

    Parameters
    ----------
    report
        The :class:`~mpi.MergeReport` of ``mpi.merge_sources(...)``.
    differing
        Draw the keys with differing values (within or beyond ``rtol``) behind.
    annotate
        Write the number of conflicts (and of keys compared) after each bar.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure (default: grows with the number of variables).
    title
        Chart title.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.containers[-1]`` holds one bar per variable, its width the variable's
        ``conflicts``. A report without a variable in two or more sources gives an empty
        chart saying so.

    Raises
    ------
    ValidationError
        For an argument that is not a ``MergeReport`` or an unknown ``lang``.
    """
    check_result(report, MergeReport, "conflicts", "mpi.merge_sources")
    check_lang(lang)
    table = report.variables.sort_values("conflicts", kind="stable")
    n = len(table)
    if figsize is None:
        figsize = (7.5, max(2.4, 1.2 + 0.4 * n))
    ax = new_ax(ax, figsize)
    style_axes(ax)
    y = np.arange(n)
    names = [str(v) for v in table.index]
    counts = table["conflicts"].to_numpy(dtype=float)
    if differing and n:
        ax.barh(y, table["differing"].to_numpy(dtype=float), height=0.7, color=MUTED,
                label=text("plot.sources.differing", lang))
    ax.barh(y, counts, height=0.45 if differing else 0.7, color=ENTRY,
            label=text("plot.sources.conflicts", lang))
    if annotate:
        compared = table["compared"].to_numpy()
        ends = np.maximum(counts, table["differing"].to_numpy(dtype=float)) if differing else counts
        for yi, c, k, end in zip(y, counts, compared, ends, strict=True):
            note = text("plot.sources.compared", lang, conflicts=int(c), compared=int(k))
            ax.annotate(note, (end, yi), xytext=(4, 0),
                        textcoords="offset points", va="center", fontsize="x-small", color="0.3")
    ax.set_yticks(y, names)
    ax.set_xlabel(text("plot.sources.keys_axis", lang))
    grid(ax, "x")
    if n:
        ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.margins(x=0.3)
    else:
        ax.text(0.5, 0.5, text("plot.sources.no_shared", lang), ha="center", va="center",
                transform=ax.transAxes, color="0.4")
    if title is None:
        title = text("plot.sources.conflicts_title", lang, n=report.n_conflicts, variables=n)
    ax.set_title(title, loc="left")
    apply_fonts(ax)
    return ax


def coverage(
    report: MergeReport,
    *,
    lang: str = "en",
    ax: Axes | None = None,
    figsize: tuple[float, float] = (7.5, 4.0),
    title: str | None = None,
) -> Axes:
    """Units each time-varying source holds in each wave: one line per source.

    A drop in one source's line is a registry that lost households that year (a gap the
    merged panel then carries as missing values for that source's variables).

    Parameters
    ----------
    report
        The :class:`~mpi.MergeReport` of ``mpi.merge_sources(...)``.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure.
    title
        Chart title.

    Returns
    -------
    matplotlib.axes.Axes
        One line per source in ``report.coverage`` (``ax.lines`` in its row order), its
        values the units of that source in each wave.

    Raises
    ------
    ValidationError
        For an argument that is not a ``MergeReport`` or an unknown ``lang``.
    """
    check_result(report, MergeReport, "coverage", "mpi.merge_sources")
    check_lang(lang)
    table = report.coverage
    ax = new_ax(ax, figsize)
    style_axes(ax)
    waves = np.asarray(table.columns, dtype=float)
    for i, (name, row) in enumerate(table.iterrows()):
        ax.plot(waves, row.to_numpy(dtype=float), marker="o", markersize=3,
                color=LINE_COLORS[i % len(LINE_COLORS)], label=str(name))
    ax.set_xticks(waves, years_text(waves))
    ax.set_xlabel(text("common.wave", lang))
    ax.set_ylabel(text("plot.sources.units_axis", lang))
    grid(ax, "y")
    if len(table):
        ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if title is None:
        title = text("plot.sources.coverage_title", lang, n=report.n_units)
    ax.set_title(title, loc="left")
    apply_fonts(ax)
    return ax


def merge_chart(report: MergeReport, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """The natural chart of a :class:`~mpi.MergeReport` (``report.plot()``).

    The conflicts per shared variable (:func:`conflicts`) when the sources share a
    variable; otherwise the units each source holds per wave (:func:`coverage`).

    Parameters
    ----------
    report
        The :class:`~mpi.MergeReport` of ``mpi.merge_sources(...)``.
    ax
        Axes to draw on; a new figure is created when omitted.
    **kwargs
        Passed to the chart function (``lang=`` among them).

    Returns
    -------
    matplotlib.axes.Axes
    """
    check_result(report, MergeReport, "merge_chart", "mpi.merge_sources")
    if len(report.variables):
        return conflicts(report, ax=ax, **kwargs)
    return coverage(report, ax=ax, **kwargs)
