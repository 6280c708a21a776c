"""Charts of the uncertainty analysis of a composite index
(:class:`~mpi.composites.uncertainty_result.CompositeUncertaintyResult`): the rank interval of
every unit (COINr's ``plot_uncertainty``) and the Sobol sensitivity indices of the choices.

Same conventions as :mod:`mpi.plot`: ``ax=None`` makes a new figure (a matplotlib
:class:`~matplotlib.figure.Figure`, not pyplot), the Axes is returned, ``plt.show()`` is never
called, CJK labels get a CJK font found on the system, and ``lang="en"`` or ``"zh"`` chooses
the language of the chart's words (from the label catalogue, :mod:`mpi._common.labels`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mpi._common.labels import check_lang, text
from mpi.composites.uncertainty_result import CompositeUncertaintyResult
from mpi.errors import ValidationError
from mpi.plot._style import (
    ENTRY,
    EXIT,
    NET,
    STAYERS,
    apply_fonts,
    check_result,
    grid,
    new_ax,
    rows_height,
    style_axes,
)
from mpi.plot.composite import check_top

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["rank_shifts", "sensitivity", "ORDERS"]

#: How :func:`rank_shifts` orders the units.
ORDERS = ("nominal", "median")
_CALL = "mpi.CompositeResult.uncertainty"


def _rows(ds: Any, units: Sequence[Any] | None, top: int, order: str) -> np.ndarray:
    """Positions (in the ``unit`` coordinate) of the units to draw, in drawing order."""
    nominal = np.asarray(ds["nominal_rank"].values, dtype=float)
    median = np.asarray(ds["median_rank"].values, dtype=float)
    key = nominal if order == "nominal" else median
    ids = list(ds["unit"].values)
    if units is None:
        chosen = np.flatnonzero(np.isfinite(nominal))
    else:
        if isinstance(units, str) or not isinstance(units, Sequence) or not len(units):
            raise ValidationError(
                f"rank_shifts(units={units!r}): give a non-empty list of unit ids, e.g. "
                f"units={[str(u) for u in ids[:2]]!r}"
            )
        lookup = {u: i for i, u in enumerate(ids)} | {str(u): i for i, u in enumerate(ids)}
        missing = [u for u in units if u not in lookup]
        if missing:
            raise ValidationError(
                f"rank_shifts(units=...): {missing[0]!r} is not a unit of the result; its "
                f"units are e.g. {[str(u) for u in ids[:5]]!r}"
            )
        chosen = np.array([lookup[u] for u in units], dtype=np.int64)
        if len(set(chosen.tolist())) != len(chosen):
            raise ValidationError("rank_shifts(units=...): a unit is listed twice; list each once")
        dropped = [units[j] for j, i in enumerate(chosen) if not np.isfinite(nominal[i])]
        if dropped:
            raise ValidationError(
                f"rank_shifts(units=...): {dropped[0]!r} was dropped from the index (missing "
                "values), so it has no rank; leave it out"
            )
    chosen = chosen[np.lexsort((nominal[chosen], key[chosen]))]
    return chosen if units is not None else chosen[:top]


def rank_shifts(
    result: CompositeUncertaintyResult,
    ax: Axes | None = None,
    *,
    units: Sequence[Any] | None = None,
    top: int = 20,
    order: str = "nominal",
    lang: str = "en",
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """The rank interval chart: each unit's nominal rank, median rank and 5--95 % interval.

    One row per unit (the first at the top): a line from the 5 % to the 95 % quantile of the
    unit's rank over the Monte Carlo runs (``rank_q05``, ``rank_q95``), a hollow circle at
    its nominal rank (the spec's own choices) and a filled diamond at its median rank, as in
    COINr's ``plot_uncertainty`` (Becker et al. 2022; OECD/JRC Handbook 2008, step 7). Rank 1
    (the highest index) is on the left.

    Parameters
    ----------
    result
        A result of :meth:`mpi.CompositeResult.uncertainty`.
    ax
        Axes to draw on; a new figure is created when omitted.
    units
        Unit ids to draw (default: the ``top`` first units in ``order``; units dropped from
        the index have no rank and are left out).
    top
        Number of units drawn when ``units`` is None.
    order
        ``"nominal"``: by nominal rank; ``"median"``: by median rank (ties by nominal rank).
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    figsize
        Size of the new figure (default: 7 inches wide, taller with more units).
    title
        Chart title (default says what is drawn and the number of runs, in ``lang``).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.collections[0]`` holds the intervals (one segment per unit, first unit first),
        ``ax.lines[0]`` the nominal ranks and ``ax.lines[1]`` the median ranks (x data:
        ranks, y data: rows 0, 1, …); y tick labels: the unit ids.

    Raises
    ------
    ValidationError
        For a bad ``order``, ``top``, ``lang``, or a unit that is not in the result or has
        no rank.
    """
    check_result(result, CompositeUncertaintyResult, "rank_shifts", _CALL)
    check_lang(lang)
    if order not in ORDERS:
        raise ValidationError(f"rank_shifts(order={order!r}): order must be 'nominal' or 'median'")
    top = check_top(top, "rank_shifts")
    ds = result.to_dataset()
    rows = _rows(ds, units, top, order)
    if not len(rows):
        raise ValidationError("rank_shifts(): no unit of the result has a rank (all dropped)")
    n = len(rows)
    y = np.arange(n, dtype=float)
    pick = {v: np.asarray(ds[v].values, dtype=float)[rows]
            for v in ("nominal_rank", "median_rank", "rank_q05", "rank_q95")}  # fmt: skip
    ax = new_ax(ax, figsize or (7.0, rows_height(n, lo=3.0)))
    style_axes(ax)
    ax.hlines(y, pick["rank_q05"], pick["rank_q95"], color=STAYERS, linewidth=3.0,
              label=text("plot.composite.rank_interval", lang))  # fmt: skip
    ax.plot(pick["nominal_rank"], y, linestyle="none", marker="o", markersize=7,
            markerfacecolor="white", markeredgecolor=EXIT, markeredgewidth=1.6,
            label=text("plot.composite.nominal_rank", lang))  # fmt: skip
    ax.plot(pick["median_rank"], y, linestyle="none", marker="D", markersize=5, color=ENTRY,
            label=text("plot.composite.median_rank", lang))  # fmt: skip
    ids = ds["unit"].values
    ax.set_yticks(y, [str(ids[i]) for i in rows])
    ax.set_ylim(n - 0.4, -0.6)
    lo = float(np.nanmin(pick["rank_q05"]))
    ax.set_xlim(max(0.0, lo - 1.0), float(np.nanmax(pick["rank_q95"])) + 1.0)
    grid(ax, "x")
    ax.set_xlabel(text("plot.composite.rank_axis", lang))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small")
    if title is None:
        title = text(
            "plot.composite.title_order",
            lang,
            title=text("plot.composite.rank_shifts_title", lang,
                       runs=int(ds.attrs["rank_stat_runs"])),
            order=text(f"plot.composite.order_{order}", lang),
        )  # fmt: skip
    ax.set_title(title, loc="left")
    apply_fonts(ax)
    return ax


def sensitivity(
    result: CompositeUncertaintyResult,
    ax: Axes | None = None,
    *,
    lang: str = "en",
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """First-order and total Sobol indices of each choice, for the mean absolute rank shift.

    The target is COINr's: the mean over the units of :math:`|r_{ir} - r_i^0|` in run
    :math:`r` (``rank_shift``). Per factor two bars: the first-order index
    :math:`S_i = V[E(Y \\mid X_i)] / V(Y)` (Saltelli et al. 2010 estimator) and the total
    index :math:`S_{Ti} = E[V(Y \\mid X_{\\sim i})] / V(Y)` (Jansen 1999), with their
    bootstrap percentile intervals as error bars when the analysis had a bootstrap (an interval
    that misses its estimate, which percentile intervals of small samples can, is drawn from
    the estimate to the interval's far end). A total
    index well above the first-order one means the factor acts through interactions.

    Parameters
    ----------
    result
        A result of :meth:`mpi.CompositeResult.uncertainty` with ``sobol=True``.
    ax
        Axes to draw on; a new figure is created when omitted.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    figsize
        Size of the new figure (default: 7 inches wide, taller with more factors).
    title
        Chart title (default names what is drawn, in ``lang``).

    Returns
    -------
    matplotlib.axes.Axes
        Two bar containers in ``ax.containers`` (first-order, then total), one bar per factor
        in the result's order (the first at the top); with a bootstrap each
        ``BarContainer.errorbar`` holds the intervals.

    Raises
    ------
    ValidationError
        For a result without Sobol indices (``sobol=False``) or whose indices are all NaN
        (the ranks never changed), or a bad ``lang``.
    """
    check_result(result, CompositeUncertaintyResult, "sensitivity", _CALL)
    check_lang(lang)
    ds = result.to_dataset()
    if "first_order" not in ds:
        raise ValidationError(
            "sensitivity(): the analysis ran with sobol=False, so it has no Sobol indices; "
            "call result.uncertainty(..., sobol=True)"
        )
    first = np.asarray(ds["first_order"].values, dtype=float)
    total = np.asarray(ds["total_order"].values, dtype=float)
    if not (np.isfinite(first).any() or np.isfinite(total).any()):
        raise ValidationError(
            "sensitivity(): every Sobol index is NaN: the ranks did not change over the runs, "
            "so no choice matters; vary more (wider weights=, other normalisation=)"
        )
    factors = [str(f) for f in ds["factor"].values]
    n = len(factors)
    has_ci = "first_order_lower" in ds
    ax = new_ax(ax, figsize or (7.0, rows_height(n, lo=2.6)))
    style_axes(ax)
    y = np.arange(n, dtype=float)
    height = 0.38
    for j, (name, values, color) in enumerate(
        (("first_order", first, EXIT), ("total_order", total, ENTRY))
    ):
        err = None
        if has_ci:
            lo = np.asarray(ds[f"{name}_lower"].values, dtype=float)
            hi = np.asarray(ds[f"{name}_upper"].values, dtype=float)
            err = np.nan_to_num(np.vstack([values - lo, hi - values]).clip(min=0.0))
        ax.barh(y + (j - 0.5) * height, np.nan_to_num(values), height=height, color=color,
                xerr=err, error_kw={"ecolor": NET, "elinewidth": 1, "capsize": 2},
                label=text(f"plot.composite.{name}", lang))  # fmt: skip
    ax.axvline(0, color="0.4", linewidth=0.8)
    ax.set_yticks(y, [text(f"plot.composite.factor.{f}", lang) for f in factors])
    ax.set_ylim(n - 0.4, -0.6)
    grid(ax, "x")
    ax.set_xlabel(text("plot.composite.sobol_axis", lang))
    legend_title = (
        text("plot.composite.bootstrap_note", lang,
             level=100.0 * float(ds.attrs["confidence_level"]))
        if has_ci else None
    )  # fmt: skip
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small",
              title=legend_title, title_fontsize="small")  # fmt: skip
    ax.set_title(
        title if title is not None else text("plot.composite.sensitivity_title", lang), loc="left"
    )
    apply_fonts(ax)
    return ax
