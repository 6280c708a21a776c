"""Shared look of the charts: fonts (CJK detection), palette, new axes, axis formats, k.

Every chart module of :mod:`mpi.plot` draws through these helpers so that all charts share
one style: no top/right spines, light grid, left-aligned titles, percentages as ``12.3%``
and, when a label holds Chinese (or any CJK script), a CJK font found on the system
(Noto Sans CJK, Source Han Sans, WenQuanYi, SimHei, Microsoft YaHei, PingFang …; see
:mod:`mpi.plot._fonts`). :func:`select_k` picks the cutoff ``k`` of a result in any form
:func:`mpi.measure` accepts.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from mpi._common.exact import fraction_text, to_fraction
from mpi._common.labels import measure_label, text
from mpi.errors import ValidationError
from mpi.plot._fonts import CJK_FAMILIES, apply_fonts, cjk_font, font_family, has_cjk

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.axes import Axes

__all__ = [
    "MEASURE_LABELS", "STATE_LABELS", "PALETTES", "LINE_COLORS", "ENTRY", "REENTRY", "EXIT",
    "STAYERS", "NET", "MUTED", "cjk_font", "font_family", "apply_fonts", "new_ax", "style_axes",
    "percent_axis", "rows_height", "percent_text", "years_text", "check_result", "grid", "has_cjk",
    "CJK_FAMILIES", "select_k", "parse_k", "k_text",
]  # fmt: skip

#: Sequential colormaps, one per dimension of a spec (indicators get shades of it).
PALETTES = ("Reds", "Blues", "Greens", "Purples", "Oranges", "Greys", "YlOrBr", "PuBuGn")
#: Qualitative line colours (groups, alphas, categories).
LINE_COLORS = ("#b2182b", "#2166ac", "#1b7837", "#762a83", "#e08214", "#4d4d4d", "#35978f")
#: Colours of the flows of panel dynamics.
ENTRY = "#b2182b"
REENTRY = "#ef8a62"
EXIT = "#2166ac"
STAYERS = "#8c8c8c"
NET = "#262626"
MUTED = "#c8c8c8"

#: Axis labels of the measures (English, from the label catalogue: use
#: ``measure_label(name, lang)`` for other languages).
MEASURE_LABELS = {
    m: measure_label(m, "en") for m in ("M0", "H", "A", "M1", "M2", "vulnerable", "severe")
}
#: Display names of the poverty states and bands (English, from the label catalogue: use
#: ``text(f"state.{name}", lang)`` for other languages).
STATE_LABELS = {s: text(f"state.{s}", "en") for s in ("nonpoor", "vulnerable", "poor", "severe")}


def new_ax(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax``, or the Axes of a new figure of size ``figsize`` (constrained layout).

    The figure is a :class:`matplotlib.figure.Figure` not managed by pyplot, so no window
    opens and nothing leaks between charts.
    """
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig.add_subplot()


def rows_height(n: int, *, lo: float = 2.2, hi: float = 12.0) -> float:
    """Height in inches of a chart with one row per group: 0.42 in a row plus 1.3 for
    titles and axes, kept within ``[lo, hi]`` (a 2-group ranking is not 4 inches tall)."""
    return float(min(max(lo, 0.42 * n + 1.3), hi))


def style_axes(ax: Axes) -> None:
    """The house style: no top/right spines, short ticks, grid below the data."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=3)
    ax.set_axisbelow(True)


def grid(ax: Axes, axis: str = "both") -> None:
    """A light grid along ``axis`` (``"x"``, ``"y"`` or ``"both"``)."""
    ax.grid(axis=axis, color="0.9", linewidth=0.8)


def percent_axis(ax: Axes, axis: str = "y", decimals: int | None = None) -> None:
    """Format the ticks of ``axis`` (values in [0, 1]) as percentages."""
    from matplotlib.ticker import PercentFormatter

    fmt = PercentFormatter(1.0, decimals=decimals)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def percent_text(v: float) -> str:
    """A share as text: ``"12.3%"``, ``"<0.1%"`` for tiny positive values, ``"–"`` for NaN."""
    if not np.isfinite(v):
        return "–"
    p = 100.0 * v
    if p != 0 and abs(p) < 0.05:
        return "<0.1%" if p > 0 else ">−0.1%"
    return f"{p:.1f}%"


def years_text(values: Any) -> list[str]:
    """Wave years as short tick labels (``2010``, ``2014.5``)."""
    return [f"{float(y):g}" for y in np.asarray(values).ravel()]


def check_result(result: Any, cls: type, func: str, call: str) -> None:
    """Raise a :class:`~mpi.ValidationError` unless ``result`` is a ``cls``.

    Parameters
    ----------
    result
        What the chart function received.
    cls
        The result class the chart draws.
    func
        The chart function's name, for the message.
    call
        The public call that makes a ``cls`` (``"mpi.transitions"``).
    """
    if not isinstance(result, cls):
        raise ValidationError(
            f"{func}() draws a {cls.__name__} (the result of {call}(...)); "
            f"got {type(result).__name__}"
        )


def parse_k(k: Any, func: str) -> Fraction:
    """A poverty cutoff given in any form :func:`mpi.measure` accepts, as an exact fraction.

    Parameters
    ----------
    k
        ``Fraction(1, 3)``, ``"1/3"``, ``1/3`` (a float within 1e-9 of a simple fraction),
        ``0.2``, ``"0.2"``, an integer or a numpy number.
    func
        The chart function's name, for the message.

    Returns
    -------
    fractions.Fraction

    Raises
    ------
    ValidationError
        For a value that is not a number or fraction.
    """
    try:
        return to_fraction(k, argument="k")
    except ValidationError as err:
        raise ValidationError(f"{func}(): {err}") from None


def k_text(k: Fraction | None) -> str:
    """A cutoff as text (``Fraction(1, 3)`` -> ``"1/3"``); ``""`` for None."""
    return "" if k is None else fraction_text(k)


def select_k(
    ds: xr.Dataset, k: Any, *, func: str, single: Fraction | None = None
) -> tuple[xr.Dataset, Fraction | None]:
    """The cutoff ``k`` of a result's dataset, matched exactly, and that cutoff.

    ``k`` is parsed as :func:`mpi.measure` parses it (:func:`parse_k`), so ``"1/3"``,
    ``Fraction(1, 3)`` and ``1/3`` select the same cutoff, and compared exactly with the
    cutoffs of ``ds`` (its ``k`` coordinate holds ``float(Fraction)`` values).

    Parameters
    ----------
    ds
        A dataset of a result, with or without a ``k`` dimension.
    k
        The cutoff to select; ``None`` is allowed when ``ds`` has no ``k`` dimension.
    func
        The chart function's name, for messages.
    single
        The result's one cutoff when ``ds`` has no ``k`` dimension (checked against
        ``k``); ``None`` when unknown (then a ``k`` is refused).

    Returns
    -------
    tuple
        ``ds`` without the ``k`` dimension, and the exact cutoff (``single`` or ``None``
        when ``ds`` had none and ``k`` is None).

    Raises
    ------
    ValidationError
        For ``k=None`` with several cutoffs, or a cutoff the result does not have (the
        message lists the cutoffs it has).
    """
    if "k" in ds.dims:
        have = [to_fraction(float(v), argument="k") for v in np.asarray(ds["k"].values)]
        listing = ", ".join(fraction_text(f) for f in have)
        if k is None:
            raise ValidationError(
                f"{func}(): the result has several poverty cutoffs k = {listing}; pass k= "
                f"one of them, e.g. k={fraction_text(have[0])!r}"
            )
        frac = parse_k(k, func)
        if frac not in have:
            raise ValidationError(
                f"{func}(): k={k!r} (= {fraction_text(frac)}) is not a poverty cutoff of the "
                f"result; it has k = {listing}. Pass one of these, or measure with this k"
            )
        return ds.isel(k=have.index(frac)), frac
    if k is None:
        return ds, single
    frac = parse_k(k, func)
    if single is None:
        raise ValidationError(
            f"{func}(): k={k!r}: the result was computed at one poverty cutoff (it has no k "
            "dimension); omit k="
        )
    if frac != single:
        raise ValidationError(
            f"{func}(): k={k!r} (= {fraction_text(frac)}) is not the poverty cutoff of the "
            f"result; it has k = {fraction_text(single)}. Omit k=, or measure with this k"
        )
    return ds, frac
