"""Chart of :class:`~mpi.MonitoringResult`: the monitoring categories' shares by wave.

Same conventions as :mod:`mpi.plot`: ``ax=None`` makes a new figure, the Axes is returned,
``plt.show()`` is never called, CJK labels get a CJK font found on the system, and
``lang="en"`` or ``"zh"`` chooses the language of the chart's words (from the label
catalogue, :mod:`mpi._common.labels`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from mpi._common.labels import LANGUAGES, check_lang, text
from mpi.dynamics.monitoring import MonitoringResult
from mpi.errors import ValidationError
from mpi.plot._style import (
    apply_fonts,
    check_result,
    grid,
    new_ax,
    percent_axis,
    percent_text,
    style_axes,
    years_text,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["monitoring"]

#: The categories of monitored households, drawn by default (bottom to top).
MONITORED = ("unstable_exited", "edge", "sudden_hardship", "risk_eliminated")
_COLORS = {
    "unstable_exited": "#d6604d",
    "edge": "#f4a582",
    "sudden_hardship": "#b2182b",
    "risk_eliminated": "#92c5de",
    "not_monitored": "#e0e0e0",
    "unobserved": "#f5f5f5",
}


def monitoring(
    result: MonitoringResult,
    *,
    categories: Sequence[str] = MONITORED,
    lang: str = "en",
    labels: str | None = None,
    from_start: bool = True,
    annotate: bool = True,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (7.0, 4.0),
    title: str | None = None,
) -> Axes:
    """Stacked bars of the weighted share of units in each monitoring category, by wave.

    Parameters
    ----------
    result
        A :class:`~mpi.MonitoringResult` (``mpi.monitoring(...)``).
    categories
        Categories to stack, bottom first (default: the monitored ones, ``unstable_exited``,
        ``edge``, ``sudden_hardship``, and ``risk_eliminated``); any of the result's
        ``category_name`` values, ``not_monitored`` and ``unobserved`` included.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"`` (Chinese: 脱贫不稳定户 …).
    labels
        Language of the category names only, when it differs from ``lang`` (default:
        ``lang``).
    from_start
        Draw the waves from the monitoring's ``start`` on only.
    annotate
        Write the total share of the stacked categories above each bar.
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure.
    title
        Chart title.

    Returns
    -------
    matplotlib.axes.Axes
        One bar container per category (``ax.containers``), in stacking order; bar
        heights are the ``share`` of the result.

    Raises
    ------
    ValidationError
        For a result that is not a ``MonitoringResult``, an unknown category, ``lang`` or
        ``labels``.
    """
    check_result(result, MonitoringResult, "monitoring", "mpi.monitoring")
    check_lang(lang)
    if labels is None:
        labels = lang
    if labels not in LANGUAGES:
        raise ValidationError(
            f"labels={labels!r} is not a language of the label catalogue; use one of "
            f"{LANGUAGES} (or omit it to follow lang)"
        )
    share = result.to_dataset()["share"]
    known = [str(c) for c in share["category_name"].values]
    unknown = [c for c in categories if c not in known]
    if unknown:
        raise ValidationError(f"categories {unknown} are not in the result; choose from {known}")
    start = _start_year(result.to_dataset().attrs.get("start"))
    if from_start and start is not None:
        share = share.sel(time=share["time"] >= start)
    years = np.asarray(share["time"].values, dtype=float)
    ax = new_ax(ax, figsize)
    style_axes(ax)
    bottom = np.zeros(years.size)
    for cat in categories:
        values = np.nan_to_num(np.asarray(share.sel(category_name=cat).values, dtype=float))
        ax.bar(years, values, bottom=bottom, width=0.7, color=_COLORS.get(cat, "0.5"),
               label=text(f"plot.monitoring.category.{cat}", labels), edgecolor="white",
               linewidth=0.5)
        bottom += values
    if annotate:
        for x, total in zip(years, bottom, strict=True):
            ax.annotate(percent_text(total), (x, total), xytext=(0, 2), textcoords="offset points",
                        ha="center", va="bottom", fontsize="x-small", color="0.3")
    ax.set_xticks(years, years_text(years))
    percent_axis(ax, "y", decimals=0)
    ax.set_ylim(0, max(float(bottom.max(initial=0.0)) * 1.15, 0.01))
    ax.set_xlabel(text("common.wave", lang))
    ax.set_ylabel(text("plot.monitoring.share_axis", lang))
    grid(ax, "y")
    ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0),
              title=text("plot.monitoring.legend_title", lang))
    if title is None:
        title = text("plot.monitoring.title", lang)
    ax.set_title(title, loc="left")
    apply_fonts(ax)
    return ax


def _start_year(value: object) -> float | None:
    """The ``start`` attribute as a year (``"2020"`` -> 2020.0); None for "first wave"."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
