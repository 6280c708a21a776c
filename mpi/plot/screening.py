"""Charts of campus-card screening: the errors of each screen at the same flagged share
(:class:`~mpi.screening.evaluate_result.ScreeningEvaluation`), its errors per group (the
fairness check) and the reasons of a suggested list
(:class:`~mpi.screening.lists_result.SuggestedList`).

Same conventions as :mod:`mpi.plot`: ``ax=None`` makes a new figure (a matplotlib
``Figure``, not pyplot), the Axes is returned, ``plt.show()`` is never called, and
``lang="en"`` or ``"zh"`` chooses the language of the chart's words (from the label
catalogue, :mod:`mpi._common.labels`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from mpi._common.labels import check_lang, has_text, text
from mpi.errors import ValidationError
from mpi.plot._style import (
    EXIT,
    LINE_COLORS,
    apply_fonts,
    check_result,
    grid,
    new_ax,
    percent_axis,
    rows_height,
    style_axes,
)
from mpi.plot.targeting import ERRORS  # the same two errors, in the same colours
from mpi.screening.evaluate_result import ScreeningEvaluation
from mpi.screening.lists_result import SuggestedList

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["screening", "fairness", "suggested"]

#: Measures :func:`fairness` can draw.
FAIRNESS_MEASURES = ("inclusion_error", "exclusion_error", "false_positive_rate", "coverage")
#: Hatches of the measures in :func:`fairness` (the rule has the colour).
HATCHES = ("", "///", "..", "xx")
_ERR_KW = {"ecolor": "0.3", "elinewidth": 1, "capsize": 2}


def _measure_label(name: str, lang: str) -> str:
    for key in (f"screening.eval.var.{name}", f"targeting.var.{name}"):
        if has_text(key):
            return text(key, lang)
    return name


def screening(
    evaluation: ScreeningEvaluation,
    ax: Axes | None = None,
    *,
    level: float = 0.95,
    lang: str = "en",
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """Inclusion and exclusion errors of every screen, with bootstrap intervals.

    Parameters
    ----------
    evaluation
        A result of :func:`mpi.screening.evaluate_screening`.
    ax
        Axes to draw on; a new figure is created when omitted.
    level
        Confidence level of the intervals (drawn when the evaluation has a bootstrap).
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    figsize
        Size of the new figure (default: 7 inches wide, taller with more screens).
    title
        Chart title (default: the common flagged share, in ``lang``).

    Returns
    -------
    matplotlib.axes.Axes
        Two :class:`~matplotlib.container.BarContainer` (filter ``ax.containers`` by type):
        the inclusion errors, then the exclusion errors, one bar per screen in the order of
        the evaluation (top to bottom), each with its interval in ``BarContainer.errorbar``
        when the evaluation has a bootstrap. The tick labels give each screen's AUC.
    """
    check_result(evaluation, ScreeningEvaluation, "screening", "mpi.screening.evaluate_screening")
    check_lang(lang)
    ds = evaluation.to_dataset()
    rules = [str(r) for r in ds["rule"].values]
    n = len(rules)
    ax = new_ax(ax, figsize or (7.0, rows_height(2 * n, lo=2.6)))
    style_axes(ax)
    y = np.arange(n)
    height = 0.38
    ci = evaluation.ci(level) if evaluation.has_inference else None
    for j, (name, color) in enumerate(ERRORS):
        values = ds[name].values.astype(float)
        err = None
        if ci is not None:
            lo = ci[name].sel(bound="lower").values
            hi = ci[name].sel(bound="upper").values
            err = np.nan_to_num(np.vstack([values - lo, hi - values]), nan=0.0)
        ax.barh(y + (j - 0.5) * height, values, height=height, color=color, xerr=err,
                error_kw=_ERR_KW, label=text(f"targeting.var.{name}", lang))  # fmt: skip
    labels = [text("plot.screening.row", lang, rule=r, auc=float(a))
              for r, a in zip(rules, ds["auc"].values, strict=True)]  # fmt: skip
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    percent_axis(ax, "x")
    grid(ax, "x")
    axis = ("plot.screening.axis", {"level": 100 * level}) if ci is not None else (
        "plot.screening.axis_no_ci", {})  # fmt: skip
    ax.set_xlabel(text(axis[0], lang, **axis[1]))
    ax.legend(frameon=False, loc="lower right")
    share = float(ds.attrs["common_share"])
    ax.set_title(title if title is not None else text("plot.screening.title", lang, share=share),
                 loc="left")  # fmt: skip
    apply_fonts(ax)
    return ax


def fairness(
    evaluation: ScreeningEvaluation,
    ax: Axes | None = None,
    *,
    by: str | None = None,
    measures: Sequence[str] = ("inclusion_error", "exclusion_error"),
    lang: str = "en",
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """Error rates of every screen per group of one variable: the fairness check.

    Parameters
    ----------
    evaluation
        A result of :func:`mpi.screening.evaluate_screening` called with ``groups``.
    ax
        Axes to draw on; a new figure is created when omitted.
    by
        The group column to draw (default: the first of the call's ``groups``).
    measures
        The rates drawn, among ``"inclusion_error"``, ``"exclusion_error"``,
        ``"false_positive_rate"`` (the share of the students not in hardship who are flagged:
        the over-flagging of a group) and ``"coverage"``.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    figsize
        Size of the new figure (default: 7.5 inches wide, taller with more bars).
    title
        Chart title (default names ``by``, in ``lang``).

    Returns
    -------
    matplotlib.axes.Axes
        One :class:`~matplotlib.container.BarContainer` per (screen, measure), screen-major
        in the order of the evaluation, each with one bar per group (top to bottom in the
        order of :meth:`~ScreeningEvaluation.by_group`); a screen has one colour, a measure
        one hatch.

    Raises
    ------
    ValidationError
        For an evaluation without groups, a ``by`` it does not have, or an unknown measure.
    """
    check_result(evaluation, ScreeningEvaluation, "fairness", "mpi.screening.evaluate_screening")
    check_lang(lang)
    if evaluation.to_dataset().attrs["groups"] == "":
        raise ValidationError(
            "fairness() draws errors per group; call mpi.screening.evaluate_screening(..., "
            "groups=<DataFrame of college, grade, sex ...>) first"
        )
    g = evaluation.by_group()
    variables = list(dict.fromkeys(str(v) for v in g["group_variable"].values))
    by = variables[0] if by is None else by
    if by not in variables:
        raise ValidationError(f"by={by!r} is not a group column of the evaluation ({variables})")
    measures = list(measures)
    bad = [m for m in measures if m not in FAIRNESS_MEASURES]
    if bad or not measures:
        raise ValidationError(f"measures must be among {FAIRNESS_MEASURES}; got {measures}")
    sel = np.flatnonzero(g["group_variable"].values == by)
    groups = [str(v) for v in g["group_value"].values[sel]]
    rules = [str(r) for r in g["rule"].values]
    bars = len(rules) * len(measures)
    ax = new_ax(ax, figsize or (7.5, rows_height(len(groups) * max(bars, 2) // 2 + 1, lo=3.0)))
    style_axes(ax)
    y = np.arange(len(groups))
    height = 0.8 / bars
    j = 0
    for i, rule in enumerate(rules):
        for m_i, m in enumerate(measures):
            values = g[m].values[i, sel].astype(float)
            label = text("plot.screening.fairness_bar", lang, rule=rule,
                         measure=_measure_label(m, lang))  # fmt: skip
            ax.barh(y - 0.4 + (j + 0.5) * height, values, height=height,
                    color=LINE_COLORS[i % len(LINE_COLORS)], hatch=HATCHES[m_i % len(HATCHES)],
                    edgecolor="white", linewidth=0.5, label=label)  # fmt: skip
            j += 1
    ax.set_yticks(y, groups)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    percent_axis(ax, "x")
    grid(ax, "x")
    ax.set_xlabel(text("plot.screening.fairness_axis", lang))
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    ax.set_title(title if title is not None else text("plot.screening.fairness_title", lang,
                                                       by=by), loc="left")  # fmt: skip
    apply_fonts(ax)
    return ax


def suggested(
    list_result: SuggestedList,
    ax: Axes | None = None,
    *,
    top: int | None = None,
    lang: str = "en",
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """How often each feature is among the listed students' reasons.

    Parameters
    ----------
    list_result
        A result of :func:`mpi.screening.suggested_list` made with ``reasons``.
    ax
        Axes to draw on; a new figure is created when omitted.
    top
        Draw only the ``top`` most frequent reasons (default: all).
    lang
        Language of the chart's words and of the features' labels (the list's ``labels``).
    figsize
        Size of the new figure (default: 7 inches wide, taller with more reasons).
    title
        Chart title (default: the number of listed students, in ``lang``).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.containers[0]`` holds one bar per feature, most frequent at the top (the order
        of :meth:`~SuggestedList.reason_counts`), its width the share of the listed students
        with that feature among their top reasons; the tick labels are the features' labels.

    Raises
    ------
    ValidationError
        For a list without reasons, or a ``top`` that is not a whole number >= 1.
    """
    check_result(list_result, SuggestedList, "suggested", "mpi.screening.suggested_list")
    check_lang(lang)
    counts = list_result.reason_counts(lang)
    if top is not None:
        if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1:
            raise ValidationError(f"top must be a whole number >= 1; got {top!r}")
        counts = counts.iloc[: int(top)]
    n = len(counts)
    ax = new_ax(ax, figsize or (7.0, rows_height(n, lo=2.6)))
    style_axes(ax)
    y = np.arange(n)
    ax.barh(y, counts["share"].to_numpy(dtype=float), height=0.6, color=EXIT)
    for yi, (share, k) in enumerate(zip(counts["share"], counts["n_students"], strict=True)):
        ax.annotate(f"{int(k):,}", (float(share), yi), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize="small", color="0.3")  # fmt: skip
    ax.set_yticks(y, counts["label"].tolist())
    ax.invert_yaxis()
    ax.set_xlim(0, 1.08)
    percent_axis(ax, "x")
    grid(ax, "x")
    a = list_result.to_dataset().attrs
    ax.set_xlabel(text("plot.screening.suggested_axis", lang, k=int(a["top_reasons"])))
    ax.set_title(title if title is not None else text("plot.screening.suggested_title", lang,
                                                       n=int(a["n_listed"])), loc="left")  # fmt: skip
    apply_fonts(ax)
    return ax
