"""Charts of a list against a poverty status by group (:class:`~mpi.TargetingResult`): the
weighted confusion table as one stacked bar per group (:func:`confusion`) and the coverage of
the list in each decile of a ranking (:func:`deciles`).

Same conventions as :mod:`mpi.plot`: ``ax=None`` makes a new figure, the Axes is returned,
``plt.show()`` is never called, CJK labels get a CJK font found on the system, and
``lang="en"`` or ``"zh"`` chooses the language of the chart's words (from the label
catalogue, :mod:`mpi._common.labels`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mpi._common.labels import check_lang, text
from mpi._common.result import check_level
from mpi.errors import ValidationError
from mpi.identification.evaluate_result import TargetingResult
from mpi.plot._style import (
    ENTRY,
    EXIT,
    LINE_COLORS,
    MUTED,
    STAYERS,
    apply_fonts,
    check_result,
    grid,
    new_ax,
    percent_axis,
    percent_text,
    rows_height,
    style_axes,
)

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.axes import Axes

__all__ = ["confusion", "deciles", "CELL_COLORS", "DECILE_VARIABLES"]

#: The four cells of the confusion table, left to right, with their colours: the two errors
#: (inclusion: listed but not poor; exclusion: poor but not listed) in the colours of
#: :func:`mpi.plot.targeting`, the two right answers in greys.
CELL_COLORS = (
    ("listed_poor", STAYERS),
    ("listed_nonpoor", EXIT),
    ("unlisted_poor", ENTRY),
    ("unlisted_nonpoor", MUTED),
)
#: The per-decile variables :func:`deciles` draws.
DECILE_VARIABLES = ("decile_coverage", "decile_incidence")
#: Font size (points) of the share labels inside the segments.
LABEL_SIZE = 8.0


def _fits(label: str, width: float, ax: Axes, span: float) -> bool:
    """Whether ``label`` fits inside a segment ``width`` long on an axis ``span`` long: the
    text's width (about 0.6 em a character, plus 0.05 inch of margin) against the segment's
    width in inches on the Axes as placed."""
    axes_inches = ax.get_position().width * ax.get_figure().get_figwidth()
    needed = (0.6 * LABEL_SIZE * len(label)) / 72.0 + 0.05
    return bool(np.isfinite(width)) and width / span * axes_inches >= needed


def _group_dims(ds: xr.Dataset, name: str, skip: tuple[str, ...] = ()) -> list[str]:
    return [str(d) for d in ds[name].dims if d not in skip]


def _check_by(by: str | None, dims: list[str], func: str) -> str | None:
    """``by`` checked against the result's group dimensions (defaulting to the only one)."""
    if by is not None and by not in dims:
        raise ValidationError(
            f"{func}(): by={by!r} is not a grouping variable of the result (it has "
            f"{dims or 'none'}); pass one of them, or omit by="
        )
    if by is None and len(dims) > 1:
        raise ValidationError(
            f"{func}(): the result has several grouping variables {dims}; pass by= one of "
            f"them, e.g. by={dims[0]!r}"
        )
    return dims[0] if by is None and dims else by


def confusion(
    result: TargetingResult,
    *,
    by: str | None = None,
    normalize: bool = True,
    lang: str = "en",
    ax: Axes | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """The weighted confusion table of a list, one stacked bar per group.

    Each bar holds the four weighted totals of the listed x poor table, left to right:
    listed and poor, listed but not poor (inclusion errors), poor but not listed (exclusion
    errors), neither. With ``normalize=True`` they are shares of the group's population
    :math:`N = T_{lp} + T_{ln} + T_{up} + T_{un}`, so each bar spans 0 to 100%, the first two
    segments together are the share listed and the first and third the share poor. Segments
    wide enough are labelled with their share of the group.

    Parameters
    ----------
    result
        A result of :func:`mpi.targeting`.
    by
        The grouping variable to draw, one bar per group (default: the result's only one; a
        result without groups draws one bar). With several grouping variables (``by=["county",
        "year"]``) it is required, and the totals are summed over the others (totals add up,
        so the bar of a county is the confusion table of all its years together).
    normalize
        ``True``: shares of each group's weighted population (percent axis); ``False``: the
        weighted totals.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure (default: 7 inches wide, taller with more groups).
    title
        Chart title (default names what is drawn, in ``lang``).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.containers`` holds four bar containers, one per cell in the order above (as
        :data:`CELL_COLORS`), one bar per group in the order of the result, top to bottom.

    Raises
    ------
    ValidationError
        For a result that is not a :class:`~mpi.TargetingResult`, a ``by`` that is not one
        of its grouping variables, or several grouping variables and no ``by``.
    """
    check_result(result, TargetingResult, "confusion", "mpi.targeting")
    check_lang(lang)
    if not isinstance(normalize, bool | np.bool_):
        raise ValidationError(f"confusion(): normalize must be True or False; got {normalize!r}")
    ds = result.to_dataset()
    dims = _group_dims(ds, "listed_poor")
    by = _check_by(by, dims, "confusion")
    others = [d for d in dims if d != by]
    cells = {name: ds[name].sum(dim=others) if others else ds[name] for name, _ in CELL_COLORS}
    labels = [str(v) for v in ds[by].values] if by else [text("common.overall", lang)]
    values = {name: np.atleast_1d(np.asarray(v.values, dtype=float)) for name, v in cells.items()}
    total = sum(values.values())
    shares = {
        name: np.divide(v, total, out=np.full_like(v, np.nan), where=total > 0)
        for name, v in values.items()
    }
    widths = shares if normalize else values
    n = len(labels)
    ax = new_ax(ax, figsize or (7.0, rows_height(n, lo=2.0) + 0.6))
    style_axes(ax)
    y = np.arange(n)
    left = np.zeros(n)
    scale = 1.0 if normalize else float(np.nanmax(total)) if np.any(total > 0) else 1.0
    for name, color in CELL_COLORS:
        width = widths[name]
        bars = ax.barh(y, width, left=left, height=0.62, color=color, edgecolor="white",
                       linewidth=0.6, label=text(f"plot.confusion.cell.{name}", lang))  # fmt: skip
        for patch, w in zip(bars, width, strict=True):
            patch.set_width(w)  # exactly the value: barh converts it as (left + w) - left
        ink = "black" if color == MUTED else "white"
        for i in range(n):
            label = percent_text(shares[name][i])
            if _fits(label, width[i], ax, scale):
                ax.text(left[i] + width[i] / 2, y[i], label, ha="center", va="center",
                        color=ink, fontsize=LABEL_SIZE)  # fmt: skip
        left = left + np.nan_to_num(width)
    ax.set_yticks(y, labels)
    pad = max(0.1, 0.6 - 0.1 * n)  # a lone bar is not a slab
    ax.set_ylim(n - 0.5 + pad, -0.5 - pad)  # the first group on top
    if normalize:
        ax.set_xlim(0, 1)
        percent_axis(ax, "x")
    else:
        ax.set_xlim(0, scale * 1.02)
    grid(ax, "x")
    ax.set_xlabel(text("plot.confusion.share_axis" if normalize else "plot.confusion.total_axis",
                       lang))  # fmt: skip
    from matplotlib.transforms import ScaledTranslation

    below = ax.transAxes + ScaledTranslation(0.0, -0.5, ax.get_figure().dpi_scale_trans)
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(0.0, 0.0), ncols=2,
              bbox_transform=below, fontsize="small")  # under the axis label # fmt: skip
    if title is None:
        title = text("plot.confusion.title", lang)
        if others:
            title += text("plot.confusion.pooled", lang, dims=", ".join(others))
    ax.set_title(title, loc="left")
    apply_fonts(ax)
    return ax


def deciles(
    result: TargetingResult,
    *,
    by: str | None = None,
    variable: str = "decile_coverage",
    kind: str = "bars",
    level: float = 0.95,
    lang: str = "en",
    ax: Axes | None = None,
    figsize: tuple[float, float] = (7.0, 4.2),
    title: str | None = None,
) -> Axes:
    """Coverage of the list (or its incidence) in each decile of a ranking, 1 = poorest, per
    group, with confidence intervals when the result has a design.

    Parameters
    ----------
    result
        A result of :func:`mpi.targeting` called with ``rank=`` (the column that ranks the
        units into deciles), so that its dataset holds ``decile_coverage`` and
        ``decile_incidence`` with a ``decile`` dimension (1 to 10).
    by
        The grouping variable to draw, one series per group (default: the result's only one;
        a result without groups draws one series). A result with several grouping variables
        is refused: evaluate the list by one of them.
    variable
        ``"decile_coverage"`` (the weighted share of each decile's units that is listed) or
        ``"decile_incidence"`` (the weighted share of the listed units that falls in each
        decile).
    kind
        ``"bars"`` (grouped bars, one colour per group) or ``"lines"`` (one line with markers
        per group).
    level
        Confidence level of the intervals (used only with a design).
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure.
    title
        Chart title (default names what is drawn, in ``lang``).

    Returns
    -------
    matplotlib.axes.Axes
        ``"bars"``: one bar container per group in ``ax.containers`` (x: the deciles,
        heights: the values; its ``errorbar`` holds the intervals with a design);
        ``"lines"``: one errorbar container per group in ``ax.containers`` (its first line:
        x the deciles, y the values; with a design and several groups the lines are set
        apart by up to 0.2 on x so that the intervals do not overlap).

    Raises
    ------
    ValidationError
        For a result without deciles (evaluate with ``rank=``), an unknown ``variable`` or
        ``kind``, a bad ``level``, or a ``by`` that is not the result's grouping variable.
    """
    check_result(result, TargetingResult, "deciles", "mpi.targeting")
    check_lang(lang)
    if variable not in DECILE_VARIABLES:
        raise ValidationError(
            f"deciles(): variable must be one of {DECILE_VARIABLES}; got {variable!r}"
        )
    if kind not in ("bars", "lines"):
        raise ValidationError(f"deciles(): kind must be 'bars' or 'lines'; got {kind!r}")
    check_level(level)
    ds = result.to_dataset()
    if variable not in ds or "decile" not in ds[variable].dims:
        raise ValidationError(
            f"deciles(): the result has no {variable!r} (no deciles of a ranking); evaluate "
            "the list with mpi.targeting(..., rank='<column ranking the units, e.g. income>')"
        )
    dims = _group_dims(ds, variable, skip=("decile",))
    if len(dims) > 1:
        raise ValidationError(
            f"deciles() draws one grouping variable; the result has {dims}: evaluate the list "
            f"by {by or dims[0]!r} alone"
        )
    by = _check_by(by, dims, "deciles")
    data = ds[variable].transpose(*dims, "decile")
    values = np.asarray(data.values, dtype=float).reshape(-1, ds.sizes["decile"])
    decile = np.asarray(ds["decile"].values)
    labels = [str(v) for v in ds[by].values] if by else [text("common.overall", lang)]
    bounds = None
    if result.has_inference and variable in result.se:
        ci = result.ci(level)[variable].transpose("bound", *dims, "decile")
        bounds = np.asarray(ci.values, dtype=float).reshape(2, -1, ds.sizes["decile"])
    ax = new_ax(ax, figsize)
    style_axes(ax)
    n = len(labels)
    width = 0.8 / n
    error_kw = {"ecolor": "0.25", "elinewidth": 0.9, "capsize": 2}
    dodge = 0.4 / n if bounds is not None and n > 1 else 0.0  # intervals side by side
    for i, label in enumerate(labels):
        color = LINE_COLORS[i % len(LINE_COLORS)] if n > 1 else EXIT
        err = None
        if bounds is not None:
            err = np.vstack([values[i] - bounds[0, i], bounds[1, i] - values[i]])
        if kind == "bars":
            ax.bar(decile + (i - (n - 1) / 2) * width, values[i], width=width * 0.92,
                   color=color, yerr=err, error_kw=error_kw, label=label)  # fmt: skip
        else:
            ax.errorbar(decile + dodge * (i - (n - 1) / 2), values[i], yerr=err, color=color,
                        marker="o", markersize=4, linewidth=1.6, capsize=2, elinewidth=0.9,
                        label=label)  # fmt: skip
    ax.set_xticks(decile, [str(int(d)) for d in decile])
    ax.set_xlim(decile.min() - 0.6, decile.max() + 0.6)
    top = np.nanmax(bounds[1]) if bounds is not None and np.isfinite(bounds).any() else None
    high = max(float(np.nanmax(values)) if np.isfinite(values).any() else 0.0, top or 0.0)
    ax.set_ylim(0, 1.0 if variable == "decile_coverage" and high <= 1 else high * 1.08 or 1.0)
    percent_axis(ax, "y")
    grid(ax, "y")
    rank = ds.attrs.get("rank")
    ax.set_xlabel(text("plot.deciles.axis_rank", lang, rank=rank) if rank
                  else text("plot.deciles.axis", lang))  # fmt: skip
    ax.set_ylabel(text(f"plot.deciles.{variable}", lang))
    if by is not None:
        ax.legend(frameon=False, title=by, fontsize="small", ncols=1 + (n > 4))
    if title is None:
        title = text(f"plot.deciles.title_{variable}", lang)
        if bounds is not None:
            title += text("plot.deciles.ci", lang, level=100 * level)
    ax.set_title(title, loc="left")
    apply_fonts(ax)
    return ax
