"""Charts of the screening scores: which signals put students on a list
(:class:`~mpi.screening.signals.SignalScore`) and the coefficients of the supervised screening
logit (:class:`~mpi.screening.model_result.ScreeningModel`).

Same conventions as :mod:`mpi.plot`: ``ax=None`` makes a new figure (a matplotlib
:class:`~matplotlib.figure.Figure`, not pyplot), the Axes is returned, ``plt.show()`` is never
called, CJK labels get a CJK font found on the system, and ``lang="en"`` or ``"zh"`` chooses
the language of the chart's words (from the label catalogue, :mod:`mpi._common.labels`;
features are named by their ``feature.*`` labels, categories by
``screening_features.category.*``, else by the spec's labels).
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np

from mpi._common.labels import check_lang, has_text, text
from mpi.errors import ValidationError
from mpi.plot._style import (
    ENTRY,
    EXIT,
    MUTED,
    NET,
    PALETTES,
    apply_fonts,
    check_result,
    grid,
    new_ax,
    rows_height,
    style_axes,
)
from mpi.screening.model_result import ScreeningModel
from mpi.screening.signals import SignalScore

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from mpi.composites.spec import CompositeSpec

__all__ = ["signals", "coefficients", "TOP_SHARE", "top_count"]

#: Share of the highest scores :func:`signals` compares with all students by default.
TOP_SHARE = 0.1


def top_count(top: Any, n_scored: int, func: str = "signals") -> int:
    """The number of highest-scoring students that ``top`` asks for.

    Parameters
    ----------
    top
        ``None`` (the :data:`TOP_SHARE` highest: :math:`\\max(1, \\lceil 0.1 n \\rceil)`),
        a whole number of students ``1 <= top <= n_scored``, or a share ``0 < top < 1``
        (:math:`\\max(1, \\lceil \\text{top} \\cdot n \\rceil)` students).
    n_scored
        Students with a score.
    func
        The chart function's name, for the message.

    Returns
    -------
    int

    Raises
    ------
    ValidationError
        For a bool, a number that is neither a whole number in ``[1, n_scored]`` nor a share
        in ``(0, 1)``, or anything else.
    """
    if top is None:
        return max(1, math.ceil(TOP_SHARE * n_scored))
    fix = (
        f"give a number of students from 1 to {n_scored:,} (e.g. top=50) or a share "
        "between 0 and 1 (e.g. top=0.1)"
    )
    if isinstance(top, bool) or not isinstance(top, Real):
        raise ValidationError(f"{func}(top={top!r}): {fix}")
    if isinstance(top, Integral):
        if not 1 <= int(top) <= n_scored:
            raise ValidationError(f"{func}(top={top!r}): {fix}")
        return int(top)
    value = float(top)
    if not 0.0 < value < 1.0:
        raise ValidationError(f"{func}(top={top!r}): {fix}")
    return max(1, math.ceil(value * n_scored))


def _feature_label(name: str, spec_label: str | None, lang: str) -> str:
    key = f"feature.{name}"
    return text(key, lang) if has_text(key) else (spec_label or name)


def _category_label(name: str, spec_label: str | None, lang: str) -> str:
    key = f"screening_features.category.{name}"
    return text(key, lang) if has_text(key) else (spec_label or name)


def _ordered(spec: CompositeSpec, top_mean: np.ndarray) -> list[int]:
    """Indicator positions grouped by dimension (the spec's order), within a dimension by the
    mean contribution among the highest scores, largest first (ties: the spec's order)."""
    order: list[int] = []
    for dim in spec.dimensions:
        members = [j for j, i in enumerate(spec.indicators) if i.dimension == dim.name]
        order += sorted(members, key=lambda j: -top_mean[j])
    return order


def signals(
    result: SignalScore,
    ax: Axes | None = None,
    *,
    top: int | float | None = None,
    lang: str = "en",
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """Which signals put students on the list: mean contributions, highest scores vs all.

    Two horizontal bars per feature of the score's spec: the mean Euler contribution
    :math:`\\bar c_j^{\\text{top}} = \\frac{1}{n_{\\text{top}}} \\sum_{i \\in \\text{top}}
    c_{ij}` of the feature among the ``top`` highest-scoring students (solid, in the colour of
    the feature's category) and :math:`\\bar c_j = \\frac{1}{n} \\sum_i c_{ij}` among all the
    :math:`n` students with a score (light shade of the same colour). A feature whose top bar
    is much longer than its all-students bar is a signal that sets the listed students apart.
    Since a student's contributions sum to the score, the top bars sum to the mean score of
    the highest scores and the light bars to the mean score of all.

    Features are grouped by category (the spec's dimensions, in the spec's order, separated
    by thin lines), and within a category sorted by the top mean, largest first.

    Parameters
    ----------
    result
        A result of :func:`mpi.screening.signal_score`.
    ax
        Axes to draw on; a new figure is created when omitted.
    top
        The highest scores compared with all students: a number of students, or a share in
        ``(0, 1)`` (rounded up); default the 10 % highest (:data:`TOP_SHARE`, as the
        result's summary). Students are taken in decreasing score; ties at the cut are
        taken in the order of the result's rows. Students without a score are left out of
        both means.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    figsize
        Size of the new figure (default: 10.5 inches wide, taller with more features).
    title
        Chart title (default: the number and share of the highest scores, in ``lang``).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.containers[0]``: the bars of the highest scores, ``ax.containers[1]``: those of
        all students, each with one bar per feature from top to bottom (bar ``k`` at
        ``y = k``, the y axis inverted); the y tick labels are the features' labels. The
        legend has one entry per category, then the two groups. ``ax.lines`` holds the
        separators between categories.

    Raises
    ------
    ValidationError
        For a result that is not a :class:`~mpi.screening.signals.SignalScore`, no student
        with a score, a bad ``top`` or ``lang``.
    """
    check_result(result, SignalScore, "signals", "mpi.screening.signal_score")
    check_lang(lang)
    contrib = result.contributions
    scores = result.scores.to_numpy(dtype=np.float64)
    scored = np.flatnonzero(~np.isnan(scores))
    if len(scored) == 0:
        raise ValidationError(
            "signals(): no student has a score (every student lacks every feature of a "
            "category); compute the features again or give a spec over the features you have"
        )
    n_top = top_count(top, len(scored))
    rows = scored[np.argsort(-scores[scored], kind="stable")[:n_top]]
    values = contrib.to_numpy(dtype=np.float64)
    top_mean = values[rows].mean(axis=0)
    all_mean = values[scored].mean(axis=0)
    spec = result.spec
    order = _ordered(spec, top_mean)
    n = len(order)
    from matplotlib import colormaps
    from matplotlib.patches import Patch

    dims = [d.name for d in spec.dimensions]
    cmaps = {d: colormaps[PALETTES[k % len(PALETTES)]] for k, d in enumerate(dims)}
    inds = [spec.indicators[j] for j in order]
    dark = [cmaps[i.dimension](0.75) for i in inds]
    light = [cmaps[i.dimension](0.3) for i in inds]
    ax = new_ax(ax, figsize or (10.5, rows_height(3 * n // 2, lo=3.0)))
    style_axes(ax)
    y = np.arange(n)
    height = 0.4
    ax.barh(y - height / 2, top_mean[order], height=height, color=dark)
    ax.barh(y + height / 2, all_mean[order], height=height, color=light, edgecolor=dark,
            linewidth=0.6)  # fmt: skip
    for k in range(1, n):
        if inds[k].dimension != inds[k - 1].dimension:
            ax.axhline(k - 0.5, color="0.8", linewidth=0.8)
    ax.set_yticks(y, [_feature_label(i.name, i.label, lang) for i in inds])
    ax.invert_yaxis()
    lo = min(0.0, float(np.nanmin(np.r_[top_mean, all_mean])))
    if lo < 0:
        ax.axvline(0.0, color=NET, linewidth=0.8)
    else:
        ax.set_xlim(left=0.0)
    grid(ax, "x")
    ax.set_xlabel(text("plot.screening_scores.signals_axis", lang))
    present = {i.dimension for i in inds}
    handles = [
        Patch(color=cmaps[d.name](0.75), label=_category_label(d.name, d.label, lang))
        for d in spec.dimensions
        if d.name in present
    ]
    handles += [
        Patch(color="0.35", label=text("plot.screening_scores.signals_top", lang, n=n_top)),
        Patch(facecolor="0.85", edgecolor="0.35", linewidth=0.6,
              label=text("plot.screening_scores.signals_all", lang, n=len(scored))),
    ]  # fmt: skip
    ax.legend(handles=handles, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0),
              fontsize="small")  # fmt: skip
    if title is None:
        title = text("plot.screening_scores.signals_title", lang, n=n_top,
                     share=n_top / len(scored), total=len(scored))  # fmt: skip
    ax.set_title(title, loc="left")
    apply_fonts(ax)
    return ax


def coefficients(
    model: ScreeningModel,
    ax: Axes | None = None,
    *,
    lang: str = "en",
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """The coefficient (forest) plot of the screening logit, with 95 % intervals.

    One row per feature: the coefficient :math:`\\hat\\beta_j` on the standardised feature
    :math:`(x_j - m_j)/s_j` (the change in the log-odds of hardship per standard deviation of
    the feature, so features in yuan and in shares compare) as a point, and its 95 % Wald
    interval :math:`\\hat\\beta_j \\pm 1.96\\,\\widehat{\\mathrm{se}}_j` as a segment, red when
    the interval lies above 0 (raises the odds), blue below 0, grey when it holds 0. Rows are
    sorted by coefficient, largest at the top; the constant is left out (it is the log-odds
    at the mean features, not an effect). A penalised fit without standard errors has no
    segments (the L2 fit; features dropped by an L1 penalty have no interval).

    Parameters
    ----------
    model
        A result of :func:`mpi.screening.fit_screening`.
    ax
        Axes to draw on; a new figure is created when omitted.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    figsize
        Size of the new figure (default: 9.5 inches wide, taller with more features).
    title
        Chart title (default: the students fitted, in ``lang``).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.lines[0]``: the vertical line at 0; ``ax.lines[1]``: the coefficients (x data,
        largest first; y data ``0, 1, ...`` from top to bottom, the y axis inverted);
        ``ax.collections[0]``: the intervals, one segment ``[(lower, y), (upper, y)]`` per
        feature with an interval, in the same order. The y tick labels are the features'
        labels.

    Raises
    ------
    ValidationError
        For a result that is not a :class:`~mpi.screening.model_result.ScreeningModel` or a
        bad ``lang``.
    """
    check_result(model, ScreeningModel, "coefficients", "mpi.screening.fit_screening")
    check_lang(lang)
    table = model.coefficients.drop(index="const")
    table = table.sort_values("coef", ascending=False, kind="stable")
    coef = table["coef"].to_numpy(dtype=np.float64)
    lower = table["lower"].to_numpy(dtype=np.float64)
    upper = table["upper"].to_numpy(dtype=np.float64)
    n = len(table)
    ax = new_ax(ax, figsize or (9.5, rows_height(n, lo=3.0)))
    style_axes(ax)
    y = np.arange(n, dtype=np.float64)
    ax.axvline(0.0, color=NET, linewidth=0.8)
    has = np.isfinite(lower) & np.isfinite(upper)
    colors = np.where(lower > 0, ENTRY, np.where(upper < 0, EXIT, MUTED))
    segments = [[(lo, yy), (hi, yy)] for lo, hi, yy in zip(lower[has], upper[has], y[has],
                                                          strict=True)]  # fmt: skip
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    ax.add_collection(LineCollection(segments, colors=list(colors[has]), linewidths=2.2))
    ax.plot(coef, y, linestyle="none", marker="o", markersize=5, color=NET)
    ax.set_yticks(y, [_feature_label(str(t), None, lang) for t in table.index])
    ax.set_ylim(n - 0.5, -0.5)
    finite = np.r_[coef, lower[has], upper[has], 0.0]
    finite = finite[np.isfinite(finite)]
    pad = 0.05 * max(float(finite.max() - finite.min()), 1e-9)
    ax.set_xlim(float(finite.min()) - pad, float(finite.max()) + pad)
    grid(ax, "x")
    ax.set_xlabel(text("plot.screening_scores.coefficients_axis", lang))
    kinds = [("coefficients_up", ENTRY), ("coefficients_down", EXIT), ("coefficients_zero", MUTED)]
    handles = [Line2D([], [], color=c, linewidth=2.2, label=text(f"plot.screening_scores.{k}",
                                                                  lang)) for k, c in kinds]  # fmt: skip
    if not has.all():
        handles.append(Line2D([], [], linestyle="none", marker="o", markersize=5, color=NET,
                              label=text("plot.screening_scores.coefficients_no_interval",
                                         lang)))  # fmt: skip
    ax.legend(handles=handles, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0),
              fontsize="small")  # fmt: skip
    if title is None:
        attrs = model.to_dataset().attrs
        title = text("plot.screening_scores.coefficients_title", lang, n=int(attrs["n_fitted"]),
                     k=int(attrs["n_hardship"]))  # fmt: skip
    ax.set_title(title, loc="left")
    apply_fonts(ax)
    return ax
