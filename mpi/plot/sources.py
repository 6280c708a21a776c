"""Chart of :class:`~mpi.MergeReport`: conflicting values per variable of a merge.

Same conventions as :mod:`mpi.plot`: ``ax=None`` makes a new figure, the Axes is returned,
``plt.show()`` is never called, and CJK labels get a CJK font when one is installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

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
        For an argument that is not a ``MergeReport``.
    """
    check_result(report, MergeReport, "conflicts", "mpi.merge_sources")
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
                label="Differing values (any difference)")
    ax.barh(y, counts, height=0.45 if differing else 0.7, color=ENTRY,
            label="Conflicts (beyond rtol)")
    if annotate:
        compared = table["compared"].to_numpy()
        ends = np.maximum(counts, table["differing"].to_numpy(dtype=float)) if differing else counts
        for yi, c, k, end in zip(y, counts, compared, ends, strict=True):
            ax.annotate(f"{int(c):,} of {int(k):,} compared", (end, yi), xytext=(4, 0),
                        textcoords="offset points", va="center", fontsize="x-small", color="0.3")
    ax.set_yticks(y, names)
    ax.set_xlabel("Keys (unit, wave) with values in two or more sources")
    grid(ax, "x")
    if n:
        ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.margins(x=0.3)
    else:
        ax.text(0.5, 0.5, "No variable is held by two or more sources", ha="center",
                va="center", transform=ax.transAxes, color="0.4")
    default = f"Conflicts between sources: {report.n_conflicts:,} in {n} shared variable(s)"
    ax.set_title(title if title is not None else default, loc="left")
    apply_fonts(ax)
    return ax


def coverage(
    report: MergeReport,
    *,
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
        For an argument that is not a ``MergeReport``.
    """
    check_result(report, MergeReport, "coverage", "mpi.merge_sources")
    table = report.coverage
    ax = new_ax(ax, figsize)
    style_axes(ax)
    waves = np.asarray(table.columns, dtype=float)
    for i, (name, row) in enumerate(table.iterrows()):
        ax.plot(waves, row.to_numpy(dtype=float), marker="o", markersize=3,
                color=LINE_COLORS[i % len(LINE_COLORS)], label=str(name))
    ax.set_xticks(waves, years_text(waves))
    ax.set_xlabel("Wave")
    ax.set_ylabel("Units with a record")
    grid(ax, "y")
    if len(table):
        ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    default = f"Units per source and wave ({report.n_units:,} units in the merged panel)"
    ax.set_title(title if title is not None else default, loc="left")
    apply_fonts(ax)
    return ax


def merge_chart(report: MergeReport, ax: Axes | None = None, **kwargs) -> Axes:
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
        Passed to the chart function.

    Returns
    -------
    matplotlib.axes.Axes
    """
    check_result(report, MergeReport, "merge_chart", "mpi.merge_sources")
    if len(report.variables):
        return conflicts(report, ax=ax, **kwargs)
    return coverage(report, ax=ax, **kwargs)
