"""Charts of comparisons with standard errors: changes over time (:class:`~mpi.ChangeResult`),
differences between groups across k (:class:`~mpi.RobustnessResult`) and the contrasts of a
Wald test (:class:`~mpi.WaldTest`).

Same conventions as :mod:`mpi.plot`: ``ax=None`` makes a new figure, the Axes is returned,
``plt.show()`` is never called, CJK labels get a CJK font found on the system, and
``lang="en"`` or ``"zh"`` chooses the language of the chart's words (from the label
catalogue, :mod:`mpi._common.labels`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

from mpi._common.labels import check_lang, measure_label, text
from mpi._common.result import check_level
from mpi.errors import ValidationError
from mpi.measurement.change import CHANGES, ChangeResult
from mpi.measurement.robustness import RobustnessResult
from mpi.plot._style import (
    LINE_COLORS,
    apply_fonts,
    check_result,
    grid,
    k_text,
    new_ax,
    select_k,
    style_axes,
)
from mpi.survey.hypothesis import WaldTest

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["changes", "robustness", "contrasts"]


def changes(
    change: ChangeResult,
    *,
    measures: Sequence[str] = ("M0", "H", "A"),
    kind: str = "annualized_absolute",
    level: float = 0.95,
    group: Mapping[str, Any] | None = None,
    k: Any = None,
    lang: str = "en",
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.5, 3.5),
    title: str | None = None,
) -> Axes:
    """Changes over time with confidence intervals, one row per measure and period.

    Parameters
    ----------
    change
        A :class:`mpi.ChangeResult` (``result.change("round")``).
    measures
        Measures to draw.
    kind
        ``"absolute"`` (:math:`X_2 - X_1`), ``"relative"`` (:math:`100 (X_2 - X_1)/X_1`),
        ``"annualized_absolute"`` or ``"annualized_relative"`` (Alkire, Roche and Vaz
        2017).
    level
        Confidence level of the intervals.
    group
        For a change by group: the group to draw, e.g. ``{"region": "North"}`` (one label
        per group dimension).
    k
        The cutoff to draw when the rounds were measured at several k, in any form
        :func:`mpi.measure` accepts (``Fraction(1, 3)``, ``"1/3"``, ``1/3``, ``0.2``).
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure.
    title
        Chart title (a default names what is drawn).

    Returns
    -------
    matplotlib.axes.Axes
        The bars (``ax.patches``) are the changes, top row first in ``measures`` order and
        period order.

    Raises
    ------
    ValidationError
        For an unknown measure, ``kind`` or ``lang``, group dimensions left unselected,
        or a ``k`` the change does not have.
    """
    check_result(change, ChangeResult, "changes", "mpi.change")
    check_lang(lang)
    if kind not in CHANGES:
        raise ValidationError(f"kind must be one of {list(CHANGES)}; got {kind!r}")
    est = change.to_dataset().sel(change=kind)
    ci = change.ci(level).sel(change=kind)
    if group:
        est, ci = est.sel(dict(group)), ci.sel(dict(group))
    est, kk = select_k(est, k, func="changes")
    ci, _ = select_k(ci, k, func="changes")
    rows, vals, los, his = [], [], [], []
    for m in measures:
        if m not in est:
            raise ValidationError(
                f"{m!r} is not in the change result; it has {list(est.data_vars)}"
            )
        if set(est[m].dims) != {"period"}:
            raise ValidationError(
                "changes() draws one series of periods; the change has group dims "
                f"{sorted(set(est[m].dims) - {'period'})}: pass group={{dim: label}}"
            )
        for p in est["period"].values:
            rows.append(f"{measure_label(m, lang, short=True)}  {p}")
            vals.append(float(est[m].sel(period=p)))
            los.append(float(ci[m].sel(period=p, bound="lower")))
            his.append(float(ci[m].sel(period=p, bound="upper")))
    v, lo, hi = np.array(vals), np.array(los), np.array(his)
    ax = new_ax(ax, figsize)
    style_axes(ax)
    y = np.arange(len(rows))[::-1]
    colors = ["#2166ac" if x < 0 else "#b2182b" for x in v]
    ax.barh(y, v, color=colors, alpha=0.85, height=0.6)
    ax.errorbar(v, y, xerr=[v - lo, hi - v], fmt="none", ecolor="0.2", elinewidth=1.2, capsize=3)
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_yticks(y, rows)
    ax.set_xlabel(text("plot.measures.change_axis", lang,
                       change=text(f"plot.measures.change_{kind}", lang), level=100 * level))
    grid(ax, "x")
    if title is None:
        title = text("plot.measures.changes_title", lang)
        if group:
            where = text("plot.measures.list_separator", lang).join(
                str(g) for g in dict(group).values()
            )
            title += text("plot.measures.group_suffix", lang, group=where)
        if kk is not None:
            title += text("plot.measures.k_suffix", lang, k=k_text(kk))
    ax.set_title(title, loc="left")
    apply_fonts(ax)
    return ax


def robustness(
    result: RobustnessResult,
    *,
    pairs: Sequence[tuple[Any, Any]] | None = None,
    lang: str = "en",
    ax: Axes | None = None,
    figsize: tuple[float, float] = (7.0, 4.2),
    title: str | None = None,
) -> Axes:
    """Differences between groups across the poverty cutoffs k, significance marked.

    One line per pair ``a − b`` and specification (the baseline solid, alternative weights
    dashed) over the grid of k; a filled marker is a difference significant at the
    result's level, a hollow one is not. The legend gives each pair's robust share (the
    settings where it keeps its baseline direction and is significant).

    Parameters
    ----------
    result
        A :class:`~mpi.RobustnessResult` (``mpi.robustness(...)``).
    pairs
        The pairs ``(a, b)`` to draw (default: all).
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure.
    title
        Chart title.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.lines`` holds one line per pair and specification (x = k, y = difference).

    Raises
    ------
    ValidationError
        For a result that is not a ``RobustnessResult``, a pair it does not hold or an
        unknown ``lang``.
    """
    check_result(result, RobustnessResult, "robustness", "mpi.robustness")
    check_lang(lang)
    comp = result.comparisons
    table = result.pairs.set_index(["a", "b"])
    chosen = list(table.index) if pairs is None else [tuple(p) for p in pairs]
    unknown = [p for p in chosen if p not in table.index]
    if unknown:
        raise ValidationError(f"pairs {unknown} are not in the result; it has {list(table.index)}")
    specs = list(dict.fromkeys(comp["spec"]))
    ax = new_ax(ax, figsize)
    style_axes(ax)
    for i, (a, b) in enumerate(chosen):
        color = LINE_COLORS[i % len(LINE_COLORS)]
        rows = comp[(comp["a"] == a) & (comp["b"] == b)]
        share = float(table.loc[(a, b), "robust_share"])
        for j, spec in enumerate(specs):
            part = rows[rows["spec"] == spec].sort_values("k")
            k = part["k"].to_numpy(dtype=float)
            diff = part["difference"].to_numpy(dtype=float)
            sig = part["significant"].to_numpy(dtype=bool)
            label = (
                text("plot.measures.robust_pair", lang, a=a, b=b, share=f"{share:.0%}")
                if j == 0 else None
            )  # fmt: skip
            ax.plot(k, diff, color=color, linewidth=1.8 if j == 0 else 1.0,
                    linestyle="-" if j == 0 else (0, (4, 2)), label=label)
            ax.scatter(k[sig], diff[sig], color=color, s=22, zorder=3)
            ax.scatter(k[~sig], diff[~sig], facecolor="white", edgecolor=color, s=22, zorder=3)
    ax.axhline(0, color="0.3", linewidth=0.8)
    name = measure_label(result.variable, lang, short=True)
    ax.set_xlabel(text("plot.measures.k_axis", lang))
    ax.set_ylabel(text("plot.measures.robust_difference_axis", lang, measure=name))
    grid(ax, "y")
    notes = [text("plot.measures.robust_filled", lang, level=result.level)]
    if len(specs) > 1:
        notes.append(text("plot.measures.robust_dashed", lang))
    ax.legend(frameon=False, fontsize="small",
              title=text("plot.measures.robust_separator", lang).join(notes),
              title_fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if title is None:
        title = text("plot.measures.robustness_title", lang, measure=name, over=result.over)
    ax.set_title(title, loc="left")
    apply_fonts(ax)
    return ax


def contrasts(
    test: WaldTest,
    *,
    level: float = 0.95,
    lang: str = "en",
    ax: Axes | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """The contrasts of a Wald test with normal confidence intervals (dot-and-whisker).

    Each row is one restriction (each value minus the first, for a test of equality);
    the title gives the test statistic, its degrees of freedom and the p-value. The
    intervals are :math:`\\hat c \\pm z_{(1+\\text{level})/2}\\, \\widehat{se}(\\hat c)`.

    Parameters
    ----------
    test
        A :class:`~mpi.WaldTest` (``result.wald_test(...)`` or ``mpi.wald_test(...)``).
    level
        Confidence level of the intervals ``estimate ± z se``.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure (default: grows with the number of contrasts).
    title
        Chart title.

    Returns
    -------
    matplotlib.axes.Axes
        The error bar's line holds the contrasts (x) at rows 0, 1, ... (y, top first).

    Raises
    ------
    ValidationError
        For an argument that is not a ``WaldTest``, a ``level`` outside (0, 1) or an
        unknown ``lang``.
    """
    check_result(test, WaldTest, "contrasts", "mpi.wald_test")
    check_lang(lang)
    level = check_level(level)
    table = test.contrasts
    est = table["estimate"].to_numpy(dtype=float)
    se = table["se"].to_numpy(dtype=float)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    rows = [
        "  ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in np.atleast_1d(key))
        for key in table.index
    ]
    if figsize is None:
        figsize = (6.5, max(2.4, 1.4 + 0.32 * len(rows)))
    ax = new_ax(ax, figsize)
    style_axes(ax)
    y = np.arange(len(rows))[::-1]
    ax.errorbar(est, y, xerr=z * se, fmt="o", color="#b2182b", ecolor="0.35", elinewidth=1.2,
                capsize=3, markersize=5)
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_yticks(y, rows)
    names = [str(n) for n in table.index.names if n is not None]
    ax.set_ylabel(" × ".join(names) or text("plot.measures.contrast", lang))
    ax.set_xlabel(text("plot.measures.contrast_axis", lang, level=100 * level))
    grid(ax, "x")
    dist = "χ²" if test.method == "chi2" else "F"
    dof = f"{test.df1:g}" if test.method == "chi2" else f"{test.df1:g}, {test.df2:g}"
    if title is None:
        title = text("plot.measures.wald_title", lang, dist=dist, dof=dof,
                     statistic=test.statistic, p=test.p_value)
    ax.set_title(title, loc="left")
    apply_fonts(ax)
    return ax
