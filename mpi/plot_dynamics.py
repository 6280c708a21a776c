"""Charts of panel dynamics (exported in :mod:`mpi.plot`).

Same conventions as :mod:`mpi.plot`: ``ax=None`` makes a new figure, the Axes is returned,
``plt.show()`` is never called, and CJK labels get a CJK font when one is installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .errors import ValidationError
from .plot import MEASURE_LABELS, _apply_fonts, _new_ax, _style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .result import MeasureResult

__all__ = ["trend"]

_LINE_COLORS = ("#b2182b", "#2166ac", "#1b7837", "#762a83", "#e08214", "#4d4d4d", "#35978f")


def trend(
    result: MeasureResult,
    measure: str = "M0",
    *,
    group: str | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.5, 4.0),
    title: str | None = None,
) -> Axes:
    """A measure over the waves of a panel, overall and per group.

    Parameters
    ----------
    result
        ``mpi.measure(panel, spec, ...)`` on a panel (the result has a wave dimension).
    measure
        ``"M0"``, ``"H"``, ``"A"``, ``"M1"``, ``"M2"``, ``"vulnerable"`` or ``"severe"``.
    group
        A ``by`` variable of the result to draw one line per group (its marginal); the
        overall line is drawn in black.
    ax
        Axes to draw on; a new figure is created when omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    time = getattr(result, "time", None)
    if not time:
        raise ValidationError(
            "trend() draws a panel result: call mpi.measure(panel, spec, ...) on a Dataset "
            "with (unit, time) variables"
        )
    overall = result.overall.to_dataset()
    if measure not in overall:
        raise ValidationError(f"{measure!r} is not a measure of the result")
    if "k" in overall[measure].dims:
        raise ValidationError("trend() needs a result with one k; measure with a single k")
    years = np.asarray(overall[time].values, dtype=float)
    ax = _new_ax(ax, figsize)
    _style(ax)
    if group is not None:
        if group not in result.groups:
            raise ValidationError(f"group={group!r} is not a by variable; by={result.groups}")
        ds = result.marginal(group).to_dataset() if len(result.groups) > 1 else result.to_dataset()
        for i, lab in enumerate(ds[group].values):
            ax.plot(years, ds[measure].sel({group: lab}).values, marker="o", markersize=3,
                    linewidth=1.3, color=_LINE_COLORS[i % len(_LINE_COLORS)], label=str(lab))
    ax.plot(years, overall[measure].values, color="black", linewidth=2.2, marker="o",
            markersize=4, label="Overall")
    ax.set_xticks(years, [f"{y:g}" for y in years])
    ax.set_ylabel(MEASURE_LABELS.get(measure, measure))
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="0.9", linewidth=0.8)
    if group is not None:
        ax.legend(frameon=False, fontsize="small", title=group, ncols=2)
    ax.set_title(title if title is not None else f"{MEASURE_LABELS.get(measure, measure)} by wave",
                 loc="left")
    _apply_fonts(ax)
    return ax
