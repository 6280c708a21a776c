"""Shared look of the charts: fonts (CJK detection), palette, new axes, axis formats.

Every chart module of :mod:`mpi.plot` draws through these helpers so that all charts share
one style: no top/right spines, light grid, left-aligned titles, percentages as ``12.3%``
and, when a label holds Chinese (or any CJK script), a CJK font when one is installed
(Noto Sans CJK, Source Han Sans, WenQuanYi, SimHei, Microsoft YaHei, PingFang …).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from mpi.errors import ValidationError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "MEASURE_LABELS", "STATE_LABELS", "PALETTES", "LINE_COLORS", "ENTRY", "REENTRY", "EXIT",
    "STAYERS", "NET", "MUTED", "cjk_font", "font_family", "apply_fonts", "new_ax", "style_axes",
    "percent_axis", "percent_text", "years_text", "check_result", "grid",
]  # fmt: skip

_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
_CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC",
    "Heiti SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "AR PL UMing CN", "Droid Sans Fallback",
)  # fmt: skip

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

#: Axis labels of the measures.
MEASURE_LABELS = {
    "M0": "Adjusted headcount ratio (M0)",
    "H": "Headcount ratio (H)",
    "A": "Intensity (A)",
    "M1": "Adjusted poverty gap (M1)",
    "M2": "Adjusted squared gap (M2)",
    "vulnerable": "Vulnerable share",
    "severe": "Severe poverty share",
}
#: Display names of the poverty states and bands.
STATE_LABELS = {
    "nonpoor": "Non-poor",
    "vulnerable": "Vulnerable",
    "poor": "Poor",
    "severe": "Severe",
}


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """Name of an installed font with CJK glyphs, or ``None``.

    Returns
    -------
    str or None
        The first installed font of a list of common CJK fonts (Noto Sans CJK, Source Han
        Sans, WenQuanYi, SimHei, Microsoft YaHei, PingFang …); ``None`` when none is.
    """
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in _CJK_FONTS:
        if name in installed:
            return name
    return None


def font_family(texts: Iterable[str]) -> list[str] | None:
    """A font family for ``texts``: a CJK font (then DejaVu Sans) when one of them holds CJK
    characters and a CJK font is installed, else ``None`` (keep the default)."""
    if any(_CJK.search(str(t)) for t in texts):
        font = cjk_font()
        if font is not None:
            return [font, "DejaVu Sans"]
    return None


def apply_fonts(ax: Axes, extra: Sequence[Any] = ()) -> None:
    """Switch every text of ``ax`` that holds CJK characters to a CJK font.

    Covers the titles, axis labels, tick labels, texts and annotations of the axes, the
    legend, and ``extra`` texts drawn elsewhere (a colorbar's labels). When a title holds
    CJK characters all three title slots (left, center, right) get the font, so
    ``ax.title`` reports it whichever slot the chart used.
    """
    from matplotlib.text import Text

    titles = [c for c in ax.get_children() if isinstance(c, Text) and _is_title(ax, c)]
    fam = font_family(t.get_text() for t in titles)
    if fam is not None:
        for t in titles:
            t.set_fontfamily(fam)
    texts = [
        *(c for c in ax.get_children() if isinstance(c, Text)),
        ax.xaxis.label,
        ax.yaxis.label,
        *ax.get_xticklabels(),
        *ax.get_yticklabels(),
        *extra,
    ]
    legend = ax.get_legend()
    if legend is not None:
        texts += [*legend.get_texts(), legend.get_title()]
    for t in texts:
        fam = font_family([t.get_text()])
        if fam is not None:
            t.set_fontfamily(fam)


def _is_title(ax: Axes, text: Any) -> bool:
    """Whether ``text`` is one of the three title slots of ``ax``."""
    return text is ax.title or any(
        text.get_text() == ax.get_title(loc) and text.get_text() for loc in ("left", "right")
    )


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
