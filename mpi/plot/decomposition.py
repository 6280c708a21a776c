"""Chart of the change in M0 (or H) split into entries, exits and stayers.

Same conventions as :mod:`mpi.plot`: ``ax=None`` makes a new figure, the Axes is returned,
``plt.show()`` is never called, and CJK labels get a CJK font when one is installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from mpi._common.labels import check_lang, measure_label, text
from mpi.dynamics.decompose import DecompositionResult
from mpi.errors import ValidationError
from mpi.plot._style import (
    ENTRY,
    EXIT,
    NET,
    REENTRY,
    STAYERS,
    apply_fonts,
    check_result,
    new_ax,
    style_axes,
    years_text,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["decomposition"]


# -- decomposition of the change ---------------------------------------------------------------
_DECOMP_TERMS = {
    "M0": ("entry", "reentry", "first_entry", "exit", "stayers", "delta_M0"),
    "H": ("H_entry", "H_reentry", "H_first_entry", "H_exit", None, "delta_H"),
}


def _decomp_parts(
    ds: xr.Dataset, measure: str, split: bool, lang: str
) -> list[tuple[str, str, Any]]:
    """(label, colour, signed values) of the terms, entry first, net last excluded."""
    entry, reentry, first, exit_, stayers, _ = _DECOMP_TERMS[measure]
    parts: list[tuple[str, str, Any]] = []
    has_split = (
        split
        and reentry in ds
        and first in ds
        and np.isfinite(np.asarray(ds[reentry].values, dtype=float)).any()
    )
    if has_split:
        parts.append((_term("reentry", lang), REENTRY, ds[reentry].values))
        parts.append((_term("first_entry", lang), ENTRY, ds[first].values))
    else:
        parts.append((_term("entry", lang), ENTRY, ds[entry].values))
    parts.append((_term("exit", lang), EXIT, -np.asarray(ds[exit_].values, dtype=float)))
    if stayers is not None:
        parts.append((_term("stayers", lang), STAYERS, ds[stayers].values))
    return [(lab, col, np.asarray(v, dtype=float)) for lab, col, v in parts]


def _term(name: str, lang: str) -> str:
    """Display name of a term of the decomposition (``"entry"``, ``"exit"`` ...)."""
    return text(f"plot.dyn.decomposition.{name}", lang)


def decomposition(
    result: DecompositionResult,
    *,
    measure: str = "M0",
    time: Any = None,
    split_entry: bool = True,
    annotate: bool = True,
    ax: Axes | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
    lang: str = "en",
) -> Axes:
    """The change in M0 (or H) split into entries, exits and stayers.

    Two waves: a waterfall ``entry (re-entry + first entry) − exit + stayers`` ending in
    the net change, which is drawn from zero. Chained results: one stacked bar per wave
    pair (positive terms up, negative terms down) with the net change marked.

    Parameters
    ----------
    result
        A :class:`~mpi.DecompositionResult` (``mpi.decompose_change(...)``); with groups
        its :attr:`~mpi.DecompositionResult.overall` decomposition is drawn.
    measure
        ``"M0"``: ``ΔM0 = entry − exit + stayers``; ``"H"``: ``ΔH = H_entry − H_exit``.
    time
        For a chained result: the later wave of one pair to draw as a waterfall.
    split_entry
        Split the entry term into re-entry and first entry when the result has them.
    annotate
        Write the value of each term on the waterfall.
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure (default ``(6.5, 4.0)``, wider for long chains).
    title
        Chart title (default: names the measure, the waves and the terms, in ``lang``);
        drawn as given.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"`` (the label catalogue of
        :mod:`mpi._common.labels`).

    Returns
    -------
    matplotlib.axes.Axes
        Waterfall: ``ax.containers[0]`` holds one bar per term then the net change (the bar
        heights are the signed terms, exit negative). Chained: one bar container per
        term (labelled as in the legend) and ``ax.lines[0]`` the net change per pair.

    Raises
    ------
    ValidationError
        For a result that is not a ``DecompositionResult``, an unknown ``measure`` or a
        ``time`` that is not the later wave of a chained pair.
    """
    check_lang(lang)
    check_result(result, DecompositionResult, "decomposition", "mpi.decompose_change")
    ds = result.overall.to_dataset()
    if measure not in _DECOMP_TERMS:
        raise ValidationError(f"measure must be 'M0' or 'H'; got {measure!r}")
    net_name = _DECOMP_TERMS[measure][-1]
    chained = "time" in ds[net_name].dims
    if time is not None:
        if not chained:
            raise ValidationError(
                "time= selects a pair of a chained result (decompose_change(..., "
                "chained=True)); this result has one pair"
            )
        years = np.asarray(ds["time"].values, dtype=float)
        hit = np.flatnonzero(np.isclose(years, float(time)))
        if not hit.size:
            raise ValidationError(
                f"time={time!r} is not the later wave of a pair; pairs end in {years_text(years)}"
            )
        ds = ds.isel(time=int(hit[0]))
        chained = False
    delta = "ΔM0" if measure == "M0" else "ΔH"
    net_label = text("plot.dyn.decomposition.net", lang, delta=delta)
    name = measure_label(measure, lang, short=True)
    parts = _decomp_parts(ds, measure, split_entry, lang)
    net = np.asarray(ds[net_name].values, dtype=float)
    if figsize is None:
        width = 6.5 if not chained else max(7.5, 3.0 + 0.75 * net.size)
        figsize = (width, 4.0)
    ax = new_ax(ax, figsize)
    style_axes(ax)
    extra = []
    if not chained:
        vals = np.array([float(v) for _, _, v in parts])
        cum = np.concatenate([[0.0], np.cumsum(vals)])
        heights = np.concatenate([vals, [float(net)]])
        bottoms = np.concatenate([cum[:-1], [0.0]])
        colors = [c for _, c, _ in parts] + [NET]
        names = [lab for lab, _, _ in parts] + [net_label]
        x = np.arange(len(heights))
        bars = ax.bar(x, heights, bottom=bottoms, color=colors, width=0.62)
        for patch in bars:
            patch.sticky_edges.y.clear()
        for i in range(len(vals)):
            ax.plot(
                [x[i] + 0.31, x[i + 1] - 0.31],
                [cum[i + 1]] * 2,
                color="0.55",
                linewidth=0.8,
                linestyle=(0, (2, 2)),
            )
        ax.axhline(0, color="0.3", linewidth=0.8)
        if annotate:
            span = float(np.nanmax(np.abs(np.concatenate([cum, heights])))) or 1.0
            for xi, b, h in zip(x, bottoms, heights, strict=True):
                top = b + h if h >= 0 else b
                bot = b if h >= 0 else b + h
                up = h >= 0
                extra.append(
                    ax.annotate(
                        f"{h:+.4f}".replace("-", "−"),
                        (xi, top if up else bot),
                        xytext=(0, 3 if up else -3),
                        textcoords="offset points",
                        ha="center",
                        va="bottom" if up else "top",
                        fontsize="small",
                        color="0.2",
                    )
                )
            ax.set_ylim(
                min(0.0, float(np.nanmin(cum)), float(net)) - 0.12 * span,
                max(0.0, float(np.nanmax(cum)), float(net)) + 0.12 * span,
            )
        ax.set_xticks(x, names)
        ax.set_xlim(-0.6, len(x) - 0.4)
        start = ds["start"].item() if "start" in ds.coords else ds.attrs.get("start")
        end = (
            ds["time"].item()
            if "time" in ds.coords and ds["time"].ndim == 0
            else ds["end"].item()
            if "end" in ds.coords
            else ds.attrs.get("end")
        )
        if start is not None:
            span = text("plot.dyn.span", lang, start=f"{float(start):g}", end=f"{float(end):g}")
            default = text(f"plot.dyn.decomposition.title_{measure}", lang, measure=name, span=span)
        else:
            default = text(f"plot.dyn.decomposition.title_{measure}_nospan", lang, measure=name)
        lvl = ("M0_1", "M0_2") if measure == "M0" else ("H1", "H2")
        if lvl[0] in ds and lvl[1] in ds and start is not None:
            levels = text(
                "plot.dyn.decomposition.levels",
                lang,
                measure=measure,
                start=f"{float(start):g}",
                before=f"{float(ds[lvl[0]]):.4f}",
                end=f"{float(end):g}",
                after=f"{float(ds[lvl[1]]):.4f}",
            )
            ax.set_xlabel(levels, fontsize="small", color="0.3")
    else:
        years = np.asarray(ds["time"].values, dtype=float)
        step = float(np.min(np.diff(years))) if years.size > 1 else 1.0
        pos = np.zeros(years.size)
        neg = np.zeros(years.size)
        for lab, col, v in parts:
            v = np.nan_to_num(v)
            bottom = np.where(v >= 0, pos, neg)
            bars = ax.bar(years, v, bottom=bottom, width=0.62 * step, color=col, label=lab)
            for patch in bars:
                patch.sticky_edges.y.clear()
            pos += np.where(v >= 0, v, 0.0)
            neg += np.where(v < 0, v, 0.0)
        ax.plot(
            years,
            net,
            color=NET,
            linewidth=1.2,
            marker="D",
            markersize=5,
            markerfacecolor="white",
            markeredgewidth=1.4,
            label=net_label,
            zorder=3,
        )
        ax.axhline(0, color="0.3", linewidth=0.8)
        start = ds["start"].values if "start" in ds.coords else None
        if start is not None:
            gaps = np.diff(years)
            one_line = years.size <= 8 and (gaps.size == 0 or np.allclose(gaps, gaps[0]))
            sep = "–" if one_line else "–\n"  # two lines where uneven pairs crowd the axis
            ticks = [
                f"{float(a):g}{sep}{float(b):g}"
                for a, b in zip(np.asarray(start).ravel(), years, strict=True)
            ]
        else:
            ticks = years_text(years)
        ax.set_xticks(years, ticks, fontsize="small" if years.size > 6 else None)
        ax.set_xlabel(text("plot.dyn.decomposition.xlabel_chained", lang))
        handles, labels = ax.get_legend_handles_labels()
        order = sorted(range(len(labels)), key=lambda i: labels[i] == net_label)
        ax.legend(
            [handles[i] for i in order],
            [labels[i] for i in order],
            frameon=False,
            fontsize="small",
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
        )
        ax.margins(y=0.08)
        default = text(f"plot.dyn.decomposition.title_{measure}_chained", lang, measure=name)
    ax.set_ylabel(text("plot.dyn.decomposition.ylabel", lang, delta=delta))
    ax.grid(axis="y", color="0.9", linewidth=0.8)
    ax.set_title(title if title is not None else default, loc="left")
    apply_fonts(ax, extra)
    return ax
