"""The report's charts: the :mod:`mpi.plot` charts in the report's language, and the two
small charts of the policy brief that draw a slice of a result (one survey round, one wave).

Every chart is drawn on a :class:`matplotlib.figure.Figure` (not pyplot), saved once as PNG
(:func:`mpi.reporting.document.figure_png`) and dropped.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mpi._common.labels import text
from mpi.plot._style import apply_fonts, grid, new_ax, percent_axis, style_axes
from mpi.reporting.document import Chart, figure_png

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["accepts", "draw", "ranking", "shares", "brief_chart", "overall_label", "wrap"]

_WIDE = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
#: Width of a chart title line (a CJK character counts twice).
TITLE_WIDTH = 50


def wrap(title: str, width: int = TITLE_WIDTH) -> str:
    """``title`` broken into lines of at most ``width`` columns (CJK characters count two),
    at spaces where there are any, so that a long title stays inside its figure.

    Parameters
    ----------
    title
        A chart title.
    width
        Columns per line.

    Returns
    -------
    str
    """
    lines, line, used = [], "", 0
    tokens = re.findall(r"\S+\s*|\s+", title) if " " in title else list(title)
    for token in tokens:
        size = len(token) + len(_WIDE.findall(token))
        if used + size > width and line.strip():
            lines.append(line.rstrip())
            line, used = "", 0
        line += token
        used += size
    lines.append(line.rstrip())
    return "\n".join(lines)


def accepts(func: Callable[..., Any], name: str) -> bool:
    """Whether ``func`` takes a keyword argument ``name``.

    Parameters
    ----------
    func
        A chart function.
    name
        A keyword (``"lang"``).

    Returns
    -------
    bool
    """
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
    return name in params


def draw(
    key: str, caption: str, func: Callable[..., Axes], /, *args: Any, lang: str, **kwargs: Any
) -> Chart:
    """Draw ``func(*args, **kwargs)`` (with ``lang=`` when it takes one) as a :class:`Chart`.

    Parameters
    ----------
    key
        File-safe name of the chart.
    caption
        Caption in the report's language.
    func
        A chart function of :mod:`mpi.plot`, or a result's ``plot`` (which passes ``lang``
        on to the chart registered for the result).
    *args, **kwargs
        Its arguments (``title=`` among them: the chart's own title).
    lang
        The report's language, passed on when ``func`` takes ``lang``.

    Returns
    -------
    Chart
    """
    if accepts(func, "lang") or getattr(func, "__name__", "") == "plot":
        kwargs["lang"] = lang
    ax = func(*args, **kwargs)
    return Chart(key, caption, figure_png(ax.figure))


def ranking(
    labels: Sequence[str],
    values: np.ndarray,
    lower: np.ndarray | None,
    upper: np.ndarray | None,
    *,
    reference: float | None,
    reference_label: str,
    xlabel: str,
    title: str,
    percent: bool,
    ax: Axes | None = None,
) -> Axes:
    """Groups ranked by a value, with confidence intervals when given (dot-and-whisker).

    Parameters
    ----------
    labels
        Group names.
    values
        One value per group (NaN: the group is left out).
    lower, upper
        Interval bounds per group, or None (points only).
    reference
        A vertical reference line (the national value), or None.
    reference_label
        Its annotation.
    xlabel, title
        Axis label and title (already in the report's language).
    percent
        Format the axis as percentages.
    ax
        Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    values = np.asarray(values, dtype=float)
    keep = np.flatnonzero(np.isfinite(values))
    order = keep[np.argsort(values[keep], kind="stable")]
    ax = new_ax(ax, (6.5, max(2.6, 1.2 + 0.36 * len(order))))
    style_axes(ax)
    y = np.arange(len(order))
    v = values[order]
    if lower is not None and upper is not None:
        lo = np.asarray(lower, dtype=float)[order]
        hi = np.asarray(upper, dtype=float)[order]
        err = np.vstack(
            [np.where(np.isfinite(lo), v - lo, 0.0), np.where(np.isfinite(hi), hi - v, 0.0)]
        )
        ax.errorbar(
            v,
            y,
            xerr=err,
            fmt="o",
            color="#b2182b",
            ecolor="0.35",
            elinewidth=1.2,
            capsize=3,
            markersize=5,
        )
    else:
        ax.plot(v, y, "o", color="#b2182b", markersize=5)
    if reference is not None and np.isfinite(reference):
        ax.axvline(reference, color="0.5", linestyle="--", linewidth=0.9)
        ax.annotate(
            reference_label,
            (reference, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -12),
            textcoords="offset points",
            fontsize="small",
            color="0.35",
        )
    ax.set_yticks(y, [str(labels[i]) for i in order])
    ax.set_xlabel(xlabel)
    if percent:
        percent_axis(ax, "x")
    grid(ax, "x")
    ax.set_title(wrap(title), loc="left")
    apply_fonts(ax)
    return ax


def shares(
    labels: Sequence[str],
    values: np.ndarray,
    *,
    xlabel: str,
    title: str,
    ax: Axes | None = None,
) -> Axes:
    """Horizontal bars of shares (percentage contributions of the indicators), largest on top.

    Parameters
    ----------
    labels
        One label per bar.
    values
        Shares in [0, 1].
    xlabel, title
        Axis label and title (already in the report's language).
    ax
        Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    values = np.nan_to_num(np.asarray(values, dtype=float))
    order = np.argsort(values, kind="stable")
    ax = new_ax(ax, (6.5, max(2.6, 1.2 + 0.32 * len(order))))
    style_axes(ax)
    y = np.arange(len(order))
    ax.barh(y, values[order], color="#d6604d", height=0.65)
    for yi, v in zip(y, values[order], strict=True):
        ax.annotate(
            f"{100 * v:.1f}%",
            (v, yi),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize="small",
            color="0.25",
        )
    ax.set_yticks(y, [str(labels[i]) for i in order])
    ax.set_xlabel(xlabel)
    percent_axis(ax, "x")
    ax.set_xlim(0, max(0.05, float(values.max()) * 1.18))
    grid(ax, "x")
    ax.set_title(wrap(title), loc="left")
    apply_fonts(ax)
    return ax


def brief_chart(key: str, title: str, ax: Axes) -> Chart:
    """A drawn brief chart as a :class:`Chart`.

    Parameters
    ----------
    key
        File-safe name.
    title
        Caption.
    ax
        The Axes drawn by :func:`ranking` or :func:`shares`.

    Returns
    -------
    Chart
    """
    return Chart(key, title, figure_png(ax.figure))


def overall_label(lang: str) -> str:
    """The word for the whole population (the reference line of a ranking).

    Parameters
    ----------
    lang
        The report's language.

    Returns
    -------
    str
    """
    return text("common.overall", lang)
