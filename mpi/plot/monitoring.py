"""Chart of :class:`~mpi.MonitoringResult`: the monitoring categories' shares by wave.

Same conventions as :mod:`mpi.plot`: ``ax=None`` makes a new figure, the Axes is returned,
``plt.show()`` is never called, and CJK labels get a CJK font when one is installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from mpi.dynamics.monitoring import CATEGORY_LABELS, MonitoringResult
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
    labels: str = "en",
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
    labels
        ``"en"`` (category names) or ``"zh"`` (Chinese names: 脱贫不稳定户 …).
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
        For a result that is not a ``MonitoringResult``, an unknown category or labels.
    """
    check_result(result, MonitoringResult, "monitoring", "mpi.monitoring")
    if labels not in CATEGORY_LABELS:
        raise ValidationError(f"labels must be one of {list(CATEGORY_LABELS)}; got {labels!r}")
    share = result.to_dataset()["share"]
    known = [str(c) for c in share["category_name"].values]
    unknown = [c for c in categories if c not in known]
    if unknown:
        raise ValidationError(f"categories {unknown} are not in the result; choose from {known}")
    start = _start_year(result.to_dataset().attrs.get("start"))
    if from_start and start is not None:
        share = share.sel(time=share["time"] >= start)
    years = np.asarray(share["time"].values, dtype=float)
    names = dict(zip(CATEGORY_LABELS["en"], CATEGORY_LABELS[labels], strict=True))
    if labels == "en":
        names = {k: v.replace("_", " ").capitalize() for k, v in names.items()}
    ax = new_ax(ax, figsize)
    style_axes(ax)
    bottom = np.zeros(years.size)
    for cat in categories:
        values = np.nan_to_num(np.asarray(share.sel(category_name=cat).values, dtype=float))
        ax.bar(years, values, bottom=bottom, width=0.7, color=_COLORS.get(cat, "0.5"),
               label=names.get(cat, cat), edgecolor="white", linewidth=0.5)
        bottom += values
    if annotate:
        for x, total in zip(years, bottom, strict=True):
            ax.annotate(percent_text(total), (x, total), xytext=(0, 2), textcoords="offset points",
                        ha="center", va="bottom", fontsize="x-small", color="0.3")
    ax.set_xticks(years, years_text(years))
    percent_axis(ax, "y", decimals=0)
    ax.set_ylim(0, max(float(bottom.max(initial=0.0)) * 1.15, 0.01))
    ax.set_xlabel("Wave")
    ax.set_ylabel("Share of the units (weighted)")
    grid(ax, "y")
    ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0),
              title="防止返贫监测" if labels == "zh" else "Category")
    default = "Monitoring categories by wave"
    if labels == "zh":
        default = "防止返贫动态监测：各类监测对象占比"
    ax.set_title(title if title is not None else default, loc="left")
    apply_fonts(ax)
    return ax


def _start_year(value: object) -> float | None:
    """The ``start`` attribute as a year (``"2020"`` -> 2020.0); None for "first wave"."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
