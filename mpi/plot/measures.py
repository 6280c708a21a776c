"""Publication-ready charts of :class:`~mpi.MeasureResult` objects.

Every function takes ``ax=None`` (a new figure is made when omitted), returns the
:class:`matplotlib.axes.Axes` and never calls ``plt.show()``. Labels in Chinese (or any CJK
script) are drawn with a CJK font when one is installed (Noto Sans CJK, Source Han Sans,
WenQuanYi, SimHei, Microsoft YaHei, PingFang …).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from mpi.errors import ValidationError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from mpi.measurement.result import MeasureResult

__all__ = ["contributions", "k_curve", "estimates", "changes", "cjk_font"]

_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
_CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC",
    "Heiti SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "AR PL UMing CN", "Droid Sans Fallback",
)
_PALETTES = ("Reds", "Blues", "Greens", "Purples", "Oranges", "Greys", "YlOrBr", "PuBuGn")
MEASURE_LABELS = {
    "M0": "Adjusted headcount ratio (M0)",
    "H": "Headcount ratio (H)",
    "A": "Intensity (A)",
    "M1": "Adjusted poverty gap (M1)",
    "M2": "Adjusted squared gap (M2)",
    "vulnerable": "Vulnerable share",
    "severe": "Severe poverty share",
}


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """Name of an installed font with CJK glyphs, or ``None``."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in _CJK_FONTS:
        if name in installed:
            return name
    return None


def _font_family(texts: Sequence[str]) -> list[str] | None:
    if any(_CJK.search(str(t)) for t in texts):
        font = cjk_font()
        if font is not None:
            return [font, "DejaVu Sans"]
    return None


def _apply_fonts(ax: Axes) -> None:
    """Switch every text of the axes that holds CJK characters to a CJK font."""
    texts = [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.get_xticklabels(),
             *ax.get_yticklabels()]
    legend = ax.get_legend()
    if legend is not None:
        texts += [*legend.get_texts(), legend.get_title()]
    for t in texts:
        fam = _font_family([t.get_text()])
        if fam is not None:
            t.set_fontfamily(fam)


def _new_ax(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig.add_subplot()


def _style(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=3)
    ax.set_axisbelow(True)


def _indicator_colors(result: MeasureResult) -> list[Any]:
    from matplotlib import colormaps

    spec = result.spec
    dims = spec.dimensions
    colors = []
    for ind in spec:
        dim = spec.dimension_of(ind)
        members = [i.name for i in spec if spec.dimension_of(i) == dim]
        cmap = colormaps[_PALETTES[dims.index(dim) % len(_PALETTES)]]
        pos = members.index(ind.name)
        colors.append(cmap(0.85 - 0.5 * pos / max(1, len(members) - 1 or 1)))
    return colors


def _select_k(ds, k: Any, result: MeasureResult):
    if "k" in ds.dims:
        if k is None:
            raise ValidationError(
                f"the result has several k {[float(f) for f in result.ks]}; pass k= to choose one"
            )
        return ds.sel(k=float(k), method="nearest")
    return ds


def contributions(
    result: MeasureResult,
    *,
    by: str | None = None,
    level: str = "indicator",
    relative: bool = False,
    k: Any = None,
    sort: bool = True,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (8.0, 4.5),
    title: str | None = None,
) -> Axes:
    """Stacked bars of each group's M0 split into indicator (or dimension) contributions.

    Parameters
    ----------
    result
        A result of :func:`mpi.measure`, with or without groups.
    by
        Grouping variable to show (default: the result's only one). An "Overall" bar is
        always added.
    level
        ``"indicator"`` or ``"dimension"``.
    relative
        Show percentage contributions (bars sum to 100%) instead of absolute contributions
        ``w_j h_j`` (bars sum to M0).
    k
        The cutoff to show when the result has several.
    sort
        Order groups by M0 (highest on top).
    ax
        Axes to draw on; a new figure is created when omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if level not in ("indicator", "dimension"):
        raise ValidationError(f"level must be 'indicator' or 'dimension'; got {level!r}")
    if by is None and len(result.by) == 1:
        by = result.by[0]
    if by is not None and by not in result.by:
        raise ValidationError(f"by={by!r} is not a grouping variable of the result ({result.by})")
    overall = _select_k(result.overall.to_dataset(), k, result)
    frames = [("Overall", overall)]
    if by is not None:
        grouped = _select_k(result.marginal(by).to_dataset(), k, result)
        order = list(grouped[by].values)
        if sort:
            m0 = grouped["M0"].fillna(-1).values
            order = [order[i] for i in np.argsort(m0)]
        else:
            order = order[::-1]
        frames = [(str(g), grouped.sel({by: g})) for g in order] + frames
    var = "contribution" if level == "indicator" else "dimension_contribution"
    names = list(overall[level].values)
    if level == "indicator":
        labels = [i.label or i.name for i in result.spec]
        colors = _indicator_colors(result)
    else:
        labels = [str(n) for n in names]
        from matplotlib import colormaps

        colors = [colormaps[p](0.7) for p in _PALETTES[: len(names)]]
    ax = _new_ax(ax, figsize)
    _style(ax)
    ypos = np.arange(len(frames))
    left = np.zeros(len(frames))
    for j, (name, label) in enumerate(zip(names, labels, strict=True)):
        share = np.array([float(ds[var].sel({level: name}).fillna(0)) for _, ds in frames])
        m0 = np.array([float(ds["M0"].fillna(0)) for _, ds in frames])
        width = share * (100.0 if relative else m0)
        ax.barh(ypos, width, left=left, color=colors[j], label=label, height=0.7,
                edgecolor="white", linewidth=0.5)
        left += width
    ax.set_yticks(ypos, [name for name, _ in frames])
    ax.set_xlabel("Contribution to M0 (%)" if relative else "Adjusted headcount ratio M0")
    if by is not None:
        ax.axhline(len(frames) - 1.5, color="0.6", linewidth=0.8)
    ax.grid(axis="x", color="0.9", linewidth=0.8)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small",
              title=level.capitalize())
    kk = result.ks[0] if not result.k_dim else k
    ax.set_title(title if title is not None else
                 f"Contributions to M0 by {level}" + (f" and {by}" if by else "")
                 + (f" (k = {kk})" if kk is not None else ""), loc="left")
    _apply_fonts(ax)
    return ax


def k_curve(
    result: MeasureResult,
    *,
    measures: Sequence[str] = ("M0", "H", "A"),
    group: Any = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.5, 4.0),
    title: str | None = None,
) -> Axes:
    """Measures as functions of the poverty cutoff k (robustness to k).

    Parameters
    ----------
    result
        A result computed with several k (``mpi.measure(..., k=[...])``).
    measures
        Which measures to draw (any scalar measure of the result).
    group
        A group label to draw instead of the overall population (single ``by`` only).
    ax
        Axes to draw on; a new figure is created when omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not result.k_dim or len(result.ks) < 2:
        raise ValidationError(
            "k_curve needs a result computed over several k, e.g. "
            "mpi.measure(data, spec, k=[0.2, 1/3, 0.5])"
        )
    if group is None:
        ds = result.overall.to_dataset()
    else:
        if len(result.by) != 1:
            raise ValidationError("group= needs a result with exactly one by variable")
        ds = result.to_dataset().sel({result.by[0]: group})
    ax = _new_ax(ax, figsize)
    _style(ax)
    k = ds["k"].values
    order = np.argsort(k)
    markers = "osD^v<>"
    for i, m in enumerate(measures):
        if m not in ds or ds[m].dims != ("k",):
            raise ValidationError(f"{m!r} is not a measure with a k dimension in the result")
        ax.plot(k[order], ds[m].values[order], marker=markers[i % len(markers)], markersize=4,
                linewidth=1.6, label=MEASURE_LABELS.get(m, m))
    spec_k = float(result.spec.k)
    if k.min() <= spec_k <= k.max():
        ax.axvline(spec_k, color="0.5", linestyle="--", linewidth=0.9)
        ax.annotate(f"k = {result.spec.k}", (spec_k, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(3, -12), textcoords="offset points", fontsize="small", color="0.35")
    ax.set_xlabel("Poverty cutoff k (share of weighted deprivations)")
    ax.set_ylabel("Value")
    ax.set_ylim(0, 1.02)
    ax.grid(color="0.9", linewidth=0.8)
    ax.legend(frameon=False, fontsize="small")
    where = "" if group is None else f" — {group}"
    ax.set_title(title if title is not None else f"Robustness to the poverty cutoff{where}",
                 loc="left")
    _apply_fonts(ax)
    return ax


def estimates(
    result: MeasureResult,
    measure: str = "M0",
    *,
    level: float = 0.95,
    method: str = "logit",
    k: Any = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.5, 4.0),
    title: str | None = None,
) -> Axes:
    """A measure by group with design-based confidence intervals (dot-and-whisker).

    Parameters
    ----------
    result
        A result with one ``by`` variable, computed with ``design=`` (for the intervals).
    measure
        Any estimand with the group dimension (``"M0"``, ``"H"``, ``"A"`` …).
    level, method
        Confidence level and interval type (see :meth:`MeasureResult.ci`).
    k
        Which cutoff, when the result has several.
    ax
        Axes to draw on; a new figure is created when omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if len(result.by) != 1:
        raise ValidationError("estimates() needs a result with exactly one by variable")
    if not result.has_design:
        raise ValidationError(
            "estimates() draws confidence intervals: measure with design=mpi.Design(...)"
        )
    group = result.by[0]
    ds = _select_k(result.to_dataset(), k, result)
    ci = _select_k(result.ci(level, method), k, result)
    if measure not in ds or ds[measure].dims != (group,):
        raise ValidationError(f"{measure!r} is not a measure by {group!r} in the result")
    val = ds[measure].values
    lo = ci[measure].sel(bound="lower").values
    hi = ci[measure].sel(bound="upper").values
    order = np.argsort(val)
    labels = [str(x) for x in ds[group].values[order]]
    ax = _new_ax(ax, figsize)
    _style(ax)
    y = np.arange(len(order))
    ax.errorbar(val[order], y, xerr=[val[order] - lo[order], hi[order] - val[order]],
                fmt="o", color="#b2182b", ecolor="0.35", elinewidth=1.2, capsize=3, markersize=5)
    overall = float(_select_k(result.overall.to_dataset(), k, result)[measure])
    ax.axvline(overall, color="0.5", linestyle="--", linewidth=0.9)
    ax.annotate("overall", (overall, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -12),
                textcoords="offset points", fontsize="small", color="0.35")
    ax.set_yticks(y, labels)
    ax.set_xlabel(f"{MEASURE_LABELS.get(measure, measure)}, {level:.0%} CI ({method})")
    ax.grid(axis="x", color="0.9", linewidth=0.8)
    ax.set_title(title if title is not None else f"{MEASURE_LABELS.get(measure, measure)} by {group}",
                 loc="left")
    _apply_fonts(ax)
    return ax


def changes(
    change: Any,
    *,
    measures: Sequence[str] = ("M0", "H", "A"),
    kind: str = "annualized_absolute",
    level: float = 0.95,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.5, 3.5),
    title: str | None = None,
) -> Axes:
    """Changes over time with confidence intervals, one row per measure and period.

    Parameters
    ----------
    change
        A :class:`mpi.ChangeResult` (``result.change("round")``) without group dims.
    measures
        Measures to draw.
    kind
        ``"absolute"``, ``"relative"``, ``"annualized_absolute"`` or
        ``"annualized_relative"``.
    ax
        Axes to draw on; a new figure is created when omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    est = change.to_dataset().sel(change=kind)
    ci = change.ci(level).sel(change=kind)
    rows, vals, los, his = [], [], [], []
    for m in measures:
        if m not in est:
            raise ValidationError(f"{m!r} is not in the change result; it has {list(est.data_vars)}")
        if set(est[m].dims) != {"period"}:
            raise ValidationError("changes() draws results without group dims; select a group first")
        for p in est["period"].values:
            rows.append(f"{m}  {p}")
            vals.append(float(est[m].sel(period=p)))
            los.append(float(ci[m].sel(period=p, bound="lower")))
            his.append(float(ci[m].sel(period=p, bound="upper")))
    v, lo, hi = np.array(vals), np.array(los), np.array(his)
    ax = _new_ax(ax, figsize)
    _style(ax)
    y = np.arange(len(rows))[::-1]
    colors = ["#2166ac" if x < 0 else "#b2182b" for x in v]
    ax.barh(y, v, color=colors, alpha=0.85, height=0.6)
    ax.errorbar(v, y, xerr=[v - lo, hi - v], fmt="none", ecolor="0.2", elinewidth=1.2, capsize=3)
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_yticks(y, rows)
    unit = {"absolute": "", "relative": " (%)", "annualized_absolute": " per year",
            "annualized_relative": " (% per year)"}[kind]
    ax.set_xlabel(f"{kind.replace('_', ' ').capitalize()} change{unit}, {level:.0%} CI")
    ax.grid(axis="x", color="0.9", linewidth=0.8)
    ax.set_title(title if title is not None else "Changes over time", loc="left")
    _apply_fonts(ax)
    return ax
