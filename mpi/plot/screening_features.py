"""The natural chart of :class:`~mpi.screening.features_result.ScreeningFeatures`: the
distribution of one card feature over the students (monthly canteen spending by default),
with its median and an optional policy line such as USTC's 200 yuan a month.

Same conventions as :mod:`mpi.plot`: ``ax=None`` makes a new figure (a matplotlib ``Figure``,
not pyplot), the Axes is returned, ``plt.show()`` is never called, and ``lang`` chooses the
language of the chart's words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mpi._common.labels import check_lang, has_text, text
from mpi.errors import ValidationError
from mpi.plot._style import ENTRY, MUTED, NET, apply_fonts, check_result, grid, new_ax, style_axes
from mpi.screening.features_result import ScreeningFeatures

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["card_features"]


def card_features(
    result: ScreeningFeatures,
    ax: Axes | None = None,
    *,
    feature: str = "canteen_spending",
    line: float | None = None,
    bins: int = 40,
    lang: str = "en",
    title: str | None = None,
) -> Axes:
    """Histogram of one feature over the students, with its median and an optional line.

    Parameters
    ----------
    result : ScreeningFeatures
        Output of :func:`mpi.screening.features`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.
    feature : str, default "canteen_spending"
        A column of ``result.to_frame()``.
    line : float, optional
        A policy threshold to draw (e.g. 200 yuan a month); the legend gives the share of
        the students (with a value) strictly below it.
    bins : int, default 40
        Number of histogram bins.
    lang : {"en", "zh"}, default "en"
        Language of the chart's words.
    title : str, optional
        Chart title (default names the feature and the number of rows).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    mpi.errors.ValidationError
        For a result that is not a ScreeningFeatures, an unknown ``feature`` or ``bins`` below 1.
    """
    check_result(result, ScreeningFeatures, "card_features", "mpi.screening.features(...)")
    check_lang(lang)
    frame = result.to_frame()
    if feature not in frame.columns:
        raise ValidationError(
            f"feature={feature!r} is not a feature of the result; available: "
            f"{', '.join(frame.columns)}"
        )
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValidationError(f"bins must be a whole number >= 1; got {bins!r}")
    values = frame[feature].to_numpy()
    ok = np.isfinite(values)
    shown = values[ok]
    ax = new_ax(ax, (7.0, 4.0))
    style_axes(ax)
    grid(ax, "y")
    name = text(f"feature.{feature}", lang) if has_text(f"feature.{feature}") else feature
    if shown.size:
        ax.hist(shown, bins=bins, color=MUTED, edgecolor="white", linewidth=0.5)
        median = float(np.median(shown))
        ax.axvline(median, color=NET, linestyle="--", linewidth=1.2,
                   label=text("plot.screening_features.median", lang, value=median))  # fmt: skip
    if line is not None:
        share = float(np.mean(shown < line)) if shown.size else float("nan")
        ax.axvline(float(line), color=ENTRY, linewidth=1.6,
                   label=text("plot.screening_features.line", lang, value=float(line),
                              share=share))  # fmt: skip
    if (~ok).any():
        ax.plot([], [], " ", label=text("plot.screening_features.no_values", lang,
                                        n=int((~ok).sum())))  # fmt: skip
    ax.set_xlabel(name)
    ax.set_ylabel(text("plot.screening_features.count", lang))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, fontsize="small")
    rows = (
        "months"
        if isinstance(frame.index, type(frame.index)) and frame.index.nlevels > 1
        else "students"
    )
    heading = title if title is not None else text(
        "plot.screening_features.title", lang, feature=name, n=len(values),
        rows=text(f"plot.screening_features.rows_{rows}", lang),
    )  # fmt: skip
    ax.set_title(heading, loc="left")
    apply_fonts(ax)
    return ax
